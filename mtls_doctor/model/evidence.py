"""Evidence: what each call or step of a collector did, so that a check can tell a fact that was
collected from one that could not be (sslyze's ScanCommandAttempt, one record per call).

A check passes only on facts whose attempt is `ok` (or an answer such as `not_found`); a fact
whose attempt failed makes its checks `unknown`, with the attempt's reason.
"""

from __future__ import annotations

from enum import StrEnum

from mtls_doctor.model.frozen import frozen


class Status(StrEnum):
    """How one call or step went."""

    OK = "ok"
    #: an answer: the thing asked about does not exist (a domain, an object version)
    NOT_FOUND = "not_found"
    DENIED = "denied"
    NO_CREDENTIALS = "no_credentials"
    THROTTLED = "throttled"
    UNREACHABLE = "unreachable"
    TIMED_OUT = "timed_out"
    #: an answer that does not have the shape the service model gives it
    MALFORMED = "malformed"
    ERROR = "error"
    REGION_NOT_ENABLED = "region_not_enabled"
    CANCELLED = "cancelled"
    #: not wanted, or not applicable (`--no-aws`, no `--cert`, mTLS off): not a failure
    SKIPPED = "skipped"

    @property
    def answered(self) -> bool:
        """The call produced a fact (a result, or a definite "there is none")."""
        return self in (Status.OK, Status.NOT_FOUND)

    @property
    def failed(self) -> bool:
        """The fact could not be collected."""
        return not self.answered and self is not Status.SKIPPED


@frozen
class Attempt:
    """One call or step: what was asked (`call`, e.g. `s3.GetObject` or `probe.handshake`), how
    it went, and why (`reason`, one line). AWS calls also name the IAM action and error code."""

    call: str
    status: Status
    reason: str = ""
    action: str = ""
    code: str = ""
    region: str | None = None

    @property
    def answered(self) -> bool:
        return self.status.answered

    @property
    def failed(self) -> bool:
        return self.status.failed

    def describe(self) -> str:
        """`s3.GetObject: denied (AccessDenied: ...)`: the call, its status and its reason."""
        if self.status is Status.OK:
            return f"{self.call}: ok"
        why = f" ({self.reason})" if self.reason else ""
        return f"{self.call}: {self.status.value.replace('_', ' ')}{why}"


def ok(call: str, region: str | None = None) -> Attempt:
    """A call that answered."""
    return Attempt(call, Status.OK, region=region)


def skipped(call: str, reason: str) -> Attempt:
    """A fact that was not wanted or does not apply, and why."""
    return Attempt(call, Status.SKIPPED, reason)
