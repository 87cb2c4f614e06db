"""Every certificate of the report, narrowed by a filter, one shown field by field.

Typing never reaches the app's keys: the list has the focus when the viewer opens, and a
printable key typed there goes to the filter (focus and all), so "partner" filters instead of
re-running the diagnosis at its `r`; while the filter has the focus, ↑/↓ (and page up/down) move
in the list and enter goes back to it. `q` closes the viewer unless it is being typed into the
filter; escape always closes it.
"""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import events, on
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
from mtls_doctor.tui.screens.start import FOCUS_BINDINGS


def certificate_label(source: str, cert: CertSummary) -> Text:
    """One line of the certificate list: where it came from and its subject."""
    style = "red" if cert.validity is not None and cert.validity.status != "valid" else ""
    return Text.assemble((f"{source:<12}", "dim"), (render.clean(cert.subject), style), no_wrap=True,
                         overflow="ellipsis")


def certificate_detail(source: str, cert: CertSummary, name_width: int = 20) -> Group:
    """One certificate, field by field, like `openssl x509 -text` but structured; the names
    take at most `name_width` columns."""
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(style="dim", max_width=name_width, overflow="fold")
    table.add_column(overflow="fold", ratio=1)
    for name, value in facts.certificate_fields(cert):
        bad = (name == "Validity" and not value.startswith("valid,")) or name == "Malformed"
        table.add_row(Text(render.clean(name)), Text(render.clean(value), style="red" if bad else ""))
    return Group(Text.assemble((source.upper(), "bold cyan"), " ", (render.clean(cert.subject), "bold")),
                 Text(""), table)


class CertificatesScreen(Screen[None]):
    """Every certificate of the report (served chain, client, truststore): a list narrowed by a
    filter, and the highlighted one field by field."""

    DEFAULT_CSS = """
    CertificatesScreen {
        #cert-filter {
            margin: 0 1;
            & > .input--placeholder {
                color: $text-muted;
                text-style: dim italic;
            }
        }
        #cert-body {
            height: 1fr;
        }
        #cert-list {
            width: 45%;
            min-width: 30;
            height: 1fr;
            border: round $primary;
            text-wrap: nowrap;
            text-overflow: ellipsis;
        }
        #cert-pane {
            width: 1fr;
            border: round $accent;
            padding: 0 1;
        }
        &.-narrow {
            #cert-body {
                layout: vertical;
            }
            #cert-list {
                width: 1fr;
                min-width: 0;
                height: auto;
                max-height: 9;
            }
            #cert-pane {
                height: 1fr;
            }
        }
    }
    """

    #: below 110 columns the list sits above the certificate (each gets the whole width)
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]  # noqa: RUF012 - textual's type

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("q", "close", "Back", show=False),
        Binding("slash", "focus_filter", "Filter", key_display="/"),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        *FOCUS_BINDINGS,
    ]

    def __init__(self, certificates: list[tuple[str, CertSummary]]) -> None:
        super().__init__()
        self.certificates = certificates
        self.shown: list[int] = []
        self.selected: tuple[str, CertSummary] | None = None
        #: the index of the shown certificate in `certificates`
        self.selected_index: int | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Input(placeholder="type to filter, e.g. a subject, issuer, serial, SAN or fingerprint",
                    id="cert-filter", compact=True, select_on_focus=False)
        with Horizontal(id="cert-body"):
            yield OptionList(id="cert-list")
            with VerticalScroll(id="cert-pane"):
                yield Static(id="cert-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#cert-pane").border_title = "Certificate"
        self.show_matching("")
        self.query_one("#cert-list", OptionList).focus()

    def on_resize(self) -> None:
        """The names' column follows the pane's width."""
        if self.selected is not None:
            self.call_after_refresh(self._redraw)

    def _redraw(self) -> None:
        if self.selected_index is not None:
            self._select(self.selected_index)

    @property
    def filter_box(self) -> Input:
        """The filter field."""
        return self.query_one("#cert-filter", Input)

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
            self.selected, self.selected_index = None, None
            self.query_one("#cert-detail", Static).update(
                Text("No certificate matches." if self.certificates
                     else "The report holds no certificate.", style="dim"))

    def _select(self, index: int) -> None:
        self.selected_index = index
        self.selected = self.certificates[index]
        pane = self.query_one("#cert-pane", VerticalScroll)
        width = pane.scrollable_content_region.width or 80
        self.query_one("#cert-detail", Static).update(
            certificate_detail(*self.selected, name_width=min(32, max(12, width // 3))))
        pane.scroll_home(animate=False)

    def on_key(self, event: events.Key) -> None:
        """A printable key that reached the screen was typed outside the filter (the filter
        keeps its own): `q` closes, `/` opens the filter, anything else is typed into it. None
        goes on to the app's keys."""
        box = self.filter_box
        if self.focused is box or not event.is_printable or not event.character:
            return
        event.stop()
        event.prevent_default()
        if event.character == "q":
            self.action_close()
            return
        box.focus()
        if event.character != "/":
            box.insert_text_at_cursor(event.character)

    @on(Input.Changed, "#cert-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.show_matching(event.value)

    @on(Input.Submitted, "#cert-filter")
    def _filter_submitted(self) -> None:
        self.query_one("#cert-list", OptionList).focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and event.option.id.startswith("cert-"):
            self._select(int(event.option.id.removeprefix("cert-")))

    def action_move(self, delta: int) -> None:
        """Move the list's cursor (from the filter: ↑/↓)."""
        box = self.query_one("#cert-list", OptionList)
        if delta < 0:
            box.action_cursor_up()
        else:
            box.action_cursor_down()

    def action_page(self, delta: int) -> None:
        """Move the list's cursor a page (from the filter: page up/down)."""
        box = self.query_one("#cert-list", OptionList)
        if box.option_count:
            page = max(1, box.scrollable_content_region.height - 1)
            at = (box.highlighted or 0) + delta * page
            box.highlighted = min(max(at, 0), box.option_count - 1)

    def action_focus_filter(self) -> None:
        """Go to the filter."""
        self.filter_box.focus()

    def action_close(self) -> None:
        """Back to where the viewer was opened from."""
        self.dismiss(None)
