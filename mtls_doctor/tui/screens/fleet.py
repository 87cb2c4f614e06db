"""The fleet view of `mtls-doctor scan`: one row per custom domain (the fleet table of the
reports, `fleet.view`: the same columns and the same strings, `?` for what could not be
collected), sortable by any column and narrowed by a filter; the expiry calendar of the next
90 days; the accounts and account/region listings, with those that could not be read. While the
scan runs, its progress (listings answered, domains found and read).

Enter on a domain (in the fleet table or the calendar) posts `FleetScreen.DomainChosen`: the app
opens that domain's own report (the one `domain NAME` gives) on the dashboard, a
`DomainDashboard`: the dashboard itself, with `q` and escape going back to the fleet.

Keys: enter opens, `/` filters (escape clears), `s` / `S` sort by the next / previous column (a
click on a header sorts by it), `o` turns the order round, 1-3 choose a tab, `e` exports the
scan's report, `q` quits (asking first while the scan runs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, cast

from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static, TabbedContent, TabPane

from mtls_doctor.fleet.model import ScanPayload
from mtls_doctor.fleet.view import FLEET_COLUMNS, NONE, UNKNOWN, scan_sections
from mtls_doctor.report.parts import Section, Table, TableRow
from mtls_doctor.tui import render
from mtls_doctor.tui.screens.dashboard import DashboardScreen
from mtls_doctor.tui.screens.help import HELP_KEYS, HelpScreen
from mtls_doctor.tui.sections import table_renderable, tone_style
from mtls_doctor.tui.widgets import FindingsPane
from mtls_doctor.tui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from mtls_doctor.tui.fleet_app import FleetApp

#: the tabs, in order (the keys 1-3 choose them): pane id and title
TABS = (("fleet", "Fleet"), ("calendar", "Expiry calendar"), ("accounts", "Accounts & regions"))
#: the widest a cell is drawn (a long subject or role ARN ends in …; the filter reads it whole)
CELL_WIDTH = 40
#: the fleet's columns in the order the TUI shows them (the reports' columns, `FLEET_COLUMNS`:
#: the domain first, kept in view when the table scrolls sideways, then what needs looking at;
#: a column not named here comes last, in the reports' order)
FIRST_COLUMNS = ("domain", "errors", "warnings", "unknown checks", "account", "region")
#: the cells drawn in a colour of their own when they are not zero: errors red, warnings yellow
COUNT_TONE = {"errors": "bad", "warnings": "warn", "unknown checks": "bad"}


def column_order() -> tuple[int, ...]:
    """The indices of `FLEET_COLUMNS` in the order the TUI shows them."""
    first = [FLEET_COLUMNS.index(c) for c in FIRST_COLUMNS if c in FLEET_COLUMNS]
    return (*first, *(i for i in range(len(FLEET_COLUMNS)) if i not in first))

FLEET_KEYS = (
    ("On the fleet", ""),
    ("↑ ↓ pgup pgdn", "move in the table"),
    ("enter", "the domain's full diagnosis (its findings, checks, walkthroughs)"),
    ("s S", "sort by the next / previous column (or click a header)"),
    ("o", "turn the sort order round"),
    ("/", "filter every table by words (escape clears)"),
    ("1 2 3", "fleet, expiry calendar, accounts & regions"),
    ("e", "export the scan's report (text, json, markdown, html)"),
    ("q", "quit (mid-scan it asks first: exit 130)"),
    ("", ""),
    ("On a domain of the fleet (the dashboard below)", ""),
    ("q escape", "back to the fleet (escape clears the filter first)"),
    ("r t a", "not here: the domain is shown as the scan read it"),
    ("", ""),
    ("On the dashboard", ""),
)


def matches(row: TableRow, query: str) -> bool:
    """Whether the filter `query` keeps the row: every word of it (any case) is in a cell."""
    return render.words_match(row.cells, query)


def _cell_key(cell: str) -> tuple[int, float, str]:
    try:
        return 0, float(cell), ""
    except ValueError:
        return 1, 0.0, cell.lower()


def sort_rows(rows: Sequence[tuple[int, TableRow]], column: int | None, reverse: bool
              ) -> list[tuple[int, TableRow]]:
    """The rows ordered by the cells of `column` (None: as the scan listed them): numbers by
    value, other text alphabetically; a cell whose fact is absent (`—`) or unknown (`?`) comes
    after every known one, in either order, so that a sort never hides them among the values."""
    if column is None:
        return list(reversed(rows)) if reverse else list(rows)
    known = [r for r in rows if r[1].cells[column] not in (UNKNOWN, NONE)]
    absent = [r for r in rows if r[1].cells[column] == NONE]
    unknown = [r for r in rows if r[1].cells[column] == UNKNOWN]
    known.sort(key=lambda r: _cell_key(r[1].cells[column]), reverse=reverse)
    return known + absent + unknown


@dataclass(frozen=True)
class FleetView:
    """The scan payload's view sections, picked apart into what each tab shows (built once, in
    the scan's thread)."""

    payload: ScanPayload
    accounts: Section
    fleet: Section
    calendar: Section
    fleet_rows: tuple[TableRow, ...]
    calendar_rows: tuple[TableRow, ...]
    calendar_columns: tuple[str, ...]

    @classmethod
    def of(cls, payload: ScanPayload) -> FleetView:
        """The view of `payload` (`fleet.view.scan_sections`)."""
        accounts, fleet, calendar = scan_sections(payload)
        fleet_table = _table(fleet)
        calendar_table = _table(calendar)
        return cls(payload, accounts, fleet, calendar,
                   fleet_table.rows if fleet_table else (),
                   calendar_table.rows if calendar_table else (),
                   calendar_table.columns if calendar_table else ())

    @property
    def tables(self) -> list[Table]:
        """The accounts' and the listings' tables."""
        return [p for p in self.accounts.parts if isinstance(p, Table)]


def _table(section: Section) -> Table | None:
    return next((p for p in section.parts if isinstance(p, Table)), None)


def _cell(value: str, style: str = "") -> Text:
    text = Text(render.clean(value), style=style, no_wrap=True, overflow="ellipsis")
    text.truncate(CELL_WIDTH, overflow="ellipsis")
    return text


def _cells(row: TableRow) -> list[Text]:
    """A row of a table, in its tone's colour."""
    style = tone_style(row.tone)
    return [_cell(cell, style) for cell in row.cells]


def fleet_cells(row: TableRow, order: Sequence[int]) -> list[Text]:
    """A fleet row in the TUI's column order: the domain in the row's tone (bold), a count that
    is not zero in its own colour, `?` (not collected) yellow, every other cell plain."""
    out = []
    for i in order:
        value, column = row.cells[i], FLEET_COLUMNS[i]
        if column == "domain":
            style = f"bold {tone_style(row.tone)}".strip()
        elif value == UNKNOWN:
            style = tone_style("warn")
        elif column in COUNT_TONE and value not in ("0", NONE):
            style = tone_style(COUNT_TONE[column])
        else:
            style = ""
        out.append(_cell(value, style))
    return out


class OpenTable(DataTable[Text]):
    """A table whose enter opens the row (said in the footer)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Open")]


class FleetScreen(Screen[None]):
    """The fleet, the calendar and the accounts, one tab each. The app feeds it: `progress`
    while the scan runs, then `show_scan`, or `show_failure` / `show_cancelled`."""

    DEFAULT_CSS = """
    FleetScreen {
        #fleet-lead {
            height: auto;
            padding: 0 1;
        }
        #fleet-filter {
            display: none;
            margin: 0 1;
        }
        &.-filtering #fleet-filter {
            display: block;
        }
        #fleet-tabs {
            height: 1fr;
        }
        TabPane {
            padding: 0;
        }
        DataTable {
            height: 1fr;
            scrollbar-size-horizontal: 1;
        }
        #accounts-scroll {
            height: 1fr;
        }
        .fleet-part-lead {
            height: auto;
            padding: 0 1;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("enter", "open", "Open", show=False),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("s", "sort(1)", "Sort", key_display="s/S"),
        Binding("S", "sort(-1)", "Sort back", show=False),
        Binding("o", "reverse", "Order"),
        Binding("1", "choose(1)", "Tab", key_display="1-3"),
        *(Binding(str(n), f"choose({n})", "Tab", show=False) for n in range(2, len(TABS) + 1)),
        Binding("e", "app.export", "Export"),
    ]

    class DomainChosen(Message):
        """Enter on a domain (a row of the fleet, or a date of the calendar): which one."""

        def __init__(self, account: str, region: str, name: str) -> None:
            super().__init__()
            self.account = account
            self.region = region
            self.name = name

    def __init__(self) -> None:
        super().__init__()
        self.view: FleetView | None = None
        #: the column the fleet is sorted by (None: the scan's order) and in which order
        self.sort_column: int | None = None
        self.reverse = False
        self.filter_text = ""
        #: the fleet's columns (indices of `FLEET_COLUMNS`) in the order shown
        self.order = column_order()
        #: the payload indices of the fleet's and the calendar's rows shown, in table order
        self.fleet_shown: list[int] = []
        self.calendar_shown: list[int] = []
        self._ready = False

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static(id="fleet-lead")
        yield Input(placeholder="filter: words of any cell (domain, account, region, stale, "
                                "?, …); escape clears", id="fleet-filter", compact=True)
        with TabbedContent(id="fleet-tabs", initial="fleet"):
            with TabPane("Fleet", id="fleet"):
                yield OpenTable(id="fleet-table", cursor_type="row", zebra_stripes=True,
                                fixed_columns=1)
            with TabPane("Expiry calendar", id="calendar"):
                yield Static(id="calendar-lead", classes="fleet-part-lead")
                yield OpenTable(id="calendar-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Accounts & regions", id="accounts"), \
                    VerticalScroll(id="accounts-scroll"):
                yield Static(id="accounts-body", classes="fleet-part-lead")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self._ready = True
        self.fleet_table.focus()
        if self.view is not None:
            self._draw()
        else:
            self.progress(Text("Starting the scan…", style="bold"))

    def on_screen_resume(self) -> None:
        """Back on top (from a domain's dashboard)."""
        if self._ready:
            cast("FleetApp", self.app).fleet_shown()

    # -- the parts ----------------------------------------------------------------------------

    @property
    def fleet_table(self) -> DataTable[Text]:
        """The fleet table."""
        return cast("DataTable[Text]", self.query_one("#fleet-table", DataTable))

    @property
    def calendar_table(self) -> DataTable[Text]:
        """The expiry calendar's table."""
        return cast("DataTable[Text]", self.query_one("#calendar-table", DataTable))

    @property
    def filter_box(self) -> Input:
        """The filter field."""
        return self.query_one("#fleet-filter", Input)

    @property
    def tabs(self) -> TabbedContent:
        """The tabs."""
        return self.query_one("#fleet-tabs", TabbedContent)

    @property
    def lead(self) -> Static:
        """The lines at the top: the scan's progress, then its summary."""
        return self.query_one("#fleet-lead", Static)

    # -- what the app feeds -------------------------------------------------------------------

    def progress(self, line: Text) -> None:
        """The scan's progress line (while it runs)."""
        if self._ready and self.view is None:
            self.lead.update(line)

    def show_scan(self, view: FleetView) -> None:
        """The scan finished: its tables and leads."""
        self.view = view
        if self._ready:
            self._draw()

    def show_failure(self, error: str) -> None:
        """The scan stopped without a report: nothing was decided."""
        if self._ready:
            self.lead.update(Group(
                Text("The scan failed; nothing was decided.", style="bold red"),
                Text(render.clean(error), style="red")))

    def show_cancelled(self) -> None:
        """The scan was abandoned (quit): nothing is reported."""
        if self._ready and self.view is None:
            self.lead.update(Text("Cancelled: nothing was decided.", style="bold yellow"))

    def _draw(self) -> None:
        view = self.view
        assert view is not None
        lines = [Text.assemble(("Fleet: ", "bold"), (render.clean(view.fleet.lead),
                                                     tone_style(view.fleet.lead_tone)))]
        if view.accounts.lead_tone != "ok":  # what could not be read, on the first tab too
            lines.append(Text(render.clean(view.accounts.lead),
                              style=tone_style(view.accounts.lead_tone)))
        self.lead.update(Group(*lines))
        self.query_one("#calendar-lead", Static).update(
            Text(render.clean(view.calendar.lead), style=tone_style(view.calendar.lead_tone)))
        # the reasons an account or a listing failed are long: drawn whole, folded
        self.query_one("#accounts-body", Static).update(Group(
            Text(render.clean(view.accounts.lead), style=tone_style(view.accounts.lead_tone)),
            *(part for table in view.tables for part in (Text(""), table_renderable(table)))))
        calendar = self.calendar_table
        calendar.clear(columns=True)
        calendar.add_columns(*(Text(render.clean(c)) for c in view.calendar_columns))
        self.refill()

    def _fleet_columns(self) -> list[Text]:
        out = []
        for i in self.order:
            mark = ("" if i != self.sort_column else " ▼" if self.reverse else " ▲")
            out.append(Text(render.clean(FLEET_COLUMNS[i]) + mark,
                            style="bold" if i == self.sort_column else ""))
        return out

    def refill(self) -> None:
        """Both tables drawn again: the filter applied, the fleet in its sort order; the row
        under the cursor stays under it when the filter keeps it."""
        view = self.view
        if view is None or not self._ready:
            return
        fleet = self.fleet_table
        before = self.selected_index()
        kept = [(i, r) for i, r in enumerate(view.fleet_rows) if matches(r, self.filter_text)]
        ordered = sort_rows(kept, self.sort_column, self.reverse)
        self.fleet_shown = [i for i, _ in ordered]
        fleet.clear(columns=True)
        fleet.add_columns(*self._fleet_columns())
        for i, row in ordered:
            fleet.add_row(*fleet_cells(row, self.order), key=str(i))
        if before is not None and before in self.fleet_shown:
            fleet.move_cursor(row=self.fleet_shown.index(before), animate=False)
        calendar = self.calendar_table
        self.calendar_shown = [i for i, r in enumerate(view.calendar_rows)
                               if matches(r, self.filter_text)]
        calendar.clear()
        for i in self.calendar_shown:
            calendar.add_row(*_cells(view.calendar_rows[i]), key=str(i))
        self._label_tabs()

    def _label_tabs(self) -> None:
        view = self.view
        if view is None:
            return
        counts = {"fleet": (len(self.fleet_shown), len(view.fleet_rows)),
                  "calendar": (len(self.calendar_shown), len(view.calendar_rows))}
        for pane, title in TABS:
            label = title
            if pane in counts:
                shown, total = counts[pane]
                count = f"{shown}/{total}" if self.filter_text.strip() else str(total)
                label = f"{title} {count}"
            self.tabs.get_tab(pane).label = Text(label)

    # -- rows ---------------------------------------------------------------------------------

    def selected_index(self) -> int | None:
        """The payload index of the fleet row under the cursor (None: no row)."""
        table = self.fleet_table
        if not self.fleet_shown or not 0 <= table.cursor_row < len(self.fleet_shown):
            return None
        return self.fleet_shown[table.cursor_row]

    def _choose_fleet_row(self) -> None:
        index = self.selected_index()
        if index is None or self.view is None:
            return
        row = self.view.payload.rows[index]
        self.post_message(self.DomainChosen(row.account, row.region, row.name))

    def _choose_calendar_row(self) -> None:
        table = self.calendar_table
        if self.view is None or not 0 <= table.cursor_row < len(self.calendar_shown):
            return
        entry = self.view.payload.calendar[self.calendar_shown[table.cursor_row]]
        self.post_message(self.DomainChosen(entry.account, entry.region, entry.domain))

    @on(DataTable.RowSelected, "#fleet-table")
    def _fleet_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._choose_fleet_row()

    @on(DataTable.RowSelected, "#calendar-table")
    def _calendar_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._choose_calendar_row()

    @on(DataTable.HeaderSelected, "#fleet-table")
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        """A click on a header sorts by its column; on the sorted one, turns the order."""
        event.stop()
        self.sort_by(self.order[event.column_index])

    def sort_by(self, column: int | None, reverse: bool | None = None) -> None:
        """Sort the fleet by `column` (None: the scan's order); the same column again turns the
        order round unless `reverse` says which."""
        if reverse is None:
            reverse = not self.reverse if column == self.sort_column else False
        self.sort_column, self.reverse = column, reverse
        self.refill()

    # -- keys ---------------------------------------------------------------------------------

    def action_open(self) -> None:
        """The highlighted domain's diagnosis (the tab shown says which table)."""
        if self.tabs.active == "calendar":
            self._choose_calendar_row()
        elif self.tabs.active == "fleet":
            self._choose_fleet_row()

    def action_sort(self, step: int) -> None:
        """Sort by the next (`step` 1) or previous (-1) column; from the last, the scan's
        order."""
        order: list[int | None] = [None, *self.order]
        at = order.index(self.sort_column)
        self.sort_by(order[(at + step) % len(order)], reverse=self.reverse)
        self.choose_tab("fleet")
        name = "the scan's order" if self.sort_column is None else FLEET_COLUMNS[self.sort_column]
        self.notify(f"sorted by {name}", timeout=2)

    def action_reverse(self) -> None:
        """Turn the sort order round."""
        self.sort_by(self.sort_column, reverse=not self.reverse)

    def action_filter(self) -> None:
        """Show the filter field and type into it."""
        self.add_class("-filtering")
        self.filter_box.focus()

    def action_clear_filter(self) -> None:
        """Every row again; the field hidden, the table focused (escape)."""
        self.filter_box.value = ""
        self.filter_text = ""
        self.remove_class("-filtering")
        self.refill()
        self.focus_table()

    @on(Input.Changed, "#fleet-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.filter_text = event.value
        self.refill()

    @on(Input.Submitted, "#fleet-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value:
            self.remove_class("-filtering")
        self.focus_table()

    def action_choose(self, number: int) -> None:
        """Show the tab of that number (1: fleet, 2: calendar, 3: accounts & regions)."""
        if 1 <= number <= len(TABS):
            self.choose_tab(TABS[number - 1][0])

    def choose_tab(self, pane: str) -> None:
        """Show the tab `pane` and focus its table."""
        self.tabs.active = pane
        self.call_after_refresh(self.focus_table)

    def focus_table(self) -> None:
        """Focus the table of the tab shown."""
        pane = self.tabs.active
        widget = {"fleet": "#fleet-table", "calendar": "#calendar-table"}.get(
            pane, "#accounts-scroll")
        self.query_one(widget).focus()

    def action_quit(self) -> None:
        """Quit; while the scan runs, ask first (quitting cancels it: exit 130)."""
        from mtls_doctor.tui.screens.quit import quit_or_ask

        app = cast("FleetApp", self.app)
        quit_or_ask(app, app.exit_code, "The scan is still running." if app.scanning else None)


class DomainDashboard(DashboardScreen):
    """The dashboard, showing one domain of the fleet (its `domain` report): every key of the
    dashboard, but `q` and escape go back to the fleet (escape clears the findings filter
    first), and the keys that need a diagnosis of their own (rerun, traffic, fix) are left out
    of the footer (the app says why they do nothing here)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "back", "Back to fleet"),
        Binding("escape", "back_or_clear", "Back", show=False),
        Binding("t", "app.traffic", "Traffic", show=False),
        Binding("a", "fix", "Fix", show=False),
        Binding("r", "app.rerun", "Rerun", show=False),
    ]

    def action_back(self) -> None:
        """Back to the fleet."""
        if self.app.screen is self:
            self.app.pop_screen()

    def action_back_or_clear(self) -> None:
        """Clear the findings filter when one is set, else back to the fleet."""
        pane = self.query_one(FindingsPane)
        if pane.filtering:
            pane.clear_filter()
        else:
            self.action_back()


class FleetHelpScreen(HelpScreen):
    """The key bindings, the fleet's first."""

    KEYS = (*FLEET_KEYS, *HELP_KEYS)


__all__ = ["FLEET_KEYS", "DomainDashboard", "FleetHelpScreen", "FleetScreen", "FleetView",
           "matches", "sort_rows"]
