"""Every certificate of the report's view (`CertView`: served chain, client, the chain the client
sends, truststore), narrowed by a filter, one shown row by row as the reports draw it.

Typing never reaches the app's keys: the list has the focus when the viewer opens, and a
printable key typed there goes to the filter (focus and all), so "partner" filters instead of
re-running the diagnosis at its `r`; while the filter has the focus, ↑/↓ (and page up/down) move
in the list and enter goes back to it. `q` closes the viewer unless it is being typed into the
filter; escape always closes it.

The app installs one viewer per report and shows it again at each `c` (a truststore of a
thousand certificates is not listed anew at each visit): the options are made once, the filter
only picks among them, and each certificate's text to filter on is made the first time a filter
asks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import (
    Header,
    Input,
    OptionList,
    Static,
)
from textual.widgets.option_list import Option

from mtls_doctor.report.parts import Facts
from mtls_doctor.report.view import CertView
from mtls_doctor.tui import render
from mtls_doctor.tui.screens.start import FOCUS_BINDINGS
from mtls_doctor.tui.sections import facts_renderable, tone_style
from mtls_doctor.tui.widgets.footer import KeyFooter


def where(cert: CertView) -> str:
    """`truststore #3`: the certificate's role in the report and its number there."""
    return f"{cert.role} #{cert.number}"


def certificate_label(cert: CertView, width: int = 16) -> Content:
    """One line of the certificate list: where it belongs and its subject, coloured when
    something is wrong with it (a textual `Content`, which the list draws without converting
    it: a truststore has a thousand; `Content.assemble` takes the text as it is, never as
    markup)."""
    style = tone_style(cert.tone) if cert.tone in ("warn", "bad") else ""
    return Content.assemble((f"{where(cert):<{width}}", "dim"),
                            (render.clean(cert.subject), style))


def certificate_detail(cert: CertView) -> Group:
    """One certificate, row by row (`openssl x509 -text` as the reports tell it), under its
    role, number and subject, with its one-line summary in its tone."""
    return Group(Text.assemble((where(cert).upper(), "bold cyan"), " ",
                               (render.clean(cert.subject), "bold")),
                 Text(render.clean(cert.meta), style=tone_style(cert.tone)),
                 Text(""), facts_renderable(Facts("", cert.rows)))


def certificate_text(cert: CertView) -> str:
    """What the filter looks in: role, number, subject, location and every row's value
    (issuer, serial, SANs, fingerprint, ...), lower case."""
    return " ".join((where(cert), cert.subject, cert.location,
                     *(r.value for r in cert.rows))).lower()


def certificate_matches(hay: str, needle: str) -> bool:
    """Whether the filter text is a substring (any case) of a certificate's `certificate_text`;
    an empty filter matches everything."""
    needle = needle.strip().lower()
    return not needle or needle in hay


class CertificatesScreen(Screen[None]):
    """Every certificate of the report's view: a list narrowed by a filter, and the highlighted
    one row by row. `set_certificates` hands it a new report's (drawn when it is next shown)."""

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
                height: 9;  /* fitted to the certificates listed (`_fit_list`) */
            }
            #cert-pane {
                height: 1fr;
            }
        }
    }
    """

    #: below 110 columns the list sits above the certificate (each gets the whole width), at
    #: most this many lines of it
    NARROW_LINES = 7
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

    def __init__(self, certificates: Sequence[CertView]) -> None:
        super().__init__()
        self.certificates: list[CertView] = list(certificates)
        #: the indexes (in `certificates`) of those the filter keeps, in list order
        self.shown: list[int] = []
        self.selected: CertView | None = None
        #: the index of the shown certificate in `certificates`
        self.selected_index: int | None = None
        #: one option per certificate, made once (the filter picks among them)
        self._options: list[Option] | None = None
        #: each certificate's text to filter on, made at the first filter
        self._texts: list[str] | None = None
        #: the list is to be made again (new certificates) before the screen is next shown
        self._stale = True

    def compose(self) -> ComposeResult:
        # the breakpoint's class set before the first layout: textual sets it at the first
        # resize, and a class that changes then styles and lays the screen out a second time
        narrow = self.app.size.width < self.HORIZONTAL_BREAKPOINTS[1][0]
        self.set_class(narrow, "-narrow", update=False)
        self.set_class(not narrow, "-wide", update=False)
        yield Header(show_clock=False)
        yield Input(placeholder="type to filter, e.g. a subject, issuer, serial, SAN or fingerprint",
                    id="cert-filter", compact=True, select_on_focus=False)
        with Horizontal(id="cert-body"):
            yield OptionList(id="cert-list")
            with VerticalScroll(id="cert-pane"):
                yield Static(id="cert-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#cert-pane").border_title = "Certificate"
        self.query_one("#cert-list", OptionList).border_title = "Certificates"

    def on_screen_resume(self) -> None:
        """Shown (again): the list as it was left (filter and all), or the new report's, listed
        once the screen is painted (so that opening the viewer and listing a thousand
        certificates are two turns of the event loop, not one long one)."""
        self.query_one("#cert-list", OptionList).focus()
        if self._stale:
            self.call_after_refresh(self._refresh_if_stale)

    def _refresh_if_stale(self) -> None:
        if self._stale:
            self._stale = False
            self.show_matching(self.filter_box.value)

    def set_certificates(self, certificates: Sequence[CertView]) -> None:
        """A new report's certificates: listed when the viewer is next shown (now, when it is
        the screen on top)."""
        self.certificates = list(certificates)
        self._options = self._texts = None
        self._stale = True
        if self.is_mounted and self.app.screen is self:
            self._refresh_if_stale()

    @property
    def filter_box(self) -> Input:
        """The filter field."""
        return self.query_one("#cert-filter", Input)

    def _all_options(self) -> list[Option]:
        if self._options is None:
            width = max((len(where(c)) for c in self.certificates), default=0) + 2
            self._options = [Option(certificate_label(c, width), id=f"cert-{i}")
                             for i, c in enumerate(self.certificates)]
        return self._options

    def _matching(self, needle: str) -> list[int]:
        if not needle.strip():
            return list(range(len(self.certificates)))
        if self._texts is None:
            self._texts = [certificate_text(c) for c in self.certificates]
        return [i for i, hay in enumerate(self._texts) if certificate_matches(hay, needle)]

    def show_matching(self, needle: str) -> None:
        """List the certificates the filter matches; select the first."""
        self.shown = self._matching(needle)
        options = self._all_options()
        box = self.query_one("#cert-list", OptionList)
        box.set_options(options[i] for i in self.shown)
        box.border_title = f"Certificates {len(self.shown)}/{len(self.certificates)}"
        self._fit_list()
        if self.shown:
            box.highlighted = 0
            self._select(self.shown[0])
        else:
            self.selected, self.selected_index = None, None
            self.query_one("#cert-detail", Static).update(
                Text("No certificate matches." if self.certificates
                     else "The report holds no certificate.", style="dim"))

    def on_resize(self) -> None:
        self._fit_list()

    def _fit_list(self) -> None:
        """Above the certificate (narrow), the list is as high as the certificates it lists
        (at most `NARROW_LINES`), told rather than measured (`height: auto` would measure
        every option of a thousand); beside it (wide) the CSS's height holds."""
        box = self.query_one("#cert-list", OptionList)
        if self.has_class("-narrow"):
            box.styles.height = min(max(len(self.shown), 1), self.NARROW_LINES) + 2  # borders
        else:
            box.styles.height = None

    def _select(self, index: int) -> None:
        if index == self.selected_index and self.selected is self.certificates[index]:
            return
        self.selected_index = index
        self.selected = self.certificates[index]
        self.query_one("#cert-detail", Static).update(certificate_detail(self.selected))
        self.query_one("#cert-pane", VerticalScroll).scroll_home(animate=False)

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
