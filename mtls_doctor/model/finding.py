"""Findings, fixes and checks: what every command reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from enum import StrEnum
from typing import Any

from mtls_doctor.model.frozen import frozen


class Severity(StrEnum):
    """How bad a finding is. Any `error` makes the command exit with code 1."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class CheckStatus(StrEnum):
    """The outcome of one check, as shown in the checks list."""

    PASS = "pass"  # noqa: S105 - a check status, not a password
    WARN = "warn"
    FAIL = "fail"
    #: not wanted, or not applicable (`--no-aws`, no `--cert`): `detail` says which
    SKIP = "skip"
    #: wanted, but a fact it needs could not be collected: `detail` says what and why
    UNKNOWN = "unknown"


@frozen
class Fix:
    """What to do about a finding: a one-line summary, steps, and commands to copy."""

    summary: str
    steps: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()


@frozen
class Finding:
    """One observation with its evidence and fix. `id` is one of the contract's finding ids."""

    id: str
    severity: Severity
    title: str
    detail: str
    subject: str | None = None
    location: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    fix: Fix | None = None
    walkthrough: str | None = None


@frozen
class Check:
    """One line of the checks list: what was looked at and how it went."""

    id: str
    title: str
    status: CheckStatus
    detail: str = ""
