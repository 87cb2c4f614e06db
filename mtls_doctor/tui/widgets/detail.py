"""`FindingPane`: one finding of the report's view (its words, where, evidence and fix, the
fix's commands in a `CommandList`, the walkthrough hint and, on the finding screen, the
certificates it is about), or a message where no finding is selected."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from mtls_doctor.report.view import FindingView
from mtls_doctor.tui.finding import finding_detail, finding_extras, walkthrough_hint
from mtls_doctor.tui.shown import Shown
from mtls_doctor.tui.widgets.commands import CommandList

WAITING = Text("Findings appear here when the collectors finish.", style="dim")


class FindingPane(VerticalScroll):
    """Fed through `finding` (a `FindingView` of the report's view) and `shown` (the report on
    screen, for the extras: served vs configured certificate, the chain); without a finding it
    shows `message`. With `extras` (the finding screen) it adds the certificates the finding is
    about. The drawing is `tui.finding`'s."""

    DEFAULT_CSS = """
    FindingPane {
        border: round $accent;
        padding: 0 1;
    }
    FindingPane > Static {
        height: auto;
    }
    """

    finding: reactive[FindingView | None] = reactive(None, init=False)
    message: reactive[RenderableType] = reactive(WAITING, init=False, always_update=True)

    def __init__(self, *, shown: Shown | None = None, extras: bool = False,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        #: composed and mounted (`is_mounted` is False until on_mount returns)
        self._ready = False
        self.shown = shown
        self.extras = extras
        #: the finding whose certificates the extras show (None while they are on their way)
        self.extras_drawn: FindingView | None = None

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

    def show(self, finding: FindingView | None, shown: Shown | None = None) -> None:
        """Show `finding` (of the report `shown`, when given)."""
        if shown is not None:
            self.shown = shown
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
            detail.update(finding_detail(f, commands=False))
            self.commands.commands = tuple(f.fix.commands) if f.fix is not None else ()
            hint.update(walkthrough_hint(f))
            hint.display = bool(f.walkthrough)
        if self.extras:
            # the certificates come a turn of the event loop later: the screen opens with the
            # finding's words at once (measuring a chain and a certificate's rows costs as
            # much again as laying out the whole screen)
            self.query_one("#finding-extras", Static).update(Group())
            self.extras_drawn = None
            if f is not None:
                self.call_after_refresh(self._draw_extras, f)
        self.scroll_home(animate=False)

    def _draw_extras(self, finding: FindingView) -> None:
        """The certificates `finding` is about (unless another finding is shown by now)."""
        if finding is not self.finding or not self.is_mounted:
            return
        self.query_one("#finding-extras", Static).update(
            Group(*finding_extras(finding, self.shown)))
        self.extras_drawn = finding
