"""SVG snapshots of the TUI's secondary screens (pytest-textual-snapshot) at 80x24 and 160x45:
the walkthrough (at its fix, and at a question), the certificate viewer, the export dialog and
the start form (empty, and with its messages in place).

The screens that need a report show the fixed report (`tests/tui_report.py`: fixed
certificates, facts and timings, nothing runs) with the options it answers (so the commands
name the client's files), and every frame is the same. Refresh them after
a deliberate change with `python -m pytest tests/test_tui_screen_snapshots.py --snapshot-update`
and look at each SVG before keeping it: at 80x24 nothing that matters may be cut.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

pytest.importorskip("textual")
pytest.importorskip("pytest_textual_snapshot")

from textual.pilot import Pilot
from textual.widgets import Input

from mtls_doctor.tui.app import MtlsDoctorApp
from mtls_doctor.tui.screens import CertificatesScreen
from tests.tui_report import fixed_app, fixed_options, show

pytestmark = pytest.mark.timeout(60)

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 45), id="160x45")]

SnapCompare = Callable[..., bool]


async def steady(pilot: Pilot[Any]) -> None:
    """No blinking cursor, so that every frame looks the same."""
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()
    await pilot.pause()


def on_report(then: Callable[[MtlsDoctorApp, Pilot[Any]], Awaitable[None]]
              ) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """A `run_before` that waits for the fixed report on the dashboard, then does `then`."""
    async def run_before(pilot: Pilot[Any]) -> None:
        await show(pilot)
        app = pilot.app
        assert isinstance(app, MtlsDoctorApp)
        await then(app, pilot)
        await steady(pilot)
    return run_before


def report_app() -> MtlsDoctorApp:
    """The app with the fixed report delivered and the options it answers."""
    app = fixed_app(options=fixed_options())
    assert isinstance(app, MtlsDoctorApp)
    return app


def walkthrough_of(finding_id: str) -> Callable[[MtlsDoctorApp, Pilot[Any]], Awaitable[None]]:
    async def open_it(app: MtlsDoctorApp, pilot: Pilot[Any]) -> None:
        assert app.report is not None
        app.open_walkthrough(next(f for f in app.report.findings if f.id == finding_id))
        await pilot.pause()
    return open_it


@pytest.mark.parametrize("size", SIZES)
def test_walkthrough_at_its_fix(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """MTLS_CLIENT_CERT_REJECTED: every step detected, the fix, its commands, the re-check."""
    assert snap_compare(report_app(), terminal_size=size,
                        run_before=on_report(walkthrough_of("MTLS_CLIENT_CERT_REJECTED")))


def test_walkthrough_at_a_question(snap_compare: SnapCompare) -> None:
    """SERVER_FQDN_INSTEAD_OF_WILDCARD: detected steps, then a question and its answers."""
    assert snap_compare(report_app(), terminal_size=(80, 24),
                        run_before=on_report(walkthrough_of("SERVER_FQDN_INSTEAD_OF_WILDCARD")))


@pytest.mark.parametrize("size", SIZES)
def test_certificate_viewer(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """The served leaf (first) row by row, the list of every certificate beside or above it."""
    async def open_it(app: MtlsDoctorApp, pilot: Pilot[Any]) -> None:
        app.action_certificates()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CertificatesScreen)
        for _ in range(100):  # the list is made a refresh after the viewer opens
            if screen.selected is not None:
                break
            await pilot.pause(0.01)
        assert screen.selected is not None

    assert snap_compare(report_app(), terminal_size=size, run_before=on_report(open_it))


@pytest.mark.parametrize("size", SIZES)
def test_export_dialog(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    async def open_it(app: MtlsDoctorApp, pilot: Pilot[Any]) -> None:
        app.action_export()
        await pilot.pause()

    assert snap_compare(report_app(), terminal_size=size, run_before=on_report(open_it))


@pytest.mark.parametrize("size", SIZES)
def test_start_form(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(MtlsDoctorApp(), terminal_size=size, run_before=steady)


def test_start_form_messages_in_place(snap_compare: SnapCompare) -> None:
    async def run_with_bad_fields(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        screen.query_one("#start-port", Input).value = "70000"
        screen.query_one("#start-cert", Input).value = "/nonexistent/mtls-doctor/client.pem"
        screen.query_one("#start-timeout", Input).value = "soon"
        await pilot.click("#start-run")
        await steady(pilot)

    assert snap_compare(MtlsDoctorApp(), terminal_size=(80, 24), run_before=run_with_bad_fields)
