"""The report view (`mtls_doctor.report.view`): one model drawn by text, Markdown and HTML, so
that they print the same findings in the same order, the same readable values, the same serials,
with HTML anchors that resolve."""

from __future__ import annotations

import html as html_module
import json
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mtls_doctor.commands.domain import domain_report
from mtls_doctor.commands.explain import run_explain
from mtls_doctor.commands.truststore import run_truststore
from mtls_doctor.commands.verify_client import run_verify_client
from mtls_doctor.deadline import Deadline
from mtls_doctor.model.certificate import CertSummary
from mtls_doctor.model.domain import (
    AcmCertificate,
    Authorizers,
    DomainFacts,
    Mapping,
    Mtls,
    RoutingRule,
    Stage,
    TruststoreObject,
)
from mtls_doctor.model.evidence import Attempt, Status
from mtls_doctor.model.finding import Check, CheckStatus, Finding, Severity
from mtls_doctor.model.probe import ProbeResult
from mtls_doctor.model.report import Report
from mtls_doctor.pki.describe import describe
from mtls_doctor.pki.load import load_certificates
from mtls_doctor.pki.revocation import RevocationResult, RevocationState, SourceUrl
from mtls_doctor.report import render
from mtls_doctor.report.json import document
from mtls_doctor.report.parts import Facts, Section, Table
from mtls_doctor.report.redact import redact_report
from mtls_doctor.report.revocation import revocation_section
from mtls_doctor.report.view import (
    MAX_TREE_DEPTH,
    Node,
    build,
    certificate_rows,
    chain_trees,
    colon_hex,
    finding_view,
    ordered_findings,
    served_vs_configured,
)
from tests.conftest import Run
from tests.pki_factory import NOW, PKI, pem_bundle, revocation_extensions
from tests.renderer_order import finding_ids_html, finding_ids_markdown, finding_ids_text
from tests.servers import LOOPBACK, refusing_port
from tests.test_report_export import hostile_probe_report

EXTRACT: dict[str, Callable[[str], list[str]]] = {
    "text": finding_ids_text, "markdown": finding_ids_markdown, "html": finding_ids_html}


# -- reports to draw -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> Report:
    """The built-in lab's full diagnosis (a live server, a domain snapshot, a truststore, a
    client verdict)."""
    from mtls_doctor.diagnose.demo import run_demo

    now = datetime.now(UTC).replace(microsecond=0)
    return run_demo(at=now, now=now)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A truststore with a missing issuer, an expired root, a non-CA and a duplicate; a client
    it rejects, without clientAuth and about to expire."""
    pki = PKI(key_offset=700)
    d = tmp_path_factory.mktemp("view")
    root = pki.root("View Root")
    ica = pki.intermediate(root, "View Issuing CA")
    orphan = pki.intermediate(pki.root("View Orphan Root"), "View Orphan CA")
    old = pki.root("View Old Root", expired=True)
    leaf = pki.leaf(ica, "not-a-ca.example")
    client = pki.leaf(orphan, "device-1.example", eku=("serverAuth",), days_valid=10)
    out = {"truststore": pem_bundle([root, ica, orphan, old, leaf, root]),
           "client": client.pem + orphan.pem}
    paths = {}
    for name, data in out.items():
        path = d / f"{name}.pem"
        path.write_bytes(data)
        paths[name] = str(path)
    return paths


def truststore_report(files: dict[str, str]) -> Report:
    return run_truststore(files["truststore"], at=NOW, now=NOW)


def verify_report(files: dict[str, str]) -> Report:
    return run_verify_client(files["client"], files["truststore"], at=NOW, now=NOW)


def domain_facts(files: dict[str, str]) -> DomainFacts:
    arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-aaaa-bbbb-cccc-0123456789ab"
    return DomainFacts(
        name="api.view.example", region="eu-west-1", region_source="option", found=True,
        api_type="rest", endpoint_type="REGIONAL", status="AVAILABLE",
        security_policy="TLS_1_2", certificate_arn=arn,
        regional_domain_name="d-view.execute-api.eu-west-1.amazonaws.com",
        mtls=Mtls("s3://view-bucket/truststore.pem", "v1", ("Certificate CN=View Old Root is "
                                                            "expired",)),
        mappings=(Mapping("a1b2c3d4e5", "prod", "(none)", False, "orders"),), mappings_read=True,
        certificates={arn: AcmCertificate(arn, "ISSUED", "AMAZON_ISSUED", "CN=*.view.example", None,
                                          "*.view.example", ("*.view.example",),
                                          not_after=datetime(2030, 1, 1, tzinfo=UTC),
                                          serial="0a:1b:2c")},
        truststore_object=TruststoreObject("view-bucket", "truststore.pem", "Enabled", "v2", "v1",
                                           content=Path(files["truststore"]).read_bytes()),
        attempts=(Attempt("acm.DescribeCertificate", Status.DENIED, "AccessDenied",
                          "acm:DescribeCertificate", "AccessDenied"),),
        evidence={"domain": Attempt("domain", Status.OK)})


def ordering_report() -> Report:
    """Findings in a scrambled order: some owned by checks of the report, some by none."""
    checks = tuple(Check(i, i, CheckStatus.FAIL) for i in (
        "probe.connect", "probe.tls", "probe.server_certificate", "probe.client_auth"))

    def f(finding_id: str, severity: Severity, **evidence: str) -> Finding:
        return Finding(finding_id, severity, finding_id.lower(), "detail", evidence=evidence)

    findings = (
        f("MTLS_NO_CLIENT_CERT_GIVEN", Severity.INFO),       # probe.client_auth
        f("PROBE_NOT_TLS", Severity.ERROR, step="handshake"),  # probe.tls, by its step
        f("SERVER_CERT_UNTRUSTED", Severity.WARNING),         # probe.server_certificate
        f("SERVER_TLS_BELOW_1_2", Severity.ERROR),            # probe.tls
        f("DOMAIN_NOT_FOUND", Severity.ERROR),                # no check of this report
        f("PROBE_CONNECTION_REFUSED", Severity.ERROR),        # probe.connect
        f("SERVER_CHAIN_INCOMPLETE", Severity.WARNING),       # probe.server_certificate
        f("HTTP_FORBIDDEN", Severity.WARNING),                # probe.http: not in the report
    )
    return Report("probe", NOW, checks, findings, {})


@pytest.fixture(scope="module")
def reports(demo: Report, files: dict[str, str], revoked_report: Report) -> dict[str, Report]:
    return {
        "demo": demo,
        "truststore": truststore_report(files),
        "verify-client": verify_report(files),
        "domain": domain_report(domain_facts(files), at=NOW, now=NOW),
        "ordering": ordering_report(),
        "hostile": hostile_probe_report(),
        "routed": domain_report(routed_domain_facts(), at=NOW, now=NOW),
        "revocation": revoked_report,
    }


ALL_REPORTS = ["demo", "truststore", "verify-client", "domain", "ordering", "hostile", "routed",
               "revocation"]


# -- one order everywhere ------------------------------------------------------------------------


def test_the_ordering_rule() -> None:
    report = ordering_report()
    assert [f.id for f in ordered_findings(report)] == [
        "PROBE_CONNECTION_REFUSED", "PROBE_NOT_TLS", "SERVER_TLS_BELOW_1_2", "DOMAIN_NOT_FOUND",
        "SERVER_CERT_UNTRUSTED", "SERVER_CHAIN_INCOMPLETE", "HTTP_FORBIDDEN",
        "MTLS_NO_CLIENT_CERT_GIVEN"]


@pytest.mark.parametrize("name", ALL_REPORTS)
def test_every_renderer_prints_the_findings_in_one_order(reports: dict[str, Report],
                                                         name: str) -> None:
    report = reports[name]
    expected = [f.id for f in ordered_findings(report)]
    assert len(expected) >= (1 if name in ("hostile", "revocation") else 2)
    for fmt, extract in EXTRACT.items():
        assert extract(render(report, fmt)) == expected, fmt
    assert finding_ids_text(render(report, "text", color=True)) == expected
    # the redacted report: the same findings in the same order
    red = redact_report(report)
    for fmt, extract in EXTRACT.items():
        assert extract(render(red, fmt)) == expected, (fmt, "redacted")


def test_the_demo_order_follows_severity_then_the_checks(demo: Report) -> None:
    view = build(demo)
    severities = [f.severity for f in view.findings]
    rank = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    assert severities == sorted(severities, key=rank.__getitem__)
    position = {c.id: i for i, c in enumerate(demo.checks)}
    for sev in rank:
        owners = [position[f.checks[0]] for f in view.findings if f.severity is sev and f.checks]
        assert owners == sorted(owners), sev
    assert [f.number for f in view.findings] == list(range(1, len(view.findings) + 1))


def test_markdown_and_html_put_the_findings_first(demo: Report) -> None:
    md = render(demo, "markdown")
    assert md.index("## Findings") < md.index("## Checks") < md.index("## Live connection")
    assert md[:md.index("## Findings")].count("\n") < 15  # not after 136 lines of facts
    page = render(demo, "html")
    assert (page.index('<section id="findings">') < page.index('<section id="checks">')
            < page.index('<section id="probe">'))


# -- readable, alike values ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_no_python_repr_reaches_a_renderer(demo: Report, reports: dict[str, Report],
                                           fmt: str) -> None:
    for name, report in reports.items():
        out = render(report, fmt)
        shown = html_module.unescape(out) if fmt == "html" else out.replace("\\", "")
        for repr_mark in ("{'", "['", "datetime.", "<Severity", "<CheckStatus", "Attempt(",
                          "candidates exhausted"):
            assert repr_mark not in shown, (name, fmt, repr_mark)
    view = build(demo)
    [execute] = [f for f in view.findings if f.id == "DOMAIN_EXECUTE_API_ENABLED"]
    rows = {r.label: r.value for r in execute.evidence}
    assert rows["mappings"] == "base path: (none), stage: prod"


def _serials(report: Report) -> list[str]:
    p = report.payload
    probe = p["probe"]
    assert isinstance(probe, ProbeResult)
    domain = p["domain"]
    assert isinstance(domain, DomainFacts) and domain.certificate_arn
    client = p["client_certificate"]
    assert isinstance(client, CertSummary)
    acm = domain.certificates[domain.certificate_arn].serial
    assert acm and ":" in acm  # ACM writes `0a:1b:...`
    return [probe.served_chain[0].serial, client.serial, acm]


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_serials_are_written_alike(demo: Report, fmt: str) -> None:
    out = render(demo, fmt)
    for serial in _serials(demo):
        plain = serial.replace(":", "").lower()
        assert colon_hex(serial) in out, (fmt, serial)
        assert plain not in out, (fmt, "plain hex")
        assert serial not in out or serial == colon_hex(serial), (fmt, serial)
    table = served_vs_configured(demo)
    assert table is not None
    [serials] = [r.cells for r in table.rows if r.cells[0] == "Serial"]
    assert all(re.fullmatch(r"(?:[0-9A-F]{2}:)*[0-9A-F]{2}", s) for s in serials[1:])
    assert table.rows[0].cells[0] == "Subject" and table.rows[0].tone == "warn"  # FQDN vs wildcard
    [fqdn] = [f for f in build(demo).findings if f.id == "SERVER_FQDN_INSTEAD_OF_WILDCARD"]
    evidence = {r.label: r.value for r in fqdn.evidence}
    assert evidence["served serial"] == serials[1]
    assert evidence["configured serial"] == serials[2]


def test_colon_hex() -> None:
    assert colon_hex("0a1b2c") == "0A:1B:2C"
    assert colon_hex("0a:1b:2c") == "0A:1B:2C"
    assert colon_hex("a1b2c") == "0A:1B:2C"
    assert colon_hex("-0a1b") == "-0A:1B"
    assert colon_hex(None) == "?" and colon_hex("serial-1") == "serial-1"


def test_certificate_rows_read_like_openssl(demo: Report) -> None:
    client = demo.payload["client_certificate"]
    assert isinstance(client, CertSummary)
    rows = {r.label: r for r in certificate_rows(client)}
    assert rows["serial"].value == colon_hex(client.serial)
    assert rows["extended key usage"].value == "clientAuth"
    assert rows["valid"].value.endswith("days left)") and rows["valid"].tone == "ok"
    assert rows["subject"].value == client.subject and rows["SHA-256"].value


# -- HTML anchors and links ------------------------------------------------------------------------


def _anchors(page: str) -> tuple[list[str], list[str]]:
    return re.findall(r'\bid="([^"]+)"', page), re.findall(r'\bhref="([^"]*)"', page)


@pytest.mark.parametrize("name", ALL_REPORTS)
def test_html_anchors_resolve_and_the_page_stays_self_contained(reports: dict[str, Report],
                                                                name: str) -> None:
    page = render(reports[name], "html")
    ids, hrefs = _anchors(page)
    assert len(ids) == len(set(ids))
    assert hrefs and all(h.startswith("#") and h[1:] in ids for h in hrefs), \
        [h for h in hrefs if h[1:] not in ids]
    assert "<script" not in page.lower()
    assert "@media (prefers-color-scheme: dark)" in page
    assert "default-src 'none'" in page and "<link" not in page


def test_html_links_finding_check_and_certificate(demo: Report) -> None:
    page = render(demo, "html")
    view = build(demo)
    for f in view.findings:
        article = re.search(rf'<article [^>]*id="{f.anchor}">(.*?)</article>', page, re.S)
        assert article is not None, f.id
        for anchor, _check in f.check_anchors:
            assert f'href="#{anchor}"' in article.group(1), f.id
            row = re.search(rf'<tr id="{anchor}">(.*?)</tr>', page, re.S)
            assert row is not None and f'href="#{f.anchor}"' in row.group(1), (f.id, anchor)
    [missing] = [f for f in view.findings if f.id == "TRUSTSTORE_MISSING_ISSUER"]
    assert missing.certificate == "cert-truststore-2"
    assert re.search(r'<tr class="[a-z]*" id="cert-truststore-2">', page)
    [client] = [f for f in view.findings if f.id == "CLIENT_REJECTED"]
    assert client.certificate == "cert-client-1" and 'id="cert-client-1"' in page


# -- trees -------------------------------------------------------------------------------------------


def _depth(nodes: list[Node]) -> int:
    return 0 if not nodes else 1 + max(_depth(n.children) for n in nodes)


def test_chain_trees_are_bounded_and_survive_loops() -> None:
    pki = PKI(key_offset=720)
    chain = [pki.root("Deep 0", key="p256")]
    for i in range(1, 100):
        chain.append(pki.intermediate(chain[-1], f"Deep {i}", key="p256"))
    loaded = load_certificates(pem_bundle(chain), "deep.pem")
    certs = [replace(describe(c, NOW), issuer_index=i - 1 if i else None)
             for i, c in enumerate(loaded.certificates)]
    trees = chain_trees(certs)
    assert _depth(trees) == MAX_TREE_DEPTH + 2  # 65 levels drawn, then "… N more"
    assert "the drawing stops at 64 levels" in render(Report(
        "truststore", NOW, payload={"source": {"name": "deep.pem", "container": "PEM", "at": NOW},
                                    "certificates": certs}), "markdown")
    # two certificates that certify each other, with no root
    loop = [replace(certs[1], issuer_index=2, self_signed=False),
            replace(certs[2], issuer_index=1, self_signed=False)]
    [lost] = chain_trees(loop)
    assert lost.label.startswith("no root") and len(lost.children) == 2


# -- the view's API for the TUI ----------------------------------------------------------------------


def test_finding_view_alone_and_in_a_report(demo: Report) -> None:
    finding = next(f for f in demo.findings if f.id == "MTLS_CLIENT_CERT_REJECTED")
    alone = finding_view(finding)
    assert alone.checks == ("probe.client_certificate",)
    assert alone.explain_command == "mtls-doctor explain MTLS_CLIENT_CERT_REJECTED"
    assert {r.label for r in alone.evidence} >= {"alert", "step"}
    assert all("'" not in r.value for r in alone.evidence)
    numbered = finding_view(finding, 3, checks=demo.checks)
    assert numbered.number == 3 and numbered.anchor == "finding-3"
    view = build(demo)
    assert [c.id for c in view.checks] == [c.id for c in demo.checks]
    roles = {c.role for c in view.certificates}
    assert roles >= {"served", "client", "truststore"}
    assert len({c.anchor for c in view.certificates}) == len(view.certificates)


def test_served_vs_configured_needs_both_certificates(reports: dict[str, Report]) -> None:
    assert served_vs_configured(None) is None
    assert served_vs_configured(reports["domain"]) is None  # no probe
    assert served_vs_configured(reports["hostile"]) is None  # no domain


def test_explain_walkthrough_in_every_format() -> None:
    report = run_explain("tlsv1 alert unknown ca", now=NOW)
    w = build(report).walkthrough
    assert w is not None and w.id == "client-rejected" and w.pending is not None
    for fmt in ("text", "markdown", "html"):
        out = render(report, fmt)
        assert "client-rejected" in out and "issuer-in-truststore=ANSWER" in out, fmt
    unknown = run_explain("the weather is nice today", now=NOW)
    for fmt in ("text", "markdown", "html"):
        out = render(unknown, fmt)
        assert "Not recognised" in out and "disable-mtls" in out, fmt


# -- the custom domain's routing, stages and authorizers ---------------------------------------------

#: tokens planted in every new domain field (none may survive --redact)
ROUTED = {
    "domain": "zqrouted.zqzone.test", "domain_id": "zqdomainid77", "marker": "zqdeletemarker.K9",
    "bucket": "zqroutedbucket", "key": "zqroutedkey.pem", "rule": "zqruleid01",
    "rule2": "zqruleid02", "path": "zqrulepath", "glob": "zqtenant*", "rest": "zqrestapi1",
    "rest2": "zqrestapi2", "ws": "zqwsapi01", "rest_name": "zqordersname",
    "rest2_name": "zqcatalogname", "ws_name": "zqchatname", "stage": "zqprodstage",
    "ws_stage": "zqlivestage", "ws_path": "zqchatpath", "authorizer": "zqjwtcheck",
    "route": "zqsendmessage", "route_path": "/zqroutepath/{id}", "log": "zqloggroup",
}
_LOG_FORMAT_FULL = ('{"e":"$context.error.message",'
                    '"s":"$context.identity.clientCert.subjectDN"}')


def routed_domain_facts(mode: str | None = "ROUTING_RULE_THEN_BASE_PATH_MAPPING",
                        **changes: object) -> DomainFacts:
    """A private REST domain whose routing rules come before its mappings: a rule that matches a
    base path and a header to an API still open on execute-api, a catch-all rule, a WebSocket
    API mapped by base path, three stages (a log format without the client certificate, no
    log, a full one) and two APIs' authorizers; its truststore deleted at latest (unpinned)."""
    t = ROUTED
    log = f"arn:aws:logs:eu-west-1:123456789012:log-group:{t['log']}"
    facts = DomainFacts(
        name=t["domain"], region="eu-west-1", region_source="option", found=True,
        api_type="rest", endpoint_type="PRIVATE", status="AVAILABLE", security_policy="TLS_1_2",
        mtls=Mtls(f"s3://{t['bucket']}/{t['key']}", None), mappings_read=True,
        mappings=(Mapping(t["ws"], t["ws_stage"], t["ws_path"], False, t["ws_name"],
                          "websocket"),),
        truststore_object=TruststoreObject(t["bucket"], t["key"], "Enabled", None, None,
                                           latest_delete_marker=t["marker"]),
        routing_mode=mode, endpoint_access_mode="STRICT", ip_address_type="dualstack",
        domain_name_id=t["domain_id"], routing_rules_read=True,
        routing_rules=(
            RoutingRule(t["rule2"], 100, t["rest2"], t["stage"], (), (), True, t["rest2_name"]),
            RoutingRule(t["rule"], 10, t["rest"], t["stage"], (t["path"],),
                        (f"x-tenant: {t['glob']}",), False, t["rest_name"])),
        stages=(Stage(t["rest"], "rest", t["stage"], True, log, "$context.requestId"),
                Stage(t["rest2"], "rest", t["stage"], True, None, None),
                Stage(t["ws"], "websocket", t["ws_stage"], True, log, _LOG_FORMAT_FULL, True)),
        authorizers=(Authorizers(t["rest"], "rest", False, (f"TOKEN: {t['authorizer']}",)),
                     Authorizers(t["ws"], "websocket", True, ("CUSTOM", "NONE"),
                                 ("$disconnect", t["route"], f"GET {t['route_path']}"), 3)),
        evidence={"domain": Attempt("domain", Status.OK)})
    return replace(facts, **changes)  # type: ignore[arg-type]


def _part(section: Section, title: str) -> Table | Facts:
    found = [p for p in section.parts if isinstance(p, Table | Facts) and
             (p.title.startswith(title) if title else not p.title)]
    assert len(found) == 1, [p.title for p in section.parts]
    return found[0]


def _facts(section: Section, title: str) -> Facts:
    """The one list of facts of `section` whose title starts with `title` (`""`: untitled)."""
    part = _part(section, title)
    assert isinstance(part, Facts), part
    return part


def _table(section: Section, title: str) -> Table:
    """The one table of `section` whose title starts with `title`."""
    part = _part(section, title)
    assert isinstance(part, Table), part
    return part


def _domain_section(report: Report) -> Section:
    [section] = [s for s in build(report).sections if s.anchor == "domain"]
    return section


def test_the_domain_section_draws_routing_rules_stages_and_authorizers() -> None:
    t = ROUTED
    section = _domain_section(domain_report(routed_domain_facts(), at=NOW, now=NOW))
    assert section.lead.startswith(f"{t['domain']} — REST API private custom domain")
    rows = {r.label: r for r in _facts(section, "").rows}
    assert rows["domain name id"].value == t["domain_id"]
    assert rows["endpoint access mode"].value.startswith("STRICT (clients must send an SNI")
    assert rows["IP address type"].value == "dualstack"
    assert rows["routing mode"].value == ("ROUTING_RULE_THEN_BASE_PATH_MAPPING (routing rules "
                                          "first, then the base path mappings)")
    truststore = rows["truststore object"]
    assert f"delete marker ({t['marker']})" in truststore.value and truststore.tone == "bad"
    # routing rules before mappings (API Gateway reads them first in this mode), by priority
    titles = [p.title for p in section.parts if p.title]
    assert titles[:4] == ["Routing rules", "Mappings", "Stages (access logging)",
                          "Authorizers (revocation)"]
    rules = _table(section, "Routing rules")
    assert [(r.cells[0], r.cells[1], r.tone) for r in rules.rows] == [
        ("10", t["rule"], "bad"), ("100", t["rule2"], "ok")]
    assert rules.rows[0].cells[2] == f"/{t['path']}, x-tenant: {t['glob']}"
    assert rules.rows[0].cells[3:] == (f"{t['rest_name']} {t['rest']}", "REST", t["stage"],
                                       "ENABLED (bypasses mTLS)")
    assert rules.rows[1].cells[2] == "any request"
    # a WebSocket API is never called an HTTP API
    [ws] = _table(section, "Mappings").rows
    assert ws.cells == (f"/{t['ws_path']}", f"{t['ws_name']} {t['ws']}", "WebSocket",
                        t["ws_stage"], "ENABLED (bypasses mTLS)") and ws.tone == "bad"
    stages = _table(section, "Stages").rows
    assert [(s.cells[4], s.tone) for s in stages] == [
        ("lacks $context.identity.clientCert.*, $context.error.message", "warn"),
        ("-", "warn"), ("client certificate and error logged", "ok")]
    assert stages[1].cells[3] == "off" and stages[2].cells[5] == "yes"
    auth = _table(section, "Authorizers").rows
    assert [(a.cells[1], a.cells[2], a.tone) for a in auth] == [
        ("REST", "no", "warn"), ("WebSocket", "yes", "warn")]
    assert auth[0].cells[3] == f"TOKEN: {t['authorizer']}"
    assert auth[1].cells[4].startswith("3: $disconnect, ")


def test_a_websocket_domain_and_the_routes_a_mode_leaves_unused() -> None:
    ws = routed_domain_facts("ROUTING_RULE_ONLY", api_type="websocket", endpoint_type="REGIONAL")
    section = _domain_section(domain_report(ws, at=NOW, now=NOW))
    assert "WebSocket API custom domain" in section.lead and "HTTP" not in section.lead
    titles = [p.title for p in section.parts if p.title]
    assert titles[:2] == ["Routing rules",
                          "Mappings (not used: routing mode ROUTING_RULE_ONLY)"]
    unreported = routed_domain_facts(None)  # AWS treats no mode as mappings only
    section = _domain_section(domain_report(unreported, at=NOW, now=NOW))
    titles = [p.title for p in section.parts if p.title]
    assert titles[:2] == ["Mappings",
                          "Routing rules (not used: routing mode not reported, mappings only)"]
    assert "routing mode" not in {r.label for r in _facts(section, "").rows}
    pinned = routed_domain_facts(mtls=Mtls(f"s3://{ROUTED['bucket']}/{ROUTED['key']}", "v1"))
    rows = {r.label: r for r in _facts(_domain_section(domain_report(pinned, at=NOW, now=NOW)),
                                      "").rows}
    assert rows["truststore object"].tone == "warn"  # pinned: the next update still reads v1


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_every_renderer_draws_the_new_domain_facts(fmt: str) -> None:
    report = domain_report(routed_domain_facts(), at=NOW, now=NOW)
    out = render(report, fmt)
    shown = html_module.unescape(out) if fmt == "html" else out.replace("\\", "")
    for text in ("Routing rules", "Stages (access logging)", "Authorizers (revocation)",
                 "endpoint access mode", "IP address type", "domain name id", "WebSocket",
                 ROUTED["rule"], ROUTED["marker"], "client certificate and error logged"):
        assert text in shown, (fmt, text)


def test_a_saved_snapshot_replays_with_the_new_facts(tmp_path: Path,
                                                     cli: Callable[..., Run]) -> None:
    from mtls_doctor.aws.snapshot import dumps

    snapshot = tmp_path / "routed.json"
    snapshot.write_text(dumps(routed_domain_facts()))
    run = cli("domain", ROUTED["domain"], "--aws-snapshot", str(snapshot), "--region",
              "eu-west-1", json_out=False)
    assert run.rc == 1, run.err
    for text in ("Routing rules", "Priority 10", "Stages (access logging)",
                 "Authorizers (revocation)", "delete marker"):
        assert text in run.out, text


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html"])
def test_redaction_hides_every_new_domain_fact(fmt: str) -> None:
    report = redact_report(domain_report(routed_domain_facts(), at=NOW, now=NOW))
    out = (json.dumps(document(report)) if fmt == "json" else render(report, fmt)).lower()
    out = out.replace("\\", "") if fmt == "markdown" else out
    left = [v for v in ROUTED.values() if v.lower().rstrip("*") in out]
    assert left == [] and "zq" not in out, left
    # kept: AWS's own route keys and markers, the header's name, the mode's words
    assert "$disconnect" in out and "x-tenant" in out and "routing_rule_then" in out


# -- verify-client --revocation ---------------------------------------------------------------------

#: tokens in the revocation sources' URLs
REVOKE_TOKENS = ("zqcrlpath", "zqclosedpath", "zqldaphost", "zqocsppath", LOOPBACK)


@pytest.fixture(scope="module")
def revoked_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """`verify-client --revocation` on a client whose CA lists it in a CRL served on loopback;
    its other sources: a closed port, an ldap URL (never asked), an OCSP URL that answers 404."""
    from tests.test_revocation import _crl, http_server, static

    now = datetime.now(UTC).replace(microsecond=0)
    pki = PKI(now=now, key_offset=3200)
    root = pki.root("View Revocation Root")
    ca = pki.intermediate(root, "View Revocation CA")
    d = tmp_path_factory.mktemp("revocation-view")
    with http_server() as server:
        base = f"http://{LOOPBACK}:{server.server_address[1]}"
        crls = (f"{base}/zqcrlpath.crl", f"http://{LOOPBACK}:{refusing_port()}/zqclosedpath.crl",
                "ldap://zqldaphost.test/cn=ca")
        client = pki.leaf(ca, "revoked.view.test", extra_extensions=revocation_extensions(
            crl=crls, ocsp=(f"{base}/zqocsppath",)))
        server.routes["/zqcrlpath.crl"] = static(_crl(ca, revoked=(client,)))
        (d / "client.pem").write_bytes(client.pem)
        (d / "truststore.pem").write_bytes(pem_bundle([ca, root]))
        return run_verify_client(str(d / "client.pem"), str(d / "truststore.pem"), at=now,
                                 now=now, revocation=True, deadline=Deadline(20))


def test_the_revocation_section_names_each_source_its_answer_and_why(
        revoked_report: Report) -> None:
    [section] = [s for s in build(revoked_report).sections if s.anchor == "revocation"]
    assert section.lead.startswith("REVOKED") and section.lead_tone == "bad"
    facts = {r.label: r.value for r in _facts(section, "").rows}
    assert re.fullmatch(r"(?:[0-9A-F]{2}:)+[0-9A-F]{2}", facts["serial"])
    assert facts["issuer"].startswith("CN=View Revocation CA")
    sources = _table(section, "Sources").rows
    by_url = {r.cells[0].rsplit("/", 1)[-1]: r for r in sources}
    revoked = by_url["zqcrlpath.crl"]
    assert revoked.cells[0].startswith("CRL http://") and revoked.cells[1].startswith("revoked (")
    assert "lists the serial as revoked" in revoked.cells[2] and revoked.tone == "bad"
    closed = by_url["zqclosedpath.crl"]
    assert closed.cells[1] == "unknown (unreachable)" and closed.tone == "warn"
    ldap = by_url["cn=ca"]
    assert ldap.cells == ("CRL ldap://zqldaphost.test/cn=ca", "not asked",
                          "only http and https URLs are fetched")
    ocsp = by_url["zqocsppath"]
    assert ocsp.cells[0].startswith("OCSP ") and "404" in ocsp.cells[2] and ocsp.tone == "warn"
    for fmt in ("text", "markdown", "html"):
        out = render(revoked_report, fmt)
        assert "Revocation (CRL and OCSP)" in out and "only http and https URLs" in out, fmt


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html"])
def test_redaction_hides_the_revocation_urls(revoked_report: Report, fmt: str) -> None:
    plain = json.dumps(document(revoked_report))
    assert all(t in plain for t in REVOKE_TOKENS)
    red = redact_report(revoked_report)
    out = json.dumps(document(red)) if fmt == "json" else render(red, fmt)
    assert [t for t in REVOKE_TOKENS if t in out] == [], fmt
    assert "revoked" in out and "ldap://" in out  # the words and the scheme stay


def test_a_revocation_nothing_could_verify_says_why_for_each_source() -> None:
    result = RevocationResult(
        RevocationState.UNKNOWN, "0a1b", None, None,
        (SourceUrl("crl", "http://crl.example.test/ca.crl"),
         SourceUrl("ocsp", "http://ocsp.example.test")),
        note="its issuer CN=Gone CA is in neither the truststore nor the certificates the "
             "client sends")
    section = revocation_section(result)
    assert section.lead.startswith("unknown") and section.lead_tone == "warn"
    facts = {r.label: r for r in _facts(section, "").rows}
    assert facts["serial"].value == "0A:1B" and facts["issuer"].tone == "warn"
    rows = _table(section, "Sources").rows
    assert [(r.cells[1], r.cells[2].split(" CN=")[0], r.tone) for r in rows] == [
        ("not asked", "its issuer", "warn")] * 2


# -- a terminal's chain trees are bounded ------------------------------------------------------------


def test_a_terminal_draws_the_chains_with_a_problem_and_counts_the_rest(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import mtls_doctor.report.text as text_module

    pki = PKI(key_offset=740)
    chains = []
    for i in range(6):
        root = pki.root(f"Bound Root {i}", key="p256", expired=i == 5)
        chains += [root, pki.intermediate(root, f"Bound CA {i}", key="p256")]
    path = tmp_path / "bound.pem"
    path.write_bytes(pem_bundle(chains))
    report = run_truststore(str(path), at=NOW, now=NOW)
    monkeypatch.setattr(text_module, "TREE_LINES", 4)
    out = render(report, "text")
    assert "CN=Bound Root 0" in out and "CN=Bound Root 1" in out
    assert "CN=Bound Root 2" not in out and "CN=Bound Root 4" not in out
    assert "CN=Bound Root 5" in out  # expired: always drawn
    assert "… 3 more chain(s) without a problem (6 certificates)" in out
    assert all(f"Bound Root {i}" in render(report, "markdown") for i in range(6))


# -- explain and Markdown read as text ---------------------------------------------------------------


def test_explain_evidence_reads_as_text() -> None:
    for fmt in ("text", "markdown", "html"):
        out = render(run_explain("tlsv1 alert unknown ca", now=NOW), fmt)
        shown = html_module.unescape(out) if fmt == "html" else out.replace("\\", "")
        assert "(alert: unknown_ca)" in shown and "alert='" not in shown, fmt
    out = render(run_explain("DOMAIN_EXECUTE_API_ENABLED", now=NOW), "text")
    assert "(execute_api_enabled: yes)" in out and "=True" not in out


def test_markdown_gives_the_fix_before_the_evidence(demo: Report) -> None:
    md = render(demo, "markdown")
    for block in md.split("\n#### ")[1:]:
        if "**Fix:**" in block and "**Evidence:**" in block:
            assert block.index("**Fix:**") < block.index("**Evidence:**")
