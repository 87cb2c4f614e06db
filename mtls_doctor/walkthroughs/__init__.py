"""Guided fix walkthroughs: decision trees kept as package data (`trees/*.json`), a small pure
engine that walks them with the collected facts, and the recogniser behind `explain`.

    tree = load_tree("client-rejected")
    result = walk(tree, facts, answers={"self-signed": "no"})
    result.pending or result.fix
    recognise("tlsv1 alert unknown ca")[0].walkthrough  # "client-rejected"
    walk(tree, walk_facts(finding, report, {"connect": "127.0.0.1:8443"}))  # facts of a run
"""

from __future__ import annotations

from mtls_doctor.walkthroughs.engine import (
    detect,
    leaf_paths,
    recheck_command,
    render_command,
    render_fix,
    render_text,
    walk,
)
from mtls_doctor.walkthroughs.facts import report_facts, walk_facts
from mtls_doctor.walkthroughs.model import (
    FixTemplate,
    LeafNode,
    Match,
    Node,
    Question,
    QuestionNode,
    Step,
    Tree,
    Walk,
    WalkthroughError,
)
from mtls_doctor.walkthroughs.recognise import recognise
from mtls_doctor.walkthroughs.trees import (
    FACTS,
    PLACEHOLDERS,
    PROGRAMS,
    RECHECK_COMMANDS,
    RECHECKS,
    FactSpec,
    all_trees,
    load_tree,
    parse_tree,
)

__all__ = [
    "FACTS",
    "PLACEHOLDERS",
    "PROGRAMS",
    "RECHECKS",
    "RECHECK_COMMANDS",
    "FactSpec",
    "FixTemplate",
    "LeafNode",
    "Match",
    "Node",
    "Question",
    "QuestionNode",
    "Step",
    "Tree",
    "Walk",
    "WalkthroughError",
    "all_trees",
    "detect",
    "leaf_paths",
    "load_tree",
    "parse_tree",
    "recheck_command",
    "recognise",
    "render_command",
    "render_fix",
    "render_text",
    "report_facts",
    "walk",
    "walk_facts",
]
