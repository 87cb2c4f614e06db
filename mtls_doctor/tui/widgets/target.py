"""`TargetBar`: one line over the dashboard: what is diagnosed and how the run stands."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from mtls_doctor.tui import render


class TargetBar(Static):
    """`Target HOST  state`, fed through `target`, `state` and `state_style` (the run's
    verdict colour: green only when nothing is wrong and everything was decided)."""

    DEFAULT_CSS = """
    TargetBar {
        height: 1;
        padding: 0 1;
        background: $boost;
    }
    """

    target: reactive[str] = reactive("", init=False)
    state: reactive[str] = reactive("running", init=False)
    state_style: reactive[str] = reactive("cyan", init=False)

    def on_mount(self) -> None:
        self._draw()

    def set_state(self, state: str, style: str = "cyan") -> None:
        """The run's state and its colour."""
        self.state, self.state_style = state, style

    def watch_target(self) -> None:
        self._draw()

    def watch_state(self) -> None:
        self._draw()

    def watch_state_style(self) -> None:
        self._draw()

    def _draw(self) -> None:
        self.update(Text.assemble(("Target ", "dim"), (render.clean(self.target), "bold"), "  ",
                                  (render.clean(self.state), self.state_style)))
