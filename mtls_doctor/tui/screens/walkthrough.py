"""A finding's walkthrough, one question at a time, ending in a fix and a re-check.

The answered steps are a list to move in: `o` (or enter) on a step offers its answers again,
whether the facts decided it (`detected`) or the user did; the steps after it are asked again.
The commands (the fix's, or before the end the fix the walk is heading to, else the finding's
own) sit in a table of one line each that scrolls sideways and never wraps: `y` copies them all,
enter copies the one under the cursor. A re-check result belongs to the path it was made on: any
change of the answers clears it. `report_updated` walks again on a new run's facts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import (
    Header,
    OptionList,
    Static,
)
from textual.widgets.option_list import Option

from mtls_doctor.model.report import Report
from mtls_doctor.tui import render
from mtls_doctor.tui.messages import RecheckRequested
from mtls_doctor.tui.widgets import CommandList
from mtls_doctor.tui.widgets.footer import KeyFooter
from mtls_doctor.walkthroughs import (
    QuestionNode,
    Step,
    Tree,
    Walk,
    WalkthroughError,
    detect,
    render_fix,
    walk,
)
from mtls_doctor.walkthroughs.engine import heading_to
from mtls_doctor.walkthroughs.trees import FACTS


def step_how(tree: Tree, step: Step, facts: Mapping[str, Any]) -> str:
    """How a step was answered, briefly: from which fact, or by the user (and whether that
    agrees with what the facts say)."""
    node = tree.nodes.get(step.node)
    fact = node.fact if isinstance(node, QuestionNode) else None
    if step.detected:
        spec = FACTS.get(fact) if fact else None  # the collector that found it, not its key
        return f"detected by {spec.source.replace('|', ' or ')}" if spec else "detected"
    detected = detect(node, facts) if isinstance(node, QuestionNode) else None
    if detected is None:
        return "your answer"
    if detected == step.answer:
        return "your answer, as detected"
    return f"your answer, overrides detected: {detected}"


def step_label(tree: Tree, step: Step, facts: Mapping[str, Any]) -> Text:
    """One answered step: ● when the facts decided it, ○ when the user did; its answer and how."""
    mark = ("● ", "cyan") if step.detected else ("○ ", "yellow")
    return Text.assemble(mark, render.clean(step.question), ("  → ", "dim"),
                         (render.clean(step.answer), "bold"), "  ",
                         (render.clean(step_how(tree, step, facts)), "dim"))


def intro_renderable(tree: Tree) -> Group:
    """The walkthrough's title and what it is about."""
    return Group(Text(render.clean(tree.title), style="bold"),
                 Text(render.clean(tree.summary), style="dim"))


def outcome_renderable(result: Walk) -> RenderableType:
    """Where the walk got to: the pending question (how to tell, why a fact did not decide
    it), or the fix's summary and steps (its commands are in the commands table)."""
    parts: list[RenderableType] = []
    if result.pending is not None:
        q = result.pending
        parts.append(Text.assemble(("? ", "bold yellow"), (render.clean(q.question), "bold")))
        hints = Table.grid(padding=(0, 1))
        hints.add_column(justify="right", style="dim italic")
        hints.add_column(ratio=1, style="dim")
        for label, text in (("how to tell:", q.help), ("note:", q.note)):
            if text:
                hints.add_row(label, Text(render.clean(text)))
        parts.append(hints)
    if result.fix is not None:
        fix = result.fix
        parts.append(Text.assemble(("Fix: ", "bold green"), render.clean(fix.summary)))
        steps = Table.grid(padding=(0, 1))
        steps.add_column(justify="right", style="dim")
        steps.add_column(ratio=1)
        for i, step in enumerate(fix.steps, 1):
            steps.add_row(f"{i}.", Text(render.clean(step)))
        parts.append(steps)
    return Group(*parts)


class WalkthroughScreen(Screen[None]):
    """One question at a time: answer in the answers box, go back (b) or restart (ctrl+r); the
    fix at the end, then re-check (r). `commands` are the finding's own fix commands (what `y`
    copies while the walk has not decided its fix)."""

    DEFAULT_CSS = """
    WalkthroughScreen {
        #walk-pane {
            height: 1fr;
            border: round $accent;
            padding: 0 1;
        }
        #steps {
            height: auto;
            max-height: 12;
            border: none;
            padding: 0;
            margin: 1 0;
            background: transparent;
        }
        #answers {
            height: auto;
            max-height: 7;
            border: round $primary;
        }
        #walk-commands {
            height: auto;
            border: round $primary;
            padding: 0 1;
            CommandList {
                margin: 0;
                background: transparent;
            }
            #commands {
                max-height: 10;
            }
            #recheck-row {
                height: auto;
            }
            #recheck-label {
                width: auto;
                color: $text-muted;
            }
            #recheck-command {
                width: 1fr;
            }
        }
        &.-short #walk-commands #commands {
            max-height: 5;
        }
        #recheck {
            height: auto;
            padding: 0 1;
        }
    }
    """

    #: below 36 lines the commands box keeps to a few lines (it scrolls), above it has room
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]  # noqa: RUF012 - textual's own type

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("q", "close", "Close", show=False),
        Binding("y", "copy_fix", "Copy all"),
        Binding("o", "override", "Change"),
        Binding("b", "back", "Back"),
        Binding("ctrl+r", "restart", "Restart"),
        Binding("r", "recheck", "Re-check"),
    ]

    def __init__(self, tree: Tree, facts: Mapping[str, Any], finding_id: str | None = None,
                 commands: Sequence[str] = ()) -> None:
        super().__init__()
        self.walk_tree = tree
        self.facts = dict(facts)
        self.finding_id = finding_id
        self.finding_commands = tuple(commands)
        self.answers: dict[str, str] = {}
        self.result: Walk | None = None
        #: the node of an answered step whose answer the user is choosing again (key `o`)
        self.overriding: str | None = None
        #: None before a re-check; "running", then "still there", "gone" or "failed: ..."
        self.recheck_state: str | None = None
        self._ready = False

    def begin(self, tree: Tree, facts: Mapping[str, Any], finding_id: str | None = None,
              commands: Sequence[str] = ()) -> None:
        """Walk `tree` afresh (no answers, no re-check) for another finding: the app makes one
        walkthrough screen and shows it again for each walkthrough opened (laying out a new
        screen costs the event loop more than walking again)."""
        self.walk_tree, self.facts = tree, dict(facts)
        self.finding_id, self.finding_commands = finding_id, tuple(commands)
        self.answers, self.result, self.overriding, self.recheck_state = {}, None, None, None
        if self._ready:
            self._start()

    def compose(self) -> ComposeResult:
        # the breakpoint's class set before the first layout: textual sets it at the first
        # resize, and a class that changes then styles and lays the screen out a second time
        short = self.app.size.height < self.VERTICAL_BREAKPOINTS[1][0]
        self.set_class(short, "-short", update=False)
        self.set_class(not short, "-tall", update=False)
        yield Header(show_clock=False)
        with VerticalScroll(id="walk-pane"):
            yield Static(id="walk-intro")
            yield OptionList(id="steps")
            yield Static(id="walk")
        yield OptionList(id="answers")
        with Vertical(id="walk-commands"):
            yield CommandList(id="commands")
            with Horizontal(id="recheck-row"):
                yield Static(Text("re-check:"), id="recheck-label")
                yield CommandList(id="recheck-command")
        yield Static(id="recheck")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._ready = True
        self._start()

    def _start(self) -> None:
        self.query_one("#walk-pane").border_title = Text(
            f"Walkthrough {render.clean(self.walk_tree.id)}")
        self.query_one("#walk-intro", Static).update(intro_renderable(self.walk_tree))
        self.refresh_walk()

    # -- drawing ------------------------------------------------------------------------------

    def refresh_walk(self, *, move_focus: bool = True) -> None:
        """Walk again with the answers so far and show where it got to."""
        try:
            self.result = walk(self.walk_tree, self.facts, self.answers)
        except WalkthroughError as exc:
            self.notify(render.clean(exc), severity="error", markup=False)
            return
        walked = [s.node for s in self.result.steps]
        # an answer off the current path is stale (`back` must take back a visible one)
        self.answers = {k: v for k, v in self.answers.items() if k in walked}
        if self.overriding not in walked:
            self.overriding = None
        self._show_steps()
        self.query_one("#walk", Static).update(outcome_renderable(self.result))
        self._show_answers()
        self._show_commands()
        self._show_recheck()
        self.refresh_bindings()
        if move_focus or self.focused is None or not self.focused.display:
            self._focus_where_it_goes()
        # the question or the fix at the top of the pane (the steps above it scroll into view)
        self.call_after_refresh(self._scroll_to_outcome)

    def _scroll_to_outcome(self) -> None:
        pane = self.query_one("#walk-pane", VerticalScroll)
        pane.scroll_to_widget(self.query_one("#walk", Static), animate=False, top=True)

    def _show_steps(self) -> None:
        assert self.result is not None
        box = self.query_one("#steps", OptionList)
        steps = self.result.steps
        box.clear_options()
        box.add_options(Option(step_label(self.walk_tree, s, self.facts), id=s.node) for s in steps)
        box.display = bool(steps)
        if not steps:
            return
        nodes = [s.node for s in steps]
        detected = [i for i, s in enumerate(steps) if s.detected]
        if self.overriding in nodes:
            box.highlighted = nodes.index(self.overriding)
        else:
            box.highlighted = detected[-1] if detected else len(steps) - 1

    def _show_answers(self) -> None:
        assert self.result is not None
        box = self.query_one("#answers", OptionList)
        box.clear_options()
        node = self.walk_tree.nodes.get(self.overriding) if self.overriding else None
        if isinstance(node, QuestionNode):
            step = next(s for s in self.result.steps if s.node == node.id)
            box.add_options(Option(answer, id=answer) for answer in node.answers)
            box.highlighted = list(node.answers).index(step.answer) \
                if step.answer in node.answers else 0
            box.border_title = Text(f"Change: {render.clean(step.question)} (enter; o cancels)")
        elif self.result.pending is not None:
            box.add_options(Option(answer, id=answer) for answer in self.result.pending.answers)
            box.highlighted = 0
            box.border_title = "Answer (enter)"
        box.display = box.option_count > 0

    def copy_target(self) -> tuple[tuple[str, ...], str, str]:
        """What `y` copies now, how to say it and the commands box's title: the fix's commands
        at the end; before it, the commands of the fix the walk is heading to when that is
        decided, else the finding's own fix commands."""
        result = self.result
        if result is None:
            return (), "", ""
        if result.finished:
            commands = result.fix.commands if result.fix is not None else ()
            return (commands, f"the fix's commands ({result.leaf})",
                    f"Fix commands ({result.leaf})")
        if result.pending is not None:
            leaf = heading_to(self.walk_tree, self.facts, self.answers, result.pending.node)
            if leaf is not None:
                fix = render_fix(leaf.fix, self.facts)
                if fix.commands:
                    return (fix.commands,
                            f"the commands of the fix this walk leads to ({leaf.id})",
                            f"Commands of the fix ahead ({leaf.id})")
        finding = self.finding_id or "the finding"
        return (self.finding_commands,
                f"{finding}'s own fix commands (the walk has not decided its fix yet)",
                f"{finding}'s fix commands")

    def _show_commands(self) -> None:
        assert self.result is not None
        commands, _, title = self.copy_target()
        recheck = self.result.recheck_command if self.result.finished else None
        self.query_one("#commands", CommandList).commands = commands
        self.query_one("#recheck-command", CommandList).commands = (recheck,) if recheck else ()
        self.query_one("#recheck-row").display = recheck is not None
        box = self.query_one("#walk-commands", Vertical)
        box.display = bool(commands) or recheck is not None
        box.border_title = Text(render.clean(title))
        box.border_subtitle = "y copies them, enter copies one" if self.result.finished \
            else "until the walk decides: y copies them, enter one"

    def _focus_where_it_goes(self) -> None:
        answers = self.query_one("#answers", OptionList)
        table = self.query_one("#commands", CommandList)
        steps = self.query_one("#steps", OptionList)
        target: Widget | None = None
        if answers.display:
            target = answers
        elif self.result is not None and self.result.finished and table.display:
            target = table
        elif steps.display:
            target = steps
        if target is not None:
            target.focus()

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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that do nothing now are left out of the footer (and do nothing)."""
        result = self.result
        if action == "recheck":
            return result is not None and result.finished
        if action in ("back", "restart"):
            return bool(self.answers) or self.overriding is not None
        if action == "override":
            return result is not None and bool(result.steps)
        if action == "copy_fix":
            return bool(self.copy_target()[0])
        return True

    # -- the app's side -----------------------------------------------------------------------

    def report_updated(self, facts: Mapping[str, Any], commands: Sequence[str] | None = None) -> None:
        """A new run's facts (and, when given, the finding's new fix commands): walk again with
        the same answers, so the commands and the re-check use the new run's values."""
        self.facts = dict(facts)
        if commands is not None:
            self.finding_commands = tuple(commands)
        self.refresh_walk(move_focus=False)

    def recheck_done(self, report: Report | None, error: str | None = None) -> None:
        """The re-run finished: is the finding this walkthrough came from still reported?"""
        if report is None:
            self.recheck_state = f"failed: {error or 'no report'}"
        elif self.finding_id is None:  # no finding of the diagnosis to look for: no verdict
            self.recheck_state = ("done, but it decides nothing here: this walk did not come "
                                  "from a finding of the diagnosis (for a refusal in traffic, "
                                  "read the traffic again: t)")
        elif any(f.id == self.finding_id for f in report.findings):
            self.recheck_state = "still there"
        else:
            self.recheck_state = "gone"
        self._show_recheck()

    # -- answering ----------------------------------------------------------------------------

    def _answers_changed(self) -> None:
        """The path may be another one now: a re-check result was about the old one."""
        self.recheck_state = None
        self.refresh_walk()

    @on(OptionList.OptionSelected, "#answers")
    def _answer_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.answer(event.option.id)

    @on(OptionList.OptionSelected, "#steps")
    def _step_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.change_step(event.option.id)

    def answer(self, value: str) -> None:
        """Answer the pending question (or, while changing a step, that step's)."""
        if self.overriding is not None:
            node, self.overriding = self.overriding, None
            walked = [s.node for s in self.result.steps] if self.result is not None else []
            for later in walked[walked.index(node):] if node in walked else [node]:
                self.answers.pop(later, None)  # the questions after it are asked again
            self.answers[node] = value  # the override is the latest answer (for back)
            self._answers_changed()
            return
        if self.result is not None and self.result.pending is not None:
            self.answers[self.result.pending.node] = value
            self._answers_changed()

    def change_step(self, node: str) -> None:
        """Offer the answers of the answered step `node` again (the same node again cancels)."""
        if self.overriding == node:
            self.overriding = None
        elif self.result is not None and any(s.node == node for s in self.result.steps):
            self.overriding = node
        self.refresh_walk()

    def action_override(self) -> None:
        """Choose another answer for the highlighted step (by default the latest step the facts
        answered); `o` again cancels."""
        if self.overriding is not None:
            self.overriding = None
            self.refresh_walk()
            return
        steps = self.query_one("#steps", OptionList)
        if self.result is None or not self.result.steps or steps.highlighted is None:
            self.notify("no step was answered yet: answer the question below", severity="warning")
            return
        self.change_step(self.result.steps[steps.highlighted].node)

    def detected_steps(self) -> list[str]:
        """The nodes of the steps the facts answered, in walk order."""
        return [s.node for s in self.result.steps if s.detected] if self.result else []

    def action_back(self) -> None:
        """Take back the last answer given."""
        self.overriding = None
        if self.answers:
            self.answers.popitem()
            self._answers_changed()
        else:
            self.refresh_walk()

    def action_restart(self) -> None:
        """Forget every answer (overrides included)."""
        self.overriding = None
        had = bool(self.answers)
        self.answers.clear()
        if had:
            self._answers_changed()
        else:
            self.refresh_walk()

    # -- commands, re-check, closing ----------------------------------------------------------

    def action_copy_fix(self) -> None:
        """Copy the commands of the table (see `copy_target`) to the clipboard (through the
        terminal, OSC 52) and say which they are."""
        commands, what, _ = self.copy_target()
        if not commands:
            self.notify("no commands to copy yet: answer the questions first", severity="warning")
            return
        self.app.copy_to_clipboard("\n".join(commands) + "\n")
        count = f"{len(commands)} command{'s' if len(commands) != 1 else ''}"
        self.notify(render.clean(f"copied {count}: {what}"), markup=False)

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

    def action_close(self) -> None:
        """Back to where the walkthrough was opened from."""
        self.dismiss(None)
