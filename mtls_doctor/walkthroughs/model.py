"""The walkthroughs' plain data: trees as loaded, and what a walk or a recognition returns.

Every type is a frozen dataclass, so `report.json.to_primitive` turns any of them into JSON.
Mapping fields are left out of the hash (a dict cannot be hashed), never out of equality.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mtls_doctor.model.finding import Fix


class WalkthroughError(Exception):
    """A walkthrough tree is broken, unknown, or was given an answer it does not offer.

    The message names the tree and, when there is one, the node.
    """

    def __init__(self, message: str, *, tree: str | None = None, node: str | None = None) -> None:
        self.tree = tree
        self.node = node
        self.reason = message
        where = ""
        if tree is not None:
            where = f"walkthrough {tree!r}"
            if node is not None:
                where += f", node {node!r}"
            where += ": "
        super().__init__(where + message)


@dataclass(frozen=True)
class FixTemplate:
    """A leaf's fix before rendering: text and commands with `{placeholder}`s."""

    summary: str
    steps: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuestionNode:
    """A question; `answers` maps each answer (lower case) to the next node's id, in the order the
    tree gives them. When `fact` is set and the facts hold it, the engine answers by itself."""

    id: str
    question: str
    answers: Mapping[str, str] = field(hash=False)
    fact: str | None = None
    help: str | None = None


@dataclass(frozen=True)
class LeafNode:
    """An end of the walk: the fix, the collector to run again afterwards, and the template of
    the command that does it (None: the default for the collector, `trees.RECHECK_COMMANDS`)."""

    id: str
    fix: FixTemplate
    recheck: str | None = None
    recheck_command: str | None = None


Node = QuestionNode | LeafNode


@dataclass(frozen=True)
class Tree:
    """One validated decision tree."""

    id: str
    title: str
    summary: str
    start: str
    nodes: Mapping[str, Node] = field(hash=False)

    def questions(self) -> tuple[QuestionNode, ...]:
        """The question nodes, in the tree's order."""
        return tuple(n for n in self.nodes.values() if isinstance(n, QuestionNode))

    def leaves(self) -> tuple[LeafNode, ...]:
        """The leaves, in the tree's order."""
        return tuple(n for n in self.nodes.values() if isinstance(n, LeafNode))

    def facts(self) -> tuple[str, ...]:
        """The fact keys this tree reads, each once, in the tree's order."""
        return tuple(dict.fromkeys(q.fact for q in self.questions() if q.fact))


@dataclass(frozen=True)
class Step:
    """One answered question of a walk. `detected` is true when the facts answered it;
    `evidence` says how (`detected: yes (from fact mtls_enabled=True)`) or that the user did."""

    node: str
    question: str
    answer: str
    detected: bool
    evidence: str | None = None


@dataclass(frozen=True)
class Question:
    """The question a walk stopped at: neither the facts nor the answers decide it.
    `note` says why a fact that was present did not (its value fits no answer)."""

    node: str
    question: str
    answers: tuple[str, ...]
    fact: str | None = None
    help: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Walk:
    """Where a walk through one tree got to: the answered steps, then either the pending question
    or the leaf's rendered fix, the collector to re-run (`recheck`) and the command that re-runs
    it (`recheck_command`, rendered like the fix's commands)."""

    tree: str
    steps: tuple[Step, ...]
    pending: Question | None = None
    fix: Fix | None = None
    recheck: str | None = None
    leaf: str | None = None
    recheck_command: str | None = None

    @property
    def finished(self) -> bool:
        """True when the walk reached a leaf."""
        return self.leaf is not None


@dataclass(frozen=True)
class Match:
    """One thing `recognise` found in a text: the walkthrough to follow (None for the finding ids
    that have none), the phrase as it appears in the text, the facts it implies, the finding id it
    corresponds to (when one does), and what kind of text it was."""

    walkthrough: str | None
    matched: str
    facts: Mapping[str, Any] = field(default_factory=dict, hash=False)
    finding: str | None = None
    kind: str = ""
