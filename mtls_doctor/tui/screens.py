"""The TUI's screens: dashboard, finding detail, walkthrough, export dialog and help.

Screens only draw what the app hands them and turn keys into actions; the diagnosis itself runs
in the app's thread workers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    Button,
    Checkbox,
    Footer,
    Header,
    Input,
    Label,
    OptionList,
    RadioButton,
    RadioSet,
    Static,
)
from textual.widgets.option_list import Option

from mtls_doctor.diagnose.run import CollectorRun, DiagnoseOptions
from mtls_doctor.errors import InputError
from mtls_doctor.model.certificate import CertSummary
from mtls_doctor.model.finding import Finding
from mtls_doctor.model.report import Report
from mtls_doctor.safe import check_output
from mtls_doctor.tui import facts, form, render
from mtls_doctor.tui.messages import ExportRequested, RecheckRequested
from mtls_doctor.walkthroughs import QuestionNode, Tree, Walk, WalkthroughError, walk

FORMATS = ("text", "json", "markdown", "html")
EXTENSIONS = {"text": "txt", "json": "json", "markdown": "md", "html": "html"}


def default_export_path(fmt: str) -> str:
    """Where an export goes unless the user says otherwise."""
    return f"mtls-doctor-report.{EXTENSIONS[fmt]}"


class DashboardScreen(Screen[None]):
    """The target, the checks filling in live, the findings by severity, the selected finding."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_finding", "Detail", show=False),
    ]

    def __init__(self, target: str, collectors: list[str]) -> None:
        super().__init__()
        self.target = target
        self.collectors = collectors
        self.attempts: dict[str, CollectorRun] = {}
        self.report: Report | None = None
        #: why the run ended without a report (it failed, or was cancelled); None otherwise
        self.stopped: str | None = None
        self.findings: list[Finding] = []
        self.selected: Finding | None = None
        self.frame = 0

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static(id="target")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                with VerticalScroll(id="checks-pane"):
                    yield Static(id="checks")
                yield OptionList(id="findings")
            with VerticalScroll(id="detail-pane"):
                yield Static(Text("Findings appear here when the collectors finish.", style="dim"),
                             id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#checks-pane").border_title = "Checks"
        self.query_one("#findings").border_title = "Findings"
        self.query_one("#detail-pane").border_title = "Detail"
        self.set_interval(0.1, self._tick)
        self.start(self.target, self.collectors)

    def start(self, target: str, collectors: list[str]) -> None:
        """A new run: every collector `running`, no findings yet."""
        self.target, self.collectors = target, collectors
        self.attempts, self.report, self.stopped = {}, None, None
        self.findings, self.selected = [], None
        self._show_target("running")
        self._show_checks()
        findings = self.query_one("#findings", OptionList)
        findings.clear_options()
        findings.border_title = "Findings"
        self.query_one("#detail", Static).update(
            Text("Findings appear here when the collectors finish.", style="dim"))

    @property
    def running(self) -> bool:
        """Some collector still runs: no report, no failure, no cancellation yet."""
        return self.report is None and self.stopped is None

    def _show_target(self, state: str, style: str = "cyan") -> None:
        self.query_one("#target", Static).update(
            Text.assemble(("Target ", "dim"), (render.clean(self.target), "bold"), "  ",
                          (state, style)))

    def _tick(self) -> None:
        if self.running and any(n not in self.attempts for n in self.collectors):
            self.frame += 1
            self._show_checks()

    def _show_checks(self) -> None:
        self.query_one("#checks", Static).update(
            render.checks_renderable(self.collectors, self.attempts, self.report, self.frame,
                                     self.stopped))

    def add_attempt(self, attempt: CollectorRun) -> None:
        """A collector finished (`ok`, or anything else: no success)."""
        self.attempts[attempt.name] = attempt
        self._show_checks()

    def show_failure(self, error: str) -> None:
        """The run stopped without a report: no spinner turns any more, every collector that had
        not finished says so; what the others reported stays."""
        self.stopped = "not finished: the diagnosis failed"
        self._show_target(f"failed: {render.clean(error)}", "bold red")
        self._show_checks()
        self.query_one("#findings", OptionList).border_title = "Findings: none (no report)"
        self.query_one("#detail", Static).update(Group(
            Text("The diagnosis failed; nothing was decided.", style="bold red"), Text(""),
            Text(render.clean(error), style="red")))

    def show_cancelled(self) -> None:
        """The run was abandoned (quit): nothing spins, nothing is reported as passed."""
        self.stopped = "cancelled"
        self._show_target("cancelled: nothing was decided", "bold yellow")
        self._show_checks()

    def show_report(self, report: Report) -> None:
        """The run finished: every check, the findings grouped by severity, the first selected.
        Green only when nothing is wrong and every check was decided."""
        self.report = report
        for attempt in report.payload.get("attempts") or ():
            if isinstance(attempt, CollectorRun):  # the report's own account wins over progress
                self.attempts[attempt.name] = attempt
        self.target = render.target_of(report) or self.target
        self._show_target(*render.outcome(report, self.attempts.values()))
        self._show_checks()
        options: list[Option | None] = []
        self.findings = []
        for severity, group in render.grouped(report.findings):
            if options:
                options.append(None)
            options.append(Option(Text(f"{severity.upper()} ({len(group)})",
                                       style=render.SEVERITY_STYLE[severity]), disabled=True))
            for f in group:
                options.append(Option(render.finding_label(f), id=f"finding-{len(self.findings)}"))
                self.findings.append(f)
        widget = self.query_one("#findings", OptionList)
        widget.clear_options()
        widget.add_options(options)
        widget.border_title = f"Findings: {render.counts_text(report.findings)}"
        if self.findings:
            widget.highlighted = widget.get_option_index("finding-0")
            self._select(self.findings[0])
        else:
            self.query_one("#detail", Static).update(
                render.no_findings_detail(report, self.attempts.values()))

    def _select(self, finding: Finding) -> None:
        self.selected = finding
        self.query_one("#detail", Static).update(render.finding_detail(finding))
        self.query_one("#detail-pane", VerticalScroll).scroll_home(animate=False)

    def _finding_of(self, option: Option) -> Finding | None:
        if option.id and option.id.startswith("finding-"):
            return self.findings[int(option.id.removeprefix("finding-"))]
        return None

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        finding = self._finding_of(event.option)
        if finding is not None:
            self._select(finding)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        finding = self._finding_of(event.option)
        if finding is not None:
            self._select(finding)
            self.app.push_screen(FindingScreen(finding, self.report))

    def action_open_finding(self) -> None:
        if self.selected is not None:
            self.app.push_screen(FindingScreen(self.selected, self.report))


class FindingScreen(Screen[None]):
    """One finding on the whole screen; with the report, the served vs configured certificate
    (SERVER_* findings) or the certificate chain (TRUSTSTORE_*, CLIENT_*, CERT_* findings)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, finding: Finding, report: Report | None = None) -> None:
        super().__init__()
        self.finding = finding
        self.report = report

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll(id="finding-pane"):
            yield Static(render.finding_detail(self.finding), id="finding-detail")
            yield Static(Group(*render.finding_extras(self.finding, self.report)),
                         id="finding-extras")
        yield Footer()


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
        self.query_one("#walk", Static).update(render.walk_renderable(self.walk_tree, self.result))
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


class CertificatesScreen(Screen[None]):
    """Every certificate of the report (served chain, client, truststore): a list narrowed by a
    filter, and the highlighted one field by field."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, certificates: list[tuple[str, CertSummary]]) -> None:
        super().__init__()
        self.certificates = certificates
        self.shown: list[int] = []
        self.selected: tuple[str, CertSummary] | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Input(placeholder="filter: subject, issuer, serial, SAN, fingerprint…",
                    id="cert-filter")
        with Horizontal(id="cert-body"):
            yield OptionList(id="cert-list")
            with VerticalScroll(id="cert-pane"):
                yield Static(id="cert-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#cert-pane").border_title = "Certificate"
        self.show_matching("")
        self.query_one("#cert-list", OptionList).focus()

    def show_matching(self, needle: str) -> None:
        """List the certificates the filter matches; select the first."""
        self.shown = [i for i, (source, cert) in enumerate(self.certificates)
                      if facts.certificate_matches(source, cert, needle)]
        box = self.query_one("#cert-list", OptionList)
        box.clear_options()
        box.add_options(Option(render.certificate_label(*self.certificates[i]), id=f"cert-{i}")
                        for i in self.shown)
        box.border_title = f"Certificates {len(self.shown)}/{len(self.certificates)}"
        if self.shown:
            box.highlighted = 0
            self._select(self.shown[0])
        else:
            self.selected = None
            self.query_one("#cert-detail", Static).update(
                Text("No certificate matches." if self.certificates
                     else "The report holds no certificate.", style="dim"))

    def _select(self, index: int) -> None:
        self.selected = self.certificates[index]
        self.query_one("#cert-detail", Static).update(render.certificate_detail(*self.selected))
        self.query_one("#cert-pane", VerticalScroll).scroll_home(animate=False)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.show_matching(event.value)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and event.option.id.startswith("cert-"):
            self._select(int(event.option.id.removeprefix("cert-")))


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


HELP_KEYS = (
    ("↑ ↓", "move in the findings list"),
    ("enter", "the selected finding on its own screen"),
    ("w", "walk the selected finding's walkthrough"),
    ("c", "every certificate of the report, with a filter"),
    ("e", "export the report (text, json, markdown, html)"),
    ("r", "run the diagnosis again"),
    ("tab", "next pane"),
    ("ctrl+p", "command palette (rerun, export, dark mode, help)"),
    ("?", "this help"),
    ("q ctrl+c", "quit (exit 1: an error or a ?; mid-run: cancel, 130)"),
    ("", ""),
    ("In a walkthrough", ""),
    ("b", "back one answer"),
    ("ctrl+r", "restart"),
    ("r", "at the fix: re-check whether the finding is gone"),
    ("y", "at the fix: copy its commands to the clipboard"),
    ("o", "override the latest step answered from the facts"),
    ("escape", "close the screen or dialog"),
)


class HelpScreen(ModalScreen[None]):
    """The key bindings."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Close"),
        Binding("question_mark", "app.pop_screen", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        text = Text()
        for key, what in HELP_KEYS:
            if key and not what:
                text.append(f"\n{key}\n", style="bold")
            elif key:
                text.append(f"{key:>8}  ", style="bold cyan")
                text.append(f"{what}\n")
        with VerticalScroll(id="help-dialog"):
            yield Label("mtls-doctor keys", id="help-title")
            yield Static(text, id="help-keys")
            yield Button("Close", id="help-close", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.app.pop_screen()
