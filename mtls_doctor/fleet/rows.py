"""One fleet row and the expiry dates of one domain, read from the domain's own report (the
findings and checks of `domain`'s rules) and facts: nothing here decides a finding again."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from mtls_doctor.fleet.model import CALENDAR_DAYS, Discovered, Expiry, FleetRow
from mtls_doctor.model.certificate import CertSummary
from mtls_doctor.model.domain import DomainFacts
from mtls_doctor.model.finding import CheckStatus, Severity
from mtls_doctor.model.report import Report

_DECIDED = (CheckStatus.PASS, CheckStatus.WARN, CheckStatus.FAIL)


def _check(report: Report, check_id: str) -> CheckStatus | None:
    return next((c.status for c in report.checks if c.id == check_id), None)


def truststore_certificates(report: Report) -> Sequence[CertSummary]:
    """The certificates of the truststore version the domain uses, as its report decoded them."""
    ts = report.payload.get("truststore")
    certs = ts.get("certificates") if isinstance(ts, dict) else None
    return [c for c in certs or () if isinstance(c, CertSummary)]


def _truststore_state(facts: DomainFacts, report: Report, ids: set[str]) -> str:
    if facts.found is not True:
        return "unknown"
    if facts.mtls is None:
        return "off"
    if "DOMAIN_TRUSTSTORE_UNPINNED" in ids:
        return "unpinned"
    if "DOMAIN_TRUSTSTORE_STALE" in ids:
        return "stale"
    return "current" if _check(report, "domain.truststore") in _DECIDED else "unknown"


def row_of(where: Discovered, facts: DomainFacts, report: Report) -> FleetRow:
    """The fleet row of one diagnosed domain."""
    ids = {f.id for f in report.findings}
    found = facts.found is True
    cas = [c for c in truststore_certificates(report) if c.is_ca and c.not_after is not None]
    earliest = min(cas, key=lambda c: c.not_after or datetime.max) if cas else None
    mappings = _check(report, "domain.mappings")
    if "DOMAIN_EXECUTE_API_ENABLED" in ids:
        open_: bool | None = True
    elif mappings in _DECIDED or mappings is CheckStatus.SKIP:
        open_ = False if found else None
    else:
        open_ = None
    return FleetRow(
        account=where.account, account_id=where.account_id, region=where.region,
        name=where.name, api_type=facts.api_type if found else None,
        endpoint_type=facts.endpoint_type if found else where.endpoint_type,
        status=facts.status if found else None,
        mtls=(facts.mtls is not None) if found else None,
        truststore=_truststore_state(facts, report, ids),
        truststore_version=facts.mtls.truststore_version if found and facts.mtls else None,
        earliest_ca_expiry=earliest.not_after if earliest else None,
        earliest_ca_subject=earliest.subject if earliest else None,
        execute_api_open=open_,
        truststore_warnings=(len(facts.mtls.truststore_warnings) if facts.mtls else 0)
        if found else None,
        errors=report.count(Severity.ERROR), warnings=report.count(Severity.WARNING),
        unknown_checks=sum(c.status is CheckStatus.UNKNOWN for c in report.checks),
        domain_name_id=facts.domain_name_id or where.domain_name_id)


def expiries(where: Discovered, facts: DomainFacts, report: Report, at: datetime,
             days: int = CALENDAR_DAYS) -> list[Expiry]:
    """The domain's dates within `days` of `at` (and those already past): the truststore's CA
    certificates, the domain certificate and the ownership verification certificate."""
    horizon = at + timedelta(days=days)
    out: list[Expiry] = []

    def add(when: datetime | None, kind: str, subject: str | None, ref: str | None) -> None:
        if when is not None and when <= horizon:
            out.append(Expiry(when, (when - at).days,
                              kind, where.account, where.region, where.name, subject, ref))

    for cert in truststore_certificates(report):
        if cert.is_ca:
            add(cert.not_after, "truststore_ca", cert.subject, cert.location)
    for arn, kind in ((facts.certificate_arn, "domain_certificate"),
                      (facts.ownership_verification_certificate_arn, "ownership_certificate")):
        acm = facts.certificates.get(arn) if arn else None
        if acm is not None:
            add(acm.not_after, kind, acm.subject or acm.domain_name, arn)
    return out


def calendar(entries: Iterable[Expiry]) -> tuple[Expiry, ...]:
    """Every date, soonest first."""
    return tuple(sorted(entries, key=lambda e: (e.not_after, e.account, e.region, e.domain,
                                                e.kind)))


def undiagnosed(where: Discovered) -> FleetRow:
    """The row of a domain the deadline left unread: every fact unknown."""
    return FleetRow(where.account, where.account_id, where.region, where.name,
                    where.api_types[0] if len(where.api_types) == 1 else None,
                    where.endpoint_type, None, None, "unknown", None, None, None, None, None,
                    0, 0, 0, diagnosed=False, domain_name_id=where.domain_name_id)
