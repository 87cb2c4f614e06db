"""`FindingView`: one finding (its detail, evidence and fix, the fix's commands in a
`CommandList`, the walkthrough hint and, on the finding screen, the certificates it is about), or
a message where no finding is selected."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from mtls_doctor.model.finding import Finding
from mtls_doctor.model.report import Report
from mtls_doctor.tui import render
from mtls_doctor.tui.widgets.commands import CommandList

WAITING = Text("Findings appear here when the collectors finish.", style="dim")


class FindingView(VerticalScroll):
    """Fed through `finding` (and `report`, for the extras: served vs configured certificate,
    the chain); without a finding it shows `message`. With `extras` (the finding screen) it
    adds the certificates the finding is about.

    The drawing is `render`'s (`finding_detail`, `finding_extras`): one place to swap it for
    the report's view model."""

    DEFAULT_CSS = """
    FindingView {
        border: round $accent;
        padding: 0 1;
    }
    FindingView > Static {
        height: auto;
    }
    """

    finding: reactive[Finding | None] = reactive(None, init=False)
    message: reactive[RenderableType] = reactive(WAITING, init=False, always_update=True)

    def __init__(self, *, report: Report | None = None, extras: bool = False,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        #: composed and mounted (`is_mounted` is False until on_mount returns)
        self._ready = False
        self.report = report
        self.extras = extras

    def compose(self) -> ComposeResult:
        yield Static(WAITING, id="detail")
        yield CommandList(id="commands")
        yield Static(id="hint")
        if self.extras:
            yield Static(id="finding-extras")

    def on_mount(self) -> None:
        self._ready = True
        self.redraw()

    @property
    def commands(self) -> CommandList:
        """The fix's commands."""
        return self.query_one(CommandList)

    def show(self, finding: Finding | None, report: Report | None = None) -> None:
        """Show `finding` (of `report`, when given)."""
        if report is not None:
            self.report = report
        if finding is self.finding:
            self.redraw()
        self.finding = finding

    def watch_finding(self) -> None:
        self.redraw()

    def watch_message(self) -> None:
        if self.finding is None:
            self.redraw()

    def redraw(self) -> None:
        """Draw from `finding` (or `message`) now; scrolled back to the top."""
        if not self._ready:
            return
        f = self.finding
        detail = self.query_one("#detail", Static)
        hint = self.query_one("#hint", Static)
        if f is None:
            detail.update(self.message)
            self.commands.commands = ()
            hint.display = False
        else:
            detail.update(render.finding_detail(f, commands=False))
            self.commands.commands = tuple(f.fix.commands) if f.fix is not None else ()
            hint.update(render.walkthrough_hint(f))
            hint.display = bool(f.walkthrough)
        if self.extras:
            extras = render.finding_extras(f, self.report) if f is not None else []
            self.query_one("#finding-extras", Static).update(Group(*extras))
        self.scroll_home(animate=False)
