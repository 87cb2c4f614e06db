"""`mtls-doctor HOST` / `mtls-doctor diagnose HOST`: the full diagnosis, headless."""

from __future__ import annotations

from mtls_doctor.diagnose.run import DiagnoseOptions, Progress, run_diagnosis
from mtls_doctor.model.report import Report


def run_diagnose_command(options: DiagnoseOptions, progress: Progress | None = None) -> Report:
    """Every collector at once, then the rules that need several of them."""
    return run_diagnosis(options, progress)
