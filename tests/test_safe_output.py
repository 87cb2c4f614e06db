"""Safe output (the contract's "Safe output" section): no output stream carries a control, bidi or
zero-width character that came from outside; lists of names cannot pose as more entries; JSON is
ASCII; `-o FILE` and the TUI export never write onto an input or through a symbolic link; the
crash handler survives a file name that is not UTF-8.

Hostile text is planted where the outside world can put it: a certificate's CN, O, OU, SANs and
extension values (files, a served chain, the server's acceptable CA names), a live server's HTTP
answer, an AWS snapshot's fields, file names. Every command is run in every format and its
stdout and stderr are searched for the forbidden characters; the TUI's screen is read cell by
cell.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mtls_doctor import cli as cli_module
from mtls_doctor import safe
from mtls_doctor.diagnose.run import CollectorRun, DiagnoseOptions
from mtls_doctor.errors import InputError
from mtls_doctor.model.finding import Check, CheckStatus, Finding, Fix, Severity
from mtls_doctor.model.probe import ClientAuth, ClientCertificate, HttpAnswer, Outcome, ProbeResult
from mtls_doctor.model.report import Report
from mtls_doctor.report import render
from mtls_doctor.safe import safe_names, safe_text
from tests.conftest import Run
from tests.pki_factory import NOW, PKI, Issued
from tests.test_tui import drive_options

CLI = Callable[..., Run]
FORMATS = ("text", "json", "markdown", "html")

# -- the hostile text ----------------------------------------------------------------------------

OSC52 = "\x1b]52;c;ZWNobyBQV05FRA==\x07"  # sets the terminal's clipboard to `echo PWNED`
CSI = "\x9b"  # C1 control sequence introducer
RLO = "\u202e"  # right-to-left override
ZWSP = "\u200b"  # zero-width space
LSEP = "\u2028"  # line separator
FORGED = "mtls-doctor: all checks passed"
FORGE = f"\n {FORGED}"
MARKUP = "[bold red]styled[/bold red]"
#: every kind at once, for places with room for it
HOSTILE = f"{OSC52}{CSI}{RLO}{ZWSP}{LSEP}{MARKUP}{FORGE}"

#: what no output stream may carry from outside (newline only as the tool's own layout)
FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e"
                       "\u2028\u2029\u2060-\u2069\ufeff]")


def assert_clean(text: str, where: str = "") -> None:
    """No forbidden character, no forged line, and (HTML) no forbidden character behind an
    entity either."""
    for candidate in (text, html.unescape(text)):
        bad = FORBIDDEN.search(candidate)
        assert bad is None, (where, repr(bad.group()), candidate[max(0, bad.start() - 80):
                                                              bad.start() + 40])
    for line in text.splitlines():
        assert not line.strip().startswith(FORGED), (where, line)


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def assert_shown_escaped(text: str, where: str = "") -> None:
    """The hostile characters are there to read, escaped (in JSON as \\u escapes; Markdown
    escapes the backslash and the bracket once more)."""
    bare = text.replace("\\", "")
    if text.lstrip().startswith("{"):
        assert "u001b]52" in bare and "u202e" in bare, where
    else:
        assert "x1b]52" in bare and "u202e" in bare, where


# -- hostile certificates ------------------------------------------------------------------------


def hostile_name(tag: str) -> x509.Name:
    """A subject with every hostile kind: OSC 52, C1, RLO in the CN; zero-width, line separator
    and rich markup in O; a forged report line in OU."""
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"{ZWSP}{LSEP}{MARKUP}"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, FORGE),
        x509.NameAttribute(NameOID.COMMON_NAME, f"{tag}{OSC52}{CSI}{RLO}"),
    ])


#: ASCII-only places (DNS names, URIs: cryptography wants A-labels there) carry the controls
HOSTILE_SANS = (f"DNS:evil{OSC52}.example", f"URI:http://x.example/{OSC52}",
                f"email:a{OSC52}@x.example")


@dataclass(frozen=True)
class HostilePKI:
    root: Issued
    server: Issued
    client: Issued
    files: dict[str, str]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> HostilePKI:
    # the real clock: the live server and the probe judge validity now
    pki = PKI(now=datetime.now(UTC).replace(microsecond=0), key_offset=950)
    constraints = x509.NameConstraints(
        permitted_subtrees=[x509.DirectoryName(hostile_name("permitted"))], excluded_subtrees=None)
    crl = x509.CRLDistributionPoints([x509.DistributionPoint(
        [x509.UniformResourceIdentifier(f"http://crl.example/{OSC52}")], None, None, None)])
    aia = x509.AuthorityInformationAccess([x509.AccessDescription(
        AuthorityInformationAccessOID.CA_ISSUERS,
        x509.UniformResourceIdentifier(f"http://ca.example/{OSC52}"))])
    root = pki.root("root", subject=hostile_name("root"),
                    extra_extensions=[(constraints, True), (crl, False), (aia, False)])
    server = pki.leaf(root, "server", subject=hostile_name("server"),
                      sans=("DNS:api.example.test", *HOSTILE_SANS), eku=("serverAuth",))
    client = pki.leaf(root, "client", subject=hostile_name("client"),
                      sans=HOSTILE_SANS, eku=("clientAuth",))
    d = tmp_path_factory.mktemp("hostile")
    files = {
        "certs.pem": root.pem + server.pem + client.pem,
        "truststore.pem": root.pem,
        "client.pem": client.pem,
        "client.key": client.key_pem(),
    }
    out = {}
    for name, data in files.items():
        (d / name).write_bytes(data)
        out[name] = str(d / name)
    return HostilePKI(root, server, client, out)


# -- a hostile live server -----------------------------------------------------------------------


HTTP_BODY = f"denied {HOSTILE}".encode()
HTTP_ANSWER = (b"HTTP/1.1 403 Forbidden\x1b[2J\r\nx-amzn-errortype: "
               + OSC52.encode("latin-1") + b"\x9b; forged: header\r\nserver: evil\r\n"
               + b"content-length: " + str(len(HTTP_BODY)).encode() + b"\r\n\r\n" + HTTP_BODY)


@contextlib.contextmanager
def hostile_server(pki: HostilePKI) -> Iterator[int]:
    """A TLS server on loopback serving the hostile chain, naming the hostile root as the one
    acceptable client CA, and answering 403 with hostile text in its status line, a header and
    the body. Yields its port."""
    from OpenSSL import SSL

    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    ctx.use_certificate(pki.server.cert)
    ctx.use_privatekey(pki.server.key)
    ctx.add_extra_chain_cert(pki.root.cert)
    ctx.add_client_ca(pki.root.cert)  # the acceptable CA names the probe reads
    ctx.set_verify(SSL.VERIFY_PEER, lambda *_: True)  # asks for a certificate, takes any
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        with contextlib.suppress(Exception), conn:
            tls = SSL.Connection(ctx, conn)
            tls.set_accept_state()
            tls.do_handshake()
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                data += chunk
            tls.sendall(HTTP_ANSWER)
            tls.shutdown()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.setblocking(True)
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()


@pytest.fixture(scope="module")
def server_port(hostile: HostilePKI) -> Iterator[int]:
    with hostile_server(hostile) as port:
        yield port


# -- a hostile AWS snapshot ----------------------------------------------------------------------

DOMAIN = "api.example.test"
CERT_ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-aaaa-bbbb-cccc-0123456789ab"


def hostile_facts(name: str = DOMAIN) -> Any:
    from mtls_doctor.model.domain import AcmCertificate, DomainFacts, Mapping, Mtls, TruststoreObject
    from mtls_doctor.model.evidence import Attempt, Status

    return DomainFacts(
        name=name, region="eu-west-1", region_source="option", found=True, api_type="rest",
        endpoint_type="REGIONAL", status="AVAILABLE", status_message=f"status {HOSTILE}",
        security_policy="TLS_1_2", certificate_arn=CERT_ARN,
        regional_domain_name="d-abc123.execute-api.eu-west-1.amazonaws.com",
        mtls=Mtls("s3://bucket/truststore.pem", "v1", (f"warning {HOSTILE}",)),
        mappings=(Mapping("a1b2c3d4e5", "prod", "(none)", False, f"api {HOSTILE}"),),
        mappings_read=True,
        certificates={CERT_ARN: AcmCertificate(
            CERT_ARN, "ISSUED", "AMAZON_ISSUED", f"CN={HOSTILE}", "CN=Amazon", f"x{OSC52}.test",
            (f"x{OSC52}.test", f"y{RLO}.test"), not_after=datetime(2030, 1, 1, tzinfo=UTC))},
        truststore_object=TruststoreObject("bucket", "truststore.pem", "Enabled", "v1", "v1"),
        attempts=(Attempt("acm.DescribeCertificate", Status.DENIED, f"AccessDenied: {HOSTILE}",
                          "acm:DescribeCertificate", "AccessDenied"),),
        evidence={"domain": Attempt("domain", Status.OK)},
    )


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> str:
    from mtls_doctor.aws.snapshot import dumps

    path = tmp_path_factory.mktemp("snapshot") / "facts.json"
    path.write_text(dumps(hostile_facts()), encoding="utf-8")
    return str(path)


# -- every command, every format -----------------------------------------------------------------


def command_lines(pki: HostilePKI, snapshot: str, port: int) -> dict[str, tuple[str, ...]]:
    f = pki.files
    live = (f"{DOMAIN}:{port}", "--connect", f"127.0.0.1:{port}", "--cert", f["client.pem"],
            "--key", f["client.key"], "--timeout", "10")
    return {
        "inspect": ("inspect", f["certs.pem"], "--host", DOMAIN),
        "truststore": ("truststore", f["certs.pem"]),
        "verify-client": ("verify-client", "--cert", f["client.pem"], "--key", f["client.key"],
                          "--truststore", f["truststore.pem"]),
        "domain": ("domain", DOMAIN, "--aws-snapshot", snapshot),
        "probe": ("probe", *live),
        "diagnose": ("diagnose", *live, "--aws-snapshot", snapshot, "--truststore",
                     f["truststore.pem"]),
        "explain": ("explain", f"alert unknown ca {HOSTILE}"),
    }


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("command", ["inspect", "truststore", "verify-client", "domain", "probe",
                                     "diagnose", "explain"])
def test_no_format_carries_outside_controls(cli: CLI, hostile: HostilePKI, snapshot: str,
                                            server_port: int, command: str, fmt: str) -> None:
    args = command_lines(hostile, snapshot, server_port)[command]
    run = cli(*args, "--format", fmt, json_out=False)
    assert run.rc in (0, 1), run.err
    assert_clean(run.out, f"{command} {fmt} stdout")
    assert_clean(run.err, f"{command} {fmt} stderr")
    if command != "explain":
        assert_shown_escaped(run.out, f"{command} {fmt}")
    if fmt == "json":
        assert run.out.isascii()
        doc = json.loads(run.out)  # the values themselves are kept, only written as escapes
        if command != "explain":
            assert any("\x1b]52" in v for v in strings(doc)), command


def test_the_live_servers_text_reaches_every_format_escaped(cli: CLI, hostile: HostilePKI,
                                                            snapshot: str,
                                                            server_port: int) -> None:
    """The probe really saw the hostile CA name, header and body (so the test above is not
    vacuous), and the CA names are one quoted entry each."""
    args = command_lines(hostile, snapshot, server_port)["probe"]
    doc = cli(*args).doc
    names = doc["probe"]["client_auth"]["acceptable_ca_names"]
    assert len(names) == 1 and OSC52 in names[0] and FORGE in names[0]
    assert doc["probe"]["http"]["status"] == 403
    text = cli(*args, "--format", "text", json_out=False).out
    [line] = [x for x in text.splitlines() if "acceptable CAs:" in x]
    assert re.search(r'acceptable CAs: "CN=root\\x1b\]52;.*C=DE"$', line), line
    assert "\\x0a mtls-doctor: all checks passed" in text


def test_html_to_a_terminal_cannot_set_the_clipboard(cli: CLI, hostile: HostilePKI) -> None:
    """The reported attack: `inspect cert.pem --format html` printed a raw OSC 52."""
    out = cli("inspect", hostile.files["certs.pem"], "--format", "html", json_out=False).out
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert "\\x1b]52;c;ZWNobyBQV05FRA==\\x07" in out


def test_text_with_colour_adds_only_its_own_escapes(hostile: HostilePKI) -> None:
    from mtls_doctor.commands.inspect import run_inspect

    report = run_inspect(hostile.files["certs.pem"], at=NOW, now=NOW, host=None, password=None)
    text = render(report, "text", color=True)
    assert "\x1b[" in text  # the colours are the tool's own
    own = re.compile(r"\x1b\[\d+m")
    assert_clean(own.sub("", text), "coloured text")


def test_outside_text_cannot_pose_as_a_style_marker() -> None:
    """The text renderer's style markers are private-use characters plus a nonce drawn for each
    report: outside text holding the same characters stays text."""
    from mtls_doctor.report.text import _MARK_CLOSE, _MARK_OPEN

    fake = f"{_MARK_OPEN}red{_MARK_CLOSE}x{_MARK_OPEN}{_MARK_CLOSE}"
    report = Report("probe", NOW, (Check("probe.tls", "t", CheckStatus.FAIL, fake),), (), {})
    text = render(report, "text", color=True)
    assert "\x1b[31mx" not in text
    assert fake in text  # private-use characters are not escaped, nor obeyed


# -- stderr ---------------------------------------------------------------------------------------


def test_a_snapshots_domain_name_cannot_forge_the_error_line(cli: CLI, tmp_path: Path) -> None:
    from mtls_doctor.aws.snapshot import dumps

    path = tmp_path / "other.json"
    path.write_text(dumps(hostile_facts(f"evil.example{OSC52}{RLO}{FORGE}")), encoding="utf-8")
    for fmt in FORMATS:
        run = cli("domain", DOMAIN, "--aws-snapshot", str(path), "--format", fmt, json_out=False)
        assert run.rc == 2 and run.out == ""
        assert run.err.count("\n") == 1 and run.err.startswith("mtls-doctor: ")
        assert_clean(run.err, f"domain {fmt} stderr")
        assert "\\x0a mtls-doctor: all checks passed" in run.err


def test_progress_lines_are_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    monkeypatch.setattr(err, "isatty", lambda: True)
    monkeypatch.setattr(sys, "stderr", err)
    args = cli_module.build_parser().parse_args(["diagnose", DOMAIN, "--format", "text"])
    show = cli_module._progress(args)
    assert show is not None
    show(CollectorRun(f"probe{OSC52}", "failed", 1.0, f"no answer from {HOSTILE}"))
    line = err.getvalue()
    assert line.count("\n") == 1
    assert_clean(line, "progress")
    assert "\\x1b]52" in line and "\\x0a mtls-doctor: all checks passed" in line


def test_diagnose_progress_on_a_terminal_is_safe(cli: CLI, hostile: HostilePKI, snapshot: str,
                                                 server_port: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    args = command_lines(hostile, snapshot, server_port)["diagnose"]
    run = cli(*args, "--format", "text", json_out=False)
    assert run.rc in (0, 1)
    assert "probe" in run.err  # the progress lines were written
    assert_clean(run.err, "diagnose progress")
    assert_clean(run.out, "diagnose text")


def test_report_written_line_and_argparse_errors_are_safe(cli: CLI, hostile: HostilePKI,
                                                          tmp_path: Path) -> None:
    out = tmp_path / f"r{OSC52}{RLO}{FORGE}.txt"
    run = cli("inspect", hostile.files["client.pem"], "-o", str(out), json_out=False)
    assert run.rc == 0 and out.exists()
    assert run.err.count("\n") == 1
    assert_clean(run.err, "report written")
    run = cli("inspect", hostile.files["client.pem"], f"extra{OSC52}{FORGE}", json_out=False)
    assert run.rc == 2 and run.err.count("\n") == 1
    assert_clean(run.err, "usage error")


# -- the crash handler and file names that are not UTF-8 -------------------------------------------

CRASH = ("import sys\nfrom mtls_doctor import cli\n"
         "def boom(args):\n    raise RuntimeError('bug \\udcff \\x1b]52;c;x\\x07\\n' + str(args.file))\n"
         "cli.run = boom\nsys.exit(cli.main())\n")


def test_the_crash_handler_survives_a_non_utf8_file_name(tmp_path: Path) -> None:
    """An internal error (exit 3) while the command line holds a non-UTF-8 byte: one line on
    stderr, the details in a file (with the byte written as an escape)."""
    bad = os.fsencode(tmp_path) + b"/c\xff\x1b.pem"
    proc = subprocess.run([sys.executable, "-c", CRASH, "inspect", bad, "-o",
                           os.fsencode(tmp_path) + b"/out\xfe.txt"],
                          capture_output=True, timeout=60, check=False,
                          env={**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": os.getcwd()})
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 3, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "internal error (RuntimeError)" in err
    assert_clean(err, "crash line")
    [report] = tmp_path.glob("mtls-doctor-crash-*.txt")
    assert str(report) in err
    details = report.read_text(encoding="utf-8")
    assert "\\udcff" in details and "RuntimeError" in details


def test_a_non_utf8_file_name_is_reported_not_a_crash(tmp_path: Path,
                                                      hostile: HostilePKI) -> None:
    src = os.fsencode(tmp_path) + b"/cert\xff.pem"
    with open(src, "wb") as fh:
        fh.write(hostile.client.pem)
    out = os.fsencode(tmp_path) + b"/report\xfe.txt"
    for fmt in FORMATS:
        proc = subprocess.run([sys.executable, "-m", "mtls_doctor", "inspect", src, "--format", fmt,
                               "-o", out], capture_output=True, timeout=60, check=False)
        err = proc.stderr.decode("utf-8")
        assert proc.returncode == 0, err
        assert err.count("\n") == 1 and "report written to" in err and "\\udcfe" in err
        with open(out, "rb") as fh:
            written = fh.read().decode("utf-8")
        assert_clean(written, fmt)
        assert "\\udcff" in written  # the file's name, shown escaped
        proc = subprocess.run([sys.executable, "-m", "mtls_doctor", "inspect", src, "--format",
                               fmt], capture_output=True, timeout=60, check=False)
        assert proc.returncode == 0, proc.stderr
        assert_clean(proc.stdout.decode("utf-8"), f"{fmt} stdout")


# -- -o FILE ---------------------------------------------------------------------------------------


@pytest.fixture
def inputs(tmp_path: Path, hostile: HostilePKI) -> dict[str, Path]:
    out = {}
    for name in ("client.pem", "client.key", "truststore.pem"):
        path = tmp_path / name
        path.write_bytes(Path(hostile.files[name]).read_bytes())
        out[name] = path
    return out


def verify(inputs: dict[str, Path]) -> tuple[str, ...]:
    return ("verify-client", "--cert", str(inputs["client.pem"]), "--key",
            str(inputs["client.key"]), "--truststore", str(inputs["truststore.pem"]))


def unchanged(inputs: dict[str, Path], hostile: HostilePKI) -> bool:
    return all(p.read_bytes() == Path(hostile.files[n]).read_bytes() for n, p in inputs.items())


def refused(run: Run, word: str) -> None:
    assert run.rc == 2, (run.rc, run.err)
    assert run.out == "" and run.err.count("\n") == 1 and "Traceback" not in run.err
    assert word in run.err, run.err


@pytest.mark.parametrize("how", ["same", "spelled", "symlink", "hardlink", "symlinked-dir"])
def test_output_never_replaces_an_input(cli: CLI, inputs: dict[str, Path], hostile: HostilePKI,
                                        tmp_path: Path, how: str) -> None:
    key = inputs["client.key"]
    if how == "same":
        target = str(key)
    elif how == "spelled":
        (tmp_path / "sub").mkdir()
        target = str(tmp_path / "sub" / ".." / "client.key")
    elif how == "symlink":
        (tmp_path / "link.html").symlink_to(key)
        target = str(tmp_path / "link.html")
    elif how == "hardlink":
        os.link(key, tmp_path / "hard.html")
        target = str(tmp_path / "hard.html")
    else:
        (tmp_path / "dir").symlink_to(tmp_path, target_is_directory=True)
        target = str(tmp_path / "dir" / "client.key")
    run = cli(*verify(inputs), "--format", "html", "-o", target, json_out=False)
    refused(run, "symbolic link" if how == "symlink" else "also an input")
    assert unchanged(inputs, hostile)


def test_output_onto_the_snapshot_and_save_onto_output(cli: CLI, snapshot: str,
                                                       tmp_path: Path) -> None:
    before = Path(snapshot).read_bytes()
    refused(cli("domain", DOMAIN, "--aws-snapshot", snapshot, "-o", snapshot, json_out=False),
            "also an input")
    assert Path(snapshot).read_bytes() == before
    target = tmp_path / "facts.json"
    refused(cli("domain", DOMAIN, "--aws-snapshot", snapshot, "--save", str(target), "-o",
                str(target), json_out=False), "--save")
    assert not target.exists()


def test_output_through_any_symlink_is_refused(cli: CLI, inputs: dict[str, Path],
                                               hostile: HostilePKI, tmp_path: Path) -> None:
    """-o does not follow a symbolic link, wherever it points (an unrelated file, nowhere)."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "to-victim").symlink_to(victim)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere.txt")
    for link in ("to-victim", "dangling"):
        run = cli(*verify(inputs), "-o", str(tmp_path / link), json_out=False)
        refused(run, "symbolic link")
    assert victim.read_text() == "keep me"
    assert not (tmp_path / "nowhere.txt").exists()


def test_output_onto_a_fifo_or_directory_is_refused(cli: CLI, inputs: dict[str, Path],
                                                    tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    refused(cli(*verify(inputs), "-o", str(fifo), json_out=False), "FIFO")
    refused(cli(*verify(inputs), "-o", str(tmp_path), json_out=False), "directory")


def test_output_to_new_and_existing_files(cli: CLI, inputs: dict[str, Path],
                                          tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    run = cli(*verify(inputs), "--format", "json", "-o", str(target), json_out=False)
    assert run.rc in (0, 1) and json.loads(target.read_text())["command"] == "verify-client"
    target.write_text("x" * 100000)  # an existing file is replaced, not appended to
    run = cli(*verify(inputs), "--format", "json", "-o", str(target), json_out=False)
    assert run.rc in (0, 1) and json.loads(target.read_text())["command"] == "verify-client"


def test_write_report_rechecks_the_opened_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               inputs: dict[str, Path], hostile: HostilePKI) -> None:
    """The file checked first may be swapped before the write: the open file itself is checked
    (by device and inode) before anything is truncated."""
    os.link(inputs["client.key"], tmp_path / "swapped.txt")
    monkeypatch.setattr(safe, "check_output", lambda *a, **k: None)
    with pytest.raises(InputError, match="also an input"):
        safe.write_report(tmp_path / "swapped.txt", "report", [str(inputs["client.key"])])
    assert unchanged(inputs, hostile)
    (tmp_path / "link").symlink_to(tmp_path / "victim")
    with pytest.raises(OSError):  # O_NOFOLLOW
        safe.write_report(tmp_path / "link", "report", [])
    assert not (tmp_path / "victim").exists()


# -- the TUI ---------------------------------------------------------------------------------------

pytest.importorskip("textual")


def screen_text(app: Any) -> str:
    """What the terminal shows now, cell by cell (every layer: toasts, dialogs)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


def assert_screen_clean(app: Any, where: str) -> str:
    text = screen_text(app)
    bad = FORBIDDEN.search(text.replace("\n", ""))
    assert bad is None, (where, repr(bad.group()))
    for line in text.splitlines():
        assert not line.strip(" │┃║|▏▕").startswith(FORGED), (where, line)
    return text


def tui_options(pki: HostilePKI, snapshot: str, port: int) -> DiagnoseOptions:
    when = datetime.now(UTC).replace(microsecond=0)
    f = pki.files
    return DiagnoseOptions(host=f"{DOMAIN}:{port}", at=when, now=when, connect=f"127.0.0.1:{port}",
                           cert=f["client.pem"], key=f["client.key"],
                           truststore=f["truststore.pem"], aws_snapshot=snapshot, timeout=10.0)


#: wide enough that no value of the hostile names is cut off on screen
WIDE = (300, 60)


async def finished(app: Any, pilot: Any) -> None:
    for _ in range(400):
        if app.report is not None or app.error is not None:
            break
        await pilot.pause(0.05)
    await pilot.pause()
    assert app.report is not None, app.error


def test_the_tui_shows_hostile_text_escaped_and_unstyled(hostile: HostilePKI, snapshot: str,
                                                         server_port: int) -> None:
    from textual.widgets import OptionList

    from mtls_doctor.tui.screens import CertificatesScreen, FindingScreen

    seen: dict[str, str] = {}

    async def test(app: Any, pilot: Any) -> None:
        await finished(app, pilot)
        seen["dashboard"] = assert_screen_clean(app, "dashboard")
        findings = app.dashboard.query_one("#findings", OptionList)
        findings.focus()
        for i in range(findings.option_count):  # every finding's detail pane
            if findings.get_option_at_index(i).id:
                findings.highlighted = i
                await pilot.pause()
                seen[f"finding {i}"] = assert_screen_clean(app, f"finding {i}")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FindingScreen)
        seen["finding screen"] = assert_screen_clean(app, "finding screen")
        await pilot.press("escape")
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CertificatesScreen)
        box = app.screen.query_one("#cert-list", OptionList)
        for i in range(box.option_count):
            box.highlighted = i
            await pilot.pause()
            seen[f"certificate {i}"] = assert_screen_clean(app, f"certificate {i}")

    drive_options(tui_options(hostile, snapshot, server_port), test, size=WIDE)
    everything = "\n".join(seen.values())
    assert "\\x1b]52;c;ZWNobyBQV05FRA==\\x07" in everything
    assert "\\u202e" in everything and "\\u200b" in everything and "\\u2028" in everything
    assert "\\x9b" in everything
    assert "\\x0a mtls-doctor: all checks passed" in everything
    assert MARKUP in everything  # the markup is shown as text, not obeyed


def test_tui_failure_and_notifications_are_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failed run's reason (an InputError quoting a snapshot's name) on the dashboard and in
    its notification: escaped, markup shown as text."""
    def broken(*args: Any, **kwargs: Any) -> Report:
        raise InputError(f"facts.json holds the domain {HOSTILE}, not {DOMAIN}")

    monkeypatch.setattr("mtls_doctor.tui.app.run_diagnosis", broken)
    when = datetime.now(UTC)
    options = DiagnoseOptions(host=DOMAIN, at=when, now=when)

    async def test(app: Any, pilot: Any) -> None:
        for _ in range(200):
            if app.error is not None:
                break
            await pilot.pause(0.05)
        await pilot.pause(0.2)
        text = assert_screen_clean(app, "failed run")
        assert "\\x1b]52" in text and MARKUP in text
        assert all(str(n.message).startswith("facts.json holds the domain \\x1b]52")
                   for n in app._notifications)

    drive_options(options, test, size=(200, 40))


def fake_report(*args: Any, **kwargs: Any) -> Report:
    finding = Finding("HTTP_FORBIDDEN", Severity.WARNING, "403", "detail", fix=Fix("f", (), ()))
    return Report("diagnose", NOW, (), (finding,), {})


async def open_export(app: Any, pilot: Any, path: Path | str) -> Any:
    from textual.widgets import Input

    from mtls_doctor.tui.screens import ExportScreen

    await finished(app, pilot)
    await pilot.press("e")
    await pilot.pause()
    dialog = app.screen
    assert isinstance(dialog, ExportScreen)
    dialog.query_one("#export-path", Input).value = str(path)
    await pilot.pause()
    return dialog


async def press_write(app: Any, pilot: Any) -> None:
    """Write (or Replace), and let the app's export worker finish and report back."""
    from textual.widgets import Button

    presses = app.screen.presses
    button = app.screen.query_one("#export-write", Button)
    for _ in range(40):  # a button ignores clicks while it shows the last one (0.2 s)
        if not button.has_class("-active"):
            break
        await pilot.pause(0.05)
    await pilot.click("#export-write")
    await export_settled(app, pilot, presses)


async def export_settled(app: Any, pilot: Any, presses: int) -> None:
    """Until the dialog has handled one more press than `presses` and no longer waits for the
    app's export worker (it wrote and closed, or says why not)."""
    from mtls_doctor.tui.screens import ExportScreen

    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause()
        dialog = app.screen
        if not isinstance(dialog, ExportScreen) or (dialog.presses > presses
                                                    and dialog.pending is None):
            break
        await pilot.pause(0.05)
    await pilot.pause()


@pytest.mark.parametrize("how", ["same", "symlink", "hardlink"])
def test_tui_export_refuses_an_input(monkeypatch: pytest.MonkeyPatch, inputs: dict[str, Path],
                                     hostile: HostilePKI, tmp_path: Path, how: str) -> None:
    """Typing the key's file name (or a link to it) no longer replaces the private key: the
    dialog says why and stays open."""
    monkeypatch.setattr("mtls_doctor.tui.app.run_diagnosis", fake_report)
    key = inputs["client.key"]
    target = key
    if how == "symlink":
        target = tmp_path / "k.html"
        target.symlink_to(key)
    elif how == "hardlink":
        target = tmp_path / "k.html"
        os.link(key, target)
    when = datetime.now(UTC)
    options = DiagnoseOptions(host=DOMAIN, at=when, now=when, cert=str(inputs["client.pem"]),
                              key=str(key), truststore=str(inputs["truststore.pem"]))

    async def test(app: Any, pilot: Any) -> None:
        dialog = await open_export(app, pilot, target)
        await press_write(app, pilot)
        assert app.screen is dialog, "the dialog stays open"
        assert ("symbolic link" if how == "symlink" else "also an input") in dialog.message
        await pilot.click("#export-write")  # asking again changes nothing
        await pilot.pause()
        assert app.screen is dialog and app.last_export is None

    drive_options(options, test, size=(120, 40))
    assert unchanged(inputs, hostile)


def test_tui_export_asks_before_replacing(monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    monkeypatch.setattr("mtls_doctor.tui.app.run_diagnosis", fake_report)
    existing = tmp_path / "report.html"
    existing.write_text("older report")
    when = datetime.now(UTC)

    async def test(app: Any, pilot: Any) -> None:
        from textual.widgets import Button, Input

        dialog = await open_export(app, pilot, existing)
        await press_write(app, pilot)
        assert app.screen is dialog and "exists" in dialog.message
        assert str(dialog.query_one("#export-write", Button).label) == "Replace"
        assert existing.read_text() == "older report"
        # another name forgets the question; back to the existing one asks again
        dialog.query_one("#export-path", Input).value = str(tmp_path / "other.html")
        await pilot.pause()
        assert str(dialog.query_one("#export-write", Button).label) == "Write"
        dialog.query_one("#export-path", Input).value = str(existing)
        await pilot.pause()
        await press_write(app, pilot)
        assert app.screen is dialog and existing.read_text() == "older report"
        await press_write(app, pilot)  # Replace
        assert app.screen is app.dashboard
        assert app.last_export == existing.resolve()

    drive_options(DiagnoseOptions(host=DOMAIN, at=when, now=when), test, size=(120, 40))
    assert "<html" in existing.read_text().lower()


def test_tui_export_write_error_keeps_the_dialog_open(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    monkeypatch.setattr("mtls_doctor.tui.app.run_diagnosis", fake_report)
    when = datetime.now(UTC)

    async def test(app: Any, pilot: Any) -> None:
        from textual.widgets import Input

        dialog = await open_export(app, pilot, tmp_path / "no" / "such" / f"r{OSC52}.html")
        await press_write(app, pilot)
        assert app.screen is dialog and "cannot write" in dialog.message
        assert "\\x1b]52" in dialog.message
        assert_screen_clean(app, "export error")
        field = dialog.query_one("#export-path", Input)
        field.value = str(tmp_path / "r.html")
        await pilot.pause()
        assert dialog.message == ""  # another name: the old message goes
        field.focus()
        presses = dialog.presses
        await pilot.press("enter")  # a second try, same dialog (the toast may cover Write)
        await export_settled(app, pilot, presses)
        assert app.screen is app.dashboard and (tmp_path / "r.html").exists()

    drive_options(DiagnoseOptions(host=DOMAIN, at=when, now=when), test, size=(120, 40))


# -- the functions themselves ----------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "shown"), [
    ("\x1b]52;c;x\x07", "\\x1b]52;c;x\\x07"),
    ("a\tb\r\nc", "a\\x09b\\x0d\\x0ac"),
    ("\x7f\x80\x9b\x9f", "\\x7f\\x80\\x9b\\x9f"),
    ("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e", "\\u061c\\u200e\\u200f\\u202a\\u202b"
     "\\u202c\\u202d\\u202e"),
    ("\u2066\u2067\u2068\u2069", "\\u2066\\u2067\\u2068\\u2069"),
    ("\u200b\u200c\u200d\u2060\ufeff", "\\u200b\\u200c\\u200d\\u2060\\ufeff"),
    ("\u2028\u2029", "\\u2028\\u2029"),
    ("\udcff", "\\udcff"),
    ("\U000e0041", "\\U000e0041"),  # a tag character: invisible
    ("\u00ad", "\\xad"),  # soft hyphen
    ("CN=Zürich → 東京 \\< ok", "CN=Zürich → 東京 \\< ok"),
    ("", ""),
])
def test_safe_text(raw: str, shown: str) -> None:
    assert safe_text(raw) == shown
    assert safe_text(shown) == shown
    assert safe_text(None) == ""


@pytest.mark.parametrize(("names", "shown"), [
    (["DNS:a.example", "DNS:b.example"], "DNS:a.example, DNS:b.example"),
    (["CN=a, CN=b"], '"CN=a, CN=b"'),
    (["CN=a", "CN=b"], "CN=a, CN=b"),
    (['say "hi"', "x\\y", "", " pad"], '"say \\"hi\\"", "x\\\\y", "", " pad"'),
    ([f"a{OSC52}"], "a\\x1b]52;c;ZWNobyBQV05FRA==\\x07"),
])
def test_safe_names(names: list[str], shown: str) -> None:
    assert safe_names(names) == shown


def test_safe_names_with_another_separator() -> None:
    assert safe_names(["CN=leaf,O=x", "CN=root"], " → ") == "CN=leaf,O=x → CN=root"
    assert safe_names(["CN=a → CN=b", "CN=c"], " → ") == '"CN=a → CN=b" → CN=c'


def parse_names(text: str, sep: str = ", ") -> list[str]:
    """The entries of a `safe_names` list (the inverse of its quoting: each entry as
    `safe_text` shows it)."""
    out: list[str] = []
    i = 0
    while True:
        if text.startswith('"', i):
            j, value = i + 1, []
            while text[j] != '"':
                if text[j] == "\\" and text[j + 1] in '"\\':  # \" and \\ are the quoting's
                    j += 1
                elif text[j] == "\\":  # safe_text's own escape (\x1b): kept as shown
                    value.append(text[j])
                    j += 1
                value.append(text[j])
                j += 1
            out.append("".join(value))
            i = j + 1
        else:
            j = text.find(sep, i)
            j = len(text) if j < 0 else j
            out.append(text[i:j])
            i = j
        if i >= len(text):
            return out
        assert text.startswith(sep, i), (text, i)
        i += len(sep)


#: any text, with the hostile characters and the list separators more often than chance
ANY_TEXT = st.lists(st.characters(codec="utf-8") | st.sampled_from(
    [*"\x1b\x07\x9b\n\r\t\u202e\u200b\u2028\"\\,", "\udcff", ", ", '", "', "[bold]"]),
    max_size=20).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ANY_TEXT, min_size=1, max_size=6))
def test_safe_names_never_pose_as_more_entries(names: list[str]) -> None:
    shown = safe_names(names)
    assert FORBIDDEN.search(shown) is None
    parsed = parse_names(shown)
    assert len(parsed) == len(names)
    assert parsed == [safe_text(n) for n in names]


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_safe_text_properties(text: str) -> None:
    shown = safe_text(text)
    assert FORBIDDEN.search(shown) is None
    assert safe_text(shown) == shown
    shown.encode("utf-8")  # no lone surrogate left: any stream can write it
    if not any(c in text for c in "\x1b\x07\x9b\n\r\t\u202e\u200b\u2028\udcff"):
        assert len(shown) >= len(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=ANY_TEXT, detail=ANY_TEXT, subject=ANY_TEXT, names=st.lists(ANY_TEXT, max_size=3),
       body=ANY_TEXT, command=ANY_TEXT)
def test_every_renderer_makes_generated_text_safe(title: str, detail: str, subject: str,
                                                  names: list[str], body: str,
                                                  command: str) -> None:
    probe = ProbeResult(
        host="h.example", port=443, address="192.0.2.1", sni="h.example", tls_version="TLSv1.2",
        cipher=title, client_auth=ClientAuth(True, True, tuple(names)),
        client_certificate=ClientCertificate(True, Outcome.REJECTED, None, subject, subject),
        http=HttpAnswer(403, detail, {"x-amzn-errortype": title}, body))
    finding = Finding("MTLS_CLIENT_CERT_REJECTED", Severity.ERROR, title, detail, subject=subject,
                      location=body, evidence={"x": detail, "names": names},
                      fix=Fix(title, (detail,), (command,)))
    report = Report("probe", NOW, (Check("probe.tls", title, CheckStatus.FAIL, detail),),
                    (finding,), {"probe": probe})
    for fmt in FORMATS:
        out = render(report, fmt, color=fmt == "text")
        if fmt == "text":
            out = re.sub(r"\x1b\[\d+m", "", out)
        if fmt == "json":
            assert out.isascii()
        assert_clean(out, fmt)
