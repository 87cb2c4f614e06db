"""Checks declared once: an id, a title, the findings that fail or warn it, and the facts it
needs. Its status is derived from the evidence, so no check can pass on a fact that was never
collected (the contract's "Honest results")."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from mtls_doctor.model.evidence import Attempt, Status
from mtls_doctor.model.finding import Check, CheckStatus, Finding, Severity


@dataclass(frozen=True)
class CheckSpec:
    """A line of the checks list: the finding ids that make it fail or warn (`claims` narrows
    them, e.g. a timeout counts against the step it happened in) and the facts it `needs`."""

    id: str
    title: str
    finding_ids: frozenset[str]
    needs: tuple[str, ...] = ()
    claims: Callable[[Finding], bool] | None = None

    def owns(self, finding: Finding) -> bool:
        """Whether `finding` counts against this check."""
        return finding.id in self.finding_ids and (self.claims is None or self.claims(finding))


def check(check_id: str, title: str, *ids: str, needs: Sequence[str] = (),
          claims: Callable[[Finding], bool] | None = None) -> CheckSpec:
    """Shorthand for a `CheckSpec`."""
    return CheckSpec(check_id, title, frozenset(ids), tuple(needs), claims)


def _missing(spec: CheckSpec, evidence: Mapping[str, Attempt]) -> tuple[Attempt | None, Attempt | None]:
    """(the first needed fact that could not be collected, the first that does not apply)."""
    failed = not_applicable = None
    applicable = False
    for fact in spec.needs:
        attempt = evidence.get(fact)
        if attempt is None:
            attempt = Attempt(fact, Status.CANCELLED, "never collected")
        if attempt.status is Status.SKIPPED:
            not_applicable = not_applicable or attempt
        elif attempt.failed:
            failed = failed or attempt
        else:
            applicable = True
    if failed is None and applicable:
        not_applicable = None  # a fact that does not apply does not stop the others
    return failed, not_applicable


def derive_checks(specs: Sequence[CheckSpec], findings: Sequence[Finding],
                  evidence: Mapping[str, Attempt] | None = None) -> tuple[Check, ...]:
    """Each check fails by an error finding it owns; else it is `unknown` when a fact it needs
    could not be collected (even with warnings: part of it was never looked at), `warn` by a
    warning finding, `skip` when none of its facts applies, and `pass` only when every fact it
    needs was collected."""
    evidence = evidence or {}
    out = []
    for spec in specs:
        mine = [f for f in findings if spec.owns(f)]
        errors = sum(f.severity is Severity.ERROR for f in mine)
        warnings = sum(f.severity is Severity.WARNING for f in mine)
        failed, not_applicable = _missing(spec, evidence)
        if errors:
            out.append(Check(spec.id, spec.title, CheckStatus.FAIL,
                             f"{errors} error(s)" + (f", {warnings} warning(s)" if warnings else "")))
        elif failed is not None:
            seen = f"{warnings} warning(s) so far; " if warnings else ""
            out.append(Check(spec.id, spec.title, CheckStatus.UNKNOWN,
                             f"{seen}could not be decided: {failed.describe()}"))
        elif warnings:
            out.append(Check(spec.id, spec.title, CheckStatus.WARN, f"{warnings} warning(s)"))
        elif not_applicable is not None:
            out.append(Check(spec.id, spec.title, CheckStatus.SKIP, not_applicable.reason))
        else:
            out.append(Check(spec.id, spec.title, CheckStatus.PASS, "ok"))
    return tuple(out)
