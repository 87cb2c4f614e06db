"""The dashboard: the target, the checks filling in live, the findings, the selected finding."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Footer,
    Header,
    OptionList,
    Static,
)
from textual.widgets.option_list import Option

from mtls_doctor.diagnose.run import CollectorRun
from mtls_doctor.model.finding import Finding
from mtls_doctor.model.report import Report
from mtls_doctor.tui import render
from mtls_doctor.tui.screens.finding import FindingScreen


class DashboardScreen(Screen[None]):
    """The target, the checks filling in live, the findings by severity, the selected finding."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_finding", "Detail", show=False),
    ]

    def __init__(self, target: str, collectors: list[str]) -> None:
        super().__init__()
        self.target = target
        self.collectors = collectors
        self.attempts: dict[str, CollectorRun] = {}
        self.report: Report | None = None
        #: why the run ended without a report (it failed, or was cancelled); None otherwise
        self.stopped: str | None = None
        self.findings: list[Finding] = []
        self.selected: Finding | None = None
        self.frame = 0

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static(id="target")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                with VerticalScroll(id="checks-pane"):
                    yield Static(id="checks")
                yield OptionList(id="findings")
            with VerticalScroll(id="detail-pane"):
                yield Static(Text("Findings appear here when the collectors finish.", style="dim"),
                             id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#checks-pane").border_title = "Checks"
        self.query_one("#findings").border_title = "Findings"
        self.query_one("#detail-pane").border_title = "Detail"
        self.set_interval(0.1, self._tick)
        self.start(self.target, self.collectors)

    def start(self, target: str, collectors: list[str]) -> None:
        """A new run: every collector `running`, no findings yet."""
        self.target, self.collectors = target, collectors
        self.attempts, self.report, self.stopped = {}, None, None
        self.findings, self.selected = [], None
        self._show_target("running")
        self._show_checks()
        findings = self.query_one("#findings", OptionList)
        findings.clear_options()
        findings.border_title = "Findings"
        self.query_one("#detail", Static).update(
            Text("Findings appear here when the collectors finish.", style="dim"))

    @property
    def running(self) -> bool:
        """Some collector still runs: no report, no failure, no cancellation yet."""
        return self.report is None and self.stopped is None

    def _show_target(self, state: str, style: str = "cyan") -> None:
        self.query_one("#target", Static).update(
            Text.assemble(("Target ", "dim"), (render.clean(self.target), "bold"), "  ",
                          (state, style)))

    def _tick(self) -> None:
        if self.running and any(n not in self.attempts for n in self.collectors):
            self.frame += 1
            self._show_checks()

    def _show_checks(self) -> None:
        self.query_one("#checks", Static).update(
            render.checks_renderable(self.collectors, self.attempts, self.report, self.frame,
                                     self.stopped))

    def add_attempt(self, attempt: CollectorRun) -> None:
        """A collector finished (`ok`, or anything else: no success)."""
        self.attempts[attempt.name] = attempt
        self._show_checks()

    def show_failure(self, error: str) -> None:
        """The run stopped without a report: no spinner turns any more, every collector that had
        not finished says so; what the others reported stays."""
        self.stopped = "not finished: the diagnosis failed"
        self._show_target(f"failed: {render.clean(error)}", "bold red")
        self._show_checks()
        self.query_one("#findings", OptionList).border_title = "Findings: none (no report)"
        self.query_one("#detail", Static).update(Group(
            Text("The diagnosis failed; nothing was decided.", style="bold red"), Text(""),
            Text(render.clean(error), style="red")))

    def show_cancelled(self) -> None:
        """The run was abandoned (quit): nothing spins, nothing is reported as passed."""
        self.stopped = "cancelled"
        self._show_target("cancelled: nothing was decided", "bold yellow")
        self._show_checks()

    def show_report(self, report: Report) -> None:
        """The run finished: every check, the findings grouped by severity, the first selected.
        Green only when nothing is wrong and every check was decided."""
        self.report = report
        for attempt in report.payload.get("attempts") or ():
            if isinstance(attempt, CollectorRun):  # the report's own account wins over progress
                self.attempts[attempt.name] = attempt
        self.target = render.target_of(report) or self.target
        self._show_target(*render.outcome(report, self.attempts.values()))
        self._show_checks()
        options: list[Option | None] = []
        self.findings = []
        for severity, group in render.grouped(report.findings):
            if options:
                options.append(None)
            options.append(Option(Text(f"{severity.upper()} ({len(group)})",
                                       style=render.SEVERITY_STYLE[severity]), disabled=True))
            for f in group:
                options.append(Option(render.finding_label(f), id=f"finding-{len(self.findings)}"))
                self.findings.append(f)
        widget = self.query_one("#findings", OptionList)
        widget.clear_options()
        widget.add_options(options)
        widget.border_title = f"Findings: {render.counts_text(report.findings)}"
        if self.findings:
            widget.highlighted = widget.get_option_index("finding-0")
            self._select(self.findings[0])
        else:
            self.query_one("#detail", Static).update(
                render.no_findings_detail(report, self.attempts.values()))

    def _select(self, finding: Finding) -> None:
        self.selected = finding
        self.query_one("#detail", Static).update(render.finding_detail(finding))
        self.query_one("#detail-pane", VerticalScroll).scroll_home(animate=False)

    def _finding_of(self, option: Option) -> Finding | None:
        if option.id and option.id.startswith("finding-"):
            return self.findings[int(option.id.removeprefix("finding-"))]
        return None

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        finding = self._finding_of(event.option)
        if finding is not None:
            self._select(finding)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        finding = self._finding_of(event.option)
        if finding is not None:
            self._select(finding)
            self.app.push_screen(FindingScreen(finding, self.report))

    def action_open_finding(self) -> None:
        if self.selected is not None:
            self.app.push_screen(FindingScreen(self.selected, self.report))
