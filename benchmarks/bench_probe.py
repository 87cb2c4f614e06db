"""Time `mtls-doctor probe` beside `openssl s_client` on the same mTLS request, and print the ratio.

The job: connect to a server that requires a client certificate, present one, send one GET and
read the answer. With openssl that is

    printf 'GET / HTTP/1.0\\r\\n\\r\\n' | openssl s_client -connect 127.0.0.1:PORT \\
        -servername api.example.test -cert c.pem -key c.key -quiet

and with mtls-doctor

    mtls-doctor probe api.example.test:PORT --connect 127.0.0.1 --cert c.pem --key c.key --format json

which also decodes the served chain, reads the client-CA list and explains every finding. Both
run as whole processes (start-up included) against `openssl s_server -Verify 4
-verify_return_error -tls1_3 -www` on loopback, once directly and once through a proxy that
adds 50 ms one-way latency (where the network, not start-up, dominates).

Targets: at most 4x openssl directly (issue 15), at most 1.3x through the 50 ms proxy. Each
ratio is the median of ratios of runs made side by side (benchmarks/paired.py), so that a
machine whose speed drifts still gives a meaningful figure; the floor is paired with s_client
and mtls-doctor with the floor the same way. This script prints; it asserts nothing.

Run from the repository root: python benchmarks/bench_probe.py [--runs N] [--delay S]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.servers / tests.pki_factory: the test suite's peers
sys.path.insert(0, str(Path(__file__).resolve().parent))

from paired import ENV, Pairs, paired, show  # noqa: E402

from tests.servers import Server, delaying_proxy, make_server_pki, openssl_server  # noqa: E402

HOST = "api.example.test"
REQUEST = b"GET / HTTP/1.0\r\n\r\n"
#: seconds one run may take before the benchmark gives up on it
RUN_TIMEOUT = 60.0


def ours(port: int, cert: Path, key: Path) -> list[str]:
    """The mtls-doctor probe command line."""
    return [sys.executable, "-m", "mtls_doctor", "probe", f"{HOST}:{port}", "--connect", "127.0.0.1",
            "--cert", str(cert), "--key", str(key), "--format", "json"]


def theirs(openssl: str, port: int, cert: Path, key: Path) -> list[str]:
    """The openssl s_client command line (the GET arrives on stdin)."""
    return [openssl, "s_client", "-connect", f"127.0.0.1:{port}", "-servername", HOST,
            "-cert", str(cert), "-key", str(key), "-quiet"]


#: the floor: a bare pyOpenSSL client doing the same handshake and GET, no checks, no report
BARE = """
import socket, sys
from OpenSSL import SSL
ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
ctx.use_certificate_file(sys.argv[2]); ctx.use_privatekey_file(sys.argv[3])
conn = SSL.Connection(ctx, socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
conn.set_tlsext_host_name(b"%s"); conn.set_connect_state(); conn.do_handshake()
conn.sendall(b"GET / HTTP/1.0\\r\\n\\r\\n"); sys.stdout.buffer.write(conn.recv(4096))
""".replace("%s", HOST)


def bare(script: Path, port: int, cert: Path, key: Path) -> list[str]:
    """The bare pyOpenSSL client's command line."""
    return [sys.executable, str(script), str(port), str(cert), str(key)]


def check_run(cmd: list[str], stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    """One run, its output kept, to check that it did the job being timed."""
    return subprocess.run(cmd, input=stdin, capture_output=True, check=False, env=ENV, cwd=ROOT,
                          timeout=RUN_TIMEOUT)


def sanity(label: str, proc: subprocess.CompletedProcess[bytes], expect: bytes) -> None:
    """Warn (never fail) when a run did not do the job being timed."""
    if proc.returncode != 0 or expect not in proc.stdout:
        tail = (proc.stdout[-300:] + proc.stderr[-300:]).decode(errors="replace")
        print(f"  warning: {label} exited {proc.returncode} without {expect!r}: {tail}")


def measure(server: Server, openssl: str, cert: Path, key: Path, runs: int, label: str) -> Pairs:
    """mtls-doctor beside openssl against `server`, paired, after one checked run each."""
    probe_cmd = ours(server.port, cert, key)
    s_client_cmd = theirs(openssl, server.port, cert, key)
    sanity(f"{label} mtls-doctor probe", check_run(probe_cmd, b""), b'"outcome": "accepted"')
    sanity(f"{label} openssl s_client", check_run(s_client_cmd, REQUEST), b"200 ok")
    return paired(probe_cmd, s_client_cmd, runs, stdin_a=b"", stdin_b=REQUEST)


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes), for the record beside the figures."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--runs", type=int, default=9, help="pairs of runs per ratio (9)")
    ap.add_argument("--delay", type=float, default=0.05,
                    help="one-way latency of the proxy in seconds (0.05)")
    args = ap.parse_args()
    openssl = shutil.which("openssl")
    if openssl is None:
        print("openssl is not installed")
        return 2
    print(f"mTLS GET against openssl s_server -Verify 4 -verify_return_error -tls1_3 -www, "
          f"whole processes, paired medians of {args.runs} runs (load {load()})")
    with tempfile.TemporaryDirectory(prefix="bench-probe-") as tmp:
        pki = make_server_pki(Path(tmp))
        cert, key = pki.client_pem, pki.client_key
        script = Path(tmp) / "bare_pyopenssl.py"
        script.write_text(BARE)
        with openssl_server(pki, client_auth="required", tls="1.3") as server:
            print("direct (loopback):")
            show("mtls-doctor probe", "openssl s_client",
                 measure(server, openssl, cert, key, args.runs, "direct"), 4.0)
            bare_cmd = bare(script, server.port, cert, key)
            sanity("bare pyOpenSSL", check_run(bare_cmd, b""), b"200 ok")
            print("the floor, a bare pyOpenSSL handshake + GET script (interpreter and imports):")
            show("bare pyOpenSSL script", "openssl s_client",
                 paired(bare_cmd, theirs(openssl, server.port, cert, key), args.runs,
                        stdin_a=b"", stdin_b=REQUEST), None)
            print("mtls-doctor beside that floor (what the checks and the report add):")
            show("mtls-doctor probe", "bare pyOpenSSL script",
                 paired(ours(server.port, cert, key), bare_cmd, args.runs, stdin_a=b"",
                        stdin_b=b""), None)
            with delaying_proxy(server, args.delay) as proxy:
                print(f"via a proxy adding {args.delay * 1000:g} ms each way:")
                show("mtls-doctor probe", "openssl s_client",
                     measure(proxy, openssl, cert, key, args.runs, "proxied"), 1.3)
    print(f"(load {load()} at the end)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
