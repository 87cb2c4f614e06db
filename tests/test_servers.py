"""Sanity tests for tests/servers.py: each loopback peer behaves as its docstring says.

The client is Python's :mod:`ssl`. The s_server matrix below is also the reference for the probe's
logic: under TLS 1.2 a rejected client certificate fails the *handshake*; under TLS 1.3 the
handshake completes on the client side and the server's alert arrives on the *first read*.
nginx never fails the handshake for a client certificate: it answers HTTP 400.
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import pytest
from cryptography import x509

from tests import servers
from tests.servers import (
    LOOPBACK,
    PLAIN_HTTP_RESPONSE,
    Server,
    ServerPKI,
    alert_server,
    black_hole,
    delaying_proxy,
    nginx_server,
    openssl_server,
    plain_http,
    refusing_port,
    reset_on_hello,
)

server_pki = servers.server_pki  # the session fixture, visible to this module

Stage = Literal["ok", "handshake", "read"]
ClientName = Literal["good", "rogue", "expired", "none"]
CLIENTS: tuple[ClientName, ...] = ("good", "rogue", "expired", "none")
API = "api.example.test"


@dataclass(frozen=True)
class Outcome:
    """Where one GET attempt ended: ``stage`` ok / handshake / read, and what was seen."""

    stage: Stage
    reason: str = ""  # ssl reason code (or exception class) of a failure
    version: str = ""  # negotiated TLS version once the handshake completed
    response: bytes = b""
    peer_der: bytes = b""

    @property
    def status(self) -> str:
        return self.response.split(b"\r\n", 1)[0].decode(errors="replace")

    def header(self, name: str) -> str | None:
        head = self.response.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
        for line in head.split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None

    @property
    def body(self) -> bytes:
        return self.response.split(b"\r\n\r\n", 1)[-1]

    def peer_sans(self) -> list[str]:
        cert = x509.load_der_x509_certificate(self.peer_der)
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        return ext.value.get_values_for_type(x509.DNSName)


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return reason if isinstance(reason, str) else type(exc).__name__


def client_context(pki: ServerPKI, client: ClientName, *, sni: bool = True,
                   tls: Literal["1.2", "1.3"] | None = None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=pki.ca_pem)
    ctx.check_hostname = sni
    if tls is not None:
        version = ssl.TLSVersion.TLSv1_2 if tls == "1.2" else ssl.TLSVersion.TLSv1_3
        ctx.minimum_version = ctx.maximum_version = version
    files = {"good": (pki.client_pem, pki.client_key), "rogue": (pki.rogue_pem, pki.rogue_key),
             "expired": (pki.expired_pem, pki.expired_key)}
    if client != "none":
        cert, key = files[client]
        ctx.load_cert_chain(cert, key)
    return ctx


def get(server: Server, ctx: ssl.SSLContext, *, sni: str | None = API, host: str | None = None,
        timeout: float = 5.0) -> Outcome:
    """Handshake, send one GET (Connection: close; Host ``host``, else the SNI name, else
    api.example.test) and read to EOF; report where it stopped. Timeouts and socket errors are
    outcomes too (reason = exception class name)."""
    with socket.create_connection((server.host, server.port), timeout=timeout) as raw:
        try:
            tls = ctx.wrap_socket(raw, server_hostname=sni)
        except (ssl.SSLError, OSError) as exc:
            return Outcome("handshake", _reason(exc))
        with tls:
            version = tls.version() or ""
            peer = tls.getpeercert(binary_form=True) or b""
            data = b""
            try:
                host = host or sni or API
                tls.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
                while chunk := tls.recv(65536):
                    data += chunk
            except (ssl.SSLError, OSError) as exc:
                return Outcome("read", _reason(exc), version, data, peer)
            return Outcome("ok", "", version, data, peer)


def assert_refused(port: int) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((LOOPBACK, port), timeout=2).close()


def threads_named(prefix: str) -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith(prefix) and t.is_alive()]


@contextmanager
def new_processes() -> Iterator[Callable[[], None]]:
    """Yields ``collect()``, which records the child processes servers.py started since the block
    began; on exit (after a last collect) asserts that every one was stopped and reaped."""
    before = set(servers._live)
    started: list[subprocess.Popen[bytes]] = []

    def collect() -> None:
        started.extend(p for p in servers._live - before if p not in started)

    try:
        yield collect
    finally:
        collect()
    for proc in started:
        assert proc.returncode is not None, proc.args
        with pytest.raises(ProcessLookupError):
            os.kill(proc.pid, 0)
    assert not (servers._live - before)


# -- the PKI -----------------------------------------------------------------------------------


def test_server_pki_files(server_pki: ServerPKI) -> None:
    pki = server_pki
    for path in (pki.ca_pem, pki.server_pem, pki.server_key, pki.wildcard_pem, pki.wildcard_key,
                 pki.client_pem, pki.client_key, pki.rogue_pem, pki.rogue_key, pki.expired_pem,
                 pki.expired_key, pki.rogue_ca_pem):
        assert path.parent == pki.dir and path.stat().st_size > 0
    assert x509.load_pem_x509_certificate(pki.server_pem.read_bytes()) == pki.server.cert
    assert pki.server.cert.issuer == pki.client.cert.issuer == pki.expired.cert.issuer == pki.ca.cert.subject
    assert pki.rogue.cert.issuer == pki.rogue_ca.cert.subject != pki.ca.cert.subject
    now = time.time()
    assert pki.expired.cert.not_valid_after_utc.timestamp() < now
    for issued in (pki.ca, pki.server, pki.wildcard, pki.client, pki.rogue):
        cert = issued.cert
        assert cert.not_valid_before_utc.timestamp() < now < cert.not_valid_after_utc.timestamp()


# -- openssl s_server: the behaviour matrix ---------------------------------------------------

OK: tuple[Stage, str] = ("ok", "")
#: (client_auth, tls) -> client -> (stage, ssl reason) as measured with Python's ssl (OpenSSL 3.0).
MATRIX: dict[tuple[str, str], dict[ClientName, tuple[Stage, str]]] = {
    ("required", "1.2"): {"good": OK, "rogue": ("handshake", "TLSV1_ALERT_UNKNOWN_CA"),
                          "expired": ("handshake", "SSLV3_ALERT_CERTIFICATE_EXPIRED"),
                          "none": ("handshake", "SSLV3_ALERT_HANDSHAKE_FAILURE")},
    ("required", "1.3"): {"good": OK, "rogue": ("read", "TLSV1_ALERT_UNKNOWN_CA"),
                          "expired": ("read", "SSLV3_ALERT_CERTIFICATE_EXPIRED"),
                          "none": ("read", "TLSV13_ALERT_CERTIFICATE_REQUIRED")},
    ("optional", "1.2"): {"good": OK, "rogue": ("handshake", "TLSV1_ALERT_UNKNOWN_CA"),
                          "expired": ("handshake", "SSLV3_ALERT_CERTIFICATE_EXPIRED"), "none": OK},
    ("optional", "1.3"): {"good": OK, "rogue": ("read", "TLSV1_ALERT_UNKNOWN_CA"),
                          "expired": ("read", "SSLV3_ALERT_CERTIFICATE_EXPIRED"), "none": OK},
    ("none", "1.2"): {"good": OK, "rogue": OK, "expired": OK, "none": OK},
    ("none", "1.3"): {"good": OK, "rogue": OK, "expired": OK, "none": OK},
}


@pytest.fixture(scope="module", params=list(MATRIX), ids=lambda p: f"{p[0]}-tls{p[1]}")
def s_server(request: pytest.FixtureRequest, server_pki: ServerPKI) -> Iterator[tuple[str, str, Server]]:
    auth, tls = request.param
    with openssl_server(server_pki, client_auth=auth, tls=tls) as server:
        yield auth, tls, server


@pytest.mark.parametrize("client", CLIENTS)
def test_openssl_server_matrix(s_server: tuple[str, str, Server], client: ClientName,
                               server_pki: ServerPKI) -> None:
    auth, tls, server = s_server
    outcome = get(server, client_context(server_pki, client))
    assert (outcome.stage, outcome.reason) == MATRIX[auth, tls][client], outcome
    if outcome.stage != "handshake":
        assert outcome.version == f"TLSv{tls}"
    if outcome.stage == "ok":
        assert outcome.status == "HTTP/1.0 200 ok"
        assert outcome.peer_sans() == [API]


def test_openssl_server_with_wildcard_certificate(server_pki: ServerPKI) -> None:
    with openssl_server(server_pki, client_auth="none", tls="1.3",
                        cert=server_pki.wildcard_pem, key=server_pki.wildcard_key) as server:
        outcome = get(server, client_context(server_pki, "none"), sni="www.example.test")
    assert outcome.stage == "ok", outcome
    assert outcome.peer_sans() == ["*.example.test"]


def test_openssl_server_stops_even_when_the_body_raises(server_pki: ServerPKI) -> None:
    with new_processes() as collect:
        with pytest.raises(KeyError), openssl_server(server_pki, client_auth="none", tls="1.2") as server:
            assert server.address() == f"127.0.0.1:{server.port}"
            collect()
            raise KeyError("boom")
        assert_refused(server.port)


def test_openssl_server_rejects_bad_arguments(server_pki: ServerPKI) -> None:
    with new_processes(), pytest.raises(ValueError, match="client_auth"), \
            openssl_server(server_pki, client_auth="maybe", tls="1.2"):  # type: ignore[arg-type]
        pass
    with new_processes(), pytest.raises(RuntimeError, match="did not start"), \
            openssl_server(server_pki, client_auth="none", tls="1.2", cert=server_pki.dir / "missing.pem"):
        pass


# -- nginx -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nginx(server_pki: ServerPKI) -> Iterator[Server]:
    with nginx_server(server_pki) as server:
        yield server


@pytest.mark.parametrize(("sni", "host", "san", "block"), [
    (API, API, API, API),
    ("www.example.test", "www.example.test", "*.example.test", "*.example.test"),
    (None, "www.example.test", "*.example.test", "*.example.test"),  # no SNI: the default server
    # The certificate follows SNI, but nginx routes the request by its Host header.
    (None, API, "*.example.test", API),
])
def test_nginx_picks_the_certificate_by_sni(nginx: Server, server_pki: ServerPKI, sni: str | None,
                                            host: str, san: str, block: str) -> None:
    outcome = get(nginx, client_context(server_pki, "good", sni=sni is not None), sni=sni, host=host)
    assert outcome.stage == "ok", outcome
    assert outcome.peer_sans() == [san]
    assert outcome.status == "HTTP/1.1 200 OK"
    assert outcome.header("X-Server-Block") == block
    assert outcome.body == b"ok\n"


@pytest.mark.parametrize("tls", ["1.2", "1.3"])
@pytest.mark.parametrize(("client", "status", "text"), [
    ("good", "HTTP/1.1 200 OK", b"ok\n"),
    ("none", "HTTP/1.1 400 Bad Request", b"No required SSL certificate was sent"),
    ("rogue", "HTTP/1.1 400 Bad Request", b"The SSL certificate error"),
    ("expired", "HTTP/1.1 400 Bad Request", b"The SSL certificate error"),
])
def test_nginx_answers_400_for_a_missing_or_bad_client_certificate(
        nginx: Server, server_pki: ServerPKI, tls: Literal["1.2", "1.3"], client: ClientName,
        status: str, text: bytes) -> None:
    outcome = get(nginx, client_context(server_pki, client, tls=tls))
    assert outcome.stage == "ok", outcome  # the handshake always completes
    assert outcome.version == f"TLSv{tls}"
    assert outcome.status == status
    assert text in outcome.body


@pytest.mark.parametrize(("verify", "client", "status"), [
    ("optional", "none", "HTTP/1.1 200 OK"),
    ("optional", "rogue", "HTTP/1.1 400 Bad Request"),
    ("off", "rogue", "HTTP/1.1 200 OK"),
])
def test_nginx_verify_client_modes(server_pki: ServerPKI, verify: Literal["optional", "off"],
                                   client: ClientName, status: str) -> None:
    with new_processes() as collect, nginx_server(server_pki, verify_client=verify) as server:
        collect()
        outcome = get(server, client_context(server_pki, client))
    assert outcome.stage == "ok", outcome
    assert outcome.status == status
    assert_refused(server.port)


def test_nginx_skips_when_not_installed(server_pki: ServerPKI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(servers, "_nginx_binary", lambda: None)
    with pytest.raises(pytest.skip.Exception, match="nginx is not installed"), nginx_server(server_pki):
        pass


# -- hostile peers -----------------------------------------------------------------------------


def test_refusing_port() -> None:
    assert_refused(refusing_port())


def test_black_hole_times_out(server_pki: ServerPKI) -> None:
    with black_hole() as server:
        started = time.monotonic()
        outcome = get(server, client_context(server_pki, "good"), timeout=0.5)
        assert (outcome.stage, outcome.reason) == ("handshake", "TimeoutError")
        assert time.monotonic() - started >= 0.4
        # The connection is accepted and stays open: plain TCP reads time out too.
        with socket.create_connection((server.host, server.port), timeout=0.3) as raw, \
                pytest.raises(TimeoutError):
            raw.recv(1)
    assert_refused(server.port)
    assert not threads_named("black-hole")


def test_plain_http(server_pki: ServerPKI) -> None:
    with plain_http() as server:
        outcome = get(server, client_context(server_pki, "good"))
        assert (outcome.stage, outcome.reason) == ("handshake", "WRONG_VERSION_NUMBER")
        with socket.create_connection((server.host, server.port), timeout=5) as raw:
            raw.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while chunk := raw.recv(4096):
                data += chunk
        assert data == PLAIN_HTTP_RESPONSE
    assert not threads_named("plain-http")


def test_reset_on_hello(server_pki: ServerPKI) -> None:
    with reset_on_hello() as server:
        outcome = get(server, client_context(server_pki, "good"))
    assert outcome.stage == "handshake"
    assert outcome.reason in ("ConnectionResetError", "UNEXPECTED_EOF_WHILE_READING", "EOF")


@pytest.mark.parametrize(("alert", "reason"), [
    (40, "SSLV3_ALERT_HANDSHAKE_FAILURE"),
    (70, "TLSV1_ALERT_PROTOCOL_VERSION"),
    (112, "TLSV1_UNRECOGNIZED_NAME"),
])
def test_alert_server(server_pki: ServerPKI, alert: int, reason: str) -> None:
    with alert_server(alert) as server:
        outcome = get(server, client_context(server_pki, "good"))
    assert (outcome.stage, outcome.reason) == ("handshake", reason)
    assert not threads_named(f"alert-{alert}")


def test_alert_server_default_is_handshake_failure(server_pki: ServerPKI) -> None:
    with alert_server() as server:
        outcome = get(server, client_context(server_pki, "none"))
    assert (outcome.stage, outcome.reason) == ("handshake", "SSLV3_ALERT_HANDSHAKE_FAILURE")


# -- the delaying proxy ------------------------------------------------------------------------


def test_delaying_proxy_adds_latency(server_pki: ServerPKI) -> None:
    delay = 0.1
    with openssl_server(server_pki, client_auth="required", tls="1.3") as target, \
            delaying_proxy(target, delay) as proxy:
        ctx = client_context(server_pki, "good")
        with socket.create_connection((proxy.host, proxy.port), timeout=10) as raw:
            started = time.monotonic()
            with ctx.wrap_socket(raw, server_hostname=API):
                handshake = time.monotonic() - started
        outcome = get(proxy, ctx)
    # A TLS 1.3 handshake needs one round trip, i.e. two one-way delays (loose lower bound only).
    assert handshake >= 2 * delay * 0.9
    assert outcome.stage == "ok", outcome
    assert outcome.status == "HTTP/1.0 200 ok"
    assert len(outcome.response) > 1000  # several TLS records, intact and in order
    assert_refused(proxy.port)
    assert not threads_named("delay-proxy")


def test_delaying_proxy_keeps_order_and_many_connections(server_pki: ServerPKI) -> None:
    def echo(conn: socket.socket, listener: servers._ThreadedListener) -> None:
        while data := conn.recv(65536):
            conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)

    payload = b"".join(i.to_bytes(4, "big") for i in range(50_000))

    def roundtrip(proxy: Server) -> bytes:
        with socket.create_connection((proxy.host, proxy.port), timeout=10) as conn:
            for i in range(0, len(payload), 1000):
                conn.sendall(payload[i:i + 1000])
            conn.shutdown(socket.SHUT_WR)
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
            return data

    with servers._serve(echo, "echo") as target, delaying_proxy(target, 0.01) as proxy, \
            ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(roundtrip, [proxy] * 40))
    assert all(result == payload for result in results)
    assert not threads_named("delay-proxy") and not threads_named("echo")


def test_delaying_proxy_to_nginx(nginx: Server, server_pki: ServerPKI) -> None:
    with delaying_proxy(nginx, 0.02) as proxy, ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(lambda _: get(proxy, client_context(server_pki, "good")), range(20)))
    assert [o.status for o in outcomes] == ["HTTP/1.1 200 OK"] * 20


@pytest.mark.parametrize(("tls", "stage"), [("1.2", "handshake"), ("1.3", "read")])
def test_delaying_proxy_forwards_rejections_in_order(server_pki: ServerPKI, tls: Literal["1.2", "1.3"],
                                                     stage: Stage) -> None:
    with openssl_server(server_pki, client_auth="required", tls=tls) as target, \
            delaying_proxy(target, 0.02) as proxy:
        outcome = get(proxy, client_context(server_pki, "rogue"))
    assert (outcome.stage, outcome.reason) == (stage, "TLSV1_ALERT_UNKNOWN_CA")


def test_delaying_proxy_forwards_a_reset_as_a_failure(server_pki: ServerPKI) -> None:
    with reset_on_hello() as target, delaying_proxy(target, 0.02) as proxy:
        outcome = get(proxy, client_context(server_pki, "good"))
    assert outcome.stage == "handshake"


def test_delaying_proxy_is_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback"), delaying_proxy(Server("192.0.2.1", 443), 0.1):
        pass
