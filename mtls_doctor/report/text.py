"""Plain text for a person at a terminal: what was collected, the checks, and what was found,
where, and what to do. It draws the report view (`report.view.build`), the brief parts of it
(a certificate table beside a chain tree of the same certificates is left to Markdown and HTML),
with the findings last, where a terminal leaves them in sight."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence

from mtls_doctor.model.finding import CheckStatus, Severity
from mtls_doctor.model.report import Report
from mtls_doctor.report.certs import CERT_COLUMNS
from mtls_doctor.report.parts import Details, Facts, Node, Row, Section, Table, Tree
from mtls_doctor.report.sections import WalkthroughView
from mtls_doctor.report.view import CheckView, FindingView, ReportView, build
from mtls_doctor.safe import safe_text

_STYLE = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "magenta": "35", "dim": "2",
          "bold": "1"}
_TONE_STYLE = {"ok": "green", "warn": "yellow", "bad": "red"}
_SEVERITY_STYLE = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}
_CHECK_MARK = {
    CheckStatus.PASS: ("✓", "green"),
    CheckStatus.WARN: ("!", "yellow"),
    CheckStatus.FAIL: ("✗", "red"),
    CheckStatus.SKIP: ("-", "dim"),
    CheckStatus.UNKNOWN: ("?", "magenta"),
}
#: a table wider than this is drawn as one record per row
TABLE_WIDTH = 100
#: lines of chain trees a terminal gets; past them, trees without a problem are counted, not
#: drawn (those with one always are; Markdown and HTML draw every tree)
TREE_LINES = 120

# Styles are written as markers (a private-use character, a nonce drawn for each report, the
# style's name, a second private-use character) and turned into ANSI codes only after the outside
# text between them has been made safe (`safe_text`): certificate names and server answers are
# attacker-chosen text, and must never move the cursor, clear the screen, set the clipboard or
# forge lines of the report. The nonce keeps outside text from posing as a marker.
_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"


class _Out:
    def __init__(self, color: bool) -> None:
        self.color = color
        self.lines: list[str] = []
        self.nonce = secrets.token_hex(8)
        self.marker = re.compile(f"{_MARK_OPEN}{self.nonce}([a-z]*){_MARK_CLOSE}")

    def s(self, text: str, style: str) -> str:
        if not self.color or not text or not style:
            return text
        return (f"{_MARK_OPEN}{self.nonce}{style}{_MARK_CLOSE}{text}"
                f"{_MARK_OPEN}{self.nonce}{_MARK_CLOSE}")

    def tone(self, text: str, tone: str) -> str:
        return self.s(text, _TONE_STYLE.get(tone, ""))

    def __call__(self, text: str = "") -> None:
        self.lines.append(text)

    def _line(self, line: str) -> str:
        """One line of the report: the text between style markers made safe, the markers
        turned into ANSI codes (or dropped without colour)."""
        out: list[str] = []
        pos = 0
        for m in self.marker.finditer(line):
            out.append(safe_text(line[pos:m.start()]))
            code = _STYLE.get(m.group(1), "0") if m.group(1) else "0"
            out.append(f"\x1b[{code}m" if self.color else "")
            pos = m.end()
        out.append(safe_text(line[pos:]))
        return "".join(out)

    def text(self) -> str:
        """The finished text: each line made safe on its own (a newline inside a name is shown
        as `\\x0a` and cannot start a line of its own), styles as ANSI codes."""
        return "\n".join(self._line(line) for line in self.lines).rstrip() + "\n"


# -- parts ---------------------------------------------------------------------------------------


def _rows(o: _Out, rows: Sequence[Row], indent: str) -> None:
    width = max((len(r.label) for r in rows), default=0)
    for r in rows:
        o(f"{indent}{r.label:<{width}}  {o.tone(r.value, r.tone)}")


def _certificates(o: _Out, table: Table) -> None:
    """A certificates table as a listing: number, subject and issuer, then the rest dimmed."""
    for row in table.rows:
        number, subject, issuer, *rest = row.cells
        o(f"  #{number} {o.s(subject, 'bold')}  ← {issuer}")
        bits = [o.tone(c, row.tone) if col == "Validity" else o.s(c, "dim")
                for col, c in zip(CERT_COLUMNS[3:], rest, strict=False) if c]
        o("     " + o.s(" · ", "dim").join(bits))


def _table(o: _Out, table: Table) -> None:
    """Aligned columns, or (too wide for a terminal) one record per row."""
    if table.kind == "certificates":
        _certificates(o, table)
        return
    widths = [max(len(c), *(len(r.cells[i]) for r in table.rows)) if table.rows else len(c)
              for i, c in enumerate(table.columns)]
    if sum(widths) + 2 * len(widths) <= TABLE_WIDTH:
        o("  " + o.s("  ".join(f"{c:<{w}}" for c, w in zip(table.columns, widths, strict=True))
                     .rstrip(), "dim"))
        for row in table.rows:
            line = "  ".join(f"{c:<{w}}" for c, w in zip(row.cells, widths, strict=True)).rstrip()
            o("  " + o.tone(line, row.tone))
        return
    head = table.columns[0]
    for row in table.rows:
        first, *rest = row.cells
        o(f"  {o.s(head, 'dim') + ' ' if head else ''}{o.tone(first or '-', row.tone)}")
        _rows(o, [Row(col, c) for col, c in zip(table.columns[1:], rest, strict=True)],
              "      ")


def _node(o: _Out, n: Node) -> str:
    bits = ", ".join(b for b in (n.tag, n.meta) if b)
    meta = f"  {o.s('[' + bits + ']', 'dim')}" if bits else ""
    note = f"  {o.s('(' + n.note + ')', 'dim')}" if n.note else ""
    return f"{o.tone(n.label, n.tone if n.tone == 'bad' else '')}{meta}{note}"


def _size(n: Node) -> tuple[int, bool]:
    """How many lines a tree draws, and whether a node of it has a problem (`warn`, `bad`)."""
    lines, trouble, todo = 0, False, [n]
    while todo:
        k = todo.pop()
        lines += 1
        trouble = trouble or k.tone in ("warn", "bad")
        todo += k.children
    return lines, trouble


def _tree(o: _Out, nodes: Sequence[Node]) -> None:
    """Trees with box-drawing branches, the roots flush left; past `TREE_LINES` lines only the
    trees with a problem, the others counted on one line."""
    def walk(n: Node, prefix: str, last: bool, depth: int) -> None:
        branch = "" if depth == 0 else ("└── " if last else "├── ")
        o(f"  {prefix}{branch}{_node(o, n)}")
        ext = "" if depth == 0 else ("    " if last else "│   ")
        for i, k in enumerate(n.children):
            walk(k, prefix + ext, i == len(n.children) - 1, depth + 1)

    drawn, left_trees, left_certs = 0, 0, 0
    for n in nodes:
        lines, trouble = _size(n)
        if drawn + lines > TREE_LINES and not trouble:
            left_trees += 1
            left_certs += lines
            continue
        walk(n, "", True, 0)
        drawn += lines
    if left_trees:
        o(o.s(f"  … {left_trees} more chain(s) without a problem ({left_certs} certificates): "
              "--format markdown or html draws every one", "dim"))


def _section(o: _Out, section: Section) -> None:
    head = o.s(section.title, "bold")
    o(head + (f": {o.tone(section.lead, section.lead_tone)}" if section.lead else ""))
    o()
    for part in section.parts:
        if not part.brief:
            continue
        if isinstance(part, Details):
            o(f"  {o.s(part.title, 'bold')}")
            _rows(o, part.cert.rows, "    ")
        else:
            if part.title:
                o(f"  {o.s(part.title, 'bold')}")
            if isinstance(part, Facts):
                _rows(o, part.rows, "  ")
            elif isinstance(part, Table):
                _table(o, part)
            elif isinstance(part, Tree):
                _tree(o, part.nodes)
        o()


# -- walkthrough, checks, findings ------------------------------------------------------------


def _walkthrough(o: _Out, w: WalkthroughView) -> None:
    """explain: what was recognised, the path taken, the question left, the fix."""
    if not w.id:
        if w.recognised:
            o("Recognised " + ", ".join(w.recognised) + ", which has no walkthrough.")
        else:
            o(o.s("Not recognised.", "yellow") + " mtls-doctor knows these walkthroughs "
              "(mtls-doctor explain --walkthrough ID):")
        for r in w.known:
            o(f"  {r.label:<20} {r.value}")
        o()
        return
    if w.matched:
        o(f"Recognised {o.s(chr(34) + w.matched + chr(34), 'bold')}"
          + (f" ({w.finding})" if w.finding else ""))
    o(o.s(f"Walkthrough {w.id}: {w.title}", "bold"))
    o(f"  {w.summary}")
    o()
    for step in w.steps:
        o(f"  ? {step.question}")
        o(f"    → {o.s(step.answer, 'bold')}  " + o.s(step.evidence or "answered", "dim"))
    if w.pending is not None:
        o(f"  ? {o.s(w.pending.question, 'yellow')}")
        o(f"    answers: {', '.join(w.pending.answers)}")
        if w.pending.help:
            o(o.s(f"    how to tell: {w.pending.help}", "dim"))
        o(o.s(f"    continue with: --answer {w.pending.node}=ANSWER", "dim"))
    if w.fix is not None:
        o()
        o(o.s("Fix", "bold") + f": {w.fix.summary}")
        for i, line in enumerate(w.fix.steps, 1):
            o(f"  {i}. {line}")
        for cmd in w.fix.commands:
            o(f"  $ {o.s(cmd, 'blue')}")
        if w.recheck_command:
            o("  re-check:")
            o(f"  $ {o.s(w.recheck_command, 'blue')}")
    o()


def _checks(o: _Out, checks: Sequence[CheckView]) -> None:
    if not checks:
        return
    o(o.s("Checks", "bold"))
    width = max(len(c.title) for c in checks)
    for c in checks:
        mark, style = _CHECK_MARK[c.status]
        o(f"  {o.s(mark, style)} {c.title:<{width}}  {o.s(c.detail, 'dim')}")
    o()


def _finding(o: _Out, f: FindingView, shown: set[str]) -> None:
    """One finding; fix steps and commands already printed for an earlier one are not repeated."""
    sev = o.s(f.severity.upper(), _SEVERITY_STYLE[f.severity])
    o(f"  {sev} {o.s(f.id, 'bold')}: {f.title}")
    if f.location:
        o(f"      where: {f.location}")
    o(f"      {f.detail}")
    if f.fix:
        o(f"      fix: {f.fix.summary}")
        steps = [s for s in f.fix.steps if s not in shown]
        commands = [c for c in f.fix.commands if c not in shown]
        for i, step in enumerate(steps, 1):
            o(f"        {i}. {step}")
        for cmd in commands:
            o(f"        $ {o.s(cmd, 'blue')}")
        repeated = len(f.fix.steps) + len(f.fix.commands) - len(steps) - len(commands)
        if repeated:
            o(o.s(f"        (+ {repeated} step(s)/command(s) shown above)", "dim"))
        shown.update(f.fix.steps, f.fix.commands)
    if f.walkthrough:
        o(o.s(f"      walkthrough: {f.walkthrough} ({f.explain_command})", "dim"))
    o()


def _findings(o: _Out, view: ReportView) -> None:
    if not view.findings:
        style = _TONE_STYLE.get(view.no_findings_tone, "") if view.counts.undecided == 0 \
            else "magenta"
        o(o.s(view.no_findings, style))
        return
    o(o.s("Findings", "bold") + f"  ({view.counts.text})")
    shown: set[str] = set()
    for f in view.findings:
        _finding(o, f, shown)


def render_view(view: ReportView, *, color: bool = False) -> str:
    """A report view as text; `color` adds ANSI colours for a terminal."""
    o = _Out(color)
    if view.source:
        o(o.s(view.source, "bold"))
        o()
    if view.walkthrough is not None:
        _walkthrough(o, view.walkthrough)
    if view.collected:
        o(o.s("Collected", "bold") + "  " + "   ".join(
            f"{r.label} {o.tone(r.value, r.tone)}" for r in view.collected))
        for r in view.collected_notes:
            o(f"  {r.label}: {r.value}")
        o()
    for section in view.sections:
        _section(o, section)
    _checks(o, view.checks)
    if view.command != "explain":
        _findings(o, view)
    return o.text()


def render_text(report: Report, *, color: bool = False) -> str:
    """The report as text; `color` adds ANSI colours for a terminal."""
    return render_view(build(report), color=color)
