"""The Textual front end of `mtls-doctor diagnose` / `demo`: start form, dashboard, finding
detail, walkthrough (with re-check), certificate viewer and export screens on top of the headless
core.

Importing this package does not import textual; `run_tui` does, when it is called, so that the
command line stays fast and `textual` stays optional for every other command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mtls_doctor.diagnose.run import DiagnoseOptions


def run_tui(options: DiagnoseOptions | None = None, *, demo: bool = False) -> int:
    """Run the TUI until the user quits; the exit code is the report's (0 when quit early).
    Without options and without `demo` it opens the start form first."""
    from mtls_doctor.tui.app import MtlsDoctorApp

    result = MtlsDoctorApp(options, demo=demo).run()
    return result if isinstance(result, int) else 0


__all__ = ["run_tui"]
