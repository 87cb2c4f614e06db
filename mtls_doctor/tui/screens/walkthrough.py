"""A finding's walkthrough, one question at a time, ending in a fix and a re-check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Button,
    Footer,
    Header,
    OptionList,
    Static,
)
from textual.widgets.option_list import Option

from mtls_doctor.model.report import Report
from mtls_doctor.tui import render
from mtls_doctor.tui.messages import RecheckRequested
from mtls_doctor.walkthroughs import QuestionNode, Tree, Walk, WalkthroughError, walk


def walk_renderable(tree: Tree, result: Walk) -> Group:
    """The walkthrough so far: the answered steps (how each was decided), then the question or
    the fix."""
    parts: list[RenderableType] = [Text(render.clean(tree.title), style="bold"),
                                   Text(render.clean(tree.summary), style="dim"), Text("")]
    for step in result.steps:
        parts.append(Text.assemble(("? ", "dim"), render.clean(step.question)))
        parts.append(Text.assemble(("  → ", "dim"), (step.answer, "bold"), "  ",
                                   (render.clean(step.evidence or ""), "dim")))
    if result.pending is not None:
        q = result.pending
        parts.append(Text.assemble(("? ", "bold yellow"), (render.clean(q.question), "bold")))
        if q.help:
            parts.append(Text(f"  how to tell: {render.clean(q.help)}", style="dim"))
        if q.note:
            parts.append(Text(f"  note: {render.clean(q.note)}", style="dim"))
    if result.fix is not None:
        parts += [Text(""), render.fix_renderable(result.fix)]
        if result.recheck_command:
            parts.append(Text.assemble(("re-check: ", "dim"), render.clean(result.recheck_command)))
    return Group(*parts)


class WalkthroughScreen(Screen[None]):
    """One question at a time: answer with the buttons, go back or restart; the fix at the end.
    A step the facts answered (`detected: …`) can be overridden: `o` lists its answers."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Close"),
        Binding("b", "back", "Back"),
        Binding("ctrl+r", "restart", "Restart"),
        Binding("r", "recheck", "Re-check"),
        Binding("y", "copy_fix", "Copy commands"),
        Binding("o", "override", "Override detected"),
    ]

    def __init__(self, tree: Tree, facts: Mapping[str, Any], finding_id: str | None = None) -> None:
        super().__init__()
        self.walk_tree = tree
        self.facts = dict(facts)
        self.finding_id = finding_id
        self.answers: dict[str, str] = {}
        self.result: Walk | None = None
        #: the node of a detected step whose answer the user is choosing instead (key `o`)
        self.overriding: str | None = None
        #: None before a re-check; "running", then "still there", "gone" or "failed: ..."
        self.recheck_state: str | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll(id="walk-pane"):
            yield Static(id="walk")
        yield OptionList(id="answers")
        yield Static(id="recheck")
        with Horizontal(id="walk-nav"):
            yield Button("Back", id="walk-back", compact=True)
            yield Button("Restart", id="walk-restart", compact=True)
            yield Button("Re-check", id="walk-recheck", variant="primary", compact=True)
            yield Button("Close", id="walk-close", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#walk-pane").border_title = f"Walkthrough {self.walk_tree.id}"
        self.refresh_walk()

    def refresh_walk(self) -> None:
        """Walk again with the answers so far and show where it got to."""
        try:
            self.result = walk(self.walk_tree, self.facts, self.answers)
        except WalkthroughError as exc:
            self.notify(render.clean(exc), severity="error", markup=False)
            return
        self.query_one("#walk", Static).update(walk_renderable(self.walk_tree, self.result))
        box = self.query_one("#answers", OptionList)
        box.clear_options()
        pending = self.result.pending
        node = self.walk_tree.nodes.get(self.overriding) if self.overriding else None
        if node is not None and isinstance(node, QuestionNode):
            box.add_options(Option(answer, id=answer) for answer in node.answers)
            box.highlighted = 0
            box.border_title = f"Override {node.id} (enter; o to cancel)"
            box.focus()
        elif pending is not None:
            box.add_options(Option(answer, id=answer) for answer in pending.answers)
            box.highlighted = 0
            box.border_title = "Answer (enter)"
            box.focus()
        box.display = node is not None or pending is not None
        self.query_one("#walk-recheck", Button).display = self.result.finished
        self._show_recheck()
        self.query_one("#walk-pane", VerticalScroll).scroll_end(animate=False)

    def _show_recheck(self) -> None:
        widget = self.query_one("#recheck", Static)
        state = self.recheck_state
        widget.display = state is not None and self.result is not None and self.result.finished
        if state is None:
            return
        finding = self.finding_id or "the finding"
        if state == "running":
            widget.update(Text.assemble(("Re-checking ", "cyan"), (finding, "bold"), "…"))
        elif state == "gone":
            widget.update(Text.assemble(("✓ ", "green"), (finding, "bold"),
                                        (" is gone", "bold green")))
        elif state == "still there":
            widget.update(Text.assemble(("✗ ", "red"), (finding, "bold"),
                                        (" is still there", "bold red")))
        else:
            widget.update(Text(f"re-check {render.clean(state)}", style="red"))

    def action_recheck(self) -> None:
        """At a leaf: run the diagnosis again and tell whether the finding is still there."""
        if self.result is None or not self.result.finished:
            self.notify("answer the questions first: re-check is at the fix", severity="warning")
            return
        if self.recheck_state == "running":
            return
        self.recheck_state = "running"
        self._show_recheck()
        self.post_message(RecheckRequested())

    def recheck_done(self, report: Report | None, error: str | None = None) -> None:
        """The re-run finished: is the finding this walkthrough came from still reported?"""
        if report is None:
            self.recheck_state = f"failed: {error or 'no report'}"
        elif any(f.id == self.finding_id for f in report.findings):
            self.recheck_state = "still there"
        else:
            self.recheck_state = "gone"
        self._show_recheck()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.answer(event.option.id)

    def answer(self, value: str) -> None:
        """Answer the pending question (or, while overriding, the detected step's)."""
        if self.overriding is not None:
            node, self.overriding = self.overriding, None
            walked = [s.node for s in self.result.steps] if self.result is not None else []
            for later in walked[walked.index(node):] if node in walked else [node]:
                self.answers.pop(later, None)  # the questions after it are asked again
            self.answers[node] = value  # the override is the latest answer (for back)
            self.refresh_walk()
            return
        if self.result is not None and self.result.pending is not None:
            self.answers[self.result.pending.node] = value
            self.refresh_walk()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button
        if button.id == "walk-back":
            self.action_back()
        elif button.id == "walk-restart":
            self.action_restart()
        elif button.id == "walk-recheck":
            self.action_recheck()
        elif button.id == "walk-close":
            self.app.pop_screen()

    def action_copy_fix(self) -> None:
        """Copy the fix's commands to the clipboard (through the terminal, OSC 52)."""
        fix = self.result.fix if self.result is not None else None
        if fix is None or not fix.commands:
            self.notify("no fix yet: answer the questions first", severity="warning")
            return
        self.app.copy_to_clipboard("\n".join(fix.commands) + "\n")
        self.notify(f"copied {len(fix.commands)} command(s) to the clipboard")

    def detected_steps(self) -> list[str]:
        """The nodes of the steps the facts answered, in walk order."""
        return [s.node for s in self.result.steps if s.detected] if self.result else []

    def action_override(self) -> None:
        """Choose another answer for the most recent step the facts answered (`o` again
        cancels)."""
        if self.overriding is not None:
            self.overriding = None
            self.refresh_walk()
            return
        detected = self.detected_steps()
        if not detected:
            self.notify("no step was detected from the facts", severity="warning")
            return
        self.overriding = detected[-1]
        self.refresh_walk()

    def action_back(self) -> None:
        """Take back the last answer given."""
        self.overriding = None
        if self.answers:
            self.answers.popitem()
            self.refresh_walk()

    def action_restart(self) -> None:
        """Forget every answer (overrides included)."""
        self.overriding = None
        self.answers.clear()
        self.refresh_walk()
