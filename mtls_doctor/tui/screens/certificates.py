"""Every certificate of the report, narrowed by a filter, one shown field by field."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Footer,
    Header,
    Input,
    OptionList,
    Static,
)
from textual.widgets.option_list import Option

from mtls_doctor.model.certificate import CertSummary
from mtls_doctor.tui import facts, render


def certificate_label(source: str, cert: CertSummary) -> Text:
    """One line of the certificate list: where it came from and its subject."""
    style = "red" if cert.validity is not None and cert.validity.status != "valid" else ""
    return Text.assemble((f"{source:<12}", "dim"), (render.clean(cert.subject), style), no_wrap=True,
                         overflow="ellipsis")


def certificate_detail(source: str, cert: CertSummary) -> Group:
    """One certificate, field by field, like `openssl x509 -text` but structured."""
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(style="dim", max_width=20, overflow="fold")
    table.add_column(overflow="fold", ratio=1)
    for name, value in facts.certificate_fields(cert):
        bad = (name == "Validity" and not value.startswith("valid,")) or name == "Malformed"
        table.add_row(Text(render.clean(name)), Text(render.clean(value), style="red" if bad else ""))
    return Group(Text.assemble((source.upper(), "bold cyan"), " ", (render.clean(cert.subject), "bold")),
                 Text(""), table)


class CertificatesScreen(Screen[None]):
    """Every certificate of the report (served chain, client, truststore): a list narrowed by a
    filter, and the highlighted one field by field."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, certificates: list[tuple[str, CertSummary]]) -> None:
        super().__init__()
        self.certificates = certificates
        self.shown: list[int] = []
        self.selected: tuple[str, CertSummary] | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Input(placeholder="filter: subject, issuer, serial, SAN, fingerprint…",
                    id="cert-filter")
        with Horizontal(id="cert-body"):
            yield OptionList(id="cert-list")
            with VerticalScroll(id="cert-pane"):
                yield Static(id="cert-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#cert-pane").border_title = "Certificate"
        self.show_matching("")
        self.query_one("#cert-list", OptionList).focus()

    def show_matching(self, needle: str) -> None:
        """List the certificates the filter matches; select the first."""
        self.shown = [i for i, (source, cert) in enumerate(self.certificates)
                      if facts.certificate_matches(source, cert, needle)]
        box = self.query_one("#cert-list", OptionList)
        box.clear_options()
        box.add_options(Option(certificate_label(*self.certificates[i]), id=f"cert-{i}")
                        for i in self.shown)
        box.border_title = f"Certificates {len(self.shown)}/{len(self.certificates)}"
        if self.shown:
            box.highlighted = 0
            self._select(self.shown[0])
        else:
            self.selected = None
            self.query_one("#cert-detail", Static).update(
                Text("No certificate matches." if self.certificates
                     else "The report holds no certificate.", style="dim"))

    def _select(self, index: int) -> None:
        self.selected = self.certificates[index]
        self.query_one("#cert-detail", Static).update(certificate_detail(*self.selected))
        self.query_one("#cert-pane", VerticalScroll).scroll_home(animate=False)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.show_matching(event.value)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and event.option.id.startswith("cert-"):
            self._select(int(event.option.id.removeprefix("cert-")))
