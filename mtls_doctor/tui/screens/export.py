"""The export dialog: format, path, redact; refuses inputs and asks before replacing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Static,
)

from mtls_doctor.errors import InputError
from mtls_doctor.safe import check_output
from mtls_doctor.tui import render
from mtls_doctor.tui.messages import ExportRequested
from mtls_doctor.tui.screens.start import FOCUS_BINDINGS
from mtls_doctor.tui.widgets.footer import KeyFooter

FORMATS = ("text", "json", "markdown", "html")
EXTENSIONS = {"text": "txt", "json": "json", "markdown": "md", "html": "html"}


def default_export_path(fmt: str) -> str:
    """Where an export goes unless the user says otherwise."""
    return f"mtls-doctor-report.{EXTENSIONS[fmt]}"


@dataclass(frozen=True)
class ExportChoice:
    """What the export dialog asks to write."""

    fmt: str
    path: Path
    redact: bool = False


class FormatChoice(RadioSet):
    """The formats, one of them pressed; the cursor starts on the pressed one (a plain RadioSet
    starts it on the first button, so ↵ would pick "text" while "html" shows as chosen)."""

    def on_mount(self) -> None:
        # RadioSet's own mount handler (it runs after this one) puts the cursor on the first
        # button: move it to the pressed one once that has run.
        self.call_after_refresh(self._cursor_to_pressed)

    def _cursor_to_pressed(self) -> None:
        if self.pressed_index >= 0:
            self._selected = self.pressed_index

    @property
    def cursor_index(self) -> int | None:
        """The index of the button the cursor is on (None: none)."""
        return self._selected


def redact_label(on: bool) -> str:
    """The redact box's words, which say its state."""
    return ("Redact: on, hosts, buckets, accounts, ARNs hidden" if on else
            "Redact: off, hosts, buckets, accounts, ARNs shown")


class ExportScreen(ModalScreen[ExportChoice | None]):
    """Pick a format, a path and whether to redact, then Write. The dialog refuses a path that
    is one of the diagnosis's inputs (`inputs`: its certificate, key, chain, truststore or
    snapshot, also through a symbolic or hard link) or a symbolic link, and asks before it
    replaces an existing file (Write again, now labelled Replace). It stays open while the app
    writes: dismissed with the ExportChoice once written (`export_written`), kept open with the
    reason when the write failed (`export_failed`); escape, q (outside the path) or Cancel
    dismiss it with None."""

    DEFAULT_CSS = """
    ExportScreen {
        align: center middle;
        #export-dialog {
            width: 64;
            max-width: 95%;
            height: auto;
            border: thick $primary;
            background: $surface;
            padding: 0 1;
        }
        #export-title {
            text-style: bold;
            margin-bottom: 1;
        }
        #export-format {
            width: 100%;
            layout: horizontal;
        }
        #export-message {
            height: auto;
            margin-top: 1;
        }
        #export-buttons {
            height: auto;
            margin-top: 1;
            Button {
                margin-right: 1;
            }
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("q", "cancel", "Cancel", show=False),
        *FOCUS_BINDINGS,
    ]

    def __init__(self, fmt: str = "html", inputs: Sequence[str] = ()) -> None:
        super().__init__()
        self.fmt = fmt
        self.inputs = tuple(inputs)
        #: the existing file the user was asked about (Write again replaces it)
        self.confirming: Path | None = None
        #: the choice handed to the app, until it says written or failed
        self.pending: ExportChoice | None = None
        #: how many times Write (or Replace, or enter) was handled
        self.presses = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog"):
            yield Label("Export the report", id="export-title")
            with FormatChoice(id="export-format"):
                for fmt in FORMATS:
                    yield RadioButton(fmt, value=fmt == self.fmt, id=f"fmt-{fmt}")
            yield Input(default_export_path(self.fmt), placeholder="e.g. report.html",
                        id="export-path")
            yield Checkbox(redact_label(False), id="export-redact", compact=True)
            yield Static("", id="export-message")
            with Horizontal(id="export-buttons"):
                yield Button("Write", variant="primary", id="export-write", compact=True)
                yield Button("Cancel", id="export-cancel", compact=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#export-message", Static).display = False
        self.query_one("#export-format", FormatChoice).focus()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        """The box's mark differs only by colour: its words say which way it is."""
        event.checkbox.label = redact_label(event.value)

    @property
    def message(self) -> str:
        """What the dialog says under the fields ('' when nothing)."""
        widget = self.query_one("#export-message", Static)
        content = widget.content
        return content.plain if isinstance(content, Text) and widget.display else ""

    def _say(self, text: str, style: str = "red") -> None:
        widget = self.query_one("#export-message", Static)
        widget.update(Text(render.clean(text), style=style))
        widget.display = bool(text)

    def _unconfirm(self) -> None:
        if self.confirming is not None:
            self.confirming = None
            self.query_one("#export-write", Button).label = "Write"
            self._say("")

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        new = str(event.pressed.label)
        path = self.query_one("#export-path", Input)
        if path.value == default_export_path(self.fmt):
            path.value = default_export_path(new)
        self.fmt = new

    def on_input_changed(self, event: Input.Changed) -> None:
        """Another name: the question and the message were about the old one."""
        if event.input.id == "export-path" and self.pending is None:
            self._unconfirm()
            self._say("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._write()

    @on(Button.Pressed, "#export-write")
    def _write_pressed(self) -> None:
        self._write()

    @on(Button.Pressed, "#export-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    def _write(self) -> None:
        self.presses += 1
        if self.pending is not None:
            return  # the app is writing
        raw = self.query_one("#export-path", Input).value.strip()
        if not raw:
            self._say("give a file to write the report to", "yellow")
            return
        path = Path(raw).expanduser()
        try:
            check_output(str(path), self.inputs, option="export to")
        except InputError as exc:
            self._unconfirm()
            self._say(str(exc))
            return
        if path.exists() and self.confirming != path:
            self.confirming = path
            self.query_one("#export-write", Button).label = "Replace"
            self._say(f"{path} exists: Replace overwrites it (or give another name)", "yellow")
            return
        self.confirming = None
        redact = self.query_one("#export-redact", Checkbox).value
        self.pending = ExportChoice(self.fmt, path, redact)
        self.query_one("#export-write", Button).label = "Write"
        self._say("writing…", "cyan")
        self.app.post_message(ExportRequested(self.pending))

    def export_written(self) -> None:
        """The app wrote the report: close with what was written."""
        choice, self.pending = self.pending, None
        self.dismiss(choice)

    def export_failed(self, error: str) -> None:
        """The app could not write the report: say why and stay open for another try."""
        self.pending = None
        self._say(error)

    def action_cancel(self) -> None:
        """Close without writing."""
        self.dismiss(None)
