"""The `scan` payload as report view sections (`report.parts`), for the view model to draw in
text, Markdown, HTML and the TUI: each account and how it was reached, each account/region
listing (listed, how many domains, or why not), the fleet table (one row a domain) and the expiry
calendar. A fact the scan could not collect is `?`, never a pass or a zero; a fact known to be
absent (no truststore version on a domain without mTLS) is `—`. Plain strings only; each
renderer makes outside text safe."""

from __future__ import annotations

from datetime import datetime

from mtls_doctor.fleet.model import AccountResult, Expiry, FleetRow, RegionResult, ScanPayload
from mtls_doctor.model.evidence import Status
from mtls_doctor.report.parts import Section, Table, TableRow

#: shown for a fact that could not be collected
UNKNOWN = "?"
#: shown for a fact known to be absent
NONE = "—"
_SOURCE = {"caller": "the caller's own credentials", "role": "role (--role-arn)",
           "organization": "organization role"}
_KIND = {"truststore_ca": "truststore CA", "domain_certificate": "domain certificate",
         "ownership_certificate": "ownership verification certificate"}
_API = {"rest": "REST", "http": "HTTP", "websocket": "WebSocket"}


def _yes_no(value: bool | None, yes: str = "yes", no: str = "no") -> str:
    return UNKNOWN if value is None else yes if value else no


def _count(value: int | None) -> str:
    return UNKNOWN if value is None else str(value)


def _date(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d}" if value is not None else UNKNOWN


def _status(a: Status) -> str:
    return a.value.replace("_", " ")


# -- accounts and listings ---------------------------------------------------------------------


def _how_reached(a: AccountResult) -> str:
    how = _SOURCE.get(a.source, a.source)
    return f"{how}: {a.role_arn}" if a.role_arn else how


def account_rows(accounts: tuple[AccountResult, ...]) -> tuple[TableRow, ...]:
    """One row an account: its label (and name), its id, how it was reached, whether it was."""
    rows = []
    for a in accounts:
        label = f"{a.label} ({a.name})" if a.name and a.name != a.label else a.label
        if a.reached:
            status, tone = "reached", "ok"
        else:
            why = f": {a.attempt.reason}" if a.attempt.reason else ""
            status, tone = (f"not reached ({a.attempt.call} {_status(a.attempt.status)}{why}); "
                            "its domains are unknown"), "bad"
        rows.append(TableRow((label, a.account_id or UNKNOWN, _how_reached(a), status), tone))
    return tuple(rows)


def listing_rows(regions: tuple[RegionResult, ...]) -> tuple[TableRow, ...]:
    """One row an account/region listing: listed or not, the domains it found, why not."""
    rows = []
    for r in regions:
        failed = [a for a in r.attempts if a.failed]
        if r.listed:
            rows.append(TableRow((r.account, r.region, "yes", str(r.domains), ""), "ok"))
        elif not unread_listing(r):  # skipped: a region not enabled in the account
            why = "; ".join(a.reason for a in r.attempts if a.reason and not a.answered)
            rows.append(TableRow((r.account, r.region, "skipped", NONE,
                                  why or "the region is not enabled in the account")))
        else:
            why = "; ".join(a.describe() for a in failed) or "not listed"
            rows.append(TableRow((r.account, r.region, "no", UNKNOWN,
                                  f"{why}: its domains are unknown (not absent)"), "bad"))
    return tuple(rows)


def unread_listing(r: RegionResult) -> bool:
    """The listing failed (a region that is not enabled is skipped, not failed): its domains
    are unknown."""
    return any(a.failed and a.status is not Status.REGION_NOT_ENABLED for a in r.attempts)


def _accounts_lead(p: ScanPayload) -> tuple[str, str]:
    reached = sum(a.reached for a in p.accounts)
    listed = sum(r.listed for r in p.regions)
    unread = sum(unread_listing(r) for r in p.regions)
    skipped = len(p.regions) - listed - unread
    lead = (f"{reached} of {len(p.accounts)} account(s) reached, {listed} of {len(p.regions)} "
            "account/region listing(s) read"
            + (f" ({skipped} skipped: region not enabled)" if skipped else ""))
    if reached < len(p.accounts) or unread:
        return lead + ": the domains of what was not reached or read are unknown, not absent", \
            "bad"
    return lead, "ok" if p.accounts else "bad"


# -- the fleet table ---------------------------------------------------------------------------


def _version(row: FleetRow) -> str:
    if row.truststore_version:
        return row.truststore_version
    if row.truststore in ("off", "unpinned"):
        return NONE
    return UNKNOWN


def _ca_expiry(row: FleetRow) -> tuple[str, str]:
    if row.earliest_ca_expiry is not None:
        return _date(row.earliest_ca_expiry), row.earliest_ca_subject or UNKNOWN
    if row.mtls is False:
        return NONE, NONE
    return UNKNOWN, UNKNOWN


def _row_tone(row: FleetRow) -> str:
    if not row.diagnosed or row.errors or row.unknown_checks:
        return "bad"
    return "warn" if row.warnings else "ok"


FLEET_COLUMNS = ("account", "region", "domain", "API", "status", "mTLS", "truststore",
                 "version", "earliest CA expiry", "CA subject", "execute-api open",
                 "truststore warnings", "errors", "warnings", "unknown checks")


def fleet_row(row: FleetRow) -> TableRow:
    """One domain of the fleet table; a domain the deadline left unread shows `?` throughout
    (its counts too: none were made)."""
    name = f"{row.name} ({row.domain_name_id})" if row.domain_name_id else row.name
    api = UNKNOWN if row.api_type is None else _API.get(row.api_type, row.api_type)
    if row.endpoint_type:
        api += f" {row.endpoint_type}"
    expiry, subject = _ca_expiry(row)
    counts = ((str(row.errors), str(row.warnings), str(row.unknown_checks)) if row.diagnosed
              else (UNKNOWN, UNKNOWN, UNKNOWN))
    return TableRow((
        row.account, row.region, name, api, row.status or UNKNOWN, _yes_no(row.mtls),
        UNKNOWN if row.truststore == "unknown" else row.truststore, _version(row), expiry,
        subject, _yes_no(row.execute_api_open),
        NONE if row.mtls is False and row.truststore_warnings in (None, 0)
        else _count(row.truststore_warnings), *counts), _row_tone(row))


def _fleet_lead(p: ScanPayload) -> tuple[str, str]:
    rows = p.rows
    unread = sum(not r.diagnosed for r in rows)
    failing = sum(r.diagnosed and r.errors > 0 for r in rows)
    undecided = sum(r.diagnosed and r.unknown_checks > 0 for r in rows)
    bits = [f"{len(rows)} custom domain(s)", f"{sum(r.mtls is True for r in rows)} with mTLS",
            f"{failing} with errors"]
    if undecided:
        bits.append(f"{undecided} with checks that could not be decided")
    if unread:
        bits.append(f"{unread} not read before the deadline")
    lead = ", ".join(bits)
    if not rows:
        return "no custom domain in what could be listed", "warn"
    return lead, "bad" if failing or undecided or unread else (
        "warn" if any(r.warnings for r in rows) else "ok")


# -- the expiry calendar -----------------------------------------------------------------------


def calendar_row(e: Expiry) -> TableRow:
    """One date of the calendar; a date already past is `bad`."""
    days = f"expired {-e.days_left} day(s) ago" if e.days_left < 0 else str(e.days_left)
    return TableRow((_date(e.not_after), days, _KIND.get(e.kind, e.kind), e.account, e.region,
                     e.domain, e.subject or UNKNOWN), "bad" if e.days_left < 0 else "warn")


def _calendar_lead(p: ScanPayload) -> tuple[str, str]:
    gaps = (any(not a.reached for a in p.accounts) or any(unread_listing(r) for r in p.regions)
            or any(not r.diagnosed or r.truststore == "unknown" for r in p.rows))
    if p.calendar:
        expired = sum(e.days_left < 0 for e in p.calendar)
        lead = f"{len(p.calendar)} date(s) within {p.calendar_days} days" + (
            f", {expired} already past" if expired else "")
        tone = "bad" if expired else "warn"
    else:
        lead, tone = f"nothing expires within {p.calendar_days} days", "ok"
    if gaps:
        lead += " in what was read (the dates of what was not are unknown)"
        tone = "bad" if tone == "bad" else "warn"
    return lead, tone


def scan_sections(p: ScanPayload) -> list[Section]:
    """The sections of a scan report, in reading order: accounts and listings, the fleet,
    the expiry calendar."""
    accounts = Table("Accounts", ("account", "id", "reached through", "status"),
                     account_rows(p.accounts))
    listings = Table("Listings", ("account", "region", "listed", "domains", "why not"),
                     listing_rows(p.regions))
    fleet = Table("", FLEET_COLUMNS, tuple(fleet_row(r) for r in p.rows))
    calendar = Table("", ("date", "days left", "kind", "account", "region", "domain", "subject"),
                     tuple(calendar_row(e) for e in p.calendar))
    return [
        Section("scan-accounts", "Accounts and regions", (accounts, listings),
                *_accounts_lead(p)),
        Section("scan-fleet", "Fleet", (fleet,) if p.rows else (), *_fleet_lead(p)),
        Section("scan-calendar", "Expiry calendar", (calendar,) if p.calendar else (),
                *_calendar_lead(p)),
    ]
