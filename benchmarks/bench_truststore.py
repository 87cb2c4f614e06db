"""Time `mtls-doctor truststore` beside `openssl storeutl` on the same bundle, and print the ratios.

The job a person does today: decode every certificate of a bundle with
`openssl storeutl -noout -text -certs BUNDLE`. `mtls-doctor truststore BUNDLE` also verifies
every signature, builds every certificate's path and applies API Gateway's rules. Targets
(issue 15): on 1,000 certificates at most 0.7x openssl; on 4,000 at most 4.4x its own time on
1,000 (linear); 10,000 certificates in under 10 s. Two floors are printed beside openssl: the
interpreter with `cryptography.x509` imported, and a bare script that parses the bundle and
verifies each decoded certificate's signature once (what no tool checking signatures with
`cryptography` can go below). mtls-doctor verifies signatures on every core: its wall time
can be below its CPU time. Each bundle is root -> intermediate ->
issuing chains of EC P-256 certificates (the rest, when the count is not a multiple of three,
are more roots). The figures say how many certificates mtls-doctor decoded: it reads the first
`MAX_CERTIFICATES` of a file and counts the others (bounded work on hostile input).

Run: python benchmarks/bench_truststore.py [--runs N] [--sizes 1000 4000 10000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

for path in (Path(__file__).resolve().parent.parent, Path(__file__).resolve().parent):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))  # tests.pki_factory: the test suite's certificate factory

from paired import ENV, ROOT, paired, run_once, show  # noqa: E402

from mtls_doctor.pki.load import MAX_CERTIFICATES  # noqa: E402
from tests.pki_factory import PKI, Issued  # noqa: E402

TOOL = [sys.executable, "-m", "mtls_doctor"]
#: the floor of any tool on `cryptography`: the interpreter and its X.509 module, nothing read
IMPORT_FLOOR = [sys.executable, "-c", "import cryptography.x509"]
#: the floor of any such tool that checks the signatures: the bundle parsed, and the
#: certificates mtls-doctor decodes (the first MAX_CERTIFICATES) each verified once, by the
#: certificate of its issuer's name (itself for a root); no report, no other rule
VERIFY_FLOOR = """
import sys
from cryptography import x509
with open(sys.argv[1], "rb") as fh:
    certs = x509.load_pem_x509_certificates(fh.read())[:int(sys.argv[2])]
by_name = {c.subject: c for c in certs}
for c in certs:
    c.verify_directly_issued_by(by_name[c.issuer])
"""
#: the issue's targets
VS_OPENSSL = 0.7
LINEAR = 4.4
LARGEST_SECONDS = 10.0


def build(directory: Path, count: int) -> tuple[Path, Path, Path, Path]:
    """A bundle of `count` certificates (root -> intermediate -> issuing chains), the bundle's
    roots, and one client issued under the first chain, with its key."""
    pki = PKI(datetime.now(UTC))
    bundle: list[Issued] = []
    roots: list[Issued] = []
    client = None
    for i in range(count // 3):
        root = pki.root(f"Bench Root {i}", key="p256")
        ica = pki.intermediate(root, f"Bench Intermediate {i}", key="p256")
        sca = pki.intermediate(ica, f"Bench Issuing {i}", key="p256")
        bundle += [root, ica, sca]
        roots.append(root)
        if client is None:
            client = pki.leaf(sca, "client.example.com", key="p256")
    for i in range(count - len(bundle)):
        extra = pki.root(f"Bench Extra Root {i}", key="p256")
        bundle.append(extra)
        roots.append(extra)
    assert client is not None
    paths = (directory / "bundle.pem", directory / "roots.pem", directory / "client.pem",
             directory / "client.key")
    paths[0].write_bytes(b"".join(c.pem for c in bundle))
    paths[1].write_bytes(b"".join(c.pem for c in roots))
    paths[2].write_bytes(client.pem)
    paths[3].write_bytes(client.key_pem())
    return paths


def decoded(bundle: Path) -> int:
    """How many certificates `mtls-doctor truststore` decodes from `bundle`."""
    out = subprocess.run([*TOOL, "truststore", str(bundle), "--format", "json"],
                         capture_output=True, check=False, env=ENV, cwd=ROOT).stdout
    return len(json.loads(out)["certificates"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9, help="pairs of runs per ratio (9)")
    ap.add_argument("--sizes", type=int, nargs=3, default=[1000, 4000, 10000],
                    metavar=("SMALL", "LARGE", "LARGEST"), help="bundle sizes (1000 4000 10000)")
    args = ap.parse_args()
    small, large, largest = args.sizes
    with tempfile.TemporaryDirectory() as tmp:
        bundles = {}
        for n in (small, large, largest):
            (Path(tmp) / str(n)).mkdir()
            bundles[n] = build(Path(tmp) / str(n), n)[0]
        ours = {n: [*TOOL, "truststore", str(b)] for n, b in bundles.items()}
        storeutl = ["openssl", "storeutl", "-noout", "-text", "-certs", str(bundles[small])]
        print(f"mtls-doctor truststore, paired medians of {args.runs} runs; decoded "
              + ", ".join(f"{decoded(b):,} of {n:,}" for n, b in bundles.items())
              + " certificates")
        for fmt in ("text", "json"):
            p = paired([*ours[small], "--format", fmt], storeutl, args.runs)
            print(f"{small:,} certificates, --format {fmt}, beside openssl storeutl -text:")
            show(f"mtls-doctor truststore ({fmt})", "openssl storeutl -noout -text -certs", p,
                 VS_OPENSSL)
        print(f"the floors, beside openssl storeutl -text on {small:,} certificates:")
        show('python -c "import cryptography.x509"', "openssl storeutl -noout -text -certs",
             paired(IMPORT_FLOOR, storeutl, args.runs), None)
        show("parse + verify each signature once", "openssl storeutl -noout -text -certs",
             paired([sys.executable, "-c", VERIFY_FLOOR, str(bundles[small]),
                     str(MAX_CERTIFICATES)], storeutl, args.runs), None)
        p = paired([*ours[large], "--format", "json"], [*ours[small], "--format", "json"],
                   args.runs)
        print(f"{large:,} certificates beside {small:,} (--format json):")
        show(f"mtls-doctor on {large:,}", f"mtls-doctor on {small:,}", p, LINEAR)
        runs = [run_once([*ours[largest], "--format", "json"]) for _ in range(3)]
        worst = max(r.wall for r in runs)
        print(f"{largest:,} certificates (--format json), slowest of 3 runs: {worst:.2f} s wall "
              f"({'meets' if worst < LARGEST_SECONDS else 'misses'} the target of under "
              f"{LARGEST_SECONDS:g} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
