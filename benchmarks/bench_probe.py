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

Targets from the issue: at most 4x openssl directly, at most 1.3x through the 50 ms proxy.
This script prints; it asserts nothing.

Run from the repository root: python benchmarks/bench_probe.py [--runs N] [--delay S]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.servers / tests.pki_factory: the test suite's peers

from tests.servers import Server, delaying_proxy, make_server_pki, openssl_server  # noqa: E402

HOST = "api.example.test"
REQUEST = b"GET / HTTP/1.0\r\n\r\n"
#: as after `pip install`: byte-code caches allowed (some machines disable them globally)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
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


def run_once(cmd: list[str], stdin: bytes) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    """Wall time in seconds of one run, and its result."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, input=stdin, capture_output=True, check=False, env=ENV, cwd=ROOT,
                          timeout=RUN_TIMEOUT)
    return time.perf_counter() - start, proc


def sanity(label: str, proc: subprocess.CompletedProcess[bytes], expect: bytes) -> None:
    """Warn (never fail) when a run did not do the job being timed."""
    if proc.returncode != 0 or expect not in proc.stdout:
        tail = (proc.stdout[-300:] + proc.stderr[-300:]).decode(errors="replace")
        print(f"  warning: {label} exited {proc.returncode} without {expect!r}: {tail}")


def median_time(cmd: list[str], stdin: bytes, runs: int) -> float:
    """Median wall time in seconds of `runs` runs."""
    return statistics.median(run_once(cmd, stdin)[0] for _ in range(runs))


def measure(server: Server, openssl: str, cert: Path, key: Path, runs: int,
            label: str) -> tuple[float, float]:
    """(mtls-doctor, openssl) medians against `server`, after one checked warm-up run each."""
    probe_cmd = ours(server.port, cert, key)
    s_client_cmd = theirs(openssl, server.port, cert, key)
    sanity(f"{label} mtls-doctor probe", run_once(probe_cmd, b"")[1], b'"outcome": "accepted"')
    sanity(f"{label} openssl s_client", run_once(s_client_cmd, REQUEST)[1], b"200 ok")
    return median_time(probe_cmd, b"", runs), median_time(s_client_cmd, REQUEST, runs)


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--runs", type=int, default=7, help="timed runs per command and setting (7)")
    ap.add_argument("--delay", type=float, default=0.05,
                    help="one-way latency of the proxy in seconds (0.05)")
    args = ap.parse_args()
    openssl = shutil.which("openssl")
    if openssl is None:
        print("openssl is not installed")
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-probe-") as tmp:
        pki = make_server_pki(Path(tmp))
        cert, key = pki.client_pem, pki.client_key
        script = Path(tmp) / "bare_pyopenssl.py"
        script.write_text(BARE)
        with openssl_server(pki, client_auth="required", tls="1.3") as server:
            direct = measure(server, openssl, cert, key, args.runs, "direct")
            bare_cmd = bare(script, server.port, cert, key)
            sanity("bare pyOpenSSL", run_once(bare_cmd, b"")[1], b"200 ok")
            floor = median_time(bare_cmd, b"", args.runs)
            with delaying_proxy(server, args.delay) as proxy:
                proxied = measure(proxy, openssl, cert, key, args.runs, "proxied")
    delay_ms = args.delay * 1000
    print(f"mTLS GET against openssl s_server -Verify 4 -verify_return_error -tls1_3 -www, "
          f"median of {args.runs} runs (whole processes)")
    print(f"  {'':<24}{'mtls-doctor probe':>18}{'openssl s_client':>18}{'ratio':>9}   target")
    rows = (("direct (loopback)", direct, 4.0), (f"via {delay_ms:g} ms proxy", proxied, 1.3))
    for name, (t_ours, t_theirs), target in rows:
        ratio = t_ours / t_theirs
        verdict = "met" if ratio <= target else "MISSED"
        print(f"  {name:<24}{t_ours * 1000:>15.1f} ms{t_theirs * 1000:>15.1f} ms{ratio:>8.2f}x"
              f"   <= {target:g}x ({verdict})")
    t_direct = direct[1]
    print(f"  floor: a bare pyOpenSSL handshake + GET script takes {floor * 1000:.1f} ms, "
          f"{floor / t_direct:.2f}x s_client (the interpreter and its imports); mtls-doctor is "
          f"{direct[0] / floor:.2f}x that floor")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
