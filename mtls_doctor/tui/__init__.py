"""The Textual front end of `mtls-doctor diagnose` / `demo`: start form, dashboard, finding
detail, walkthrough (with re-check), certificate viewer and export screens on top of the headless
core.

Importing this package does not import textual; `run_tui` does, when it is called, so that the
command line stays fast and `textual` stays optional for every other command.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mtls_doctor.diagnose.run import DiagnoseOptions
    from mtls_doctor.model.report import Report
    from mtls_doctor.tui.app import MtlsDoctorApp
    from mtls_doctor.tui.fleet_app import Scan

#: how long the process waits, after a quit mid-run, for the cancelled collectors to return
GRACE = 0.3


def run_tui(options: DiagnoseOptions | None = None, *, demo: bool = False) -> int:
    """Run the TUI until the user quits and return the exit code: the report's; 130 when quit
    while a collector still ran; 2 (bad input) or 3 (a bug) when the run failed, with the one
    line on stderr; 0 when nothing was run. Without options and without `demo` it opens the
    start form first.

    A quit mid-run cancels the run's deadline, so every collector returns at its next wait.
    One still blocked after `GRACE` would hold the process (the interpreter joins the
    diagnosis's executor threads at exit): then the process ends at once (`end_without`)."""
    from mtls_doctor.tui.app import MtlsDoctorApp

    app = MtlsDoctorApp(options, demo=demo)
    return _run(app, lambda: (app.target if app.run_id > 0 else None, app.report))


def run_fleet_tui(scan: Scan, *, timeout: float, inputs: Sequence[str] = (),
                  what: str = "scan") -> int:
    """`scan` at a terminal: the fleet view until the user quits; the exit code (the scan's;
    130 when quit mid-scan; 2 or 3 when the scan failed, with its one line on stderr), after
    the one-line summary, as `run_tui` does. A quit mid-scan cancels the scan's deadline and
    ends the process at once if a call does not notice (`end_without`)."""
    from mtls_doctor.tui.fleet_app import FleetApp

    app = FleetApp(scan, timeout=timeout, inputs=inputs, what=what)
    return _run(app, lambda: (app.scan_target, app.scan_report))


def _run(app: MtlsDoctorApp, shown: Callable[[], tuple[str | None, Report | None]]) -> int:
    """Run `app` until the user quits, then print the one-line summary (`shown()`: what was
    diagnosed, None before any run, and its report), the failure's line when the run could
    not run, and end the process at once if a cancelled run still holds it; the exit code."""
    result = app.run()
    code = result if isinstance(result, int) else 0
    target, report = shown()
    print(exit_summary(target, report, code, app.last_export, cancelled=app.cancelled,
                       failed=app.error is not None), flush=True)
    if app.error is not None and code in (2, 3):
        _say_failure(app.error, code, app.error_detail)
    if app.cancelled:
        end_without(app.run_threads, code)
    return code


def exit_summary(target: str | None, report: Report | None, code: int,
                 export: Path | None = None, *, cancelled: bool = False,
                 failed: bool = False) -> str:
    """The one line `run_tui` prints once the terminal is restored: what was diagnosed, the
    counts (errors, warnings, info, checks that could not be decided), the exit code, and where
    the report was exported. Outside text (the target, the path) is made safe (`safe_text`)."""
    from mtls_doctor.model.finding import CheckStatus, Severity
    from mtls_doctor.safe import safe_text

    if target is None:
        return f"mtls-doctor: nothing was diagnosed; exit {code}"
    head = f"mtls-doctor: {safe_text(target)}: "
    if report is None:
        why = "cancelled, nothing was decided" if cancelled else \
            "no report (the diagnosis failed)" if failed else "no report"
        return f"{head}{why}; exit {code}"
    undecided = sum(1 for c in report.checks
                    if c.status is CheckStatus.UNKNOWN and not c.id.startswith("collect."))
    counts = (f"{report.count(Severity.ERROR)} error(s), {report.count(Severity.WARNING)} "
              f"warning(s), {report.count(Severity.INFO)} info, {undecided} undecided check(s)")
    where = f"; report written to {safe_text(export)}" if export is not None else ""
    return f"{head}{counts}; exit {code}{where}"


def _say_failure(error: str, code: int, detail: str | None) -> None:
    """The failed run's one line on stderr, as the command line says it (exit 2: the reason;
    exit 3: a bug, and where its details were written)."""
    from mtls_doctor.tui.render import clean

    if code == 3 and detail:
        fd, path = tempfile.mkstemp(prefix="mtls-doctor-crash-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(f"mtls-doctor TUI, Python {sys.version}\n\n{detail}")
        sys.stderr.write(f"mtls-doctor: internal error ({clean(error)}), a bug: details written "
                         f"to {clean(path)}; please report it\n")
    else:
        sys.stderr.write(f"mtls-doctor: {clean(error)}\n")


def end_without(threads: Sequence[threading.Thread], code: int, grace: float = GRACE) -> None:
    """After a quit mid-run: give the cancelled diagnosis threads `grace` seconds to return;
    when one is still alive (a call that does not see the cancellation), end the process now
    with `code`, streams flushed, rather than let the interpreter wait for it at exit.

    Why `os._exit`: the thread cannot be stopped from outside, and `concurrent.futures` joins
    its executor threads at interpreter exit whether or not they are daemons, so neither a
    daemon thread nor `sys.exit` ends the process. `os._exit` skips atexit handlers and
    `finally` blocks of the abandoned threads (the demo lab's temporary files may stay); the
    TUI has already restored the terminal, and nothing else is owed to the user: nothing was
    reported."""
    end = time.monotonic() + grace
    for thread in threads:
        thread.join(max(0.0, end - time.monotonic()))
    if any(thread.is_alive() for thread in threads):
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)


__all__ = ["end_without", "exit_summary", "run_fleet_tui", "run_tui"]
