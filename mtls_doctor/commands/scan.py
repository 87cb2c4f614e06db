"""`mtls-doctor scan`: every custom domain with mutual TLS in the chosen accounts and regions,
one row each, an expiry calendar, and a CI gate (`--fail-on`, JUnit XML)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from mtls_doctor.deadline import Deadline
from mtls_doctor.errors import InputError
from mtls_doctor.model.report import Report

#: `--regions all`
ALL = "all"


def parse_regions(text: str | None, default: str | None) -> tuple[str, ...] | None:
    """`--regions all|r1,r2` (None: every region); without it the profile's region."""
    import re

    if text is None:
        if default is None:
            raise InputError("scan: give --regions (all, or a comma-separated list), or set a "
                             "region in the profile or AWS_REGION")
        return (default,)
    if text.strip().lower() == ALL:
        return None
    regions = tuple(dict.fromkeys(r.strip().lower() for r in text.split(",") if r.strip()))
    bad = [r for r in regions if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d{1,2}", r)]
    if not regions or bad:
        raise InputError(f"--regions: {bad[0] if bad else text!r} is not a region name "
                         "(e.g. eu-west-1), nor all")
    return regions


def check_accounts(role_arns: list[str] | None, organization_role: str | None) -> None:
    """Bad account options are bad input (exit 2), found before anything runs."""
    from mtls_doctor.fleet.accounts import valid_role_arn, valid_role_name

    if role_arns and organization_role:
        raise InputError("scan: give --role-arn or --organization-role, not both")
    for arn in role_arns or ():
        if not valid_role_arn(arn):
            raise InputError(f"--role-arn {arn!r}: not an IAM role ARN "
                             "(arn:aws:iam::123456789012:role/NAME)")
    if organization_role is not None and not valid_role_name(organization_role):
        raise InputError(f"--organization-role {organization_role!r}: not an IAM role name")


def run_scan_command(*, at: datetime, now: datetime, regions: str | None = None,
                     role_arns: list[str] | None = None, external_id: str | None = None,
                     organization_role: str | None = None, profile: str | None = None,
                     region: str | None = None, warn_days: int = 30, fail_on: str = "error",
                     save: str | None = None, snapshot: str | None = None,
                     deadline: Deadline | None = None, timeout: float = 30.0,
                     parallel: int | None = None,
                     progress: Callable[[str, int], None] | None = None) -> Report:
    """Scan (or replay a scan snapshot) and report it. `progress` (the TUI's) is told how the
    scan goes (`fleet.scan.Progress`), then ("diagnosing", n) before the n domains read are
    diagnosed."""
    from mtls_doctor.fleet.assemble import scan_report

    if snapshot is not None:
        from mtls_doctor.fleet.snapshot import load_snapshot

        facts = load_snapshot(snapshot)
    else:
        from mtls_doctor.aws.fleet import FleetAws
        from mtls_doctor.commands.domain import domain_report
        from mtls_doctor.fleet.scan import MAX_PARALLEL, ScanOptions, collect_scan

        check_accounts(role_arns, organization_role)
        deadline = deadline or Deadline(timeout)
        # the profile's region only when --regions does not say (a session costs some 10 ms)
        default = region if regions is not None else (
            region or FleetAws(profile, deadline).default_region)
        options = ScanOptions(parse_regions(regions, default), tuple(role_arns or ()),
                              external_id, organization_role, profile,
                              parallel or MAX_PARALLEL)
        facts = collect_scan(options, deadline, progress, lambda f: domain_report(
            f, at=at, now=now, warn_days=warn_days))
    if save is not None:
        from mtls_doctor.fleet.snapshot import dumps

        try:
            Path(save).write_text(dumps(facts), encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write {save}: {exc.strerror}") from None
    if progress is not None:
        progress("diagnosing", len(facts.domains))
    return scan_report(facts, at=at, now=now, warn_days=warn_days, fail_on=fail_on)


def check_scan_options(*, regions: str | None, role_arns: list[str] | None,
                       organization_role: str | None, snapshot: str | None,
                       region: str | None = None, profile: str | None = None) -> None:
    """What can be refused at once, before the TUI opens (exit 2 with one line): account
    options, --regions (or, without it, no region at all), a scan snapshot that is missing or
    unreadable (it is read again, and parsed, by the scan)."""
    if snapshot is not None:
        from mtls_doctor.source import read_file

        read_file(snapshot, "scan snapshot")
        return
    check_accounts(role_arns, organization_role)
    if regions is None and region is None:
        from mtls_doctor.aws.fleet import FleetAws

        region = FleetAws(profile, Deadline(5.0)).default_region
    parse_regions(regions, region)
