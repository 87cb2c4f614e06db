"""The `iac` payload as report view sections (`report.parts`), for the view model to draw in
text, Markdown, HTML and the TUI: the files read, every custom domain found with its mTLS
settings and what it sends requests to, what could not be resolved statically, and the drift
from AWS. Plain strings only; each renderer makes outside text safe."""

from __future__ import annotations

from mtls_doctor.iac.model import IacDomain, IacPayload, IacTemplate, Value
from mtls_doctor.report.parts import Facts, Row, Section, Table, TableRow


def _v(v: Value | None, unset: str = "not set") -> str:
    return unset if v is None else v.text()


def _mappings(t: IacTemplate, d: IacDomain) -> str:
    from mtls_doctor.iac.rules import mappings_of

    maps = mappings_of(t, d)
    return ", ".join(f"{m.api or _v(m.api_id, '?')} / {_v(m.stage, '?')}" for m in maps) or "—"


def iac_sections(p: IacPayload) -> list[Section]:
    """The sections of an iac report, in reading order."""
    domains = [(t, d) for t in p.templates for d in t.domains]
    with_mtls = sum(1 for _, d in domains if d.mtls)
    lead = (f"{len(p.templates)} template(s), {len(domains)} custom domain(s), "
            f"{with_mtls} with mutual TLS")
    files = Table("Files", ("file", "kind", "resources read", "custom domains"), tuple(
        TableRow((t.file, t.kind, str(t.resources), str(len(t.domains)))) for t in p.templates))
    other = Facts("", tuple(
        [Row("does not parse", f, "bad") for f in p.unreadable]
        + [Row("not a template", f) for f in p.skipped]), brief=False)
    table = Table("Custom domains", (
        "domain", "where", "API", "endpoint", "security policy", "mTLS truststore",
        "version", "ownership certificate", "mapped to"), tuple(
        TableRow((_v(d.domain_name, "?"), str(d.where), d.api_type, _v(d.endpoint_type),
                  _v(d.security_policy), _v(d.truststore_uri, "mTLS off") if d.mtls else
                  "mTLS off", _v(d.truststore_version, "unpinned") if d.mtls else "—",
                  _v(d.ownership_certificate_arn), _mappings(t, d)),
                 "" if d.mtls else "warn")
        for t, d in domains))
    sections = [Section("iac", "Infrastructure as code", (files, other, table), lead,
                        "" if domains else "warn")]
    if p.unresolved:
        sections.append(Section("iac-unresolved", "Not known before deployment", (Table(
            "", ("where", "property", "set by"), tuple(
                TableRow((str(u.where), u.prop, u.expr), "warn") for u in p.unresolved)),),
            f"{len(p.unresolved)} value(s) do not resolve statically", "warn"))
    if p.compared:
        sections.append(Section("iac-drift", "Drift from AWS", (Table(
            "", ("domain", "property", "template", "live", "S3's latest"), tuple(
                TableRow((x.domain, x.prop, x.template or "—", x.live or "—", x.latest or "—"),
                         "warn") for x in p.drift)),),
            f"{len(p.drift)} difference(s)" if p.drift else "the templates match AWS",
            "warn" if p.drift else "ok"))
    return sections
