"""The start form: what to diagnose, one field per option of `mtls-doctor diagnose`, checked in
place (`tui.form` decides what is wrong; this screen only shows it).

Keys typed right after tab land in the newly focused field: tab and shift+tab are priority
bindings here. Textual's own tab binding is resolved only after the key has gone to the focused
field and bubbled back up to the app, and in the meantime the app hands the keys that follow to
the field that still has focus (`aaa⇥bbb` gave Host `aaabbb`); a priority binding moves the
focus before the app forwards the next key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    Header,
    Input,
    Label,
    Static,
)

from mtls_doctor.diagnose.run import DiagnoseOptions
from mtls_doctor.tui import form, render
from mtls_doctor.tui.widgets.footer import KeyFooter

#: priority focus moves: the keys typed after them go to the field they focus
FOCUS_BINDINGS: list[BindingType] = [
    Binding("tab", "app.focus_next", "Next field", show=False, priority=True),
    Binding("shift+tab", "app.focus_previous", "Previous field", show=False, priority=True),
]


def widget_id(name: str) -> str:
    """The id of a field's widget (`start-no-aws` for `no_aws`)."""
    return "start-" + name.replace("_", "-")


class StartScreen(Screen[DiagnoseOptions]):
    """What to diagnose, when the app was started without a host: a form, checked in place,
    dismissed with the options when Run is pressed (or enter in a field). `environ` is where the
    key password's variable is read (the process's environment by default)."""

    DEFAULT_CSS = """
    StartScreen {
        align-horizontal: center;
        #start-form {
            height: auto;
            max-height: 100%;
            max-width: 110;
            border: round $primary;
            padding: 0 1;
        }
        #start-title {
            text-style: bold;
            margin-bottom: 1;
        }
        .start-row {
            height: 1;
            &.start-group {
                margin-top: 1;
            }
        }
        .start-label {
            width: 20;
            color: $text-muted;
        }
        .start-row Input, .start-row Checkbox {
            width: 1fr;
        }
        Input > .input--placeholder {
            color: $text-muted;
            text-style: dim italic;
        }
        .start-error {
            height: auto;
            padding-left: 20;
        }
        #start-buttons {
            height: auto;
            margin-top: 1;
            Button {
                margin-right: 1;
            }
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.quit", "Quit"),
        *FOCUS_BINDINGS,
    ]

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.environ = environ
        #: Run was pressed once: from then on every change is checked at once
        self.checked = False

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll(id="start-form"):
            yield Label("What should mtls-doctor diagnose?", id="start-title")
            for field in form.FIELDS:
                group = "start-group" if field.name in form.GROUP_STARTS else ""
                with Horizontal(classes=f"start-row {group}".strip()):
                    yield Label(field.label, classes="start-label")
                    if field.kind == "flag":
                        yield Checkbox(f"{field.placeholder} ({field.option})",
                                       id=widget_id(field.name), compact=True)
                    else:
                        yield Input(placeholder=field.placeholder, id=widget_id(field.name),
                                    compact=True)
                yield Static("", id=f"{widget_id(field.name)}-error", classes="start-error")
            with Horizontal(id="start-buttons"):
                yield Button("Run", variant="primary", id="start-run", compact=True)
                yield Button("Quit", id="start-quit", compact=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        for widget in self.query(".start-error"):
            widget.display = False
        self.query_one("#start-host", Input).focus()

    def values(self) -> dict[str, str | bool]:
        """What the fields hold now (a bool for a checkbox)."""
        out: dict[str, str | bool] = {}
        for field in form.FIELDS:
            if field.kind == "flag":
                out[field.name] = self.query_one(f"#{widget_id(field.name)}", Checkbox).value
            else:
                out[field.name] = self.query_one(f"#{widget_id(field.name)}", Input).value
        return out

    def show_errors(self, errors: Mapping[str, str]) -> None:
        """Each field's message under it (hidden when the field is fine)."""
        for field in form.FIELDS:
            widget = self.query_one(f"#{widget_id(field.name)}-error", Static)
            message = errors.get(field.name)
            widget.update(Text(render.clean(message or ""), style="red"))
            widget.display = message is not None
            self.query_one(f"#{widget_id(field.name)}").set_class(message is not None, "-invalid")

    def run(self) -> None:
        """Check the form; when it is fine, leave with the options."""
        from datetime import UTC, datetime

        values = self.values()
        errors = form.validate(values, self.environ)
        self.checked = True
        self.show_errors(errors)
        if errors:
            first = next(f.name for f in form.FIELDS if f.name in errors)
            self.query_one(f"#{widget_id(first)}").focus()
            return
        self.dismiss(form.build_options(values, datetime.now(UTC).replace(microsecond=0),
                                        self.environ))

    @on(Input.Changed)
    @on(Checkbox.Changed)
    def recheck(self) -> None:
        """After the first Run, a change is checked at once (a fixed field's message goes)."""
        if self.checked:
            self.show_errors(form.validate(self.values(), self.environ))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.run()

    @on(Button.Pressed, "#start-run")
    def _run_pressed(self) -> None:
        self.run()

    @on(Button.Pressed, "#start-quit")
    def _quit_pressed(self) -> None:
        self.app.exit(0)
