"""What the app's diagnosis thread, export worker and AWS tasks (traffic, fix plans, carry-out,
rollback) post back to the app (they never touch widgets themselves); the screens' and widgets'
own messages are declared where they are posted."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

from mtls_doctor.diagnose.run import CollectorRun
from mtls_doctor.model.report import Report

if TYPE_CHECKING:
    from mtls_doctor.apply.plan import FixPlan, Outcome
    from mtls_doctor.model.domain import DomainFacts
    from mtls_doctor.model.finding import Finding
    from mtls_doctor.probe.run import ProbeStep
    from mtls_doctor.tui.aws_tasks import AwsTarget
    from mtls_doctor.tui.screens import ExportChoice
    from mtls_doctor.tui.shown import Shown


class CollectorFinished(Message):
    """One collector of run `run` finished (`ok`, or any other status: no success)."""

    def __init__(self, run: int, attempt: CollectorRun) -> None:
        super().__init__()
        self.run = run
        self.attempt = attempt


class ProbeStepped(Message):
    """The probe of run `run` began or ended a step (DNS, connect, handshake, HTTP)."""

    def __init__(self, run: int, step: ProbeStep) -> None:
        super().__init__()
        self.run = run
        self.step = step


class DiagnosisDone(Message):
    """Run `run` finished with its report, the report's view (`shown`, built in the run's
    thread) and what the run was given (`known`: its files and --connect, for the
    walkthroughs' commands; `walkthroughs.facts.KNOWN_KEYS`)."""

    def __init__(self, run: int, report: Report, shown: Shown | None = None,
                 known: Mapping[str, str | None] | None = None) -> None:
        super().__init__()
        self.run = run
        self.report = report
        self.shown = shown
        self.known = dict(known or {})


class DiagnosisFailed(Message):
    """Run `run` could not finish: the one-line reason, the exit code it means (2: bad input,
    3: a bug) and, for a bug, the traceback."""

    def __init__(self, run: int, error: str, code: int = 2, detail: str | None = None) -> None:
        super().__init__()
        self.run = run
        self.error = error
        self.code = code
        self.detail = detail


class ExportRequested(Message):
    """The export dialog asks the app to write the report as `choice` says (the dialog stays
    open until ExportDone or ExportFailed)."""

    def __init__(self, choice: ExportChoice) -> None:
        super().__init__()
        self.choice = choice


class ExportDone(Message):
    """The report was written to `path`."""

    def __init__(self, path: Path, fmt: str, redacted: bool = False) -> None:
        super().__init__()
        self.path = path
        self.fmt = fmt
        self.redacted = redacted


class ExportFailed(Message):
    """The report could not be written: the one-line reason."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class RecheckRequested(Message):
    """A walkthrough leaf asks for the diagnosis to run again (to see if its finding is gone)."""


class TrafficRead(Message):
    """Task `task` (the `t` key) read the domain's traffic: the `traffic` report."""

    def __init__(self, task: int, report: Report) -> None:
        super().__init__()
        self.task = task
        self.report = report


class PlansBuilt(Message):
    """Task `task` (the `a` key) built the fix plans (a dry run) for the finding `key`
    (`apply.plan.finding_key`) of the domain `target`, from its `facts` and the report's
    `findings`."""

    def __init__(self, task: int, target: AwsTarget, fix: FixPlan, key: str,
                 facts: DomainFacts, findings: list[Finding]) -> None:
        super().__init__()
        self.task = task
        self.target = target
        self.fix = fix
        self.key = key
        self.facts = facts
        self.findings = findings


class AwsTaskFailed(Message):
    """Task `task` (reading the traffic, building the plans) could not finish: what it was
    (`title`) and the one-line reason."""

    def __init__(self, task: int, title: str, error: str) -> None:
        super().__init__()
        self.task = task
        self.title = title
        self.error = error


class FixProgress(Message):
    """One progress line of task `task`'s carry-out or rollback (a call sent, a wait, a poll)."""

    def __init__(self, task: int, line: str) -> None:
        super().__init__()
        self.task = task
        self.line = line


class FixFinished(Message):
    """Task `task`'s carry-out (or, with `rollback`, its rollback) ended: its outcome."""

    def __init__(self, task: int, outcome: Outcome, rollback: bool = False) -> None:
        super().__init__()
        self.task = task
        self.outcome = outcome
        self.rollback = rollback


class FixFailed(Message):
    """Task `task`'s carry-out or rollback could not run: the one-line reason."""

    def __init__(self, task: int, error: str) -> None:
        super().__init__()
        self.task = task
        self.error = error
