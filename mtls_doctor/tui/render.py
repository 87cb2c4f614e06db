"""Rich text for the TUI's panes: checks, findings, a finding's detail, a walkthrough.

Nothing here decides anything; it only draws the core's results. Every string from the outside
world (certificate names, server answers, AWS fields, file names) goes in as plain `Text`, never
as markup (so `[bold]` in a certificate name is shown, not obeyed), made safe by `clean`
(`safe_text`: controls, bidi and zero-width characters shown escaped, like every report does);
lists of names are joined by `safe_names`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from mtls_doctor.diagnose.run import CollectorRun
from mtls_doctor.model.certificate import CertSummary
from mtls_doctor.model.finding import Check, CheckStatus, Finding, Fix, Severity
from mtls_doctor.model.probe import ProbeResult
from mtls_doctor.model.report import Report
from mtls_doctor.model.verdict import Verdict
from mtls_doctor.report.json import as_mapping
from mtls_doctor.safe import safe_names, safe_text
from mtls_doctor.tui.facts import report_facts
from mtls_doctor.walkthroughs import recognise

SEVERITY_ORDER = (Severity.ERROR, Severity.WARNING, Severity.INFO)
SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow",
                  Severity.INFO: "bold cyan"}
CHECK_MARK = {
    CheckStatus.PASS: ("✓", "green"),
    CheckStatus.WARN: ("!", "yellow"),
    CheckStatus.FAIL: ("✗", "red"),
    CheckStatus.SKIP: ("-", "dim"),
    CheckStatus.UNKNOWN: ("?", "magenta"),
}
#: a collector's mark by its attempt's status; any other status is shown as `?` (not a success)
ATTEMPT_MARK = {"ok": ("✓", "green"), "failed": ("✗", "red"), "unknown": ("?", "magenta"),
                "cancelled": ("✗", "yellow"), "skipped": ("-", "dim")}
OTHER_MARK = ("?", "magenta")
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def clean(value: object) -> str:
    """Outside text made safe to draw (`safe_text`); put it in a `Text`, never in markup."""
    return safe_text(value)


def _row(mark: str, style: str, body: Text, *, wrap: bool) -> tuple[Text, Text]:
    """A mark and its line; a line that matters (not a success) wraps under itself instead of
    being cut, so that its reason can be read in a narrow pane."""
    if wrap:
        body.overflow = "fold"
    else:
        body.no_wrap, body.overflow = True, "ellipsis"
    return Text(mark, style=style), body


class Quoted:
    """Outside text shown as a quote: wrapped to the width, every line behind a bar (`▌`), so
    that no wrapped line can pass for a line of its own (a server's answer that says
    `\\x0a mtls-doctor: all checks passed` never starts a line with `mtls-doctor:`)."""

    BAR = "▌ "

    def __init__(self, text: Text) -> None:
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(1, options.max_width - len(self.BAR))
        for line in self.text.wrap(console, width):
            yield Text.assemble((self.BAR, self.text.style), line)


def attempt_mark(status: str) -> tuple[str, str]:
    """The mark of a collector that finished with `status` (anything but `ok` is no success)."""
    return ATTEMPT_MARK.get(status, OTHER_MARK)


def attempt_row(name: str, attempt: CollectorRun | None, frame: int,
                stopped: str | None = None, live: Text | None = None) -> tuple[Text, Text]:
    """One collector: a spinner and `running` (or `live`: what it does now, e.g. the probe's
    step and the time against the deadline) until it finishes, then its mark and duration.
    With `stopped` (the run ended without this collector's result: failed or cancelled) it says
    so instead of spinning."""
    if attempt is None:
        if stopped is not None:
            return _row("✗", "red", Text.assemble((f"{name:<14}", "bold"),
                                                  (clean(stopped), "red")), wrap=True)
        return _row(SPINNER[frame % len(SPINNER)], "cyan",
                    Text.assemble((f"{name:<14}", "bold"), live or Text("running", "cyan")),
                    wrap=False)
    mark, style = attempt_mark(attempt.status)
    ok = attempt.status == "ok"
    summary = clean(attempt.summary) or attempt.status
    if not ok and attempt.status not in summary:
        summary = f"{attempt.status}: {summary}"
    return _row(mark, style, Text.assemble((f"{name:<14}", "bold"),
                                           (f"{attempt.seconds:5.2f}s ", "dim"),
                                           (summary, "" if ok else style)), wrap=not ok)


def check_row(check: Check) -> tuple[Text, Text]:
    """One check of the finished report: mark, title, detail. A check that is not a pass or a
    skip (unknown, fail, warn) keeps its whole detail: for `?` it is why it could not be
    decided."""
    mark, style = CHECK_MARK.get(check.status, OTHER_MARK)
    plain = check.status in (CheckStatus.PASS, CheckStatus.SKIP)
    return _row(mark, style, Text.assemble(clean(check.title), "  ",
                                           (clean(check.detail), "dim" if plain else style)),
                wrap=not plain)


def live_text(step: str | None, status: str | None, elapsed: float, timeout: float) -> Text:
    """What a running collector does now: its current step (`handshake…`, or `dns ✓` once a
    step ended and the next has not begun) and the seconds spent against the deadline."""
    parts: list[tuple[str, str]] = []
    if step is None:
        parts.append(("running", "cyan"))
    elif status == "running":
        parts.append((f"{step}…", "cyan"))
    else:
        mark, style = ("✓", "green") if status == "done" else ("✗", "red")
        parts += [(f"{step} ", "cyan"), (mark, style)]
    parts.append((f"  {elapsed:.1f} s / {timeout:g} s", "dim"))
    return Text.assemble(*parts)


def checks_renderable(collectors: Sequence[str], attempts: Mapping[str, CollectorRun],
                      report: Report | None, frame: int,
                      stopped: str | None = None,
                      live: Mapping[str, Text] | None = None) -> Table:
    """The checks pane: the collectors live (`live`: what each running one does now), then
    (once done) every check of the report. A collector that has not reported spins until the
    run ends; once it has ended (a report, a failure or a cancellation: `stopped` says which)
    nothing spins any more."""
    if stopped is None and report is not None:
        stopped = "no result: the run ended without it"
    live = live or {}
    rows = [attempt_row(n, attempts.get(n), frame, stopped, live.get(n)) for n in collectors]
    rows += [attempt_row(n, a, frame, stopped) for n, a in attempts.items() if n not in collectors]
    if report is not None:
        checks = [c for c in report.checks if not c.id.startswith("collect.")]
        if checks:
            rows.append((Text(""), Text("")))
        rows += [check_row(c) for c in checks]
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(width=1, no_wrap=True)
    table.add_column(ratio=1)
    for mark, body in rows:
        table.add_row(mark, body)
    return table


def undecided(report: Report) -> list[Check]:
    """The checks of the report that were wanted but could not be decided (`?`), collectors'
    own checks left out (their attempts say it)."""
    return [c for c in report.checks
            if c.status is CheckStatus.UNKNOWN and not c.id.startswith("collect.")]


def not_ok(attempts: Iterable[CollectorRun]) -> list[CollectorRun]:
    """The collectors that did not finish `ok` and were not merely skipped."""
    return [a for a in attempts if a.status not in ("ok", "skipped")]


def outcome(report: Report, attempts: Iterable[CollectorRun]) -> tuple[str, str]:
    """The header's verdict on a finished run and its style: green only when nothing is wrong
    and everything wanted was decided; an error finding is red; warnings, undecided checks or a
    collector that did not finish `ok` are yellow, and the text says what could not be
    decided."""
    counts = [(report.count(s), s) for s in SEVERITY_ORDER]
    parts = [f"{n} {s}" + ("(s)" if s is not Severity.INFO else "") for n, s in counts if n]
    open_checks = undecided(report)
    bad = not_ok(attempts)
    if open_checks:
        parts.append(f"{len(open_checks)} undecided (?)")
    failed = [a.name for a in bad if a.status == "failed"]
    if failed:
        parts.append("could not run: " + ", ".join(failed))
    others = [a.name for a in bad if a.status != "failed"]
    if others and not open_checks:
        parts.append("incomplete: " + ", ".join(others))
    text = "done: " + (", ".join(parts) or "no findings")
    if report.count(Severity.ERROR):
        return text, "bold red"
    if report.count(Severity.WARNING) or open_checks or bad or report.exit_code:
        return text, "bold yellow"
    return text, "bold green"


def no_findings_detail(report: Report, attempts: Iterable[CollectorRun]) -> RenderableType:
    """The detail pane of a report without findings: green only when every check was decided;
    else what could not be decided, and why."""
    open_checks = undecided(report)
    bad = not_ok(attempts)
    if not open_checks and not bad:
        return Text("No findings.", style="green")
    parts: list[RenderableType] = [
        Text("No findings, but the result is incomplete: what could not be decided is not a "
             "pass.", style="bold yellow"), Text("")]
    for a in bad:
        parts.append(Text.assemble((f"{a.name} {a.status}: ", "bold"), clean(a.summary),
                                   style="yellow"))
    if bad and open_checks:
        parts.append(Text(""))
    for c in open_checks:
        parts.append(Text.assemble(("? ", "magenta"), (clean(c.title), "bold"), "  ",
                                   (clean(c.detail), "magenta")))
    return Group(*parts)


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


def finding_label(f: Finding, *, id_width: int = 0, wide: bool = True) -> Text:
    """One row of the findings list: the id in its severity's colour and the title, on one
    line (`wide`; ids padded to `id_width` so that titles line up) or under the id."""
    style = SEVERITY_STYLE[f.severity].replace("bold ", "")
    title = clean(f.title)
    if wide:
        return Text.assemble((f.id.ljust(id_width + 2), f"bold {style}"), title,
                             no_wrap=True, overflow="ellipsis")
    return Text.assemble((f.id, f"bold {style}"), "\n  ", (title, "dim"), no_wrap=True,
                         overflow="ellipsis")


def finding_matches(f: Finding, query: str) -> bool:
    """Whether the findings filter `query` keeps `f`: every word of it (any case) appears in
    the id, the severity, the title or the detail."""
    hay = " ".join((f.id, str(f.severity), f.title, f.detail)).lower()
    return all(word in hay for word in query.lower().split())


def _evidence_value(value: Any) -> str:
    if isinstance(value, str | int | float | bool) or value is None:
        text = str(value)
    elif isinstance(value, Mapping):
        text = safe_names(f"{k}={v}" for k, v in value.items())
    elif isinstance(value, list | tuple):
        text = safe_names(str(v) for v in value)
    else:
        text = str(value)
    text = clean(text)
    return text if len(text) <= 300 else text[:297] + "…"


def fix_renderable(fix: Fix, *, title: str = "Fix", commands: bool = True) -> Group:
    """A fix: summary, numbered steps, commands to copy (with `commands`; else the caller lists
    them, as the `CommandList` widget does). A command is never wrapped: one line, cut at the
    pane's edge rather than broken (copying a broken URL breaks it)."""
    parts: list[RenderableType] = [Text.assemble((f"{title}: ", "bold green"), clean(fix.summary))]
    for i, step in enumerate(fix.steps, 1):
        parts.append(Text(f"  {i}. {clean(step)}"))
    if fix.commands:
        parts.append(Text("Commands", style="bold"))
    for cmd in fix.commands if commands else ():
        parts.append(Text.assemble(("  $ ", "dim"), (clean(cmd), "cyan"), no_wrap=True,
                                   overflow="ellipsis"))
    return Group(*parts)


def walkthrough_hint(f: Finding) -> Text:
    """The line that says a finding has a walkthrough, and how to open it (empty without)."""
    if not f.walkthrough:
        return Text("")
    return Text.assemble(("walkthrough ", "dim"), (clean(f.walkthrough), "bold"),
                         (" — press w to walk it", "dim"))


def finding_detail(f: Finding, *, commands: bool = True) -> Group:
    """The detail pane / finding screen: detail, location, evidence, fix steps and (with
    `commands`) the fix's commands and the walkthrough hint; without, the caller shows those
    (the `FindingView` widget: commands in a `CommandList`)."""
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
        parts.append(fix_renderable(f.fix, commands=commands))
        if commands:
            parts.append(Text(""))
    if f.walkthrough and commands:
        parts.append(walkthrough_hint(f))
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
    domain = as_mapping(report.payload.get("domain"))
    if not isinstance(probe, ProbeResult) or not probe.served_chain or not isinstance(domain, Mapping):
        return None
    certificates = domain.get("certificates")
    acm = certificates.get(domain.get("certificate_arn")) if isinstance(certificates, Mapping) else None
    if not isinstance(acm, Mapping):
        return None
    leaf = probe.served_chain[0]
    served = (leaf.subject, safe_names(leaf.sans), leaf.serial, leaf.issuer,
              f"{_when(leaf.not_before)} → {_when(leaf.not_after)}")
    configured = (str(acm.get("subject") or "?"), safe_names(str(s) for s in acm.get("sans") or ()),
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
        table.add_row(Text(name), Text(clean(served), style=style),
                      Text(clean(configured), style=style))
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


#: the most lines of a chain tree the finding screen draws (a big truststore is listed whole by
#: the certificate viewer)
CHAIN_LINES = 30


def _depth(line: str) -> int:
    return (len(line) - len(line.lstrip(" "))) // 2


def chain_window(lines: Sequence[str], subject: str | None, limit: int = CHAIN_LINES
                 ) -> list[str]:
    """At most `limit` lines of a chain tree (and one that says how many were left out): the
    lines naming `subject` with their ancestors first, then the tree from its top."""
    if len(lines) <= limit:
        return list(lines)
    keep: set[int] = set()
    for i, line in enumerate(lines):
        if len(keep) >= limit or not subject or subject not in line:
            continue
        keep.add(i)
        depth = _depth(line)
        for j in range(i - 1, -1, -1):  # its ancestors: the nearest line above of each depth
            if depth == 0:
                break
            if _depth(lines[j]) < depth:
                keep.add(j)
                depth = _depth(lines[j])
    for i in range(len(lines)):
        if len(keep) >= limit:
            break
        keep.add(i)
    shown = [lines[i] for i in sorted(keep)[:limit]]
    return [*shown, f"… {len(lines) - len(shown)} more certificate(s): press c to list them all"]


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
            out += [Text(""), chain_renderable(chain_window(lines, finding.subject))]
    return out
