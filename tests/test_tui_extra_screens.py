"""The traffic screen and the fix screen (`tui/screens/traffic.py`, `tui/screens/fix.py`) driven by
Pilot, each pushed on a tiny host app that does what the app will do with their messages.

Payloads come from the real collectors against moto on loopback where the screen's behaviour
depends on them (`traffic` reading CloudWatch Logs; `fix` building plans, carrying them out
through `apply_plans` in a thread, re-checking, rolling back), and from typed payload objects
built here for the rest (hostile text, a pre-flight that fails, no plan at all).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest

pytest.importorskip("textual")

from rich.console import Console
from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Input, RichLog, Static, TabbedContent

from mtls_doctor.apply.build import Inputs, build_plans
from mtls_doctor.apply.plan import (
    Call,
    FixPlan,
    Outcome,
    Plan,
    Preflight,
    Rollback,
    StepResult,
    finding_key,
)
from mtls_doctor.aws.calls import Aws
from mtls_doctor.commands.fix import FixOptions, apply_plans, diagnose, run_fix
from mtls_doctor.deadline import Deadline
from mtls_doctor.model.domain import DomainFacts
from mtls_doctor.model.finding import Finding
from mtls_doctor.model.verdict import Verdict, VerdictReason
from mtls_doctor.report.certs import colon_hex
from mtls_doctor.traffic.model import (
    RefusalGroup,
    Rehearsal,
    SeenCertificate,
    StageTraffic,
    StatusCount,
    Traffic,
)
from mtls_doctor.tui.screens.fix import FixScreen, dry_run_command, plans_for, typed_name
from mtls_doctor.tui.screens.traffic import TrafficScreen, tab_titles
from mtls_doctor.tui.widgets import CommandList
from tests import test_fix, test_traffic
from tests.fix_aws import moto_domain
from tests.test_domain import NAME, REGION, Moto
from tests.test_fix import FAST, messy_http, stale_http, writes
from tests.test_traffic_report import UNKNOWN_MSG, busy_domain

# moto on loopback behind the apply proxy (a fault proxy that also answers apigatewayv2
# UpdateDomainName), the journal under tmp_path; the PKIs of the fix and traffic tests
moto_endpoint = test_fix.moto_endpoint
aws = test_fix.aws
acm_issues_at_once = test_fix.acm_issues_at_once
certs = test_fix.certs
partners = test_traffic.partners

pytestmark = pytest.mark.timeout(180)

SIZE = (100, 30)
NOW = datetime(2026, 11, 29, 19, 0, tzinfo=UTC)


# -- the host app ---------------------------------------------------------------------------------


class Host(App[None]):
    """One screen on an otherwise empty app with an app key of its own (`r`, as the real app's
    re-run), recording what the screen asked for; it carries a fix out the way the fix
    screen's docstring says the app does (`apply_plans` / `run_fix` in a thread)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("r", "rerun", "Re-run")]

    def __init__(self, screen: Screen[Any], *, facts: DomainFacts | None = None,
                 findings: list[Finding] | None = None) -> None:
        super().__init__()
        self.first = screen
        self.facts = facts
        self.findings = findings or []
        self.copied: list[str] = []
        self.results: list[Any] = []
        self.walkthroughs: list[TrafficScreen.WalkthroughRequested] = []
        self.applies: list[FixScreen.ApplyRequested] = []
        self.rollbacks: list[FixScreen.RollbackRequested] = []
        self.reruns = 0

    def on_mount(self) -> None:
        self.push_screen(self.first, self.results.append)

    def copy_to_clipboard(self, text: str) -> None:
        self.copied.append(text)

    def action_rerun(self) -> None:
        self.reruns += 1

    def on_traffic_screen_walkthrough_requested(
            self, message: TrafficScreen.WalkthroughRequested) -> None:
        self.walkthroughs.append(message)

    # -- the fix screen's messages, handled as its docstring says ------------------------------

    def options(self, fix: FixPlan) -> FixOptions:
        now = datetime.now(UTC).replace(microsecond=0)
        return FixOptions(fix.domain, now, now, region=fix.region, timeout=60, pacing=FAST)

    def on_fix_screen_apply_requested(self, message: FixScreen.ApplyRequested) -> None:
        self.applies.append(message)
        if self.facts is not None:
            self.carry_out(message.fix, self.screen)

    def on_fix_screen_rollback_requested(self, message: FixScreen.RollbackRequested) -> None:
        self.rollbacks.append(message)
        if self.facts is not None:
            self.roll_back(message, self.screen)

    @work(thread=True, exclusive=True, group="fix", exit_on_error=False)
    def carry_out(self, fix: FixPlan, screen: Screen[Any]) -> None:
        assert isinstance(screen, FixScreen) and self.facts is not None
        try:
            opts = self.options(fix)
            report = apply_plans(opts, fix, self.facts, self.findings,
                                 Aws(None, Deadline(opts.timeout)),
                                 progress=lambda line: self.call_from_thread(screen.progress,
                                                                             line))
            plan = report.payload["plan"]
            assert isinstance(plan, FixPlan) and plan.outcome is not None
            self.call_from_thread(screen.carried_out, plan.outcome)
        except Exception as exc:  # noqa: BLE001 - the screen says it, in one line
            self.call_from_thread(screen.failed, str(exc))

    @work(thread=True, exclusive=True, group="fix", exit_on_error=False)
    def roll_back(self, message: FixScreen.RollbackRequested, screen: Screen[Any]) -> None:
        assert isinstance(screen, FixScreen)
        opts = replace(self.options(screen.fix), rollback=message.run_id, yes=True)
        report = run_fix(opts, progress=lambda line: self.call_from_thread(screen.progress, line))
        plan = report.payload["plan"]
        assert isinstance(plan, FixPlan) and plan.outcome is not None
        self.call_from_thread(screen.rolled_back, plan.outcome)


def host(screen: Screen[Any], test: Callable[[Host, Pilot[None]], Awaitable[None]], *,
         size: tuple[int, int] = SIZE, **kwargs: Any) -> Host:
    async def main() -> Host:
        app = Host(screen, **kwargs)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await test(app, pilot)
        return app
    return asyncio.run(main())


def plain(widget: Static) -> str:
    """What a Static holds, as plain text (wide, so little wraps)."""
    console = Console(width=300, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(widget.content)
    console.file.close()
    return console.export_text()


def cells(table: DataTable[Any]) -> list[list[str]]:
    """The rows of a DataTable as plain strings."""
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def current(app: App[Any]) -> Any:
    """The active screen (a function, so mypy forgets earlier narrowing)."""
    return app.screen


def focused(app: App[Any]) -> Any:
    """The focused widget (a function, so mypy forgets earlier narrowing)."""
    return app.focused


def last_note(app: App[Any]) -> str:
    return str(list(app._notifications)[-1].message)


async def settle(app: App[Any], pilot: Pilot[None]) -> None:
    """Every worker of the app finished and what it posted handled."""
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


# -- traffic: a payload built here --------------------------------------------------------------


def verdict(reason: VerdictReason) -> Verdict:
    return Verdict(reason is VerdictReason.OK, reason, (), "stated by the test")


def seen(ref: str, subject: str, *, requests: int, refused: int = 0, serial: str = "0a1b2c",
         today: VerdictReason = VerdictReason.OK, days_left: int = 300) -> SeenCertificate:
    return SeenCertificate(
        ref, True, subject, "CN=Test CA", serial, NOW - timedelta(days=30),
        NOW + timedelta(days=days_left), "AA:BB", requests, refused, requests / 100,
        NOW - timedelta(hours=3), NOW - timedelta(hours=1), ("a1b2c3/prod",),
        days_left=days_left, verdict=verdict(today))


def typed_traffic(*, rehearsal: bool = False, subject: str = "CN=device-1") -> Traffic:
    """A traffic payload stated by the test: one stage, two refusal reasons (one explained),
    two clients, one of them expiring."""
    clients = (seen("ref-1", subject, requests=90, serial="1f2e3d"),
               seen("ref-2", "CN=device-2", requests=10, refused=10, days_left=5,
                    today=VerdictReason.EXPIRED))
    refusals = (
        RefusalGroup("403", "Access denied. Reason: certificate has expired", "ACCESS_DENIED",
                     10, 0.1, ("a1b2c3/prod",), ("ref-2",), "CLIENT_REJECTED",
                     "client-rejected", True),
        RefusalGroup("500", UNKNOWN_MSG, None, 1, 0.01, ("a1b2c3/prod",), (), None, None))
    stage = StageTraffic("a1b2c3", "http", "prod", "cloudwatch", read="ok", requests=101,
                         refused=11, by_status=(StatusCount("200", 90), StatusCount("403", 10),
                                                StatusCount("500", 1)))
    return Traffic("api.example.com", "eu-west-1", "24h", NOW - timedelta(hours=24), NOW,
                   100_000, 101, 101, 11, (stage,), refusals, clients, ("ref-2",), 30,
                   "s3://bucket/truststore.pem",
                   Rehearsal("candidate.pem", ("ref-1",), ("ref-2",), (), (), 1.0, 0.9)
                   if rehearsal else None)


def test_traffic_screen_tabs_filter_and_keys() -> None:
    """Refusals first (there are some); typed letters filter every table and fire no app key;
    1-6 choose a tab; escape clears, then closes; `q` typed in the filter is text."""
    async def test(app: Host, pilot: Pilot[None]) -> None:
        screen = current(app)
        assert isinstance(screen, TrafficScreen)
        tabs = screen.query_one("#traffic-tabs", TabbedContent)
        assert tabs.active == "refusals"
        refusals = screen.query_one("#traffic-refusals", DataTable)
        assert focused(app) is refusals and refusals.row_count == 2
        assert tab_titles(screen)[:3] == ["Stages 1", "Refusals 2", "Clients 2"]
        await pilot.press(*"device-2r")
        await pilot.pause()
        assert screen.filter_box.value == "device-2r" and app.reruns == 0
        await pilot.press("backspace")
        await pilot.pause()
        assert tab_titles(screen)[2] == "Clients 1/2" and tab_titles(screen)[4] == "Expiring 1/1"
        await pilot.press("q")  # in the filter: a letter like any other
        assert current(app) is screen and screen.filter_box.value == "device-2q"
        await pilot.press("backspace", "enter")  # enter goes back to the table
        await pilot.pause()
        assert focused(app) is refusals
        await pilot.press("3")
        await pilot.pause()
        assert tabs.active == "clients"
        clients = screen.query_one("#traffic-clients", DataTable)
        assert focused(app) is clients
        [row] = cells(clients)
        assert row[0] == "CN=device-2" and row[8] == "refused: EXPIRED"
        await pilot.press("escape")  # clears the filter first
        await pilot.pause()
        assert screen.filter_box.value == "" and current(app) is screen
        assert [r[0] for r in cells(clients)] == ["CN=device-1", "CN=device-2"]
        assert cells(clients)[0][2] == colon_hex("1f2e3d")  # serials in colon hex
        await pilot.press("4")
        await pilot.pause()
        rehearsal = plain(screen.query_one("#traffic-rehearsal-facts", Static))
        assert "No rotation rehearsal" in rehearsal and "--truststore" in rehearsal
        await pilot.press("escape")
        await pilot.pause()
        assert current(app) is not screen and app.results == [None] and app.reruns == 0

    host(TrafficScreen(typed_traffic()), test)


def test_traffic_refusal_enter_asks_for_its_walkthrough() -> None:
    async def test(app: Host, pilot: Pilot[None]) -> None:
        screen = current(app)
        await pilot.press("enter")
        await pilot.pause()
        [asked] = app.walkthroughs
        assert asked.walkthrough == "client-rejected" and asked.finding == "CLIENT_REJECTED"
        assert asked.refusal.status == "403"
        await pilot.press("down", "enter")  # the 500 no walkthrough explains
        await pilot.pause()
        assert len(app.walkthroughs) == 1 and "no walkthrough" in last_note(app)
        assert current(app) is screen

    host(TrafficScreen(typed_traffic()), test)


def test_traffic_screen_shows_hostile_text_escaped() -> None:
    hostile = "CN=evil\x1b[2J\u202edevice"

    async def test(app: Host, pilot: Pilot[None]) -> None:
        screen = current(app)
        await pilot.press("3")
        await pilot.pause()
        clients = screen.query_one("#traffic-clients", DataTable)
        first = cells(clients)[0][0]
        assert "\x1b" not in first and "\u202e" not in first
        assert "\\x1b" in first and "\\u202e" in first
        await pilot.press("4")
        await pilot.pause()
        breaks = screen.query_one("#traffic-breaks", DataTable)
        assert "\\x1b" in cells(breaks)[0][0]

    host(TrafficScreen(typed_traffic(rehearsal=True, subject=hostile)), test, size=(80, 24))


def test_traffic_screen_on_a_real_traffic_report(aws, partners, acm_issues_at_once, write):
    """The payload `traffic` makes from moto's CloudWatch Logs: the stage, the refusals by
    reason (enter on one asks for client-rejected), the clients with both verdicts, the
    rehearsal and the radar, as the report view draws them."""
    report = busy_domain(aws, partners, write("candidate.pem", partners.candidate))
    traffic = report.payload["traffic"]
    assert isinstance(traffic, Traffic)

    async def test(app: Host, pilot: Pilot[None]) -> None:
        screen = current(app)
        lead = plain(screen.query_one("#traffic-lead", Static))
        assert NAME in lead and "101 request(s), 6 refused" in lead
        refusals = cells(screen.query_one("#traffic-refusals", DataTable))
        assert [r[2] for r in refusals] == ["403", "403", "500"]
        await pilot.press("enter")
        await pilot.pause()
        assert [m.walkthrough for m in app.walkthroughs] == ["client-rejected"]
        await pilot.press("1")
        await pilot.pause()
        [stage] = cells(screen.query_one("#traffic-stages", DataTable))
        assert stage[0].endswith("/prod") and stage[3] == "101"
        await pilot.press("3")
        await pilot.pause()
        clients = {r[0]: r for r in cells(screen.query_one("#traffic-clients", DataTable))}
        alpha = clients["CN=alpha-client"]
        assert alpha[2] == colon_hex(format(partners.alpha.cert.serial_number, "x"))
        assert (alpha[8], alpha[9]) == ("accepted", "refused: ISSUER_NOT_IN_TRUSTSTORE")
        await pilot.press("4")
        await pilot.pause()
        [brk] = cells(screen.query_one("#traffic-breaks", DataTable))
        assert brk[0] == "CN=alpha-client"
        assert "would break" in plain(screen.query_one("#traffic-rehearsal-facts", Static))
        await pilot.press("5")
        await pilot.pause()
        radar = [r[0] for r in cells(screen.query_one("#traffic-expiring", DataTable))]
        assert "CN=soon-client" in radar
        await pilot.press("6")
        await pilot.pause()
        assert "events read" in plain(screen.query_one("#traffic-window-facts", Static))

    host(TrafficScreen(traffic), test, size=(160, 45))


# -- fix: typed plans ---------------------------------------------------------------------------


def pin_plan(*, preflight: str = "pass", addresses: tuple[str, ...] = (
        "DOMAIN_TRUSTSTORE_STALE",)) -> Plan:
    call = Call("apigatewayv2", "UpdateDomainName", "eu-west-1",
                {"DomainName": "api.example.com",
                 "MutualTlsAuthentication": {"TruststoreUri": "s3://b/k",
                                             "TruststoreVersion": "v2"}}, "pin v2")
    back = replace(call, params={**call.params, "MutualTlsAuthentication": {
        "TruststoreUri": "s3://b/k", "TruststoreVersion": "v1"}}, why="back to v1")
    return Plan("pin", "pin", "pin the newest truststore version", addresses, (call,),
                (Preflight("new version readable", preflight, "stated by the test"),),
                Rollback({"truststore_version": "v1"}, (back,)))


def typed_fix(*plans: Plan) -> FixPlan:
    return FixPlan("api.example.com", "eu-west-1", "http", plans)


def test_plans_for_narrows_to_the_finding() -> None:
    pin = pin_plan()
    other = replace(pin_plan(addresses=("DOMAIN_EXECUTE_API_ENABLED a1 prod",)), id="x")
    fix = typed_fix(pin, other)
    assert plans_for(fix, "DOMAIN_TRUSTSTORE_STALE").plans == (pin,)
    assert plans_for(fix, "DOMAIN_EXECUTE_API_ENABLED").plans == (other,)
    assert plans_for(fix, "DOMAIN_EXECUTE_API_ENABLED a1 prod").plans == (other,)
    assert plans_for(fix, "DOMAIN_EXECUTE_API_ENABLED b2 prod").plans == ()
    assert plans_for(fix, None).plans == (pin, other)
    assert typed_name("  API.Example.com. ") == "api.example.com"
    assert dry_run_command(fix) == ("mtls-doctor fix api.example.com --region eu-west-1 "
                                    "--plan pin")


def test_fix_screen_asks_for_the_name_and_never_applies_without_it() -> None:
    async def test(app: Host, pilot: Pilot[None]) -> None:
        screen = current(app)
        assert isinstance(screen, FixScreen)
        box = screen.query_one("#fix-consent", Input)
        assert focused(app) is box and "api.example.com" in box.placeholder
        view = plain(screen.query_one("#fix-view", Static))
        for text in ("Plan pin", "apigatewayv2.UpdateDomainName", "Pre-flight",
                     "Rollback calls", "truststore_version"):
            assert text in view, text
        await pilot.press(*"api.example.org", "enter")
        await pilot.pause()
        assert app.applies == [] and "not applied" in last_note(app)
        assert screen.state == "plan"
        box.value = ""
        await pilot.press(*"API.example.com.", "enter")
        await pilot.pause()
        [asked] = app.applies
        assert asked.fix.plans == screen.fix.plans and screen.state == "running"
        assert not box.display  # nothing more to type while it runs
        await pilot.press("escape", "q", "r")
        await pilot.pause()
        assert current(app) is screen and app.reruns == 0  # stays open, no app key fired
        screen.progress("apigatewayv2.UpdateDomainName (pin v2)")
        outcome = Outcome("20261129T190000Z-abc123", (
            StepResult("pin", "apigatewayv2.UpdateDomainName", "ok"),
            StepResult("pin", "apigatewayv2.GetDomainName", "ok", "AVAILABLE")), True,
            gone=("DOMAIN_TRUSTSTORE_STALE",),
            message="applied: every call answered; the re-check finds all 1 fixed "
                    "finding(s) gone")
        screen.carried_out(outcome)
        await pilot.pause()
        state = plain(screen.query_one("#fix-state", Static))
        assert "✓" in state and "re-check finds all 1" in state
        assert "gone" in plain(screen.query_one("#fix-view", Static))
        log = screen.query_one("#fix-progress", RichLog)
        assert log.display and len(screen.lines) == 3
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]

    host(FixScreen(typed_fix(pin_plan()), "DOMAIN_TRUSTSTORE_STALE"), test)


def test_fix_screen_refuses_a_plan_whose_preflight_fails() -> None:
    async def test(app: Host, pilot: Pilot[None]) -> None:
        screen = current(app)
        box = screen.query_one("#fix-consent", Input)
        assert not box.display
        assert "Refused" in plain(screen.query_one("#fix-state", Static))
        await pilot.press(*"api.example.com", "enter", "r")
        await pilot.pause()
        assert app.applies == [] and app.reruns == 0 and current(app) is screen
        await pilot.press("y")  # `y` copies the commands (here: the dry run)
        assert app.copied == [dry_run_command(screen.fix) + "\n"]
        await pilot.press("q")
        await pilot.pause()
        assert app.results == [None]

    host(FixScreen(typed_fix(pin_plan(preflight="unknown"))), test, size=(80, 24))


def test_fix_screen_without_a_plan_for_the_finding() -> None:
    async def test(app: Host, pilot: Pilot[None]) -> None:
        screen = current(app)
        assert "No plan fixes this finding" in plain(screen.query_one("#fix-view", Static))
        assert not screen.query_one("#fix-consent", Input).display
        assert not screen.query_one("#fix-commands", CommandList).display
        await pilot.press(*"api.example.com", "enter")
        await pilot.pause()
        assert app.applies == []

    host(FixScreen(typed_fix(pin_plan()), "DOMAIN_EXECUTE_API_ENABLED a1 prod"), test)


# -- fix: carried out against moto -------------------------------------------------------------


def domain_plans(moto: Moto) -> tuple[FixPlan, DomainFacts, list[Finding]]:
    """What the app has before the `a` key: the domain's facts and findings, and the plans
    built from them (the pre-flight reads S3)."""
    now = datetime.now(UTC).replace(microsecond=0)
    opts = FixOptions(NAME, now, now, region=REGION, timeout=60, pacing=FAST)
    facts, findings, session = diagnose(opts, Deadline(60))
    return build_plans(facts, findings, Inputs(now), session), facts, findings


def key_of(findings: list[Finding], finding_id: str) -> str:
    f = next(f for f in findings if f.id == finding_id)
    return finding_key(f.id, f.evidence)


def test_fix_screen_pins_the_newest_version_after_the_name_is_typed(aws, certs,
                                                                    acm_issues_at_once):
    _, v2 = stale_http(aws, certs)
    fix, facts, findings = domain_plans(aws)

    async def test(app: Host, pilot: Pilot[None]) -> None:
        screen = current(app)
        assert [p.id for p in screen.fix.plans] == ["pin"]
        assert "apigatewayv2.UpdateDomainName" in plain(screen.query_one("#fix-view", Static))
        await pilot.press(*"wrong.example", "enter")
        await pilot.pause()
        await settle(app, pilot)
        assert writes(aws.proxy) == [] and app.applies == []
        screen.query_one("#fix-consent", Input).value = ""
        await pilot.press(*NAME, "enter")
        await pilot.pause()
        await settle(app, pilot)
        assert screen.state == "done", (screen.state, screen.error, screen.lines)
        assert writes(aws.proxy) == ["apigatewayv2.UpdateDomainName"]
        assert moto_domain(NAME, REGION).mutual_tls_authentication["truststoreVersion"] == v2
        assert screen.outcome is not None and screen.outcome.ok
        assert [k.split()[0] for k in screen.outcome.gone] == ["DOMAIN_TRUSTSTORE_STALE"]
        # live progress (the call as it was sent), then each call's result
        assert any("UpdateDomainName (" in line for line in screen.lines)
        assert any(line.startswith("✓ apigatewayv2.UpdateDomainName ok") for line in screen.lines)
        assert "re-check finds all 1" in plain(screen.query_one("#fix-state", Static))

    host(FixScreen(fix, key_of(findings, "DOMAIN_TRUSTSTORE_STALE")), test, facts=facts,
         findings=findings)


def test_fix_screen_offers_the_rollback_when_a_call_fails(aws, certs, acm_issues_at_once):
    v1 = messy_http(aws, certs)
    aws.proxy.fail("apigatewayv2", "UpdateDomainName", "internal")
    fix, facts, findings = domain_plans(aws)

    async def test(app: Host, pilot: Pilot[None]) -> None:
        screen = current(app)
        assert [p.id for p in screen.fix.plans] == ["truststore"]
        await pilot.press(*NAME, "enter")
        await pilot.pause()
        await settle(app, pilot)
        assert screen.state == "failed", (screen.state, screen.error, screen.lines)
        # the upload stays until the person asks: nothing is rolled back on its own
        assert writes(aws.proxy) == ["s3.PutObject", "apigatewayv2.UpdateDomainName"]
        assert len(aws.versions()) == 2
        outcome = screen.outcome
        assert outcome is not None and outcome.rollback_command
        assert outcome.rollback_command in screen.commands()
        box = screen.query_one("#fix-consent", Input)
        assert box.display and focused(app) is box and "yes" in box.placeholder
        await pilot.press(*"no", "enter")
        await pilot.pause()
        await settle(app, pilot)
        assert app.rollbacks == [] and "not rolled back" in last_note(app)
        box.value = ""
        await pilot.press(*"yes", "enter")
        await pilot.pause()
        await settle(app, pilot)
        [asked] = app.rollbacks
        assert asked.run_id == outcome.run_id
        assert screen.state == "rolled back", (screen.state, screen.lines)
        assert screen.rollback is not None and screen.rollback.ok
        assert writes(aws.proxy)[-1] == "s3.DeleteObject"
        assert [v["VersionId"] for v in aws.versions()] == [v1]
        assert moto_domain(NAME, REGION).mutual_tls_authentication["truststoreVersion"] == v1
        assert any("undo s3.DeleteObject ok" in line for line in screen.lines)

    host(FixScreen(fix, key_of(findings, "TRUSTSTORE_WEAK_SIGNATURE_HASH")), test,
         facts=facts, findings=findings)
