"""The findings list: the report view's findings in the view's one order (the order the text,
Markdown and HTML reports print), grouped under the view's severity headings, each row its id
and title; and the pane that holds it with its filter (`/`: id, severity, title and detail
text; escape clears it)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from mtls_doctor.report.view import FindingView, ReportView
from mtls_doctor.tui import render

#: from this many cells of content width on, a row holds the id and the title on one line
WIDE = 72
PREFIX = "finding-"


class FindingsList(OptionList):
    """The view's findings by severity (most severe first, the view's heading with the count
    over each group), in the view's order; a row shows the id in the severity's colour and the
    title (beside it when the list is wide, under it when narrow). `view` and `filter_text`
    feed it."""

    DEFAULT_CSS = """
    FindingsList {
        height: 1fr;
        border: round $primary;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "first", "First", show=False),
        Binding("G", "last", "Last", show=False),
    ]

    class Highlighted(Message):
        """The highlighted finding changed (None: no finding is highlighted)."""

        def __init__(self, finding: FindingView | None) -> None:
            super().__init__()
            self.finding = finding

    class Chosen(Message):
        """Enter (or a click) on a finding: open it."""

        def __init__(self, finding: FindingView) -> None:
            super().__init__()
            self.finding = finding

    view: reactive[ReportView | None] = reactive(None, init=False, always_update=True)
    filter_text: reactive[str] = reactive("", init=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        #: the findings shown now (the filter applied), in list order
        self.shown: list[FindingView] = []
        self._wide: bool | None = None

    @property
    def findings(self) -> list[FindingView]:
        """Every finding of the view, in its order (none before a report)."""
        return list(self.view.findings) if self.view is not None else []

    @property
    def highlighted_finding(self) -> FindingView | None:
        """The finding under the cursor, read now (not from the last highlight message, which
        may still be on its way: a key right after an arrow must act on the new one)."""
        index = self.highlighted
        if index is None or not 0 <= index < self.option_count:
            return None
        return self._finding_of(self.get_option_at_index(index))

    def _finding_of(self, option: Option) -> FindingView | None:
        if option.id and option.id.startswith(PREFIX):
            return self.shown[int(option.id.removeprefix(PREFIX))]
        return None

    def select_id(self, finding_id: str) -> bool:
        """Highlight the first shown finding with this id; False when none is shown."""
        for i, f in enumerate(self.shown):
            if f.id == finding_id:
                self.highlighted = self.get_option_index(f"{PREFIX}{i}")
                return True
        return False

    def watch_view(self) -> None:
        self._rebuild()

    def watch_filter_text(self) -> None:
        self._rebuild()

    def on_resize(self, event: events.Resize) -> None:
        if self._is_wide() != self._wide:
            self._rebuild()

    def _is_wide(self) -> bool:
        return self.scrollable_content_region.width >= WIDE

    def _rebuild(self) -> None:
        """The options from the findings and the filter; the highlighted finding stays
        highlighted when the filter keeps it, else the first one is."""
        before = self.highlighted_finding
        self._wide = wide = self._is_wide()
        view = self.view
        kept = [f for f in self.findings if render.finding_matches(f, self.filter_text)]
        # the view groups them (its headings, its order), the filter only leaves some out
        groups = dataclasses.replace(view, findings=kept).grouped() if view is not None else []
        # `shown` is in list order (the view's), so that an option's id indexes it
        self.shown = [f for _, _, group in groups for f in group]
        id_width = max((len(f.id) for f in self.shown), default=0)
        options: list[Option | None] = []
        index = 0
        for severity, heading, group in groups:
            if options:
                options.append(None)
            options.append(Option(Text(f"{heading} ({len(group)})",
                                       style=render.SEVERITY_STYLE[severity]), disabled=True))
            for f in group:
                options.append(Option(render.finding_label(f, id_width=id_width, wide=wide),
                                      id=f"{PREFIX}{index}"))
                index += 1
        self._show(options, before)

    def _show(self, options: list[Option | None], before: FindingView | None) -> None:
        self.set_options(options)
        target = 0
        if before is not None and before in self.shown:
            target = self.shown.index(before)
        if self.shown:  # (the option list tells the highlight: `on_option_list_...`)
            self.highlighted = self.get_option_index(f"{PREFIX}{target}")
        else:
            self.post_message(self.Highlighted(None))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list is self:
            event.stop()
            self.post_message(self.Highlighted(self._finding_of(event.option)))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list is self:
            event.stop()
            finding = self._finding_of(event.option)
            if finding is not None:
                self.post_message(self.Chosen(finding))


class FindingsPane(Vertical):
    """The findings list under its filter box (hidden until `/`). The filter keeps the findings
    whose id, severity, title or detail hold every word typed; enter goes back to the list,
    escape clears the filter."""

    DEFAULT_CSS = """
    FindingsPane {
        height: 1fr;
    }
    FindingsPane > #findings-filter {
        display: none;
        margin: 0 0;
    }
    FindingsPane.-filtering > #findings-filter {
        display: block;
    }
    """

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter: id, severity or words of the title", compact=True,
                    id="findings-filter")
        yield FindingsList(id="findings")

    @property
    def list(self) -> FindingsList:
        """The findings list."""
        return self.query_one(FindingsList)

    @property
    def filter_input(self) -> Input:
        """The filter box."""
        return self.query_one("#findings-filter", Input)

    @property
    def filtering(self) -> bool:
        """The filter box is open or a filter is applied."""
        return self.has_class("-filtering") or bool(self.list.filter_text)

    def open_filter(self) -> None:
        """Show the filter box and type into it."""
        self.add_class("-filtering")
        self.filter_input.focus()

    def clear_filter(self) -> None:
        """Every finding again; the box hidden, the list focused."""
        self.filter_input.value = ""
        self.list.filter_text = ""
        self.remove_class("-filtering")
        self.list.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input is self.filter_input:
            event.stop()
            self.list.filter_text = event.value

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input is self.filter_input:
            event.stop()
            if not event.value:
                self.remove_class("-filtering")
            self.list.focus()
