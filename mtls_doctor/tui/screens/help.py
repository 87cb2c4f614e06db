"""The key bindings."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    Label,
    Static,
)

HELP_KEYS = (
    ("↑ ↓ j k", "move in the findings list (focused from the start)"),
    ("g G", "first / last finding"),
    ("/", "filter by id, severity or words (escape clears)"),
    ("enter", "the selected finding on its own screen"),
    ("w", "walk the selected finding's walkthrough"),
    ("y", "copy the selected finding's fix commands"),
    ("c", "every certificate of the report, with a filter"),
    ("e", "export the report (text, json, markdown, html)"),
    ("t", "the domain's traffic from its access logs (AWS)"),
    ("a", "the selected finding's fix as AWS calls (dry run)"),
    ("r", "run the diagnosis again"),
    ("tab", "next pane"),
    ("ctrl+p", "command palette (rerun, export, traffic, fix, help)"),
    ("?", "this help"),
    ("q", "quit (exit 1: an error or a ?); mid-run it asks first"),
    ("ctrl+c", "quit at once (mid-run: cancel, 130)"),
    ("", ""),
    ("On a finding", ""),
    ("enter", "copy the highlighted command"),
    ("y", "copy every command"),
    ("w", "walk its walkthrough"),
    ("q escape", "back"),
    ("", ""),
    ("In a walkthrough", ""),
    ("enter", "on an answer: answer; on a step: change it; on a command: copy it"),
    ("o", "change the highlighted step's answer (detected or yours); o again cancels"),
    ("y", "copy all the commands shown (the fix's, or the fix the walk leads to)"),
    ("b", "back one answer"),
    ("ctrl+r", "restart (forget every answer)"),
    ("r", "at the fix: re-check whether the finding is gone"),
    ("q escape", "close the walkthrough"),
    ("", ""),
    ("In the traffic view", ""),
    ("1-6", "choose a tab (stages, refusals, clients, ...)"),
    ("typing /", "filters every table; enter or ↓ back to it"),
    ("enter", "on a refusal: the walkthrough that explains it"),
    ("q escape", "close (escape clears the filter first)"),
    ("", ""),
    ("On a fix", ""),
    ("typing", "the domain name, then enter: apply (never without it)"),
    ("y", "copy the commands shown"),
    ("q escape", "close (not while calls run)"),
    ("", ""),
    ("In the certificate viewer", ""),
    ("typing", "filters: subject, issuer, serial, SAN, fingerprint, file"),
    ("/", "go to the filter"),
    ("↑ ↓ pgup pgdn", "move in the list (also from the filter)"),
    ("enter", "from the filter: back to the list"),
    ("q", "close (outside the filter; there q is typed)"),
    ("escape", "close, even from the filter"),
)


class HelpScreen(ModalScreen[None]):
    """The key bindings (`KEYS`: key and what it does; a key without a text is a heading)."""

    KEYS: ClassVar[tuple[tuple[str, str], ...]] = HELP_KEYS

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > #help-dialog {
        width: 72;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    HelpScreen #help-title {
        text-style: bold;
        margin-bottom: 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Close"),
        Binding("q", "app.pop_screen", "Close", show=False),
        Binding("question_mark", "app.pop_screen", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(justify="right", no_wrap=True, style="bold cyan")
        table.add_column(ratio=1)
        for key, what in self.KEYS:
            if key and not what:  # a heading
                table.add_row("", Text(key, style="bold"))
            else:
                table.add_row(key, what)
        with VerticalScroll(id="help-dialog"):
            yield Label("mtls-doctor keys", id="help-title")
            yield Static(table, id="help-keys")
            yield Button("Close", id="help-close", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.app.pop_screen()
