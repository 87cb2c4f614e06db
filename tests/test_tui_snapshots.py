"""SVG snapshots of the TUI's main screens (pytest-textual-snapshot).

Only what does not depend on the demo lab (random ports and serials) or the clock: the dashboard
and the finding screen (a SERVER_* finding, and a truststore finding with its chain) showing the
fixed report (`tests/tui_report.py`) at 80x24 and 160x45, and
the help dialog over the start form at 100x30 (the start form itself and the other screens:
tests/test_tui_screen_snapshots.py). Refresh them after a deliberate change with
`python -m pytest tests/test_tui_snapshots.py --snapshot-update` and look at the SVGs before
keeping them.
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
from tests.tui_report import finding_on_screen, fixed_app, show

pytestmark = pytest.mark.timeout(60)

SIZE = (100, 30)
#: the smallest terminal the TUI is laid out for, and a wide one
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 45), id="160x45")]

SnapCompare = Callable[..., bool]


async def steady(pilot: Pilot[Any]) -> None:
    """No blinking cursor, so that every frame of the form looks the same."""
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


def test_help_dialog(snap_compare: SnapCompare) -> None:
    async def open_help(pilot: Pilot[Any]) -> None:
        await steady(pilot)
        app = pilot.app
        assert isinstance(app, MtlsDoctorApp)
        app.action_help()
        await pilot.pause()

    assert snap_compare(MtlsDoctorApp(), terminal_size=SIZE, run_before=open_help)


@pytest.mark.parametrize("size", SIZES)
def test_dashboard(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """The fixed report on the dashboard: the findings (id and title) with the first one's
    detail and commands, and the checks."""
    assert snap_compare(fixed_app(), terminal_size=size, run_before=show)


def finding_screen(finding_id: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """A `run_before` that opens `finding_id` on its screen and waits for its certificates
    (drawn a refresh after the screen opens)."""
    async def open_finding(pilot: Pilot[Any]) -> None:
        await show(pilot)
        await finding_on_screen(pilot, finding_id)
        await pilot.pause()
    return open_finding


@pytest.mark.parametrize("size", SIZES)
def test_finding_screen(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """A SERVER_* finding on its own screen: its fix's commands in a list, the served vs the
    configured certificate, the served chain."""
    assert snap_compare(fixed_app(), terminal_size=size,
                        run_before=finding_screen("SERVER_FQDN_INSTEAD_OF_WILDCARD"))


@pytest.mark.parametrize("size", SIZES)
def test_finding_screen_with_its_chain(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """A truststore finding on its own screen: the chains with its certificate marked, and
    that certificate's rows."""
    assert snap_compare(fixed_app(), terminal_size=size,
                        run_before=finding_screen("TRUSTSTORE_MISSING_ISSUER"))
