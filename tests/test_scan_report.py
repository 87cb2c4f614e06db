"""`scan` in the report view: accounts and how each was reached, each account/region listing,
the fleet table and the expiry calendar (`fleet.view`, wired into
`report.sections.fact_sections`), drawn by text, Markdown and HTML with the findings in the one
order every renderer uses; a fact the scan could not collect shows `?`, never a pass or a zero.

The report is the real scan's (`commands.scan.run_scan_command`) against moto's server mode
(tests/fleet_lab.py): one account reached with a domain of every kind over two regions, one
whose role cannot be assumed, one region whose listings are throttled. The `?` cells of a domain
the deadline left unread are shown on a payload built by hand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import moto.settings
import pytest

from mtls_doctor.aws import collect
from mtls_doctor.commands.scan import run_scan_command
from mtls_doctor.fleet.model import (
    AccountResult,
    Expiry,
    FleetRow,
    RegionResult,
    ScanPayload,
)
from mtls_doctor.fleet.view import FLEET_COLUMNS, scan_sections
from mtls_doctor.model.evidence import Attempt, Status, ok
from mtls_doctor.model.report import Report
from mtls_doctor.report import render
from mtls_doctor.report.json import document
from mtls_doctor.report.parts import Table
from mtls_doctor.report.redact import Redactor, redact_report
from mtls_doctor.report.view import ordered_findings
from tests.aws_faults import FaultProxy
from tests.fleet_lab import (
    GOOD,
    KINDS,
    LOCKED,
    ROLE,
    FleetLab,
    Placed,
    deny_assume_role,
    role_arn,
)
from tests.renderer_order import finding_ids_html, finding_ids_markdown, finding_ids_text, plain
from tests.test_domain import Dns, _reset, clean_aws_env, moto_endpoint

__all__ = ["moto_endpoint"]

pytestmark = pytest.mark.timeout(180)

REGIONS = ("us-east-1", "eu-west-1")
THROTTLED = "ap-southeast-2"
FORMATS = ("text", "markdown", "html")
#: a certificate subject from outside: an escape sequence and a bidi override
HOSTILE = "CN=evil\x1b[31m\u202eCA"
EXTRACT = {"text": finding_ids_text, "markdown": finding_ids_markdown, "html": finding_ids_html}


@dataclass
class Scanned:
    """The scan's report, the domains the lab placed where the scan can read them, and the
    scan's snapshot (`--save`)."""

    report: Report
    placed: list[Placed]
    snapshot: Path


@pytest.fixture(scope="module")
def scanned(moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Scanned]:
    """A scan of a small fleet: a domain of every kind in the reachable account, one in the
    throttled region, one in the account whose role is refused."""
    _reset(moto_endpoint)
    wait = moto.settings.ACM_VALIDATION_WAIT
    moto.settings.ACM_VALIDATION_WAIT = -1  # requested certificates are ISSUED at once
    lab = FleetLab(moto_endpoint)
    saved_to = tmp_path_factory.mktemp("scan-view") / "scan.json"
    placed = lab.fleet(len(KINDS), (GOOD,), REGIONS)
    lab.fleet(1, (GOOD,), (THROTTLED,), prefix="hidden")
    lab.fleet(1, (LOCKED,), ("us-east-1",), prefix="locked")
    proxy = FaultProxy(moto_endpoint).start()
    deny_assume_role(proxy, LOCKED)
    for service in ("apigateway", "apigatewayv2"):
        proxy.fail(service, "GetDomainNames", "throttled", region=THROTTLED)
    try:
        with pytest.MonkeyPatch.context() as mp:
            clean_aws_env(mp, tmp_path_factory.mktemp("scan-view"), proxy.url)
            mp.setattr(collect, "lookup", Dns().lookup)
            now = datetime.now(UTC).replace(microsecond=0)
            report = run_scan_command(at=now, now=now, regions=",".join((*REGIONS, THROTTLED)),
                                      role_arns=[role_arn(GOOD), role_arn(LOCKED)], timeout=120,
                                      save=str(saved_to))
        yield Scanned(report, placed, saved_to)
    finally:
        proxy.stop()
        moto.settings.ACM_VALIDATION_WAIT = wait


def payload(report: Report) -> ScanPayload:
    p = report.payload["scan"]
    assert isinstance(p, ScanPayload)
    return p


def cells(table: Table) -> list[dict[str, str]]:
    """A table's rows as {column: cell}."""
    return [dict(zip(table.columns, r.cells, strict=True)) for r in table.rows]


def test_scan_drawn_in_every_format_in_one_order(scanned: Scanned) -> None:
    report, placed = scanned.report, scanned.placed
    expected = [f.id for f in ordered_findings(report)]
    assert "AWS_ACCESS_DENIED" in expected and "AWS_THROTTLED" in expected
    p = payload(report)
    expiring = next(r for r in p.rows if r.earliest_ca_subject == "CN=Fleet expiring Root"
                    or (r.earliest_ca_subject or "").startswith("CN=Fleet expiring"))
    for fmt in FORMATS:
        out = plain(fmt, render(report, fmt, color=False))
        for title in ("Accounts and regions", "Accounts", "Listings", "Fleet",
                      "Expiry calendar", "earliest CA expiry", "execute-api open"):
            assert title in out, (fmt, title)
        for p_ in placed:  # every domain of the fleet, with its account and region
            assert p_.name in out, (fmt, p_.name)
        assert LOCKED in out and "its domains are unknown" in out, fmt
        assert THROTTLED in out and "unknown (not absent)" in out, fmt
        assert "truststore CA" in out and expiring.name in out, fmt
        # the four renderers print the findings in the one order
        assert EXTRACT[fmt](out) == expected, fmt


def test_the_view_says_what_each_row_is(scanned: Scanned) -> None:
    report, placed = scanned.report, scanned.placed
    p = payload(report)
    accounts, fleet, calendar = scan_sections(p)
    assert [s.title for s in (accounts, fleet, calendar)] == ["Accounts and regions", "Fleet",
                                                              "Expiry calendar"]
    # accounts: the refused one says why, and that its domains are unknown
    account_table, listing_table = accounts.parts
    assert isinstance(account_table, Table) and isinstance(listing_table, Table)
    by_account = {c["account"]: c for c in cells(account_table)}
    assert by_account[GOOD]["status"] == "reached"
    assert "role (--role-arn)" in by_account[GOOD]["reached through"]
    assert "denied" in by_account[LOCKED]["status"] and "unknown" in by_account[LOCKED]["status"]
    assert accounts.lead_tone == "bad"
    # listings: the throttled region counts nothing, it says `?` and why
    listings = {(c["account"], c["region"]): c for c in cells(listing_table)}
    assert listings[(GOOD, THROTTLED)]["listed"] == "no"
    assert listings[(GOOD, THROTTLED)]["domains"] == "?"
    assert "throttled" in listings[(GOOD, THROTTLED)]["why not"]
    for region in REGIONS:
        assert listings[(GOOD, region)]["listed"] == "yes"
        assert listings[(GOOD, region)]["domains"] == str(
            sum(x.region == region for x in placed))
    # the fleet: one row a domain, in the payload's order, each kind as it is
    (table,) = fleet.parts
    assert isinstance(table, Table) and table.columns == FLEET_COLUMNS
    rows = {c["domain"]: c for c in cells(table)}
    assert set(rows) == {x.name for x in placed}
    kinds = {x.name: x.kind for x in placed}
    by_name = {r.name: r for r in p.rows}
    for name, row in rows.items():
        kind, fact = kinds[name], by_name[name]
        assert row["errors"] == str(fact.errors) and row["account"] == GOOD
        if kind in ("off", "rest"):
            assert row["mTLS"] == "no" and row["truststore"] == "off"
            assert row["version"] == "—" and row["earliest CA expiry"] == "—"
        if kind == "unpinned":
            assert row["truststore"] == "unpinned" and row["version"] == "—"
        if kind == "pinned":
            assert row["mTLS"] == "yes" and row["truststore"] == "current"
            assert row["version"] == fact.truststore_version
        if kind == "expiring":
            assert row["earliest CA expiry"] == f"{fact.earliest_ca_expiry:%Y-%m-%d}"
            assert "Fleet expiring" in row["CA subject"]
        if kind == "failed":
            assert row["status"] == "FAILED" and table.rows[list(rows).index(name)].tone == "bad"
    # the calendar: the expiring root, soonest first
    (cal,) = calendar.parts
    assert isinstance(cal, Table)
    entries = cells(cal)
    assert entries and all(e["kind"] == "truststore CA" for e in entries
                           if "Fleet expiring" in e["subject"])
    assert [e["date"] for e in entries] == sorted(e["date"] for e in entries)
    # the account and the region that could not be read make the calendar partial
    assert "the dates of what was not are unknown" in calendar.lead


def test_what_was_not_collected_is_a_question_mark_never_a_zero() -> None:
    now = datetime(2026, 11, 29, 19, 0, tzinfo=UTC)
    denied = Attempt("sts.AssumeRole", Status.DENIED, "not authorized")
    p = ScanPayload(
        accounts=(AccountResult("111111111111", "111111111111", "caller",
                                ok("sts.GetCallerIdentity")),
                  AccountResult("arn:aws:iam::222222222222:role/scan", None, "role", denied,
                                "arn:aws:iam::222222222222:role/scan")),
        regions=(RegionResult("111111111111", "111111111111", "us-east-1",
                              (ok("apigateway.GetDomainNames"),
                               ok("apigatewayv2.GetDomainNames")), 2),
                 RegionResult("111111111111", "111111111111", "eu-south-2",
                              (Attempt("apigateway.GetDomainNames", Status.REGION_NOT_ENABLED),
                               Attempt("apigatewayv2.GetDomainNames",
                                       Status.REGION_NOT_ENABLED))),
                 RegionResult("111111111111", "111111111111", "eu-west-1",
                              (ok("apigateway.GetDomainNames"),
                               Attempt("apigatewayv2.GetDomainNames", Status.TIMED_OUT)))),
        rows=(FleetRow("111111111111", "111111111111", "us-east-1", "slow.example.com", None,
                       None, None, None, "unknown", None, None, None, None, None, 0, 0, 0,
                       diagnosed=False),
              FleetRow("111111111111", "111111111111", "us-east-1", "read.example.com", "http",
                       "REGIONAL", "AVAILABLE", True, "unknown", "v1", None, None, None, None,
                       0, 0, 2)),
        calendar=(Expiry(now - timedelta(days=3), -3, "domain_certificate", "111111111111",
                         "us-east-1", "read.example.com", None, "arn:aws:acm:..."),
                  Expiry(now + timedelta(days=9), 9, "truststore_ca", "111111111111",
                         "us-east-1", "read.example.com", HOSTILE, "truststore #2")))
    accounts, fleet, calendar = scan_sections(p)
    listing = cells(accounts.parts[1])  # type: ignore[arg-type]
    assert [c["listed"] for c in listing] == ["yes", "skipped", "no"]
    assert [c["domains"] for c in listing] == ["2", "—", "?"]
    assert "timed out" in listing[2]["why not"]
    assert cells(accounts.parts[0])[1]["id"] == "?"  # type: ignore[arg-type]
    slow, read = cells(fleet.parts[0])  # type: ignore[arg-type]
    # unread before the deadline: every fact unknown, its counts too (none were made)
    for column in FLEET_COLUMNS[3:]:
        assert slow[column] == "?", column
    # read, but the truststore and the mappings could not be: `?`, not a pass
    assert read["truststore"] == "?" and read["earliest CA expiry"] == "?"
    assert read["execute-api open"] == "?" and read["truststore warnings"] == "?"
    assert read["unknown checks"] == "2" and read["version"] == "v1"
    assert fleet.lead_tone == "bad" and "1 not read before the deadline" in fleet.lead
    entry, _ = cells(calendar.parts[0])  # type: ignore[arg-type]
    assert entry["days left"] == "expired 3 day(s) ago" and entry["subject"] == "?"
    assert calendar.lead_tone == "bad" and "unknown" in calendar.lead
    report = Report(command="scan", generated_at=now, checks=(), findings=(),
                    payload={"scan": p, "domains": ()})
    for fmt in FORMATS:
        out = plain(fmt, render(report, fmt, color=False))
        assert "slow.example.com" in out and "expired 3 day(s) ago" in out, fmt
        # a subject from outside is drawn escaped, never as a terminal or bidi control
        assert "\x1b" not in out and "\u202e" not in out, fmt


def test_redact_hides_the_fleet_in_every_format(scanned: Scanned) -> None:
    """`scan --redact` is another helper's work in report/redact.py; this holds the view to it:
    what the scan's sections draw is hidden once the report is redacted."""
    report, placed = scanned.report, scanned.placed
    redacted = redact_report(report)
    p = payload(report)
    # the lab's account ids are the redactor's own placeholders (111111111111, ...): that
    # they are taken for account ids is all an output can show
    known = Redactor.for_report(report).placeholders
    assert GOOD in known and LOCKED in known
    hidden = {x.name for x in placed} | {ROLE}
    hidden |= {r.truststore_version for r in p.rows if r.truststore_version}
    hidden |= {r.earliest_ca_subject.removeprefix("CN=") for r in p.rows
               if r.earliest_ca_subject}
    outputs = {fmt: plain(fmt, render(redacted, fmt, color=False)) for fmt in FORMATS}
    outputs["json"] = json.dumps(document(redacted), default=str)
    for fmt, out in outputs.items():
        for value in hidden:
            assert value not in out, (fmt, value)
    assert [f.id for f in ordered_findings(redacted)] == [f.id for f in ordered_findings(report)]


def test_a_replayed_scan_draws_the_same_view(scanned: Scanned) -> None:
    """The view is built from the typed payload: a scan replayed from its snapshot (`--save`,
    then `--aws-snapshot`) draws the same sections in every format."""
    report = scanned.report
    again = run_scan_command(at=report.generated_at, now=report.generated_at,
                             snapshot=str(scanned.snapshot))
    assert scan_sections(payload(again)) == scan_sections(payload(report))
    for fmt in FORMATS:
        assert render(again, fmt, color=False) == render(report, fmt, color=False), fmt
