"""`MtlsDoctorApp`: runs the diagnosis (or the demo lab) in a thread and shows it live.

The first frame is painted before any network result: the collectors are listed as `running`
and fill in as `run_diagnosis` reports each one (from its own threads, through messages).

The report's view (`report.view`, with `tui.shown`) is built once, in the run's thread, and every
pane and screen draws from it; the walkthroughs' facts come from the core
(`walkthroughs.facts.walk_facts`) with what the run was given (its files, --connect; the demo
lab's own).

The diagnosis runs in a plain daemon thread of its own, not in a Textual thread worker: those
run in asyncio's default executor, which `App.run()` joins before it returns, so a collector
blocked in a network call would hold the closed app (a blank terminal) until its own timeout.
Every run has a `Deadline`; quitting mid-run cancels it, and `run_tui` makes sure the process
ends even when a collector does not notice.

The dashboard's `t` and `a` act on the diagnosed custom domain in AWS (`tui.aws_tasks`): `t`
reads its traffic, `a` builds the fix plans for the selected finding (a dry run), each in a
daemon thread of its own within the run's deadline, the result posted back tagged with its task
id; the traffic or fix screen opens on the dashboard when it is in. Only the fix screen's typed
consent (`FixScreen.ApplyRequested`, `RollbackRequested`) starts a write: the carry-out or the
rollback runs in a Textual thread worker (which the app waits for when it closes: calls are
never abandoned midway by a quit), its progress lines posted back one by one; then the
diagnosis runs again, so the dashboard shows the domain's new state.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen

from mtls_doctor.deadline import Deadline
from mtls_doctor.diagnose.run import (
    CollectorRun,
    DiagnoseOptions,
    expected_collectors,
    run_diagnosis,
)
from mtls_doctor.errors import InputError
from mtls_doctor.model.domain import DomainFacts
from mtls_doctor.model.finding import Finding
from mtls_doctor.model.report import Report
from mtls_doctor.report.view import FindingView
from mtls_doctor.report.view import target as report_target
from mtls_doctor.tui import aws_tasks, render
from mtls_doctor.tui.aws_tasks import AwsTarget, aws_target
from mtls_doctor.tui.messages import (
    AwsTaskFailed,
    CollectorFinished,
    DiagnosisDone,
    DiagnosisFailed,
    ExportDone,
    ExportFailed,
    ExportRequested,
    FixFailed,
    FixFinished,
    FixProgress,
    PlansBuilt,
    ProbeStepped,
    RecheckRequested,
    TrafficRead,
)
from mtls_doctor.tui.screens import (
    CertificatesScreen,
    DashboardScreen,
    ExportScreen,
    HelpScreen,
    StartScreen,
    WalkthroughScreen,
)
from mtls_doctor.tui.shown import Shown
from mtls_doctor.walkthroughs import WalkthroughError, all_trees, load_tree
from mtls_doctor.walkthroughs.facts import walk_facts

if TYPE_CHECKING:
    from mtls_doctor.apply.execute import Pacing
    from mtls_doctor.demo.lab import Lab
    from mtls_doctor.probe.run import ProbeStep
    from mtls_doctor.tui.screens.fix import FixScreen
    from mtls_doctor.tui.screens.traffic import TrafficScreen

DEMO_COLLECTORS = ["probe", "domain", "verify-client"]
#: the names the certificate viewer (one per report) and the walkthrough screen are installed
#: under: each is made once and shown again (laying out a new screen blocks the event loop)
CERTIFICATES_SCREEN = "certificates"
WALKTHROUGH_SCREEN = "walkthrough"
#: the demo lab's deadline
DEMO_TIMEOUT = 30.0
#: the exit code of a quit while a collector still runs (the contract)
CANCELLED = 130


@dataclasses.dataclass
class FixJob:
    """The fix screen open and what its carry-out needs: the domain as the plans were built
    from it, the report's findings, the task carrying out (or rolling back) now (0: none)."""

    screen: FixScreen
    target: AwsTarget
    facts: DomainFacts
    findings: list[Finding]
    task: int = 0


class MtlsDoctorApp(App[int]):
    """The mtls-doctor TUI. With `demo=True` it diagnoses the built-in lab, else `options`; with
    neither it first asks for them in a form. With `report` (tests, snapshots) it starts with
    that report on screen and runs nothing until asked to re-run.

    App-wide keys are only ctrl+c (quit at once), `?` (help) and the command palette: the
    single-letter keys belong to the screens (the dashboard's act on the selected finding), so
    typing in another screen never fires them."""

    TITLE = "mtls-doctor"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "quit", "Quit", show=False),  # quits (a focused input copies)
        Binding("question_mark", "help", "Help", key_display="?"),
    ]

    def __init__(self, options: DiagnoseOptions | None = None, demo: bool = False, *,
                 report: Report | None = None) -> None:
        super().__init__()
        self.options = options
        self.demo = demo
        #: a report handed in at the start (shown without running anything)
        self.given = report
        self.run_id = 0
        self.report: Report | None = None
        #: the report on screen with its view, built once (None before a report)
        self.shown: Shown | None = None
        #: what the run of the report on screen was given (its files, --connect), for the
        #: walkthroughs' commands
        self.known: dict[str, str | None] = {}
        self.error: str | None = None
        #: the exit code of the failed run (2: bad input, 3: a bug) and, for a bug, its traceback
        self.error_code = 0
        self.error_detail: str | None = None
        #: the demo's lab, started by its first run and stopped when the app ends: the
        #: commands on screen name its files and port
        self._lab: Lab | None = None
        self._lab_stack = contextlib.ExitStack()
        self._lab_lock = threading.Lock()
        #: the current run's deadline (cancelled when the run is abandoned)
        self.deadline: Deadline | None = None
        #: a run was started and has neither its report nor its failure yet
        self.running = False
        #: the user quit while a collector still ran
        self.cancelled = False
        #: the diagnosis threads started (the process must not end before them, or must end
        #: without them: `run_tui`)
        self.run_threads: list[threading.Thread] = []
        self.last_export: Path | None = None
        #: objects were moved out of the garbage collector's full passes (`_freeze_heap`)
        self._frozen = False
        #: the AWS tasks (`t`, `a`, the fix screen's carry-out): the last task id given, the
        #: task of each kind still running, their deadlines (cancelled when the app closes)
        self.aws_task = 0
        self.aws_busy: dict[str, int] = {}
        self.aws_deadlines: dict[int, Deadline] = {}
        #: screens a task made while another screen was on top: opened on the dashboard
        self.pending: list[Screen[None]] = []
        #: the fix screen open, with what its carry-out needs (None: none)
        self.fix_job: FixJob | None = None
        #: the fix's waits (the UpdateDomainName quota, polls; None: `fix`'s own); tests
        #: shrink them
        self.fix_pacing: Pacing | None = None
        self.dashboard = DashboardScreen(self._target(), self._collectors())
        self.dashboard.timeout = self._timeout()

    # -- what is diagnosed ------------------------------------------------------------------

    def _target(self) -> str:
        if self.options is not None and not self.demo:
            return self.options.host
        if self.given is not None:
            return report_target(self.given) or "the report given"
        if self.needs_form:
            return "not chosen yet"
        return "demo lab on loopback (api.demo.mtls-doctor.test)"

    @property
    def target(self) -> str:
        """What is diagnosed, as the dashboard says it (host:port once a report is in)."""
        return self.dashboard.target

    @property
    def needs_form(self) -> bool:
        """Nothing to diagnose yet: the start form asks for it."""
        return self.options is None and not self.demo and self.given is None

    @property
    def can_run(self) -> bool:
        """There is something to (re)run: options or the demo lab."""
        return self.demo or self.options is not None

    def _collectors(self) -> list[str]:
        if self.options is not None and not self.demo:
            return expected_collectors(self.options)
        return list(DEMO_COLLECTORS) if self.demo else []

    def _timeout(self) -> float:
        return self.options.timeout if self.options is not None and not self.demo \
            else DEMO_TIMEOUT

    @property
    def _background_screens(self) -> list[Screen[Any]]:
        """The screens visible under the current one. Textual counts the screen under an opaque
        one too, so every screen opened over the dashboard laid the hidden dashboard out again
        (about 10 ms a time with a big truststore, within the block that opens the screen)."""
        if self._screen_stack and self.screen.styles.background.a == 1:
            return []
        return super()._background_screens

    def get_default_screen(self) -> Screen[None]:
        return self.dashboard

    def on_mount(self) -> None:
        self.sub_title = render.clean(self._target())
        self.call_after_refresh(self._freeze_heap)
        if self.given is not None:
            self.call_after_refresh(self.deliver, self.given)
        elif self.needs_form:
            self.push_screen(StartScreen(), self._chosen)
        else:
            self.call_after_refresh(self._start)  # paint the dashboard first, then start working

    def _freeze_heap(self) -> None:
        """Keep what is alive now (Textual, the screens, the report on screen) out of the
        garbage collector's full passes (`gc.freeze`): such a pass holds the GIL, so the event
        loop, while it walks every object; with a big truststore's report in memory that took
        over 100 ms. Undone when the app ends (`on_unmount`), so that nothing is kept."""
        gc.freeze()
        self._frozen = True

    def demo_lab(self) -> Lab:
        """The demo's lab, started at the first call (from a run's thread)."""
        from mtls_doctor.demo.lab import running_lab

        with self._lab_lock:
            if self._lab is None:
                self._lab = self._lab_stack.enter_context(running_lab())
            return self._lab

    def on_unmount(self) -> None:
        self._cancel_run()  # a run still going posts nothing more (it may need the lab)
        with self._lab_lock:
            self._lab_stack.close()  # the lab's server stops, its files are removed
            self._lab = None
        for deadline in self.aws_deadlines.values():
            deadline.cancel()
        if self._frozen:
            gc.unfreeze()
            self._frozen = False

    def deliver(self, report: Report) -> None:
        """Show `report` as a new run's result, without running anything (tests, snapshots):
        as when a run finishes, the dashboard shows it and open walkthroughs are told."""
        self._cancel_run()
        self.run_id += 1
        self.report, self.error, self.error_code, self.error_detail = None, None, 0, None
        self.running = True
        attempts = [a.name for a in report.payload.get("attempts") or ()
                    if isinstance(a, CollectorRun) and a.status != "skipped"]
        self.dashboard.start(self.dashboard.target, attempts or self._collectors(),
                             self._timeout())
        self._finish(Shown.of(report), self._files())

    def _chosen(self, options: DiagnoseOptions | None) -> None:
        """The start form's options: diagnose them."""
        if options is None:
            return
        self.options = options
        self.sub_title = render.clean(self._target())
        self.dashboard.start(self._target(), self._collectors(), self._timeout())
        self._start()

    def _start(self) -> None:
        """A new run in a thread of its own; a run still going is abandoned (its deadline
        cancelled, its late messages ignored)."""
        self._cancel_run()
        self.run_id += 1
        self.report, self.error, self.error_code, self.error_detail = None, None, 0, None
        self.deadline = Deadline(self._timeout())
        self.running = True
        thread = threading.Thread(target=self._diagnose, args=(self.run_id, self.deadline),
                                  name=f"mtls-doctor-tui-run-{self.run_id}", daemon=True)
        self.run_threads = [t for t in self.run_threads if t.is_alive()] + [thread]
        thread.start()

    def _cancel_run(self) -> None:
        """Abandon the current run: every collector stops at its next wait."""
        if self.deadline is not None:
            self.deadline.cancel()
        self.running = False

    # -- the diagnosis thread ---------------------------------------------------------------

    def _post(self, message: Message) -> None:
        """Hand a result to the app (from the diagnosis thread); dropped once the app closed."""
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is listening
            self.post_message(message)

    def _diagnose(self, run: int, deadline: Deadline) -> None:
        """The whole diagnosis, off the event loop; results come back as messages."""

        def progress(attempt: CollectorRun) -> None:
            self._post(CollectorFinished(run, attempt))

        def stepped(step: ProbeStep) -> None:
            self._post(ProbeStepped(run, step))

        known = self._files()

        def lab(options: DiagnoseOptions) -> None:
            known.update(_known(options))

        try:
            now = datetime.now(UTC).replace(microsecond=0)
            if self.demo or self.options is None:
                from mtls_doctor.diagnose.demo import run_demo

                report = run_demo(at=now, now=now, progress=progress, deadline=deadline,
                                  probe_progress=stepped, lab_options=lab, lab=self.demo_lab())
            else:
                report = run_diagnosis(self._fresh(self.options, now), progress,
                                       deadline=deadline, probe_progress=stepped)
            shown = Shown.of(report)  # the view, built here once (not on the event loop)
        except InputError as exc:
            self._post(DiagnosisFailed(run, str(exc), code=2))
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a crash of the TUI
            self._post(DiagnosisFailed(run, f"{type(exc).__name__}: {exc}", code=3,
                                       detail="".join(traceback.format_exception(exc))))
        else:
            self._post(DiagnosisDone(run, report, shown, known))
            # the walkthrough trees, parsed here once: `w` parsed all eight on the event loop
            with contextlib.suppress(WalkthroughError):
                all_trees()

    @staticmethod
    def _fresh(options: DiagnoseOptions, now: datetime) -> DiagnoseOptions:
        """The options for a (re)run now: `at` follows `now` unless an instant was given."""
        if options.at == options.now:
            return dataclasses.replace(options, at=now, now=now)
        return dataclasses.replace(options, now=now)

    def inputs(self) -> list[str]:
        """The files the diagnosis reads (an export must never replace one)."""
        o = self.options
        if o is None or self.demo:
            return []
        return [f for f in (o.cert, o.key, o.chain, o.truststore, o.aws_snapshot) if f]

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def export_report(self, report: Report, fmt: str, path: Path, redact: bool = False) -> None:
        """Render (redacted when asked, as `--redact` does) and write the report, off the event
        loop; the report on screen stays as it is. Never onto an input or through a symbolic
        link (`safe.write_report`, as `-o` does)."""
        from mtls_doctor.report import render as render_report
        from mtls_doctor.report.redact import redact_report
        from mtls_doctor.safe import write_report

        try:
            text = render_report(redact_report(report, self.inputs()) if redact else report, fmt)
            write_report(path, text, self.inputs(), option="export to")
        except InputError as exc:
            self.post_message(ExportFailed(str(exc)))
        except OSError as exc:
            self.post_message(ExportFailed(f"cannot write {path}: {exc.strerror or exc}"))
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a crash of the TUI
            self.post_message(ExportFailed(f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(ExportDone(path.resolve(), fmt, redact))

    # -- messages from the workers ----------------------------------------------------------

    def _notify(self, message: str, **kwargs: Any) -> None:
        """A notification of outside text: made safe, and never read as markup."""
        self.notify(render.clean(message), markup=False, **kwargs)

    def on_collector_finished(self, message: CollectorFinished) -> None:
        if message.run == self.run_id and self.running:
            self.dashboard.add_attempt(message.attempt)

    def on_probe_stepped(self, message: ProbeStepped) -> None:
        if message.run == self.run_id and self.running:
            self.dashboard.probe_step(message.step)

    def on_diagnosis_done(self, message: DiagnosisDone) -> None:
        if message.run != self.run_id or not self.running:
            return
        self._finish(message.shown or Shown.of(message.report), message.known)

    def _finish(self, shown: Shown, known: Mapping[str, str | None]) -> None:
        """The current run's report (`shown`: with its view) and what the run was given: on
        the dashboard, in the certificate viewer, and told to the walkthroughs (their facts and
        commands rebuilt; a re-check answered)."""
        previous = self.report
        report = shown.report
        self.running = False
        self.report, self.shown, self.known = report, shown, dict(known)
        self.dashboard.show_report(shown)
        if self.is_screen_installed(CERTIFICATES_SCREEN):
            viewer = self.get_screen(CERTIFICATES_SCREEN)
            assert isinstance(viewer, CertificatesScreen)
            viewer.set_certificates(shown.view.certificates)
        self.sub_title = render.clean(self.dashboard.target)
        self.call_after_refresh(self._freeze_heap)
        for walk in self._rechecking():
            walk.recheck_done(report)
        for screen in self.screen_stack:
            if isinstance(screen, WalkthroughScreen):
                self._update_walkthrough(screen, report, previous)

    def _update_walkthrough(self, screen: WalkthroughScreen, report: Report,
                            previous: Report | None) -> None:
        """Hand an open walkthrough the facts of the new report for its finding (the finding
        as the new report has it, else as the previous one had it)."""
        finding = _finding(report, screen.finding_id)
        commands = _commands(finding) if finding is not None else None
        finding = finding or _finding(previous, screen.finding_id)
        if finding is not None:
            screen.report_updated(self._walk_facts(finding, report), commands)

    def _walk_facts(self, finding: Finding | None, report: Report | None) -> dict[str, Any]:
        """The facts a walkthrough of `finding` starts from: what `report` decides, the files
        and --connect the run was given, what the finding implies (`walk_facts`, the core's)."""
        return walk_facts(finding, report, self.known)

    def on_diagnosis_failed(self, message: DiagnosisFailed) -> None:
        if message.run != self.run_id or not self.running:
            return
        self.running = False
        self.error, self.error_code = message.error, message.code
        self.error_detail = message.detail
        self.dashboard.show_failure(message.error)
        for screen in self._rechecking():
            screen.recheck_done(None, message.error)
        self._notify(message.error, title="Diagnosis failed", severity="error", timeout=10)

    def _rechecking(self) -> list[WalkthroughScreen]:
        return [s for s in self.screen_stack
                if isinstance(s, WalkthroughScreen) and s.recheck_state == "running"]

    def on_recheck_requested(self, message: RecheckRequested) -> None:
        self.action_rerun()

    def _export_dialog(self) -> ExportScreen | None:
        return next((s for s in self.screen_stack if isinstance(s, ExportScreen)), None)

    def on_export_requested(self, message: ExportRequested) -> None:
        report = self.report
        if report is None:  # cannot happen: the dialog opens on a report
            dialog = self._export_dialog()
            if dialog is not None:
                dialog.export_failed("no report to export")
            return
        choice = message.choice
        self.export_report(report, choice.fmt, choice.path, choice.redact)

    def on_export_done(self, message: ExportDone) -> None:
        self.last_export = message.path
        dialog = self._export_dialog()
        if dialog is not None:
            dialog.export_written()
        what = f"redacted {message.fmt}" if message.redacted else message.fmt
        self._notify(f"{what} report written to {message.path}", title="Exported", timeout=8)

    def on_export_failed(self, message: ExportFailed) -> None:
        """The dialog stays open with the reason (another name can be tried)."""
        dialog = self._export_dialog()
        if dialog is not None:
            dialog.export_failed(message.error)
        self._notify(message.error, title="Export failed", severity="error", timeout=10)

    # -- the AWS tasks: traffic (`t`), fix plans (`a`), carry-out and rollback ---------------

    def _aws_target(self, refused: str) -> AwsTarget | None:
        """The diagnosed custom domain in AWS, or None after one notification saying why there
        is none (`refused`: what the key does not do, e.g. `no traffic to read`)."""
        target = aws_target(self.options, self.demo, self.report)
        if isinstance(target, str):
            self._notify(f"{refused}: {target}", severity="warning")
            return None
        return dataclasses.replace(target, pacing=self.fix_pacing)

    def _aws_thread(self, kind: str, title: str, timeout: float,
                    work: Callable[[int, Deadline], Message]) -> None:
        """Run `work(task, deadline)` in a daemon thread of its own (it only reads AWS; its
        deadline is cancelled when the app closes) and post the message it returns, or
        `AwsTaskFailed` with the one-line reason."""
        self.aws_task += 1
        task = self.aws_task
        deadline = Deadline(timeout)
        self.aws_busy[kind] = task
        self.aws_deadlines[task] = deadline

        def run() -> None:
            try:
                message = work(task, deadline)
            except InputError as exc:
                message = AwsTaskFailed(task, title, str(exc))
            except Exception as exc:  # noqa: BLE001 - shown to the user, never a crash of the TUI
                message = AwsTaskFailed(task, title, f"{type(exc).__name__}: {exc}")
            self._post(message)

        threading.Thread(target=run, name=f"mtls-doctor-tui-{kind}-{task}", daemon=True).start()

    def _task_ended(self, task: int) -> str | None:
        """The kind of the running task `task`, now ended (None: not a task still awaited)."""
        kind = next((k for k, t in self.aws_busy.items() if t == task), None)
        if kind is not None:
            del self.aws_busy[kind]
        self.aws_deadlines.pop(task, None)
        return kind

    def _open_made(self, screen: Screen[None]) -> None:
        """Show a screen a task made: now on the dashboard, else when it is back on top."""
        if self.screen is self.dashboard:
            self.push_screen(screen)
            return
        self.pending.append(screen)
        self._notify("ready: it opens when you are back on the dashboard", timeout=5)

    def open_pending(self) -> None:
        """The screens the tasks made while another screen was on top (the dashboard is back)."""
        if self.pending and self.screen is self.dashboard:
            self.push_screen(self.pending.pop(0))

    def action_traffic(self) -> None:
        """The diagnosed domain's traffic (the last 24 hours of its stages' access logs), read
        in a thread within the run's deadline; a notification while it runs."""
        target = self._aws_target("no traffic to read")
        if target is None:
            return
        if "traffic" in self.aws_busy:
            self._notify(f"already reading the traffic of {target.name}", severity="warning")
            return
        self._notify(f"reading the traffic of {target.name} (the last 24 hours of its access "
                     "logs)…", title="Traffic", timeout=target.timeout)
        self._aws_thread("traffic", "Traffic not read", target.timeout,
                         lambda task, deadline: TrafficRead(
                             task, aws_tasks.read_traffic(target, deadline)))

    def on_traffic_read(self, message: TrafficRead) -> None:
        from mtls_doctor.traffic.model import Traffic
        from mtls_doctor.tui.screens.traffic import TrafficScreen

        if self._task_ended(message.task) is None:
            return
        traffic = message.report.payload.get("traffic")
        if not isinstance(traffic, Traffic):  # cannot happen: `traffic` always makes one
            self._notify("the traffic report holds no traffic", severity="error")
            return
        self._open_made(TrafficScreen(traffic))

    def on_traffic_screen_walkthrough_requested(
            self, message: TrafficScreen.WalkthroughRequested) -> None:
        """A refusal's walkthrough (the diagnosis's finding of that id, when it has one, gives
        the walk its facts and fix commands)."""
        finding = _finding(self.report, message.finding)
        # a refusal the diagnosis does not report has nothing a re-run could show gone
        self._walk(message.walkthrough, finding, message.finding if finding is not None else None)

    def action_fix(self) -> None:
        """The fix plans for the selected finding (a dry run), then the fix screen."""
        self.open_fix(self.dashboard.selected)

    def open_fix(self, selected: FindingView | None) -> None:
        """Build the plans `fix` makes for `selected` (a dry run: the pre-flight only reads) in
        a thread, then open the fix screen; nothing is written without its typed consent."""
        from mtls_doctor.apply.plan import finding_key
        from mtls_doctor.tui.screens.fix import FixScreen

        if any(isinstance(s, FixScreen) for s in self.screen_stack):
            self.notify("a fix screen is open: close it first", severity="warning",
                        markup=False)
            return
        target = self._aws_target("nothing to fix in AWS")
        if target is None:
            return
        report, shown = self.report, self.shown
        if report is None or shown is None:
            self.notify("the diagnosis has not finished yet", severity="warning", markup=False)
            return
        if selected is None:
            self.notify("select a finding first", severity="warning", markup=False)
            return
        facts = target.facts
        if facts is None or not facts.found:
            self._notify(f"nothing to fix in AWS: the custom domain {target.name} was not read "
                         "(see the domain collector)", severity="warning")
            return
        if "plans" in self.aws_busy:
            self._notify("already planning a fix", severity="warning")
            return
        finding = shown.finding(selected)
        key = finding_key(finding.id, finding.evidence)
        findings = list(report.findings)
        self._notify(f"planning the fixes for {finding.id} on {target.name} (a dry run: "
                     "nothing is changed)…", title="Fix", timeout=target.timeout)
        self._aws_thread("plans", "Fix not planned", target.timeout,
                         lambda task, deadline: PlansBuilt(
                             task, target, aws_tasks.build_fix(target, facts, findings,
                                                               deadline),
                             key, facts, findings))

    def on_plans_built(self, message: PlansBuilt) -> None:
        from mtls_doctor.tui.screens.fix import FixScreen

        if self._task_ended(message.task) is None:
            return
        screen = FixScreen(message.fix, message.key)
        self.fix_job = FixJob(screen, message.target, message.facts, message.findings)
        self._open_made(screen)

    def on_aws_task_failed(self, message: AwsTaskFailed) -> None:
        if self._task_ended(message.task) is None:
            return
        self._notify(message.error, title=message.title, severity="error", timeout=10)

    def _fix_job(self, screen: object) -> FixJob | None:
        job = self.fix_job
        return job if job is not None and job.screen is screen else None

    def on_fix_screen_apply_requested(self, message: FixScreen.ApplyRequested) -> None:
        """The domain name was typed on the fix screen: carry its plans out."""
        job = self._fix_job(self.screen)
        if job is None:  # cannot happen: the fix screen posts it, on top
            return
        self.aws_task += 1
        job.task = self.aws_task
        self.carry_out(job, job.task, message)

    def on_fix_screen_rollback_requested(self, message: FixScreen.RollbackRequested) -> None:
        """`yes` was typed after a failure: roll the journalled run back."""
        job = self._fix_job(self.screen)
        if job is None:
            return
        self.aws_task += 1
        job.task = self.aws_task
        self.carry_out(job, job.task, message)

    @work(thread=True, exclusive=True, group="fix", exit_on_error=False)
    def carry_out(self, job: FixJob, task: int,
                  asked: FixScreen.ApplyRequested | FixScreen.RollbackRequested) -> None:
        """The carry-out (or the rollback) the fix screen asked for, its progress lines posted
        one by one. A Textual worker: the app waits for it when it closes."""
        from mtls_doctor.tui.screens.fix import FixScreen

        def progress(line: str) -> None:
            self._post(FixProgress(task, line))

        try:
            if isinstance(asked, FixScreen.ApplyRequested):
                outcome = aws_tasks.carry_out(job.target, asked.fix, job.facts, job.findings,
                                              progress)
            else:
                outcome = aws_tasks.roll_back(job.target, asked.domain, asked.region,
                                              asked.run_id, progress)
        except Exception as exc:  # noqa: BLE001 - the screen says it, in one line
            error = str(exc) if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"
            self._post(FixFailed(task, error))
        else:
            self._post(FixFinished(task, outcome,
                                   rollback=isinstance(asked, FixScreen.RollbackRequested)))

    def _fix_task(self, task: int) -> FixScreen | None:
        job = self.fix_job
        if job is None or job.task != task or not job.screen.is_attached:
            return None
        return job.screen

    def on_fix_progress(self, message: FixProgress) -> None:
        screen = self._fix_task(message.task)
        if screen is not None:
            screen.progress(message.line)

    def on_fix_finished(self, message: FixFinished) -> None:
        screen = self._fix_task(message.task)
        if screen is None:
            return
        if message.rollback:
            screen.rolled_back(message.outcome)
        else:
            screen.carried_out(message.outcome)
        if self.can_run:  # the domain changed (or may have): show its new state
            self._notify("running the diagnosis again for the domain's new state",
                         title="Fix", timeout=5)
            self.action_rerun()

    def on_fix_failed(self, message: FixFailed) -> None:
        screen = self._fix_task(message.task)
        if screen is not None:
            screen.failed(message.error)
        self._notify(message.error, title="Fix could not run", severity="error", timeout=10)

    # -- actions ----------------------------------------------------------------------------

    def _busy(self) -> bool:
        """Work is running that quitting cancels (here: a collector)."""
        return self.running

    def _final_report(self) -> Report | None:
        """The report whose exit code quitting exits with (here: the run's)."""
        return self.report

    def _cancel_for_quit(self) -> None:
        """Cancel the running work, and say so on screen."""
        self._cancel_run()
        self.dashboard.show_cancelled()

    @property
    def exit_code(self) -> int:
        """What quitting now exits with: 130 while work runs (it is cancelled), the report's
        code once it is in, 2 or 3 when the run failed (bad input, a bug), 0 when nothing was
        run."""
        if self._busy():
            return CANCELLED
        report = self._final_report()
        if report is not None:
            return report.exit_code
        if self.error is not None:
            return self.error_code or 2
        return 0

    async def action_quit(self) -> None:
        """Quit now (ctrl+c; `q` on the first screen, which asks first mid-run). Mid-run the
        work is cancelled and nothing is reported: exit 130; else the report's exit code."""
        code = self.exit_code
        if code == CANCELLED:
            self.cancelled = True
            self._cancel_for_quit()
        self.exit(code)

    def action_rerun(self) -> None:
        """Run the whole diagnosis again."""
        if not self.can_run:
            self.notify("nothing to run again: no options were given", severity="warning",
                        markup=False)
            return
        self.dashboard.start(self.dashboard.target, self._collectors(), self._timeout())
        self._start()

    def action_toggle_dark_mode(self) -> None:
        """Switch between textual's dark and light themes."""
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def action_help(self) -> None:
        """The key bindings."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_export(self) -> None:
        """Ask for a format and a path, then write the report there."""
        report = self.report
        if report is None:
            self.notify("the diagnosis has not finished yet", severity="warning", markup=False)
            return
        if isinstance(self.screen, ExportScreen):
            return
        self.push_screen(ExportScreen(inputs=self.inputs()))

    def action_certificates(self) -> None:
        """Every certificate of the report, with a filter (one viewer per report, installed at
        the first use and shown again: its list is not made anew at each visit)."""
        shown = self.shown
        if shown is None:
            self.notify("the diagnosis has not finished yet", severity="warning", markup=False)
            return
        if isinstance(self.screen, CertificatesScreen):
            return
        if not self.is_screen_installed(CERTIFICATES_SCREEN):
            self.install_screen(CertificatesScreen(shown.view.certificates), CERTIFICATES_SCREEN)
        self.push_screen(CERTIFICATES_SCREEN)

    def action_walkthrough(self) -> None:
        """The selected finding's walkthrough, one question at a time."""
        self.open_walkthrough(self.dashboard.selected)

    def open_walkthrough(self, finding: FindingView | Finding | None) -> None:
        """`finding`'s walkthrough (a finding of the view on screen, or of the report), one
        question at a time (or why there is none)."""
        if finding is None:
            self.notify("select a finding first", severity="warning", markup=False)
            return
        if isinstance(finding, FindingView):
            if self.shown is None:  # cannot happen: a finding of a view is on screen
                return
            finding = self.shown.finding(finding)
        if not finding.walkthrough:
            self._notify(f"{finding.id} has no walkthrough", severity="warning")
            return
        self._walk(finding.walkthrough, finding, finding.id)

    def _walk(self, walkthrough: str, finding: Finding | None, finding_id: str | None) -> None:
        """Open the walkthrough `walkthrough` for `finding_id` (`finding`, when the report has
        it, gives its facts and fix commands): one walkthrough screen, shown again."""
        try:
            tree = load_tree(walkthrough)
        except WalkthroughError as exc:
            self._notify(str(exc), severity="error")
            return
        facts = self._walk_facts(finding, self.report)
        commands = _commands(finding) if finding is not None else ()
        if self.is_screen_installed(WALKTHROUGH_SCREEN):
            screen = self.get_screen(WALKTHROUGH_SCREEN)
            if screen in self.screen_stack:  # (the palette, from a walkthrough)
                self.notify("a walkthrough is open: close it first (escape)",
                            severity="warning", markup=False)
                return
            assert isinstance(screen, WalkthroughScreen)
            screen.begin(tree, facts, finding_id, commands)
        else:
            self.install_screen(WalkthroughScreen(tree, facts, finding_id, commands),
                                WALKTHROUGH_SCREEN)
        self.push_screen(WALKTHROUGH_SCREEN)

    def _files(self) -> dict[str, str | None]:
        """The files and --connect the diagnosis is given (the demo lab tells its own when it
        starts), for the walkthroughs' commands."""
        if self.options is None or self.demo:
            return {}
        return _known(self.options)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Rerun", "Run the diagnosis again", self.action_rerun)
        yield SystemCommand("Export", "Write the report as text, JSON, Markdown or HTML",
                            self.action_export)
        yield SystemCommand("Walkthrough", "Walk the selected finding's decision tree",
                            self.action_walkthrough)
        yield SystemCommand("Certificates", "Every certificate of the report",
                            self.action_certificates)
        yield SystemCommand("Traffic", "Who calls the diagnosed custom domain, who is refused "
                            "and why (its access logs, from AWS)", self.action_traffic)
        yield SystemCommand("Fix", "The AWS calls that fix the selected finding (a dry run; "
                            "applied only once you type the domain name)", self.action_fix)
        yield SystemCommand("Toggle dark mode", "Switch between the dark and the light theme",
                            self.action_toggle_dark_mode)
        yield SystemCommand("Help", "Key bindings", self.action_help)


def _known(options: DiagnoseOptions) -> dict[str, str | None]:
    """What a run's options tell the walkthroughs (`walkthroughs.facts.KNOWN_KEYS`)."""
    return {"cert_file": options.cert, "key_file": options.key, "chain_file": options.chain,
            "truststore_file": options.truststore, "connect": options.connect}


def _finding(report: Report | None, finding_id: str | None) -> Finding | None:
    """The first finding of `report` with this id."""
    if report is None or finding_id is None:
        return None
    return next((f for f in report.findings if f.id == finding_id), None)


def _commands(finding: Finding) -> tuple[str, ...]:
    """The finding's fix commands (none without a fix)."""
    return tuple(finding.fix.commands) if finding.fix is not None else ()
