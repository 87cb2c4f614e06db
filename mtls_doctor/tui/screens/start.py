"""The start form: what to diagnose, checked in place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Button,
    Footer,
    Header,
    Input,
    Label,
    Static,
)

from mtls_doctor.diagnose.run import DiagnoseOptions
from mtls_doctor.tui import form, render


class StartScreen(Screen[DiagnoseOptions]):
    """What to diagnose, when the app was started without a host: a form, checked in place,
    dismissed with the options when Run is pressed."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll(id="start-form"):
            yield Label("What should mtls-doctor diagnose?", id="start-title")
            for name, label, placeholder in form.FIELDS:
                with Horizontal(classes="start-row"):
                    yield Label(label, classes="start-label")
                    yield Input(placeholder=placeholder, id=f"start-{name}", compact=True)
                yield Static("", id=f"start-{name}-error", classes="start-error")
            with Horizontal(id="start-buttons"):
                yield Button("Run", variant="primary", id="start-run", compact=True)
                yield Button("Quit", id="start-quit", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        for widget in self.query(".start-error"):
            widget.display = False
        self.query_one("#start-host", Input).focus()

    def values(self) -> dict[str, str]:
        """What the fields hold now."""
        return {name: self.query_one(f"#start-{name}", Input).value for name, _, _ in form.FIELDS}

    def show_errors(self, errors: Mapping[str, str]) -> None:
        """Each field's message under it (hidden when the field is fine)."""
        for name, _, _ in form.FIELDS:
            widget = self.query_one(f"#start-{name}-error", Static)
            message = errors.get(name)
            widget.update(Text(render.clean(message or ""), style="red"))
            widget.display = message is not None
            self.query_one(f"#start-{name}", Input).set_class(message is not None, "-invalid")

    def run(self) -> None:
        """Check the form; when it is fine, leave with the options."""
        from datetime import UTC, datetime

        values = self.values()
        errors = form.validate(values)
        self.show_errors(errors)
        if errors:
            self.query_one(f"#start-{next(iter(errors))}", Input).focus()
            return
        self.dismiss(form.build_options(values, datetime.now(UTC).replace(microsecond=0)))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.run()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start-run":
            self.run()
        else:
            self.app.exit(0)
