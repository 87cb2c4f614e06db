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
    from mtls_doctor.demo.lab import Lab
    from mtls_doctor.probe.run import StepProgress


def run_demo(*, at: datetime, now: datetime, progress: Progress | None = None,
             timeout: float = 30.0, deadline: Deadline | None = None,
             probe_progress: StepProgress | None = None,
             lab_options: Callable[[DiagnoseOptions], None] | None = None,
             lab: Lab | None = None) -> Report:
    """Start the lab, diagnose it like a real custom domain, stop the lab (`deadline`: the
    TUI's, which it cancels when the user quits mid-run; `probe_progress`: the probe's steps
    as they happen, as `run_diagnosis` tells them; `lab_options`: told the options the lab is
    diagnosed with, its --connect address and client files, for the walkthroughs' commands;
    `lab`: one already running, which the caller stops: the TUI's, kept while its commands,
    which name the lab's files and port, are on screen)."""
    from mtls_doctor.demo.lab import running_lab

    if lab is not None:
        return _diagnose_lab(lab, at, now, progress, timeout, deadline, probe_progress,
                             lab_options)
    with running_lab() as started:
        return _diagnose_lab(started, at, now, progress, timeout, deadline, probe_progress,
                             lab_options)


def _diagnose_lab(lab: Lab, at: datetime, now: datetime, progress: Progress | None,
                  timeout: float, deadline: Deadline | None,
                  probe_progress: StepProgress | None,
                  lab_options: Callable[[DiagnoseOptions], None] | None) -> Report:
    from mtls_doctor.demo.lab import HOST

    options = DiagnoseOptions(
        host=f"{HOST}:{lab.port}", at=at, now=now, connect=f"127.0.0.1:{lab.port}",
        cert=str(lab.client_cert), key=str(lab.client_key), aws_snapshot=str(lab.snapshot),
        timeout=timeout)
    if lab_options is not None:
        lab_options(options)
    report = run_diagnosis(options, progress, deadline=deadline, probe_progress=probe_progress)
    return dataclasses.replace(report, command="demo")
