"""Servers that behave oddly after (or during) the handshake, and targets typed oddly: the probe
must give the right facts, never a traceback, never a claim it did not observe."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator

from tests.conftest import Run
from tests.servers import Server, ServerPKI, _serve, _ThreadedListener, server_pki

__all__ = ["server_pki"]


def _context(pki: ServerPKI, request_cert: bool) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.server_pem, pki.server_key)
    if request_cert:
        ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.load_verify_locations(pki.ca_pem)
    return ctx


def _read_request(s: ssl.SSLSocket) -> bytes:
    s.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


@contextlib.contextmanager
def tls_peer(pki: ServerPKI, respond: Callable[[ssl.SSLSocket], None], *,
             request_cert: bool = True) -> Iterator[Server]:
    """A Python ssl server on loopback that runs `respond` after the handshake."""
    ctx = _context(pki, request_cert)

    def handler(conn: socket.socket, listener: _ThreadedListener) -> None:
        try:
            with ctx.wrap_socket(conn, server_side=True) as s:
                respond(s)
        except (OSError, ssl.SSLError):
            pass

    with _serve(handler, "edge-peer") as server:
        yield server


def probe(cli: Callable[..., Run], server: Server, pki: ServerPKI | None, *extra: str) -> Run:
    args = ["probe", f"api.example.test:{server.port}", "--connect", "127.0.0.1", *extra]
    if pki is not None:
        args += ["--cert", str(pki.client_pem), "--key", str(pki.client_key)]
    return cli(*args)


def test_close_notify_during_the_handshake_is_a_reset(cli, server_pki):
    def handler(conn: socket.socket, listener: _ThreadedListener) -> None:
        conn.settimeout(2)
        with contextlib.suppress(OSError):
            conn.recv(4096)
            conn.sendall(bytes([0x15, 3, 3, 0, 2, 1, 0]))  # warning alert close_notify
        conn.close()

    with _serve(handler, "close-notify") as server:
        run = probe(cli, server, None)
    assert run.rc == 1
    assert run.doc["probe"]["error"]["kind"] in ("reset", "tls_alert", "tls_error")
    assert run.doc["probe"]["tls_version"] is None


def test_trickled_answer_cut_by_the_deadline_is_not_an_answer(cli, server_pki):
    def respond(s: ssl.SSLSocket) -> None:
        _read_request(s)
        for b in b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n":
            s.sendall(bytes([b]))
            time.sleep(0.1)

    with tls_peer(server_pki, respond) as server:
        run = probe(cli, server, server_pki, "--timeout", "1")
    p = run.doc["probe"]
    assert p["http"] is None or p["http"]["status"] == 403
    assert p["client_certificate"]["outcome"] != "accepted" or p["http"]["status"] != 40


def test_100_continue_is_skipped(cli, server_pki):
    def respond(s: ssl.SSLSocket) -> None:
        _read_request(s)
        s.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        s.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nForbidden")

    with tls_peer(server_pki, respond) as server:
        run = probe(cli, server, server_pki)
    assert run.doc["probe"]["http"]["status"] == 403
    assert "HTTP_FORBIDDEN" in run.ids()


def test_no_answer_is_not_a_pass(cli, server_pki):
    def respond(s: ssl.SSLSocket) -> None:
        _read_request(s)
        s.unwrap()

    with tls_peer(server_pki, respond) as server:
        run = probe(cli, server, server_pki)
    checks = {c["id"]: c["status"] for c in run.doc["checks"]}
    # wanted (--cert given) and never answered: undecided, which fails the run (exit 1)
    assert checks["probe.http"] == "unknown"
    assert checks["probe.client_certificate"] == "unknown"
    assert run.doc["probe"]["client_certificate"]["outcome"] == "unknown"
    assert run.rc == 1


def test_bad_record_after_the_handshake_is_not_called_not_tls(cli, server_pki):
    def respond(s: ssl.SSLSocket) -> None:
        _read_request(s)
        sock = socket.socket(fileno=s.fileno())  # write a bogus record under the TLS session
        with contextlib.suppress(OSError):
            sock.sendall(bytes([0x17, 3, 3, 0, 16]) + b"\x00" * 16)
        sock.detach()

    with tls_peer(server_pki, respond) as server:
        run = probe(cli, server, server_pki)
    assert "PROBE_NOT_TLS" not in run.ids()
    assert run.doc["probe"]["tls_version"] is not None


def test_ipv6_connect_gives_valid_replay_commands():
    from mtls_doctor.probe.findings import ProbeInputs, curl_command, s_client_command
    from mtls_doctor.probe.target import parse_target

    inputs = ProbeInputs(parse_target("api.example.test:8443", "[::1]:9443"), "/", "c.pem", "c.key")
    # `[` is a glob character: the address is quoted
    assert "--connect-to 'api.example.test:8443:[::1]:9443'" in curl_command(inputs)
    assert "-connect '[::1]:9443'" in s_client_command(inputs)
    again = parse_target("api.example.test:8443", "[::1]:9443")
    assert (again.connect_host, again.connect_port) == ("::1", 9443)


def test_international_name_is_sent_as_a_labels(server_pki):
    from mtls_doctor.probe.http import build_request
    from mtls_doctor.probe.target import parse_target

    t = parse_target("bücher.example.test:8443", "127.0.0.1")
    assert t.sni == "xn--bcher-kva.example.test"
    assert b"Host: xn--bcher-kva.example.test:8443\r\n" in build_request(t.host_header, "/")
    assert parse_target("faß.example").host == "xn--fa-hia.example"


def test_overlong_label_is_one_clear_line(cli):
    run = cli("probe", "a" * 64 + ".example.test:443", "--connect", "127.0.0.1:1", json_out=False)
    assert run.rc == 2 and "63" in run.err and run.err.count("\n") == 1


def test_url_host_keeps_its_path_and_paths_are_encoded(cli, server_pki):
    seen: list[bytes] = []

    def respond(s: ssl.SSLSocket) -> None:
        seen.append(_read_request(s).split(b"\r\n", 1)[0])
        s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    with tls_peer(server_pki, respond) as server:
        run = cli("probe", f"HTTPS://api.example.test:{server.port}/prod/items?x=1", "--connect",
                  "127.0.0.1", "--cert", str(server_pki.client_pem), "--key",
                  str(server_pki.client_key))
        assert run.rc == 0, run.doc["findings"]
        cli("probe", f"api.example.test:{server.port}", "--connect", "127.0.0.1",
            "--path", "/a b/ü")
    assert seen == [b"GET /prod/items?x=1 HTTP/1.1", b"GET /a%20b/%C3%BC HTTP/1.1"]


def test_json_never_claims_what_was_not_seen(cli):
    from tests.servers import refusing_port

    run = cli("probe", f"api.example.test:{refusing_port()}", "--connect", "127.0.0.1")
    p = run.doc["probe"]
    assert p["client_auth"]["requested"] is None
    assert p["client_certificate"]["outcome"] == "unknown"
    json.dumps(run.doc)


# -- one deadline for the whole probe (--timeout) ---------------------------------------------


def test_probe_of_a_silent_port_ends_within_its_timeout_as_a_process():
    # the contract: the command ends within --timeout + 2 s (a loose bound, not a benchmark)
    from tests.conftest import run_process
    from tests.servers import black_hole

    with black_hole() as server:
        start = time.monotonic()
        proc = run_process(["probe", f"127.0.0.1:{server.port}", "--timeout", "3",
                            "--format", "json"])
        elapsed = time.monotonic() - start
    assert proc.returncode == 1, proc.stderr
    error = json.loads(proc.stdout)["probe"]["error"]
    assert (error["kind"], error["step"]) == ("timeout", "handshake")
    assert elapsed < 5


def test_the_steps_share_one_deadline(cli, server_pki):
    # 1.5 s before the handshake and 1.5 s before the answer: each step fits in 2 s, the two
    # together do not, so the probe with --timeout 2 must stop at the deadline, not succeed
    ctx = _context(server_pki, request_cert=True)

    def handler(conn: socket.socket, listener: _ThreadedListener) -> None:
        if listener.stop.wait(1.5):
            return
        with contextlib.suppress(OSError, ssl.SSLError), ctx.wrap_socket(conn, server_side=True) as s:
            _read_request(s)
            if not listener.stop.wait(1.5):
                s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    with _serve(handler, "slow-steps") as server:
        start = time.monotonic()
        run = probe(cli, server, server_pki, "--timeout", "2")
        elapsed = time.monotonic() - start
    p = run.doc["probe"]
    assert p["http"] is None
    assert p["error"]["kind"] == "timeout"
    assert p["error"]["step"] in ("handshake", "response")
    assert only_id(run, "PROBE_TIMEOUT")["evidence"]["step"] == p["error"]["step"]
    assert run.rc == 1
    assert elapsed < 2 + 2


def only_id(run, finding_id):
    found = run.findings(finding_id)
    assert len(found) == 1, run.ids()
    return found[0]


def _target(port: int):
    from mtls_doctor.probe.target import parse_target

    return parse_target(f"api.example.test:{port}", "127.0.0.1")


def test_a_cancelled_deadline_ends_a_blocked_handshake_promptly():
    from mtls_doctor.deadline import Deadline
    from mtls_doctor.probe.run import run_probe
    from tests.pki_factory import NOW
    from tests.servers import black_hole

    deadline = Deadline(60)
    timer = threading.Timer(0.3, deadline.cancel)
    with black_hole() as server:
        timer.start()
        start = time.monotonic()
        try:
            result = run_probe(_target(server.port), None, deadline=deadline, at=NOW)
        finally:
            timer.cancel()
        elapsed = time.monotonic() - start
    assert result.error is not None
    assert (result.error.kind.value, result.error.step) == ("timeout", "handshake")
    assert "cancelled" in result.error.message
    assert elapsed < 0.3 + 1.5  # seen within one poll slice (0.2 s); loose for a loaded machine


def test_a_step_started_with_no_time_left_fails_at_once():
    from mtls_doctor.deadline import Deadline
    from mtls_doctor.probe.run import run_probe
    from tests.pki_factory import NOW
    from tests.servers import black_hole

    with black_hole() as server:
        result = run_probe(_target(server.port), None, deadline=Deadline(0), at=NOW)
    assert result.error is not None
    assert (result.error.kind.value, result.error.step) == ("timeout", "dns")
    assert "no time left" in result.error.message
    assert result.address is None


def test_timeout_seconds_still_work_without_a_deadline():
    from mtls_doctor.probe.run import run_probe
    from tests.pki_factory import NOW
    from tests.servers import black_hole

    with black_hole() as server:
        result = run_probe(_target(server.port), None, timeout=0.5, at=NOW)
    assert result.error is not None
    assert (result.error.kind.value, result.error.step) == ("timeout", "handshake")
    assert result.address == f"127.0.0.1:{server.port}"


def test_a_cancelled_run_says_so_and_passes_nothing_it_did_not_see():
    from mtls_doctor.commands.probe import run_probe_command
    from mtls_doctor.deadline import Deadline
    from tests.pki_factory import NOW
    from tests.servers import black_hole

    deadline = Deadline(60)
    timer = threading.Timer(0.3, deadline.cancel)
    with black_hole() as server:
        timer.start()
        try:
            report = run_probe_command(f"api.example.test:{server.port}", at=NOW, now=NOW,
                                       connect="127.0.0.1", timeout=0.1, deadline=deadline)
        finally:
            timer.cancel()
    checks = {c.id: c for c in report.checks}
    assert checks["probe.connect"].status.value == "pass"
    assert checks["probe.tls"].status.value == "unknown"
    assert "cancelled" in checks["probe.tls"].detail
    assert [f.id for f in report.findings] == ["PROBE_TIMEOUT"]
    assert report.findings[0].evidence["step"] == "handshake"


# --- the served chain's shape ------------------------------------------------------------------

def test_a_private_ca_chain_without_its_root_is_not_called_incomplete() -> None:
    """Leaf and intermediate, root not sent (as it should not be) and not held locally: the
    chain is untrusted here, and says why; a leaf alone whose issuer is missing is incomplete."""
    from datetime import UTC, datetime

    from mtls_doctor.pki.server import chain_shape
    from tests.pki_factory import PKI

    pki = PKI(datetime.now(UTC))
    root = pki.root("Private Root")
    issuing = pki.intermediate(root, "Private Issuing CA")
    leaf = pki.leaf(issuing, "api.example.test", sans=("DNS:api.example.test",),
                    eku=("serverAuth",))
    public = pki.root("Some Public Root")
    now = datetime.now(UTC)

    private = chain_shape([leaf.cert, issuing.cert], "api.example.test", now, [public.cert])
    assert (private.ordered, private.complete, private.trusted) == (True, True, False)
    assert "Private Issuing CA" in private.detail and "Private Root" in private.detail
    assert "a root need not be sent" in private.detail

    alone = chain_shape([leaf.cert], "api.example.test", now, [public.cert])
    assert (alone.ordered, alone.complete) == (True, False)
    assert "stops at" in alone.detail

    held = chain_shape([leaf.cert, issuing.cert], "api.example.test", now, [root.cert])
    assert (held.ordered, held.complete, held.trusted) == (True, True, True)

    backwards = chain_shape([issuing.cert, leaf.cert], "api.example.test", now, [root.cert])
    assert (backwards.ordered, backwards.complete) == (False, False)
