"""Renderers of the one report model: text for people, JSON for scripts."""

from __future__ import annotations

from mtls_doctor.model.report import Report


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """The report in the requested format."""
    if fmt == "json":
        from mtls_doctor.report.json import render_json

        return render_json(report)
    from mtls_doctor.report.text import render_text

    return render_text(report, color=color)
