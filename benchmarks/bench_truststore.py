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
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _cert(
    cn: str, issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None, ca: bool
) -> tuple[x509.Name, ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    issuer_name, issuer_key = issuer if issuer else (name, key)
    now = datetime.now(UTC)
    b = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer_name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    cert = b.sign(issuer_key, hashes.SHA256())
    return name, key, cert


def build(directory: Path, chains: int) -> tuple[Path, Path, Path, Path]:
    """A bundle of `chains` root -> intermediate -> issuing chains, and one client."""
    bundle, roots = [], []
    client = client_key = None
    for i in range(chains):
        rname, rkey, root = _cert(f"Bench Root {i}", None, True)
        iname, ikey, ica = _cert(f"Bench Intermediate {i}", (rname, rkey), True)
        sname, skey, sca = _cert(f"Bench Issuing {i}", (iname, ikey), True)
        bundle += [root, ica, sca]
        roots.append(root)
        if client is None:
            _, client_key, client = _cert("client.example.com", (sname, skey), False)
    assert client is not None and client_key is not None

    def pem(certs: list[x509.Certificate]) -> bytes:
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)

    paths = (directory / "bundle.pem", directory / "roots.pem", directory / "client.pem",
             directory / "client.key")
    paths[0].write_bytes(pem(bundle))
    paths[1].write_bytes(pem(roots))
    paths[2].write_bytes(pem([client]))
    paths[3].write_bytes(client_key.private_bytes(serialization.Encoding.PEM,
                                                  serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
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
