"""Walk a decision tree: answer what the facts decide, stop at the first question they do not,
and render the leaf's fix with the facts filled in. Pure: no I/O, no clock.

How a question is decided, in this order:

1. an explicit answer for the node (`answers[node_id]`, the user's override), which must be one
   of the node's answers (`true`/`false`/`y`/`n` are read as `yes`/`no`);
2. the node's `fact`, when the facts hold it with a value other than None or "": the first of
   these the node offers wins: `str(value).lower()`; `yes`/`no` for a bool, an int (non-zero is
   yes) or the strings "true"/"false"; `other`;
3. otherwise the walk stops there and `Walk.pending` holds the question.

Templates: `{name}` is filled from the facts (see `trees.PLACEHOLDERS`); a missing value becomes
`<name>`. A command template is read into argv lists (`shell.template`), the values go into their
arguments, and `shell.render` quotes each argument on its own: whatever a fact holds, it stays one
literal argument and every command stays safe to paste. In text (summary, steps, question, help)
the value goes in as is. `{{` and `}}` are literal braces. `authority` (host:port) and `connect`
(the --connect address, else the authority) are derived from the facts when they are not given.

The fact keys each tree reads are listed in `trees.FACTS` (type, collector, meaning) and each
tree's own list is `Tree.facts()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mtls_doctor.model.finding import Fix
from mtls_doctor.shell import path, render
from mtls_doctor.shell.template import fill_text, parse
from mtls_doctor.walkthroughs.model import (
    FixTemplate,
    LeafNode,
    Question,
    QuestionNode,
    Step,
    Tree,
    Walk,
    WalkthroughError,
)
from mtls_doctor.walkthroughs.trees import RECHECK_COMMANDS

_YES_NO = {"true": "yes", "false": "no", "y": "yes", "n": "no"}


def _missing(value: Any) -> bool:
    return value is None or value == ""


def _hostport(host: str, port: Any) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _derived(facts: Mapping[str, Any]) -> Mapping[str, Any]:
    """The facts plus `authority` and `connect` when they can be told."""
    out = dict(facts)
    host, port = facts.get("host"), facts.get("port")
    if _missing(out.get("authority")) and not _missing(host) and not _missing(port):
        out["authority"] = _hostport(str(host), port)
    if _missing(out.get("connect")) and not _missing(out.get("authority")):
        out["connect"] = out["authority"]
    return out


#: placeholders that name local files: one that starts with `-` is written `./-name`
_FILES = frozenset({"cert_file", "key_file", "truststore_file"})


def _value(facts: Mapping[str, Any], name: str, *, argument: bool = False) -> str:
    value = facts.get(name)
    if _missing(value):
        return f"<{name}>"
    return path(str(value)) if argument and name in _FILES else str(value)


def render_command(template: str, facts: Mapping[str, Any]) -> str:
    """A command template with the facts filled in, each argument quoted for sh; `<name>` (in
    its quoted argument) for a missing one."""
    known = _derived(facts)
    return render(parse(template).fill(lambda name: _value(known, name, argument=True)))


def render_text(template: str, facts: Mapping[str, Any]) -> str:
    """A text template with the facts filled in as they are; `<name>` for a missing one."""
    known = _derived(facts)
    return fill_text(template, lambda name: _value(known, name))


def render_fix(fix: FixTemplate, facts: Mapping[str, Any]) -> Fix:
    """The leaf's fix with every placeholder filled (or marked missing)."""
    return Fix(
        summary=render_text(fix.summary, facts),
        steps=tuple(render_text(s, facts) for s in fix.steps),
        commands=tuple(render_command(c, facts) for c in fix.commands),
    )


def recheck_command(leaf: LeafNode, facts: Mapping[str, Any]) -> str | None:
    """The command that re-runs the leaf's collector, filled like its fix's commands."""
    template = leaf.recheck_command or RECHECK_COMMANDS.get(leaf.recheck or "")
    return None if template is None else render_command(template, facts)


def _candidates(value: Any) -> list[str]:
    """The answers a fact value can stand for, most specific first."""
    text = str(value).strip().lower()
    out = [text]
    if isinstance(value, bool | int):
        out.append("yes" if value else "no")
    elif text in _YES_NO:
        out.append(_YES_NO[text])
    out.append("other")
    return out


def detect(node: QuestionNode, facts: Mapping[str, Any]) -> str | None:
    """The answer the facts give to `node`, or None when they do not decide it."""
    if node.fact is None or _missing(facts.get(node.fact)):
        return None
    return next((a for a in _candidates(facts[node.fact]) if a in node.answers), None)


def fact_value(value: Any) -> str:
    """A fact's value as a person reads it: `yes`/`no`, `none`, a number, the text itself
    (never a Python repr: no quotes, no `True`)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(fact_value(v) for v in value) or "none"
    return str(value)


def fact_text(fact: str, value: Any) -> str:
    """`alert: unknown_ca`, `mtls_enabled: yes`: a fact and its value, as step evidence says
    them."""
    return f"{fact}: {fact_value(value)}"


def _fact_text(node: QuestionNode, facts: Mapping[str, Any]) -> str:
    return fact_text(node.fact or "", facts.get(node.fact or ""))


def _explicit(tree: Tree, node: QuestionNode, given: str, facts: Mapping[str, Any]) -> Step:
    answer = given.strip().lower()
    if answer not in node.answers:
        answer = _YES_NO.get(answer, answer)
    if answer not in node.answers:
        raise WalkthroughError(f"{given!r} is not an answer here (answers: {', '.join(node.answers)})",
                               tree=tree.id, node=node.id)
    detected = detect(node, facts)
    if detected is None:
        evidence = f"answered: {answer}"
    elif detected == answer:
        evidence = f"answered: {answer} (agrees with {_fact_text(node, facts)})"
    else:
        evidence = (f"answered: {answer} (overrides detected: {detected}, from "
                    f"{_fact_text(node, facts)})")
    return Step(node.id, render_text(node.question, facts), answer, detected=False, evidence=evidence)


def _pending(node: QuestionNode, facts: Mapping[str, Any]) -> Question:
    note = None
    if node.fact is not None and not _missing(facts.get(node.fact)):
        note = f"{_fact_text(node, facts)}, which matches no answer"
    return Question(
        node=node.id,
        question=render_text(node.question, facts),
        answers=tuple(node.answers),
        fact=node.fact,
        help=None if node.help is None else render_text(node.help, facts),
        note=note,
    )


def walk(tree: Tree, facts: Mapping[str, Any], answers: Mapping[str, str] | None = None) -> Walk:
    """Follow `tree` from its start as far as the facts and the explicit answers go.

    `answers` maps a node id to the user's answer and overrides what the facts say. Raises
    `WalkthroughError` for an explicit answer the node does not offer.
    """
    given = answers or {}
    steps: list[Step] = []
    node_id = tree.start
    for _ in range(len(tree.nodes)):  # validated trees have no loops; this only bounds the walk
        node = tree.nodes[node_id]
        if isinstance(node, LeafNode):
            return Walk(tree.id, tuple(steps), fix=render_fix(node.fix, facts), recheck=node.recheck,
                        leaf=node.id, recheck_command=recheck_command(node, facts))
        if node.id in given:
            step = _explicit(tree, node, given[node.id], facts)
        else:
            answer = detect(node, facts)
            if answer is None:
                return Walk(tree.id, tuple(steps), pending=_pending(node, facts))
            step = Step(node.id, render_text(node.question, facts), answer, detected=True,
                        evidence=f"detected: {answer} (from {_fact_text(node, facts)})")
        steps.append(step)
        node_id = node.answers[step.answer]
    raise WalkthroughError("the walk does not end (the tree loops)", tree=tree.id, node=node_id)


def heading_to(tree: Tree, facts: Mapping[str, Any], answers: Mapping[str, str],
               start: str) -> LeafNode | None:
    """The leaf every way on from the node `start` ends at, following the answers given and
    what the facts decide and trying every answer of the rest; None when more than one leaf is
    still possible (the fix is not decided yet). A walk that stops at a question can already
    name its fix when every remaining path leads to the same one."""
    leaves: set[str] = set()
    seen: set[str] = set()
    todo = [start]
    while todo:
        node_id = todo.pop()
        if node_id in seen or node_id not in tree.nodes:
            continue
        seen.add(node_id)
        node = tree.nodes[node_id]
        if isinstance(node, LeafNode):
            leaves.add(node.id)
            continue
        decided = answers.get(node.id) or detect(node, facts)
        if decided is not None and decided in node.answers:
            todo.append(node.answers[decided])
        else:
            todo.extend(node.answers.values())
    if len(leaves) != 1:
        return None
    leaf = tree.nodes[leaves.pop()]
    return leaf if isinstance(leaf, LeafNode) else None


def leaf_paths(tree: Tree) -> list[tuple[dict[str, str], str]]:
    """Every path from start to a leaf, as (node id -> answer, leaf id): what a test or a TUI
    needs to show every way through a tree."""
    out: list[tuple[dict[str, str], str]] = []

    def visit(node_id: str, path: dict[str, str]) -> None:
        node = tree.nodes[node_id]
        if isinstance(node, LeafNode):
            out.append((path, node.id))
            return
        for answer, target in node.answers.items():
            visit(target, {**path, node.id: answer})

    visit(tree.start, {})
    return out
