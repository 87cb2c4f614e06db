"""The checks pane: each collector live (a spinner, the probe's current step and the time
against the deadline), then every check of the finished report's view with its mark."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from mtls_doctor.diagnose.run import CollectorRun
from mtls_doctor.report.view import ReportView
from mtls_doctor.tui import render

#: how often the spinner turns and the elapsed time counts while collectors run
TICK = 0.1


class ChecksPane(VerticalScroll):
    """Fed through its reactives: `collectors` (the ones expected, in order), `attempts` (those
    that finished), `report` (the finished report's view), `stopped` (why the run ended without
    a report), `step` (the probe's latest step event: name and status); `started` and
    `timeout` time the run."""

    DEFAULT_CSS = """
    ChecksPane {
        height: 1fr;
        border: round $primary;
        padding: 0 1;
    }
    ChecksPane > #checks {
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    collectors: reactive[tuple[str, ...]] = reactive((), init=False)
    attempts: reactive[dict[str, CollectorRun]] = reactive(dict, init=False, always_update=True)
    report: reactive[ReportView | None] = reactive(None, init=False)
    stopped: reactive[str | None] = reactive(None, init=False)
    step: reactive[tuple[str, str] | None] = reactive(None, init=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        #: composed and mounted (`is_mounted` is False until on_mount returns)
        self._ready = False
        self.frame = 0
        #: when the run began (monotonic seconds) and its deadline's length
        self.started = time.monotonic()
        self.timeout = 30.0

    def compose(self) -> ComposeResult:
        yield Static(id="checks")

    def on_mount(self) -> None:
        self._ready = True
        self.border_title = "Checks"
        self.set_interval(TICK, self._tick)
        self.redraw()

    @property
    def running(self) -> bool:
        """Some collector still runs: no report, no failure, no cancellation yet."""
        return self.report is None and self.stopped is None

    def restart(self, collectors: list[str], timeout: float) -> None:
        """A new run: every collector `running`, from now."""
        self.started, self.timeout = time.monotonic(), timeout
        self.frame = 0
        self.set_reactive(ChecksPane.attempts, {})
        self.set_reactive(ChecksPane.report, None)
        self.set_reactive(ChecksPane.stopped, None)
        self.set_reactive(ChecksPane.step, None)
        self.collectors = tuple(collectors)
        self.redraw()

    def watch_collectors(self) -> None:
        self.redraw()

    def watch_attempts(self) -> None:
        self.redraw()

    def watch_report(self) -> None:
        self.redraw()

    def watch_stopped(self) -> None:
        self.redraw()

    def watch_step(self) -> None:
        self.redraw(layout=False)  # the probe's line: one line still

    def _tick(self) -> None:
        if self.running and any(n not in self.attempts for n in self.collectors):
            self.frame += 1
            self.redraw(layout=False)  # only the spinners and the times change: one line each

    def live(self) -> dict[str, Text]:
        """What each running collector does now: the probe its step, the others `running`;
        each with the seconds spent against the deadline."""
        elapsed = time.monotonic() - self.started
        step, status = self.step if self.step is not None else (None, None)
        return {name: render.live_text(step if name == "probe" else None,
                                       status if name == "probe" else None,
                                       elapsed, self.timeout)
                for name in self.collectors if name not in self.attempts}

    def redraw(self, *, layout: bool = True) -> None:
        """Draw the pane from the reactives now (`layout=False`: the lines stay as many, so
        the screen need not be laid out again)."""
        if not self._ready:
            return
        live = self.live() if self.running else None
        self.query_one("#checks", Static).update(
            render.checks_renderable(self.collectors, self.attempts, self.report, self.frame,
                                     self.stopped, live), layout=layout)
