"""The view's chain trees (`report.parts.Node`) drawn with rich's `Tree`, windowed around the
certificate a finding is about.

A truststore of a thousand certificates is a tree of a thousand nodes; the finding screen draws
at most `LIMIT` of them: the way from the root down to the finding's certificate (the node
whose `link` is the finding's certificate anchor), the certificates right under it, then the
tree from its top, and one line saying how many were left out (the certificate viewer lists
them all). Every string is made safe with `render.clean` and put in a `Text`, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.text import Text
from rich.tree import Tree as RichTree

from mtls_doctor.report.parts import Node
from mtls_doctor.tui import render
from mtls_doctor.tui.sections import tone_style

#: the most certificates of a chain drawing the finding screen shows
LIMIT = 30
#: the certificates right under the finding's one that are shown before the rest of the tree
CHILDREN = 5


def flatten(nodes: Sequence[Node]) -> list[tuple[int, Node]]:
    """Every node as (depth, node), in drawing order (a parent before its children), without
    recursion (a hostile bundle can be deep)."""
    out: list[tuple[int, Node]] = []
    todo: list[tuple[int, Node]] = [(0, n) for n in reversed(nodes)]
    while todo:
        depth, node = todo.pop()
        out.append((depth, node))
        todo += [(depth + 1, c) for c in reversed(node.children)]
    return out


def window(lines: Sequence[tuple[int, Node]], focus: str = "", limit: int = LIMIT
           ) -> list[int]:
    """The indexes of `lines` (as `flatten` gives them) to draw, at most `limit`, in order:
    the first node linked to `focus` with every node above it and the first `CHILDREN` right
    under it, then the tree from its top. The set is closed upwards (a node's parent is always
    kept), so it still draws as a tree; the way down to `focus` is kept even when it is longer
    than `limit`."""
    if len(lines) <= limit:
        return list(range(len(lines)))
    keep: set[int] = set()
    at = next((i for i, (_, n) in enumerate(lines) if focus and n.link == focus), None)
    if at is not None:
        depth = lines[at][0]
        keep.add(at)
        up = depth
        for j in range(at - 1, -1, -1):  # its ancestors: the nearest line above of each depth
            if up == 0:
                break
            if lines[j][0] < up:
                keep.add(j)
                up = lines[j][0]
        end = next((j for j in range(at + 1, len(lines)) if lines[j][0] <= depth), len(lines))
        keep.update([j for j in range(at + 1, end) if lines[j][0] == depth + 1][:CHILDREN])
    for i in range(len(lines)):  # a prefix of the drawing order is closed upwards
        if len(keep) >= limit:
            break
        keep.add(i)
    return sorted(keep)


def _label(node: Node, focused: bool) -> Text:
    style = tone_style(node.tone)
    text = Text.assemble((f"{render.clean(node.tag)} " if node.tag else "", "dim"),
                         (render.clean(node.label), f"{style} bold" if focused else style),
                         (f"  {render.clean(node.meta)}" if node.meta else "", "dim"),
                         (f"  {render.clean(node.note)}" if node.note else "", "italic"))
    if focused:
        text.append("  ◀ this finding", "bold reverse")
    return text


def tree_renderable(title: str, nodes: Sequence[Node], focus: str = "",
                    limit: int = LIMIT) -> RenderableType:
    """Chains drawn as a tree under `title`, windowed around the node linked to `focus` (see
    `window`), with how many certificates were left out."""
    lines = flatten(nodes)
    kept = window(lines, focus, limit)
    root = RichTree(Text(render.clean(title), style="bold"), guide_style="dim")
    stack: list[tuple[int, RichTree]] = []
    for i in kept:
        depth, node = lines[i]
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parent = stack[-1][1] if stack else root
        stack.append((depth, parent.add(_label(node, bool(focus) and node.link == focus))))
    drawn = set(kept)
    left = sum(1 for i, (_, node) in enumerate(lines) if node.tag and i not in drawn)
    if not left:
        return root
    return Group(root, Text(f"… {left} more certificate(s) not drawn here: press c to list "
                            "them all", style="dim italic"))
