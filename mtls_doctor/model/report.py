"""One report model for every command and every output format."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from datetime import datetime
from typing import Any

from mtls_doctor.model.finding import Check, CheckStatus, Finding, Severity
from mtls_doctor.model.frozen import frozen


@frozen
class Report:
    """What a command found: checks, findings, and its payload (`certificates`, `verdict`, ...)."""

    command: str
    generated_at: datetime
    checks: tuple[Check, ...] = ()
    findings: tuple[Finding, ...] = ()
    payload: Mapping[str, Any] = field(default_factory=dict)
    #: a command whose exit code is not about findings (`explain`: 1 when nothing was recognised)
    status: int | None = None

    def count(self, severity: Severity) -> int:
        """How many findings have this severity."""
        return sum(1 for f in self.findings if f.severity is severity)

    @property
    def exit_code(self) -> int:
        """The contract's exit codes: 1 with an error finding, or with a check that was wanted
        but could not be decided (`unknown`); else 0."""
        if self.status is not None:
            return self.status
        undecided = any(c.status is CheckStatus.UNKNOWN for c in self.checks)
        return 1 if self.count(Severity.ERROR) or undecided else 0
