"""The fleet view of `mtls-doctor scan` (tui/fleet_app.py, tui/screens/fleet.py) driven by Pilot.

The scan is a real one replayed from a scan snapshot (`fleet.snapshot`, as `scan
--aws-snapshot` reads it): two accounts reached and one refused, a listing throttled, five
custom domains in the states a fleet has (a stale truststore, mTLS off, pinned and current with
an ACM certificate expiring within the calendar's 90 days, unpinned, one the deadline left
unread), every domain diagnosed by `domain`'s own rules from the fixed facts of
tests/tui_report.py, at its fixed instant. Nothing leaves the process.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("textual")

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, RadioButton, Static

from mtls_doctor import cli
from mtls_doctor.commands.scan import run_scan_command
from mtls_doctor.deadline import Deadline
from mtls_doctor.errors import InputError
from mtls_doctor.fleet.model import (
    AccountResult,
    Discovered,
    RegionResult,
    ScannedDomain,
    ScanPayload,
)
from mtls_doctor.fleet.scan import ScanFacts
from mtls_doctor.fleet.snapshot import dumps
from mtls_doctor.fleet.view import FLEET_COLUMNS, fleet_row
from mtls_doctor.model.domain import Mtls
from mtls_doctor.model.evidence import Attempt, Status, ok
from mtls_doctor.model.report import Report
from mtls_doctor.report.json import document
from mtls_doctor.tui.app import CANCELLED
from mtls_doctor.tui.fleet_app import FleetApp, ScanProgress
from mtls_doctor.tui.screens import ExportScreen, FindingScreen
from mtls_doctor.tui.screens.fleet import (
    DomainDashboard,
    FleetHelpScreen,
    FleetScreen,
    FleetView,
    column_order,
    sort_rows,
)
from mtls_doctor.tui.screens.quit import QuitScreen
from tests.test_domain import moto_endpoint
from tests.test_tui import plain
from tests.tui_report import ARN, AT, domain_facts

__all__ = ["moto_endpoint"]

pytestmark = pytest.mark.timeout(60)

A1, A2, LOCKED = "111111111111", "222222222222", "333333333333"
#: the domains in the scan's order, and the one the deadline left unread
NAMES = ["api.example.test", "orders.example.test", "pay.example.test", "legacy.example.test",
         "slow.example.test"]
UNREAD = "slow.example.test"
SIZE = (160, 45)


def scan_facts() -> ScanFacts:
    """The fleet as a scan collects it (see the module's docstring)."""
    base = domain_facts()
    ts = base.truststore_object
    assert base.mtls is not None and ts is not None
    current = dataclasses.replace(ts, latest_version="v1-fixed", configured_version="v1-fixed")
    soon = {ARN: dataclasses.replace(base.certificates[ARN], not_after=AT + timedelta(days=40))}

    def at(account: str, region: str, name: str, api: str = "rest") -> Discovered:
        return Discovered(account, account, region, name, (api,), "REGIONAL")

    def facts(name: str, region: str, **changes: Any) -> Any:
        return dataclasses.replace(base, name=name, region=region, **changes)

    domains = [
        (at(A1, "eu-west-1", NAMES[0]), base),
        (at(A1, "eu-west-1", NAMES[1]),
         facts(NAMES[1], "eu-west-1", mtls=None, truststore_object=None)),
        (at(A1, "us-east-1", NAMES[2]),
         facts(NAMES[2], "us-east-1", truststore_object=current, certificates=soon,
               mtls=Mtls(base.mtls.truststore_uri, "v1-fixed", ()))),
        (at(A2, "us-east-1", NAMES[3]),
         facts(NAMES[3], "us-east-1", mtls=Mtls(base.mtls.truststore_uri, None, ()))),
        (at(A2, "us-east-1", UNREAD), None),
    ]
    role = f"arn:aws:iam::{LOCKED}:role/scan"
    accounts = [AccountResult(A1, A1, "caller", ok("sts.GetCallerIdentity")),
                AccountResult(A2, A2, "role", ok("sts.AssumeRole"),
                              f"arn:aws:iam::{A2}:role/scan"),
                AccountResult(role, LOCKED, "role",
                              Attempt("sts.AssumeRole", Status.DENIED,
                                      "not authorized to perform sts:AssumeRole"), role)]

    def listed(account: str, region: str, n: int) -> RegionResult:
        return RegionResult(account, account, region, (ok("apigateway.GetDomainNames", region),
                                                        ok("apigatewayv2.GetDomainNames",
                                                           region)), n)

    throttled = RegionResult(A2, A2, "eu-west-1", (
        Attempt("apigateway.GetDomainNames", Status.THROTTLED, "Rate exceeded",
                region="eu-west-1"), ok("apigatewayv2.GetDomainNames", "eu-west-1")))
    regions = [listed(A1, "eu-west-1", 2), listed(A1, "us-east-1", 1),
               listed(A2, "us-east-1", 2), throttled]
    return ScanFacts(accounts, regions, domains, None, 30.0)


@pytest.fixture(scope="module")
def scan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scan's snapshot file (`scan --save`)."""
    path = tmp_path_factory.mktemp("fleet") / "scan.json"
    path.write_text(dumps(scan_facts()), encoding="utf-8")
    return path


def replay(scan_file: Path) -> Report:
    """`scan --aws-snapshot FILE --at AT`, as the command runs it."""
    return run_scan_command(at=AT, now=AT, snapshot=str(scan_file))


@pytest.fixture(scope="module")
def report(scan_file: Path) -> Report:
    return replay(scan_file)


def payload(report: Report) -> ScanPayload:
    p = report.payload["scan"]
    assert isinstance(p, ScanPayload)
    return p


def scanned(report: Report, name: str) -> ScannedDomain:
    return next(d for d in report.payload["domains"] if d.name == name)


def drive(app: FleetApp, test: Callable[[FleetApp, Pilot[int]], Awaitable[None]],
          size: tuple[int, int] = SIZE) -> FleetApp:
    async def main() -> FleetApp:
        async with app.run_test(size=size) as pilot:
            await test(app, pilot)
        return app
    return asyncio.run(main())


async def until(pilot: Pilot[int], done: Callable[[], bool], what: str) -> None:
    for _ in range(300):
        if done():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"never: {what}")


async def fleet_shown(app: FleetApp, pilot: Pilot[int]) -> FleetScreen:
    """Wait until the scan's rows are in the fleet table."""
    await until(pilot, lambda: app.scan_view is not None and app.fleet.fleet_shown != []
                and app.fleet.fleet_table.row_count > 0, "the fleet drawn")
    await pilot.pause()
    return app.fleet


def names_shown(screen: FleetScreen) -> list[str]:
    """The domain column of the fleet table, top to bottom."""
    table = screen.fleet_table
    at = column_order().index(FLEET_COLUMNS.index("domain"))
    return [str(table.get_row_at(i)[at]) for i in range(table.row_count)]


def row_cells(screen: FleetScreen, name: str) -> dict[str, str]:
    """The fleet table's row of `name`, as {column: cell}."""
    table = screen.fleet_table
    for i in range(table.row_count):
        cells = [str(c) for c in table.get_row_at(i)]
        row = {FLEET_COLUMNS[c]: cells[k] for k, c in enumerate(column_order())}
        if row["domain"] == name:
            return row
    raise AssertionError(name)


async def select(pilot: Pilot[int], screen: FleetScreen, name: str) -> None:
    screen.fleet_table.move_cursor(row=names_shown(screen).index(name), animate=False)
    await pilot.pause()


def on_top(app: FleetApp) -> object:
    """The screen on top now (a call: what an earlier assert said of it does not carry over)."""
    return app.screen


def focus_of(screen: FleetScreen) -> object:
    """The widget focused now."""
    return screen.focused


def sorted_by(screen: FleetScreen) -> int | None:
    """The column the fleet is sorted by now."""
    return screen.sort_column


def exported(app: FleetApp) -> Path | None:
    """Where the last export went."""
    return app.last_export


def scanning(app: FleetApp) -> bool:
    """The scan runs now."""
    return app.scanning


def lead_text(screen: FleetScreen) -> str:
    return plain(screen.query_one("#fleet-lead", Static))


# -- the rows ------------------------------------------------------------------------------------


def test_one_row_per_domain_with_the_reports_strings(report: Report) -> None:
    """Every domain of the scan is a row, in the scan's order, its cells the very strings the
    text, Markdown and HTML reports print (`fleet.view.fleet_row`); what was not collected is
    `?`, in the lead too; the account and listing that could not be read are said on the fleet
    tab and in full on the accounts tab."""
    p = payload(report)
    seen: dict[str, Any] = {}

    async def test(app: FleetApp, pilot: Pilot[int]) -> None:
        screen = await fleet_shown(app, pilot)
        assert names_shown(screen) == NAMES
        for row in p.rows:
            expected = dict(zip(FLEET_COLUMNS, fleet_row(row).cells, strict=True))
            assert row_cells(screen, row.name) == expected, row.name
        slow = row_cells(screen, UNREAD)
        assert {slow[c] for c in ("status", "mTLS", "errors", "warnings")} == {"?"}
        assert row_cells(screen, NAMES[0])["truststore"] == "stale"
        assert row_cells(screen, NAMES[3])["truststore"] == "unpinned"
        lead = lead_text(screen)
        assert "1 not read before the deadline" in lead
        assert "2 of 3 account(s) reached" in lead and "unknown, not absent" in lead
        await pilot.press("3")
        await pilot.pause()
        body = " ".join(plain(screen.query_one("#accounts-body", Static)).split())
        seen["body"] = body
        await pilot.press("2")
        await pilot.pause()
        calendar = screen.calendar_table
        seen["calendar"] = [[str(c) for c in calendar.get_row_at(i)]
                            for i in range(calendar.row_count)]
        seen["tabs"] = [str(screen.tabs.get_tab(t).label) for t in ("fleet", "calendar")]

    drive(FleetApp(report=report), test)
    assert "not reached (sts.AssumeRole denied" in seen["body"]
    assert "throttled" in seen["body"] and "its domains are unknown (not absent)" in seen["body"]
    # the calendar: the ACM certificate of pay.example.test, 40 days ahead
    assert seen["calendar"] == [["2026-04-11", "40", "domain certificate", A1, "us-east-1",
                                 NAMES[2], "CN=*.example.test,O=Example Corp"]]
    assert seen["tabs"] == ["Fleet 5", "Expiry calendar 1"]


def test_sorting_by_a_column_keeps_unknowns_last() -> None:
    rows = [(i, fleet_row_of(errors)) for i, errors in enumerate(["3", "?", "2", "—", "10"])]
    column = FLEET_COLUMNS.index("errors")
    assert [i for i, _ in sort_rows(rows, column, False)] == [2, 0, 4, 3, 1]
    assert [i for i, _ in sort_rows(rows, column, True)] == [4, 0, 2, 3, 1]
    assert [i for i, _ in sort_rows(rows, None, False)] == [0, 1, 2, 3, 4]


def fleet_row_of(errors: str) -> Any:
    from mtls_doctor.report.parts import TableRow

    cells = ["x"] * len(FLEET_COLUMNS)
    cells[FLEET_COLUMNS.index("errors")] = errors
    return TableRow(tuple(cells))


def test_keys_sort_the_fleet(report: Report) -> None:
    """`s` sorts by the next column (domain, then errors ...), `o` turns the order round (a
    domain whose counts are unknown stays last), `S` goes back; the header says which."""
    async def test(app: FleetApp, pilot: Pilot[int]) -> None:
        screen = await fleet_shown(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        assert sorted_by(screen) == FLEET_COLUMNS.index("domain")
        assert names_shown(screen) == sorted(NAMES)
        await pilot.press("s")
        await pilot.pause()
        assert sorted_by(screen) == FLEET_COLUMNS.index("errors")
        # errors: orders 2, the others 3 (in the scan's order), slow `?` last
        assert names_shown(screen) == [NAMES[1], NAMES[0], NAMES[2], NAMES[3], UNREAD]
        header = [str(c.label) for c in screen.fleet_table.columns.values()]
        assert "errors ▲" in header
        await pilot.press("o")
        await pilot.pause()
        assert names_shown(screen) == [NAMES[0], NAMES[2], NAMES[3], NAMES[1], UNREAD]
        assert "errors ▼" in [str(c.label) for c in screen.fleet_table.columns.values()]
        await pilot.press("S", "S")
        await pilot.pause()
        assert sorted_by(screen) is None
        assert names_shown(screen) == list(reversed(NAMES))  # the scan's order, turned round
        # a click on a header sorts by its column (the table's own event)
        table = screen.fleet_table
        at = column_order().index(FLEET_COLUMNS.index("region"))
        key = list(table.columns)[at]
        table.post_message(DataTable.HeaderSelected(table, key, at, table.columns[key].label))
        await pilot.pause()
        assert sorted_by(screen) == FLEET_COLUMNS.index("region") and not screen.reverse
        assert names_shown(screen)[:2] == [NAMES[0], NAMES[1]]  # eu-west-1 first

    drive(FleetApp(report=report), test)


def test_the_filter_narrows_every_table_and_escape_clears_it(report: Report) -> None:
    async def test(app: FleetApp, pilot: Pilot[int]) -> None:
        screen = await fleet_shown(app, pilot)
        await pilot.press("slash")
        assert focus_of(screen) is screen.filter_box
        await pilot.press(*"unpinned")
        await pilot.pause()
        assert names_shown(screen) == [NAMES[3]]
        assert str(screen.tabs.get_tab("fleet").label) == "Fleet 1/5"
        assert str(screen.tabs.get_tab("calendar").label) == "Expiry calendar 0/1"
        await pilot.press("enter")  # back to the table, the filter kept
        assert focus_of(screen) is screen.fleet_table and names_shown(screen) == [NAMES[3]]
        await pilot.press("slash")
        screen.filter_box.value = "us-east-1 3"  # every word must be in the row
        await pilot.pause()
        assert names_shown(screen) == [NAMES[2], NAMES[3]]
        await pilot.press("escape")
        await pilot.pause()
        assert names_shown(screen) == NAMES and screen.filter_box.value == ""
        assert not screen.filter_box.display

    drive(FleetApp(report=report), test)


# -- a domain's diagnosis ------------------------------------------------------------------------


def test_enter_opens_the_domains_own_report_and_escape_returns(report: Report) -> None:
    """Enter shows the domain's report (the one `domain NAME` gives) on the dashboard itself:
    its findings, a finding's screen; escape goes back step by step to the fleet, where the
    cursor still is; another domain then shows its own report on the same dashboard."""
    orders = scanned(report, NAMES[1]).report
    api = scanned(report, NAMES[0]).report

    async def test(app: FleetApp, pilot: Pilot[int]) -> None:
        screen = await fleet_shown(app, pilot)
        await select(pilot, screen, NAMES[1])
        await pilot.press("enter")
        await until(pilot, lambda: app.dashboard.report is orders, "the domain on screen")
        assert isinstance(on_top(app), DomainDashboard) and on_top(app) is app.dashboard
        assert app.report is orders
        listed = [f.id for f in app.dashboard.findings_list.findings]
        assert listed[0] == "DOMAIN_MTLS_DISABLED"
        assert sorted(listed) == sorted(f.id for f in orders.findings)
        assert NAMES[1] in app.sub_title
        await pilot.press("enter")  # the highlighted finding on its own screen
        await pilot.pause()
        assert isinstance(app.screen, FindingScreen)
        assert app.screen.finding.id == "DOMAIN_MTLS_DISABLED"
        await pilot.press("escape")
        await pilot.pause()
        assert on_top(app) is app.dashboard
        await pilot.press("escape")
        await pilot.pause()
        assert on_top(app) is screen and screen.selected_index() == 1
        assert "custom domain(s)" in app.sub_title
        await select(pilot, screen, NAMES[0])
        await pilot.press("enter")
        await until(pilot, lambda: app.dashboard.report is api, "the second domain")
        assert on_top(app) is app.dashboard
        assert "TRUSTSTORE_WEAK_SIGNATURE_HASH" in [f.id for f in
                                                    app.dashboard.findings_list.findings]
        await pilot.press("q")  # on a domain, q goes back too
        await pilot.pause()
        assert on_top(app) is screen

    drive(FleetApp(report=report), test)


def test_a_calendar_date_opens_its_domain(report: Report) -> None:
    pay = scanned(report, NAMES[2]).report

    async def test(app: FleetApp, pilot: Pilot[int]) -> None:
        await fleet_shown(app, pilot)
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: app.dashboard.report is pay, "the calendar's domain")

    drive(FleetApp(report=report), test)


def test_a_domain_the_deadline_left_unread_has_nothing_to_open(report: Report) -> None:
    async def test(app: FleetApp, pilot: Pilot[int]) -> None:
        screen = await fleet_shown(app, pilot)
        await select(pilot, screen, UNREAD)
        await pilot.press("enter")
        await pilot.pause()
        assert on_top(app) is screen and app.report is None
        assert any("was not read before the deadline" in str(n.message)
                   for n in app._notifications)

    drive(FleetApp(report=report), test)


def test_a_walkthroughs_recheck_says_it_cannot_run_here(report: Report) -> None:
    """Nothing is re-run from a scanned domain: a walkthrough's re-check ends at once, saying
    why, instead of waiting for a run that never comes."""
    from mtls_doctor.tui.screens import WalkthroughScreen

    async def test(app: FleetApp, pilot: Pilot[int]) -> None:
        screen = await fleet_shown(app, pilot)
        await select(pilot, screen, NAMES[1])
        await pilot.press("enter")
        await until(pilot, lambda: app.dashboard.report is not None, "the domain")
        app.open_walkthrough(app.dashboard.selected)
        await pilot.pause()
        walk = app.screen
        assert isinstance(walk, WalkthroughScreen)
        await until(pilot, lambda: walk.result is not None and walk.result.finished,
                    "the walk at its fix")
        walk.action_recheck()
        await pilot.pause()
        assert walk.recheck_state is not None and walk.recheck_state.startswith("failed")
        assert "as the scan read it" in walk.recheck_state

    drive(FleetApp(report=report), test)


def test_help_lists_the_fleets_keys_first(report: Report) -> None:
    async def test(app: FleetApp, pilot: Pilot[int]) -> None:
        await fleet_shown(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, FleetHelpScreen)
        assert app.screen.KEYS[0] == ("On the fleet", "")

    drive(FleetApp(report=report), test)


def test_export_on_the_fleet_writes_the_scans_report(report: Report, tmp_path: Path,
                                                     scan_file: Path) -> None:
    """`e` on the fleet exports the whole scan (on a domain: that domain's report), and never
    onto the scan's snapshot."""
    target = tmp_path / "fleet.json"

    async def write(app: FleetApp, pilot: Pilot[int], dialog: ExportScreen, path: Path) -> None:
        box = dialog.query_one("#export-path", Input)
        box.value = str(path)
        box.focus()
        presses = dialog.presses
        await pilot.press("enter")  # as Write does
        await until(pilot, lambda: dialog.presses > presses and dialog.pending is None,
                    "the dialog handled")
        await app.workers.wait_for_complete()
        await pilot.pause()

    async def test(app: FleetApp, pilot: Pilot[int]) -> None:
        await fleet_shown(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        dialog.query_one("#fmt-json", RadioButton).value = True
        await pilot.pause()
        assert dialog.fmt == "json"
        await write(app, pilot, dialog, scan_file)  # refused: the scan's own input
        assert "also an input file" in dialog.message
        assert on_top(app) is dialog and exported(app) is None
        await write(app, pilot, dialog, target)
        assert exported(app) == target.resolve() and on_top(app) is app.fleet

    drive(FleetApp(report=report, inputs=[str(scan_file)]), test)
    assert json.loads(target.read_text(encoding="utf-8")) == document(report)


# -- the scan running, quitting ------------------------------------------------------------------


def test_q_on_the_fleet_exits_with_the_scans_code(report: Report) -> None:
    async def test(app: FleetApp, pilot: Pilot[int]) -> None:
        await fleet_shown(app, pilot)
        await pilot.press("q")

    assert report.exit_code == 1
    assert drive(FleetApp(report=report), test).return_value == 1


def test_the_scan_runs_in_its_thread_with_its_progress(report: Report, scan_file: Path) -> None:
    """The progress line counts what the scan told (listings, domains found and read) while
    the event loop stays free; then the rows; q exits with the scan's code."""
    gate = threading.Event()
    told = threading.Event()

    def scan(deadline: Deadline, progress: Callable[[str, int], None]) -> Report:
        assert threading.current_thread() is not threading.main_thread()
        progress("listings", 4)
        for n in (2, 1, 2):
            progress("listed", n)
        progress("read", 1)
        progress("read", 1)
        told.set()
        assert gate.wait(20)
        return run_scan_command(at=AT, now=AT, snapshot=str(scan_file), progress=progress,
                                deadline=deadline)

    async def test(app: FleetApp, pilot: Pilot[int]) -> None:
        await until(pilot, told.is_set, "the scan's progress")
        await until(pilot, lambda: "2 read" in lead_text(app.fleet), "the progress line")
        assert "3 of 4 account/region listing(s) answered, 5 custom domain(s) found, 2 read" \
            in lead_text(app.fleet)
        assert scanning(app) and app.exit_code == CANCELLED
        gate.set()
        screen = await fleet_shown(app, pilot)
        assert names_shown(screen) == NAMES and not scanning(app)
        assert app.progress.diagnosing == len(NAMES)
        await pilot.press("q")

    app = drive(FleetApp(scan, timeout=30), test)
    assert app.return_value == 1 and not app.cancelled


def test_a_real_scan_against_moto_tells_its_progress(moto_endpoint: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The scan `scan` runs (`run_scan_command`, moto's server mode: one account, two regions,
    four domains) tells the fleet view each listing and each domain read; its rows are the
    domains the lab made."""
    import moto.settings

    from mtls_doctor.aws import collect
    from tests.fleet_lab import FleetLab
    from tests.test_domain import Dns, _reset, clean_aws_env

    _reset(moto_endpoint)
    monkeypatch.setattr(moto.settings, "ACM_VALIDATION_WAIT", -1)
    placed = FleetLab(moto_endpoint).fleet(4, ("123456789012",), ("us-east-1", "eu-west-1"),
                                           prefix="tui")
    clean_aws_env(monkeypatch, tmp_path, moto_endpoint)
    monkeypatch.setattr(collect, "lookup", Dns().lookup)

    def scan(deadline: Deadline, progress: Callable[[str, int], None]) -> Report:
        return run_scan_command(at=AT, now=AT, regions="us-east-1,eu-west-1",
                                deadline=deadline, progress=progress)

    async def test(app: FleetApp, pilot: Pilot[int]) -> None:
        screen = await fleet_shown(app, pilot)
        assert sorted(names_shown(screen)) == sorted(p.name for p in placed)
        progress = app.progress
        assert (progress.listings, progress.listed, progress.found, progress.read,
                progress.diagnosing) == (2, 2, 4, 4, 4)
        await pilot.press("q")

    app = drive(FleetApp(scan, timeout=60), test)
    assert app.scan_report is not None and app.return_value == app.scan_report.exit_code


def test_quit_mid_scan_cancels_it_and_exits_130() -> None:
    """q mid-scan asks first; y cancels the scan's deadline (its calls stop at their next
    wait) and exits 130, nothing reported."""
    seen: dict[str, Any] = {}

    def scan(deadline: Deadline, progress: Callable[[str, int], None]) -> Report:
        seen["deadline"] = deadline
        while not deadline.wait(0.05):
            pass
        raise TimeoutError("cancelled")

    async def test(app: FleetApp, pilot: Pilot[int]) -> None:
        await until(pilot, lambda: "deadline" in seen, "the scan started")
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("n")  # keep scanning
        await pilot.pause()
        assert on_top(app) is app.fleet and scanning(app)
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()

    app = drive(FleetApp(scan, timeout=30), test)
    assert app.return_value == CANCELLED and app.cancelled
    assert seen["deadline"].cancelled and app.scan_report is None


@pytest.mark.parametrize(("error", "code"), [(InputError("scan snapshot 'x' is a directory"), 2),
                                             (KeyError("bug"), 3)])
def test_a_failed_scan_is_said_and_q_exits_with_its_code(error: Exception, code: int) -> None:
    def scan(deadline: Deadline, progress: Callable[[str, int], None]) -> Report:
        raise error

    async def test(app: FleetApp, pilot: Pilot[int]) -> None:
        await until(pilot, lambda: app.error is not None, "the failure")
        assert "The scan failed; nothing was decided." in lead_text(app.fleet)
        await pilot.press("q")

    app = drive(FleetApp(scan, timeout=30), test)
    assert app.return_value == code and app.error_code == code


def test_progress_counts_from_many_threads() -> None:
    progress = ScanProgress()
    progress("listings", 8)

    def work() -> None:
        for _ in range(1000):
            progress("read", 1)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert progress.read == 4000
    assert "0 of 8 account/region listing(s) answered" in str(progress.line(1.0, 30))
    progress("diagnosing", 12)
    assert str(progress.line(2.0, 30)).startswith("Diagnosing 12 custom domain(s)")


# -- the command line ----------------------------------------------------------------------------


def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """stdin and stdout are a terminal (called in the test: stdout is then capsys's own)."""
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)


def test_scan_at_a_terminal_opens_the_fleet_view(scan_file: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """`scan` at a terminal runs the fleet app with the command's own scan (here: the
    snapshot replayed, judged at --at) and prints the one-line summary after it; its exit code
    is the scan's."""
    ran: dict[str, Any] = {}

    def run(self: FleetApp, *args: Any, **kwargs: Any) -> int:
        assert self.scan is not None
        report = self.scan(Deadline(self.scan_timeout), ScanProgress())
        self.scan_report, self.scan_view = report, FleetView.of(payload(report))
        ran["report"], ran["inputs"] = report, self.inputs()
        return report.exit_code

    monkeypatch.setattr(FleetApp, "run", run)
    terminal(monkeypatch)
    saved = scan_file.parent / "saved.json"
    code = cli.main(["scan", "--aws-snapshot", str(scan_file), "--at", AT.isoformat(),
                     "--save", str(saved)])
    assert code == 1
    assert [r.name for r in payload(ran["report"]).rows] == NAMES
    assert ran["inputs"] == [str(scan_file), str(saved)]
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"mtls-doctor: replay of {scan_file} (5 custom domain(s) in 3 "
                           "account(s), 2 region(s)): ")
    assert line.endswith("; exit 1")


def tui_must_not_open(monkeypatch: pytest.MonkeyPatch) -> None:
    """At a terminal (faked), with the fleet app failing the test if it opens."""
    def run(self: FleetApp, *args: Any, **kwargs: Any) -> int:
        raise AssertionError("the TUI opened")

    monkeypatch.setattr(FleetApp, "run", run)
    terminal(monkeypatch)


@pytest.mark.parametrize("extra", [["--no-tui"], ["--format", "json"]])
def test_scan_prints_its_report_when_asked(scan_file: Path, extra: list[str],
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    tui_must_not_open(monkeypatch)
    assert cli.main(["scan", "--aws-snapshot", str(scan_file), *extra]) == 1
    assert "api.example.test" in capsys.readouterr().out


def test_bad_scan_input_is_exit_2_before_the_tui(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    tui_must_not_open(monkeypatch)
    assert cli.main(["scan", "--aws-snapshot", str(tmp_path / "none.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert cli.main(["scan", "--role-arn", "not-an-arn"]) == 2
    assert "not an IAM role ARN" in capsys.readouterr().err
    assert cli.main(["scan", "--regions", "eu-west-1,mars"]) == 2
    assert "'mars' is not a region name" in capsys.readouterr().err
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    assert cli.main(["scan"]) == 2  # no region anywhere
    assert "give --regions" in capsys.readouterr().err


# -- a snapshot ----------------------------------------------------------------------------------


def test_fleet_snapshot(snap_compare: Callable[..., bool], report: Report) -> None:
    """The fleet at 160x45: the rows, the leads, the tabs and the footer's keys."""
    pytest.importorskip("pytest_textual_snapshot")

    async def shown(pilot: Pilot[int]) -> None:
        app = pilot.app
        assert isinstance(app, FleetApp)
        await fleet_shown(app, pilot)

    assert snap_compare(FleetApp(report=report), terminal_size=SIZE, run_before=shown)
