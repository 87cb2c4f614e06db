"""What the AWS reading of a custom domain collected: the contract's DOMAIN object and the
facts behind it. Everything is plain data, so a snapshot can be saved and replayed."""

from __future__ import annotations

from dataclasses import field
from datetime import datetime

from mtls_doctor.model.evidence import Attempt
from mtls_doctor.model.frozen import frozen


@frozen
class Mtls:
    """The domain's mutualTlsAuthentication."""

    truststore_uri: str
    truststore_version: str | None
    truststore_warnings: tuple[str, ...] = ()


@frozen
class Mapping:
    """A base path mapping (REST) or API mapping (HTTP), and whether the mapped API still
    answers on its default execute-api endpoint (None: could not be read)."""

    api_id: str
    stage: str | None
    base_path: str
    execute_api_endpoint_disabled: bool | None
    api_name: str | None = None
    api_type: str = "rest"


@frozen
class RoutingRule:
    """A routing rule of the domain (apigatewayv2 ListRoutingRules): what it matches and the API
    stage it invokes, and whether that API still answers on its default execute-api endpoint
    (None: could not be read)."""

    rule_id: str
    priority: int | None
    api_id: str
    stage: str | None
    base_paths: tuple[str, ...] = ()
    #: header conditions as `header: glob`
    headers: tuple[str, ...] = ()
    execute_api_endpoint_disabled: bool | None = None
    api_name: str | None = None
    api_type: str = "rest"


@frozen
class Stage:
    """One stage the domain sends requests to: its access logging and whether it deploys
    itself (HTTP APIs' AutoDeploy). `found` False: the API says there is no such stage."""

    api_id: str
    api_type: str
    stage: str
    found: bool = True
    access_log_destination: str | None = None
    access_log_format: str | None = None
    auto_deploy: bool | None = None


@frozen
class Authorizers:
    """Whether an API the domain sends requests to has an authorizer that can see the client
    certificate (a Lambda authorizer of the REQUEST type: REST `GetAuthorizers`; HTTP routes
    whose AuthorizationType is CUSTOM: `GetRoutes`), and what it has instead."""

    api_id: str
    api_type: str
    #: an authorizer that receives the request context, client certificate included
    can_check_revocation: bool
    #: every authorizer or authorization type seen (`REQUEST: name`, `TOKEN: name`, `JWT`, ...)
    seen: tuple[str, ...] = ()
    #: routes (HTTP) without a Lambda authorizer, at most a few named
    unprotected: tuple[str, ...] = ()
    unprotected_count: int = 0


@frozen
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


@frozen
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
    #: the version id of a delete marker that is the key's current version: the object is
    #: deleted at latest (an unpinned domain's next update has nothing to read)
    latest_delete_marker: str | None = None


@frozen
class DomainFacts:
    """The custom domain as AWS describes it (both APIs asked; `api_type` says whose view)."""

    name: str
    region: str | None
    region_source: str  # option | dns | profile | scan | snapshot
    #: None when the lookup failed: then nothing is known about the domain (see `evidence`)
    found: bool | None
    api_type: str | None = None  # rest | http | websocket
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
    #: a private custom domain's id (GetDomainName needs it), None for public domains
    domain_name_id: str | None = None
    #: how requests reach APIs: BASE_PATH_MAPPING_ONLY / API_MAPPING_ONLY, ROUTING_RULE_ONLY,
    #: ROUTING_RULE_THEN_BASE_PATH_MAPPING / ROUTING_RULE_THEN_API_MAPPING (None: not reported,
    #: which AWS treats as mappings only)
    routing_mode: str | None = None
    #: BASIC or STRICT (clients must send SNI equal to the Host header); None: not reported
    endpoint_access_mode: str | None = None
    #: ipv4 or dualstack
    ip_address_type: str | None = None
    routing_rules: tuple[RoutingRule, ...] = ()
    routing_rules_read: bool = False
    #: each stage the domain sends requests to (through mappings or routing rules)
    stages: tuple[Stage, ...] = ()
    #: each API the domain sends requests to, read only when mutual TLS is on
    authorizers: tuple[Authorizers, ...] = ()

    @property
    def uses_mappings(self) -> bool:
        """Whether API Gateway routes requests through the mappings (every mode but
        ROUTING_RULE_ONLY)."""
        return (self.routing_mode or "").upper() != "ROUTING_RULE_ONLY"

    @property
    def uses_routing_rules(self) -> bool:
        """Whether API Gateway routes requests through routing rules (ROUTING_RULE_*)."""
        return (self.routing_mode or "").upper().startswith("ROUTING_RULE")

    @property
    def failures(self) -> tuple[Attempt, ...]:
        """The calls that did not answer (not-found answers are facts, not failures)."""
        return tuple(a for a in self.attempts if a.failed)
