"""One self-contained HTML page (inline CSS, no scripts, no network), readable and printable, in
a light or dark scheme as the reader's system prefers: the report view (`report.view.build`)
with the findings first, and links between a finding, the checks it counts against and the
certificate it is about.

Certificate names and server answers are attacker-chosen text: the page is rendered by Jinja2
with autoescaping on, from plain strings only (nothing is marked safe), and a Content Security
Policy forbids scripts and every external load as a second line of defence. Every value the
template prints first goes through `safe_text` (Jinja's `finalize`), so control, bidi and
zero-width characters are shown escaped in the page text too (the page may be printed to a
terminal: `--format html` without `-o`). Links only ever point inside the page (`#anchor`, ids
made of our own words).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from mtls_doctor.model.report import Report
from mtls_doctor.report.markdown import CHECK_MARK
from mtls_doctor.report.view import ReportView, build
from mtls_doctor.safe import safe_text

if TYPE_CHECKING:
    import jinja2

TEMPLATE = "report.html.j2"


@cache
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("mtls_doctor.report", "templates"),
        autoescape=True,  # every string: certificate subjects and SANs are attacker-chosen
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.filters["kind"] = lambda part: type(part).__name__.lower()
    return env


def _finalize(value: Any) -> Any:
    """Every printed value: a string made safe (then autoescaped); the template's own markup
    (a macro's output) and numbers as they are."""
    import markupsafe

    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return safe_text(value)
    return value


def render_view(view: ReportView) -> str:
    """A report view as one HTML page."""
    return _environment().get_template(TEMPLATE).render(
        view=view, check_mark=CHECK_MARK,
        numbers={f.anchor: f.number for f in view.findings})


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page."""
    return render_view(build(report))
