"""`mtls-doctor domain NAME`: the custom domain's whole mTLS state in AWS, explained."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from mtls_doctor.commands.common import source_info
from mtls_doctor.errors import InputError
from mtls_doctor.model.certificate import CertSummary
from mtls_doctor.model.checks import check, derive_checks
from mtls_doctor.model.domain import DomainFacts
from mtls_doctor.model.evidence import skipped as skip_fact
from mtls_doctor.model.finding import Finding
from mtls_doctor.model.report import Report
from mtls_doctor.pki.fixes import UploadTarget
from mtls_doctor.pki.load import load_certificates
from mtls_doctor.pki.truststore import lint_truststore
from mtls_doctor.report.json import to_primitive
from mtls_doctor.source import read_file

CHECKS = (
    check("domain.found", "the custom domain exists", "DOMAIN_NOT_FOUND"),
    check("domain.status", "domain status AVAILABLE",
          "DOMAIN_STATUS_PENDING_CERTIFICATE_REIMPORT", "DOMAIN_STATUS_PENDING_OWNERSHIP_VERIFICATION",
          "DOMAIN_STATUS_FAILED", "DOMAIN_STATUS_UPDATING", "DOMAIN_STATUS_PENDING"),
    check("domain.mtls", "mTLS on a REGIONAL TLS_1_2 domain", "DOMAIN_MTLS_DISABLED",
          "DOMAIN_NOT_REGIONAL", "DOMAIN_SECURITY_POLICY_INCOMPATIBLE"),
    check("domain.certificates", "ACM certificates issued and valid", "DOMAIN_CERT_NOT_ISSUED",
          "DOMAIN_CERT_EXPIRES_SOON", "DOMAIN_OWNERSHIP_CERT_MISSING",
          "DOMAIN_OWNERSHIP_CERT_INVALID", "DOMAIN_ISSUER_CONFLICT"),
    check("domain.truststore", "truststore object readable and current",
          "DOMAIN_TRUSTSTORE_UNREADABLE", "DOMAIN_TRUSTSTORE_STALE",
          "DOMAIN_TRUSTSTORE_VERSIONING_OFF", "DOMAIN_TRUSTSTORE_WARNING"),
    check("domain.truststore_content", "truststore content follows API Gateway's rules",
          "TRUSTSTORE_NOT_PEM", "TRUSTSTORE_EMPTY", "TRUSTSTORE_DUPLICATE", "TRUSTSTORE_EXPIRED",
          "TRUSTSTORE_NOT_YET_VALID", "TRUSTSTORE_EXPIRES_SOON", "TRUSTSTORE_WEAK_SIGNATURE_HASH",
          "TRUSTSTORE_WEAK_RSA_KEY", "TRUSTSTORE_UNSUPPORTED_KEY", "TRUSTSTORE_BAD_SIGNATURE",
          "TRUSTSTORE_MISSING_ISSUER", "TRUSTSTORE_CHAIN_TOO_LONG", "TRUSTSTORE_NOT_CA",
          "TRUSTSTORE_PATH_LEN_EXCEEDED", "TRUSTSTORE_PEM_ENCODING", "CERT_MALFORMED",
          "CERT_NOT_A_CERTIFICATE", "CERT_PRIVATE_KEY_PRESENT", "CERT_NONSTANDARD"),
    check("domain.mappings", "mapped APIs reachable only through mTLS", "DOMAIN_NO_MAPPINGS",
          "DOMAIN_EXECUTE_API_ENABLED"),
    check("domain.dns", "the name resolves to the domain", "DOMAIN_DNS_ELSEWHERE"),
    check("domain.aws", "every AWS call answered", "AWS_NO_CREDENTIALS", "AWS_ACCESS_DENIED",
          "AWS_ERROR"),
)


def domain_payload(facts: DomainFacts) -> dict[str, Any]:
    """The contract's DOMAIN object (the truststore's bytes stay out of it)."""
    doc: dict[str, Any] = to_primitive(facts)
    if doc.get("truststore_object"):
        doc["truststore_object"].pop("content", None)
    return doc


def truststore_of(facts: DomainFacts, at: datetime, warn_days: int
                  ) -> tuple[dict[str, Any] | None, tuple[CertSummary, ...], tuple[Finding, ...]]:
    """Decode and lint the configured truststore version, when it could be read."""
    ts = facts.truststore_object
    if ts is None or ts.content is None:
        return None, (), ()
    name = f"s3://{ts.bucket}/{ts.key}" + (f"?versionId={ts.configured_version}"
                                           if ts.configured_version else "")
    loaded = load_certificates(ts.content, name)
    target = UploadTarget(ts.bucket, ts.key, ts.configured_version, facts.name, facts.region,
                          facts.api_type or "rest")
    lint = lint_truststore(loaded, at, warn_days, target)
    return ({"source": source_info(loaded, at), "certificates": lint.certificates},
            lint.certificates, lint.findings)


def collect_or_load(name: str, *, region: str | None, profile: str | None, timeout: float,
                    snapshot: str | None) -> DomainFacts:
    """Facts from AWS, or from a snapshot file (`--aws-snapshot`)."""
    if snapshot is not None:
        from mtls_doctor.aws.snapshot import loads

        facts = loads(read_file(snapshot, "AWS snapshot").data.decode("utf-8", "replace"),
                      snapshot)
        if facts.name != name.strip().rstrip(".").lower():
            raise InputError(f"{snapshot} holds the domain {facts.name}, not {name}")
        return facts
    from mtls_doctor.aws.collect import collect_domain

    return collect_domain(name, region=region, profile=profile, timeout=timeout)


def run_domain_command(name: str, *, at: datetime, now: datetime, region: str | None = None,
                       profile: str | None = None, timeout: float = 10.0, warn_days: int = 30,
                       save: str | None = None, snapshot: str | None = None) -> Report:
    """Read (or replay) the domain and explain it."""
    from mtls_doctor.aws.snapshot import dumps

    facts = collect_or_load(name, region=region, profile=profile, timeout=timeout,
                            snapshot=snapshot)
    if save is not None:
        try:
            Path(save).write_text(dumps(facts), encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write {save}: {exc.strerror}") from None
    return domain_report(facts, at=at, now=now, warn_days=warn_days)


def domain_report(facts: DomainFacts, *, at: datetime, now: datetime,
                  warn_days: int = 30) -> Report:
    """The domain report from facts already collected (diagnose reuses it)."""
    from mtls_doctor.aws.findings import domain_findings

    truststore, certificates, lint_findings = truststore_of(facts, at, warn_days)
    findings = [*domain_findings(facts, certificates, at=at, warn_days=warn_days),
                *lint_findings]
    skipped = [] if facts.found else [c.id for c in CHECKS
                                      if c.id not in ("domain.found", "domain.aws")]
    if facts.found and truststore is None:
        skipped.append("domain.truststore_content")
    if facts.found and facts.status is None:
        skipped.append("domain.status")  # the API did not report one
    if not facts.dns_addresses or not facts.regional_domain_name:
        skipped.append("domain.dns")  # nothing to compare: the name or the target did not resolve
    payload: dict[str, Any] = {"domain": domain_payload(facts)}
    if truststore is not None:
        payload["truststore"] = truststore
    return Report(command="domain", generated_at=now,
                  checks=derive_checks(CHECKS, findings, {c: skip_fact(c, "not run") for c in skipped}),
                  findings=tuple(findings),
                  payload=payload)
