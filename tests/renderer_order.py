"""The finding ids a rendered report prints, in the order printed, one small function per
format, so that a test can hold every renderer (and the TUI) to one order:
`[f.id for f in report.view.ordered_findings(report)]`; and a rendered report as its reader
sees it (`plain`)."""

from __future__ import annotations

import html
import re

_ID = r"[A-Z][A-Z0-9_]*"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_TEXT_FINDING = re.compile(rf"^  (?:ERROR|WARNING|INFO) ({_ID}): ")
_MARKDOWN_FINDING = re.compile(rf"^#### \d+\. `({_ID})` ", re.MULTILINE)
_HTML_FINDING = re.compile(
    rf'<article class="finding (?:error|warning|info)" id="[^"]*">\s*<h4>.*?<code>({_ID})</code>',
    re.DOTALL)


def finding_ids_text(s: str) -> list[str]:
    """The ids of the findings of a text report (with or without colours), in order: the lines
    `  SEVERITY ID: title` after the `Findings` heading."""
    lines = [_ANSI.sub("", line) for line in s.splitlines()]
    start = next((i for i, line in enumerate(lines) if line.startswith("Findings")), None)
    if start is None:
        return []
    return [m.group(1) for line in lines[start + 1:] if (m := _TEXT_FINDING.match(line))]


def finding_ids_markdown(s: str) -> list[str]:
    """The ids of the findings of a Markdown report, in order (`#### N. `ID` title`)."""
    return _MARKDOWN_FINDING.findall(s)


def finding_ids_html(s: str) -> list[str]:
    """The ids of the findings of an HTML report, in order (each `<article class="finding">`'s
    heading)."""
    return _HTML_FINDING.findall(s)


def plain(fmt: str, out: str) -> str:
    """A rendered report as the reader sees it: Markdown's backslash escapes and HTML's
    entities undone."""
    if fmt == "markdown":
        return re.sub(r"\\(.)", r"\1", out)
    if fmt == "html":
        return html.unescape(out)
    return out
