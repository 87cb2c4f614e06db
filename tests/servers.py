"""Test-support TLS peers on loopback: real servers (``openssl s_server``, nginx) and hostile ones.

Everything here listens on ``127.0.0.1`` only, on a port the kernel picks, and is a context manager
that stops its peer on exit, also when the test body raises:

* :func:`make_server_pki` writes one small PKI to disk (CA, server leaves, good/rogue/expired
  clients). Validity windows are relative to the *real* clock, not :data:`tests.pki_factory.NOW`,
  because the servers verify client certificates against the real clock.
* :func:`openssl_server` runs ``openssl s_server -www`` (answers ``HTTP/1.0 200 ok``) with client
  authentication required, optional or off, and TLS 1.2 or 1.3 only.
* :func:`nginx_server` runs a private nginx (own prefix, config, logs and pid in a temp dir) with
  two SNI-selected ``server`` blocks: ``api.example.test`` (FQDN certificate) and the default
  ``*.example.test`` (wildcard certificate). It answers ``ok\\n``, or HTTP 400 for a missing or bad
  client certificate. Without nginx installed it calls :func:`pytest.skip`.
* Hostile peers, Python threads: :func:`refusing_port`, :func:`black_hole`, :func:`plain_http`,
  :func:`reset_on_hello`, :func:`alert_server`, and :func:`delaying_proxy` (adds latency).

Child processes run in their own session and are stopped by process group (SIGTERM, then SIGKILL),
always with timeouts. As further safety nets, children started from the main thread get a
parent-death signal (``setpriv --pdeathsig KILL`` where available), and any child still alive at
interpreter exit is killed by an ``atexit`` hook.

Fixture: :func:`server_pki` (session scope). A test module or conftest makes it visible with
``from tests.servers import server_pki  # noqa: F401`` (conftest) or
``server_pki = servers.server_pki`` (test module, avoids ruff's F811 on the parameter).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import queue
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pytest

from tests.pki_factory import PKI, Issued

__all__ = [
    "LOOPBACK",
    "PLAIN_HTTP_RESPONSE",
    "Server",
    "ServerPKI",
    "alert_server",
    "black_hole",
    "delaying_proxy",
    "make_server_pki",
    "nginx_server",
    "openssl_server",
    "plain_http",
    "refusing_port",
    "reset_on_hello",
    "server_pki",
]

#: The only address anything here listens on or connects to.
LOOPBACK = "127.0.0.1"
#: Seconds a server may take to start listening.
START_TIMEOUT = 15.0
#: Seconds a server (process or thread) may take to stop before it is killed / abandoned.
STOP_TIMEOUT = 5.0
#: Seconds a hostile peer waits for a client's bytes before giving up on that connection.
READ_TIMEOUT = 5.0
#: Polling interval of every wait loop.
_POLL = 0.02

ClientAuth = Literal["required", "optional", "none"]
TLSVersion = Literal["1.2", "1.3"]
VerifyClient = Literal["on", "optional", "off"]


# -- the PKI on disk ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerPKI:
    """Files on disk for one test PKI (all in ``dir``); keys are unencrypted PKCS#8 PEM.

    ``ca`` issues the server leaves and the good and expired clients; ``rogue`` is a client from
    the unrelated ``rogue_ca`` ("Rogue CA"). Validity is relative to the real clock at creation.
    """

    dir: Path
    ca: Issued
    ca_pem: Path
    server: Issued
    server_pem: Path
    server_key: Path
    wildcard: Issued
    wildcard_pem: Path
    wildcard_key: Path
    client: Issued
    client_pem: Path
    client_key: Path
    rogue: Issued
    rogue_pem: Path
    rogue_key: Path
    expired: Issued
    expired_pem: Path
    expired_key: Path
    rogue_ca: Issued
    rogue_ca_pem: Path


def _write(directory: Path, name: str, data: bytes, *, secret: bool = False) -> Path:
    path = directory / name
    path.write_bytes(data)
    if secret:
        path.chmod(0o600)
    return path


def make_server_pki(directory: Path) -> ServerPKI:
    """Issue the server-test PKI and write it to ``directory`` (created if missing).

    * ``ca.pem`` - "Test Server CA" (root); ``server.pem``/``server.key`` - ``api.example.test``
      (SAN ``DNS:api.example.test``, EKU serverAuth); ``wildcard.pem``/``wildcard.key`` -
      ``*.example.test`` (SAN ``DNS:*.example.test``, EKU serverAuth).
    * ``client.pem``/``client.key`` - good client (EKU clientAuth) from the CA;
      ``expired.pem``/``expired.key`` - same CA, expired yesterday;
      ``rogue.pem``/``rogue.key`` - client from ``rogue-ca.pem`` ("Rogue CA").
    """
    directory.mkdir(parents=True, exist_ok=True)
    # Real clock: s_server and nginx check validity against it. key_offset keeps these keys (and
    # so SKIs) apart from the conftest ``pki`` fixture's keys.
    pki = PKI(now=datetime.now(UTC).replace(microsecond=0), key_offset=1000)
    ca = pki.root("Test Server CA")
    server = pki.leaf(ca, "api.example.test", sans=("DNS:api.example.test",), eku=("serverAuth",))
    wildcard = pki.leaf(ca, "*.example.test", sans=("DNS:*.example.test",), eku=("serverAuth",))
    client = pki.leaf(ca, "client.example.test", eku=("clientAuth",))
    expired = pki.leaf(ca, "expired.example.test", eku=("clientAuth",), expired=True)
    rogue_ca = pki.root("Rogue CA")
    rogue = pki.leaf(rogue_ca, "rogue.example.test", eku=("clientAuth",))

    def pair(name: str, issued: Issued) -> tuple[Path, Path]:
        return (_write(directory, f"{name}.pem", issued.pem),
                _write(directory, f"{name}.key", issued.key_pem(), secret=True))

    server_pem, server_key = pair("server", server)
    wildcard_pem, wildcard_key = pair("wildcard", wildcard)
    client_pem, client_key = pair("client", client)
    rogue_pem, rogue_key = pair("rogue", rogue)
    expired_pem, expired_key = pair("expired", expired)
    return ServerPKI(
        dir=directory,
        ca=ca, ca_pem=_write(directory, "ca.pem", ca.pem),
        server=server, server_pem=server_pem, server_key=server_key,
        wildcard=wildcard, wildcard_pem=wildcard_pem, wildcard_key=wildcard_key,
        client=client, client_pem=client_pem, client_key=client_key,
        rogue=rogue, rogue_pem=rogue_pem, rogue_key=rogue_key,
        expired=expired, expired_pem=expired_pem, expired_key=expired_key,
        rogue_ca=rogue_ca, rogue_ca_pem=_write(directory, "rogue-ca.pem", rogue_ca.pem),
    )


@pytest.fixture(scope="session")
def server_pki(tmp_path_factory: pytest.TempPathFactory) -> ServerPKI:
    """The server-test PKI, written once per session to a temp dir."""
    return make_server_pki(tmp_path_factory.mktemp("server-pki"))


@dataclass(frozen=True)
class Server:
    """A listening loopback peer."""

    host: str
    port: int

    def address(self) -> str:
        """``HOST:PORT`` (IPv6 hosts in brackets), e.g. ``127.0.0.1:44321``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


# -- child processes ---------------------------------------------------------------------------

_live: set[subprocess.Popen[bytes]] = set()
_live_lock = threading.Lock()


def _kill_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    # The child leads its own session, so its group id is its pid (nginx workers, if any, too).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(sig)


def _stop_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, wait, then SIGKILL and wait again (bounded)."""
    try:
        # Signal only while the pid is not reaped yet, so it cannot belong to anyone else.
        if proc.poll() is None:
            _kill_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                _kill_group(proc, signal.SIGKILL)
                proc.wait(timeout=STOP_TIMEOUT)
    finally:
        with _live_lock:
            _live.discard(proc)


_reserved: list[socket.socket] = []


@atexit.register
def _stop_all() -> None:
    """Last resort at interpreter exit: stop children whose context was never exited."""
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        with contextlib.suppress(Exception):
            _stop_process(proc)
    for sock in _reserved:
        sock.close()


def _spawn(argv: Sequence[str], log_dir: Path, name: str) -> subprocess.Popen[bytes]:
    """Start ``argv`` in a new session with stdout/stderr in ``log_dir/name.{out,err}``."""
    cmd = list(argv)
    setpriv = shutil.which("setpriv")
    if setpriv is not None and threading.current_thread() is threading.main_thread():
        # The parent-death signal fires when the *creating thread* exits: main thread only.
        cmd = [setpriv, "--pdeathsig", "KILL", "--", *cmd]
    with open(log_dir / f"{name}.out", "wb") as out, open(log_dir / f"{name}.err", "wb") as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                start_new_session=True, cwd=log_dir)
    with _live_lock:
        _live.add(proc)
    return proc


def _tail(path: Path, limit: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return ""


def _logs(log_dir: Path, name: str) -> str:
    return (f"--- {name}.out ---\n{_tail(log_dir / f'{name}.out')}\n"
            f"--- {name}.err ---\n{_tail(log_dir / f'{name}.err')}")


def _wait_for_tcp(port: int, proc: subprocess.Popen[bytes], deadline: float) -> None:
    """Until ``deadline``: return once ``LOOPBACK:port`` accepts TCP; raise if ``proc`` exits."""
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with status {proc.returncode} before accepting connections")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{LOOPBACK}:{port} did not accept TCP connections in time")
        time.sleep(_POLL)


_ACCEPT_RE = re.compile(rb"^ACCEPT (\S+):(\d+)\s*$", re.MULTILINE)


def _wait_for_accept_line(out: Path, proc: subprocess.Popen[bytes], deadline: float) -> tuple[str, int]:
    while True:
        match = _ACCEPT_RE.search(out.read_bytes())
        if match is not None:
            return match.group(1).decode(), int(match.group(2))
        if proc.poll() is not None:
            raise RuntimeError(f"exited with status {proc.returncode} before printing ACCEPT")
        if time.monotonic() > deadline:
            raise TimeoutError("no 'ACCEPT host:port' line in time")
        time.sleep(_POLL)


_CLIENT_AUTH_ARGS: dict[str, tuple[str, ...]] = {
    "required": ("-Verify", "4", "-verify_return_error"),
    "optional": ("-verify", "4", "-verify_return_error"),
    "none": (),
}


@contextmanager
def openssl_server(
    pki: ServerPKI,
    *,
    client_auth: ClientAuth,
    tls: TLSVersion,
    cert: Path | None = None,
    key: Path | None = None,
    extra: Sequence[str] = (),
) -> Iterator[Server]:
    """Run ``openssl s_server -www`` on ``127.0.0.1:<free port>`` for the duration of the block.

    ``client_auth``: ``"required"`` (``-Verify 4 -verify_return_error``: no or bad client
    certificate fails), ``"optional"`` (``-verify 4 -verify_return_error``: no certificate is fine, a
    bad one fails), ``"none"`` (no certificate request). ``tls``: only that version is offered.
    Client certificates are verified against ``pki.ca_pem``. ``cert``/``key`` replace the FQDN
    server certificate (``cert`` alone: the key is read from the same file); ``extra`` is
    appended to the command line (note: the readiness check makes one TCP connection, which
    counts against an ``-naccept`` given there). Every request is answered ``HTTP/1.0 200 ok``
    plus an HTML status page; s_server handles one connection at a time.
    """
    if client_auth not in _CLIENT_AUTH_ARGS:
        raise ValueError(f"client_auth must be one of {sorted(_CLIENT_AUTH_ARGS)}, not {client_auth!r}")
    if tls not in ("1.2", "1.3"):
        raise ValueError(f"tls must be '1.2' or '1.3', not {tls!r}")
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command line is not installed (apt-get install openssl)")
    argv = [openssl, "s_server", "-accept", f"{LOOPBACK}:0", "-www", "-CAfile", str(pki.ca_pem),
            "-tls1_2" if tls == "1.2" else "-tls1_3", *_CLIENT_AUTH_ARGS[client_auth]]
    if cert is None:
        argv += ["-cert", str(pki.server_pem), "-key", str(key or pki.server_key)]
    else:
        argv += ["-cert", str(cert)] + (["-key", str(key)] if key is not None else [])
    argv += list(extra)
    with tempfile.TemporaryDirectory(prefix="s_server-") as tmp:
        log_dir = Path(tmp)
        proc = _spawn(argv, log_dir, "s_server")
        try:
            deadline = time.monotonic() + START_TIMEOUT
            try:
                host, port = _wait_for_accept_line(log_dir / "s_server.out", proc, deadline)
                if host != LOOPBACK:
                    raise RuntimeError(f"s_server listens on {host}, expected {LOOPBACK}")
                _wait_for_tcp(port, proc, deadline)
            except (RuntimeError, TimeoutError) as exc:
                raise RuntimeError(f"openssl s_server did not start: {exc}\n{' '.join(argv)}\n"
                                   f"{_logs(log_dir, 's_server')}") from exc
            yield Server(LOOPBACK, port)
        finally:
            _stop_process(proc)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _nginx_binary() -> str | None:
    found = shutil.which("nginx")
    if found is not None:
        return found
    for candidate in ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def _q(path: Path) -> str:
    """A path as an nginx config string literal."""
    return '"' + str(path).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _nginx_conf(pki: ServerPKI, prefix: Path, port: int, verify_client: VerifyClient) -> str:
    user = "user root;\n" if os.geteuid() == 0 else ""

    def block(name: str, cert: Path, key: Path, *, default: bool) -> str:
        return (
            "    server {\n"
            f"        listen {LOOPBACK}:{port} ssl{' default_server' if default else ''};\n"
            f"        server_name {name};\n"
            f"        ssl_certificate {_q(cert)};\n"
            f"        ssl_certificate_key {_q(key)};\n"
            f"        ssl_client_certificate {_q(pki.ca_pem)};\n"
            f"        ssl_verify_client {verify_client};\n"
            "        ssl_verify_depth 4;\n"
            f"        add_header X-Server-Block {name} always;\n"
            '        location / { return 200 "ok\\n"; }\n'
            "    }\n"
        )

    tmp = prefix / "tmp"
    return (
        "# generated by tests/servers.py - a private nginx for tests\n"
        f"{user}"
        "daemon off;\n"
        "master_process off;\n"
        "worker_processes 1;\n"
        f"pid {_q(prefix / 'nginx.pid')};\n"
        f"error_log {_q(prefix / 'error.log')} info;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        f"    access_log {_q(prefix / 'access.log')};\n"
        f"    client_body_temp_path {_q(tmp / 'body')};\n"
        f"    proxy_temp_path {_q(tmp / 'proxy')};\n"
        f"    fastcgi_temp_path {_q(tmp / 'fastcgi')};\n"
        f"    uwsgi_temp_path {_q(tmp / 'uwsgi')};\n"
        f"    scgi_temp_path {_q(tmp / 'scgi')};\n"
        "    default_type text/plain;\n"
        "    keepalive_timeout 5s;\n"
        "    ssl_protocols TLSv1.2 TLSv1.3;\n"
        + block("*.example.test", pki.wildcard_pem, pki.wildcard_key, default=True)
        + block("api.example.test", pki.server_pem, pki.server_key, default=False)
        + "}\n"
    )


@contextmanager
def nginx_server(pki: ServerPKI, *, verify_client: VerifyClient = "on") -> Iterator[Server]:
    """Run a private nginx on ``127.0.0.1:<free port>`` for the duration of the block.

    Two ``server`` blocks on the one port, chosen by SNI: ``api.example.test`` presents
    ``pki.server_pem``; ``*.example.test`` (also the default server, used without SNI or for any
    other name) presents ``pki.wildcard_pem``. Both: ``ssl_verify_client <verify_client>``,
    ``ssl_client_certificate ca.pem``, ``ssl_verify_depth 4``, ``return 200 "ok\\n"`` and a
    ``X-Server-Block`` response header naming the block. nginx completes the handshake even for
    a missing or bad client certificate and answers HTTP 400 ("No required SSL certificate was
    sent" / "The SSL certificate error"). TLS 1.2 and 1.3; ``keepalive_timeout 5s``.
    Skips the test when nginx is not installed.
    """
    if verify_client not in ("on", "optional", "off"):
        raise ValueError(f"verify_client must be 'on', 'optional' or 'off', not {verify_client!r}")
    nginx = _nginx_binary()
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install nginx); the nginx peer tests need it")
    with tempfile.TemporaryDirectory(prefix="nginx-") as tmp:
        prefix = Path(tmp)
        (prefix / "tmp").mkdir()
        conf = prefix / "nginx.conf"
        errors: list[str] = []
        for attempt in range(5):  # the free port may be taken between probing and nginx's bind
            port = _free_port()
            conf.write_text(_nginx_conf(pki, prefix, port, verify_client), encoding="utf-8")
            name = f"nginx-{attempt}"
            argv = [nginx, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
            proc = _spawn(argv, prefix, name)
            try:
                _wait_for_tcp(port, proc, time.monotonic() + START_TIMEOUT)
            except (RuntimeError, TimeoutError) as exc:
                _stop_process(proc)
                log = _tail(prefix / "error.log")
                errors.append(f"attempt {attempt}: {exc}\n{_logs(prefix, name)}\n--- error.log ---\n{log}")
                if "Address already in use" in log:
                    (prefix / "error.log").unlink(missing_ok=True)
                    continue
                break
            try:
                yield Server(LOOPBACK, port)
            finally:
                _stop_process(proc)
            return
        raise RuntimeError("nginx did not start:\n" + "\n".join(errors))


# -- hostile peers (threads) -------------------------------------------------------------------

def refusing_port() -> int:
    """A loopback port where nothing listens: connecting gets ``ConnectionRefusedError``.

    The port stays bound (never listening) by a socket held for the rest of the process, so no
    other test can start listening on it meanwhile.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((LOOPBACK, 0))
    _reserved.append(sock)
    port: int = sock.getsockname()[1]
    return port


class _ThreadedListener:
    """Accepts on a loopback port in a thread and runs ``handler(conn, listener)`` per connection
    in its own daemon thread. :meth:`close` stops accepting, shuts every tracked socket down and
    joins every thread (bounded by :data:`STOP_TIMEOUT`)."""

    def __init__(self, handler: Handler, name: str) -> None:
        self._handler = handler
        self._name = name
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self._sock.bind((LOOPBACK, 0))
            self._sock.listen(128)
            self._sock.settimeout(0.1)
        except OSError:
            self._sock.close()
            raise
        self.port: int = self._sock.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_loop, name=f"{name}-accept", daemon=True)
        self._acceptor.start()

    def track(self, sock: socket.socket) -> None:
        """Shut ``sock`` down and close it on :meth:`close` (handlers call this for sockets they
        open); shut down at once when already stopping."""
        with self._lock:
            self._conns = [c for c in self._conns if c.fileno() != -1]
            self._conns.append(sock)
        if self.stop.is_set():
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def spawn(self, target: Callable[[], None], name: str) -> None:
        """Run ``target`` in a daemon thread that :meth:`close` joins."""
        thread = threading.Thread(target=target, name=f"{self._name}-{name}", daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            self.track(conn)
            self.spawn(functools.partial(self._run, conn), "conn")

    def _run(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            self._handler(conn, self)

    def close(self) -> None:
        self.stop.set()
        self._acceptor.join(STOP_TIMEOUT)
        self._sock.close()
        deadline = time.monotonic() + STOP_TIMEOUT
        while True:
            with self._lock:
                conns = list(self._conns)
                threads = [t for t in self._threads if t.is_alive()]
            for conn in conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            remaining = deadline - time.monotonic()
            if not threads or remaining <= 0:
                break
            for thread in threads:
                thread.join(min(0.1, max(0.0, deadline - time.monotonic())))
        for conn in conns:
            conn.close()


Handler = Callable[[socket.socket, _ThreadedListener], None]


@contextmanager
def _serve(handler: Handler, name: str) -> Iterator[Server]:
    listener = _ThreadedListener(handler, name)
    try:
        yield Server(LOOPBACK, listener.port)
    finally:
        listener.close()


def _recv_exactly(conn: socket.socket, size: int, stop: threading.Event) -> bytes:
    """Up to ``size`` bytes: fewer on EOF, on ``stop`` or after :data:`READ_TIMEOUT`."""
    conn.settimeout(0.1)
    deadline = time.monotonic() + READ_TIMEOUT
    data = b""
    while len(data) < size and not stop.is_set() and time.monotonic() < deadline:
        try:
            chunk = conn.recv(size - len(data))
        except TimeoutError:
            continue
        if not chunk:
            break
        data += chunk
    return data


def _read_client_hello(conn: socket.socket, stop: threading.Event) -> bytes:
    """The first TLS record (normally the whole ClientHello), or whatever arrived instead."""
    header = _recv_exactly(conn, 5, stop)
    if len(header) < 5 or header[0] != 0x16:
        return header
    return header + _recv_exactly(conn, int.from_bytes(header[3:5], "big"), stop)


def _drain_until_closed(conn: socket.socket, stop: threading.Event, limit_s: float = 2.0) -> None:
    """Read and discard until the peer closes, ``stop``, or ``limit_s`` (avoids an RST that could
    destroy bytes we sent but the peer has not read yet)."""
    conn.settimeout(0.1)
    deadline = time.monotonic() + limit_s
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            if not conn.recv(4096):
                return
        except TimeoutError:
            continue


@contextmanager
def black_hole() -> Iterator[Server]:
    """Accepts TCP and never sends a byte; connections stay open until the block exits."""

    def handler(conn: socket.socket, listener: _ThreadedListener) -> None:
        listener.stop.wait()

    with _serve(handler, "black-hole") as server:
        yield server


#: What :func:`plain_http` answers to anything.
PLAIN_HTTP_RESPONSE = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"


@contextmanager
def plain_http() -> Iterator[Server]:
    """A plain-HTTP port: reads a little, answers :data:`PLAIN_HTTP_RESPONSE` in clear text and
    closes (what a TLS client sees when it speaks TLS to an HTTP port)."""

    def handler(conn: socket.socket, listener: _ThreadedListener) -> None:
        _read_client_hello(conn, listener.stop)
        conn.sendall(PLAIN_HTTP_RESPONSE)
        conn.shutdown(socket.SHUT_WR)
        _drain_until_closed(conn, listener.stop)
        conn.close()

    with _serve(handler, "plain-http") as server:
        yield server


@contextmanager
def reset_on_hello() -> Iterator[Server]:
    """Reads the ClientHello, then closes with ``SO_LINGER 0``: the client gets a TCP RST."""

    def handler(conn: socket.socket, listener: _ThreadedListener) -> None:
        _read_client_hello(conn, listener.stop)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    with _serve(handler, "reset") as server:
        yield server


@contextmanager
def alert_server(alert: int = 40) -> Iterator[Server]:
    """Reads the ClientHello, sends one fatal TLS alert record ``15 03 03 00 02 02 <alert>``
    (40 = handshake_failure) and closes."""
    if not 0 <= alert <= 255:
        raise ValueError(f"alert must be a byte, not {alert}")
    record = bytes([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, alert])

    def handler(conn: socket.socket, listener: _ThreadedListener) -> None:
        _read_client_hello(conn, listener.stop)
        conn.sendall(record)
        conn.shutdown(socket.SHUT_WR)
        _drain_until_closed(conn, listener.stop)
        conn.close()

    with _serve(handler, f"alert-{alert}") as server:
        yield server


@contextmanager
def delaying_proxy(target: Server, delay_s: float) -> Iterator[Server]:
    """A loopback TCP proxy to ``target`` that delays every chunk by ``delay_s`` in each direction.

    Chunks are pipelined (each is held ``delay_s`` after it arrived, then forwarded in order), so
    it behaves like a link with ``delay_s`` one-way latency: a round trip costs ``2 * delay_s``.
    EOF (half-close) and errors are forwarded in order behind the data, after the same delay; an
    error shuts both sides down. Any number of concurrent connections, five threads each.
    """
    if delay_s < 0:
        raise ValueError("delay_s must be >= 0")
    if target.host not in (LOOPBACK, "::1", "localhost"):
        raise ValueError(f"delaying_proxy forwards to loopback only, not {target.host!r}")

    def handler(client: socket.socket, listener: _ThreadedListener) -> None:
        stop = listener.stop
        try:
            upstream = socket.create_connection((target.host, target.port), timeout=READ_TIMEOUT)
        except OSError:
            client.close()
            return
        listener.track(upstream)
        upstream.settimeout(None)
        finished = threading.Semaphore(0)

        def abort() -> None:
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        def pump(src: socket.socket, dst: socket.socket, label: str) -> None:
            # (due, data); data b"" = EOF (forward a half-close), None = error (shut both down).
            chunks: queue.Queue[tuple[float, bytes | None]] = queue.Queue()

            def reader() -> None:
                end: bytes | None = b""
                try:
                    while data := src.recv(65536):
                        chunks.put((time.monotonic() + delay_s, data))
                except OSError:
                    end = None
                finally:
                    # EOF and errors travel in order behind the data, delayed like it.
                    chunks.put((time.monotonic() + delay_s, end))

            def writer() -> None:
                try:
                    while not stop.is_set():
                        try:
                            due, data = chunks.get(timeout=0.1)
                        except queue.Empty:
                            continue
                        if stop.wait(max(0.0, due - time.monotonic())):
                            return
                        if data is None:
                            abort()
                            return
                        if not data:
                            dst.shutdown(socket.SHUT_WR)
                            return
                        dst.sendall(data)
                except OSError:
                    abort()
                finally:
                    finished.release()

            listener.spawn(reader, f"{label}-read")
            listener.spawn(writer, f"{label}-write")

        pump(client, upstream, "up")
        pump(upstream, client, "down")
        for _ in range(2):
            while not finished.acquire(timeout=0.1):
                if stop.is_set():
                    return
        client.close()
        upstream.close()

    with _serve(handler, "delay-proxy") as server:
        yield server
