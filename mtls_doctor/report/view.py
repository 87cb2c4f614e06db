"""One view of a report, drawn by every renderer (text, Markdown, HTML, and the TUI).

`build(report)` turns the typed report (already redacted when `--redact` asked for it) into
plain data: a header, the findings in one order, the checks, the sections of facts and every
certificate, each with a stable anchor. Renderers only draw it; none decides an order, a label
or a value of its own, so they cannot disagree. The view holds plain strings: each renderer makes
outside text safe once, with its own escaping function (text: `_Out`'s markers; Markdown:
`md_text`; HTML: the template's finalize and autoescape).

Findings come in one order everywhere (`ordered_findings`): by severity (error, warning, info),
then by the order of the checks that own them (`report.checks` follows the `CHECKS` table), then
in the order the report holds them; a finding no check owns comes last within its severity.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any

from mtls_doctor import __version__
from mtls_doctor.model.certificate import CertSummary
from mtls_doctor.model.checks import CHECKS, CheckSpec
from mtls_doctor.model.finding import Check, CheckStatus, Finding, Fix, Severity
from mtls_doctor.model.frozen import frozen
from mtls_doctor.model.probe import ProbeResult
from mtls_doctor.model.report import Report
from mtls_doctor.report.certs import (
    MAX_TREE_DEPTH,
    cert_view,
    certificate_rows,
    chain_trees,
    colon_hex,
    served_vs_configured,
)
from mtls_doctor.report.json import SCHEMA, iso
from mtls_doctor.report.parts import (
    CertView,
    Details,
    Facts,
    Node,
    Row,
    Section,
    Table,
    TableRow,
    Tree,
    anchor_id,
)
from mtls_doctor.report.sections import WalkthroughView, fact_sections, walkthrough_view
from mtls_doctor.safe import safe_names
from mtls_doctor.shell.core import render as render_command
from mtls_doctor.shell.doctor import doctor

__all__ = [
    "MAX_TREE_DEPTH", "CertView", "CheckView", "Details", "Facts", "FindingView", "Node",
    "ReportView", "Row", "Section", "Table", "TableRow", "Tree", "WalkthroughView", "build",
    "certificate_rows", "chain_trees", "check_anchor", "colon_hex", "finding_view",
    "ordered_findings", "owning_checks", "readable", "served_vs_configured",
]

SEVERITY_ORDER = (Severity.ERROR, Severity.WARNING, Severity.INFO)
SEVERITY_HEADING = {Severity.ERROR: "Errors", Severity.WARNING: "Warnings",
                    Severity.INFO: "Info"}
STATUS_TONE = {CheckStatus.PASS: "ok", CheckStatus.WARN: "warn", CheckStatus.FAIL: "bad",
               CheckStatus.UNKNOWN: "bad", CheckStatus.SKIP: ""}
#: an evidence value longer than this is cut (the JSON document has all of it)
EVIDENCE_CHARS = 500

_SPECS: Mapping[str, CheckSpec] = {c.id: c for c in CHECKS}
_RANK = {s: i for i, s in enumerate(SEVERITY_ORDER)}


# -- findings ----------------------------------------------------------------------------------


def owning_checks(finding: Finding, checks: Sequence[Check] | None = None) -> list[str]:
    """The ids of the checks that count `finding` against them, in the order of `checks` (the
    report's) or, without it, of the `CHECKS` table."""
    ids = [c.id for c in checks] if checks is not None else [s.id for s in CHECKS]
    out: list[str] = []
    for check_id in ids:
        spec = _SPECS.get(check_id)
        if spec is not None and spec.owns(finding) and check_id not in out:
            out.append(check_id)
    return out


def ordered_findings(report: Report) -> list[Finding]:
    """The report's findings in the one order every renderer uses: severity, then the order of
    the checks that own them, then the report's order; unowned ones last in their severity."""
    position: dict[str, int] = {}
    for i, c in enumerate(report.checks):
        position.setdefault(c.id, i)

    def key(item: tuple[int, Finding]) -> tuple[int, int, int]:
        n, f = item
        owners = owning_checks(f, report.checks)
        return (_RANK.get(f.severity, len(_RANK)),
                position[owners[0]] if owners else len(position), n)

    return [f for _, f in sorted(enumerate(report.findings), key=key)]


def check_anchor(check_id: str) -> str:
    """The anchor of a check (`check-probe-tls`)."""
    return anchor_id("check", check_id)


def _label(key: object) -> str:
    return str(key).replace("_", " ")


def readable(value: Any) -> str:
    """An evidence value as a person reads it: no Python repr (`yes`/`no`, `none`, ISO dates,
    `key: value` pairs, lists joined so that an entry holding the separator stays one)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str | int):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)
                 if f.metadata.get("report", True)}
    if isinstance(value, Mapping):
        return safe_names(f"{_label(k)}: {readable(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        nested = any(isinstance(v, Mapping) or dataclasses.is_dataclass(v) for v in items)
        return safe_names((readable(v) for v in items), "; " if nested else ", ") or "none"
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def evidence_rows(evidence: Mapping[str, Any]) -> list[Row]:
    """A finding's evidence, one readable row per key (`index` as the certificate's number,
    serials as colon hex)."""
    rows = []
    for key, value in evidence.items():
        if key == "index" and isinstance(value, int) and not isinstance(value, bool):
            rows.append(Row("certificate", f"#{value + 1}"))
            continue
        serial = (key == "serial" or key.endswith("_serial")) and isinstance(value, str)
        # one way of writing serials, whatever their source
        text = colon_hex(value) if serial else readable(value)
        if len(text) > EVIDENCE_CHARS:
            text = text[:EVIDENCE_CHARS - 1] + "…"
        rows.append(Row(_label(key), text))
    return rows


@frozen
class FindingView:
    """One finding as every renderer shows it: its number in the report's order, anchor,
    severity, words, readable evidence rows, fix, walkthrough, the checks that own it, and the
    certificate it is about (its anchor, when the report draws it)."""

    number: int
    anchor: str
    id: str
    severity: Severity
    title: str
    detail: str
    subject: str
    location: str
    evidence: tuple[Row, ...]
    fix: Fix | None
    walkthrough: str
    explain_command: str
    checks: tuple[str, ...]
    certificate: str = ""
    certificate_label: str = ""

    @property
    def check_anchors(self) -> tuple[tuple[str, str], ...]:
        """(anchor, check id) of each check that owns the finding."""
        return tuple((check_anchor(c), c) for c in self.checks)


def _head(location: str) -> str:
    """`file, certificate #3` of `file, certificate #3 (line 41)`."""
    return location.split(" (", 1)[0]


class CertIndex:
    """The report's certificates by location and by role and number, to find the one a
    finding names without a scan per finding."""

    def __init__(self, certificates: Sequence[CertView]) -> None:
        self.by_location: dict[str, CertView] = {}
        self.by_head: dict[str, CertView] = {}
        self.by_number: dict[tuple[str, int], CertView] = {}
        for c in certificates:
            self.by_location.setdefault(c.location, c)
            self.by_head.setdefault(_head(c.location), c)
            self.by_number.setdefault((c.role, c.number), c)

    def named_by(self, finding: Finding) -> CertView | None:
        """The certificate a finding names by its location (`file, certificate #3 (line
        41)`), or by `evidence.index` for a truststore's finding."""
        if finding.location:
            found = (self.by_location.get(finding.location)
                     or self.by_head.get(_head(finding.location)))
            if found is not None:
                return found
        index = finding.evidence.get("index")
        if isinstance(index, int) and finding.id.startswith(("TRUSTSTORE_", "CERT_")):
            for role in ("truststore", "file"):
                found = self.by_number.get((role, index + 1))
                if found is not None:
                    return found
        return None


def finding_view(finding: Finding, number: int = 0, *, checks: Sequence[Check] | None = None,
                 certificates: Sequence[CertView] | CertIndex = ()) -> FindingView:
    """One finding for drawing; `checks` (the report's) narrows the owning checks to those the
    report has, `certificates` (the view's, or their index) finds the certificate it is
    about."""
    index = certificates if isinstance(certificates, CertIndex) else CertIndex(certificates)
    cert = index.named_by(finding)
    return FindingView(
        number=number, anchor=anchor_id("finding", number or finding.id), id=finding.id,
        severity=finding.severity, title=finding.title, detail=finding.detail,
        subject=finding.subject or "", location=finding.location or "",
        evidence=tuple(evidence_rows(finding.evidence)), fix=finding.fix,
        walkthrough=finding.walkthrough or "",
        explain_command=render_command(doctor("explain", finding.id)),
        checks=tuple(owning_checks(finding, checks)),
        certificate=cert.anchor if cert else "",
        certificate_label=f"{cert.role} certificate #{cert.number}" if cert else "")


# -- checks ------------------------------------------------------------------------------------


@frozen
class CheckView:
    """One check: id, title, status and tone, detail, anchor, and the findings it owns
    (anchor, finding id)."""

    id: str
    anchor: str
    title: str
    status: CheckStatus
    tone: str
    detail: str
    findings: tuple[tuple[str, str], ...]


def check_views(checks: Sequence[Check], findings: Sequence[FindingView]) -> list[CheckView]:
    """The report's checks, each with the findings it owns."""
    return [CheckView(c.id, check_anchor(c.id), c.title, c.status, STATUS_TONE.get(c.status, ""),
                      c.detail, tuple((f.anchor, f.id) for f in findings if c.id in f.checks))
            for c in checks]


# -- the whole report --------------------------------------------------------------------------


@frozen
class Counts:
    """How many findings of each severity, and how many checks could not be decided."""

    errors: int
    warnings: int
    info: int
    undecided: int

    @property
    def text(self) -> str:
        """`2 errors, 1 warning, 0 info`."""
        def n(count: int, word: str) -> str:
            return f"{count} {word}{'' if count == 1 else 's'}"
        return f"{n(self.errors, 'error')}, {n(self.warnings, 'warning')}, {self.info} info"


@frozen
class ReportView:
    """A report ready to draw: the header (`title`, `target`, `source`, what was `collected`
    and why a collector did not finish, the counts), the findings in order, the checks, the
    sections of facts, every certificate, and `explain`'s walkthrough."""

    command: str
    title: str
    target: str
    generated_at: str
    tool_version: str
    schema: str
    source: str
    collected: tuple[Row, ...]
    collected_notes: tuple[Row, ...]
    counts: Counts
    findings: list[FindingView]
    checks: list[CheckView]
    sections: list[Section]
    certificates: list[CertView]
    walkthrough: WalkthroughView | None
    no_findings: str
    no_findings_tone: str

    def grouped(self) -> list[tuple[Severity, str, list[FindingView]]]:
        """(severity, heading, findings) for each severity that has findings, errors first."""
        out = []
        for sev in SEVERITY_ORDER:
            mine = [f for f in self.findings if f.severity is sev]
            if mine:
                out.append((sev, SEVERITY_HEADING[sev], mine))
        return out


def _file_of(location: str) -> str:
    return location.split(", certificate #", 1)[0]


def target(report: Report) -> str:
    """What the command looked at: a host:port, a domain name, a file."""
    p = report.payload
    probe = p.get("probe")
    domain = p.get("domain")
    if isinstance(probe, ProbeResult) and report.command != "domain":
        return f"{probe.host}:{probe.port}"
    name = getattr(domain, "name", None)
    if isinstance(name, str):
        return name
    client = p.get("client_certificate")
    truststore = p.get("truststore")
    if isinstance(client, CertSummary) and isinstance(truststore, Mapping):
        source = truststore.get("source")
        ts = source.get("name") if isinstance(source, Mapping) else None
        return f"{_file_of(client.location)} against {ts or '?'}"
    source = p.get("source")
    if isinstance(source, Mapping):
        hosts = sorted({c.hostname_match.host for c in p.get("certificates") or ()
                        if isinstance(c, CertSummary) and c.hostname_match is not None})
        return str(source.get("name") or "") + (f" (host {safe_names(hosts)})" if hosts else "")
    return ""


def _source(report: Report) -> str:
    source = report.payload.get("source")
    if not isinstance(source, Mapping):
        return ""
    n = len(report.payload.get("certificates") or ())
    at = source.get("at")
    when = at.strftime("%Y-%m-%d %H:%M UTC") if isinstance(at, datetime) else str(at or "?")
    return (f"{source.get('name')}: {n} certificate{'' if n == 1 else 's'}, "
            f"{source.get('container')}, evaluated at {when}")


def _collected(report: Report) -> tuple[tuple[Row, ...], tuple[Row, ...]]:
    """Each collector of a diagnosis (`probe`, `ok (0.02 s)`), and why each one that did not
    finish `ok` did not (`domain`, the reason)."""
    rows, notes = [], []
    for a in report.payload.get("attempts") or ():
        name = str(getattr(a, "name", "?"))
        status = str(getattr(a, "status", "?"))
        seconds = getattr(a, "seconds", 0.0)
        summary = str(getattr(a, "summary", "") or "")
        tone = "ok" if status == "ok" else ("" if status == "skipped" else "bad")
        rows.append(Row(name, f"{status} ({seconds:.2f} s)", tone))
        if status != "ok" and summary:
            notes.append(Row(name, summary, tone))
    return tuple(rows), tuple(notes)


def _certificates(sections: Sequence[Section]) -> list[CertView]:
    """Every certificate the sections draw, once each, in the order drawn."""
    out: dict[str, CertView] = {}
    for s in sections:
        for part in s.parts:
            if isinstance(part, Details):
                out.setdefault(part.cert.anchor, part.cert)
    return list(out.values())


def _all_certificates(report: Report, drawn: list[CertView]) -> list[CertView]:
    """Every certificate of the report (served, client, client chain, truststore, file)."""
    p = report.payload
    groups: list[tuple[str, object]] = []
    probe = p.get("probe")
    if isinstance(probe, ProbeResult):
        groups.append(("served", probe.served_chain))
    groups.append(("client", (p.get("client_certificate"),)))
    groups.append(("client-chain", p.get("sent_chain") or ()))
    truststore = p.get("truststore")
    if isinstance(truststore, Mapping):
        groups.append(("truststore", truststore.get("certificates") or ()))
    groups.append(("file", p.get("certificates") or ()))
    known = {c.anchor: c for c in drawn}
    out: list[CertView] = []
    for role, certs in groups:
        for c in certs if isinstance(certs, list | tuple) else ():
            if isinstance(c, CertSummary):
                view = cert_view(c, role)
                out.append(known.get(view.anchor, view))
    return out


def build(report: Report) -> ReportView:
    """The view of a report (build it from the redacted report when redacting)."""
    sections = fact_sections(report)
    certificates = _all_certificates(report, _certificates(sections))
    index = CertIndex(certificates)
    findings = [finding_view(f, i, checks=report.checks, certificates=index)
                for i, f in enumerate(ordered_findings(report), 1)]
    counts = Counts(report.count(Severity.ERROR), report.count(Severity.WARNING),
                    report.count(Severity.INFO),
                    sum(1 for c in report.checks if c.status is CheckStatus.UNKNOWN))
    if counts.undecided:
        none, tone = (f"No findings, but {counts.undecided} check(s) could not be decided (?): "
                      "nothing is known about them."), "bad"
    else:
        none, tone = "No findings.", "ok"
    tgt = target(report)
    collected, notes = _collected(report)
    return ReportView(
        command=report.command, title=f"mtls-doctor {report.command}" + (f": {tgt}" if tgt else ""),
        target=tgt, generated_at=iso(report.generated_at), tool_version=__version__,
        schema=SCHEMA, source=_source(report), collected=collected, collected_notes=notes,
        counts=counts,
        findings=findings, checks=check_views(report.checks, findings), sections=sections,
        certificates=certificates, walkthrough=walkthrough_view(report), no_findings=none,
        no_findings_tone=tone)
