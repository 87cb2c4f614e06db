"""The TUI's widgets, one module each, fed through reactives: the findings list and its filter,
the checks pane, a finding's view, the command list, the target bar. Screens compose them."""

from __future__ import annotations

from mtls_doctor.tui.widgets.checks import ChecksPane
from mtls_doctor.tui.widgets.commands import CommandList
from mtls_doctor.tui.widgets.detail import FindingPane
from mtls_doctor.tui.widgets.findings import FindingsList, FindingsPane
from mtls_doctor.tui.widgets.target import TargetBar

__all__ = ["ChecksPane", "CommandList", "FindingPane", "FindingsList", "FindingsPane",
           "TargetBar"]
