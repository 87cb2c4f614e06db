"""Hostile inputs of 16 MiB: seconds and peak memory of mtls-doctor beside openssl.

The contract's "Bounded work": an input up to 16 MiB is handled within 30 s and 1 GiB of
memory, and a text report of a hostile file stays under 10 MB (repetitive malformed blocks are
counted, not each printed). Each input is 16 MiB (just under the limit); each command runs as
its own process under `resource.getrusage(RUSAGE_CHILDREN)`, so the peak resident set size is
the process's own. openssl reads the same file with `openssl storeutl -noout -certs` (and
`openssl crl2pkcs7 -nocrl -certfile` for the PEM bundles) for scale.

Inputs:
  broken        repeated `BEGIN CERTIFICATE` blocks whose base64 is corrupt (250,000 blocks)
  valid-looking blocks whose base64 decodes to DER-looking bytes that are no certificate
  repeated      one real certificate, 12,000 times
  distinct      distinct real certificates (EC P-256, 30,000 of them)
  same-name     distinct CA certificates that all share two names and issue each other
  deep          one chain, each certificate issued by the next
  blob          one `BEGIN CERTIFICATE` block holding one base64 blob of 16 MiB
  bare-blob     16 MiB of base64 without armour

Run: python benchmarks/bench_hostile.py [--only NAME ...] [--command truststore|inspect]
"""

from __future__ import annotations

import argparse
import base64
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

#: the contract's limits
SIZE = 16 * 1024 * 1024
SECONDS = 30.0
MEMORY = 1024 * 1024 * 1024
REPORT = 10 * 1000 * 1000
#: openssl storeutl takes minutes over one huge base64 blob: it is stopped after this
OPENSSL_TIMEOUT = 60.0

NOW = datetime.now(UTC).replace(microsecond=0)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _pem(der: bytes) -> bytes:
    body = base64.encodebytes(der)
    return b"-----BEGIN CERTIFICATE-----\n" + body + b"-----END CERTIFICATE-----\n"


def _fill(unit: bytes, size: int = SIZE) -> bytes:
    return unit * ((size - 1) // len(unit))


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(key: ec.EllipticCurvePrivateKey, subject: str, issuer: str, serial: int, *,
          ca: bool = True, issuer_key: ec.EllipticCurvePrivateKey | None = None) -> bytes:
    """A small EC P-256 certificate (about 400 bytes of DER)."""
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(serial)
               .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=365))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    cert = builder.sign(issuer_key or key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.DER)


def _until_full(make: Callable[[int], bytes], size: int = SIZE) -> bytes:
    parts: list[bytes] = []
    total = i = 0
    while True:
        part = make(i)
        if total + len(part) >= size:
            return b"".join(parts)
        parts.append(part)
        total += len(part)
        i += 1


def broken() -> bytes:
    return _fill(b"-----BEGIN CERTIFICATE-----\nMIIBroken!!\n-----END CERTIFICATE-----\n")


def valid_looking() -> bytes:
    # correct base64 of bytes that start like a certificate (SEQUENCE, 4-byte length) and
    # then are not one: every block must be decoded and handed to the X.509 parser
    body = b"\x30\x82\x03\x00" + bytes(range(256)) * 3
    return _fill(_pem(body))


def repeated() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return _fill(_pem(_cert(key, "Repeated Root", "Repeated Root", 1)))


def distinct() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return _until_full(lambda i: _pem(_cert(key, f"Root {i}", f"Root {i}", i + 1)))


def same_name() -> bytes:
    # "A" issued by "B" and "B" issued by "A", thousands of each with other serials: every
    # certificate has thousands of issuer candidates by name, and no root
    key = ec.generate_private_key(ec.SECP256R1())
    return _until_full(lambda i: _pem(_cert(key, "A" if i % 2 else "B", "B" if i % 2 else "A",
                                             i + 1)))


def deep() -> bytes:
    # CA i is issued by CA i+1: one chain as long as the file (the top's issuer is missing)
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(64)]
    return _until_full(lambda i: _pem(_cert(keys[i % 64], f"CA {i}", f"CA {i + 1}", i + 1,
                                            issuer_key=keys[(i + 1) % 64])))


def blob() -> bytes:
    head, tail = b"-----BEGIN CERTIFICATE-----\n", b"-----END CERTIFICATE-----\n"
    raw = b"\x30\x84\x00\xbf\xff\xf0" + bytes(i * 7 & 0xFF for i in range(SIZE))
    body = base64.encodebytes(raw)[: SIZE - len(head) - len(tail) - 2] + b"\n"
    return head + body + tail


def bare_blob() -> bytes:
    raw = b"\x30\x84\x00\xbf\xff\xf0" + bytes(i * 13 & 0xFF for i in range(SIZE))
    return base64.encodebytes(raw)[: SIZE - 1]


INPUTS: dict[str, Callable[[], bytes]] = {
    "broken": broken, "valid-looking": valid_looking, "repeated": repeated,
    "distinct": distinct, "same-name": same_name, "deep": deep, "blob": blob,
    "bare-blob": bare_blob,
}


@dataclass(frozen=True)
class Measured:
    """One process: wall seconds, peak RSS in bytes, exit code, bytes written to stdout."""

    seconds: float
    peak: int
    rc: int
    out: int


def measure(argv: list[str], timeout: float = 120.0) -> Measured:
    """Run `argv` in a fresh process: wall seconds, and its own peak RSS as `/usr/bin/time`
    reports it (a child forked from this process would inherit this process's large resident
    set in `ru_maxrss`; `time` is small), else as `wait4` does. `time` passes the exit code on."""
    timer = shutil.which("time", path="/usr/bin:/bin")
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as usage:
        cmd = [timer, "-f", "%M", "-o", usage.name, *argv] if timer else argv
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, env=ENV,
                                start_new_session=True)
        _, status, rusage = _wait(proc, timeout)
        seconds = time.perf_counter() - start
        peak = rusage.ru_maxrss * 1024
        if timer:
            lines = usage.read().split()
            peak = int(lines[-1]) * 1024 if lines and lines[-1].isdigit() else peak
        size = out.seek(0, os.SEEK_END)
    return Measured(seconds, peak, os.waitstatus_to_exitcode(status), size)


def _wait(proc: subprocess.Popen[bytes], timeout: float) -> tuple[int, int, resource.struct_rusage]:
    deadline = time.perf_counter() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            return pid, status, usage
        if time.perf_counter() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)  # `time` and the command it runs
            return os.wait4(proc.pid, 0)
        time.sleep(0.005)


def _mib(n: int) -> str:
    return f"{n / 1048576:7.1f} MiB"


def _size(n: int) -> str:
    return f"{n / 1e6:7.2f} MB" if n >= 10_000 else f"{n:7d} B"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", choices=sorted(INPUTS), help="inputs to run")
    ap.add_argument("--command", action="append", choices=("truststore", "inspect"),
                    help="mtls-doctor command(s) to run (both by default)")
    args = ap.parse_args()
    commands = args.command or ["truststore", "inspect"]
    names = args.only or list(INPUTS)
    failed = False
    print(f"16 MiB hostile inputs (limits: {SECONDS:.0f} s, {_mib(MEMORY).strip()}, "
          f"{REPORT / 1e6:.0f} MB of text)")
    print(f"{'input':14} {'command':24} {'seconds':>8} {'peak RSS':>12} {'exit':>4} "
          f"{'text out':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            path = Path(tmp) / f"{name}.pem"
            data = INPUTS[name]()
            assert len(data) < SIZE, (name, len(data))
            path.write_bytes(data)
            rows: list[tuple[str, Measured]] = []
            for command in commands:
                rows.append((f"mtls-doctor {command}", measure(
                    [sys.executable, "-m", "mtls_doctor", command, str(path)])))
            rows.append(("openssl storeutl", measure(
                ["openssl", "storeutl", "-noout", "-certs", str(path)], OPENSSL_TIMEOUT)))
            rows.append(("openssl crl2pkcs7", measure(
                ["openssl", "crl2pkcs7", "-nocrl", "-certfile", str(path), "-out", os.devnull],
                OPENSSL_TIMEOUT)))
            for label, m in rows:
                note = ""
                if label.startswith("openssl"):
                    note = (f"killed after {OPENSSL_TIMEOUT:.0f} s" if m.rc < 0 else
                            "stopped at an error" if m.rc else "")
                print(f"{name:14} {label:24} {m.seconds:8.2f} {_mib(m.peak):>12} {m.rc:>4} "
                      f"{_size(m.out) if label.startswith('mtls') else note:>12}")
            ours = [m for label, m in rows if label.startswith("mtls-doctor")]
            storeutl = rows[len(commands)][1]
            print(f"{name:14} {'ratio to storeutl':24} "
                  f"{max(m.seconds for m in ours) / storeutl.seconds:8.2f}x"
                  + ("  (storeutl was stopped: an upper bound)" if storeutl.rc < 0 else ""))
            for m in ours:
                if m.seconds > SECONDS or m.peak > MEMORY or m.out > REPORT or m.rc not in (0, 1):
                    failed = True
                    print(f"  !! {name}: over a limit or not exit 0/1")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
