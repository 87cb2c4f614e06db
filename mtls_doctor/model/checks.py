"""Every check, declared once: its id, its title, the findings that fail or warn it, and the
facts it needs. Its status is derived from the evidence, so no check can pass on a fact that
was never collected (the contract's "Honest results"). Each command shows the checks of its
family (`checks_of("probe")`); `diagnose` shows those of every collector it ran."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from mtls_doctor.model.evidence import Attempt, Status
from mtls_doctor.model.finding import Check, CheckStatus, Finding, Severity
from mtls_doctor.model.frozen import frozen


@frozen
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
            said = [a.reason for f in spec.needs if (a := evidence.get(f)) is not None
                    and a.answered and a.reason]
            # facts read the same way say so once ("from the snapshot", not twice)
            out.append(Check(spec.id, spec.title, CheckStatus.PASS,
                             "; ".join(dict.fromkeys(said)) or "ok"))
    return tuple(out)


# --- the table ------------------------------------------------------------------------------------

#: findings that carry the step they happened in (`evidence.step`)
_STEP_FINDINGS = ("PROBE_CONNECTION_RESET", "PROBE_NOT_TLS")


def _at_step(*steps: str) -> Callable[[Finding], bool]:
    """A reset or a non-TLS answer counts against the check of the step it happened in (a port
    that answers in plain text does answer: that is the handshake's failure, not the
    connect's)."""
    return lambda f: f.id not in _STEP_FINDINGS or f.evidence.get("step") in steps


_LINT_IDS = ("TRUSTSTORE_NOT_PEM", "TRUSTSTORE_EMPTY", "TRUSTSTORE_DUPLICATE", "TRUSTSTORE_EXPIRED",
             "TRUSTSTORE_NOT_YET_VALID", "TRUSTSTORE_EXPIRES_SOON",
             "TRUSTSTORE_WEAK_SIGNATURE_HASH", "TRUSTSTORE_WEAK_RSA_KEY",
             "TRUSTSTORE_UNSUPPORTED_KEY", "TRUSTSTORE_BAD_SIGNATURE", "TRUSTSTORE_MISSING_ISSUER",
             "TRUSTSTORE_CHAIN_TOO_LONG", "TRUSTSTORE_NOT_CA", "TRUSTSTORE_PATH_LEN_EXCEEDED",
             "TRUSTSTORE_PEM_ENCODING", "CERT_MALFORMED", "CERT_NOT_A_CERTIFICATE",
             "CERT_PRIVATE_KEY_PRESENT", "CERT_NONSTANDARD")

CHECKS: tuple[CheckSpec, ...] = (
    # inspect FILE [--host]
    check("inspect.decode", "certificates decode",
          "CERT_MALFORMED", "CERT_NOT_A_CERTIFICATE", "CERT_PRIVATE_KEY_PRESENT"),
    check("inspect.rfc5280", "RFC 5280 conformance", "CERT_NONSTANDARD"),
    check("inspect.hostname", "certificate covers the host name", "SERVER_HOSTNAME_MISMATCH",
          needs=("host",)),
    # truststore SOURCE: API Gateway's rules
    check("truststore.format", "one PEM file of certificates only",
          "TRUSTSTORE_NOT_PEM", "TRUSTSTORE_EMPTY", "CERT_PRIVATE_KEY_PRESENT",
          "CERT_NOT_A_CERTIFICATE", "TRUSTSTORE_PEM_ENCODING"),
    check("truststore.syntax", "X.509 syntax", "CERT_MALFORMED", "CERT_NONSTANDARD",
          "TRUSTSTORE_DUPLICATE"),
    check("truststore.signatures", "signature integrity", "TRUSTSTORE_BAD_SIGNATURE"),
    check("truststore.chains", "every chain reaches a root in the bundle",
          "TRUSTSTORE_MISSING_ISSUER", "TRUSTSTORE_NOT_CA", "TRUSTSTORE_PATH_LEN_EXCEEDED"),
    check("truststore.chain_length", "at most four CAs on a path", "TRUSTSTORE_CHAIN_TOO_LONG"),
    check("truststore.validity", "validity", "TRUSTSTORE_EXPIRED", "TRUSTSTORE_NOT_YET_VALID",
          "TRUSTSTORE_EXPIRES_SOON"),
    check("truststore.algorithms", "SHA-256+, RSA-2048+, ECDSA P-256/P-384",
          "TRUSTSTORE_WEAK_SIGNATURE_HASH", "TRUSTSTORE_WEAK_RSA_KEY",
          "TRUSTSTORE_UNSUPPORTED_KEY"),
    # verify-client: the verdict
    check("client.verdict", "API Gateway accepts the certificate", "CLIENT_REJECTED"),
    check("client.chain", "the truststore alone completes the path", "CLIENT_CHAIN_IGNORED"),
    check("client.key", "the private key belongs to the certificate", "CLIENT_KEY_MISMATCH",
          needs=("key",)),
    check("client.usage", "marked for TLS client authentication", "CLIENT_NO_CLIENT_AUTH_EKU"),
    check("client.validity", "not about to expire", "CLIENT_EXPIRES_SOON"),
    check("client.revocation", "not revoked by its CA (CRL / OCSP; API Gateway does not check)",
          "CLIENT_REVOKED", "CLIENT_REVOCATION_UNKNOWN", needs=("revocation",)),
    # probe: one per step. PROBE_TIMEOUT fails no check: a step cut short by the deadline
    # decided nothing, so the checks that need it are `unknown`, and the finding says what
    # timed out.
    check("probe.connect", "name resolves and the port answers",
          "PROBE_DNS_FAILED", "PROBE_CONNECTION_REFUSED", *_STEP_FINDINGS,
          needs=("dns", "connect"), claims=_at_step("dns", "connect")),
    check("probe.tls", "TLS handshake (1.2 or newer)", "PROBE_HANDSHAKE_FAILED",
          "SERVER_TLS_BELOW_1_2", *_STEP_FINDINGS, needs=("handshake",),
          claims=_at_step("handshake")),
    check("probe.server_certificate", "served certificate covers the host and is valid",
          "SERVER_HOSTNAME_MISMATCH", "SERVER_CERT_EXPIRED", "SERVER_CERT_UNTRUSTED",
          "SERVER_CHAIN_INCOMPLETE", needs=("server_hello",)),
    check("probe.client_auth", "server asks for a client certificate", "MTLS_NOT_REQUESTED",
          "MTLS_NO_CLIENT_CERT_GIVEN", needs=("server_hello",)),
    check("probe.client_certificate", "server accepts the client certificate",
          "MTLS_CLIENT_CERT_REJECTED", "CLIENT_KEY_MISMATCH", needs=("client_outcome",)),
    check("probe.http", "HTTP answer", "HTTP_FORBIDDEN", *_STEP_FINDINGS, needs=("http",),
          claims=_at_step("request", "response")),
    # domain: the custom domain in AWS
    check("domain.found", "the custom domain exists", "DOMAIN_NOT_FOUND", needs=("domain",)),
    check("domain.status", "domain status AVAILABLE",
          "DOMAIN_STATUS_PENDING_CERTIFICATE_REIMPORT", "DOMAIN_STATUS_PENDING_OWNERSHIP_VERIFICATION",
          "DOMAIN_STATUS_FAILED", "DOMAIN_STATUS_UPDATING", "DOMAIN_STATUS_PENDING",
          needs=("status",)),
    check("domain.mtls", "mTLS on a REGIONAL TLS_1_2 domain", "DOMAIN_MTLS_DISABLED",
          "DOMAIN_NOT_REGIONAL", "DOMAIN_SECURITY_POLICY_INCOMPATIBLE",
          "DOMAIN_STRICT_ACCESS_MODE", needs=("view",)),
    check("domain.certificates", "ACM certificates issued and valid", "DOMAIN_CERT_NOT_ISSUED",
          "DOMAIN_CERT_EXPIRES_SOON", "DOMAIN_OWNERSHIP_CERT_MISSING",
          "DOMAIN_OWNERSHIP_CERT_INVALID", "DOMAIN_OWNERSHIP_CERT_IN_USE", "DOMAIN_ISSUER_CONFLICT",
          needs=("certificate", "ownership_certificate", "issuer_conflicts")),
    check("domain.truststore", "truststore object readable and current",
          "DOMAIN_TRUSTSTORE_UNREADABLE", "DOMAIN_TRUSTSTORE_STALE",
          "DOMAIN_TRUSTSTORE_VERSIONING_OFF", "DOMAIN_TRUSTSTORE_WARNING",
          "DOMAIN_TRUSTSTORE_UNPINNED", needs=("truststore_object", "truststore_versions")),
    check("domain.truststore_content", "truststore content follows API Gateway's rules",
          *_LINT_IDS, needs=("truststore_content",)),
    check("domain.mappings", "mapped APIs reachable only through mTLS", "DOMAIN_NO_MAPPINGS",
          "DOMAIN_EXECUTE_API_ENABLED", needs=("mappings", "routing_rules", "mapped_apis")),
    check("domain.access_logs", "mapped stages log the client certificate and the error",
          "DOMAIN_ACCESS_LOGS_MISSING", "DOMAIN_ACCESS_LOG_FORMAT_INCOMPLETE", needs=("stages",)),
    check("domain.revocation", "an authorizer can check client certificate revocation",
          "DOMAIN_REVOCATION_NOT_CHECKED", needs=("authorizers",)),
    check("domain.dns", "the name resolves to the domain", "DOMAIN_DNS_ELSEWHERE", needs=("dns",)),
    check("domain.aws", "every AWS call answered", "AWS_NO_CREDENTIALS", "AWS_ACCESS_DENIED",
          "AWS_THROTTLED", "AWS_UNREACHABLE", "AWS_ERROR", "AWS_REGION_NOT_ENABLED",
          needs=("aws",)),
    # traffic NAME: the access logs of the domain's stages
    check("traffic.domain", "the custom domain exists", "DOMAIN_NOT_FOUND", needs=("domain",)),
    check("traffic.logging", "every stage logs access to CloudWatch with the client certificate",
          "DOMAIN_ACCESS_LOGS_MISSING", "DOMAIN_ACCESS_LOG_FORMAT_INCOMPLETE",
          "TRAFFIC_LOGS_UNREADABLE", needs=("stages",)),
    check("traffic.window", "the window's log events were read and understood",
          "TRAFFIC_WINDOW_PARTIAL", "TRAFFIC_LOG_LINES_UNPARSED", needs=("log_events",)),
    check("traffic.refusals", "no request refused for its client certificate or with 401/403",
          "TRAFFIC_REFUSALS", needs=("log_events",)),
    check("traffic.verdicts", "every client certificate seen passes today's truststore",
          "TRAFFIC_CLIENT_REJECTED", "TRAFFIC_CERTS_NOT_JUDGED", "DOMAIN_TRUSTSTORE_UNREADABLE",
          needs=("log_events", "truststore_content", "certificates")),
    check("traffic.expiry", "no client certificate in use expires within --warn-days",
          "TRAFFIC_CLIENT_EXPIRES_SOON", needs=("log_events", "cert_validity")),
    check("traffic.rotation", "the candidate truststore accepts every client in use",
          "TRAFFIC_ROTATION_BREAKS_CLIENT", needs=("candidate",)),
    check("traffic.aws", "every AWS call answered", "AWS_NO_CREDENTIALS", "AWS_ACCESS_DENIED",
          "AWS_THROTTLED", "AWS_UNREACHABLE", "AWS_ERROR", "AWS_REGION_NOT_ENABLED",
          needs=("aws",)),
    # iac PATH: the templates' custom domains, before they deploy (`--compare`: and live)
    check("iac.files", "every template under PATH parses", "IAC_TEMPLATE_UNREADABLE",
          needs=("files",)),
    check("iac.truststore", "the truststore version is pinned, to what the template uploads",
          "IAC_TRUSTSTORE_UNPINNED", "IAC_TRUSTSTORE_VERSION_NOT_LINKED", needs=("truststore",)),
    check("iac.endpoint", "mTLS on a REGIONAL TLS_1_2 domain", "IAC_NOT_REGIONAL",
          "IAC_SECURITY_POLICY_INCOMPATIBLE", needs=("endpoint",)),
    check("iac.ownership", "an ownership verification certificate where the certificate "
          "needs one", "IAC_OWNERSHIP_CERT_MISSING", needs=("certificate_kind",)),
    check("iac.execute_api", "mapped APIs reachable only through mTLS",
          "IAC_EXECUTE_API_ENABLED", needs=("mapped_apis",)),
    check("iac.access_logs", "mapped stages log the client certificate and the error",
          "IAC_ACCESS_LOGS_MISSING", "IAC_ACCESS_LOG_FORMAT_INCOMPLETE", needs=("mapped_stages",)),
    check("iac.replacement", "the plan replaces no custom domain", "IAC_DOMAIN_REPLACED",
          needs=("plan",)),
    check("iac.drift", "the templates match the live domains (--compare)", "IAC_DRIFT",
          needs=("live",)),
    check("iac.aws", "every AWS call answered", "AWS_NO_CREDENTIALS", "AWS_ACCESS_DENIED",
          "AWS_THROTTLED", "AWS_UNREACHABLE", "AWS_ERROR", "AWS_REGION_NOT_ENABLED",
          needs=("aws",)),
    # diagnose: what needs facts from more than one collector
    check("diagnose.served_certificate", "the served certificate is the domain's configured one",
          "SERVER_FQDN_INSTEAD_OF_WILDCARD", "SERVER_CERT_NOT_CONFIGURED_ONE",
          needs=("served_chain", "configured_certificate")),
)


def checks_of(family: str) -> tuple[CheckSpec, ...]:
    """The checks of one command's family (`probe`, `domain`, `truststore`, `client`,
    `inspect`, and `diagnose` for the rules across collectors), in the order they are
    listed."""
    return tuple(c for c in CHECKS if c.id.partition(".")[0] == family)
