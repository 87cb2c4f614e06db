"""`CommandList`: a fix's shell commands, one line each (never wrapped: a URL stays whole and
copies whole), scrolled sideways when wider than the pane; Enter copies the highlighted one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable

from mtls_doctor.tui import render


class CommandList(DataTable[Text]):
    """Commands to copy: one row each, shown as `$ command` on one line. The commands arrive
    already rendered for POSIX sh by the shell builders; they are made safe to draw here and
    copied exactly as given."""

    DEFAULT_CSS = """
    CommandList {
        height: auto;
        max-height: 12;
        margin: 0 0 1 0;
        scrollbar-size-horizontal: 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Copy command", show=True),
    ]

    class Copied(Message):
        """A command was copied to the clipboard (Enter on its row)."""

        def __init__(self, command: str) -> None:
            super().__init__()
            self.command = command

    commands: reactive[tuple[str, ...]] = reactive((), init=False)

    def __init__(self, commands: Sequence[str] = (), *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(show_header=False, cursor_type="row", zebra_stripes=False, id=id,
                         classes=classes)
        self._initial = tuple(commands)

    def on_mount(self) -> None:
        self.add_column("command", key="command")
        self.commands = self._initial

    def watch_commands(self, commands: tuple[str, ...]) -> None:
        self.clear()
        for i, command in enumerate(commands):
            self.add_row(Text.assemble(("$ ", "dim"), (render.clean(command), "cyan"),
                                       no_wrap=True, overflow="ignore"), key=str(i))
        self.display = bool(commands)
        if commands:
            self.move_cursor(row=0, animate=False)

    @property
    def highlighted_command(self) -> str | None:
        """The command under the cursor (None without commands)."""
        if not self.commands or not 0 <= self.cursor_row < len(self.commands):
            return None
        return self.commands[self.cursor_row]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        command = self.highlighted_command
        if command is None:
            return
        self.app.copy_to_clipboard(command)
        self.app.notify(f"copied: {render.clean(command)}", title="Copied", markup=False,
                        timeout=4)
        self.post_message(self.Copied(command))
