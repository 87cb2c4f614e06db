"""The report view's parts (`report.parts`: facts, tables, trees, certificate details, sections)
drawn with rich for the screens that show them whole (the fix screen's plans and outcome, the
traffic screen's window and rehearsal). The parts hold plain strings: every value is made safe
here with `render.clean` and put in a `Text`, never in markup. A tone (`ok`, `warn`, `bad`)
becomes a colour."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table as RichTable
from rich.text import Text

from mtls_doctor.report.parts import Details, Facts, Node, Part, Section, Table, Tree
from mtls_doctor.tui import render

#: the colour of each tone of the view model
TONE_STYLE = {"ok": "green", "warn": "yellow", "bad": "red", "": ""}


def tone_style(tone: str) -> str:
    """The rich style of a tone (none for an unknown one)."""
    return TONE_STYLE.get(tone, "")


#: the widest a facts label is drawn before it folds
LABEL_WIDTH = 20


def facts_renderable(facts: Facts) -> RenderableType:
    """A list of facts: the labels dim in a column, each value in its tone's colour."""
    grid = RichTable.grid(padding=(0, 2))
    # a long label ("issuer in acceptable ca names") folds rather than squeezing the values
    # into a few columns of a narrow pane
    grid.add_column(style="dim", max_width=LABEL_WIDTH, overflow="fold")
    grid.add_column(ratio=1, overflow="fold")
    for row in facts.rows:
        grid.add_row(Text(render.clean(row.label)),
                     Text(render.clean(row.value), style=tone_style(row.tone)))
    if not facts.title:
        return grid
    return Group(Text(render.clean(facts.title), style="bold"), grid)


def table_renderable(table: Table) -> RenderableType:
    """A table with its header; a row is drawn in its tone's colour."""
    out = RichTable(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False,
                    title=Text(render.clean(table.title), style="bold") if table.title else None,
                    title_justify="left")
    for column in table.columns:
        out.add_column(Text(render.clean(column)), overflow="fold")
    for row in table.rows:
        out.add_row(*(Text(render.clean(cell)) for cell in row.cells),
                    style=tone_style(row.tone))
    if not table.rows:
        return Group(Text(render.clean(table.title), style="bold") if table.title else Text(""),
                     Text("(none)", style="dim"))
    return out


def _node_lines(node: Node, depth: int, out: list[Text]) -> None:
    out.append(Text.assemble("  " * depth, ("└ " if depth else ""),
                             (render.clean(node.label), tone_style(node.tone)),
                             (f"  {render.clean(node.meta)}" if node.meta else "", "dim"),
                             (f"  {render.clean(node.note)}" if node.note else "", "italic")))
    for child in node.children:
        _node_lines(child, depth + 1, out)


def tree_renderable(tree: Tree) -> RenderableType:
    """Chains drawn as indented lines, roots at the top."""
    lines: list[Text] = []
    for node in tree.nodes:
        _node_lines(node, 0, lines)
    title = [Text(render.clean(tree.title), style="bold")] if tree.title else []
    return Group(*title, *lines)


def part_renderable(part: Part) -> RenderableType:
    """One part of a section."""
    if isinstance(part, Facts):
        return facts_renderable(part)
    if isinstance(part, Table):
        return table_renderable(part)
    if isinstance(part, Tree):
        return tree_renderable(part)
    assert isinstance(part, Details)
    return facts_renderable(Facts(part.title, part.cert.rows))


def section_renderable(section: Section) -> RenderableType:
    """A section: its title, its lead in its tone, and its parts one below the other."""
    items: list[RenderableType] = [Text(render.clean(section.title), style="bold underline")]
    if section.lead:
        items.append(Text(render.clean(section.lead), style=tone_style(section.lead_tone)))
    for part in section.parts:
        items += [Text(""), part_renderable(part)]
    return Group(*items)


def sections_renderable(sections: Sequence[Section]) -> RenderableType:
    """Sections one below the other, a blank line between two."""
    items: list[RenderableType] = []
    for section in sections:
        if items:
            items.append(Text(""))
        items.append(section_renderable(section))
    return Group(*items)
