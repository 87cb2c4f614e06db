"""The scan's report: the fleet rows and the expiry calendar (payload `scan`), each domain's own
`domain` report (payload `domains`, which the TUI opens), and every finding of every domain
with where it is (account, region), plus the scan's own findings about accounts and regions that
could not be read. Exit code: the contract's (an error finding, or a check that could not be
decided), and with `--fail-on warning` a warning too."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from mtls_doctor.fleet import failures
from mtls_doctor.fleet.model import CALENDAR_DAYS, ScannedDomain, ScanPayload
from mtls_doctor.fleet.rows import calendar, expiries, row_of, undiagnosed
from mtls_doctor.fleet.scan import ScanFacts, diagnose
from mtls_doctor.model.evidence import Status
from mtls_doctor.model.finding import Check, CheckStatus, Finding, Severity
from mtls_doctor.model.report import Report

FAIL_ON = ("error", "warning")


def _where(finding: Finding, account: str, region: str, name: str) -> Finding:
    """A domain's finding, located in the fleet."""
    place = f"account {account}, region {region}, custom domain {name}"
    location = f"{place}: {finding.location}" if finding.location else place
    return replace(finding, location=location,
                   evidence={**finding.evidence, "account": account, "region": region,
                             "domain": name})


def _checks(facts: ScanFacts, domains: list[ScannedDomain], unread: int) -> tuple[Check, ...]:
    out = []
    failed = [a for a in facts.accounts if not a.reached]
    n = len(facts.accounts)
    if facts.organization is not None and facts.organization.failed:
        out.append(Check("scan.accounts", "every account was reached", CheckStatus.UNKNOWN,
                         f"the organization's accounts could not be listed: "
                         f"{facts.organization.describe()}"))
    elif failed:
        out.append(Check("scan.accounts", "every account was reached", CheckStatus.UNKNOWN,
                         f"{len(failed)} of {n} account(s) could not be reached: "
                         + "; ".join(f"{a.label} ({a.attempt.status.value})" for a in failed)))
    elif not n:  # e.g. an organization without an ACTIVE account: nothing was scanned
        out.append(Check("scan.accounts", "every account was reached", CheckStatus.UNKNOWN,
                         "no account to scan"))
    else:
        out.append(Check("scan.accounts", "every account was reached", CheckStatus.PASS,
                         f"{n} account(s)"))
    bad = [r for r in facts.regions if any(a.failed and a.status is not Status.REGION_NOT_ENABLED
                                           for a in r.attempts)]
    skipped = [r for r in facts.regions if r not in bad and not r.listed]
    if bad:
        out.append(Check("scan.regions", "every account/region's domains were listed",
                         CheckStatus.UNKNOWN, f"{len(bad)} of {len(facts.regions)} could not be "
                         "listed: " + "; ".join(f"{r.account}/{r.region}" for r in bad)))
    elif not facts.regions:
        out.append(Check("scan.regions", "every account/region's domains were listed",
                         CheckStatus.UNKNOWN, "no account was reached: nothing was listed"))
    else:
        note = f" ({len(skipped)} not enabled, skipped)" if skipped else ""
        out.append(Check("scan.regions", "every account/region's domains were listed",
                         CheckStatus.PASS, f"{len(facts.regions)} listed{note}"))
    reports = [d.report for d in domains]
    errors = sum(r.count(Severity.ERROR) for r in reports)
    warnings = sum(r.count(Severity.WARNING) for r in reports)
    undecided = sum(any(c.status is CheckStatus.UNKNOWN for c in r.checks) for r in reports)
    detail = (f"{len(reports)} domain(s): {errors} error(s), {warnings} warning(s)"
              + (f", {undecided} with checks that could not be decided" if undecided else "")
              + (f", {unread} not read before the deadline" if unread else ""))
    status = (CheckStatus.FAIL if errors else CheckStatus.UNKNOWN if undecided or unread
              else CheckStatus.WARN if warnings else CheckStatus.PASS)
    out.append(Check("scan.domains", "every custom domain passes `domain`'s checks", status,
                     detail))
    return tuple(out)


def scan_report(facts: ScanFacts, *, at: datetime, now: datetime, warn_days: int = 30,
                fail_on: str = "error", calendar_days: int = CALENDAR_DAYS) -> Report:
    """The report of a scan (collected or replayed)."""
    findings: list[Finding] = []
    if facts.organization is not None and facts.organization.failed:
        findings.append(failures.organization_finding(facts.organization))
    findings.extend(failures.account_finding(a) for a in facts.accounts if not a.reached)
    for region in facts.regions:
        findings.extend(failures.region_findings(region))
    rows = []
    dates = []
    domains: list[ScannedDomain] = []
    unread = 0
    for where, domain_facts, report in diagnose(facts, at=at, now=now, warn_days=warn_days):
        if domain_facts is None or report is None:
            unread += 1
            rows.append(undiagnosed(where))
            findings.append(failures.unread_finding(where, facts.timeout))
            continue
        rows.append(row_of(where, domain_facts, report))
        dates.extend(expiries(where, domain_facts, report, at, calendar_days))
        domains.append(ScannedDomain(where.account, where.account_id, where.region, where.name,
                                     report, domain_facts))
        findings.extend(_where(f, where.account, where.region, where.name)
                        for f in report.findings)
    payload = ScanPayload(tuple(facts.accounts), tuple(facts.regions), tuple(rows),
                          calendar(dates), calendar_days, fail_on)
    checks = _checks(facts, domains, unread)
    report = Report(command="scan", generated_at=now, checks=checks, findings=tuple(findings),
                    payload={"scan": payload, "domains": tuple(domains)})
    if fail_on == "warning" and report.count(Severity.WARNING):
        return replace(report, status=1)
    return report

