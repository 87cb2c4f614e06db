"""The export dialog: format, path, redact; refuses inputs and asks before replacing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
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


class ExportScreen(ModalScreen[ExportChoice | None]):
    """Pick a format, a path and whether to redact, then Write. The dialog refuses a path that
    is one of the diagnosis's inputs (`inputs`: its certificate, key, chain, truststore or
    snapshot, also through a symbolic or hard link) or a symbolic link, and asks before it
    replaces an existing file (Write again, now labelled Replace). It stays open while the app
    writes: dismissed with the ExportChoice once written (`export_written`), kept open with the
    reason when the write failed (`export_failed`); escape or Cancel dismiss it with None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

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
            with RadioSet(id="export-format"):
                for fmt in FORMATS:
                    yield RadioButton(fmt, value=fmt == self.fmt, id=f"fmt-{fmt}")
            yield Input(default_export_path(self.fmt), placeholder="file to write",
                        id="export-path")
            yield Checkbox("Redact host names, buckets, account ids, ARNs",
                           id="export-redact", compact=True)
            yield Static("", id="export-message")
            with Horizontal(id="export-buttons"):
                yield Button("Write", variant="primary", id="export-write", compact=True)
                yield Button("Cancel", id="export-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#export-message", Static).display = False

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

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export-write":
            self._write()
        else:
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
        self.dismiss(None)
