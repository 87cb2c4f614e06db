"""The answer to "would API Gateway accept this client certificate?"."""

from __future__ import annotations

from enum import StrEnum

from mtls_doctor.model.frozen import frozen


class VerdictReason(StrEnum):
    """The contract's verdict reasons, in the order a rejection reports them first."""

    OK = "OK"
    MALFORMED = "MALFORMED"
    ISSUER_NOT_IN_TRUSTSTORE = "ISSUER_NOT_IN_TRUSTSTORE"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    ISSUER_NOT_CA = "ISSUER_NOT_CA"
    CHAIN_TOO_LONG = "CHAIN_TOO_LONG"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    WEAK_SIGNATURE_HASH = "WEAK_SIGNATURE_HASH"
    WEAK_KEY = "WEAK_KEY"
    UNSUPPORTED_KEY = "UNSUPPORTED_KEY"
    OTHER = "OTHER"

    @property
    def rank(self) -> int:
        """Position in the reporting order: a rejection names its lowest-ranked problem first."""
        return list(VerdictReason).index(self)


@frozen
class PathProblem:
    """One reason a certificate path fails, pinned to the certificate that causes it."""

    reason: VerdictReason
    subject: str
    location: str
    detail: str
    #: for ISSUER_NOT_IN_TRUSTSTORE: the certificate the truststore lacks
    missing: str | None = None


@frozen
class Verdict:
    """API Gateway's predicted decision; `path` runs from the client certificate to the root."""

    accepted: bool
    reason: VerdictReason
    path: tuple[str, ...]
    detail: str
    problems: tuple[PathProblem, ...] = ()
