"""One report model for every command and every output format."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mtls_doctor.model.finding import Check, Finding, Severity


@dataclass(frozen=True)
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
        """0 without error findings, 1 with at least one (the contract's exit codes)."""
        if self.status is not None:
            return self.status
        return 1 if self.count(Severity.ERROR) else 0
