"""The scan as JUnit testsuites (`report/junit.py` writes them): one testsuite per
account/region, one testcase per custom domain (failed by its error findings, and by its
warnings with `--fail-on warning`; an error when its checks could not be decided or it was not
read), a testcase per listing (`custom domains listed`) and, for an account that could not be
reached, `account reached` in the account's `ACCOUNT/*` suite (and `accounts listed` in the
`organization` suite when the organization's accounts could not be listed)."""

from __future__ import annotations

from mtls_doctor.fleet.model import ScannedDomain, ScanPayload
from mtls_doctor.model.finding import Severity
from mtls_doctor.model.report import Report
from mtls_doctor.report.junit import Suite, Suites, undecided_checks


def scan_suites(report: Report) -> list[Suite]:
    """The testsuites of a scan report."""
    scan = report.payload.get("scan")
    if not isinstance(scan, ScanPayload):
        raise ValueError("not a scan report")
    domains = {(d.account, d.region, d.name): d for d in report.payload.get("domains", ())
               if isinstance(d, ScannedDomain)}
    warnings_fail = scan.fail_on == "warning"
    suites = Suites()
    own = [f for f in report.findings if "domain" not in f.evidence]  # the scan's own findings
    unlisted = [f for f in own if "account" not in f.evidence]  # the organization's accounts
    if unlisted:
        suites("organization").case("organization", "accounts listed").errors += unlisted
    for account in scan.accounts:
        if account.reached:
            continue
        case = suites(f"{account.label}/*").case(account.label, "account reached")
        case.errors += [f for f in own if f.evidence.get("account") == account.label
                        and "region" not in f.evidence]
    for region in scan.regions:
        case = suites(f"{region.account}/{region.region}").case(
            f"{region.account}.{region.region}", "custom domains listed")
        for f in own:
            if (f.evidence.get("account"), f.evidence.get("region")) != (region.account,
                                                                        region.region):
                continue
            if f.severity is Severity.INFO:  # an opt-in region that is not enabled
                case.skipped.append(f.title)
            else:
                case.errors.append(f)
    for row in scan.rows:
        case = suites(f"{row.account}/{row.region}").case(f"{row.account}.{row.region}",
                                                          row.name)
        scanned = domains.get((row.account, row.region, row.name))
        if scanned is None:  # its finding is the scan's own (AWS_UNREACHABLE: not read)
            case.errors += [f for f in report.findings if (
                f.evidence.get("account"), f.evidence.get("region"),
                f.evidence.get("domain")) == (row.account, row.region, row.name)]
            case.missing = "not read before the deadline"
            continue
        for f in scanned.report.findings:
            case.add(f, warnings_fail=warnings_fail)
        case.undecided += undecided_checks(scanned.report.checks)
    return suites.all()
