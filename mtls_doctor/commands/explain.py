"""`mtls-doctor explain TEXT`: recognise a pasted error, status or finding id, and walk the
decision tree it belongs to as far as the text (and any --answer) decides.

What the text establishes is the walk's facts: the tree facts of the recognised walkthrough and
the values the text names (a host, a domain, the client's files, the served names, ...), which
fill the fix's commands. A walk starts at the tree's start, or at the node the recognition names
(a finding whose fix does not depend on the questions before it, a curl error that happened before
anything was sent); each step the text decided says so in its evidence, so the output shows what
came from the text and what is still to be answered.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mtls_doctor.errors import InputError
from mtls_doctor.model.report import Report
from mtls_doctor.walkthroughs import (
    QuestionNode,
    Step,
    Tree,
    Walk,
    WalkthroughError,
    all_trees,
    load_tree,
    walk,
)
from mtls_doctor.walkthroughs.engine import fact_text
from mtls_doctor.walkthroughs.recognise import Recognition, recognise_all


def parse_answers(pairs: list[str] | None) -> dict[str, str]:
    """`--answer node=value` options as a mapping."""
    out: dict[str, str] = {}
    for pair in pairs or ():
        node, sep, value = pair.partition("=")
        if not sep or not node.strip() or not value.strip():
            raise InputError(f"--answer {pair!r}: expected NODE=ANSWER (e.g. issuer-in-truststore=no)")
        out[node.strip()] = value.strip()
    return out


def _entry(tree: Tree, chosen: Recognition | None) -> str:
    """The node the walk starts at: the question nearest the tree's start that reads the
    recognition's entry fact (the tree's start when it names none, or no question reads it)."""
    fact = chosen.entry if chosen else None
    if fact is None:
        return tree.start
    order, seen = [tree.start], {tree.start}
    for node_id in order:  # breadth first: `order` grows while it is read
        node = tree.nodes[node_id]
        if isinstance(node, QuestionNode):
            if node.fact == fact:
                return node.id
            for target in node.answers.values():
                if target not in seen:
                    seen.add(target)
                    order.append(target)
    return tree.start


def _skipped(tree: Tree, entry: str) -> list[str]:
    """The questions on the way from the tree's start to `entry` (the walk does not ask them)."""
    out: list[str] = []
    node = tree.nodes[tree.start]
    seen: set[str] = set()
    while isinstance(node, QuestionNode) and node.id != entry and node.id not in seen:
        seen.add(node.id)
        out.append(node.id)
        target = next((t for t in node.answers.values() if _reaches(tree, t, entry)), None)
        if target is None:
            break
        node = tree.nodes[target]
    return out


def _reaches(tree: Tree, start: str, goal: str) -> bool:
    todo, seen = [start], set()
    while todo:
        node_id = todo.pop()
        if node_id == goal:
            return True
        if node_id in seen:
            continue
        seen.add(node_id)
        node = tree.nodes[node_id]
        if isinstance(node, QuestionNode):
            todo.extend(node.answers.values())
    return False


def _sourced(step: Step, tree: Tree, facts: Mapping[str, Any], chosen: Recognition) -> Step:
    """A detected step's evidence says where its fact came from: the pasted text, or the finding
    id the text named."""
    if not step.detected:
        return step
    node = tree.nodes.get(step.node)
    fact = node.fact if isinstance(node, QuestionNode) else None
    what = fact_text(fact, facts.get(fact)) if fact else "the text"
    if chosen.match.kind == "finding" and chosen.match.finding:
        source = f"implied by finding {chosen.match.finding}"
    else:
        source = "detected from the pasted text"
    return dataclasses.replace(step, evidence=f"{source}: {step.answer} ({what})")


def _walk(tree: Tree, entry: str, facts: Mapping[str, Any], answers: Mapping[str, str]) -> Walk:
    questions = [q.id for q in tree.questions()]
    unknown = [node for node in answers if node not in questions]
    if unknown:  # a typo must not read as an answer that was taken
        raise InputError(f"--answer {unknown[0]}=...: the walkthrough {tree.id} has no question "
                         f"{unknown[0]!r}; its questions are {', '.join(questions)}")
    started = tree if entry == tree.start else dataclasses.replace(tree, start=entry)
    try:
        return walk(started, facts, dict(answers))
    except WalkthroughError as exc:
        raise InputError(str(exc)) from None


def run_explain(text: str, *, now: datetime, answers: Mapping[str, str] | None = None,
                walkthrough: str | None = None) -> Report:
    """The walkthrough `text` points to (or `walkthrough`, forced), walked as far as it can go."""
    if not text.strip() and walkthrough is None:
        raise InputError("explain: give the text to recognise (an error, a status, a finding id)")
    found = recognise_all(text) if text.strip() else []
    if walkthrough is None:
        chosen = next((r for r in found if r.match.walkthrough), None)
    else:  # forced: the text still decides what it can in that tree
        chosen = next((r for r in found if r.match.walkthrough == walkthrough), None)
    tree_id = walkthrough or (chosen.match.walkthrough if chosen else None)
    if tree_id is None:
        known = [r.match.matched for r in found]
        return Report(command="explain", generated_at=now, status=0 if found else 1,
                      payload={"walkthrough": None, "recognised": known,
                               "walkthroughs": [{"id": t.id, "title": t.title}
                                                for t in all_trees().values()]})
    try:
        tree = load_tree(tree_id)
    except WalkthroughError as exc:
        raise InputError(str(exc)) from None
    facts: dict[str, Any] = {**chosen.values, **chosen.match.facts} if chosen else {}
    entry = _entry(tree, chosen)
    walked = _walk(tree, entry, facts, answers or {})
    steps = [_sourced(s, tree, facts, chosen) for s in walked.steps] if chosen else list(walked.steps)
    skipped = _skipped(tree, entry) if entry != tree.start else []
    if skipped and steps:  # say so where every format shows it
        steps[0] = dataclasses.replace(steps[0], evidence=f"{steps[0].evidence}; started here: the "
                                       f"questions before it ({', '.join(skipped)}) do not change "
                                       "this fix")
    body: dict[str, Any] = {
        "id": tree.id, "title": tree.title, "summary": tree.summary,
        "matched": chosen.match.matched if chosen else None,
        "finding": chosen.match.finding if chosen else None,
        "facts": facts,
        "start": entry,
    }
    if skipped:
        body["skipped"] = skipped
    body |= {"steps": steps, "pending": walked.pending, "leaf": walked.leaf, "fix": walked.fix,
             "recheck": walked.recheck, "recheck_command": walked.recheck_command,
             "others": [{"walkthrough": r.match.walkthrough, "finding": r.match.finding,
                         "matched": r.match.matched} for r in found if r is not chosen]}
    return Report(command="explain", generated_at=now, status=0, payload={"walkthrough": body})
