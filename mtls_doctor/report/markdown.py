"""Markdown to paste into a ticket: the report view (`report.view.build`) drawn as headings,
tables, lists and code blocks, the findings first.

Certificate names, SANs, server answers and file names are attacker-chosen text: every such
string goes through `md_text` (inline text made safe by `safe_text`, so line breaks, controls,
bidi and zero-width characters are shown escaped; then `|`, backticks, emphasis, brackets, `#`,
`<`, `>`, `&` escaped) or, made safe line by line, into a fenced block whose fence is longer than
any backtick run inside it, and never starts a line, so it cannot break a table, open a heading
or a list, inject HTML when the Markdown is rendered, or drive the terminal it is printed to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from mtls_doctor.model.report import Report
from mtls_doctor.report.parts import Details, Facts, Node, Row, Section, Table, Tree
from mtls_doctor.report.sections import WalkthroughView
from mtls_doctor.report.view import CheckView, FindingView, ReportView, build
from mtls_doctor.safe import safe_text

CHECK_MARK = {"pass": "✅", "warn": "⚠️", "fail": "❌", "skip": "➖", "unknown": "❓"}
_TONE_MARK = {"ok": "✅ ", "warn": "⚠️ ", "bad": "❌ "}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}|#~!^$])")
_PLAIN_CODE = re.compile(r"[A-Za-z0-9_.:/@=+ -]+")


def md_text(value: Any) -> str:
    """Untrusted text as inline Markdown that renders as exactly that text: made safe first
    (`safe_text`: line breaks, controls, bidi and zero-width characters shown escaped, so it
    stays on its line), then `& < >` as entities (no HTML can start), and every character that
    could open emphasis, code, a link, a heading, a table cell or math backslash-escaped."""
    text = safe_text("" if value is None else str(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_code(value: Any) -> str:
    """An identifier as a code span when it is plain (ids, reasons), else as escaped text."""
    text = "" if value is None else str(value)
    return f"`{text}`" if _PLAIN_CODE.fullmatch(text) else md_text(text)


def md_code_block(lines: Iterable[str], lang: str = "") -> list[str]:
    """A fenced code block whose fence is longer than any backtick run in the content."""
    body = [safe_text(line) for line in lines]  # each line stays one line
    longest = max((len(run) for line in body for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + lang, *body, fence]


def md_table(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A GFM table with every cell escaped."""
    out = ["| " + " | ".join(md_text(c) for c in columns) + " |",
           "|" + "|".join(" --- " for _ in columns) + "|"]
    for row in rows:
        out.append("| " + " | ".join(md_text(c) or " " for c in row) + " |")
    return out


def md_rows(rows: Sequence[Row], label: str = "Fact") -> list[str]:
    """Facts as a two-column table, each value after its tone's mark."""
    return md_table((label, "Value"),
                    ((r.label, _TONE_MARK.get(r.tone, "") + r.value) for r in rows))


def md_tree(nodes: Sequence[Node], depth: int = 0) -> list[str]:
    """Trees as an indented list (two spaces a level)."""
    out = []
    for n in nodes:
        mark = _TONE_MARK.get(n.tone, "") if n.tone != "ok" else ""
        meta = ", ".join(b for b in (n.tag, n.meta) if b)
        out.append(f"{'  ' * depth}- {mark}**{md_text(n.label)}**"
                   + (f" — {md_text(meta)}" if meta else "")
                   + (f" ({md_text(n.note)})" if n.note else ""))
        out += md_tree(n.children, depth + 1)
    return out


# -- the parts of the report ---------------------------------------------------------------------


def _finding(f: FindingView) -> list[str]:
    out = [f"#### {f.number}. {md_code(f.id)} {md_text(f.title)}", ""]
    if f.subject:
        out.append(f"- **Subject:** {md_text(f.subject)}")
    if f.location:
        out.append(f"- **Where:** {md_text(f.location)}")
    if f.certificate_label:
        out.append(f"- **Certificate:** {md_text(f.certificate_label)}")
    out.append(f"- **Detail:** {md_text(f.detail)}")
    if f.checks:
        out.append("- **Checks:** " + ", ".join(md_code(c) for c in f.checks))
    if f.walkthrough:
        out.append(f"- **Walkthrough:** {md_code(f.walkthrough)} "
                   f"({md_code(f.explain_command)})")
    out.append("")
    # as HTML draws it: what to do first, then the evidence behind the finding
    if f.fix is not None:
        out += [f"**Fix:** {md_text(f.fix.summary)}", ""]
        if f.fix.steps:
            out += [f"{i}. {md_text(s)}" for i, s in enumerate(f.fix.steps, 1)] + [""]
        if f.fix.commands:
            out += [*md_code_block(f.fix.commands, "sh"), ""]
    if f.evidence:
        out += ["**Evidence:**", "", *md_rows(f.evidence, "Evidence"), ""]
    return out


def _findings(view: ReportView) -> list[str]:
    out = ["## Findings", ""]
    if not view.findings:
        mark = "❓ " if view.counts.undecided else ""
        return [*out, mark + md_text(view.no_findings), ""]
    for _sev, heading, findings in view.grouped():
        out += [f"### {heading} ({len(findings)})", ""]
        for f in findings:
            out += _finding(f)
    return out


def _checks(checks: Sequence[CheckView], numbers: dict[str, int]) -> list[str]:
    if not checks:
        return []
    return ["## Checks", "", *md_table(
        ("Status", "Check", "Detail", "Findings"),
        ((f"{CHECK_MARK.get(c.status.value, '')} {c.status.value}", c.title, c.detail,
          ", ".join(f"#{numbers[a]} {i}" for a, i in c.findings)) for c in checks)), ""]


def _walkthrough(w: WalkthroughView) -> list[str]:
    if not w.id:
        head = ("Recognised " + ", ".join(w.recognised) + ", which has no walkthrough."
                if w.recognised else "Not recognised.")
        return ["## Walkthrough", "", md_text(head) + " The walkthroughs mtls-doctor knows "
                "(`mtls-doctor explain --walkthrough ID`):", "",
                *md_table(("Walkthrough", "Title"), ((r.label, r.value) for r in w.known)), ""]
    out = [f"## Walkthrough {md_code(w.id)}: {md_text(w.title)}", ""]
    if w.matched:
        out += [f"Recognised: {md_text(w.matched)}"
                + (f" ({md_code(w.finding)})" if w.finding else ""), ""]
    out += [md_text(w.summary), ""]
    for step in w.steps:
        out.append(f"- {md_text(step.question)} **{md_text(step.answer)}**"
                   + (f" ({md_text(step.evidence)})" if step.evidence else ""))
    if w.pending is not None:
        out.append(f"- ❓ {md_text(w.pending.question)} (answers: "
                   f"{md_text(', '.join(w.pending.answers))}; continue with "
                   f"{md_code('--answer ' + w.pending.node + '=ANSWER')})")
    out.append("")
    if w.fix is not None:
        out += [f"**Fix:** {md_text(w.fix.summary)}", ""]
        out += [f"{i}. {md_text(s)}" for i, s in enumerate(w.fix.steps, 1)]
        out += ["", *md_code_block([*w.fix.commands, *filter(None, [w.recheck_command])], "sh"),
                ""]
    return out


def _marked(cells: Sequence[str], tone: str) -> list[str]:
    """A table row's cells, the first after the mark of a warning or a problem."""
    mark = _TONE_MARK.get(tone, "") if tone in ("warn", "bad") else ""
    return [mark + c if i == 0 else c for i, c in enumerate(cells)]


def _section(s: Section) -> list[str]:
    out = [f"## {md_text(s.title)}", ""]
    if s.lead:
        out += [f"**{_TONE_MARK.get(s.lead_tone, '')}{md_text(s.lead)}**", ""]
    for part in s.parts:
        if part.title:
            out += [f"### {md_text(part.title)}", ""]
        if isinstance(part, Facts):
            out += md_rows(part.rows)
        elif isinstance(part, Table):
            out += md_table(part.columns, (_marked(r.cells, r.tone) for r in part.rows))
        elif isinstance(part, Tree):
            out += md_tree(part.nodes)
        elif isinstance(part, Details):
            out += md_rows(part.cert.rows)
        out.append("")
    return out


def render_view(view: ReportView) -> str:
    """A report view as Markdown: header and summary, findings, checks, then the facts."""
    out = [f"# {md_text(view.title)}", "",
           f"Generated {md_text(view.generated_at)} by mtls-doctor {md_text(view.tool_version)} "
           f"(schema {md_code(view.schema)}).", ""]
    if view.source:
        out += [f"**Source:** {md_text(view.source)}", ""]
    if view.collected:
        out += ["**Collected:** " + ", ".join(f"{md_text(r.label)} {md_text(r.value)}"
                                              for r in view.collected), ""]
        out += [f"- {md_text(r.label)}: {md_text(r.value)}" for r in view.collected_notes]
        out += [""] if view.collected_notes else []
    out += [f"**Summary:** {view.counts.text}", ""]
    if view.walkthrough is not None:
        out += _walkthrough(view.walkthrough)
    if view.command != "explain":
        out += _findings(view)
    out += _checks(view.checks, {f.anchor: f.number for f in view.findings})
    for section in view.sections:
        out += _section(section)
    return "\n".join(out).rstrip() + "\n"


def render_markdown(report: Report) -> str:
    """The report as Markdown."""
    return render_view(build(report))
