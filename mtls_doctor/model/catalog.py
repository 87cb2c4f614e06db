"""The contract's finding ids with their default severity and walkthrough.

This table is the single place that says which ids exist. `make_finding` refuses an id that is not
here, and a test holds this table, docs/findings.md and the contract in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mtls_doctor.model.finding import Finding, Fix, Severity
from mtls_doctor.model.frozen import frozen

E, W, INF = Severity.ERROR, Severity.WARNING, Severity.INFO


@frozen
class FindingSpec:
    """Default severity and walkthrough of one finding id."""

    id: str
    severity: Severity
    walkthrough: str | None


_SPECS: tuple[tuple[str, Severity, str | None], ...] = (
    # Certificates and files
    ("CERT_MALFORMED", E, "truststore-update"),
    ("CERT_NOT_A_CERTIFICATE", E, "truststore-update"),
    ("CERT_PRIVATE_KEY_PRESENT", E, "truststore-update"),
    ("CERT_NONSTANDARD", W, "truststore-warnings"),
    # Truststore (API Gateway's rules)
    ("TRUSTSTORE_NOT_PEM", E, "truststore-update"),
    ("TRUSTSTORE_EMPTY", E, "truststore-update"),
    ("TRUSTSTORE_DUPLICATE", W, "truststore-update"),
    ("TRUSTSTORE_EXPIRED", E, "truststore-warnings"),
    ("TRUSTSTORE_NOT_YET_VALID", E, "truststore-warnings"),
    ("TRUSTSTORE_EXPIRES_SOON", W, "truststore-update"),
    ("TRUSTSTORE_WEAK_SIGNATURE_HASH", E, "truststore-warnings"),
    ("TRUSTSTORE_WEAK_RSA_KEY", E, "truststore-warnings"),
    ("TRUSTSTORE_UNSUPPORTED_KEY", E, "truststore-warnings"),
    ("TRUSTSTORE_BAD_SIGNATURE", E, "truststore-warnings"),
    ("TRUSTSTORE_MISSING_ISSUER", E, "truststore-warnings"),
    ("TRUSTSTORE_CHAIN_TOO_LONG", E, "truststore-warnings"),
    ("TRUSTSTORE_NOT_CA", W, "truststore-warnings"),
    ("TRUSTSTORE_PATH_LEN_EXCEEDED", E, "truststore-warnings"),
    ("TRUSTSTORE_PEM_ENCODING", W, "truststore-update"),
    # Client certificate
    ("CLIENT_REJECTED", E, "client-rejected"),
    ("CLIENT_KEY_MISMATCH", E, "client-rejected"),
    ("CLIENT_CHAIN_IGNORED", W, "client-rejected"),
    ("CLIENT_NO_CLIENT_AUTH_EKU", W, "client-rejected"),
    ("CLIENT_EXPIRES_SOON", W, "client-rejected"),
    # Live connection
    ("PROBE_DNS_FAILED", E, None),
    ("PROBE_CONNECTION_REFUSED", E, None),
    ("PROBE_TIMEOUT", E, None),
    ("PROBE_CONNECTION_RESET", E, "client-rejected"),
    ("PROBE_NOT_TLS", E, None),
    ("PROBE_HANDSHAKE_FAILED", E, "client-rejected"),
    ("SERVER_HOSTNAME_MISMATCH", E, "wrong-certificate"),
    ("SERVER_FQDN_INSTEAD_OF_WILDCARD", E, "wrong-certificate"),
    ("SERVER_CERT_NOT_CONFIGURED_ONE", W, "wrong-certificate"),
    ("SERVER_CERT_EXPIRED", E, "wrong-certificate"),
    ("SERVER_CERT_UNTRUSTED", W, "wrong-certificate"),
    ("SERVER_CHAIN_INCOMPLETE", W, "wrong-certificate"),
    ("SERVER_TLS_BELOW_1_2", E, None),
    ("MTLS_NOT_REQUESTED", E, "mtls-not-enforced"),
    ("MTLS_CLIENT_CERT_REJECTED", E, "client-rejected"),
    ("MTLS_NO_CLIENT_CERT_GIVEN", INF, None),
    ("HTTP_FORBIDDEN", W, "client-rejected"),
    # AWS
    ("DOMAIN_NOT_FOUND", E, None),
    ("DOMAIN_STATUS_PENDING_CERTIFICATE_REIMPORT", E, "domain-status"),
    ("DOMAIN_STATUS_PENDING_OWNERSHIP_VERIFICATION", E, "domain-status"),
    ("DOMAIN_STATUS_FAILED", E, "domain-status"),
    ("DOMAIN_STATUS_UPDATING", W, "domain-status"),
    ("DOMAIN_STATUS_PENDING", W, "domain-status"),
    ("DOMAIN_MTLS_DISABLED", E, "mtls-not-enforced"),
    ("DOMAIN_NOT_REGIONAL", E, "mtls-not-enforced"),
    ("DOMAIN_SECURITY_POLICY_INCOMPATIBLE", E, "mtls-not-enforced"),
    ("DOMAIN_TRUSTSTORE_WARNING", W, "truststore-warnings"),
    ("DOMAIN_TRUSTSTORE_STALE", W, "truststore-update"),
    ("DOMAIN_TRUSTSTORE_UNREADABLE", E, "truststore-update"),
    ("DOMAIN_TRUSTSTORE_VERSIONING_OFF", W, "truststore-update"),
    ("DOMAIN_OWNERSHIP_CERT_MISSING", E, "domain-status"),
    ("DOMAIN_OWNERSHIP_CERT_INVALID", E, "domain-status"),
    ("DOMAIN_CERT_NOT_ISSUED", E, "domain-status"),
    ("DOMAIN_CERT_EXPIRES_SOON", W, "domain-status"),
    ("DOMAIN_ISSUER_CONFLICT", E, "issuer-conflict"),
    ("DOMAIN_EXECUTE_API_ENABLED", E, "mtls-not-enforced"),
    ("DOMAIN_NO_MAPPINGS", W, None),
    ("DOMAIN_DNS_ELSEWHERE", E, "mtls-not-enforced"),
    ("DOMAIN_TRUSTSTORE_UNPINNED", W, "truststore-update"),
    ("DOMAIN_STRICT_ACCESS_MODE", INF, "wrong-certificate"),
    ("DOMAIN_OWNERSHIP_CERT_IN_USE", E, "domain-status"),
    ("DOMAIN_ACCESS_LOGS_MISSING", W, None),
    ("DOMAIN_ACCESS_LOG_FORMAT_INCOMPLETE", W, None),
    ("DOMAIN_REVOCATION_NOT_CHECKED", INF, None),
    ("CLIENT_REVOKED", E, "client-rejected"),
    ("CLIENT_REVOCATION_UNKNOWN", W, "client-rejected"),
    # Traffic (`traffic NAME`: the access logs of the domain's stages)
    ("TRAFFIC_REFUSALS", W, "client-rejected"),
    ("TRAFFIC_CLIENT_REJECTED", W, "client-rejected"),
    ("TRAFFIC_ROTATION_BREAKS_CLIENT", E, "truststore-update"),
    ("TRAFFIC_CLIENT_EXPIRES_SOON", W, "client-rejected"),
    ("TRAFFIC_CERTS_NOT_JUDGED", W, None),
    ("TRAFFIC_WINDOW_PARTIAL", W, None),
    ("TRAFFIC_LOG_LINES_UNPARSED", W, None),
    ("TRAFFIC_LOGS_UNREADABLE", W, None),
    # Infrastructure as code (`iac PATH`: Terraform, CloudFormation/SAM, CDK before deploying)
    ("IAC_TRUSTSTORE_UNPINNED", W, "truststore-update"),
    ("IAC_TRUSTSTORE_VERSION_NOT_LINKED", W, "truststore-update"),
    ("IAC_OWNERSHIP_CERT_MISSING", E, "domain-status"),
    ("IAC_NOT_REGIONAL", E, "mtls-not-enforced"),
    ("IAC_SECURITY_POLICY_INCOMPATIBLE", E, "mtls-not-enforced"),
    ("IAC_EXECUTE_API_ENABLED", E, "mtls-not-enforced"),
    ("IAC_ACCESS_LOGS_MISSING", W, None),
    ("IAC_ACCESS_LOG_FORMAT_INCOMPLETE", W, None),
    ("IAC_DOMAIN_REPLACED", E, None),
    ("IAC_VALUE_UNRESOLVED", INF, None),
    ("IAC_TEMPLATE_UNREADABLE", W, None),
    ("IAC_DRIFT", W, None),
    # AWS calls that failed: never a verdict about the domain; the checks that needed them are
    # `unknown`
    ("AWS_NO_CREDENTIALS", W, None),
    ("AWS_ACCESS_DENIED", E, None),
    ("AWS_THROTTLED", E, None),
    ("AWS_UNREACHABLE", E, None),
    ("AWS_REGION_NOT_ENABLED", INF, None),
    ("AWS_ERROR", E, None),
)

#: ids the contract lists that no rule produces yet (none now: issue 11 made the last ones);
#: docs/findings.md marks any such id so
RESERVED: frozenset[str] = frozenset()

CATALOG: Mapping[str, FindingSpec] = {i: FindingSpec(i, s, w) for i, s, w in _SPECS}

WALKTHROUGHS: tuple[str, ...] = (
    "truststore-warnings",
    "issuer-conflict",
    "domain-status",
    "wrong-certificate",
    "client-rejected",
    "mtls-not-enforced",
    "truststore-update",
    "disable-mtls",
)


def make_finding(
    finding_id: str,
    title: str,
    detail: str,
    *,
    subject: str | None = None,
    location: str | None = None,
    evidence: Mapping[str, Any] | None = None,
    fix: Fix | None = None,
    severity: Severity | None = None,
) -> Finding:
    """Build a finding of a catalogued id, with its default severity and walkthrough."""
    spec = CATALOG[finding_id]
    return Finding(
        id=finding_id,
        severity=severity or spec.severity,
        title=title,
        detail=detail,
        subject=subject,
        location=location,
        evidence=dict(evidence or {}),
        fix=fix,
        walkthrough=spec.walkthrough,
    )
