"""What `mtls-doctor traffic NAME` read from the access logs, one tab each: the stages (their
logging and statuses), the refusals by reason, every client certificate seen with its verdicts
(today's and, with a candidate bundle, the rehearsal's), the rotation rehearsal, the expiry radar
and the window read. The tables are the report view's (`traffic.view.traffic_sections`), so the
screen shows what text, Markdown and HTML print.

Enter on a refusal posts `TrafficScreen.WalkthroughRequested` with the walkthrough that explains
it (the app opens it); a refusal mtls-doctor does not recognise says so. The app's side::

    def on_traffic_screen_walkthrough_requested(self, message) -> None:
        self.push_screen(WalkthroughScreen(load_tree(message.walkthrough), facts,
                                           message.finding))

Keys: a printable key typed outside the filter goes into it (so none reaches the app's own);
`/` opens the filter, enter or ↓ goes back to the table; escape clears the filter, or closes;
`q` (outside the filter) closes; 1-6 (outside the filter) choose a tab.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    DataTable,
    Header,
    Input,
    Static,
    TabbedContent,
    TabPane,
)

from mtls_doctor.report.parts import Facts, Section, Table, TableRow
from mtls_doctor.traffic.model import RefusalGroup, Traffic
from mtls_doctor.traffic.view import traffic_sections
from mtls_doctor.tui import render
from mtls_doctor.tui.screens.start import FOCUS_BINDINGS
from mtls_doctor.tui.sections import facts_renderable, tone_style
from mtls_doctor.tui.widgets.footer import KeyFooter

#: the tabs, in order (the keys 1-6 choose them): pane id and title
TABS = (("stages", "Stages"), ("refusals", "Refusals"), ("clients", "Clients"),
        ("rehearsal", "Rehearsal"), ("expiring", "Expiring"), ("window", "Window"))
#: the tabs that hold a table, and the table's widget id
TABLES = {"stages": "traffic-stages", "refusals": "traffic-refusals",
          "clients": "traffic-clients", "rehearsal": "traffic-breaks",
          "expiring": "traffic-expiring"}


def row_matches(row: TableRow, needle: str) -> bool:
    """Whether any cell of the row holds `needle` (case ignored; an empty needle matches)."""
    needle = needle.strip().lower()
    return not needle or any(needle in cell.lower() for cell in row.cells)


class TrafficView:
    """The traffic payload's view sections, picked apart into what each tab shows."""

    def __init__(self, traffic: Traffic) -> None:
        sections = traffic_sections(traffic)
        main = sections[0]
        tables = [p for p in main.parts if isinstance(p, Table)]
        facts = [p for p in main.parts if isinstance(p, Facts)]
        self.lead = main
        self.window: Facts | None = facts[0] if facts else None
        self.stages, self.refusals, self.clients, self.expiring = tables[:4]
        self.rehearsal: Section | None = sections[1] if len(sections) > 1 else None
        self.rehearsal_facts: Facts | None = None
        self.breaks: Table | None = None
        if self.rehearsal is not None:
            self.rehearsal_facts = next((p for p in self.rehearsal.parts
                                         if isinstance(p, Facts)), None)
            self.breaks = next((p for p in self.rehearsal.parts if isinstance(p, Table)), None)

    def table(self, tab: str) -> Table | None:
        """The table a tab shows (None: the tab has none)."""
        return {"stages": self.stages, "refusals": self.refusals, "clients": self.clients,
                "rehearsal": self.breaks, "expiring": self.expiring}.get(tab)


class TrafficScreen(Screen[None]):
    """The traffic of one custom domain, one tab per view, narrowed by a filter."""

    DEFAULT_CSS = """
    TrafficScreen {
        #traffic-lead {
            height: auto;
            padding: 0 1;
        }
        #traffic-filter {
            margin: 0 1;
            & > .input--placeholder {
                color: $text-muted;
                text-style: dim italic;
            }
        }
        #traffic-tabs {
            height: 1fr;
        }
        TabPane {
            padding: 0;
        }
        DataTable {
            height: 1fr;
            scrollbar-size-horizontal: 1;
        }
        .traffic-hint {
            height: 1;
            padding: 0 1;
        }
        #traffic-rehearsal-facts, #traffic-window-facts {
            height: auto;
            padding: 0 1;
            margin: 0 0 1 0;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "escape", "Clear / close"),
        Binding("q", "close", "Close", show=False),
        Binding("slash", "focus_filter", "Filter", key_display="/"),
        Binding("down", "to_table", "Table", show=False),
        Binding("1", "choose(1)", "Tab", key_display="1-6"),
        *(Binding(str(n), f"choose({n})", "Tab", show=False) for n in range(2, len(TABS) + 1)),
        *FOCUS_BINDINGS,
    ]

    class WalkthroughRequested(Message):
        """Enter on a refusal: open `walkthrough`, the one that explains it (`finding`: the
        finding id the refusal maps to; `refusal`: the group itself)."""

        def __init__(self, walkthrough: str, finding: str | None, refusal: RefusalGroup) -> None:
            super().__init__()
            self.walkthrough = walkthrough
            self.finding = finding
            self.refusal = refusal

    def __init__(self, traffic: Traffic, *, initial: str | None = None) -> None:
        super().__init__()
        self.traffic = traffic
        self.view = TrafficView(traffic)
        self.initial = initial or ("refusals" if traffic.refusals else "stages")
        #: per table tab, the indices (into the view's rows) the filter lets through
        self.shown: dict[str, list[int]] = {}

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static(id="traffic-lead")
        yield Input(placeholder="type to filter, e.g. a subject, status, stage or reason",
                    id="traffic-filter", compact=True, select_on_focus=False)
        with TabbedContent(id="traffic-tabs", initial=self.initial):
            for pane, title in TABS:
                with TabPane(title, id=pane):
                    if pane == "refusals":
                        yield Static(Text("enter opens the walkthrough that explains a "
                                          "refusal; ← → scroll", style="dim"),
                                     classes="traffic-hint")
                    if pane == "rehearsal":
                        yield Static(id="traffic-rehearsal-facts")
                    if pane == "window":
                        yield Static(id="traffic-window-facts")
                    if pane in TABLES:
                        yield DataTable(id=TABLES[pane], cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        lead = self.view.lead
        self.query_one("#traffic-lead", Static).update(Group(
            Text.assemble((render.clean(f"Traffic of {self.traffic.domain_name}"), "bold"),
                          ("  ", ""), (render.clean(lead.lead), tone_style(lead.lead_tone)),
                          no_wrap=True, overflow="ellipsis")))
        self._draw_facts()
        for tab, widget_id in TABLES.items():
            table = self.view.table(tab)
            widget = self.query_one(f"#{widget_id}", DataTable)
            widget.display = table is not None
            if table is not None:
                widget.add_columns(*(Text(render.clean(c)) for c in table.columns))
        self.show_matching("")
        self.focus_table()

    def _draw_facts(self) -> None:
        r = self.view.rehearsal
        box = self.query_one("#traffic-rehearsal-facts", Static)
        if r is None:
            box.update(Text.assemble(
                ("No rotation rehearsal. ", "bold"),
                ("Run traffic with --truststore CANDIDATE to judge every certificate seen "
                 "against a new bundle before it is uploaded.", "dim")))
        else:
            facts = self.view.rehearsal_facts
            box.update(Group(Text(render.clean(r.lead), style=tone_style(r.lead_tone)),
                             *((facts_renderable(facts),) if facts is not None else ())))
        window = self.query_one("#traffic-window-facts", Static)
        window.update(facts_renderable(self.view.window) if self.view.window is not None
                      else Text("The window is not known.", style="dim"))

    # -- the filter ---------------------------------------------------------------------------

    @property
    def filter_box(self) -> Input:
        """The filter field."""
        return self.query_one("#traffic-filter", Input)

    @property
    def active_tab(self) -> str:
        """The pane id of the tab shown."""
        return self.query_one("#traffic-tabs", TabbedContent).active

    def show_matching(self, needle: str) -> None:
        """Every table narrowed to the rows holding `needle`; each tab's title counts them."""
        tabs = self.query_one("#traffic-tabs", TabbedContent)
        for pane, title in TABS:
            table = self.view.table(pane)
            if table is None:
                continue
            rows = [i for i, row in enumerate(table.rows) if row_matches(row, needle)]
            self.shown[pane] = rows
            widget = self.query_one(f"#{TABLES[pane]}", DataTable)
            widget.clear()
            for i in rows:
                row = table.rows[i]
                style = tone_style(row.tone)
                widget.add_row(*(Text(render.clean(cell), style=style, no_wrap=True)
                                 for cell in row.cells), key=str(i))
            count = f"{len(rows)}/{len(table.rows)}" if needle.strip() else str(len(table.rows))
            tabs.get_tab(pane).label = Text(f"{title} {count}")

    @on(Input.Changed, "#traffic-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.show_matching(event.value)

    @on(Input.Submitted, "#traffic-filter")
    def _filter_submitted(self) -> None:
        self.focus_table()

    # -- tabs and tables ----------------------------------------------------------------------

    def focus_table(self) -> None:
        """Focus the table of the tab shown (the tab bar when it has none)."""
        pane = self.active_tab
        if pane in TABLES and self.view.table(pane) is not None:
            self.query_one(f"#{TABLES[pane]}", DataTable).focus()
        else:
            self.query_one("#traffic-tabs", TabbedContent).query_one("Tabs").focus()

    def choose_tab(self, pane: str) -> None:
        """Show the tab `pane` and focus its table."""
        self.query_one("#traffic-tabs", TabbedContent).active = pane
        self.call_after_refresh(self.focus_table)

    def selected_refusal(self) -> RefusalGroup | None:
        """The refusal under the refusals table's cursor."""
        widget = self.query_one("#traffic-refusals", DataTable)
        rows = self.shown.get("refusals", [])
        if not rows or not 0 <= widget.cursor_row < len(rows):
            return None
        return self.traffic.refusals[rows[widget.cursor_row]]

    @on(DataTable.RowSelected, "#traffic-refusals")
    def _refusal_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        group = self.selected_refusal()
        if group is None:
            return
        if not group.walkthrough:
            self.notify("no walkthrough explains this refusal: mtls-doctor does not recognise "
                        "its message", severity="warning")
            return
        self.post_message(self.WalkthroughRequested(group.walkthrough, group.finding, group))

    # -- keys ---------------------------------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        """A printable key that reached the screen was typed outside the filter: `q` closes,
        `/` opens the filter, 1-6 choose a tab, anything else is typed into the filter."""
        box = self.filter_box
        if self.focused is box or not event.is_printable or not event.character:
            return
        event.stop()
        event.prevent_default()
        char = event.character
        if char == "q":
            self.action_close()
        elif char.isdigit() and 1 <= int(char) <= len(TABS):
            self.action_choose(int(char))
        else:
            box.focus()
            if char != "/":
                box.insert_text_at_cursor(char)

    def action_choose(self, number: int) -> None:
        """Show the tab of that number (1: Stages ... 6: Window)."""
        if 1 <= number <= len(TABS):
            self.choose_tab(TABS[number - 1][0])

    def action_focus_filter(self) -> None:
        """Go to the filter."""
        self.filter_box.focus()

    def action_to_table(self) -> None:
        """From the filter, back to the table."""
        if self.focused is self.filter_box:
            self.focus_table()

    def action_escape(self) -> None:
        """Clear the filter when it holds text, else close."""
        if self.filter_box.value:
            self.filter_box.value = ""
            self.show_matching("")
            self.focus_table()
            return
        self.action_close()

    def action_close(self) -> None:
        """Back to where the screen was opened from."""
        self.dismiss(None)


def tab_titles(screen: TrafficScreen) -> Sequence[str]:
    """The tabs' titles as shown (with their counts)."""
    tabs = screen.query_one("#traffic-tabs", TabbedContent)
    return [tabs.get_tab(pane).label_text for pane, _ in TABS]
