"""One finding on the whole screen, with the certificates it is about."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Footer,
    Header,
    Static,
)

from mtls_doctor.model.finding import Finding
from mtls_doctor.model.report import Report
from mtls_doctor.tui import render


class FindingScreen(Screen[None]):
    """One finding on the whole screen; with the report, the served vs configured certificate
    (SERVER_* findings) or the certificate chain (TRUSTSTORE_*, CLIENT_*, CERT_* findings)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, finding: Finding, report: Report | None = None) -> None:
        super().__init__()
        self.finding = finding
        self.report = report

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll(id="finding-pane"):
            yield Static(render.finding_detail(self.finding), id="finding-detail")
            yield Static(Group(*render.finding_extras(self.finding, self.report)),
                         id="finding-extras")
        yield Footer()
