"""Report export: Markdown and HTML for every command, `-o FILE`, hostile certificate text
escaped, `--redact` consistent in every format, and no private key material in any format."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from mtls_doctor.model.certificate import HostnameMatch
from mtls_doctor.model.finding import Check, CheckStatus, Finding, Fix, Severity
from mtls_doctor.model.probe import (
    ClientAuth,
    ClientCertificate,
    ErrorKind,
    HttpAnswer,
    Outcome,
    ProbeError,
    ProbeResult,
)
from mtls_doctor.model.report import Report
from mtls_doctor.report import render
from mtls_doctor.report.json import document
from mtls_doctor.report.markdown import md_code_block, md_text
from mtls_doctor.report.redact import redact_report
from tests import servers
from tests.conftest import AT, Run
from tests.pki_factory import NOW, PKI, Issued, private_key_pem
from tests.servers import LOOPBACK, ServerPKI, openssl_server

server_pki = servers.server_pki  # the session fixture, visible to this module

CLI = Callable[..., Run]
EXPORTS = ("markdown", "html")
ALL_FORMATS = ("text", "json", "markdown", "html")
SCRIPT_CN = "<script>alert(1)</script>"
IMG_SAN = '"><img src=x onerror=alert(1)>'
#: the SAN in a list of names: quoted, its quote escaped (it holds one), so it is one entry
QUOTED_IMG_SAN = r'"DNS:\"><img src=x onerror=alert(1)>"'


# -- helpers -----------------------------------------------------------------------------------


class _Page(HTMLParser):
    """Every element and every piece of text of an HTML page (entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.data: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.data.append(data)

    @property
    def names(self) -> set[str]:
        return {t for t, _ in self.tags}

    @property
    def text(self) -> str:
        return "".join(self.data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def assert_safe_page(html: str) -> _Page:
    """A self-contained page: no script, no embedded or external resource, no event handler;
    the only links are `<a href="#anchor">` to an id of the page itself."""
    page = parse(html)
    assert html.startswith("<!DOCTYPE html>")
    assert not page.names & {"script", "img", "iframe", "object", "embed", "link", "svg", "base",
                             "form", "input", "video", "audio", "source"}, page.names
    ids = [attrs["id"] for _, attrs in page.tags if attrs.get("id")]
    assert len(ids) == len(set(ids)), "an id used twice"
    for tag, attrs in page.tags:
        for name in attrs:
            assert not name.startswith("on"), (tag, attrs)
            assert name not in ("src", "srcset", "action", "formaction"), (tag, attrs)
        if "href" in attrs:
            href = attrs["href"] or ""
            assert tag == "a" and re.fullmatch(r"#[a-z0-9_-]+", href), (tag, attrs)
            assert href[1:] in ids, f"link to a missing anchor: {href}"
    assert "@media print" in html and "<style>" in html
    assert "@media (prefers-color-scheme: dark)" in html
    return page


def outside_code(markdown: str) -> list[str]:
    """The lines of a Markdown document outside fenced code blocks."""
    out: list[str] = []
    fence: str | None = None
    for line in markdown.splitlines():
        m = re.match(r"^(`{3,})", line)
        if fence is None and m:
            fence = m.group(1)
        elif fence is not None and line.strip() == fence:
            fence = None
        elif fence is None:
            out.append(line)
    assert fence is None, "unclosed code fence"
    return out


def unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def assert_sound_markdown(markdown: str) -> None:
    """Tables keep their shape, no raw HTML outside code, headings are ours."""
    lines = outside_code(markdown)
    for line in lines:
        assert "<" not in line and ">" not in line, line
        if line.startswith("#"):
            assert re.match(r"^#{1,4} ", line), line
    table: int | None = None
    for line in lines:
        if line.startswith("|"):
            n = unescaped_pipes(line)
            table = n if table is None else table
            assert n == table, f"table row with {n} cells instead of {table}: {line}"
        else:
            table = None


def run_format(cli: CLI, fmt: str, *args: str) -> Run:
    run = cli(*args, "--format", fmt, json_out=False)
    assert run.rc in (0, 1), run.err
    return run


def certs_pem(*issued: Issued) -> bytes:
    return b"".join(i.pem for i in issued)


@pytest.fixture(scope="module")
def pki_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A truststore with a missing issuer, a client it rejects, a client it accepts, and a
    file of hostile certificates."""
    pki = PKI()
    d = tmp_path_factory.mktemp("export")
    root = pki.root("Export Root")
    ica = pki.intermediate(root, "Export Issuing CA")
    orphan_root = pki.root("Orphan Root")
    orphan_ica = pki.intermediate(orphan_root, "Orphan Issuing CA")
    good = pki.leaf(ica, "device-7.acme.example",
                    sans=("DNS:device-7.acme.example", "DNS:*.fleet.acme.example"))
    rejected = pki.leaf(orphan_ica, "sensor-9.partner.example")
    evil_root = pki.root("Evil <b>Root</b> | `tick` # hash")
    evil = pki.leaf(evil_root, SCRIPT_CN, sans=(f"DNS:{IMG_SAN}", "DNS:ok.example.com"))
    newline = pki.leaf(evil_root, "line1\n# injected | x")
    files = {
        "truststore": certs_pem(root, ica, orphan_ica),
        "good": good.pem,
        "rejected": rejected.pem + orphan_ica.pem,
        "evil": evil.pem + newline.pem + evil_root.pem,
        "evil_truststore": certs_pem(evil_root, newline),
        "evil_client": evil.pem,
        "with_key": root.pem + private_key_pem() + ica.pem,
    }
    out = {}
    for name, data in files.items():
        path = d / f"{name}.pem"
        path.write_bytes(data)
        out[name] = str(path)
    return out


def commands(f: dict[str, str]) -> dict[str, tuple[str, ...]]:
    return {
        "inspect": ("inspect", f["good"], "--host", "device-7.acme.example"),
        "truststore": ("truststore", f["truststore"]),
        "verify-client": ("verify-client", "--cert", f["rejected"], "--truststore", f["truststore"]),
    }


# -- every command in every export format ------------------------------------------------------


@pytest.mark.parametrize("fmt", EXPORTS)
@pytest.mark.parametrize("command", ["inspect", "truststore", "verify-client"])
def test_every_command_exports(cli: CLI, pki_files: dict[str, str], command: str, fmt: str) -> None:
    args = commands(pki_files)[command]
    ref = cli(*args)
    run = run_format(cli, fmt, *args)
    assert run.rc == ref.rc
    assert run.err == ""
    out = run.out
    s = ref.doc["summary"]
    if fmt == "markdown":
        assert out.startswith(f"# mtls-doctor {command}: ")
        assert f"{s['errors']} error" in out and f"{s['warnings']} warning" in out
        assert "## Checks" in out and "## Findings" in out
        assert_sound_markdown(out)
        text = out
    else:
        page = assert_safe_page(out)
        text = page.text
        assert f"mtls-doctor {command}" in text
    # the same findings and checks as the JSON document, in the same words
    for f in ref.doc["findings"]:
        assert f["id"] in text
        for cmd in f["fix"]["commands"] if f.get("fix") else ():
            assert cmd in text  # verbatim: in a fenced block / a <pre>
    for c in ref.doc["checks"]:
        assert (md_text(c["title"]) if fmt == "markdown" else c["title"]) in text
    for cert in ref.doc.get("certificates", []):
        assert (md_text(cert["subject"]) if fmt == "markdown" else cert["subject"]) in text


def test_markdown_sections_per_payload(cli: CLI, pki_files: dict[str, str]) -> None:
    cmds = commands(pki_files)
    ts = run_format(cli, "markdown", *cmds["truststore"]).out
    assert "### Chains (root at the top)" in ts
    # the chain as an indented list: the issuing CA one level below its root
    assert re.search(r"^- \*\*CN=Export Root\*\*.*\n  - \*\*CN=Export Issuing CA\*\*", ts, re.M)
    assert re.search(r"^- ❌ \*\*issuer not in bundle: CN=Orphan Root\*\*", ts, re.M)
    assert "### Errors (" in ts and "```sh" in ts
    vc = run_format(cli, "markdown", *cmds["verify-client"]).out
    assert "## Verdict" in vc and "REJECTED (ISSUER\\_NOT\\_IN\\_TRUSTSTORE)" in vc
    assert re.search(r"^- ❌ \*\*missing: CN=Orphan Root\*\*", vc, re.M)
    assert "## Client certificate" in vc and "## Truststore: " in vc
    ins = run_format(cli, "markdown", *cmds["inspect"]).out
    assert "### Certificate \\#1" in ins
    assert "device-7.acme.example: covered" in ins.replace("\\", "")


def test_html_draws_chains_as_nested_lists(cli: CLI, pki_files: dict[str, str]) -> None:
    html = run_format(cli, "html", *commands(pki_files)["truststore"]).out
    assert_safe_page(html)
    nested = re.search(r'<ul class="tree">\s*<li class="node ok"><span class="subject">CN=Export Root'
                       r'</span>.*?<ul class="tree">\s*<li class="node ok"><span class="subject">'
                       r"CN=Export Issuing CA", html, re.S)
    assert nested, html
    assert 'class="finding error"' in html and '<pre class="commands">' in html


def test_html_to_a_file(cli: CLI, pki_files: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    run = cli(*commands(pki_files)["verify-client"], "--format", "html", "-o", str(out),
              json_out=False)
    assert run.rc == 1
    assert run.out == ""
    assert "report written to" in run.err
    html = out.read_text(encoding="utf-8")
    page = assert_safe_page(html)
    assert "CLIENT_REJECTED" in page.text
    assert html.rstrip().endswith("</html>")


def test_markdown_to_a_file(cli: CLI, pki_files: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    run = cli(*commands(pki_files)["truststore"], "--format", "markdown", "-o", str(out),
              json_out=False)
    assert run.rc == 1 and run.out == ""
    assert out.read_text(encoding="utf-8").startswith("# mtls-doctor truststore: ")


# -- attacker-chosen certificate text ----------------------------------------------------------


@pytest.mark.parametrize("args", [
    ("inspect", "evil"), ("truststore", "evil_truststore"), ("verify-client", "evil_client"),
])
def test_hostile_names_are_escaped_in_html(cli: CLI, pki_files: dict[str, str],
                                           args: tuple[str, str]) -> None:
    command, name = args
    argv = ((command, pki_files[name]) if command != "verify-client" else
            (command, "--cert", pki_files[name], "--truststore", pki_files["evil_truststore"]))
    html = run_format(cli, "html", *argv).out
    page = assert_safe_page(html)
    assert "script" not in page.names and "img" not in page.names and "b" not in page.names
    # the names are shown, as text (RFC 4514 escapes < in a subject as \<)
    if command != "truststore":
        assert r"CN=\<script\>alert(1)\</script\>" in page.text
        assert r"CN=\&lt;script\&gt;alert(1)\&lt;/script\&gt;" in html
    if command == "inspect":
        # a SAN holding a quote is quoted in the list, so it cannot pose as two
        assert f"{QUOTED_IMG_SAN}, DNS:ok.example.com" in page.text
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert r"Evil \<b\>Root\</b\> | `tick` # hash" in page.text


def test_hostile_names_are_escaped_in_markdown(cli: CLI, pki_files: dict[str, str]) -> None:
    for argv in (("inspect", pki_files["evil"]), ("truststore", pki_files["evil_truststore"])):
        md = run_format(cli, "markdown", *argv).out
        assert_sound_markdown(md)
        lines = outside_code(md)
        assert not any(line.lstrip("- ").startswith("# injected") for line in lines)
        assert r"CN=line1\\x0a\# injected \| x" in md  # the newline shown, never a line break
        assert r"Evil \\&lt;b\\&gt;Root\\&lt;/b\\&gt; \| \`tick\` \# hash" in md
    md = run_format(cli, "markdown", "inspect", pki_files["evil"]).out
    assert r'"DNS:\\"&gt;&lt;img src=x onerror=alert(1)&gt;", DNS:ok.example.com' in md


def test_markdown_helpers() -> None:
    assert md_text("a|b`c*d_e[f]<g>&h\ni") == r"a\|b\`c\*d\_e\[f\]&lt;g&gt;&amp;h\\x0ai"
    block = md_code_block(["echo ```", "````x"], "sh")
    assert block[0] == "`````sh" and block[-1] == "`````"
    assert md_text("\x1b[31mred") == r"\\x1b\[31mred"


MARKDOWN_ELEMENTS = {"h1", "h2", "h3", "h4", "p", "table", "thead", "tbody", "tr", "th", "td",
                     "ul", "ol", "li", "strong", "code", "pre"}


def test_markdown_renders_to_no_html_elements(cli: CLI, pki_files: dict[str, str]) -> None:
    """With a CommonMark renderer at hand (markdown-it-py, which rich brings), the hostile
    Markdown renders to our own structure and text, never to tags of its own."""
    markdown_it = pytest.importorskip("markdown_it")
    renderer = markdown_it.MarkdownIt("commonmark").enable("table")
    for md in (run_format(cli, "markdown", "inspect", pki_files["evil"]).out,
               run_format(cli, "markdown", "truststore", pki_files["evil_truststore"]).out,
               render(hostile_probe_report(), "markdown")):
        page = parse(renderer.render(md))
        assert page.names <= MARKDOWN_ELEMENTS, page.names - MARKDOWN_ELEMENTS
        assert sum(1 for t, _ in page.tags if t == "h1") == 1
    page = parse(renderer.render(run_format(cli, "markdown", "inspect", pki_files["evil"]).out))
    assert r"CN=\<script\>alert(1)\</script\>" in page.text
    assert QUOTED_IMG_SAN in page.text
    assert r"Evil \<b\>Root\</b\> | `tick` # hash" in page.text
    assert r"CN=line1\x0a# injected | x" in page.text


# -- a probe payload -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s_server(server_pki: ServerPKI) -> Iterator[servers.Server]:
    with openssl_server(server_pki, client_auth="required", tls="1.3") as server:
        yield server


def probe_args(server: servers.Server, pki: ServerPKI) -> tuple[str, ...]:
    return ("probe", f"api.example.test:{server.port}", "--connect", LOOPBACK, "--timeout", "5",
            "--cert", str(pki.client_pem), "--key", str(pki.client_key))


@pytest.mark.parametrize("fmt", EXPORTS)
def test_probe_exports(cli: CLI, s_server: servers.Server, server_pki: ServerPKI, fmt: str) -> None:
    run = run_format(cli, fmt, *probe_args(s_server, server_pki))
    assert run.rc == 0, run.out
    text = run.out if fmt == "markdown" else assert_safe_page(run.out).text
    assert "Live connection" in text and "Served chain" in text
    assert "TLSv1.3" in text
    assert "CN=api.example.test" in text.replace("\\", "")
    assert "accepted" in text
    assert f"api.example.test:{s_server.port}" in text.replace("\\", "")
    if fmt == "markdown":
        assert_sound_markdown(run.out)


def test_probe_redacted(cli: CLI, s_server: servers.Server, server_pki: ServerPKI) -> None:
    for fmt in ALL_FORMATS:
        run = run_format(cli, fmt, *probe_args(s_server, server_pki), "--redact")
        assert "api.example.test" not in run.out, fmt
        assert "host-1.example" in run.out, fmt


def hostile_probe_report() -> Report:
    """A probe whose server answers with markup everywhere it can."""
    probe = ProbeResult(
        host="evil.example.com", port=443, address="192.0.2.1", sni="evil.example.com",
        tls_version="TLSv1.2", cipher="<script>alert('cipher')</script>",
        client_auth=ClientAuth(True, True, ("CN=<img src=x onerror=alert(1)>",)),
        client_certificate=ClientCertificate(True, Outcome.REJECTED, "unknown_ca",
                                             "CN=client", "CN=ca"),
        http=HttpAnswer(403, "Forbidden</title><script>x()</script>",
                        {"x-amzn-errortype": "<svg onload=alert(1)>"},
                        "<html><script>alert(document.cookie)</script></html>"),
        error=ProbeError(ErrorKind.TLS_ALERT, "alert <b>unknown ca</b>", "handshake", "unknown_ca"),
        hostname_match=HostnameMatch("evil.example.com", False, None, "<i>no</i> SAN"),
        timings_ms={"connect": 1.5, "handshake": 3.0},
    )
    finding = Finding("MTLS_CLIENT_CERT_REJECTED", Severity.ERROR, "<script>t()</script>",
                      "detail <img src=x>", subject="CN=<b>x</b>", location="<a href=x>here</a>",
                      evidence={"body": "<script>e()</script>"},
                      fix=Fix("<i>fix</i>", ("step <script>s()</script>",),
                              ("curl 'https://evil.example.com/</pre><script>c()</script>'",)),
                      walkthrough="client-rejected")
    return Report("probe", NOW, (Check("probe.tls", "<b>tls</b>", CheckStatus.FAIL, "<i>d</i>"),),
                  (finding,), {"probe": probe})


def test_hostile_server_text_is_escaped() -> None:
    report = hostile_probe_report()
    html = render(report, "html")
    page = assert_safe_page(html)
    # the page's own links only (assert_safe_page: every href an anchor of the page)
    assert not page.names & {"script", "img", "svg", "b", "i"}
    assert "<a href=x>here</a>" in page.text
    assert sum(1 for t, _ in page.tags if t == "title") == 1
    assert "<html><script>alert(document.cookie)</script></html>" in page.text
    assert "curl 'https://evil.example.com/</pre><script>c()</script>'" in page.text
    md = render(report, "markdown")
    assert_sound_markdown(md)
    assert "&lt;script&gt;" in md
    # the command stays verbatim inside its fence
    assert "curl 'https://evil.example.com/</pre><script>c()</script>'" in md


# -- --redact ----------------------------------------------------------------------------------

ACCOUNT = "123456789012"
CERT_ARN = f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/0b1c2d3e-aaaa-bbbb-cccc-0123456789ab"
OWN_ARN = f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/ffff2d3e-aaaa-bbbb-cccc-0123456789ab"
DOMAIN = "api.acme-corp.com"
REGIONAL = "d-abc123xyz.execute-api.eu-west-1.amazonaws.com"
BUCKET = "acme-truststores"
SECRETS = (ACCOUNT, "0b1c2d3e", "ffff2d3e", "acme", REGIONAL, "d-abc123xyz", BUCKET, "bob")


@pytest.fixture
def snapshot(tmp_path: Path, pki_files: dict[str, str]) -> str:
    """A saved domain (`--aws-snapshot`) full of account ids, ARNs, a bucket and host names."""
    from mtls_doctor.aws.snapshot import dumps
    from mtls_doctor.model.domain import AcmCertificate, DomainFacts, Mapping, Mtls, TruststoreObject
    from mtls_doctor.model.evidence import Attempt, Status

    content = Path(pki_files["truststore"]).read_bytes()
    facts = DomainFacts(
        name=DOMAIN, region="eu-west-1", region_source="option", found=True, api_type="rest",
        endpoint_type="REGIONAL", status="AVAILABLE", security_policy="TLS_1_2",
        certificate_arn=CERT_ARN, ownership_verification_certificate_arn=OWN_ARN,
        regional_domain_name=REGIONAL,
        mtls=Mtls(f"s3://{BUCKET}/prod/truststore.pem", "v2",
                  (f"Certificate in arn:aws:s3:::{BUCKET}/prod/truststore.pem is weak",)),
        mappings=(Mapping("a1b2c3d4e5", "prod", "(none)", False, "orders"),), mappings_read=True,
        certificates={CERT_ARN: AcmCertificate(
            CERT_ARN, "ISSUED", "AMAZON_ISSUED", "CN=*.acme-corp.com", None, "*.acme-corp.com",
            ("*.acme-corp.com", "acme-corp.com"), not_after=datetime(2030, 1, 1, tzinfo=UTC))},
        truststore_object=TruststoreObject(BUCKET, "prod/truststore.pem", "Enabled", "v3", "v2",
                                           content=content),
        dns_addresses=("203.0.113.10",), dns_canonical=REGIONAL,
        regional_addresses=("203.0.113.10",), account_id=ACCOUNT,
        attempts=(Attempt("acm.DescribeCertificate", Status.DENIED,
                          f"AccessDenied: User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized",
                          "acm:DescribeCertificate", "AccessDenied"),),
        evidence={"domain": Attempt("domain", Status.OK)},
    )
    path = tmp_path / "facts.json"
    path.write_text(dumps(facts), encoding="utf-8")
    return str(path)


def domain_args(snapshot: str) -> tuple[str, ...]:
    return ("domain", DOMAIN, "--aws-snapshot", snapshot, "--at", AT)


def test_domain_exports(cli: CLI, snapshot: str) -> None:
    ref = cli(*domain_args(snapshot))
    assert "DOMAIN_EXECUTE_API_ENABLED" in ref.ids()
    md = run_format(cli, "markdown", *domain_args(snapshot)).out
    assert_sound_markdown(md)
    assert "## Custom domain" in md and "### Mappings" in md and "### ACM certificates" in md
    assert "ENABLED (bypasses mTLS)" in md and "### AWS calls that failed" in md
    assert md.startswith(f"# mtls-doctor domain: {md_text(DOMAIN)}")
    html = run_format(cli, "html", *domain_args(snapshot)).out
    page = assert_safe_page(html)
    assert CERT_ARN in page.text and "Chains (root at the top)" in page.text


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_redact_every_format(cli: CLI, snapshot: str, fmt: str) -> None:
    plain = run_format(cli, fmt, *domain_args(snapshot))
    assert all(s in plain.out for s in (ACCOUNT, BUCKET, REGIONAL, DOMAIN))
    red = run_format(cli, fmt, *domain_args(snapshot), "--redact")
    assert red.rc == plain.rc
    for secret in SECRETS:
        assert secret not in red.out, (secret, fmt)
    assert "111111111111" in red.out
    assert "bucket-1" in red.out
    assert "arn:aws:acm:eu-west-1:111111111111:certificate/resource-" in red.out
    # the wildcard keeps its `*.` (text shows no ACM names), and the domain name stays one
    # label below it
    assert fmt == "text" or "*.host-" in red.out
    assert re.search(r"host-\d+\.host-\d+\.example", red.out)


def test_redacted_json_document(cli: CLI, snapshot: str) -> None:
    red = cli(*domain_args(snapshot), "--redact")
    d = red.doc["domain"]
    # one name, one pseudonym, wherever it appears
    assert d["mtls"]["truststore_uri"] == "s3://bucket-1/key-1"
    assert d["truststore_object"]["bucket"] == "bucket-1"
    assert d["truststore_object"]["key"] == "key-1"
    assert d["mtls"]["truststore_version"] == d["truststore_object"]["configured_version"]
    assert re.fullmatch(r"version-\d+", d["mtls"]["truststore_version"])
    assert d["mappings"][0]["api_id"] == "api-1" and d["mappings"][0]["stage"] == "stage-1"
    assert d["mappings"][0]["api_name"] == "api-name-1"
    assert d["account_id"] == "111111111111"
    assert d["regional_domain_name"] == d["dns_canonical"]
    assert d["certificate_arn"] in d["certificates"]
    wildcard = d["certificates"][d["certificate_arn"]]["domain_name"]
    assert wildcard.startswith("*.") and d["name"].endswith(wildcard[1:])
    assert d["certificates"][d["certificate_arn"]]["sans"] == [wildcard, wildcard[2:]]
    assert "arn:aws:s3:::bucket-1/key-1 " in d["mtls"]["truststore_warnings"][0]
    for f in red.doc["findings"]:
        blob = json.dumps(f)
        assert DOMAIN not in blob and BUCKET not in blob
    assert red.doc["truststore"]["source"]["name"].startswith("s3://bucket-1/")


def test_redact_text_uses_the_json_pseudonyms(cli: CLI, pki_files: dict[str, str]) -> None:
    args = commands(pki_files)["inspect"]
    red = cli(*args, "--redact")
    pseudonym = red.doc["certificates"][0]["hostname_match"]["host"]
    assert pseudonym.startswith("host-")
    text = run_format(cli, "text", *args, "--redact").out
    assert "acme" not in text and "device-7" not in text
    assert pseudonym in text
    assert red.doc["certificates"][0]["subject"] == f"CN={pseudonym}"
    sans = red.doc["certificates"][0]["sans"]
    assert sans[0] == f"DNS:{pseudonym}"
    assert re.fullmatch(r"DNS:\*\.host-\d+\.example", sans[1])


def test_redact_pure_function() -> None:
    finding = Finding("PROBE_HANDSHAKE_FAILED", Severity.ERROR, "",
                      "api.example.com at arn:aws:apigateway:us-east-1::/domainnames/"
                      "api.example.com in 123456789012; see s3://my-bucket/k and "
                      "arn:aws:acm:us-east-1:123456789012:certificate/abc, "
                      "arn:aws:acm:us-east-1:210987654321:certificate/abc.",
                      evidence={"serial": "123456789012", "hex": "aa123456789012bb"})
    payload: dict[str, Any] = {
        "probe": {"host": "API.Example.com", "port": 443, "address": "192.0.2.7",
                  "served_chain": [{"subject": "CN=*.example.com", "serial": "123456789012",
                                    "sans": ["DNS:*.example.com", "DNS:other.test",
                                             "IP:192.0.2.7"]}]},
        "domain": {"name": "api.example.com", "truststore_object": {"bucket": "my-bucket"}},
    }
    report = Report("probe", NOW, (), (finding,), payload)
    before = json.dumps(document(report))
    out = document(redact_report(report))
    assert json.dumps(document(report)) == before  # pure: the input is untouched
    detail = out["findings"][0]["detail"]
    assert detail.startswith("host-2.host-1.example at arn:aws:apigateway:us-east-1::"
                             "/domainnames/host-2.host-1.example in 111111111111;")
    assert "s3://bucket-1/key-1 and" in detail  # even a one-letter key
    assert "arn:aws:acm:us-east-1:111111111111:certificate/resource-1," in detail
    assert "arn:aws:acm:us-east-1:222222222222:certificate/resource-1." in detail
    assert out["findings"][0]["evidence"] == {"serial": "123456789012", "hex": "aa123456789012bb"}
    probe = out["probe"]
    assert probe["host"] == "host-2.host-1.example" and probe["address"] == "ip-1"
    chain = probe["served_chain"][0]
    assert chain["serial"] == "123456789012"
    assert chain["subject"] == "CN=*.host-1.example"
    assert chain["sans"] == ["DNS:*.host-1.example", "DNS:host-3.example", "IP:ip-1"]
    assert out["domain"] == {"name": "host-2.host-1.example",
                             "truststore_object": {"bucket": "bucket-1"}}
    assert document(redact_report(report)) == out  # the same input, the same pseudonyms


def test_redact_report_keeps_types() -> None:
    report = hostile_probe_report()
    red = redact_report(report)
    assert red.findings[0].severity is Severity.ERROR
    assert isinstance(red.payload["probe"], ProbeResult)
    assert red.payload["probe"].host == "host-1.example"
    assert red.exit_code == report.exit_code
    assert document(redact_report(report)) == document(red)  # the same pseudonyms again
    assert "evil.example.com" in render(report, "text")
    assert "evil.example.com" not in render(red, "text")
    assert "host-1.example" in render(red, "text")


# -- secrets -----------------------------------------------------------------------------------


@pytest.mark.parametrize("redacted", [False, True])
def test_private_key_never_appears(cli: CLI, pki_files: dict[str, str], redacted: bool) -> None:
    key_lines = [ln for ln in private_key_pem().decode().splitlines()
                 if ln and not ln.startswith("-----")]
    assert len(key_lines) > 10
    ref = cli("truststore", pki_files["with_key"])
    assert "CERT_PRIVATE_KEY_PRESENT" in ref.ids()
    for fmt in ALL_FORMATS:
        out = run_format(cli, fmt, "truststore", pki_files["with_key"],
                         *(("--redact",) if redacted else ())).out
        assert "CERT_PRIVATE_KEY_PRESENT" in out, fmt
        assert "-----BEGIN" not in out, fmt
        for line in key_lines:
            assert line not in out, (fmt, line)
            assert line[:24] not in out, (fmt, line)
