"""The dashboard: the target, the findings (focused from the start), the selected finding, the
checks filling in live; once a report is in, all of it drawn from the report's view (built once,
`tui.shown`). Its keys act on the selected finding (`a`: its fix plans) or the diagnosed domain
(`t`: its traffic); `q` quits (asking first while collectors run)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.console import Group
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Header

from mtls_doctor.diagnose.run import CollectorRun
from mtls_doctor.model.report import Report
from mtls_doctor.report.view import FindingView
from mtls_doctor.tui import render
from mtls_doctor.tui.screens.finding import FindingScreen, copy_commands
from mtls_doctor.tui.shown import Shown
from mtls_doctor.tui.widgets import ChecksPane, FindingPane, FindingsList, FindingsPane, TargetBar
from mtls_doctor.tui.widgets.detail import WAITING
from mtls_doctor.tui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from mtls_doctor.probe.run import ProbeStep
    from mtls_doctor.tui.app import MtlsDoctorApp

#: from this terminal width on, the findings span the whole width over the detail and checks
WIDE = 140
#: from this width on the footer also shows ctrl+p's hint
PALETTE_HINT = 100
#: the name the finding screen is installed under
FINDING_SCREEN = "finding"


class DashboardScreen(Screen[None]):
    """The target, the findings by severity (id and title), the selected finding, the checks.
    The app feeds it: `start`, `add_attempt`, `probe_step`, `show_report`, `show_failure`,
    `show_cancelled`."""

    DEFAULT_CSS = """
    DashboardScreen #body {
        layout: grid;
        grid-size: 2 2;
        grid-columns: 47% 1fr;
        grid-rows: 3fr 2fr;
        height: 1fr;
    }
    DashboardScreen #detail-pane {
        row-span: 2;
    }
    DashboardScreen #findings-pane {
        min-width: 30;
    }
    DashboardScreen.-wide #body {
        grid-columns: 3fr 2fr;
        grid-rows: auto 1fr;
    }
    DashboardScreen.-wide #findings-pane {
        column-span: 2;
        height: auto;
    }
    DashboardScreen.-wide FindingsList {
        height: auto;
        max-height: 22;
    }
    DashboardScreen.-wide #detail-pane {
        row-span: 1;
    }
    """

    AUTO_FOCUS = "#findings"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("w", "walkthrough", "Walk"),
        Binding("y", "copy", "Copy"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("e", "app.export", "Export"),
        Binding("c", "app.certificates", "Certs"),
        Binding("t", "app.traffic", "Traffic"),
        Binding("a", "fix", "Fix"),
        Binding("r", "app.rerun", "Rerun"),
    ]

    def __init__(self, target: str, collectors: list[str]) -> None:
        super().__init__()
        #: composed and mounted (`is_mounted` is False until on_mount returns)
        self._ready = False
        self.target = target
        self.collectors = collectors
        self.attempts: dict[str, CollectorRun] = {}
        self.report: Report | None = None
        #: the report on screen with its view (None before a report)
        self.shown: Shown | None = None
        #: why the run ended without a report (it failed, or was cancelled); None otherwise
        self.stopped: str | None = None
        #: the findings of the view, in its order
        self.findings: list[FindingView] = []
        #: the deadline's length of the current run (for the live elapsed time)
        self.timeout = 30.0

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield TargetBar(id="target")
        with Container(id="body"):
            yield FindingsPane(id="findings-pane")
            yield FindingPane(id="detail-pane")
            yield ChecksPane(id="checks-pane")
        # every key fits at 80 columns: the palette's hint only from PALETTE_HINT on (ctrl+p
        # still opens it, and `?` lists it)
        yield KeyFooter(compact=True, show_command_palette=self.app.size.width >= PALETTE_HINT)

    def on_mount(self) -> None:
        self._ready = True
        self.findings_list.border_title = "Findings"
        self.detail.border_title = "Detail"
        self.start(self.target, self.collectors, self.timeout)

    def on_screen_resume(self) -> None:
        """Back on top: a traffic or fix screen made meanwhile opens now."""
        if self._ready:
            cast("MtlsDoctorApp", self.app).call_after_refresh(
                cast("MtlsDoctorApp", self.app).open_pending)

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width >= WIDE, "-wide")
        footer, hint = self.query_one(KeyFooter), event.size.width >= PALETTE_HINT
        if footer.show_command_palette != hint:
            footer.show_command_palette = hint
            footer.refresh(recompose=True)  # textual reads it only when it composes

    # -- the parts ----------------------------------------------------------------------------

    @property
    def findings_list(self) -> FindingsList:
        """The findings list."""
        return self.query_one(FindingsList)

    @property
    def checks(self) -> ChecksPane:
        """The checks pane."""
        return self.query_one(ChecksPane)

    @property
    def detail(self) -> FindingPane:
        """The selected finding's pane."""
        return self.query_one("#detail-pane", FindingPane)

    @property
    def selected(self) -> FindingView | None:
        """The finding highlighted now (read from the list at the moment of asking)."""
        if not self._ready:
            return None
        return self.findings_list.highlighted_finding

    @property
    def frame(self) -> int:
        """The spinner's frame (it turns only while collectors run)."""
        return self.checks.frame

    @property
    def running(self) -> bool:
        """Some collector still runs: no report, no failure, no cancellation yet."""
        return self.report is None and self.stopped is None

    # -- what the app feeds -------------------------------------------------------------------

    def start(self, target: str, collectors: list[str], timeout: float = 30.0) -> None:
        """A new run: every collector `running`, no findings yet."""
        self.target, self.collectors, self.timeout = target, collectors, timeout
        self.attempts, self.report, self.shown, self.stopped = {}, None, None, None
        self.findings = []
        if not self._ready:
            return
        bar = self.query_one(TargetBar)
        bar.target = target
        bar.set_state("running")
        self.checks.restart(collectors, timeout)
        self.findings_list.view = None
        self.findings_list.border_title = "Findings"
        self.detail.message = WAITING
        self.detail.show(None)

    def add_attempt(self, attempt: CollectorRun) -> None:
        """A collector finished (`ok`, or anything else: no success)."""
        self.attempts[attempt.name] = attempt
        self.checks.attempts = dict(self.attempts)

    def probe_step(self, event: ProbeStep) -> None:
        """The probe began or ended a step."""
        self.checks.step = (event.step, event.status)

    def show_failure(self, error: str) -> None:
        """The run stopped without a report: no spinner turns any more, every collector that had
        not finished says so; what the others reported stays."""
        self.stopped = "not finished: the diagnosis failed"
        self.query_one(TargetBar).set_state(f"failed: {error}", "bold red")
        self.checks.stopped = self.stopped
        self.findings_list.border_title = "Findings: none (no report)"
        self.detail.message = Group(
            Text("The diagnosis failed; nothing was decided.", style="bold red"), Text(""),
            render.Quoted(Text(render.clean(error), style="red")))
        self.detail.show(None)

    def show_cancelled(self) -> None:
        """The run was abandoned (quit): nothing spins, nothing is reported as passed."""
        self.stopped = "cancelled"
        self.query_one(TargetBar).set_state("cancelled: nothing was decided", "bold yellow")
        self.checks.stopped = self.stopped

    def show_report(self, shown: Shown) -> None:
        """The run finished: every check, the findings grouped by severity in the view's order,
        the first selected. Green only when nothing is wrong and every check was decided."""
        report, view = shown.report, shown.view
        self.report, self.shown = report, shown
        for attempt in report.payload.get("attempts") or ():
            if isinstance(attempt, CollectorRun):  # the report's own account wins over progress
                self.attempts[attempt.name] = attempt
        self.target = view.target or self.target
        bar = self.query_one(TargetBar)
        bar.target = self.target
        bar.set_state(*render.outcome(view, self.attempts.values(), report.exit_code))
        checks = self.checks
        checks.set_reactive(ChecksPane.attempts, dict(self.attempts))
        checks.report = view
        self.findings = list(view.findings)
        self.detail.shown = shown
        self.detail.message = render.no_findings_detail(view, self.attempts.values())
        findings = self.findings_list
        findings.border_title = f"Findings: {view.counts.text}"
        findings.view = view

    # -- keys ---------------------------------------------------------------------------------

    def on_findings_list_highlighted(self, event: FindingsList.Highlighted) -> None:
        self.detail.show(event.finding, self.shown)

    def on_findings_list_chosen(self, event: FindingsList.Chosen) -> None:
        self.open_finding(event.finding)

    def open_finding(self, finding: FindingView) -> None:
        """`finding` on its own screen (one screen, made at the first use, shown again)."""
        app = self.app
        if not app.is_screen_installed(FINDING_SCREEN):
            app.install_screen(FindingScreen(finding, self.shown), FINDING_SCREEN)
        screen = app.get_screen(FINDING_SCREEN)
        assert isinstance(screen, FindingScreen)
        screen.show(finding, self.shown)
        app.push_screen(FINDING_SCREEN)

    def action_quit(self) -> None:
        """Quit; while collectors run, ask first (quitting cancels the run: exit 130)."""
        from mtls_doctor.tui.screens.quit import quit_or_ask

        app = cast("MtlsDoctorApp", self.app)
        quit_or_ask(app, app.exit_code, "Collectors are still running." if app.running else None)

    def action_walkthrough(self) -> None:
        """The highlighted finding's walkthrough."""
        cast("MtlsDoctorApp", self.app).open_walkthrough(self.selected)

    def action_fix(self) -> None:
        """The AWS calls that fix the highlighted finding (a dry run), on the fix screen."""
        cast("MtlsDoctorApp", self.app).open_fix(self.selected)

    def action_copy(self) -> None:
        """Copy the highlighted finding's fix commands, one a line."""
        copy_commands(self, self.selected)

    def action_filter(self) -> None:
        """Filter the findings (id, severity, words of the title or detail)."""
        self.query_one(FindingsPane).open_filter()

    def action_clear_filter(self) -> None:
        """Every finding again, the list focused (escape)."""
        pane = self.query_one(FindingsPane)
        if pane.filtering:
            pane.clear_filter()
