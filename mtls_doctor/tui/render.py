"""Rich text for the TUI's panes: checks, findings, a finding's detail, a walkthrough.

Nothing here decides anything; it only draws the core's results. Every string from the outside
world (certificate names, server answers) goes in as plain `Text`, never as markup, with control
characters escaped like the text report does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from mtls_doctor.diagnose.run import Attempt
from mtls_doctor.model.certificate import CertSummary
from mtls_doctor.model.finding import Check, CheckStatus, Finding, Fix, Severity
from mtls_doctor.model.probe import ProbeResult
from mtls_doctor.model.report import Report
from mtls_doctor.model.verdict import Verdict
from mtls_doctor.report.text import _escape_controls
from mtls_doctor.tui.facts import certificate_fields, report_facts
from mtls_doctor.walkthroughs import Tree, Walk, recognise

SEVERITY_ORDER = (Severity.ERROR, Severity.WARNING, Severity.INFO)
SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow",
                  Severity.INFO: "bold blue"}
CHECK_MARK = {
    CheckStatus.PASS: ("✓", "green"),
    CheckStatus.WARN: ("!", "yellow"),
    CheckStatus.FAIL: ("✗", "red"),
    CheckStatus.SKIP: ("-", "dim"),
    CheckStatus.UNKNOWN: ("?", "magenta"),
}
ATTEMPT_MARK = {"ok": ("✓", "green"), "failed": ("✗", "red"), "skipped": ("-", "dim")}
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def clean(value: object) -> str:
    """Outside text made safe to draw: control characters escaped."""
    return _escape_controls(str(value))


def expected_collectors(cert: bool, no_aws: bool, truststore: bool) -> list[str]:
    """The collectors `run_diagnosis` will run for these options, in its order."""
    names = ["probe"]
    if not no_aws:
        names.append("domain")
    if truststore:
        names.append("truststore")
    if cert:
        names.append("verify-client")
    return names


def attempt_line(name: str, attempt: Attempt | None, frame: int) -> Text:
    """One collector: a spinner and `running` until it finishes, then its mark and duration."""
    if attempt is None:
        return Text.assemble((SPINNER[frame % len(SPINNER)], "cyan"), " ",
                             (f"{name:<14}", "bold"), ("running", "cyan"))
    mark, style = ATTEMPT_MARK.get(attempt.status, ("-", "dim"))
    return Text.assemble((mark, style), " ", (f"{name:<14}", "bold"),
                         (f"{attempt.seconds:5.2f}s ", "dim"), clean(attempt.summary))


def check_line(check: Check) -> Text:
    """One check of the finished report: mark, title, detail."""
    mark, style = CHECK_MARK[check.status]
    return Text.assemble((mark, style), " ", clean(check.title), "  ", (clean(check.detail), "dim"))


def checks_text(collectors: Sequence[str], attempts: Mapping[str, Attempt],
                report: Report | None, frame: int) -> Text:
    """The checks pane: the collectors live, then (once done) every check of the report."""
    lines = [attempt_line(n, attempts.get(n), frame) for n in collectors]
    lines += [attempt_line(n, a, frame) for n, a in attempts.items() if n not in collectors]
    if report is not None:
        checks = [c for c in report.checks if not c.id.startswith("collect.")]
        if checks:
            lines.append(Text(""))
        lines += [check_line(c) for c in checks]
    out = Text("\n").join(lines)
    out.no_wrap, out.overflow = True, "ellipsis"
    return out


def counts_text(findings: Sequence[Finding]) -> str:
    """`2 error(s), 1 warning(s), 0 info`."""
    n = {s: sum(1 for f in findings if f.severity is s) for s in SEVERITY_ORDER}
    return (f"{n[Severity.ERROR]} error(s), {n[Severity.WARNING]} warning(s), "
            f"{n[Severity.INFO]} info")


def grouped(findings: Iterable[Finding]) -> list[tuple[Severity, list[Finding]]]:
    """Findings grouped by severity, most severe first; empty groups left out."""
    items = list(findings)
    out = [(s, [f for f in items if f.severity is s]) for s in SEVERITY_ORDER]
    return [(s, fs) for s, fs in out if fs]


def finding_label(f: Finding) -> Text:
    """One line of the findings list."""
    return Text(f.id, style=SEVERITY_STYLE[f.severity].replace("bold ", ""), no_wrap=True,
                overflow="ellipsis")


def _evidence_value(value: Any) -> str:
    if isinstance(value, str | int | float | bool) or value is None:
        text = str(value)
    elif isinstance(value, Mapping):
        text = ", ".join(f"{k}={v}" for k, v in value.items())
    elif isinstance(value, list | tuple):
        text = ", ".join(str(v) for v in value)
    else:
        text = str(value)
    text = clean(text)
    return text if len(text) <= 300 else text[:297] + "…"


def fix_renderable(fix: Fix, *, title: str = "Fix") -> Group:
    """A fix: summary, numbered steps, commands to copy."""
    parts: list[RenderableType] = [Text.assemble((f"{title}: ", "bold green"), clean(fix.summary))]
    for i, step in enumerate(fix.steps, 1):
        parts.append(Text(f"  {i}. {clean(step)}"))
    if fix.commands:
        parts.append(Text("Commands", style="bold"))
    for cmd in fix.commands:
        parts.append(Text.assemble(("  $ ", "dim"), (clean(cmd), "cyan")))
    return Group(*parts)


def finding_detail(f: Finding) -> Group:
    """The detail pane / finding screen: detail, location, evidence, fix steps and commands."""
    parts: list[RenderableType] = [
        Text.assemble((f.severity.upper(), SEVERITY_STYLE[f.severity]), " ", (f.id, "bold")),
        Text(clean(f.title), style="bold"),
        Text(""),
    ]
    if f.subject:
        parts.append(Text.assemble(("subject  ", "dim"), clean(f.subject)))
    if f.location:
        parts.append(Text.assemble(("where    ", "dim"), clean(f.location)))
    parts += [Text(clean(f.detail)), Text("")]
    if f.evidence:
        parts.append(Text("Evidence", style="bold"))
        for key, value in f.evidence.items():
            parts.append(Text.assemble((f"  {key}: ", "dim"), _evidence_value(value)))
        parts.append(Text(""))
    if f.fix is not None:
        parts += [fix_renderable(f.fix), Text("")]
    if f.walkthrough:
        parts.append(Text.assemble(("walkthrough ", "dim"), (f.walkthrough, "bold"),
                                   (" — press w to walk it", "dim")))
    return Group(*parts)


def target_of(report: Report) -> str | None:
    """host:port as probed, from the report's payload."""
    probe = report.payload.get("probe")
    if isinstance(probe, ProbeResult):
        return f"{probe.host}:{probe.port}"
    return None


def walk_facts(finding: Finding, report: Report | None,
               extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Facts for the finding's walkthrough: what the whole report decides (`facts.report_facts`),
    `extra` (the files the diagnosis was given), what the finding's id implies and its evidence
    (scalar values); earlier sources win."""
    facts: dict[str, Any] = report_facts(report)
    for key, value in (extra or {}).items():
        if value is not None and facts.get(key) is None:
            facts[key] = value
    for match in recognise(finding.id):
        if match.walkthrough == finding.walkthrough:
            facts.update({k: v for k, v in match.facts.items() if facts.get(k) is None})
    for key, value in finding.evidence.items():
        if isinstance(value, str | int | bool) and facts.get(key) is None:
            facts[key] = value
    return {k: v for k, v in facts.items() if v is not None}


def walk_renderable(tree: Tree, result: Walk) -> Group:
    """The walkthrough so far: the answered steps (how each was decided), then the question or
    the fix."""
    parts: list[RenderableType] = [Text(clean(tree.title), style="bold"),
                                   Text(clean(tree.summary), style="dim"), Text("")]
    for step in result.steps:
        parts.append(Text.assemble(("? ", "dim"), clean(step.question)))
        parts.append(Text.assemble(("  → ", "dim"), (step.answer, "bold"), "  ",
                                   (clean(step.evidence or ""), "dim")))
    if result.pending is not None:
        q = result.pending
        parts.append(Text.assemble(("? ", "bold yellow"), (clean(q.question), "bold")))
        if q.help:
            parts.append(Text(f"  how to tell: {clean(q.help)}", style="dim"))
        if q.note:
            parts.append(Text(f"  note: {clean(q.note)}", style="dim"))
    if result.fix is not None:
        parts += [Text(""), fix_renderable(result.fix)]
        if result.recheck:
            parts.append(Text(f"re-check: mtls-doctor {result.recheck} …", style="dim"))
    return Group(*parts)


def certificate_label(source: str, cert: CertSummary) -> Text:
    """One line of the certificate list: where it came from and its subject."""
    style = "red" if cert.validity is not None and cert.validity.status != "valid" else ""
    return Text.assemble((f"{source:<12}", "dim"), (clean(cert.subject), style), no_wrap=True,
                         overflow="ellipsis")


def certificate_detail(source: str, cert: CertSummary) -> Group:
    """One certificate, field by field, like `openssl x509 -text` but structured."""
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(style="dim", max_width=20, overflow="fold")
    table.add_column(overflow="fold", ratio=1)
    for name, value in certificate_fields(cert):
        bad = (name == "Validity" and not value.startswith("valid,")) or name == "Malformed"
        table.add_row(name, Text(clean(value), style="red" if bad else ""))
    return Group(Text.assemble((source.upper(), "bold cyan"), " ", (clean(cert.subject), "bold")),
                 Text(""), table)


# -- the finding screen's certificate views -----------------------------------------------------

COMPARED_FIELDS = ("Subject", "SANs", "Serial", "Issuer", "Validity")


def _when(value: object) -> str:
    if value is None:
        return "?"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _same(a: str, b: str) -> bool:
    """Equal up to formatting: case, colons, blanks, `DNS:` prefixes."""
    def norm(v: str) -> str:
        return v.lower().replace("dns:", "").replace(":", "").replace(" ", "")
    return norm(a) == norm(b)


def served_vs_configured(report: Report | None) -> list[tuple[str, str, str]] | None:
    """(field, served, configured) rows comparing the probe's served leaf with the domain's ACM
    certificate; None when the report lacks either."""
    if report is None:
        return None
    probe = report.payload.get("probe")
    domain = report.payload.get("domain")
    if not isinstance(probe, ProbeResult) or not probe.served_chain or not isinstance(domain, Mapping):
        return None
    certificates = domain.get("certificates")
    acm = certificates.get(domain.get("certificate_arn")) if isinstance(certificates, Mapping) else None
    if not isinstance(acm, Mapping):
        return None
    leaf = probe.served_chain[0]
    served = (leaf.subject, ", ".join(leaf.sans), leaf.serial, leaf.issuer,
              f"{_when(leaf.not_before)} → {_when(leaf.not_after)}")
    configured = (str(acm.get("subject") or "?"), ", ".join(str(s) for s in acm.get("sans") or ()),
                  str(acm.get("serial") or "?"), str(acm.get("issuer") or "?"),
                  f"{_when(acm.get('not_before'))} → {_when(acm.get('not_after'))}")
    return list(zip(COMPARED_FIELDS, served, configured, strict=True))


def comparison_renderable(rows: Sequence[tuple[str, str, str]]) -> Group:
    """Served vs configured certificate, side by side; differing fields in yellow."""
    table = Table(expand=True, show_edge=False, pad_edge=False)
    table.add_column("", style="dim", no_wrap=True)
    table.add_column("served (probe)", overflow="fold", ratio=1)
    table.add_column("configured (ACM)", overflow="fold", ratio=1)
    for name, served, configured in rows:
        style = "" if _same(served, configured) else "yellow"
        table.add_row(name, Text(clean(served), style=style), Text(clean(configured), style=style))
    return Group(Text("Served vs configured certificate", style="bold"), table)


def chain_lines(report: Report | None, *, verdict_first: bool = False) -> list[str] | None:
    """The certificate chain as indented tree lines: the truststore by `issuer_index` (roots
    first), else the verdict's path (root first), or the other way round with `verdict_first`;
    None when the report has neither."""
    if report is None:
        return None
    if verdict_first:
        return _verdict_lines(report) or _truststore_lines(report)
    return _truststore_lines(report) or _verdict_lines(report)


def _verdict_lines(report: Report) -> list[str] | None:
    verdict = report.payload.get("verdict")
    if isinstance(verdict, Verdict) and verdict.path:
        return ["  " * i + ("└─ " if i else "") + name
                for i, name in enumerate(reversed(verdict.path))]
    return None


def _truststore_lines(report: Report) -> list[str] | None:
    truststore = report.payload.get("truststore")
    certs = truststore.get("certificates") if isinstance(truststore, Mapping) else None
    if isinstance(certs, tuple | list) and certs:
        summaries = [c for c in certs if isinstance(c, CertSummary)]
        children: dict[int | None, list[CertSummary]] = {}
        for c in summaries:
            parent = c.issuer_index if c.issuer_index != c.index else None
            children.setdefault(parent, []).append(c)
        lines: list[str] = []
        seen: set[int] = set()

        def visit(c: CertSummary, depth: int) -> None:
            if c.index in seen:
                return
            seen.add(c.index)
            prefix = "  " * depth + ("└─ " if depth else "")
            line = f"{prefix}#{c.index + 1} {c.subject}"
            if c.issuer_index is None and not c.self_signed:
                line += f"  (issuer not in the truststore: {c.issuer})"
            lines.append(line)
            for child in children.get(c.index, []):
                visit(child, depth + 1)

        for root in children.get(None, []):
            visit(root, 0)
        for c in summaries:  # anything left (a loop): flat
            visit(c, 0)
        return lines
    return None


def chain_renderable(lines: Sequence[str]) -> Group:
    """The chain tree for the finding screen."""
    return Group(Text("Certificate chain", style="bold"),
                 *(Text(clean(line), no_wrap=True, overflow="ellipsis") for line in lines))


def finding_extras(finding: Finding, report: Report | None) -> list[RenderableType]:
    """What the finding screen adds to the detail: the served vs configured certificate for
    SERVER_* findings, the chain tree for certificate findings."""
    out: list[RenderableType] = []
    if finding.id.startswith("SERVER_"):
        rows = served_vs_configured(report)
        if rows is not None:
            out += [Text(""), comparison_renderable(rows)]
    if finding.id.startswith(("TRUSTSTORE_", "CLIENT_", "CERT_")):
        lines = chain_lines(report, verdict_first=finding.id.startswith("CLIENT_"))
        if lines:
            out += [Text(""), chain_renderable(lines)]
    return out
