"""What the AWS reading of a custom domain collected: the contract's DOMAIN object and the
facts behind it. Everything is plain data, so a snapshot can be saved and replayed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from mtls_doctor.model.evidence import Attempt


@dataclass(frozen=True)
class Mtls:
    """The domain's mutualTlsAuthentication."""

    truststore_uri: str
    truststore_version: str | None
    truststore_warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mapping:
    """A base path mapping (REST) or API mapping (HTTP), and whether the mapped API still
    answers on its default execute-api endpoint (None: could not be read)."""

    api_id: str
    stage: str | None
    base_path: str
    execute_api_endpoint_disabled: bool | None
    api_name: str | None = None
    api_type: str = "rest"


@dataclass(frozen=True)
class AcmCertificate:
    """ACM's view of one certificate."""

    arn: str
    status: str | None
    type: str | None
    subject: str | None
    issuer: str | None
    domain_name: str | None
    sans: tuple[str, ...] = ()
    not_before: datetime | None = None
    not_after: datetime | None = None
    renewal_status: str | None = None
    renewal_reason: str | None = None
    in_use_by: tuple[str, ...] = ()
    key_algorithm: str | None = None
    #: ACM's `aa:bb:...` serial, to tell whether a served certificate is this one
    serial: str | None = None


@dataclass(frozen=True)
class TruststoreObject:
    """The truststore object in S3: versioning, the latest version and the configured one."""

    bucket: str
    key: str
    versioning: str  # Enabled | Suspended | Never
    latest_version: str | None
    configured_version: str | None
    latest_modified: datetime | None = None
    configured_modified: datetime | None = None
    #: the configured version's bytes (certificates only: public), None when unreadable; kept
    #: out of reports (`report: False`), saved in snapshots
    content: bytes | None = field(default=None, repr=False, metadata={"report": False})


@dataclass(frozen=True)
class DomainFacts:
    """The custom domain as AWS describes it (both APIs asked; `api_type` says whose view)."""

    name: str
    region: str | None
    region_source: str  # option | dns | profile | scan | snapshot
    #: None when the lookup failed: then nothing is known about the domain (see `evidence`)
    found: bool | None
    api_type: str | None = None  # rest | http
    endpoint_type: str | None = None
    status: str | None = None
    status_message: str | None = None
    security_policy: str | None = None
    certificate_arn: str | None = None
    ownership_verification_certificate_arn: str | None = None
    regional_domain_name: str | None = None
    hosted_zone_id: str | None = None
    mtls: Mtls | None = None
    mappings: tuple[Mapping, ...] = ()
    mappings_read: bool = False
    certificates: dict[str, AcmCertificate] = field(default_factory=dict)
    issuer_conflicts: tuple[AcmCertificate, ...] = ()
    truststore_object: TruststoreObject | None = None
    dns_addresses: tuple[str, ...] = ()
    dns_canonical: str | None = None
    regional_addresses: tuple[str, ...] = ()
    #: every AWS call made, ok or not; `call` is `service.Operation` (e.g. `s3.GetObject`)
    attempts: tuple[Attempt, ...] = ()
    account_id: str | None = None
    #: each fact the checks need (`domain`, `certificate`, `truststore_object`, ...) and the
    #: attempt that collected it, or why it could not be
    evidence: dict[str, Attempt] = field(default_factory=dict)
    #: other regions where a custom domain of this name exists (found by the region scan)
    also_found_in: tuple[str, ...] = ()

    @property
    def failures(self) -> tuple[Attempt, ...]:
        """The calls that did not answer (not-found answers are facts, not failures)."""
        return tuple(a for a in self.attempts if a.failed)
