"""The key bindings."""

from __future__ import annotations

from typing import ClassVar

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
    ("↑ ↓", "move in the findings list"),
    ("enter", "the selected finding on its own screen"),
    ("w", "walk the selected finding's walkthrough"),
    ("c", "every certificate of the report, with a filter"),
    ("e", "export the report (text, json, markdown, html)"),
    ("r", "run the diagnosis again"),
    ("tab", "next pane"),
    ("ctrl+p", "command palette (rerun, export, dark mode, help)"),
    ("?", "this help"),
    ("q ctrl+c", "quit (exit 1: an error or a ?; mid-run: cancel, 130)"),
    ("", ""),
    ("In a walkthrough", ""),
    ("b", "back one answer"),
    ("ctrl+r", "restart"),
    ("r", "at the fix: re-check whether the finding is gone"),
    ("y", "at the fix: copy its commands to the clipboard"),
    ("o", "override the latest step answered from the facts"),
    ("escape", "close the screen or dialog"),
)


class HelpScreen(ModalScreen[None]):
    """The key bindings."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Close"),
        Binding("question_mark", "app.pop_screen", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        text = Text()
        for key, what in HELP_KEYS:
            if key and not what:
                text.append(f"\n{key}\n", style="bold")
            elif key:
                text.append(f"{key:>8}  ", style="bold cyan")
                text.append(f"{what}\n")
        with VerticalScroll(id="help-dialog"):
            yield Label("mtls-doctor keys", id="help-title")
            yield Static(text, id="help-keys")
            yield Button("Close", id="help-close", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.app.pop_screen()
