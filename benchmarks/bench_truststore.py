"""Time mtls-doctor beside openssl on the same truststore job, and print the ratio.

The job a person does today: decode every certificate of a bundle and check that a client
certificate chains to it. With openssl that is `openssl storeutl -noout -text -certs BUNDLE`
plus `openssl verify -CAfile ROOTS -untrusted BUNDLE CLIENT`; with mtls-doctor it is
`mtls-doctor truststore BUNDLE` plus `mtls-doctor verify-client --cert CLIENT --truststore BUNDLE`,
which also applies API Gateway's rules and explains every finding.

Run: python benchmarks/bench_truststore.py [--runs N] [--chains N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.pki_factory: the test suite's certificate factory

from tests.pki_factory import PKI, Issued  # noqa: E402


def build(directory: Path, chains: int) -> tuple[Path, Path, Path, Path]:
    """A bundle of `chains` root -> intermediate -> issuing chains, and one client."""
    pki = PKI(datetime.now(UTC))
    bundle: list[Issued] = []
    roots: list[Issued] = []
    client = None
    for i in range(chains):
        root = pki.root(f"Bench Root {i}", key="p256")
        ica = pki.intermediate(root, f"Bench Intermediate {i}", key="p256")
        sca = pki.intermediate(ica, f"Bench Issuing {i}", key="p256")
        bundle += [root, ica, sca]
        roots.append(root)
        if client is None:
            client = pki.leaf(sca, "client.example.com", key="p256")
    assert client is not None

    paths = (directory / "bundle.pem", directory / "roots.pem", directory / "client.pem",
             directory / "client.key")
    paths[0].write_bytes(b"".join(c.pem for c in bundle))
    paths[1].write_bytes(b"".join(c.pem for c in roots))
    paths[2].write_bytes(client.pem)
    paths[3].write_bytes(client.key_pem())
    return paths


#: as after `pip install`: byte-code caches allowed (some machines disable them globally)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(commands: list[list[str]], runs: int) -> float:
    """Median wall time in seconds of running `commands` one after the other."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        for cmd in commands:
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                           env=ENV)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--chains", type=int, default=4)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bundle, roots, client, key = build(Path(tmp), args.chains)
        tool = [sys.executable, "-m", "mtls_doctor"]
        ours = [[*tool, "truststore", str(bundle), "--format", "json"],
                [*tool, "verify-client", "--cert", str(client), "--key", str(key),
                 "--truststore", str(bundle), "--format", "json"]]
        theirs = [["openssl", "storeutl", "-noout", "-text", "-certs", str(bundle)],
                  ["openssl", "verify", "-CAfile", str(roots), "-untrusted", str(bundle), str(client)]]
        timed(ours + theirs, 1)  # warm the page cache and byte-code
        t_ours, t_theirs = timed(ours, args.runs), timed(theirs, args.runs)
    n = args.chains * 3
    print(f"truststore of {n} certificates + one client verdict, median of {args.runs} runs")
    print(f"  mtls-doctor truststore + verify-client : {t_ours * 1000:8.1f} ms")
    print(f"  openssl storeutl + openssl verify      : {t_theirs * 1000:8.1f} ms")
    print(f"  ratio mtls-doctor / openssl            : {t_ours / t_theirs:8.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
