"""`mtls-doctor probe` against real loopback peers: openssl s_server, nginx and hostile sockets.

Every peer listens on 127.0.0.1 only (tests/servers.py); the probe is told `--connect 127.0.0.1`
so that HOST stays the SNI name and Host header. The whole probe is bounded by `--timeout` (one
deadline for every step) and every test by pytest-timeout; elapsed time is only held to the
contract's loose bound (the command ends within its timeout + 2 s), never to a tight figure.

Reference behaviour (tests/test_servers.py): s_server fails a TLS 1.2 handshake for a missing or
bad client certificate and, under TLS 1.3, sends its alert after the handshake (the probe's first
read); nginx completes the handshake and answers HTTP 400.
"""

from __future__ import annotations

import contextlib
import itertools
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests import servers
from tests.conftest import Run
from tests.pki_factory import p12
from tests.servers import (
    LOOPBACK,
    Server,
    ServerPKI,
    alert_server,
    black_hole,
    nginx_server,
    openssl_server,
    plain_http,
    refusing_port,
    reset_on_hello,
)

server_pki = servers.server_pki  # the session fixture, visible to this module

API = "api.example.test"
CA_NAME = "CN=Test Server CA"
ROGUE_CA_NAME = "CN=Rogue CA"
#: the whole probe's deadline; generous for a loaded CI machine, never reached by a healthy
#: loopback peer
STEP_TIMEOUT = "5"

CLI = Callable[..., Run]
Pool = Callable[[str, str], Server]


# -- helpers -----------------------------------------------------------------------------------


def client_files(pki: ServerPKI, client: str) -> list[str]:
    """`--cert/--key` for one of the server PKI's clients ("none": no options)."""
    pairs = {"good": (pki.client_pem, pki.client_key), "rogue": (pki.rogue_pem, pki.rogue_key),
             "expired": (pki.expired_pem, pki.expired_key)}
    if client == "none":
        return []
    cert, key = pairs[client]
    return ["--cert", str(cert), "--key", str(key)]


def probe(cli: CLI, port: int, *extra: str, host: str = API, json_out: bool = True) -> Run:
    """`mtls-doctor probe HOST:PORT --connect 127.0.0.1 --timeout 5 EXTRA...`."""
    return cli("probe", f"{host}:{port}", "--connect", LOOPBACK, "--timeout", STEP_TIMEOUT, *extra,
               json_out=json_out)


def payload(run: Run) -> dict[str, Any]:
    assert run.rc in (0, 1), run.err
    assert run.err == ""
    result: dict[str, Any] = run.doc["probe"]
    return result


def only(run: Run, finding_id: str) -> dict[str, Any]:
    found = run.findings(finding_id)
    assert len(found) == 1, run.ids()
    return found[0]


def errors(run: Run) -> list[str]:
    return [f["id"] for f in run.doc["findings"] if f["severity"] == "error"]


@pytest.fixture(scope="module")
def s_server(server_pki: ServerPKI) -> Iterator[Pool]:
    """`s_server(auth, tls)`: one openssl s_server per combination, started on first use and
    shared by the module (s_server serves one connection after another)."""
    with contextlib.ExitStack() as stack:
        started: dict[tuple[str, str], Server] = {}

        def get(auth: str, tls: str) -> Server:
            if (auth, tls) not in started:
                started[auth, tls] = stack.enter_context(
                    openssl_server(server_pki, client_auth=auth, tls=tls))  # type: ignore[arg-type]
            return started[auth, tls]

        yield get


@pytest.fixture(scope="module")
def nginx(server_pki: ServerPKI) -> Iterator[Server]:
    with nginx_server(server_pki, verify_client="on") as server:
        yield server


# -- openssl s_server: client auth required / optional / none x TLS 1.2 / 1.3 x four clients ---


@dataclass(frozen=True)
class Expect:
    """What one probe of s_server must report."""

    outcome: str
    alert: str | None = None  # client_certificate.alert
    error_alert: str | None = None  # error.alert (the alert that ended the exchange)
    status: int | None = 200
    required: bool | None = None
    finding: str | None = None  # the mTLS finding, if any
    severity: str | None = None
    rc: int = 0


def expect(auth: str, tls: str, client: str) -> Expect:
    if auth == "none":
        return Expect("not_requested", finding="MTLS_NOT_REQUESTED", severity="error", rc=1)
    if client == "good":
        return Expect("accepted")
    if client in ("rogue", "expired"):
        alert = "unknown_ca" if client == "rogue" else "certificate_expired"
        return Expect("rejected", alert, alert, None, None, "MTLS_CLIENT_CERT_REJECTED", "error", 1)
    if auth == "optional":
        return Expect("not_presented", required=False, finding="MTLS_NO_CLIENT_CERT_GIVEN",
                      severity="info")
    # required, no certificate: the server ends the exchange; client_auth.required says why
    alert = "handshake_failure" if tls == "1.2" else "certificate_required"
    return Expect("not_presented", alert, alert, None, True, "MTLS_NO_CLIENT_CERT_GIVEN", "info", 0)


MATRIX = list(itertools.product(("required", "optional", "none"), ("1.2", "1.3"),
                                ("good", "rogue", "expired", "none")))


@pytest.mark.parametrize(("auth", "tls", "client"), MATRIX,
                         ids=[f"{a}-tls{t}-{c}" for a, t, c in MATRIX])
def test_openssl_server_matrix(cli: CLI, s_server: Pool, server_pki: ServerPKI, auth: str, tls: str,
                               client: str) -> None:
    server = s_server(auth, tls)
    run = probe(cli, server.port, *client_files(server_pki, client))
    p, want = payload(run), expect(auth, tls, client)

    assert p["tls_version"] == f"TLSv{tls}"
    assert p["hostname_match"]["matched_by"] == f"DNS:{API}"
    requested = auth != "none"
    assert p["client_auth"] == {"requested": requested, "required": want.required,
                                "acceptable_ca_names": [CA_NAME] if requested else []}
    cc = p["client_certificate"]
    assert (cc["presented"], cc["outcome"], cc["alert"]) == (
        requested and client != "none", want.outcome, want.alert)
    assert (p["http"] or {}).get("status") == want.status
    if want.error_alert is None:
        assert p["error"] is None
    else:
        # TLS 1.2 fails the handshake; TLS 1.3 delivers the alert on the first read
        assert p["error"]["kind"] == "tls_alert"
        assert p["error"]["alert"] == want.error_alert
        assert p["error"]["step"] == ("handshake" if tls == "1.2" else "response")

    mtls_ids = {"MTLS_NOT_REQUESTED", "MTLS_CLIENT_CERT_REJECTED", "MTLS_NO_CLIENT_CERT_GIVEN",
                "PROBE_HANDSHAKE_FAILED"}
    assert [i for i in run.ids() if i in mtls_ids] == ([want.finding] if want.finding else [])
    if want.finding:
        f = only(run, want.finding)
        assert f["severity"] == want.severity
        if want.finding == "MTLS_CLIENT_CERT_REJECTED":
            assert f["evidence"]["alert"] == want.alert
            assert want.alert is not None and want.alert in f["title"]
        if want.finding == "MTLS_NO_CLIENT_CERT_GIVEN":
            assert f["evidence"]["required"] is want.required
            assert f["evidence"]["acceptable_ca_names"] == [CA_NAME]
    assert run.rc == want.rc, run.ids()
    assert run.rc == (1 if errors(run) else 0)


@pytest.mark.parametrize("tls", ["1.2", "1.3"])
def test_rogue_client_issuer_is_not_among_acceptable_ca_names(cli: CLI, s_server: Pool,
                                                               server_pki: ServerPKI, tls: str) -> None:
    run = probe(cli, s_server("required", tls).port, *client_files(server_pki, "rogue"))
    f = only(run, "MTLS_CLIENT_CERT_REJECTED")
    assert f"issuer {ROGUE_CA_NAME} is not among the CA names the server accepts" in f["detail"]
    assert CA_NAME in f["detail"]
    assert f["evidence"]["issuer"] == ROGUE_CA_NAME
    assert f["evidence"]["issuer_in_acceptable_ca_names"] is False
    assert f["subject"] == "CN=rogue.example.test"


@pytest.mark.parametrize(("tls", "alert"), [("1.2", "handshake_failure"),
                                            ("1.3", "certificate_required")])
def test_required_server_alert_without_a_certificate_is_the_client_certificate_alert(
        cli: CLI, s_server: Pool, tls: str, alert: str) -> None:
    p = payload(probe(cli, s_server("required", tls).port))
    assert p["client_certificate"]["outcome"] == "not_presented"
    assert p["client_certificate"]["alert"] == alert


# -- nginx: certificate chosen by SNI, HTTP 400 for a missing or bad client certificate ---------


@pytest.mark.parametrize(("host", "subject", "matched_by"), [
    (API, f"CN={API}", f"DNS:{API}"),
    ("other.example.test", "CN=*.example.test", "DNS:*.example.test"),
])
def test_nginx_serves_the_certificate_chosen_by_sni(cli: CLI, nginx: Server, server_pki: ServerPKI,
                                                    host: str, subject: str, matched_by: str) -> None:
    run = probe(cli, nginx.port, *client_files(server_pki, "good"), host=host)
    p = payload(run)
    assert p["sni"] == host
    assert p["served_chain"][0]["subject"] == subject
    assert p["hostname_match"] == {"host": host, "matches": True, "matched_by": matched_by,
                                   "reason": p["hostname_match"]["reason"]}
    assert p["client_certificate"]["outcome"] == "accepted"
    assert p["http"]["status"] == 200
    # nginx routes by the Host header: the block that answered names the probed host's block
    assert p["http"]["headers"]["x-server-block"] == (API if host == API else "*.example.test")
    assert "SERVER_HOSTNAME_MISMATCH" not in run.ids()
    assert run.rc == 0, run.ids()


def test_nginx_without_a_certificate_reads_http_400_as_required(cli: CLI, nginx: Server) -> None:
    run = probe(cli, nginx.port)
    p = payload(run)
    assert p["error"] is None
    assert p["http"]["status"] == 400
    assert p["client_auth"] == {"requested": True, "required": True,
                                "acceptable_ca_names": [CA_NAME]}
    assert p["client_certificate"]["outcome"] == "not_presented"
    f = only(run, "MTLS_NO_CLIENT_CERT_GIVEN")
    assert (f["severity"], f["evidence"]["required"]) == ("info", True)
    assert run.rc == 0, run.ids()


def test_nginx_rejects_a_rogue_client_with_http_400(cli: CLI, nginx: Server,
                                                    server_pki: ServerPKI) -> None:
    run = probe(cli, nginx.port, *client_files(server_pki, "rogue"))
    p = payload(run)
    assert p["error"] is None  # nginx completes the handshake
    assert p["http"]["status"] == 400
    assert "The SSL certificate error" in p["http"]["body"]
    assert p["client_certificate"] == {"presented": True, "outcome": "rejected", "alert": None,
                                       "subject": "CN=rogue.example.test", "issuer": ROGUE_CA_NAME}
    f = only(run, "MTLS_CLIENT_CERT_REJECTED")
    assert f["severity"] == "error"
    assert f["evidence"]["alert"] is None
    assert "HTTP 400" in f["title"]
    assert "The SSL certificate error" in f["title"]
    assert f["evidence"]["issuer_in_acceptable_ca_names"] is False
    assert run.rc == 1


def test_nginx_rejection_title_is_one_line(cli: CLI, nginx: Server, server_pki: ServerPKI) -> None:
    f = only(probe(cli, nginx.port, *client_files(server_pki, "rogue")), "MTLS_CLIENT_CERT_REJECTED")
    assert "\n" not in f["title"]


def test_nginx_wildcard_does_not_cover_a_name_one_label_deeper(cli: CLI, nginx: Server,
                                                                server_pki: ServerPKI) -> None:
    host = "a.b.example.test"
    run = probe(cli, nginx.port, *client_files(server_pki, "good"), host=host)
    p = payload(run)
    assert p["sni"] == host
    assert p["served_chain"][0]["subject"] == "CN=*.example.test"
    assert p["hostname_match"]["matches"] is False
    assert p["hostname_match"]["matched_by"] is None
    f = only(run, "SERVER_HOSTNAME_MISMATCH")
    assert f["severity"] == "error"
    assert "*.example.test covers exactly one label in place of '*'" in f["detail"]
    assert f"{host} has 2 labels there" in f["detail"]
    assert f["evidence"] == {"host": host, "sans": ["DNS:*.example.test"]}
    assert p["client_certificate"]["outcome"] == "accepted"  # the mismatch is the only error
    assert errors(run) == ["SERVER_HOSTNAME_MISMATCH"]
    assert run.rc == 1


# -- hostile peers -------------------------------------------------------------------------------


def test_refused_connection(cli: CLI) -> None:
    port = refusing_port()
    run = probe(cli, port)
    p = payload(run)
    assert p["address"] is None
    assert p["error"]["kind"] == "refused"
    assert p["error"]["step"] == "connect"
    assert (p["tls_version"], p["http"], p["served_chain"]) == (None, None, [])
    f = only(run, "PROBE_CONNECTION_REFUSED")
    assert f["location"] == f"127.0.0.1:{port}"
    assert run.ids() == ["PROBE_CONNECTION_REFUSED"]
    assert run.rc == 1
    checks = {c["id"]: c["status"] for c in run.doc["checks"]}
    assert checks.pop("probe.connect") == "fail"
    # nothing after the connect was reached: undecided, except what was not wanted (no --cert)
    assert checks.pop("probe.client_certificate") == "skip"
    assert set(checks.values()) == {"unknown"}


@pytest.mark.timeout(60)
def test_black_hole_times_out_in_the_handshake(cli: CLI) -> None:
    with black_hole() as server:
        run = cli("probe", f"{API}:{server.port}", "--connect", LOOPBACK, "--timeout", "1")
    p = payload(run)
    assert p["address"] == f"127.0.0.1:{server.port}"
    assert p["error"]["kind"] == "timeout"
    assert p["error"]["step"] == "handshake"
    assert (p["http"], p["served_chain"]) == (None, [])
    f = only(run, "PROBE_TIMEOUT")
    assert f["evidence"]["step"] == "handshake"
    assert errors(run) == ["PROBE_TIMEOUT"]
    assert run.rc == 1


@pytest.mark.timeout(60)
def test_handshake_timeout_after_a_connect_is_the_handshakes_check(cli: CLI) -> None:
    # The port accepts TCP and never answers the ClientHello: the name resolved and the port
    # answered (probe.connect passes); the handshake was cut short, so probe.tls is undecided,
    # never "✗ name resolves and the port answers".
    with black_hole() as server:
        start = time.monotonic()
        run = cli("probe", f"{API}:{server.port}", "--connect", LOOPBACK, "--timeout", "2")
        elapsed = time.monotonic() - start
    checks = {c["id"]: c for c in run.doc["checks"]}
    assert checks["probe.connect"]["status"] == "pass"
    tls = checks["probe.tls"]
    assert tls["status"] == "unknown"
    assert "handshake" in tls["detail"] and "timed out" in tls["detail"]
    assert [c["id"] for c in run.doc["checks"] if c["status"] == "pass"] == ["probe.connect"]
    f = only(run, "PROBE_TIMEOUT")
    assert f["evidence"]["step"] == "handshake"
    assert f["evidence"]["kind"] == "timeout"
    assert run.rc == 1
    assert elapsed < 2 + 2  # the contract's bound: --timeout + 2 s


@pytest.mark.parametrize(("peer", "finding", "kind"), [
    (plain_http, "PROBE_NOT_TLS", "not_tls"),
    (reset_on_hello, "PROBE_CONNECTION_RESET", "reset"),
])
def test_peer_that_does_not_speak_tls(cli: CLI, peer: Callable[[], AbstractContextManager[Server]],
                                      finding: str, kind: str) -> None:
    with peer() as server:
        run = probe(cli, server.port)
    p = payload(run)
    assert p["error"]["kind"] == kind
    assert p["error"]["step"] == "handshake"
    assert p["served_chain"] == []
    assert errors(run) == [finding]
    assert run.rc == 1


@pytest.mark.parametrize(("alert", "name"), [(40, "handshake_failure"), (112, "unrecognized_name")])
def test_unexplained_alert_is_a_failed_handshake(cli: CLI, alert: int, name: str) -> None:
    # The server never sent a CertificateRequest, so the alert cannot be about a client
    # certificate: it is a failed handshake, not MTLS_NO_CLIENT_CERT_GIVEN / MTLS_NOT_REQUESTED.
    with alert_server(alert) as server:
        run = probe(cli, server.port)
    p = payload(run)
    assert p["error"]["kind"] == "tls_alert"
    assert p["error"]["alert"] == name
    # the alert came before any ServerHello: whether the server asks for a certificate is unknown
    assert p["client_auth"]["requested"] is None
    assert p["client_certificate"]["outcome"] == "unknown"
    f = only(run, "PROBE_HANDSHAKE_FAILED")
    assert f["evidence"]["alert"] == name
    assert name in f["title"]
    assert errors(run) == ["PROBE_HANDSHAKE_FAILED"]
    assert run.rc == 1


@pytest.mark.timeout(60)
def test_dns_failure(cli: CLI) -> None:
    # RFC 6761: `.invalid` never resolves. The lookup may still reach the machine's resolver:
    # with none configured it fails at once (PROBE_DNS_FAILED, what this machine gives); a
    # resolver that does not answer within --timeout gives PROBE_TIMEOUT, still in the dns step.
    run = cli("probe", "no-such-host.invalid:443", "--timeout", "2")
    p = payload(run)
    assert p["address"] is None
    assert p["error"]["step"] == "dns"
    assert p["error"]["kind"] in ("dns", "timeout")
    assert run.ids() == ["PROBE_DNS_FAILED" if p["error"]["kind"] == "dns" else "PROBE_TIMEOUT"]
    assert run.rc == 1


HANDSHAKE_NEVER_DONE = [
    pytest.param(black_hole, "1", id="black_hole"),
    pytest.param(plain_http, STEP_TIMEOUT, id="plain_http"),
    pytest.param(reset_on_hello, STEP_TIMEOUT, id="reset_on_hello"),
    pytest.param(lambda: alert_server(40), STEP_TIMEOUT, id="alert_40"),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("peer", "timeout"), HANDSHAKE_NEVER_DONE)
def test_no_tls_version_without_a_server_hello(
        cli: CLI, peer: Callable[[], AbstractContextManager[Server]], timeout: str) -> None:
    with peer() as server:
        run = cli("probe", f"{API}:{server.port}", "--connect", LOOPBACK, "--timeout", timeout)
    assert payload(run)["tls_version"] is None


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("peer", "timeout"), HANDSHAKE_NEVER_DONE[:3])
def test_checks_that_never_ran_do_not_pass(
        cli: CLI, peer: Callable[[], AbstractContextManager[Server]], timeout: str) -> None:
    with peer() as server:
        run = cli("probe", f"{API}:{server.port}", "--connect", LOOPBACK, "--timeout", timeout)
    checks = {c["id"]: c["status"] for c in run.doc["checks"]}
    # the TCP connect succeeded: whatever went wrong is the handshake's
    assert checks["probe.connect"] == "pass"
    assert checks["probe.tls"] in ("fail", "unknown")
    not_passed = {k: v for k, v in checks.items() if k != "probe.connect" and v == "pass"}
    assert not_passed == {}
    assert run.rc == 1


@pytest.mark.parametrize(("peer", "finding"), [(plain_http, "PROBE_NOT_TLS"),
                                               (reset_on_hello, "PROBE_CONNECTION_RESET")])
def test_a_handshake_answered_wrongly_fails_the_tls_check(
        cli: CLI, peer: Callable[[], AbstractContextManager[Server]], finding: str) -> None:
    # the port answered (the connect check passes); the answer was not a TLS handshake
    with peer() as server:
        run = probe(cli, server.port)
    checks = {c["id"]: c for c in run.doc["checks"]}
    assert checks["probe.connect"]["status"] == "pass"
    assert checks["probe.tls"]["status"] == "fail"
    assert only(run, finding)["evidence"]["step"] == "handshake"


# -- secrets, PKCS#12, key mismatch ----------------------------------------------------------


def _base64_lines(pem: bytes) -> list[str]:
    return [ln for ln in pem.decode("ascii").splitlines() if ln and not ln.startswith("-----")]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_key_password_and_key_never_reach_the_output(cli: CLI, s_server: Pool, server_pki: ServerPKI,
                                                     tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     fmt: str) -> None:
    password = "correct horse battery staple 42"
    encrypted = server_pki.client.key_pem(password.encode())
    key = tmp_path / "client-encrypted.key"
    key.write_bytes(encrypted)
    monkeypatch.setenv("PROBE_KEY_PASSWORD", password)
    run = probe(cli, s_server("required", "1.3").port, "--cert", str(server_pki.client_pem),
                "--key", str(key), "--key-password-env", "PROBE_KEY_PASSWORD", "--format", fmt,
                json_out=False)
    assert run.rc == 0, run.out + run.err
    assert "accepted" in run.out
    text = run.out + run.err
    secrets = [password, *_base64_lines(encrypted), *_base64_lines(server_pki.client.key_pem())]
    assert len(secrets) > 20
    leaked = [s for s in secrets if s in text]
    assert leaked == []


def test_wrong_key_password_is_a_clean_exit_2_without_the_password(
        cli: CLI, s_server: Pool, server_pki: ServerPKI, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    key = tmp_path / "client-encrypted.key"
    key.write_bytes(server_pki.client.key_pem(b"the right one"))
    monkeypatch.setenv("PROBE_KEY_PASSWORD", "a-wrong-password")
    run = probe(cli, s_server("required", "1.3").port, "--cert", str(server_pki.client_pem),
                "--key", str(key), "--key-password-env", "PROBE_KEY_PASSWORD")
    assert run.rc == 2
    assert run.out == ""
    assert len(run.err.strip().splitlines()) == 1
    assert "a-wrong-password" not in run.err
    assert "Traceback" not in run.err


@pytest.mark.parametrize("tls", ["1.2", "1.3"])
def test_pkcs12_client_works_like_pem(cli: CLI, s_server: Pool, server_pki: ServerPKI,
                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tls: str) -> None:
    bundle = tmp_path / "client.p12"
    bundle.write_bytes(p12(server_pki.client, password=b"p12 secret"))
    monkeypatch.setenv("P12_PASSWORD", "p12 secret")
    server = s_server("required", tls)
    run = probe(cli, server.port, "--cert", str(bundle), "--key-password-env", "P12_PASSWORD")
    p = payload(run)
    assert p["tls_version"] == f"TLSv{tls}"
    assert p["client_certificate"] == {"presented": True, "outcome": "accepted", "alert": None,
                                       "subject": "CN=client.example.test", "issuer": CA_NAME}
    assert p["http"]["status"] == 200
    assert run.rc == 0, run.ids()
    assert "p12 secret" not in run.out + run.err
    assert run.doc["findings"], "expected at least SERVER_CERT_UNTRUSTED (private CA)"
    for f in run.doc["findings"]:
        curl = [c for c in f["fix"]["commands"] if c.startswith("curl ")]
        assert len(curl) == 1, f
        assert f"--cert-type P12 --cert {bundle}" in curl[0]
        assert "--key " not in curl[0]


def test_key_not_matching_the_certificate(cli: CLI, s_server: Pool, server_pki: ServerPKI) -> None:
    server = s_server("optional", "1.2")
    run = probe(cli, server.port, "--cert", str(server_pki.client_pem), "--key",
                str(server_pki.rogue_key))
    p = payload(run)
    f = only(run, "CLIENT_KEY_MISMATCH")
    assert f["severity"] == "error"
    assert str(server_pki.rogue_key) in f["detail"]
    assert "BEGIN" not in f["detail"]
    # the probe still ran, without a client certificate
    assert p["tls_version"] == "TLSv1.2"
    assert p["client_auth"]["requested"] is True
    assert p["client_certificate"]["presented"] is False
    assert p["client_certificate"]["outcome"] == "not_presented"
    assert p["http"]["status"] == 200
    assert run.rc == 1


# -- --connect, SNI, fix commands --------------------------------------------------------------


def test_connect_keeps_host_as_sni(cli: CLI, s_server: Pool, server_pki: ServerPKI) -> None:
    server = s_server("required", "1.3")
    p = payload(probe(cli, server.port, *client_files(server_pki, "good")))
    assert (p["host"], p["port"]) == (API, server.port)
    assert p["sni"] == API
    assert p["address"] == f"127.0.0.1:{server.port}"
    assert p["hostname_match"]["matches"] is True


def test_ip_literal_host_sends_no_sni(cli: CLI, s_server: Pool, server_pki: ServerPKI) -> None:
    server = s_server("required", "1.3")
    run = cli("probe", f"127.0.0.1:{server.port}", "--timeout", STEP_TIMEOUT,
              *client_files(server_pki, "good"))
    p = payload(run)
    assert p["sni"] is None
    assert p["address"] == f"127.0.0.1:{server.port}"
    assert p["client_certificate"]["outcome"] == "accepted"
    # the certificate names api.example.test only: an IP needs an IP SAN
    assert p["hostname_match"]["matches"] is False
    assert "SERVER_HOSTNAME_MISMATCH" in run.ids()
    for f in run.doc["findings"]:
        assert not any("-servername" in c for c in f["fix"]["commands"])


@contextlib.contextmanager
def _fix_peer(name: str, pool: Pool) -> Iterator[int]:
    if name == "refused":
        yield refusing_port()
        return
    peers: dict[str, Callable[[], AbstractContextManager[Server]]] = {
        "plain_http": plain_http, "reset_on_hello": reset_on_hello,
        "alert_40": lambda: alert_server(40)}
    if name in peers:
        with peers[name]() as server:
            yield server.port
        return
    auth, tls = name.split("-")
    yield pool(auth, tls).port


@pytest.mark.parametrize(("peer", "client"), [
    ("required-1.3", "good"), ("required-1.2", "rogue"), ("required-1.3", "expired"),
    ("none-1.2", "good"), ("refused", "good"), ("plain_http", "good"),
    ("reset_on_hello", "good"), ("alert_40", "rogue"),
])
def test_every_finding_replays_with_s_client_and_curl(cli: CLI, s_server: Pool, server_pki: ServerPKI,
                                                      peer: str, client: str) -> None:
    files = client_files(server_pki, client)
    cert, key = files[1], files[3]
    with _fix_peer(peer, s_server) as port:
        run = probe(cli, port, *files)
    assert run.doc["findings"]
    for f in run.doc["findings"]:
        commands = f["fix"]["commands"]
        s_client = [c for c in commands if "openssl s_client " in c]
        curl = [c for c in commands if c.startswith("curl ")]
        assert len(s_client) == 1 and len(curl) == 1, (f["id"], commands)
        assert f"openssl s_client -connect 127.0.0.1:{port} -servername {API}" in s_client[0]
        assert f"-cert {cert} -key {key}" in s_client[0]
        assert f"--connect-to {API}:{port}:127.0.0.1:{port}" in curl[0]
        assert f"--cert {cert} --key {key}" in curl[0]
        assert curl[0].endswith(f"https://{API}:{port}/")


# -- the JSON payload and the text report --------------------------------------------------------

CERT_KEYS = {"index", "location", "subject", "issuer", "serial", "not_before", "not_after", "is_ca",
             "self_signed", "key", "signature_algorithm", "signature_hash", "sans",
             "sha256_fingerprint", "ski", "aki"}
PROBE_KEYS = {"host", "port", "address", "sni", "tls_version", "cipher", "served_chain",
              "hostname_match", "client_auth", "client_certificate", "http", "error", "timings_ms"}


def test_json_probe_has_every_contract_key(cli: CLI, s_server: Pool, server_pki: ServerPKI) -> None:
    run = probe(cli, s_server("required", "1.3").port, *client_files(server_pki, "good"))
    assert run.doc["schema"] == "mtls-doctor/v1"
    assert run.doc["command"] == "probe"
    p = payload(run)
    assert set(p) >= PROBE_KEYS
    assert p["cipher"]
    assert [c["subject"] for c in p["served_chain"]] == [f"CN={API}", CA_NAME]
    for i, cert in enumerate(p["served_chain"]):
        assert set(cert) >= CERT_KEYS, CERT_KEYS - set(cert)
        assert cert["index"] == i
        assert set(cert["key"]) >= {"type", "bits", "curve"}
    assert set(p["hostname_match"]) >= {"host", "matches", "matched_by"}
    assert set(p["client_auth"]) >= {"requested", "required", "acceptable_ca_names"}
    assert set(p["client_certificate"]) >= {"presented", "outcome", "alert"}
    assert set(p["http"]) >= {"status", "headers"}
    assert isinstance(p["http"]["headers"], dict)
    assert p["error"] is None
    assert set(p["timings_ms"]) >= {"connect", "handshake", "total"}
    assert all(isinstance(v, int | float) and v >= 0 for v in p["timings_ms"].values())


def test_json_probe_of_a_failed_connection_keeps_the_skeleton(cli: CLI) -> None:
    p = payload(probe(cli, refusing_port()))
    assert set(p) >= PROBE_KEYS
    assert p["http"] is None
    assert set(p["error"]) >= {"kind", "message"}
    assert "total" in p["timings_ms"]


def test_text_report_of_an_accepted_probe(cli: CLI, s_server: Pool, server_pki: ServerPKI) -> None:
    server = s_server("required", "1.2")
    run = probe(cli, server.port, *client_files(server_pki, "good"), json_out=False)
    assert run.rc == 0
    out = run.out
    assert f"{API}:{server.port}" in out
    assert f"connected to 127.0.0.1:{server.port}" in out
    assert "TLSv1.2" in out
    assert "client auth" in out
    assert CA_NAME in out
    assert "CN=client.example.test" in out and "accepted" in out
    assert "200" in out
    assert "Served chain" in out
    assert f"#1 CN={API}" in out
    assert f"#2 {CA_NAME}" in out
    assert "\x1b[" not in out  # not a terminal: no colour


# -- one connection, one request ------------------------------------------------------------


@dataclass
class _Counter:
    connections: int = 0
    upstream_bytes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextlib.contextmanager
def counting_forwarder(target: Server) -> Iterator[tuple[Server, _Counter]]:
    """A loopback TCP forwarder to `target` that counts the connections it accepts."""
    counter = _Counter()
    stop = threading.Event()
    threads: list[threading.Thread] = []
    sockets: list[socket.socket] = []
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((LOOPBACK, 0))
    listener.listen(16)
    listener.settimeout(0.1)

    def pump(a: socket.socket, b: socket.socket) -> None:
        try:
            while not stop.is_set():
                ready = select.select([a, b], [], [], 0.1)[0]
                for src in ready:
                    data = src.recv(65536)
                    if not data:
                        return
                    if src is a:
                        with counter.lock:
                            counter.upstream_bytes += len(data)
                    (b if src is a else a).sendall(data)
        except OSError:
            return
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with counter.lock:
                counter.connections += 1
            try:
                upstream = socket.create_connection((target.host, target.port), timeout=5)
            except OSError:
                conn.close()
                continue
            sockets.extend((conn, upstream))
            t = threading.Thread(target=pump, args=(conn, upstream), daemon=True)
            threads.append(t)
            t.start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield Server(LOOPBACK, listener.getsockname()[1]), counter
    finally:
        stop.set()
        acceptor.join(5)
        listener.close()
        for t in threads:
            t.join(5)
        for s in sockets:
            s.close()


@pytest.mark.parametrize(("client", "outcome"), [("good", "accepted"), ("rogue", "rejected"),
                                                  ("none", "not_presented")])
def test_one_connection_one_request(cli: CLI, s_server: Pool, server_pki: ServerPKI, client: str,
                                    outcome: str) -> None:
    with counting_forwarder(s_server("required", "1.3")) as (proxy, counter):
        run = probe(cli, proxy.port, *client_files(server_pki, client))
    p = payload(run)
    assert p["client_certificate"]["outcome"] == outcome
    assert counter.connections == 1
    if outcome == "accepted":
        # s_server -www answers one request per connection and closes: the one request got 200
        assert p["http"]["status"] == 200
