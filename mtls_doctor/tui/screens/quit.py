"""The question before quitting while collectors (or a scan) still run: quitting cancels the
run."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class QuitScreen(ModalScreen[bool]):
    """`Quit and cancel the run? y/n`: dismissed with True (y, or the Quit button) or False
    (n, escape, q, or Cancel)."""

    DEFAULT_CSS = """
    QuitScreen {
        align: center middle;
    }
    QuitScreen > #quit-dialog {
        width: 50;
        max-width: 95%;
        height: auto;
        border: thick $warning;
        background: $surface;
        padding: 0 1;
    }
    QuitScreen #quit-buttons {
        height: auto;
        margin-top: 1;
    }
    QuitScreen #quit-buttons Button {
        margin-right: 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Quit and cancel"),
        Binding("n", "answer(False)", "Keep running"),
        Binding("escape", "answer(False)", "Keep running", show=False),
        Binding("q", "answer(False)", "Keep running", show=False),
    ]

    def __init__(self, running: str = "Collectors are still running.") -> None:
        super().__init__()
        self.running = running

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-dialog"):
            yield Label(self.running, id="quit-title")
            yield Label("Quit and cancel the run? (y/n)  Nothing will be reported (exit 130).")
            with Horizontal(id="quit-buttons"):
                yield Button("Quit (y)", variant="warning", id="quit-yes", compact=True)
                yield Button("Keep running (n)", id="quit-no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#quit-no", Button).focus()

    def action_answer(self, really: bool) -> None:
        """Leave with the answer."""
        self.dismiss(really)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "quit-yes")


def quit_or_ask(app: App[Any], code: int, running: str | None) -> None:
    """Quit with `code`; while something runs (`running` says what), ask first: a yes goes to
    the app's `action_quit`, which cancels the run (exit 130)."""
    if running is None:
        app.exit(code)
        return

    def answered(really: bool | None) -> None:
        if really:
            app.call_later(app.action_quit)

    app.push_screen(QuitScreen(running), answered)
