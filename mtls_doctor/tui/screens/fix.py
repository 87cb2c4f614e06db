"""The `a` key's screen: the plans `fix` would carry out for the selected finding (the calls with
their exact parameters, the bundle diff, the pre-flight, the rollback), applied only after the
domain name is typed, with live progress, the re-check, and the rollback offered on a failure.

Nothing is carried out here: the screen posts a message and the app does the work in a thread.
The app's side, call by call (`facts` is the report's `payload["domain"]`, a `DomainFacts`;
`findings` the report's findings; `profile` and `timeout` the run's options):

1. Build the plans off the event loop (the pre-flight reads S3), then open the screen::

       aws = Aws(profile, Deadline(timeout))                        # aws.calls.Aws
       fix = build_plans(facts, findings, Inputs(at, warn_days), aws)  # apply.build
       push_screen(FixScreen(fix, finding_key(f.id, f.evidence)))  # apply.plan.finding_key

2. On `FixScreen.ApplyRequested` (posted only once the domain name was typed), in a thread
   (`@work(thread=True, exclusive=True, group="fix", exit_on_error=False)`)::

       opts = FixOptions(fix.domain, at, now, region=fix.region, profile=profile,
                         timeout=timeout, warn_days=warn_days)     # commands.fix
       report = apply_plans(opts, message.fix, facts, findings,
                            Aws(profile, Deadline(timeout)),
                            progress=lambda line: app.call_from_thread(screen.progress, line))
       app.call_from_thread(screen.carried_out, report.payload["plan"].outcome)

   `apply_plans` runs `Run(aws, domain, region, api_type, facts.domain_name_id,
   journal.new_run_id(), progress=...).carry_out(fix)` (apply.execute): every call in order,
   journalled, an upload waited for, a domain update paced and polled until AVAILABLE; then the
   domain is read again and the outcome says which addressed findings are gone and which are
   still there (nothing is claimed gone when the re-check could not read everything). A failure
   stops the run and rolls nothing back. An exception becomes `screen.failed(one_line)`.

3. On `FixScreen.RollbackRequested` (posted only once `yes` was typed after a failure), in a
   thread::

       report = run_fix(replace(opts, rollback=message.run_id, yes=True),
                        progress=lambda line: app.call_from_thread(screen.progress, line))
       app.call_from_thread(screen.rolled_back, report.payload["plan"].outcome)

   which undoes, newest first, the calls of the journalled run that succeeded.

Keys: typing goes to the confirmation field (focused from the start; a printable key typed
elsewhere lands there too, so no key reaches the app's own); enter submits it. `q` (outside the
field) and escape close, except while calls run; `y` copies every command, enter on one copies it;
tab moves between the plan, the commands and the field; page up/down scroll the plan.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Input, RichLog, Static

from mtls_doctor.apply.plan import FixPlan, Outcome, Plan, StepResult
from mtls_doctor.apply.view import outcome_section, plan_section
from mtls_doctor.shell import render as render_command
from mtls_doctor.shell.doctor import doctor
from mtls_doctor.tui import render
from mtls_doctor.tui.screens.start import FOCUS_BINDINGS
from mtls_doctor.tui.sections import sections_renderable
from mtls_doctor.tui.widgets import CommandList
from mtls_doctor.tui.widgets.footer import KeyFooter

#: what the person types to roll back after a failure
ROLLBACK_WORD = "yes"


def plans_for(fix: FixPlan, key: str | None) -> FixPlan:
    """The plans that address the finding `key` (`finding_key`: its id, then the API and stage
    or certificate it is about; a bare id matches every finding of that id); every plan without
    a key."""
    if not key:
        return fix
    wanted = key.split()

    def addresses(plan: Plan) -> bool:
        return any(a == key or (len(wanted) == 1 and a.split()[0] == key) for a in plan.addresses)

    return replace(fix, plans=tuple(p for p in fix.plans if addresses(p)))


def step_line(step: StepResult, prefix: str = "") -> str:
    """One call's result as a progress line (`✓ apigatewayv2.UpdateDomainName ok: ...`)."""
    detail = f": {step.detail}" if step.detail else ""
    return f"{'✓' if step.status == 'ok' else '✗'} {prefix}{step.call} {step.status}{detail}"


def typed_name(text: str) -> str:
    """A typed domain name as `fix` compares it (spaces, a final dot and case ignored)."""
    return text.strip().rstrip(".").lower()


def _opt(flag: str, value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return (f"{flag}={value}",) if value.startswith("-") else (flag, value)


def dry_run_command(fix: FixPlan) -> str:
    """`mtls-doctor fix NAME --region R --plan KIND...`: the same plans from a shell."""
    kinds: list[str] = []
    for p in fix.plans:
        if p.kind not in kinds:
            kinds.append(p.kind)
    options = [*_opt("--region", fix.region)]
    for kind in kinds:
        options += _opt("--plan", kind)
    return render_command(doctor("fix", fix.domain, *options))


class FixScreen(Screen[None]):
    """The plans for one finding, the consent (the domain name typed), the calls' progress, the
    outcome and re-check, and the rollback when a call failed."""

    DEFAULT_CSS = """
    FixScreen {
        #fix-pane {
            height: 1fr;
            border: round $accent;
            padding: 0 1;
        }
        #fix-progress {
            height: auto;
            max-height: 8;
            border: round $primary;
            padding: 0 1;
        }
        #fix-commands {
            height: auto;
            max-height: 4;
            margin: 0;
        }
        #fix-state {
            height: auto;
            padding: 0 1;
        }
        #fix-consent {
            margin: 0 1;
            & > .input--placeholder {
                color: $text-muted;
                text-style: dim italic;
            }
        }
        &.-short #fix-progress {
            max-height: 5;
        }
    }
    """

    #: below 30 lines the progress log keeps to a few lines
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]  # noqa: RUF012 - textual's type

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("q", "close", "Close", show=False),
        Binding("y", "copy_all", "Copy all"),
        Binding("pageup", "scroll_plan(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll_plan(1)", "Scroll down", show=False),
        *FOCUS_BINDINGS,
    ]

    class ApplyRequested(Message):
        """The domain name was typed: carry `fix` (the plans this screen shows) out."""

        def __init__(self, fix: FixPlan) -> None:
            super().__init__()
            self.fix = fix

    class RollbackRequested(Message):
        """`yes` was typed after a failure: undo the journalled run `run_id`."""

        def __init__(self, domain: str, region: str | None, run_id: str) -> None:
            super().__init__()
            self.domain = domain
            self.region = region
            self.run_id = run_id

    def __init__(self, fix: FixPlan, finding: str | None = None) -> None:
        super().__init__()
        self.fix = plans_for(fix, finding)
        self.finding = finding
        #: `plan` (waiting for consent), `running`, `done`, `failed` (rollback offered),
        #: `rolling back`, `rolled back`, `error` (the worker could not run)
        self.state = "plan"
        self.outcome: Outcome | None = None
        self.rollback: Outcome | None = None
        self.lines: list[str] = []
        self.error = ""

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll(id="fix-pane", can_focus=True):
            yield Static(id="fix-view")
        yield RichLog(id="fix-progress", wrap=True, markup=False, highlight=False)
        yield CommandList(id="fix-commands")
        yield Static(id="fix-state")
        yield Input(id="fix-consent", compact=True, select_on_focus=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        pane = self.query_one("#fix-pane")
        what = f" for {self.finding}" if self.finding else ""
        pane.border_title = Text(render.clean(f"Fix {self.fix.domain}{what}"))
        self.query_one("#fix-progress").border_title = "Progress"
        self.query_one("#fix-progress").display = False
        self._draw()
        box = self.consent_box
        (box if box.display else pane).focus()

    # -- drawing ------------------------------------------------------------------------------

    @property
    def consent_box(self) -> Input:
        """The field the domain name (or, after a failure, `yes`) is typed into."""
        return self.query_one("#fix-consent", Input)

    @property
    def can_apply(self) -> bool:
        """Whether there is something to apply and every pre-flight result allows it."""
        return bool(self.fix.plans) and self.fix.ready

    def commands(self) -> tuple[str, ...]:
        """The commands shown (and copied by `y`): after a run that stopped, the rollback of its
        journalled calls; the same plans from a shell."""
        out = [dry_run_command(self.fix)] if self.fix.plans else []
        if self.outcome is not None and self.outcome.rollback_command and \
                self.state in ("failed", "rolling back"):
            out.insert(0, self.outcome.rollback_command)
        return tuple(out)

    def view(self) -> RenderableType:
        """The outcome(s), then every plan (or why there is none)."""
        sections = []
        if self.rollback is not None:
            sections.append(replace(outcome_section(self.rollback), title="Rollback"))
        if self.outcome is not None:
            sections.append(outcome_section(self.outcome))
        sections += [plan_section(p) for p in self.fix.plans]
        if sections:
            return sections_renderable(sections)
        lead = "No plan fixes this finding with AWS calls" if self.finding else \
            "No finding of this domain is one mtls-doctor can fix with AWS calls"
        return Group(Text(lead, style="bold"),
                     Text("See the finding's own fix commands.", style="dim"))

    def state_text(self) -> Text:
        """What is happening and what the person can do now."""
        n = len(self.fix.plans)
        plans = "this plan" if n == 1 else f"these {n} plans"
        if self.state == "plan":
            if not self.fix.plans:
                return Text("Nothing to apply.", style="dim")
            if not self.fix.ready:
                return Text.assemble(("Refused: ", "bold red"), "a pre-flight check fails or is "
                                     "unknown (see each plan). From a shell, `fix --apply "
                                     "--force` applies anyway.")
            return Text.assemble(("Dry run: nothing was changed. ", "bold"),
                                 f"Type the domain name to apply {plans}, then enter.")
        if self.state == "running":
            return Text(f"Carrying out {plans}…", style="cyan")
        if self.state == "done":
            assert self.outcome is not None
            ok = self.outcome.ok
            return Text.assemble(("✓ " if ok else "✗ ", "green" if ok else "red"),
                                 (render.clean(self.outcome.message), "bold"))
        if self.state == "failed":
            if self.outcome is not None and not self.outcome.rollback_command:
                return Text.assemble(("✗ A call failed ", "bold red"), "(see Progress). "
                                     "Nothing was changed, so there is nothing to roll back.")
            return Text.assemble(("✗ A call failed ", "bold red"), "(see Progress); what was "
                                 "done stays until you roll it back. "
                                 f"Type {ROLLBACK_WORD} to roll it back, then enter.")
        if self.state == "rolling back":
            return Text("Rolling back…", style="cyan")
        if self.state == "rolled back":
            assert self.rollback is not None
            ok = self.rollback.ok
            return Text.assemble(("✓ " if ok else "✗ ", "green" if ok else "red"),
                                 (render.clean(self.rollback.message), "bold"))
        return Text.assemble(("✗ could not run: ", "bold red"), render.clean(self.error))

    def _draw(self) -> None:
        self.query_one("#fix-view", Static).update(self.view())
        commands = self.commands()
        listed = self.query_one("#fix-commands", CommandList)
        listed.commands = commands
        listed.display = bool(commands)  # (an unchanged empty list never reaches its watcher)
        self.query_one("#fix-state", Static).update(self.state_text())
        box = self.consent_box
        asking = (self.state == "plan" and self.can_apply) or (
            self.state == "failed" and self.outcome is not None
            and bool(self.outcome.rollback_command))
        box.display = asking
        box.disabled = not asking
        if self.state == "plan":
            box.placeholder = f"type {self.fix.domain} to apply"
        elif self.state == "failed":
            box.placeholder = f"type {ROLLBACK_WORD} to roll back"
        self.refresh_bindings()

    # -- consent ------------------------------------------------------------------------------

    @on(Input.Submitted, "#fix-consent")
    def _consent(self, event: Input.Submitted) -> None:
        event.stop()
        typed = event.value
        if self.state == "plan" and self.can_apply:
            if typed_name(typed) != self.fix.domain.lower():
                self.notify("not applied: the name typed is not the domain's", severity="warning")
                return
            self.consent_box.value = ""
            self.state = "running"
            self._show_progress()
            self._draw()
            self.query_one("#fix-pane").focus()
            self.post_message(self.ApplyRequested(self.fix))
        elif self.state == "failed" and self.outcome is not None:
            if typed.strip().lower() != ROLLBACK_WORD:
                self.notify(f"not rolled back: type {ROLLBACK_WORD}", severity="warning")
                return
            self.consent_box.value = ""
            self.state = "rolling back"
            self._draw()
            self.query_one("#fix-pane").focus()
            self.post_message(self.RollbackRequested(self.fix.domain, self.fix.region,
                                                     self.outcome.run_id))

    # -- the app's side -----------------------------------------------------------------------

    def _show_progress(self) -> None:
        self.query_one("#fix-progress").display = True

    def progress(self, line: str) -> None:
        """One line of progress from the run (a call sent, a wait, a poll)."""
        self.lines.append(line)
        self._show_progress()
        self.query_one("#fix-progress", RichLog).write(Text(render.clean(line)))

    def carried_out(self, outcome: Outcome) -> None:
        """The run finished: its calls, the re-check, and (a call failed) the rollback offer."""
        self.outcome = outcome
        self.state = "failed" if any(s.status == "failed" for s in outcome.steps) else "done"
        for step in outcome.steps:
            self.progress(step_line(step))
        self._draw()
        if self.state == "failed" and self.consent_box.display:
            self.consent_box.focus()

    def rolled_back(self, outcome: Outcome) -> None:
        """The rollback finished."""
        self.rollback = outcome
        self.state = "rolled back"
        for step in outcome.rolled_back:
            self.progress(step_line(step, "undo "))
        self._draw()

    def failed(self, error: str) -> None:
        """The app could not carry the plans (or the rollback) out: the one-line reason."""
        self.error = error
        self.state = "error"
        self._draw()

    # -- keys ---------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Whether calls are being made (the screen stays open until they end)."""
        return self.state in ("running", "rolling back")

    def on_key(self, event: events.Key) -> None:
        """A printable key typed outside the field goes into it (so none reaches the app's
        keys); `q` closes and `y` copies, as their bindings say."""
        box = self.consent_box
        if self.focused is box or not event.is_printable or not event.character:
            return
        event.stop()
        event.prevent_default()
        if event.character == "q":
            self.action_close()
        elif event.character == "y":
            self.action_copy_all()
        elif box.display and not box.disabled:
            box.focus()
            box.insert_text_at_cursor(event.character)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`y` only with commands to copy."""
        if action == "copy_all":
            return bool(self.commands())
        return True

    def action_copy_all(self) -> None:
        """Copy every command shown (one a line)."""
        commands = self.commands()
        if not commands:
            self.notify("no commands to copy", severity="warning")
            return
        self.app.copy_to_clipboard("\n".join(commands) + "\n")
        count = f"{len(commands)} command{'s' if len(commands) != 1 else ''}"
        self.notify(f"copied {count}", markup=False)

    def action_scroll_plan(self, direction: int) -> None:
        """Scroll the plan a page."""
        pane = self.query_one("#fix-pane", VerticalScroll)
        if direction < 0:
            pane.scroll_page_up(animate=False)
        else:
            pane.scroll_page_down(animate=False)

    def action_close(self) -> None:
        """Back to the finding, unless calls are being made."""
        if self.busy:
            self.notify("calls are being made: the screen closes when they end",
                        severity="warning")
            return
        self.dismiss(None)

