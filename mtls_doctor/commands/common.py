"""What the commands share: reading inputs, and turning findings into the checks list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mtls_doctor.model.finding import Check, CheckStatus, Finding, Severity
from mtls_doctor.pki.load import LoadedFile, load_certificates
from mtls_doctor.source import read_source


@dataclass(frozen=True)
class CheckSpec:
    """A line of the checks list and the finding ids that make it fail or warn."""

    id: str
    title: str
    finding_ids: frozenset[str]


def check(check_id: str, title: str, *ids: str) -> CheckSpec:
    """Shorthand for a `CheckSpec`."""
    return CheckSpec(check_id, title, frozenset(ids))


def derive_checks(specs: Sequence[CheckSpec], findings: Sequence[Finding],
                  skipped: Sequence[str] = ()) -> tuple[Check, ...]:
    """Each check fails or warns by the worst finding among its ids; without one it passes,
    or is skipped when it could not be judged (`skipped`)."""
    out = []
    for spec in specs:
        mine = [f for f in findings if f.id in spec.finding_ids]
        errors = sum(f.severity is Severity.ERROR for f in mine)
        warnings = sum(f.severity is Severity.WARNING for f in mine)
        if errors:
            out.append(Check(spec.id, spec.title, CheckStatus.FAIL,
                             f"{errors} error(s)" + (f", {warnings} warning(s)" if warnings else "")))
        elif warnings:
            out.append(Check(spec.id, spec.title, CheckStatus.WARN, f"{warnings} warning(s)"))
        elif spec.id in skipped:
            out.append(Check(spec.id, spec.title, CheckStatus.SKIP, "not run"))
        else:
            out.append(Check(spec.id, spec.title, CheckStatus.PASS, "ok"))
    return tuple(out)


def load_input(spec: str, what: str, password: bytes | None, *, profile: str | None = None,
               region: str | None = None) -> LoadedFile:
    """Read a file or `s3://` source and decode every certificate in it."""
    src = read_source(spec, what, profile=profile, region=region)
    return load_certificates(src.data, src.name, password=password)


def source_info(loaded: LoadedFile, at: datetime) -> dict[str, Any]:
    """The `source` object of a payload: which file, what encoding, evaluated when."""
    return {"name": loaded.source, "container": str(loaded.container), "at": at}
