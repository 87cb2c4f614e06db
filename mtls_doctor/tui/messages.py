"""What the app's diagnosis thread and export worker post back to the app (they never touch
widgets themselves); the screens' and widgets' own messages are declared where they are posted."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

from mtls_doctor.diagnose.run import CollectorRun
from mtls_doctor.model.report import Report

if TYPE_CHECKING:
    from mtls_doctor.probe.run import ProbeStep
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
