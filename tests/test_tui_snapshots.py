"""SVG snapshots of the TUI's deterministic screens (pytest-textual-snapshot, 100x30).

Only what does not depend on the demo lab (random ports and serials) or the clock: the start
form, the start form's messages in place, and the help dialog over the form. Refresh them after a
deliberate change with `python -m pytest tests/test_tui_snapshots.py --snapshot-update` and look
at the SVGs before keeping them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("textual")
pytest.importorskip("pytest_textual_snapshot")

from textual.pilot import Pilot
from textual.widgets import Input

from mtls_doctor.tui.app import MtlsDoctorApp

pytestmark = pytest.mark.timeout(60)

SIZE = (100, 30)

SnapCompare = Callable[..., bool]


async def steady(pilot: Pilot[Any]) -> None:
    """No blinking cursor, so that every frame of the form looks the same."""
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


def test_start_form(snap_compare: SnapCompare) -> None:
    assert snap_compare(MtlsDoctorApp(), terminal_size=SIZE, run_before=steady)


def test_start_form_messages_in_place(snap_compare: SnapCompare) -> None:
    async def run_with_bad_fields(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        screen.query_one("#start-port", Input).value = "70000"
        screen.query_one("#start-cert", Input).value = "/nonexistent/mtls-doctor/client.pem"
        await pilot.click("#start-run")
        await steady(pilot)

    assert snap_compare(MtlsDoctorApp(), terminal_size=SIZE, run_before=run_with_bad_fields)


def test_help_dialog(snap_compare: SnapCompare) -> None:
    async def open_help(pilot: Pilot[Any]) -> None:
        await steady(pilot)
        app = pilot.app
        assert isinstance(app, MtlsDoctorApp)
        app.action_help()
        await pilot.pause()

    assert snap_compare(MtlsDoctorApp(), terminal_size=SIZE, run_before=open_help)
