"""The TUI driven by Pilot against the demo lab (offline, loopback, about 0.3 s a run)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("textual")

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from mtls_doctor.diagnose import demo as demo_command
from mtls_doctor.tui.app import MtlsDoctorApp
from mtls_doctor.tui.screens import ExportScreen, FindingScreen, HelpScreen, WalkthroughScreen

pytestmark = pytest.mark.timeout(60)

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
    findings = app.dashboard.query_one("#findings", OptionList)
    findings.focus()
    findings.highlighted = option_index(findings, lambda p: p == finding_id)
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
        assert "✓ probe" in checks and "verify-client" in checks
        assert "TLS handshake" in checks  # the report's checks follow the collectors
        assert "api.demo.mtls-doctor.test:" in plain(dash.query_one("#target", Static))
        findings = dash.query_one("#findings", OptionList)
        prompts = [str(findings.get_option_at_index(i).prompt) for i in range(findings.option_count)]
        assert "SERVER_FQDN_INSTEAD_OF_WILDCARD" in prompts
        assert prompts[0].startswith("ERROR (")  # grouped by severity, with counts
        assert any(p.startswith("WARNING (") for p in prompts)
        assert "error(s)" in str(findings.border_title)

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
        for command in finding.fix.commands:
            assert command in detail
        await pilot.press("enter")  # the finding on its own screen
        assert isinstance(app.screen, FindingScreen)
        assert finding.fix.commands[0] in plain(app.screen.query_one("#finding-detail", Static))
        await pilot.press("escape")
        assert on_dashboard(app)

    drive(test)


def test_walkthrough_answers_back_restart_and_fix() -> None:
    async def answer(app: MtlsDoctorApp, pilot: Pilot[int], value: str) -> None:
        answers = app.screen.query_one("#answers", OptionList)
        answers.focus()
        answers.highlighted = option_index(answers, lambda p: p == value)
        await pilot.press("enter")
        await pilot.pause()

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        await select_finding(app, pilot, "SERVER_FQDN_INSTEAD_OF_WILDCARD")
        await pilot.press("w")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WalkthroughScreen)
        assert screen.result is not None and screen.result.pending is not None
        first = screen.result.pending.node
        await answer(app, pilot, "yes")
        assert screen.answers == {first: "yes"}
        await pilot.press("b")  # back: the first question again
        assert screen.result.pending is not None and screen.result.pending.node == first
        await answer(app, pilot, "yes")
        await pilot.press("ctrl+r")  # restart
        assert screen.answers == {}
        for _ in range(10):
            if screen.result.finished:
                break
            await answer(app, pilot, "yes")
        assert screen.result.finished and screen.result.fix is not None
        text = plain(screen.query_one("#walk", Static))
        assert "Fix:" in text
        for command in screen.result.fix.commands:
            assert command in text
        assert not screen.query_one("#answers", OptionList).display
        await pilot.press("escape")
        assert app.screen is app.dashboard

    drive(test)


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
        await pilot.click("#export-write")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is app.dashboard
        assert app.last_export == target.resolve()

    drive(test)
    text = target.read_text(encoding="utf-8")
    assert "<html" in text.lower() and "SERVER_FQDN_INSTEAD_OF_WILDCARD" in text


def test_export_to_an_unwritable_path_is_a_notification(tmp_path: Path) -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#export-path", Input).value = str(tmp_path / "no" / "such" / "r.html")
        await pilot.click("#export-write")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.last_export is None
        assert any("Export failed" in (n.title or "") for n in app._notifications)

    drive(test)


def test_q_quits_with_the_reports_exit_code() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await finished(app, pilot)
        await pilot.press("q")

    app = drive(test)
    assert app.return_value == 1  # the demo lab has error findings


def test_q_before_the_results_exits_0(gate: threading.Event) -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        await pilot.pause()
        await pilot.press("q")
        gate.set()

    assert drive(test).return_value == 0


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
        assert {"Rerun", "Export", "Help"} <= titles

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


def test_an_app_needs_options_or_demo() -> None:
    with pytest.raises(ValueError, match="DiagnoseOptions"):
        MtlsDoctorApp()
