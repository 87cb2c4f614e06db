"""Rich text for the TUI's panes: the collectors live, the checks, the run's verdict, the rows
of the findings list. A finding itself is drawn by `tui.finding`, the view's facts and tables
by `tui.sections`, chains by `tui.chain`.

Nothing here decides anything; it only draws the core's results and the report's view
(`report.view`). Every string from the outside world (certificate names, server answers, AWS
fields, file names) goes in as plain `Text`, never as markup (so `[bold]` in a certificate name
is shown, not obeyed), made safe by `clean` (`safe_text`: controls, bidi and zero-width
characters shown escaped, like every report does).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from mtls_doctor.diagnose.run import CollectorRun
from mtls_doctor.model.finding import CheckStatus, Severity
from mtls_doctor.report.view import CheckView, FindingView, ReportView
from mtls_doctor.safe import safe_text

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


def check_row(check: CheckView) -> tuple[Text, Text]:
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
                      view: ReportView | None, frame: int,
                      stopped: str | None = None,
                      live: Mapping[str, Text] | None = None) -> Table:
    """The checks pane: the collectors live (`live`: what each running one does now), then
    (once done) every check of the report's view. A collector that has not reported spins
    until the run ends; once it has ended (a report, a failure or a cancellation: `stopped`
    says which) nothing spins any more."""
    if stopped is None and view is not None:
        stopped = "no result: the run ended without it"
    live = live or {}
    rows = [attempt_row(n, attempts.get(n), frame, stopped, live.get(n)) for n in collectors]
    rows += [attempt_row(n, a, frame, stopped) for n, a in attempts.items() if n not in collectors]
    if view is not None:
        checks = [c for c in view.checks if not c.id.startswith("collect.")]
        if checks:
            rows.append((Text(""), Text("")))
        rows += [check_row(c) for c in checks]
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(width=1, no_wrap=True)
    table.add_column(ratio=1)
    for mark, body in rows:
        table.add_row(mark, body)
    return table


def undecided(view: ReportView) -> list[CheckView]:
    """The checks of the report that were wanted but could not be decided (`?`), collectors'
    own checks left out (their attempts say it)."""
    return [c for c in view.checks
            if c.status is CheckStatus.UNKNOWN and not c.id.startswith("collect.")]


def not_ok(attempts: Iterable[CollectorRun]) -> list[CollectorRun]:
    """The collectors that did not finish `ok` and were not merely skipped."""
    return [a for a in attempts if a.status not in ("ok", "skipped")]


def outcome(view: ReportView, attempts: Iterable[CollectorRun], exit_code: int
            ) -> tuple[str, str]:
    """The header's verdict on a finished run and its style: green only when nothing is wrong
    and everything wanted was decided; an error finding is red; warnings, undecided checks or a
    collector that did not finish `ok` are yellow, and the text says what could not be
    decided."""
    counts = view.counts
    # the view's words (`2 errors, 1 warning, 1 info`), the severities that have findings
    parts = [f"{n} {word}{'s' if n != 1 and word != 'info' else ''}"
             for n, word in ((counts.errors, "error"), (counts.warnings, "warning"),
                             (counts.info, "info")) if n]
    open_checks = undecided(view)
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
    if counts.errors:
        return text, "bold red"
    if counts.warnings or open_checks or bad or exit_code:
        return text, "bold yellow"
    return text, "bold green"


def no_findings_detail(view: ReportView, attempts: Iterable[CollectorRun]) -> RenderableType:
    """The detail pane of a report without findings: the view's word on it, green only when
    every check was decided; else what could not be decided, and why."""
    open_checks = undecided(view)
    bad = not_ok(attempts)
    if not open_checks and not bad:
        return Text(clean(view.no_findings),
                    style="green" if view.no_findings_tone == "ok" else "yellow")
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


def finding_label(f: FindingView, *, id_width: int = 0, wide: bool = True) -> Text:
    """One row of the findings list: the id in its severity's colour and the title, on one
    line (`wide`; ids padded to `id_width` so that titles line up) or under the id."""
    style = SEVERITY_STYLE[f.severity].replace("bold ", "")
    title = clean(f.title)
    if wide:
        return Text.assemble((f.id.ljust(id_width + 2), f"bold {style}"), title,
                             no_wrap=True, overflow="ellipsis")
    return Text.assemble((f.id, f"bold {style}"), "\n  ", (title, "dim"), no_wrap=True,
                         overflow="ellipsis")


def words_match(texts: Iterable[str], query: str) -> bool:
    """Whether every word of the filter `query` (any case) appears in one of `texts`."""
    hay = " ".join(texts).lower()
    return all(word in hay for word in query.lower().split())


def finding_matches(f: FindingView, query: str) -> bool:
    """Whether the findings filter `query` keeps `f`: every word of it (any case) appears in
    the id, the severity, the title or the detail."""
    return words_match((f.id, str(f.severity), f.title, f.detail), query)
