"""One finding of the report's view on the whole screen, with the certificates it is about (the
served certificate beside the configured one, the chain centred on its certificate); its
commands in a list (Enter copies one, `y` all of them)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Header

from mtls_doctor.report.view import FindingView
from mtls_doctor.tui import render
from mtls_doctor.tui.shown import Shown
from mtls_doctor.tui.widgets import FindingPane
from mtls_doctor.tui.widgets.footer import KeyFooter


def copy_commands(node: DOMNode, finding: FindingView | None) -> None:
    """Copy `finding`'s fix commands, one a line, to the clipboard (or say why not)."""
    app = node.app
    if finding is None:
        app.notify("select a finding first", severity="warning", markup=False)
        return
    commands = finding.fix.commands if finding.fix is not None else ()
    if not commands:
        app.notify(f"{render.clean(finding.id)} has no commands to copy", severity="warning",
                   markup=False)
        return
    app.copy_to_clipboard("\n".join(commands))
    app.notify(f"copied {len(commands)} command(s) of {render.clean(finding.id)}",
               title="Copied", markup=False, timeout=4)


class FindingScreen(Screen[None]):
    """One finding on the whole screen; with the report on screen (`shown`), the served vs
    configured certificate and the served chain (SERVER_* findings), the path API Gateway
    would build (CLIENT_*), the chains centred on the finding's certificate (TRUSTSTORE_*,
    CERT_*, any finding about a truststore's certificate) and that certificate's rows. `q` or
    escape go back."""

    DEFAULT_CSS = """
    FindingScreen > #finding-pane {
        height: 1fr;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("q", "close", "Back", show=False),
        Binding("y", "copy", "Copy commands"),
        Binding("w", "walkthrough", "Walkthrough"),
    ]

    def __init__(self, finding: FindingView, shown: Shown | None = None) -> None:
        super().__init__()
        self.finding = finding
        #: the report the finding belongs to, with its view
        self.shown_report = shown
        self._ready = False

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield FindingPane(shown=self.shown_report, extras=True, id="finding-pane")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._ready = True
        self.show(self.finding, self.shown_report)

    def show(self, finding: FindingView, shown: Shown | None = None) -> None:
        """Show `finding` (of the report `shown`): the screen is made once and shown again for
        each finding opened (composing a screen anew costs the event loop more than
        redrawing)."""
        self.finding, self.shown_report = finding, shown
        if not self._ready:
            return
        pane = self.query_one(FindingPane)
        pane.border_title = f"{finding.severity.upper()} {finding.id}"
        pane.show(finding, shown)
        # the finding's top in view, and its keys: ↓ and page down read on; tab reaches the
        # commands, scrolled into view, where enter copies one (a command list focused out of
        # sight copied a line nobody had seen)
        pane.scroll_home(animate=False)
        pane.focus(scroll_visible=False)

    def action_close(self) -> None:
        """Back to the dashboard."""
        self.dismiss()

    def action_copy(self) -> None:
        """Copy every command of the fix, one a line."""
        copy_commands(self, self.finding)

    def action_walkthrough(self) -> None:
        """This finding's walkthrough."""
        from mtls_doctor.tui.app import MtlsDoctorApp

        app = self.app
        if isinstance(app, MtlsDoctorApp):
            app.open_walkthrough(self.finding)
