"""`mtls-doctor demo`: the full diagnosis against the built-in lab (no AWS, no internet)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from mtls_doctor.deadline import Deadline
from mtls_doctor.diagnose.run import DiagnoseOptions, Progress, run_diagnosis
from mtls_doctor.model.report import Report

if TYPE_CHECKING:
    from mtls_doctor.probe.run import StepProgress


def run_demo(*, at: datetime, now: datetime, progress: Progress | None = None,
             timeout: float = 30.0, deadline: Deadline | None = None,
             probe_progress: StepProgress | None = None,
             lab_options: Callable[[DiagnoseOptions], None] | None = None) -> Report:
    """Start the lab, diagnose it like a real custom domain, stop the lab (`deadline`: the
    TUI's, which it cancels when the user quits mid-run; `probe_progress`: the probe's steps
    as they happen, as `run_diagnosis` tells them; `lab_options`: told the options the lab is
    diagnosed with, its --connect address and client files, for the walkthroughs' commands)."""
    from mtls_doctor.demo.lab import HOST, running_lab

    with running_lab() as lab:
        options = DiagnoseOptions(
            host=f"{HOST}:{lab.port}", at=at, now=now, connect=f"127.0.0.1:{lab.port}",
            cert=str(lab.client_cert), key=str(lab.client_key), aws_snapshot=str(lab.snapshot),
            timeout=timeout)
        if lab_options is not None:
            lab_options(options)
        report = run_diagnosis(options, progress, deadline=deadline,
                               probe_progress=probe_progress)
    return dataclasses.replace(report, command="demo")
