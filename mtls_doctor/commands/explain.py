"""`mtls-doctor explain TEXT`: recognise a pasted error, status or finding id, and walk the
decision tree it belongs to as far as the text (and any --answer) decides."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mtls_doctor.errors import InputError
from mtls_doctor.model.report import Report
from mtls_doctor.walkthroughs import WalkthroughError, all_trees, load_tree, recognise, walk


def parse_answers(pairs: list[str] | None) -> dict[str, str]:
    """`--answer node=value` options as a mapping."""
    out: dict[str, str] = {}
    for pair in pairs or ():
        node, sep, value = pair.partition("=")
        if not sep or not node.strip() or not value.strip():
            raise InputError(f"--answer {pair!r}: expected NODE=ANSWER (e.g. issuer-in-truststore=no)")
        out[node.strip()] = value.strip()
    return out


def run_explain(text: str, *, now: datetime, answers: Mapping[str, str] | None = None,
                walkthrough: str | None = None) -> Report:
    """The walkthrough `text` points to (or `walkthrough`, forced), walked as far as it can go."""
    if not text.strip() and walkthrough is None:
        raise InputError("explain: give the text to recognise (an error, a status, a finding id)")
    matches = recognise(text) if text.strip() else []
    chosen = next((m for m in matches if m.walkthrough), None)
    tree_id = walkthrough or (chosen.walkthrough if chosen else None)
    if tree_id is None:
        known = [m.matched for m in matches]
        return Report(command="explain", generated_at=now, status=0 if matches else 1,
                      payload={"walkthrough": None, "recognised": known,
                               "walkthroughs": [{"id": t.id, "title": t.title}
                                                for t in all_trees().values()]})
    try:
        tree = load_tree(tree_id)
        walked = walk(tree, chosen.facts if chosen else {}, dict(answers or {}))
    except WalkthroughError as exc:
        raise InputError(str(exc)) from None
    payload: dict[str, Any] = {"walkthrough": {
        "id": tree.id, "title": tree.title, "summary": tree.summary,
        "matched": chosen.matched if chosen else None,
        "finding": chosen.finding if chosen else None,
        "facts": dict(chosen.facts) if chosen else {},
        "steps": walked.steps, "pending": walked.pending, "fix": walked.fix,
        "recheck": walked.recheck, "recheck_command": walked.recheck_command,
    }}
    return Report(command="explain", generated_at=now, status=0, payload=payload)
