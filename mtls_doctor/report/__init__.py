"""Renderers of the one report model: text for people, JSON for scripts, Markdown for tickets,
HTML to hand on. Text, Markdown and HTML draw one view of the report (`report.view.build`: the
findings in one order, the same rows, trees and anchors), so they never disagree with each
other; JSON is the contract's document (`report.json.document`). Redaction happens once, on the
typed report (`report.redact.redact_report`), before any of them runs.

Whatever the format, what `render` returns can be written to a terminal: every renderer passes
the outside text it prints through `mtls_doctor.safe.safe_text` at its output boundary (text:
line by line; Markdown: `md_text` and code blocks; HTML: the template's `finalize`; JSON: written
ASCII-only, every other character a `\\u` escape), and joins lists of names with `safe_names`."""

from __future__ import annotations

from mtls_doctor.model.report import Report


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """The report in the requested format (`text`, `json`, `markdown` or `html`)."""
    if fmt == "json":
        from mtls_doctor.report.json import render_json

        return render_json(report)
    if fmt == "markdown":
        from mtls_doctor.report.markdown import render_markdown

        return render_markdown(report)
    if fmt == "html":
        from mtls_doctor.report.html import render_html

        return render_html(report)
    from mtls_doctor.report.text import render_text

    return render_text(report, color=color)
