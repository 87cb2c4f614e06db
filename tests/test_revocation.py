"""`verify-client --revocation` against real revocation sources on loopback: CRLs served over
HTTP by a Python `http.server` on 127.0.0.1, and OCSP answers made by `openssl ocsp` itself
(its responder: `-index index.txt -CA -rsigner -rkey`), good and revoked; plus the sources that
fail: stale, wrongly signed, unreachable (a closed port), hanging (accepts and never answers:
the command still ends by its deadline), garbage, a redirect to `file:`, too large.

Why the OCSP transport is Python's: `openssl ocsp -port N` (OpenSSL 3.0) listens on every
interface (`[::]:N`, no way to name loopback), and the tests listen on loopback only. So each
OCSP POST that reaches the loopback server is handed, byte for byte, to `openssl ocsp -reqin
req.der -respout resp.der` with the responder options, and its answer sent back as it is: the
answer is OpenSSL's responder's, only the socket is ours.

The certificates are issued against the real clock (the answers are judged as of now), so the
CLI runs without the suite's fixed `--at`.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from mtls_doctor.deadline import Deadline
from mtls_doctor.model.evidence import Status
from mtls_doctor.pki.describe import serial_hex
from mtls_doctor.probe import fetch as fetch_mod
from tests.conftest import Run
from tests.pki_factory import PKI, Issued, pem_bundle, revocation_extensions
from tests.servers import LOOPBACK, black_hole, refusing_port

Route = Callable[[bytes], tuple[int, dict[str, str], bytes]]


# -- the loopback HTTP server --------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._answer(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._answer(self.rfile.read(length))

    def _answer(self, body: bytes) -> None:
        route = self.server.routes.get(self.path)
        status, headers, data = route(body) if route else (404, {}, b"not here\n")
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, Route]


@contextlib.contextmanager
def http_server() -> Iterator[_Server]:
    """A plain HTTP server on 127.0.0.1 (a free port) answering from its `routes` table."""
    server = _Server((LOOPBACK, 0), _Handler)
    server.routes = {}
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def static(data: bytes, content_type: str = "application/pkix-crl") -> Route:
    return lambda _body: (200, {"Content-Type": content_type}, data)


# -- an openssl OCSP responder behind that server ------------------------------------------------


def _asn1_time(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%y%m%d%H%M%SZ")


def _index_serial(cert: x509.Certificate) -> str:
    digits = f"{cert.serial_number:X}"
    return ("0" if len(digits) % 2 else "") + digits


@dataclass
class OcspResponder:
    """`openssl ocsp` as the responder for `ca`, signing with `signer` (the CA itself or a
    delegated responder); `good` and `revoked` fill its index (one subject per line: openssl
    refuses an index whose subjects repeat)."""

    dir: Path
    ca: Issued
    signer: Issued
    lines: list[str] = field(default_factory=list)

    def good(self, cert: Issued) -> None:
        c = cert.cert
        self.lines.append(f"V\t{_asn1_time(c.not_valid_after_utc)}\t\t{_index_serial(c)}\t"
                          f"unknown\t/CN={_index_serial(c)}")

    def revoked(self, cert: Issued, when: datetime, reason: str = "keyCompromise") -> None:
        c = cert.cert
        self.lines.append(f"R\t{_asn1_time(c.not_valid_after_utc)}\t{_asn1_time(when)},{reason}"
                          f"\t{_index_serial(c)}\tunknown\t/CN={_index_serial(c)}")

    def route(self) -> Route:
        self.dir.mkdir(parents=True, exist_ok=True)
        ca, signer, key = self.dir / "ca.pem", self.dir / "signer.pem", self.dir / "signer.key"
        ca.write_bytes(self.ca.pem)
        signer.write_bytes(self.signer.pem)
        key.write_bytes(self.signer.key_pem())
        openssl = shutil.which("openssl")
        assert openssl is not None

        def answer(body: bytes) -> tuple[int, dict[str, str], bytes]:
            index = self.dir / "index.txt"
            index.write_text("".join(f"{line}\n" for line in self.lines))
            with tempfile.TemporaryDirectory(dir=self.dir) as tmp:
                req, resp = Path(tmp) / "req.der", Path(tmp) / "resp.der"
                req.write_bytes(body)
                done = subprocess.run([openssl, "ocsp", "-index", str(index), "-CA", str(ca),
                                       "-rsigner", str(signer), "-rkey", str(key), "-ndays",
                                       "1", "-reqin", str(req), "-respout", str(resp)],
                                      capture_output=True, timeout=30, check=False)
                if done.returncode != 0:
                    raise RuntimeError(f"openssl ocsp failed: {done.stderr!r}")
                return 200, {"Content-Type": "application/ocsp-response"}, resp.read_bytes()

        return answer


# -- the lab: a CA, its CRLs and OCSP responders, and one client per case -------------------------


def _crl(issuer: Issued, *, revoked: tuple[Issued, ...] = (), signer: Issued | None = None,
         next_update: timedelta = timedelta(days=7), reason: x509.ReasonFlags | None = None,
         pem: bool = False) -> bytes:
    now = datetime.now(UTC).replace(microsecond=0)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(issuer.cert.subject)
               .last_update(now - timedelta(days=2)).next_update(now + next_update))
    for item in revoked:
        entry = (x509.RevokedCertificateBuilder().serial_number(item.cert.serial_number)
                 .revocation_date(now - timedelta(days=1)))
        if reason is not None:
            entry = entry.add_extension(x509.CRLReason(reason), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    crl = builder.sign((signer or issuer).key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.PEM if pem else serialization.Encoding.DER)


@dataclass
class Lab:
    root: Issued
    ca: Issued
    base: str
    clients: dict[str, Issued]
    files: Path

    def truststore(self) -> bytes:
        return pem_bundle([self.ca, self.root])


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command line is not installed (apt-get install openssl)")
    files = tmp_path_factory.mktemp("revocation")
    pki = PKI(now=datetime.now(UTC).replace(microsecond=0), key_offset=3000)
    root = pki.root("Revocation Root")
    ca = pki.intermediate(root, "Revocation CA")
    responder = pki.leaf(ca, "ocsp.responder.test", eku=None, extra_extensions=[
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), False)])
    not_a_responder = pki.leaf(ca, "not-a-responder.test", eku=("clientAuth",))
    with http_server() as server, black_hole() as hole:
        base = f"http://{LOOPBACK}:{server.server_address[1]}"
        closed = f"http://{LOOPBACK}:{refusing_port()}/ca.crl"
        hanging = f"http://{LOOPBACK}:{hole.port}/ca.crl"
        cases: dict[str, dict[str, tuple[str, ...]]] = {
            "crl-good": {"crl": (f"{base}/good.crl",)},
            "crl-good-pem": {"crl": (f"{base}/good-pem.crl",)},
            "crl-revoked": {"crl": (f"{base}/revoked.crl",)},
            "crl-stale": {"crl": (f"{base}/stale.crl",)},
            "crl-wrong-signer": {"crl": (f"{base}/wrong-signer.crl",)},
            "crl-unreachable": {"crl": (closed,)},
            "crl-hanging": {"crl": (hanging,)},
            "crl-missing": {"crl": (f"{base}/missing.crl",)},
            "crl-to-file": {"crl": (f"{base}/to-file.crl",)},
            "ocsp-good": {"ocsp": (f"{base}/ocsp",)},
            "ocsp-revoked": {"ocsp": (f"{base}/ocsp",)},
            "ocsp-unknown": {"ocsp": (f"{base}/ocsp",)},
            "ocsp-delegated": {"ocsp": (f"{base}/ocsp-delegated",)},
            "ocsp-unauthorized-signer": {"ocsp": (f"{base}/ocsp-not-a-responder",)},
            "ocsp-garbage": {"ocsp": (f"{base}/garbage",)},
            "crl-good-ocsp-revoked": {"crl": (f"{base}/good.crl",), "ocsp": (f"{base}/ocsp",)},
            "crl-stale-ocsp-good": {"crl": (f"{base}/stale.crl",), "ocsp": (f"{base}/ocsp",)},
            "ldap-only": {"crl": ("ldap://ldap.example.test/cn=Revocation%20CA",)},
            "none": {},
        }
        clients = {name: pki.leaf(ca, f"{name}.client.test", extra_extensions=
                                  revocation_extensions(crl=urls.get("crl", ()),
                                                        ocsp=urls.get("ocsp", ())))
                   for name, urls in cases.items()}
        impostor = pki.root("Revocation CA")  # the CA's name, another key
        revoked = (clients["crl-revoked"],)
        by_ca = OcspResponder(files / "ocsp-ca", ca, ca)
        by_delegate = OcspResponder(files / "ocsp-delegate", ca, responder)
        by_leaf = OcspResponder(files / "ocsp-leaf", ca, not_a_responder)
        now = datetime.now(UTC)
        for r in (by_ca, by_delegate, by_leaf):
            for name in ("ocsp-good", "ocsp-delegated", "ocsp-unauthorized-signer",
                         "crl-stale-ocsp-good"):
                r.good(clients[name])
            for name in ("ocsp-revoked", "crl-good-ocsp-revoked"):
                r.revoked(clients[name], now - timedelta(days=3))
        server.routes.update({
            "/good.crl": static(_crl(ca, revoked=(clients["none"],))),
            "/good-pem.crl": static(_crl(ca, pem=True)),
            "/revoked.crl": static(_crl(ca, revoked=revoked,
                                        reason=x509.ReasonFlags.key_compromise)),
            "/stale.crl": static(_crl(ca, next_update=-timedelta(hours=1))),
            "/wrong-signer.crl": static(_crl(ca, revoked=revoked, signer=impostor)),
            "/to-file.crl": lambda _b: (302, {"Location": "file:///etc/passwd"}, b""),
            "/ocsp": by_ca.route(),
            "/ocsp-delegated": by_delegate.route(),
            "/ocsp-not-a-responder": by_leaf.route(),
            "/garbage": static(b"<html>not OCSP</html>", "text/html"),
        })
        yield Lab(root, ca, base, clients, files)


@pytest.fixture
def revocation(cli: Callable[..., Run], write: Callable[[str, bytes], str],
               lab: Lab) -> Callable[..., Run]:
    def _run(name: str, *extra: str, truststore: bytes | None = None,
             json_out: bool = True) -> Run:
        return cli("verify-client", "--cert", write("client.pem", lab.clients[name].pem),
                   "--truststore", write("truststore.pem", truststore or lab.truststore()),
                   "--revocation", *extra, json_out=json_out, at=False)

    return _run


def check(run: Run) -> dict:
    return next(c for c in run.doc["checks"] if c["id"] == "client.revocation")


def answers(run: Run) -> list[dict]:
    return run.doc["revocation"]["answers"]


# -- good answers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["crl-good", "crl-good-pem"])
def test_a_current_crl_signed_by_the_issuer_that_does_not_list_it_passes(revocation, name):
    run = revocation(name)
    assert run.rc == 0, run.doc["findings"]
    assert run.doc["findings"] == []
    c = check(run)
    assert c["status"] == "pass"
    assert "not revoked" in c["detail"] and "/good" in c["detail"] and "CRL" in c["detail"]
    assert run.doc["revocation"]["state"] == "good"
    assert run.doc["verdict"]["accepted"] is True


@pytest.mark.parametrize("name", ["ocsp-good", "ocsp-delegated"])
def test_ocsp_good_from_the_ca_or_its_delegated_responder_passes(revocation, name):
    run = revocation(name)
    assert run.rc == 0, run.doc["findings"]
    c = check(run)
    assert c["status"] == "pass" and "OCSP responder" in c["detail"] and "good" in c["detail"]
    signer = "delegated responder CN=ocsp.responder.test" if name == "ocsp-delegated" \
        else "the issuing CA"
    assert signer in answers(run)[0]["detail"]


def test_without_the_option_the_check_is_skipped_and_nothing_is_fetched(cli, write, lab):
    run = cli("verify-client", "--cert", write("c.pem", lab.clients["ocsp-revoked"].pem),
              "--truststore", write("t.pem", lab.truststore()), at=False)
    assert run.rc == 0
    assert check(run)["status"] == "skip" and "--revocation" in check(run)["detail"]
    assert "revocation" not in run.doc


# -- revoked ----------------------------------------------------------------------------------------


def test_a_crl_that_lists_the_serial_revokes(revocation, lab):
    run = revocation("crl-revoked")
    assert run.rc == 1
    [f] = run.findings("CLIENT_REVOKED")
    assert f["severity"] == "error" and f["title"].endswith("(CRL)")
    assert "keyCompromise" in f["detail"] and "revoked on" in f["detail"]
    assert "API Gateway itself does not check revocation" in f["detail"]
    assert f["evidence"]["serial"] == serial_hex(lab.clients["crl-revoked"].cert.serial_number)
    assert check(run)["status"] == "fail"
    # the verdict is still "accepted": API Gateway does not look
    assert run.doc["verdict"]["accepted"] is True
    commands = "\n".join(f["fix"]["commands"])
    assert "openssl crl -inform DER -in crl.der -CAfile issuer.pem" in commands
    assert f"curl -fsSL -o crl.der --url {lab.base}/revoked.crl" in commands
    assert "--revocation" in commands


def test_openssl_ocsp_revoked_revokes_with_time_and_reason(revocation, lab):
    run = revocation("ocsp-revoked")
    assert run.rc == 1
    [f] = run.findings("CLIENT_REVOKED")
    assert f["title"].endswith("(OCSP)") and "keyCompromise" in f["detail"]
    [a] = answers(run)
    assert a["state"] == "revoked" and a["revocation_reason"] == "keyCompromise"
    assert a["revoked_at"] is not None
    assert any(c.startswith("openssl ocsp -issuer issuer.pem -cert ") and f"{lab.base}/ocsp" in c
               for c in f["fix"]["commands"])


def test_the_fix_commands_ask_the_same_sources_and_see_the_same(revocation, lab, tmp_path):
    """Pasted into sh, the fix's curl and openssl commands reach the same CRL and OCSP
    responder, and show the same: a CRL that verifies and lists the serial, OCSP `revoked`."""
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    run = revocation("crl-good-ocsp-revoked")
    [f] = run.findings("CLIENT_REVOKED")
    shown = ""
    for command in f["fix"]["commands"]:
        if command.split()[0] in ("awk", "curl", "openssl") and " req " not in command:
            done = subprocess.run(["sh", "-c", command], cwd=tmp_path, capture_output=True,
                                  text=True, timeout=60, check=False)
            assert done.returncode in (0, 1), (command, done.stderr)
            shown += done.stdout + done.stderr
    assert "verify OK" in shown and "nextUpdate=" in shown
    assert "Cert Status: revoked" in shown and "keyCompromise" in shown


def test_revoked_wins_over_good_and_both_are_named(revocation):
    run = revocation("crl-good-ocsp-revoked")
    assert run.rc == 1
    [f] = run.findings("CLIENT_REVOKED")
    assert "OCSP" in f["title"] and "the serial is not listed" in f["detail"]
    assert {a["kind"]: a["state"] for a in answers(run)} == {"crl": "good", "ocsp": "revoked"}


def test_one_verified_good_answer_decides_when_the_other_source_is_stale(revocation):
    run = revocation("crl-stale-ocsp-good")
    assert run.rc == 0, run.doc["findings"]
    assert check(run)["status"] == "pass"
    assert "stale" in check(run)["detail"]  # the other source's failure is still said


# -- unknown: never a pass --------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "status", "said"), [
    ("crl-stale", "error", "stale"),
    ("crl-wrong-signer", "error", "does not verify under the issuer's key"),
    ("crl-unreachable", "unreachable", "connection refused"),
    ("crl-missing", "error", "HTTP 404"),
    ("crl-to-file", "error", "refused: only http and https"),
    ("ocsp-unknown", "error", "does not know this certificate"),
    ("ocsp-unauthorized-signer", "error", "id-kp-OCSPSigning"),
    ("ocsp-garbage", "malformed", "do not parse as an OCSP response"),
])
def test_a_source_that_decides_nothing_is_unknown(revocation, name, status, said):
    run = revocation(name)
    assert run.rc == 1  # a check that was wanted is unknown
    [f] = run.findings("CLIENT_REVOCATION_UNKNOWN")
    assert f["severity"] == "warning" and said in f["detail"]
    assert "API Gateway itself does not check revocation" in f["detail"]
    assert run.findings("CLIENT_REVOKED") == []
    c = check(run)
    assert c["status"] == "unknown" and said in c["detail"]
    [a] = answers(run)
    assert a["state"] == "unknown" and a["status"] == status
    assert f["fix"]["commands"], f


def test_a_hanging_crl_server_ends_by_the_deadline(revocation):
    run = revocation("crl-hanging", "--timeout", "1")
    assert run.rc == 1
    [a] = answers(run)
    assert a["status"] == "timed_out" and "--timeout" in a["detail"]
    assert check(run)["status"] == "unknown"


def test_no_crl_or_ocsp_url_is_unknown(revocation):
    run = revocation("none")
    assert run.rc == 1
    [f] = run.findings("CLIENT_REVOCATION_UNKNOWN")
    assert "names no CRL distribution point and no OCSP responder" in f["detail"]
    assert any("crlDistributionPoints,authorityInfoAccess" in c for c in f["fix"]["commands"])
    assert check(run)["status"] == "unknown"


def test_an_ldap_crl_is_named_but_not_fetched(revocation):
    run = revocation("ldap-only")
    [f] = run.findings("CLIENT_REVOCATION_UNKNOWN")
    assert "ldap://ldap.example.test" in f["detail"] and "only http and https" in f["detail"]
    assert run.doc["revocation"]["sources"] == [
        {"kind": "crl", "url": "ldap://ldap.example.test/cn=Revocation%20CA", "asked": False}]


def test_without_the_issuer_nothing_can_be_verified_and_chain_supplies_it(revocation, lab,
                                                                         write):
    run = revocation("crl-revoked", truststore=lab.root.pem)
    [f] = run.findings("CLIENT_REVOCATION_UNKNOWN")
    assert "--chain" in f["detail"] and run.findings("CLIENT_REVOKED") == []
    assert any("--chain issuer.pem --revocation" in c for c in f["fix"]["commands"])
    # the issuer sent along with --chain is enough to verify the CRL
    run = revocation("crl-revoked", "--chain", write("ica.pem", lab.ca.pem),
                     truststore=lab.root.pem)
    assert run.findings("CLIENT_REVOKED")
    assert run.doc["revocation"]["issuer"] == "CN=Revocation CA"


def test_a_crl_over_the_size_cap_is_refused(revocation, monkeypatch):
    monkeypatch.setattr(fetch_mod, "MAX_CRL", 100)
    run = revocation("crl-good")
    [a] = answers(run)
    assert a["status"] == "error" and "100 byte cap" in a["detail"]
    assert check(run)["status"] == "unknown"


def test_hostile_urls_in_the_certificate_reach_no_output_raw(cli, write, lab):
    """A URL is outside text: its control characters are shown escaped in every format, and
    one that urllib refuses is an error, not a crash."""
    pki = PKI(now=datetime.now(UTC).replace(microsecond=0), key_offset=3100)
    hostile = pki.leaf(lab.ca, "hostile.client.test", extra_extensions=revocation_extensions(
        crl=(f"{lab.base}/\x1b]52;c;cHduZWQ=\x07.crl", "ldap://x/\x1b[2J\r\nFORGED")))
    cert, ts = write("hostile.pem", hostile.pem), write("ts.pem", lab.truststore())
    for fmt in ("text", "markdown", "json"):
        run = cli("verify-client", "--cert", cert, "--truststore", ts, "--revocation",
                  "--format", fmt, json_out=False, at=False)
        assert run.rc == 1
        assert "\x1b" not in run.out and "\x07" not in run.out and "\r" not in run.out
        assert "CLIENT_REVOCATION_UNKNOWN" in run.out


def test_text_report_says_revoked_and_why(revocation):
    run = revocation("ocsp-revoked", json_out=False)
    assert run.rc == 1
    assert "CLIENT_REVOKED" in run.out and "API Gateway itself does not check" in run.out


# -- the fetcher on its own -------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x.crl",
                                 "ldap://127.0.0.1/x", "http:///nohost", "data:,x"])
def test_only_http_urls_are_fetched(url):
    got = fetch_mod.fetch(url, Deadline(5), call="crl.fetch", max_bytes=100)
    assert got.body is None and got.attempt.status is Status.ERROR


def test_a_cancelled_deadline_fetches_nothing(lab):
    deadline = Deadline(5)
    deadline.cancel()
    got = fetch_mod.fetch(f"{lab.base}/good.crl", deadline, call="crl.fetch", max_bytes=1000)
    assert got.attempt.status is Status.CANCELLED and got.body is None


def test_the_help_documents_the_option(cli):
    run = cli("verify-client", "--help", json_out=False)
    assert "--revocation" in run.out and "never checks" in run.out
