"""The TUI driven by Pilot against the demo lab (offline, loopback, about 0.3 s a run)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("textual")

from rich.console import Console
from rich.text import Text
from textual import events
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, OptionList, Static

from mtls_doctor.deadline import Deadline
from mtls_doctor.diagnose import demo as demo_command
from mtls_doctor.diagnose.run import CollectorRun, DiagnoseOptions
from mtls_doctor.errors import InputError
from mtls_doctor.model.domain import DomainFacts, TruststoreObject
from mtls_doctor.model.evidence import Attempt, Status
from mtls_doctor.model.finding import Check, CheckStatus, Finding, Severity
from mtls_doctor.model.probe import ClientAuth, ClientCertificate, HttpAnswer, Outcome, ProbeResult
from mtls_doctor.model.report import Report
from mtls_doctor.model.verdict import PathProblem, Verdict, VerdictReason
from mtls_doctor.report.json import document
from mtls_doctor.tui import render
from mtls_doctor.tui.app import MtlsDoctorApp
from mtls_doctor.tui.finding import finding_detail
from mtls_doctor.tui.screens import (
    CertificatesScreen,
    ExportScreen,
    FindingScreen,
    HelpScreen,
    StartScreen,
    WalkthroughScreen,
)
from mtls_doctor.tui.screens.certificates import certificate_text
from mtls_doctor.tui.screens.quit import QuitScreen
from mtls_doctor.tui.widgets import CommandList
from mtls_doctor.walkthroughs import QuestionNode
from mtls_doctor.walkthroughs.facts import report_facts
from tests import test_fix, test_traffic
from tests.tui_report import drive_fixed, finding_on_screen

pytestmark = pytest.mark.timeout(60)

# moto on loopback behind the apply proxy (`t` and `a` read it; a typed consent writes it)
moto_endpoint = test_fix.moto_endpoint
fix_aws = test_fix.aws
acm_issues_at_once = test_fix.acm_issues_at_once
certs = test_fix.certs
partners = test_traffic.partners

SIZE = (80, 24)


def plain(widget: Static) -> str:
    """What a Static holds, as plain text (wide, so nothing wraps)."""
    console = Console(width=400, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(widget.content)
    console.file.close()
    return console.export_text()


def drive(test: Callable[[MtlsDoctorApp, Pilot[int]], Awaitable[None]], *,
          size: tuple[int, int] = SIZE) -> MtlsDoctorApp:
    async def main() -> MtlsDoctorApp:
        app = MtlsDoctorApp(demo=True)
        async with app.run_test(size=size) as pilot:
            await test(app, pilot)
        return app
    return asyncio.run(main())


async def finished(app: MtlsDoctorApp, pilot: Pilot[int], *, ok: bool = True) -> None:
    """Wait until the run's report (or its failure) has reached the dashboard."""
    for _ in range(400):
        if app.report is not None or app.error is not None:
            break
        await pilot.pause(0.05)
    await pilot.pause()
    assert app.report is not None or app.error is not None
    if ok:
        assert app.error is None, app.error


def on_dashboard(app: MtlsDoctorApp) -> bool:
    """The dashboard is the active screen (a function, so mypy forgets earlier narrowing)."""
    return app.screen is app.dashboard


def option_index(widget: OptionList, predicate: Callable[[str], bool]) -> int:
    for i in range(widget.option_count):
        option = widget.get_option_at_index(i)
        if predicate(str(option.prompt)):
            return i
    raise AssertionError("no such option")


async def select_finding(app: MtlsDoctorApp, pilot: Pilot[int], finding_id: str) -> None:
    findings = app.dashboard.findings_list
    findings.focus()
    assert findings.select_id(finding_id), finding_id
    await pilot.pause()
    assert app.dashboard.selected is not None
    assert app.dashboard.selected.id == finding_id


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Hold the demo back until the test opens the gate: the first paint comes before results."""
    release = threading.Event()
    real = demo_command.run_demo

    def held(**kwargs: Any) -> Any:
        release.wait(30)
        return real(**kwargs)

    monkeypatch.setattr(demo_command, "run_demo", held)
    yield release
    release.set()


def test_first_paint_then_live_checks_and_findings(gate: threading.Event) -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await pilot.pause()
        dash = app.dashboard
        assert "demo lab" in plain(dash.query_one("#target", Static))
        checks = plain(dash.query_one("#checks", Static))
        assert checks.count("running") == 3, checks
        assert app.report is None
        gate.set()
        await finished(app, pilot)
        checks = plain(dash.query_one("#checks", Static))
        assert "running" not in checks, (checks, dash.attempts)
        assert set(dash.attempts) == {"probe", "domain", "verify-client"}
        for name, attempt in dash.attempts.items():  # each collector's mark is its status's
            mark, _ = render.attempt_mark(attempt.status)
            assert f"{mark} {name}" in checks, (name, attempt, checks)
        assert "TLS handshake" in checks  # the report's checks follow the collectors
        assert "api.demo.mtls-doctor.test:" in plain(dash.query_one("#target", Static))
        findings = dash.query_one("#findings", OptionList)
        prompts = [str(findings.get_option_at_index(i).prompt) for i in range(findings.option_count)]
        assert any(p.startswith("SERVER_FQDN_INSTEAD_OF_WILDCARD") for p in prompts)
        assert prompts[0].startswith("Errors (")  # grouped by severity, with counts
        assert any(p.startswith("Warnings (") for p in prompts)
        assert app.shown is not None
        assert str(findings.border_title) == f"Findings: {app.shown.view.counts.text}"

    drive(test)


def test_selected_finding_shows_fix_commands() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        await select_finding(app, pilot, "SERVER_FQDN_INSTEAD_OF_WILDCARD")
        finding = app.dashboard.selected
        assert finding is not None and finding.fix is not None and finding.fix.commands
        detail = plain(app.dashboard.query_one("#detail", Static))
        assert finding.title in detail
        assert "Evidence" in detail
        assert app.dashboard.detail.commands.commands == tuple(finding.fix.commands)
        await pilot.press("enter")  # the finding on its own screen
        assert isinstance(app.screen, FindingScreen)
        assert finding.title in plain(app.screen.query_one("#detail", Static))
        assert app.screen.query_one(CommandList).commands == tuple(finding.fix.commands)
        await pilot.press("escape")
        assert on_dashboard(app)

    drive(test)


async def write_export(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
    """Press Write and wait until the dialog has handled it and no longer waits for the app
    (the dialog asks the app, whose worker writes and reports back)."""
    dialog = app.screen
    assert isinstance(dialog, ExportScreen)
    presses = dialog.presses
    await pilot.click("#export-write")
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause()
        handled = dialog.presses > presses and dialog.pending is None
        if handled or not isinstance(app.screen, ExportScreen):
            break
        await pilot.pause(0.05)
    await pilot.pause()


def test_export_dialog_writes_html(tmp_path: Path) -> None:
    target = tmp_path / "report.html"

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        path = dialog.query_one("#export-path", Input)
        await pilot.click("#fmt-json")
        assert path.value.endswith(".json")  # the default name follows the format
        await pilot.click("#fmt-html")
        assert path.value.endswith(".html") and dialog.fmt == "html"
        path.value = str(target)
        await write_export(app, pilot)
        assert app.screen is app.dashboard
        assert app.last_export == target.resolve()

    drive(test)
    text = target.read_text(encoding="utf-8")
    assert "<html" in text.lower() and "SERVER_FQDN_INSTEAD_OF_WILDCARD" in text


def test_export_dialog_can_redact_what_it_writes(tmp_path: Path) -> None:
    """Ticking Redact writes what `--redact` prints; the report in the app is left as is."""
    target = tmp_path / "report.json"
    seen: dict[str, Any] = {}

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        await pilot.click("#fmt-json")
        app.screen.query_one("#export-path", Input).value = str(target)
        box = app.screen.query_one("#export-redact", Checkbox)
        assert str(box.label).startswith("Redact: off")  # its words say its state
        await pilot.click("#export-redact")
        await pilot.pause()
        assert str(box.label).startswith("Redact: on")
        await write_export(app, pilot)
        assert app.last_export == target.resolve()
        assert any("redacted json" in str(n.message) for n in app._notifications)
        assert app.report is not None
        seen["report"] = app.report

    drive(test)
    from mtls_doctor.report.redact import redact_report

    report = seen["report"]
    written = json.loads(target.read_text(encoding="utf-8"))
    assert written == document(redact_report(report))
    domain = document(report)["domain"]["name"]
    assert domain and domain not in target.read_text(encoding="utf-8")


def test_export_to_an_unwritable_path_is_a_notification(tmp_path: Path) -> None:
    """A failed write is a notification, and the dialog stays open saying why (another name can
    be tried)."""
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        dialog.query_one("#export-path", Input).value = str(tmp_path / "no" / "such" / "r.html")
        await write_export(app, pilot)
        assert app.last_export is None
        assert any("Export failed" in (n.title or "") for n in app._notifications)
        assert "cannot write" in dialog.message and app.screen is dialog  # still open

    drive(test)


def test_q_quits_with_the_reports_exit_code() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        await pilot.press("q")

    app = drive(test)
    assert app.return_value == 1  # the demo lab has error findings


def test_q_before_the_results_cancels_and_exits_130(gate: threading.Event) -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await pilot.pause()
        await pilot.press("q")  # collectors run: it asks first
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen) and app.return_value is None
        await pilot.press("y")
        await pilot.pause()
        gate.set()

    app = drive(test)
    assert app.return_value == 130 and app.cancelled
    assert app.deadline is not None and app.deadline.cancelled


def test_a_failed_diagnosis_is_a_notification_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("the lab would not start")

    monkeypatch.setattr(demo_command, "run_demo", broken)

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot, ok=False)
        assert app.error is not None and "the lab would not start" in app.error
        assert "failed" in plain(app.dashboard.query_one("#target", Static))
        assert any("Diagnosis failed" in (n.title or "") for n in app._notifications)
        await pilot.press("w")  # nothing selected: a warning, not a crash
        await pilot.press("e")  # no report yet: a warning, not a crash
        assert app.screen is app.dashboard

    drive(test)


def test_rerun_help_and_command_palette() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        await pilot.press("r")
        assert app.run_id == 2
        await finished(app, pilot)
        assert app.report is not None
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "walkthrough" in plain(app.screen.query_one("#help-keys", Static))
        await pilot.press("escape")
        assert on_dashboard(app)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Rerun", "Export", "Help", "Traffic", "Fix"} <= titles

    drive(test)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_layout_fits(size: tuple[int, int]) -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        width, height = size
        for selector in ("#target", "#checks-pane", "#findings", "#detail-pane"):
            region = app.dashboard.query_one(selector).region
            assert region.width > 10 and region.height > 0, (selector, region)
            assert region.right <= width and region.bottom <= height, (selector, region)

    drive(test, size=size)


def test_importing_the_cli_does_not_import_textual() -> None:
    code = ("import sys, mtls_doctor.cli, mtls_doctor.tui\n"
            "print(sorted({'textual', 'rich'} & {m.split('.')[0] for m in sys.modules}))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]", run.stdout


def test_options_run_the_diagnosis_itself() -> None:
    from datetime import UTC, datetime

    from mtls_doctor.demo.lab import HOST, running_lab
    from mtls_doctor.diagnose.run import DiagnoseOptions

    now = datetime.now(UTC).replace(microsecond=0)
    with running_lab() as lab:
        options = DiagnoseOptions(
            host=f"{HOST}:{lab.port}", at=now, now=now, connect=f"127.0.0.1:{lab.port}",
            cert=str(lab.client_cert), key=str(lab.client_key), aws_snapshot=str(lab.snapshot),
            timeout=10.0)

        async def main() -> MtlsDoctorApp:
            app = MtlsDoctorApp(options)
            async with app.run_test(size=SIZE) as pilot:
                await pilot.pause()
                assert f"{HOST}:{lab.port}" in plain(app.dashboard.query_one("#target", Static))
                assert app.dashboard.collectors == ["probe", "domain", "verify-client"]
                await finished(app, pilot)
                assert app.report is not None and app.report.command == "diagnose"
                await pilot.press("q")
            return app

        assert asyncio.run(main()).return_value == 1


# -- walkthrough facts from the whole report ---------------------------------------------------


@pytest.fixture(scope="module")
def demo_report() -> Report:
    from datetime import UTC, datetime

    now = datetime.now(UTC).replace(microsecond=0)
    return demo_command.run_demo(at=now, now=now)


def test_report_facts_from_the_demo(demo_report: Report) -> None:
    """The walkthroughs' facts come from the core (`walkthroughs.facts`), the TUI computes none."""
    facts = report_facts(demo_report)
    assert facts["alert"] == "unknown_ca"
    assert facts["tls_version"] == "TLSv1.3"
    assert facts["client_cert_requested"] is True and facts["client_cert_presented"] is True
    assert facts["served_names"] == ["DNS:api.demo.mtls-doctor.test"]
    assert facts["status"] == "AVAILABLE" and facts["endpoint_type"] == "REGIONAL"
    assert facts["security_policy"] == "TLS_1_2" and facts["api_type"] == "rest"
    assert facts["mtls_enabled"] is True
    assert facts["truststore_stale"] is True  # v2-demo in S3, v1-demo configured
    assert facts["version"] == "v1-demo" and facts["new_version"] == "v2-demo"
    assert facts["truststore_warning_count"] == 1
    assert facts["execute_api_enabled"] is True
    assert facts["ownership_cert_present"] is False
    assert facts["certificate_type"] == "AMAZON_ISSUED" and facts["domain_cert_issued"] is True
    assert facts["verdict_reason"] == "ISSUER_NOT_IN_TRUSTSTORE"
    assert facts["client_issuer_in_truststore"] is False
    assert facts["client_expired"] is False and facts["client_self_signed"] is False
    assert facts["served_cert_is_fqdn"] is True and facts["configured_cert_is_wildcard"] is True
    assert None not in facts.values()
    from mtls_doctor.walkthroughs import FACTS, PLACEHOLDERS
    extra = set(facts) - set(FACTS) - set(PLACEHOLDERS)
    assert extra <= {"tls_version", "served_names", "verdict_reason"}, extra


def test_the_demo_walkthroughs_name_the_labs_files_and_address() -> None:
    """In demo mode the lab tells the app its --connect address and client files: the
    walkthroughs' commands name them, never `<cert_file>` or `<connect>`."""
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        assert app.known["cert_file"] and app.known["key_file"]
        assert str(app.known["connect"]).startswith("127.0.0.1:")
        for finding_id in ("CLIENT_REJECTED", "MTLS_CLIENT_CERT_REJECTED",
                           "SERVER_FQDN_INSTEAD_OF_WILDCARD"):
            screen = await open_walkthrough(app, pilot, finding_id)
            assert screen.facts["cert_file"] == app.known["cert_file"]
            assert screen.facts["connect"] == app.known["connect"]
            shown = " ".join(screen.query_one("#commands", CommandList).commands)
            assert "<cert_file>" not in shown and "<key_file>" not in shown, shown
            assert "<connect>" not in shown and "<truststore_file>" not in shown, shown
            await pilot.press("escape")
            await pilot.pause()

    drive(test, size=(160, 50))


def _probe(**kwargs: Any) -> ProbeResult:
    base: dict[str, Any] = {"host": "api.example.com", "port": 443, "address": "192.0.2.1:443",
                            "sni": "api.example.com"}
    return ProbeResult(**{**base, **kwargs})


def _report(**payload: Any) -> Report:
    from datetime import UTC, datetime

    return Report(command="diagnose", generated_at=datetime(2026, 1, 1, tzinfo=UTC), payload=payload)


def _domain(**kwargs: Any) -> DomainFacts:
    """A domain as the collector makes it, every fact it needs collected (`evidence`)."""
    base: dict[str, Any] = {"name": "x.example.com", "region": "eu-west-1",
                            "region_source": "option", "found": True}
    facts = DomainFacts(**{**base, **kwargs})
    answered = {name: Attempt(name, Status.OK) for name in (
        "domain", "certificate", "truststore_object", "truststore_versions", "mappings")}
    return dataclasses.replace(facts, evidence={**answered, **facts.evidence})


def test_report_facts_decide_only_what_the_payload_says() -> None:
    assert report_facts(None) == {}
    assert report_facts(_report()) == {}
    # no handshake at all: no alert, nothing about the client certificate
    facts = report_facts(_report(probe=_probe()))
    assert facts == {"host": "api.example.com", "port": 443, "domain": "api.example.com"}
    # the handshake went through and the answer was 403
    ok = _probe(tls_version="TLSv1.2", client_auth=ClientAuth(True, True),
                client_certificate=ClientCertificate(True, Outcome.ACCEPTED),
                http=HttpAnswer(403, "Forbidden", {}, "{}"))
    facts = report_facts(_report(probe=ok))
    assert facts["alert"] == "none" and facts["http_status"] == 403
    # a domain AWS does not know: its name (and region) only
    facts = report_facts(_report(domain=_domain(found=False)))
    assert facts == {"domain": "x.example.com", "region": "eu-west-1"}
    # mTLS off, no mappings read, a versioned truststore that is current
    domain = _domain(status="AVAILABLE", mtls=None,
                     ownership_verification_certificate_arn="arn:own",
                     truststore_object=TruststoreObject("b", "k", "Suspended", "v1", "v1"))
    facts = report_facts(_report(domain=domain))
    assert facts["mtls_enabled"] is False and "truststore_warning_count" not in facts
    assert "execute_api_enabled" not in facts
    assert facts["truststore_stale"] is False and facts["versioning_enabled"] is False
    assert facts["ownership_cert_present"] is True and facts["ownership_arn"] == "arn:own"
    # the same truststore whose versions could not be read: staleness is not decided
    denied = dataclasses.replace(domain, evidence={
        **domain.evidence, "truststore_versions": Attempt("truststore_versions", Status.DENIED)})
    facts = report_facts(_report(domain=denied))
    assert "truststore_stale" not in facts and "versioning_enabled" not in facts


@pytest.mark.parametrize(("reason", "expected"), [
    (VerdictReason.EXPIRED, {"client_issuer_in_truststore": True, "client_expired": True,
                             "client_weak_algorithm": False}),
    (VerdictReason.WEAK_KEY, {"client_issuer_in_truststore": True, "client_expired": False,
                              "client_weak_algorithm": True}),
    (VerdictReason.OK, {"client_issuer_in_truststore": True, "client_expired": False,
                        "client_weak_algorithm": False}),
])
def test_report_facts_from_the_verdict(reason: VerdictReason, expected: dict[str, bool]) -> None:
    accepted = reason is VerdictReason.OK
    problems = () if accepted else (PathProblem(reason, "CN=c", "c.pem", "bad"),)
    verdict = Verdict(accepted, reason, ("CN=c",), "detail", problems)
    facts = report_facts(_report(verdict=verdict))
    assert facts == {"verdict_reason": str(reason), **expected}


def test_malformed_verdict_decides_nothing_about_the_path() -> None:
    verdict = Verdict(False, VerdictReason.MALFORMED, (), "not a certificate")
    assert report_facts(_report(verdict=verdict)) == {"verdict_reason": "MALFORMED"}


async def open_walkthrough(app: MtlsDoctorApp, pilot: Pilot[int], finding_id: str) -> WalkthroughScreen:
    await select_finding(app, pilot, finding_id)
    await pilot.press("w")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, WalkthroughScreen)
    return screen


# -- re-check at a walkthrough leaf -------------------------------------------------------------


# -- the certificate viewer --------------------------------------------------------------------


def test_the_viewer_lists_the_views_certificates(demo_report: Report) -> None:
    """The certificate viewer lists the view's certificates (served, client, truststore), each
    with the rows every report draws; the filter looks in their text."""
    from mtls_doctor.report.view import build
    from mtls_doctor.tui.screens.certificates import certificate_matches, certificate_text

    certs = build(demo_report).certificates
    roles = [c.role for c in certs]
    assert roles[0] == "served" and "client" in roles and roles.count("truststore") == 3
    client = next(c for c in certs if c.role == "client")
    rows = {r.label: r.value for r in client.rows}
    assert rows["subject"] == client.subject and rows["serial"].count(":") >= 1
    assert rows["SHA-256"].count(":") == 31 and rows["key"].startswith("EC")
    assert "DNS:sensor-17.partner.example" in rows["SANs"]
    hay = certificate_text(client)
    assert certificate_matches(hay, "SENSOR-17") and certificate_matches(hay, "")
    assert certificate_matches(hay, rows["SHA-256"][:11])  # a fingerprint's start
    assert not certificate_matches(hay, "no such thing")


def selected_certificate(screen: CertificatesScreen) -> Any:
    """The highlighted certificate (a function, so mypy forgets earlier narrowing)."""
    return screen.selected


def displayed(widget: Static) -> bool:
    """Whether the widget is displayed (a function, so mypy forgets earlier narrowing)."""
    return bool(widget.display)


def test_certificate_viewer_lists_filters_and_shows_fields() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CertificatesScreen)
        assert app.shown is not None and screen.certificates == app.shown.view.certificates
        box = screen.query_one("#cert-list", OptionList)
        for _ in range(100):  # the list is made a refresh after the viewer opens
            if box.option_count:
                break
            await pilot.pause(0.01)
        total = len(screen.certificates)
        assert box.option_count == total >= 5
        detail = plain(screen.query_one("#cert-detail", Static))
        for field in ("subject", "issuer", "serial", "valid", "key", "signature", "SANs",
                      "SHA-256", "basic constraints", "extended key usage", "SKI / AKI"):
            assert field in detail, field
        assert "api.demo.mtls-doctor.test" in detail  # the served leaf comes first
        assert "SERVED #1" in detail
        await pilot.click("#cert-filter")
        await pilot.press(*"partner")
        await pilot.pause()
        assert 0 < box.option_count < total
        assert all("partner" in certificate_text(screen.certificates[i])
                   for i in screen.shown)
        box.focus()
        box.highlighted = box.option_count - 1
        await pilot.pause()
        assert screen.selected is not None
        assert screen.selected.subject in plain(screen.query_one("#cert-detail", Static))
        screen.query_one("#cert-filter", Input).value = "zzz-nothing"
        await pilot.pause()
        assert box.option_count == 0 and selected_certificate(screen) is None
        assert "No certificate matches" in plain(screen.query_one("#cert-detail", Static))
        await pilot.press("escape")
        assert on_dashboard(app)
        await pilot.press("c")  # the same viewer again, as it was left
        await pilot.pause()
        assert app.screen is screen and box.option_count == 0
        await pilot.press("escape")
        await pilot.press("r")  # a new report: the viewer lists its certificates
        await finished(app, pilot)
        for _ in range(100):
            if app.run_id == 2 and app.report is not None and not app.running:
                break
            await pilot.pause(0.05)
        assert app.shown is not None
        await pilot.press("c")
        await pilot.pause()
        assert app.screen is screen
        assert screen.certificates == app.shown.view.certificates

    drive(test)


def test_certificates_before_the_report_is_a_warning(gate: threading.Event) -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await pilot.pause()
        await pilot.press("c")
        assert on_dashboard(app)
        gate.set()

    drive(test)


# -- the start form ----------------------------------------------------------------------------


def test_no_options_opens_the_start_form_with_messages_in_place(tmp_path: Path) -> None:
    async def main() -> MtlsDoctorApp:
        app = MtlsDoctorApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, StartScreen)
            assert app.run_id == 0 and app.options is None  # nothing runs before the form
            error = screen.query_one("#start-host-error", Static)
            assert not displayed(error)
            await pilot.click("#start-run")
            assert app.screen is screen and displayed(error)
            assert "required" in plain(error)
            assert screen.query_one("#start-host", Input).has_class("-invalid")
            screen.query_one("#start-host", Input).value = "api.example.com"
            screen.query_one("#start-port", Input).value = "99999"
            screen.query_one("#start-cert", Input).value = str(tmp_path / "missing.pem")
            await pilot.click("#start-run")
            assert not displayed(error)
            assert "65535" in plain(screen.query_one("#start-port-error", Static))
            assert "no such file" in plain(screen.query_one("#start-cert-error", Static))
            assert app.screen is screen
            await pilot.press("escape")
        return app

    assert asyncio.run(main()).return_value == 0


def test_the_start_form_runs_the_diagnosis(monkeypatch: pytest.MonkeyPatch) -> None:
    from mtls_doctor.demo.lab import HOST, running_lab
    from mtls_doctor.diagnose.run import run_diagnosis as real

    seen: list[Any] = []

    def offline(options: Any, progress: Any = None, *, deadline: Any = None,
                probe_progress: Any = None) -> Any:
        seen.append(options)  # the form's options, with the lab's AWS snapshot (never real AWS)
        return real(dataclasses.replace(options, aws_snapshot=str(lab.snapshot)), progress,
                    deadline=deadline, probe_progress=probe_progress)

    monkeypatch.setattr("mtls_doctor.tui.app.run_diagnosis", offline)
    with running_lab() as lab:
        async def main() -> MtlsDoctorApp:
            app = MtlsDoctorApp(options=None, demo=False)
            async with app.run_test(size=SIZE) as pilot:
                await pilot.pause()
                screen = app.screen
                assert isinstance(screen, StartScreen)
                for name, value in (("host", HOST), ("port", str(lab.port)),
                                    ("connect", f"127.0.0.1:{lab.port}"),
                                    ("cert", str(lab.client_cert)), ("key", str(lab.client_key))):
                    screen.query_one(f"#start-{name}", Input).value = value
                assert app.screen is screen
                await pilot.click("#start-run")
                await pilot.pause()
                assert on_dashboard(app)
                assert app.options is not None and app.options.host == f"{HOST}:{lab.port}"
                assert app.dashboard.collectors == ["probe", "domain", "verify-client"]
                await finished(app, pilot)
                assert app.run_id == 1 and len(seen) == 1
                assert seen[0].cert == str(lab.client_cert) and seen[0].aws_snapshot is None
                assert app.report is not None and app.report.command == "diagnose"
                assert "CLIENT_REJECTED" in {f.id for f in app.report.findings}
                await pilot.press("q")
            return app

        assert asyncio.run(main()).return_value == 1


def test_copy_fix_commands_at_the_leaf(monkeypatch: pytest.MonkeyPatch) -> None:
    copied: list[str] = []
    monkeypatch.setattr(MtlsDoctorApp, "copy_to_clipboard", lambda self, text: copied.append(text))

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        screen = await open_walkthrough(app, pilot, "CLIENT_REJECTED")
        assert screen.result is not None and screen.result.finished
        await pilot.press("y")
        await pilot.pause()
        assert screen.result.fix is not None
        assert copied == ["\n".join(screen.result.fix.commands) + "\n"]

    drive(test)


# -- overriding a detected walkthrough step -------------------------------------------------------


def shown(widget: OptionList) -> bool:
    """Whether a widget is displayed (a function, so mypy forgets earlier narrowing)."""
    return bool(widget.display)


def overriding(screen: WalkthroughScreen) -> str | None:
    """The node being overridden (a function, so mypy forgets earlier narrowing)."""
    return screen.overriding


def test_override_without_detected_steps_is_a_warning() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        screen = await open_walkthrough(app, pilot, "SERVER_FQDN_INSTEAD_OF_WILDCARD")
        assert screen.result is not None
        if screen.result.steps and any(s.detected for s in screen.result.steps):
            pytest.skip("this walkthrough detects its first steps")
        await pilot.press("o")
        await pilot.pause()
        assert overriding(screen) is None

    drive(test)


# -- the finding screen: served vs configured certificate, the chain ------------------------------


async def open_finding(app: MtlsDoctorApp, pilot: Pilot[int], finding_id: str) -> FindingScreen:
    """The finding on its screen, its certificates drawn (they come a refresh after the
    screen opens)."""
    await select_finding(app, pilot, finding_id)
    screen = await finding_on_screen(pilot, finding_id)
    assert isinstance(screen, FindingScreen)
    return screen


def test_server_finding_shows_served_vs_configured_certificate() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        screen = await open_finding(app, pilot, "SERVER_FQDN_INSTEAD_OF_WILDCARD")
        text = plain(screen.query_one("#finding-extras", Static))
        assert "Served vs configured certificate" in text
        assert "served (probe)" in text and "configured (ACM)" in text
        for field in ("Subject", "SANs", "Serial", "Issuer", "Validity"):
            assert field in text
        assert "*.demo.mtls-doctor.test" in text  # the ACM certificate's name
        assert "Certificate chain" not in text
        await pilot.press("escape")
        assert on_dashboard(app)

    drive(test, size=(160, 50))


def test_certificate_finding_shows_the_chain_tree() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        screen = await open_finding(app, pilot, "TRUSTSTORE_MISSING_ISSUER")
        text = plain(screen.query_one("#finding-extras", Static))
        assert "Certificate chain" in text and "Served vs configured" not in text
        assert "#1 " in text
        assert "└─ " in text or text.count("#") >= 1

    drive(test, size=(160, 50))


def test_client_finding_shows_the_path_api_gateway_would_build() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        screen = await open_finding(app, pilot, "CLIENT_REJECTED")
        text = plain(screen.query_one("#finding-extras", Static))
        assert "Path API Gateway would build" in text
        assert "missing: CN=Partner Root CA" in text and "client certificate" in text
        assert "client certificate #1: CN=sensor-17.partner.example" in text  # its rows
        assert "SHA-256" in text

    drive(test, size=(160, 50))


def test_a_big_chain_is_drawn_around_the_findings_certificate() -> None:
    """A thousand certificates under one root: the finding's certificate is drawn with the way
    up to the root, the rest is counted, not drawn."""
    from mtls_doctor.report.view import Node
    from mtls_doctor.tui.chain import LIMIT, flatten, tree_renderable, window

    kids = [Node(f"CN=Team CA {i:04d}", "EC secp256r1", tag=f"#{i + 2}",
                 link=f"cert-truststore-{i + 2}") for i in range(1000)]
    kids[700].children = [Node("CN=Leaf under 700", tag="#1002", link="cert-truststore-1002")]
    root = Node("CN=Root", tag="#1", link="cert-truststore-1", children=kids)
    lines = flatten([root])
    assert len(lines) == 1002
    kept = window(lines, "cert-truststore-702")
    assert len(kept) == LIMIT and kept == sorted(kept)
    assert {lines[i][1].label for i in kept} >= {"CN=Root", "CN=Team CA 0700",
                                                 "CN=Leaf under 700"}
    console = Console(width=120, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(tree_renderable("Chains", [root], "cert-truststore-702"))
    console.file.close()
    text = console.export_text()
    assert "CN=Team CA 0700" in text and "◀ this finding" in text
    assert f"… {1002 - LIMIT} more certificate(s)" in text
    assert len(text.splitlines()) == LIMIT + 2  # the title, the nodes, the count
    # a deep chain (a hostile bundle) is flattened without recursion
    deep = Node("CN=0", tag="#1")
    node = deep
    for i in range(1, 5000):
        node.children = [Node(f"CN={i}", tag=f"#{i + 1}")]
        node = node.children[0]
    assert len(flatten([deep])) == 5000
    assert window(flatten([deep]), "") == list(range(LIMIT))


def test_served_vs_configured_needs_both_certificates() -> None:
    from mtls_doctor.tui.shown import TRUSTSTORE_CHAINS, Shown

    bare = Shown.of(_report())
    assert bare.served_vs_configured() is None and bare.trees(TRUSTSTORE_CHAINS) == ()
    assert Shown.of(_report(probe=_probe())).served_vs_configured() is None


def test_palette_toggles_dark_mode() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert {"Rerun", "Export", "Walkthrough", "Help", "Toggle dark mode"} <= set(commands)
        dark = app.current_theme.dark
        commands["Toggle dark mode"].callback()
        await pilot.pause()
        assert app.current_theme.dark is not dark
        commands["Toggle dark mode"].callback()
        await pilot.pause()
        assert app.current_theme.dark is dark

    drive(test)


def test_overriding_an_earlier_step_forgets_the_answers_after_it() -> None:
    async def pick(screen: WalkthroughScreen, pilot: Pilot[int], node_id: str) -> str:
        await pilot.press("o")
        await pilot.pause()
        assert overriding(screen) == node_id
        assert screen.result is not None
        auto = next(s.answer for s in screen.result.steps if s.node == node_id)
        node = screen.walk_tree.nodes[node_id]
        assert isinstance(node, QuestionNode)
        other = next(a for a in node.answers if a != auto)
        box = screen.query_one("#answers", OptionList)
        box.highlighted = option_index(box, lambda p: p == other)
        await pilot.press("enter")
        await pilot.pause()
        return other

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        screen = await open_walkthrough(app, pilot, "MTLS_CLIENT_CERT_REJECTED")
        first = await pick(screen, pilot, "self-signed")
        assert screen.answers == {"self-signed": first}
        second = await pick(screen, pilot, "issuer-in-truststore")  # the latest still detected
        assert screen.answers == {"issuer-in-truststore": second}
        assert screen.result is not None
        assert any(s.node == "issuer-in-truststore" and s.answer == second
                   for s in screen.result.steps)
        await pilot.press("b")
        await pilot.pause()
        assert screen.answers == {}
        assert screen.result.finished and screen.result.leaf == "add-issuer"

    drive(test)


# -- honest results: undecided checks, failures, quitting mid-run --------------------------------

WHEN = datetime(2026, 1, 1, tzinfo=UTC)
HTTP_UNKNOWN = Check("probe.http", "HTTP answer", CheckStatus.UNKNOWN,
                     "could not be decided: the handshake timed out after 3 s (--timeout)")


def diagnose_options(**kwargs: Any) -> DiagnoseOptions:
    return DiagnoseOptions(**{"host": "api.example.com:443", "at": WHEN, "now": WHEN,
                              "timeout": 30.0, **kwargs})


def diagnosis(checks: Sequence[Check], attempts: Sequence[CollectorRun],
              findings: Sequence[Finding] = ()) -> Report:
    collected = [Check(f"collect.{a.name}", f"{a.name} collected",
                       CheckStatus.PASS if a.status == "ok" else CheckStatus.UNKNOWN, a.summary)
                 for a in attempts]
    return Report(command="diagnose", generated_at=WHEN, checks=(*collected, *checks),
                  findings=tuple(findings), payload={"attempts": list(attempts)})


Script = Callable[[Callable[[CollectorRun], None], Deadline], Report]


def fake_diagnosis(monkeypatch: pytest.MonkeyPatch, script: Script) -> list[Deadline]:
    """run_diagnosis replaced by `script(progress, deadline)`; the deadlines it got."""
    deadlines: list[Deadline] = []

    def run(options: DiagnoseOptions, progress: Callable[[CollectorRun], None] | None = None, *,
            deadline: Deadline | None = None, probe_progress: Any = None) -> Report:
        assert progress is not None and deadline is not None
        deadlines.append(deadline)
        return script(progress, deadline)

    monkeypatch.setattr("mtls_doctor.tui.app.run_diagnosis", run)
    return deadlines


def drive_options(options: DiagnoseOptions,
                  test: Callable[[MtlsDoctorApp, Pilot[int]], Awaitable[None]], *,
                  size: tuple[int, int] = SIZE) -> MtlsDoctorApp:
    async def main() -> MtlsDoctorApp:
        app = MtlsDoctorApp(options)
        async with app.run_test(size=size) as pilot:
            await test(app, pilot)
        return app
    return asyncio.run(main())


def as_shown(widget: Static) -> str:
    """What a Static shows at its own width (wrapped as on screen)."""
    console = Console(width=widget.content_region.width, record=True,
                      file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(widget.content)
    console.file.close()
    return console.export_text()


def styles_of(widget: Static) -> str:
    content = widget.content
    assert isinstance(content, Text)
    return " ".join(str(span.style) for span in content.spans)


def test_an_undecided_check_shows_its_question_mark_and_reason_and_is_not_green(
        monkeypatch: pytest.MonkeyPatch) -> None:
    attempts = [CollectorRun("probe", "unknown", 3.0, "0 finding(s), 1 check(s) undecided"),
                CollectorRun("domain", "ok", 0.5, "0 finding(s)")]
    report = diagnosis([Check("probe.connect", "name resolves and the port answers",
                              CheckStatus.PASS, "ok"), HTTP_UNKNOWN], attempts)

    def script(progress: Callable[[CollectorRun], None], deadline: Deadline) -> Report:
        for attempt in attempts:
            progress(attempt)
        return report

    fake_diagnosis(monkeypatch, script)

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        dash = app.dashboard
        checks = plain(dash.query_one("#checks", Static))
        assert f"? HTTP answer  {HTTP_UNKNOWN.detail}" in checks
        assert "? probe" in checks and "unknown: 0 finding(s), 1 check(s) undecided" in checks
        # in the narrow pane the reason wraps instead of being cut off
        shown = as_shown(dash.query_one("#checks", Static))
        assert "(--timeout)" in " ".join(shown.split()), shown
        target = dash.query_one("#target", Static)
        assert "done: 1 undecided (?)" in plain(target)
        assert "green" not in styles_of(target)
        detail = plain(dash.query_one("#detail", Static))
        assert "No findings, but the result is incomplete" in detail
        assert HTTP_UNKNOWN.detail in " ".join(detail.split())
        await pilot.press("q")

    app = drive_options(diagnose_options(), test)
    assert app.return_value == 1 == report.exit_code  # q after the run: the report's code


def test_a_clean_run_is_green_and_exits_0(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts = [CollectorRun("probe", "ok", 0.2, "0 finding(s)")]
    report = diagnosis([Check("probe.http", "HTTP answer", CheckStatus.PASS, "ok")], attempts)
    fake_diagnosis(monkeypatch, lambda progress, deadline: report)

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        dash = app.dashboard
        target = dash.query_one("#target", Static)
        assert "done: no findings" in plain(target) and "bold green" in styles_of(target)
        assert plain(dash.query_one("#detail", Static)).strip() == "No findings."
        await pilot.press("q")

    assert drive_options(diagnose_options(no_aws=True), test).return_value == 0


def test_a_failed_collector_keeps_the_others_results(monkeypatch: pytest.MonkeyPatch) -> None:
    timeout = Finding("PROBE_TIMEOUT", Severity.ERROR, "no answer", "no answer in time")
    attempts = [CollectorRun("probe", "ok", 3.0, "1 finding(s)"),
                CollectorRun("domain", "failed", 0.1, "AWS profile 'nosuch' not found")]
    report = diagnosis([], attempts, [timeout])

    def script(progress: Callable[[CollectorRun], None], deadline: Deadline) -> Report:
        progress(attempts[1])  # the domain fails first, the probe still runs
        progress(attempts[0])
        return report

    fake_diagnosis(monkeypatch, script)

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        dash = app.dashboard
        checks = plain(dash.query_one("#checks", Static))
        assert "running" not in checks
        assert "✗ domain" in checks and "failed: AWS profile 'nosuch' not found" in checks
        assert [f.id for f in dash.findings] == ["PROBE_TIMEOUT"]
        target = plain(dash.query_one("#target", Static))
        assert "could not run: domain" in target
        await pilot.press("q")

    assert drive_options(diagnose_options(), test).return_value == 1


@pytest.mark.parametrize(("error", "code"), [
    (InputError("the config profile (nosuch) could not be found"), 2),
    (RuntimeError("a bug"), 3),
])
def test_a_failed_diagnosis_stops_every_spinner(monkeypatch: pytest.MonkeyPatch,
                                                error: Exception, code: int) -> None:
    def script(progress: Callable[[CollectorRun], None], deadline: Deadline) -> Report:
        progress(CollectorRun("probe", "ok", 0.3, "2 finding(s)"))
        raise error

    fake_diagnosis(monkeypatch, script)

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot, ok=False)
        dash = app.dashboard
        checks = plain(dash.query_one("#checks", Static))
        assert "running" not in checks and not set(render.SPINNER) & set(checks), checks
        assert "✓ probe" in checks  # what was reported before the failure stays
        assert "✗ domain" in checks and "not finished: the diagnosis failed" in checks
        assert "failed" in plain(dash.query_one("#target", Static))
        frame = dash.frame
        await pilot.pause(0.3)
        assert dash.frame == frame  # nothing spins any more
        assert app.error_code == code
        await pilot.press("q")

    assert drive_options(diagnose_options(), test).return_value == code


def cancellable(progress: Callable[[CollectorRun], None], deadline: Deadline) -> Report:
    """A probe that reports, and a domain lookup that waits until the run is cancelled."""
    progress(CollectorRun("probe", "ok", 0.1, "0 finding(s)"))
    deadline.wait(30)
    attempt = CollectorRun("domain", "cancelled", 0.1, "the run was cancelled")
    progress(attempt)
    return diagnosis([Check("domain.found", "the custom domain exists", CheckStatus.UNKNOWN,
                            "cancelled")], [attempt])


@pytest.mark.parametrize("key", ["q", "ctrl+c"])
def test_quit_mid_run_cancels_and_exits_130_at_once(monkeypatch: pytest.MonkeyPatch,
                                                    key: str) -> None:
    deadlines = fake_diagnosis(monkeypatch, cancellable)

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        for _ in range(100):
            if "probe" in app.dashboard.attempts:
                break
            await pilot.pause(0.02)
        assert "probe" in app.dashboard.attempts and app.running
        await pilot.press(key)
        if key == "q":  # q asks first while collectors run; ctrl+c does not
            await pilot.pause()
            assert isinstance(app.screen, QuitScreen)
            await pilot.press("y")

    app = drive_options(diagnose_options(), test)  # (how fast it quits: benchmarks/)
    assert app.return_value == 130 and app.cancelled
    assert deadlines and deadlines[0].cancelled
    assert app.report is None  # nothing is reported, let alone as passed
    for thread in app.run_threads:  # the cancelled collector returned at its next wait
        thread.join(1.0)
        assert not thread.is_alive()


def test_end_without_ends_a_process_held_by_a_blocked_executor_thread() -> None:
    code = ("import threading, time\n"
            "from concurrent.futures import ThreadPoolExecutor\n"
            "from mtls_doctor.tui import end_without\n"
            "never = threading.Event()\n"
            "def run():\n"
            "    with ThreadPoolExecutor(1) as pool:\n"  # joined at interpreter exit
            "        pool.submit(never.wait).result()\n"
            "blocked = threading.Thread(target=run, daemon=True)\n"
            "blocked.start()\n"
            "done = threading.Thread(target=time.sleep, args=(0.05,))\n"
            "done.start()\n"
            "end_without([done], 0, grace=0.5)\n"  # finished in time: returns
            "print('returned', flush=True)\n"
            "end_without([blocked], 130, grace=0.2)\n"
            "print('not reached')\n")
    start = time.monotonic()
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=20, check=False)
    assert run.returncode == 130, run.stderr
    assert run.stdout.split() == ["returned"]
    assert time.monotonic() - start < 10


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts TCP and never says a word of TLS."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


def read_screen(fd: int, until: Callable[[bytes], bool], timeout: float) -> bytes:
    seen = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end and not until(seen):
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_quit_mid_run_ends_the_process_at_once(silent_port: int) -> None:
    """The real TUI in a terminal, probing a port that never answers TLS (a 30 s deadline):
    q, then y to the question, ends the process, exit 130, whatever the probe is blocked in
    (not at the deadline; how fast: benchmarks/), and the exit line says so on the terminal."""
    import fcntl
    import pty
    import struct
    import termios

    code = ("import sys\n"
            "from datetime import UTC, datetime\n"
            "from mtls_doctor.diagnose.run import DiagnoseOptions\n"
            "from mtls_doctor.tui import run_tui\n"
            "now = datetime.now(UTC).replace(microsecond=0)\n"
            f"options = DiagnoseOptions(host='127.0.0.1:{silent_port}', at=now, now=now,\n"
            "                          no_aws=True, timeout=30.0)\n"
            "sys.exit(run_tui(options))\n")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=slave, stdout=slave,
                            stderr=slave, env=env, close_fds=True, start_new_session=True)
    os.close(slave)
    try:
        screen = read_screen(master, lambda seen: b"running" in seen, 20)
        assert b"running" in screen, screen[-2000:]
        read_screen(master, lambda seen: False, 0.5)  # the probe is now blocked in its handshake
        assert proc.poll() is None
        start = time.monotonic()
        os.write(master, b"q")
        read_screen(master, lambda seen: b"cancel the run" in seen, 5)  # the question
        os.write(master, b"y")
        after = b""
        while proc.poll() is None and time.monotonic() - start < 10:
            after += read_screen(master, lambda seen: False, 0.02)
        after += read_screen(master, lambda seen: b"exit 130" in seen, 2)
        took = time.monotonic() - start
        assert proc.poll() == 130, proc.poll()
        assert took < 10, took  # not held until the probe's 30 s deadline
        summary = f"mtls-doctor: 127.0.0.1:{silent_port}: cancelled, nothing was decided; exit 130"
        assert summary.encode() in after, after[-600:]
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(5)
        os.close(master)


# -- the dashboard's keys, on the fixed report (tests/tui_report.py) ------------------------------




def highlighted_id(app: MtlsDoctorApp) -> str | None:
    """The id of the finding highlighted in the list now."""
    finding = app.dashboard.findings_list.highlighted_finding
    return finding.id if finding is not None else None


def list_order(app: MtlsDoctorApp) -> list[str]:
    """The ids of the findings as the list shows them."""
    return [f.id for f in app.dashboard.findings_list.shown]


def test_focus_starts_on_the_findings_and_down_moves_in_them() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        assert app.focused is app.dashboard.findings_list
        order = list_order(app)
        assert highlighted_id(app) == order[0]
        await pilot.press("down")
        assert highlighted_id(app) == order[1]
        await pilot.pause()
        assert order[1] in plain(app.dashboard.query_one("#detail", Static))

    drive_fixed(test)


def test_j_k_g_and_shift_g_move_in_the_findings() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        order = list_order(app)
        await pilot.press("j", "j")
        assert highlighted_id(app) == order[2]
        await pilot.press("k")
        assert highlighted_id(app) == order[1]
        await pilot.press("G")
        assert highlighted_id(app) == order[-1]
        await pilot.press("g")
        assert highlighted_id(app) == order[0]
        await pilot.press("down", "down", "down", "down", "down", "down", "down")
        assert highlighted_id(app) == order[7]  # across the severity headings

    drive_fixed(test)


def test_rows_show_the_id_and_the_title() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        box = app.dashboard.findings_list
        prompts = [str(box.get_option_at_index(i).prompt) for i in range(box.option_count)]
        assert app.report is not None
        for f in app.report.findings:
            assert any(f.id in p and f.title in p for p in prompts), f.id

    drive_fixed(test)


def test_at_160_columns_a_row_holds_the_whole_title_on_one_line() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        assert app.dashboard.has_class("-wide")
        box = app.dashboard.findings_list
        assert app.shown is not None
        longest = max(app.shown.view.findings, key=lambda f: len(f.id) + len(f.title))
        index = box.get_option_index(f"finding-{box.shown.index(longest)}")
        prompt = box.get_option_at_index(index).prompt
        assert isinstance(prompt, Text)
        assert "\n" not in prompt.plain and longest.title in prompt.plain
        assert prompt.cell_len <= box.scrollable_content_region.width  # nothing cut off

    drive_fixed(test, size=(160, 45))


def focused_id(app: MtlsDoctorApp) -> str | None:
    """The id of the focused widget (a function, so mypy forgets earlier narrowing)."""
    return app.focused.id if app.focused is not None else None


def test_slash_filters_the_findings_and_escape_clears_the_filter() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        dash = app.dashboard
        everything = list_order(app)
        await pilot.press("slash")
        assert focused_id(app) == "findings-filter"
        await pilot.press(*"truststore")  # typing never fires the dashboard's keys (t, r, s...)
        await pilot.pause()
        assert app.run_id == 1 and on_dashboard(app)
        kept = list_order(app)
        assert kept and len(kept) < len(everything)
        assert all("truststore" in f"{f.id} {f.title} {f.detail}".lower()
                   for f in dash.findings_list.shown)
        assert highlighted_id(app) == kept[0]
        await pilot.press("enter")  # back to the list, the filter kept
        assert app.focused is dash.findings_list and list_order(app) == kept
        await pilot.press("escape")  # clears it
        await pilot.pause()
        assert list_order(app) == everything and app.focused is dash.findings_list
        await pilot.press("slash", *"warning")  # by severity
        await pilot.pause()
        assert {f.severity for f in dash.findings_list.shown} == {Severity.WARNING}
        await pilot.press("escape")
        await pilot.pause()
        assert list_order(app) == everything
        await pilot.press("slash", *"no such finding")
        await pilot.pause()
        assert list_order(app) == [] and dash.selected is None
        await pilot.press("escape")
        await pilot.pause()
        assert list_order(app) == everything and dash.selected is not None

    drive_fixed(test)


def test_enter_opens_the_finding_and_q_closes_it() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await pilot.press("down", "enter")
        screen = app.screen
        assert isinstance(screen, FindingScreen)
        assert screen.finding.id == list_order(app)[1]
        await pilot.press("q")  # closes the finding, never the app
        await pilot.pause()
        assert on_dashboard(app) and app.return_value is None
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("q")
        await pilot.pause()
        assert on_dashboard(app) and app.return_value is None
        await pilot.press("q")  # from the dashboard: quits, with the report's code

    app = drive_fixed(test)
    assert app.return_value == 1


def test_q_mid_run_asks_and_n_keeps_running(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_diagnosis(monkeypatch, cancellable)

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await pilot.pause()
        assert app.running
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("n")
        await pilot.pause()
        assert on_dashboard(app) and app.running and not app.cancelled
        assert app.deadline is not None and not app.deadline.cancelled
        await pilot.press("ctrl+c")  # at once, no question

    app = drive_options(diagnose_options(), test)
    assert app.return_value == 130 and app.cancelled


def test_y_copies_the_selected_findings_commands() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        typed(app, ("down", None), ("y", "y"))  # y right after an arrow: the new finding's
        await pilot.pause()
        finding = app.dashboard.findings_list.highlighted_finding
        assert finding is not None and finding.id == list_order(app)[1]
        assert finding.fix is not None and finding.fix.commands
        assert app.clipboard == "\n".join(finding.fix.commands)
        await pilot.press("j", "enter")
        screen = app.screen
        assert isinstance(screen, FindingScreen) and screen.finding.fix is not None
        await pilot.press("y")
        assert app.clipboard == "\n".join(screen.finding.fix.commands)

    drive_fixed(test)


def test_enter_on_a_command_copies_that_command() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        assert app.dashboard.findings_list.select_id("CLIENT_REJECTED")
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, FindingScreen) and screen.finding.fix is not None
        commands = screen.finding.fix.commands
        assert len(commands) > 1
        # the finding has the focus, its top in view; tab reaches the commands, in view
        table = screen.query_one(CommandList)
        assert app.focused is not table
        await pilot.press("tab")
        assert app.focused is table
        await pilot.pause()
        assert table.region.bottom <= screen.region.bottom and table.region.height > 0
        await pilot.press("down", "enter")
        assert app.clipboard == commands[1]
        await pilot.press("up", "enter")
        assert app.clipboard == commands[0]
        assert on_screen(app, screen)

    drive_fixed(test)


def on_screen(app: MtlsDoctorApp, screen: object) -> bool:
    """`screen` is the active one (a function, so mypy forgets earlier narrowing)."""
    return app.screen is screen


def test_a_long_command_is_never_wrapped() -> None:
    """A command (a long URL in it) stays one line, whole, and scrolls sideways."""
    from tests.tui_report import fixed_report

    url = "https://api.example.test/" + "/".join(f"segment-{i:03d}" for i in range(30))
    report = fixed_report()
    first = report.findings[0]
    assert first.fix is not None
    long_fix = dataclasses.replace(first.fix, commands=(f"curl -v '{url}'", "true"))
    report = dataclasses.replace(report, findings=(dataclasses.replace(first, fix=long_fix),
                                                   *report.findings[1:]))

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        assert app.dashboard.findings_list.select_id(first.id)
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, FindingScreen)
        table = screen.query_one(CommandList)
        assert table.row_count == 2
        cell = table.get_row_at(0)[0]
        assert isinstance(cell, Text) and cell.plain == f"$ curl -v '{url}'"
        assert table.virtual_size.width >= len(cell.plain) > table.size.width  # scrolls
        assert all(row.height == 1 for row in table.ordered_rows)
        assert app.shown is not None
        view = app.shown.finding_view(first.id)
        assert view is not None
        shown = finding_detail(view)  # and the drawing never folds a command
        assert "fold" not in {getattr(part, "overflow", None) for part in shown.renderables}

    drive_fixed(test, report=report)


def typed(app: MtlsDoctorApp, *keys: tuple[str, str | None]) -> None:
    """Keys as a terminal delivers them when typed fast: queued back to back, none handled
    before the next arrives (`pilot.press` waits after each key, which hides such bugs)."""
    for key, character in keys:
        app.post_message(events.Key(key, character))


def test_w_right_after_an_arrow_opens_the_finding_now_highlighted() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        with_walk = [f.id for f in app.dashboard.findings_list.shown if f.walkthrough]
        for expected in with_walk[1:4]:  # three tries
            typed(app, ("down", None), ("w", "w"))
            await pilot.pause()
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, WalkthroughScreen), expected
            assert screen.finding_id == expected
            await pilot.press("escape")
            await pilot.pause()
            assert on_dashboard(app)

    drive_fixed(test)


def test_live_probe_steps_with_the_time_against_the_deadline(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from mtls_doctor.probe.run import ProbeStep
    from mtls_doctor.tui.messages import ProbeStepped

    release = threading.Event()

    def run(options: DiagnoseOptions, progress: Any = None, *, deadline: Any = None,
            probe_progress: Any = None) -> Report:
        assert probe_progress is not None
        probe_progress(ProbeStep("dns", "running", 0.0))
        probe_progress(ProbeStep("dns", "done", 0.01))
        probe_progress(ProbeStep("handshake", "running", 0.02))
        release.wait(30)
        attempt = CollectorRun("probe", "ok", 0.1, "0 finding(s)")
        progress(attempt)
        return diagnosis([], [attempt])

    monkeypatch.setattr("mtls_doctor.tui.app.run_diagnosis", run)

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        for _ in range(100):
            if app.dashboard.checks.step is not None and app.dashboard.checks.step[0] != "dns":
                break
            await pilot.pause(0.02)
        await pilot.pause()
        checks = plain(app.dashboard.query_one("#checks", Static))
        assert "probe" in checks and "handshake…" in checks and " s / 30 s" in checks, checks
        app.post_message(ProbeStepped(app.run_id - 1, ProbeStep("http", "failed", 9.0)))
        await pilot.pause()  # a late step of an older run is ignored
        assert "handshake…" in plain(app.dashboard.query_one("#checks", Static))
        release.set()
        await finished(app, pilot)
        checks = plain(app.dashboard.query_one("#checks", Static))
        assert "handshake" not in checks and "✓ probe" in checks

    try:
        drive_options(diagnose_options(no_aws=True), test)
    finally:
        release.set()


def test_a_new_report_is_handed_to_an_open_walkthrough() -> None:
    from tests.tui_report import fixed_report, show

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        assert app.dashboard.findings_list.select_id("CLIENT_REJECTED")
        await pilot.press("w")
        screen = app.screen
        assert isinstance(screen, WalkthroughScreen)
        seen: list[dict[str, Any]] = []
        real = screen.report_updated

        def told(facts: Any, commands: Any = None) -> None:
            seen.append(dict(facts))
            real(facts, commands)

        screen.report_updated = told  # type: ignore[method-assign]
        await show(pilot, fixed_report())
        assert app.run_id == 2 and seen and seen[0]["host"] == "api.example.test"

    drive_fixed(test)


def test_the_exit_summary_line(monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from mtls_doctor.tui import exit_summary, run_tui
    from tests.tui_report import fixed_options, fixed_report

    report = fixed_report()
    counts = (f"{report.count(Severity.ERROR)} error(s), {report.count(Severity.WARNING)} "
              f"warning(s), {report.count(Severity.INFO)} info, 1 undecided check(s)")
    assert exit_summary("api.example.test:443", report, 1, tmp_path / "r.html") == (
        f"mtls-doctor: api.example.test:443: {counts}; exit 1; report written to "
        f"{tmp_path / 'r.html'}")
    assert exit_summary("h\x1b[2J", None, 130, cancelled=True) == (
        "mtls-doctor: h\\x1b[2J: cancelled, nothing was decided; exit 130")
    assert exit_summary(None, None, 0) == "mtls-doctor: nothing was diagnosed; exit 0"

    def run(self: MtlsDoctorApp, *args: Any, **kwargs: Any) -> int:
        self.run_id, self.report = 1, report  # as a finished run leaves it
        self.dashboard.target = "api.example.test:443"
        self.last_export = tmp_path / "r.md"
        return report.exit_code

    monkeypatch.setattr(MtlsDoctorApp, "run", run)
    assert run_tui(fixed_options()) == 1
    out = capsys.readouterr().out
    assert out.splitlines() == [
        f"mtls-doctor: api.example.test:443: {counts}; exit 1; report written to "
        f"{tmp_path / 'r.md'}"]


# -- one order in every renderer ------------------------------------------------------------------


def tui_order(app: MtlsDoctorApp) -> list[str]:
    """The finding ids as the dashboard's list draws them, top to bottom (its options' text,
    severity headings left out)."""
    box = app.dashboard.findings_list
    prompts = [box.get_option_at_index(i) for i in range(box.option_count)]
    return [str(o.prompt).split()[0] for o in prompts if o.id and not o.disabled]


@pytest.mark.parametrize("which", ["fixed", "demo"])
def test_the_four_renderers_print_the_findings_in_one_order(which: str,
                                                            demo_report: Report) -> None:
    """Text, Markdown, HTML and the TUI's findings list: the same findings in the same order,
    the view's (severity, then the order of the checks that own them)."""
    from mtls_doctor.report import render as render_report
    from mtls_doctor.report.view import ordered_findings
    from tests.renderer_order import finding_ids_html, finding_ids_markdown, finding_ids_text
    from tests.tui_report import fixed_report

    report = fixed_report() if which == "fixed" else demo_report
    expected = [f.id for f in ordered_findings(report)]
    assert len(expected) >= 9 and len({f.severity for f in report.findings}) >= 2
    assert finding_ids_text(render_report(report, "text")) == expected
    assert finding_ids_markdown(render_report(report, "markdown")) == expected
    assert finding_ids_html(render_report(report, "html")) == expected
    seen: dict[str, list[str]] = {}

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        seen["drawn"] = tui_order(app)
        seen["list"] = list_order(app)
        await pilot.press("G")  # the last finding highlighted is the view's last
        seen["last"] = [highlighted_id(app) or ""]

    for size in (SIZE, (160, 45)):  # narrow rows (id over title) and wide ones
        drive_fixed(test, report=report, size=size)
        assert seen["drawn"] == seen["list"] == expected, size
        assert seen["last"] == expected[-1:]


# -- t (traffic) and a (fix) on the diagnosed custom domain (moto on loopback) ------------------


def notes(app: MtlsDoctorApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def until(pilot: Pilot[int], done: Callable[[], bool]) -> None:
    """Pause until `done()` (the app's AWS threads post their results back as messages)."""
    for _ in range(1200):
        if done():
            break
        await pilot.pause(0.05)
    assert done()


def test_t_and_a_only_notify_in_the_demo_and_with_aws_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS: each key says so in one notification and starts nothing."""
    async def demo(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        before = threading.active_count()
        await pilot.press("t")
        await pilot.press("a")
        await pilot.pause()
        assert on_dashboard(app) and app.aws_busy == {} and app.aws_task == 0
        said = notes(app)[-2:]
        assert said[0].startswith("no traffic to read: the demo lab") and "AWS" in said[0]
        assert said[1].startswith("nothing to fix in AWS: the demo lab")
        assert threading.active_count() <= before

    drive(demo)
    report = diagnosis([], [CollectorRun("probe", "ok", 0.2, "0 finding(s)")])
    fake_diagnosis(monkeypatch, lambda progress, deadline: report)

    async def no_aws(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        await pilot.press("t", "a")
        await pilot.pause()
        assert on_dashboard(app) and app.aws_task == 0
        assert notes(app) == ["no traffic to read: AWS is off (--no-aws)",
                              "nothing to fix in AWS: AWS is off (--no-aws)"]

    drive_options(diagnose_options(no_aws=True), no_aws)

    async def ip(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        await pilot.press("t")
        await pilot.pause()
        assert app.aws_task == 0 and "IP address" in notes(app)[-1]

    drive_options(diagnose_options(host="192.0.2.10:443"), ip)


def domain_diagnosis(now: datetime) -> Report:
    """What the diagnosis reports of the domain in moto (its domain collector's report, with
    the attempts a run lists)."""
    from mtls_doctor.commands.domain import run_domain_command
    from tests.test_domain import NAME, REGION

    got = run_domain_command(NAME, at=now, now=now, region=REGION, timeout=60)
    attempts = [CollectorRun("domain", "ok", 0.5, f"{len(got.findings)} finding(s)")]
    return dataclasses.replace(got, command="diagnose",
                               payload={**got.payload, "attempts": attempts})


def drive_domain(report: Report, test: Callable[[MtlsDoctorApp, Pilot[int]], Awaitable[None]],
                 *, size: tuple[int, int] = (120, 40)) -> MtlsDoctorApp:
    """The app diagnosing the moto domain (its region given), `report` on the dashboard."""
    from tests.test_domain import NAME, REGION
    from tests.test_fix import FAST

    async def main() -> MtlsDoctorApp:
        now = datetime.now(UTC).replace(microsecond=0)
        options = DiagnoseOptions(NAME, now, now, region=REGION, timeout=60)
        app = MtlsDoctorApp(options, report=report)
        app.fix_pacing = FAST
        async with app.run_test(size=size) as pilot:
            await finished(app, pilot)
            await test(app, pilot)
        return app
    return asyncio.run(main())


def test_t_reads_the_domains_traffic_and_enter_on_a_refusal_walks_it(
        fix_aws: Any, partners: Any, acm_issues_at_once: Any) -> None:
    """`t`: a notification while the logs are read in a thread, then the traffic screen with
    the events moto's CloudWatch Logs holds; enter on a refusal opens its walkthrough."""
    from textual.widgets import DataTable

    from mtls_doctor.tui.screens.traffic import TrafficScreen
    from tests.test_domain import NAME
    from tests.test_traffic import logged_window

    logged_window(fix_aws, partners)
    report = diagnosis([], [CollectorRun("probe", "ok", 0.2, "0 finding(s)")])

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await pilot.press("t")
        assert any(n.startswith(f"reading the traffic of {NAME}") for n in notes(app))
        await until(pilot, lambda: isinstance(app.screen, TrafficScreen))
        screen = app.screen
        assert isinstance(screen, TrafficScreen) and app.aws_busy == {}
        assert screen.traffic.domain_name == NAME and screen.traffic.requests == 100
        refusals = screen.query_one("#traffic-refusals", DataTable)
        assert refusals.row_count == 2
        await pilot.press("enter")
        await pilot.pause()
        walk = app.screen
        assert isinstance(walk, WalkthroughScreen)
        assert walk.walk_tree.id == screen.traffic.refusals[0].walkthrough
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("q")
        await pilot.pause()
        assert on_dashboard(app)

    drive_domain(report, test)


def test_a_plans_the_fix_and_typing_the_domain_applies_then_reruns(
        fix_aws: Any, certs: Any, acm_issues_at_once: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`a` on the stale-truststore finding: the plans (a dry run: nothing written), then the
    domain name typed: exactly the planned write, the re-check, and the diagnosis run again,
    which no longer reports the finding."""
    from mtls_doctor.tui.screens.fix import FixScreen
    from tests.fix_aws import moto_domain
    from tests.test_domain import NAME, REGION
    from tests.test_fix import stale_http, writes

    _, v2 = stale_http(fix_aws, certs)
    now = datetime.now(UTC).replace(microsecond=0)
    report = domain_diagnosis(now)
    assert "DOMAIN_TRUSTSTORE_STALE" in [f.id for f in report.findings]
    reruns: list[Report] = []

    def again(progress: Callable[[CollectorRun], None], deadline: Deadline) -> Report:
        reruns.append(domain_diagnosis(datetime.now(UTC).replace(microsecond=0)))
        return reruns[-1]

    fake_diagnosis(monkeypatch, again)

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await select_finding(app, pilot, "DOMAIN_TRUSTSTORE_STALE")
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, FixScreen))
        screen = app.screen
        assert isinstance(screen, FixScreen)
        assert [p.id for p in screen.fix.plans] == ["pin"]
        assert writes(fix_aws.proxy) == []  # the plans only read
        await pilot.press(*NAME, "enter")
        await until(pilot, lambda: screen.state not in ("plan", "running"))
        assert screen.state == "done", (screen.state, screen.error, screen.lines)
        assert writes(fix_aws.proxy) == ["apigatewayv2.UpdateDomainName"]
        [update] = fix_aws.proxy.updates
        assert update["mutualTlsAuthentication"]["truststoreVersion"] == v2
        assert moto_domain(NAME, REGION).mutual_tls_authentication["truststoreVersion"] == v2
        assert any("UpdateDomainName (" in line for line in screen.lines)  # live progress
        await until(pilot, lambda: app.run_id == 2 and app.report is not None)
        assert app.report is not None
        assert "DOMAIN_TRUSTSTORE_STALE" not in [f.id for f in app.report.findings]
        await pilot.press("escape")
        await pilot.pause()
        assert on_dashboard(app)
        assert "DOMAIN_TRUSTSTORE_STALE" not in list_order(app)

    drive_domain(report, test)
    assert len(reruns) == 1


def test_the_demo_lab_lives_as_long_as_the_app() -> None:
    """The commands on screen name the lab's client files and port: the lab is not stopped
    when the run ends, a rerun uses the same one, and quitting removes it."""
    seen: list[Any] = []

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        lab = app._lab
        assert lab is not None and lab.client_cert.is_file() and lab.client_key.is_file()
        assert any(str(lab.client_cert) in v for v in app.known.values() if v)
        app.report = None
        await pilot.press("r")
        await finished(app, pilot)
        assert app._lab is lab and lab.client_cert.is_file()
        seen.append(lab)

    drive(test)
    [lab] = seen
    assert not lab.client_cert.exists() and not lab.snapshot.exists()
