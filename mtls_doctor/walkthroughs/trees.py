"""The decision trees: the fact keys and placeholders they may use, and loading with validation.

A tree is a JSON document in `mtls_doctor/walkthroughs/trees/<id>.json`::

    {"id": "...", "title": "...", "summary": "...", "start": "node-id",
     "nodes": {"node-id": {"question": "...", "fact": "key", "help": "...",
                           "answers": {"yes": "next-id", "no": "next-id"}},
               "leaf-id": {"fix": {"summary": "...", "steps": ["..."], "commands": ["..."]},
                           "recheck": "truststore|probe|domain|verify-client",
                           "recheck_command": "..."}}}

A tree is validated when it is loaded, and a broken one raises `WalkthroughError` naming the tree
and the node: the id matches the file name and is one of the contract's eight; `start` exists;
every node is a question or a leaf (and nothing else); a question has at least two answers, each
leading to a node that exists; a fact key is a string listed in `FACTS`; a leaf has a fix with a
summary; `recheck` is one of `RECHECKS`; every `{placeholder}` is listed in `PLACEHOLDERS`
(`{{` and `}}` stand for literal braces); every command (and `recheck_command`) is in the subset of
sh that `shell.template` reads and runs only `PROGRAMS`; no answer path loops; every node is
reachable from start.

Commands are templates, never shell text: each is read into argv lists once, and a value is put
into its argument (quoted on its own when rendered), so no fact can add an argument or run
anything. A structured AWS parameter is a JSON word (`'[{"op":"replace",...}]'`) whose strings
hold the placeholders. After an upload, commands name the version put-object prints as the
literal `<new-version-id>`; `{new_version}` is a newer version already in S3.

The answer `other` is special: a fact whose value matches no other answer takes it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from mtls_doctor.model.catalog import WALKTHROUGHS
from mtls_doctor.shell.template import PLACEHOLDER, TemplateError, parse
from mtls_doctor.walkthroughs.model import (
    FixTemplate,
    LeafNode,
    Node,
    QuestionNode,
    Tree,
    WalkthroughError,
)


@dataclass(frozen=True)
class FactSpec:
    """One fact key a tree may read: its type, which collector provides it, what it means."""

    key: str
    type: str
    source: str
    meaning: str


_FACTS: tuple[tuple[str, str, str, str], ...] = (
    # the domain in AWS (`domain`)
    ("api_type", "str", "domain", "rest | http: which API (apigateway or apigatewayv2) describes it"),
    ("endpoint_type", "str", "domain", "REGIONAL | EDGE | PRIVATE"),
    ("security_policy", "str", "domain", "TLS_1_2, TLS_1_0 or an enhanced SecurityPolicy_* name"),
    ("status", "str", "domain", "domainNameStatus: AVAILABLE | UPDATING | PENDING | "
                                "PENDING_CERTIFICATE_REIMPORT | PENDING_OWNERSHIP_VERIFICATION | FAILED"),
    ("mtls_enabled", "bool", "domain", "the domain has a non-empty truststoreUri"),
    ("certificate_type", "str", "domain", "ACM type of the domain's certificate: "
                                          "AMAZON_ISSUED | IMPORTED | PRIVATE"),
    ("domain_cert_issued", "bool", "domain", "ACM says the domain's certificate is ISSUED"),
    ("domain_cert_expires_soon", "bool", "domain", "the domain's certificate expires within --warn-days"),
    ("cert_covers_domain", "bool", "domain", "the domain's certificate (subject or SAN) covers its name"),
    ("ownership_cert_present", "bool", "domain", "ownershipVerificationCertificateArn is set"),
    ("ownership_cert_valid", "bool", "domain", "the ownership certificate is ISSUED, unexpired and "
                                               "covers the name"),
    ("validation_record_present", "bool", "domain", "the ACM DNS validation CNAME of the certificate "
                                                    "still resolves"),
    ("conflicting_cert_in_account", "bool", "domain", "the certificate with the same subject and another "
                                                      "issuer is in this account's ACM"),
    ("truststore_readable", "bool", "domain", "the truststore object can be read from S3"),
    ("versioning_enabled", "bool", "domain", "the truststore bucket has versioning Enabled"),
    ("truststore_stale", "bool", "domain", "S3 holds a newer truststore version than the domain uses"),
    ("truststore_warning_count", "int", "domain", "number of strings in truststoreWarnings"),
    ("warning_kind", "str", "domain|truststore", "what the first truststore warning or lint error is "
                                                 "about: expired | not_yet_valid | weak_signature | "
                                                 "weak_key | missing_issuer | chain_too_long | not_ca | "
                                                 "other"),
    ("execute_api_enabled", "bool", "domain", "a mapped API still answers on its default execute-api "
                                              "endpoint"),
    ("dns_points_to_domain", "bool", "domain", "the host name resolves to the domain's regional domain "
                                               "name"),
    # the truststore lint (`truststore`)
    ("truststore_error_count", "int", "truststore", "number of error findings of the truststore lint"),
    # the client certificate against the truststore (`verify-client`)
    ("client_key_matches", "bool", "verify-client", "the private key belongs to the client certificate"),
    ("client_issuer_in_truststore", "bool", "verify-client", "the path from the client certificate ends at "
                                                             "a root in the truststore"),
    ("client_self_signed", "bool", "verify-client", "the client certificate is self-signed"),
    ("client_expired", "bool", "verify-client", "the client certificate or a CA on its path is expired "
                                                "or not yet valid"),
    ("client_weak_algorithm", "bool", "verify-client", "a certificate on the path has a hash below SHA-256 "
                                                       "or a key API Gateway does not accept"),
    # the live connection (`probe`)
    ("client_cert_requested", "bool", "probe", "the server sent a CertificateRequest"),
    ("client_cert_presented", "bool", "probe", "the client sent a certificate"),
    ("client_load_failed", "bool", "probe", "the client could not load its own certificate or key "
                                            "file (curl's \"could not load PEM client certificate\"); "
                                            "the probe loads its files before it connects"),
    ("alert", "str", "probe", "the TLS alert that ended the connection (unknown_ca, "
                              "certificate_required, ...), or none"),
    ("http_status", "int", "probe", "the HTTP status of the answer"),
    ("forbidden_reason", "str", "probe", "what a 403 says, in its body, its x-amzn-ErrorType header "
                                         "or API Gateway's access log: "
                                         "forbidden | missing_authentication_token | authorizer | "
                                         "resource_policy | issuer_not_found | insecure_signature_algorithm "
                                         "| self_signed | certificate_expired"),
    ("served_cert_covers_host", "bool", "probe", "the served certificate's SANs cover the host name"),
    ("served_cert_expired", "bool", "probe", "the served certificate is expired"),
    ("served_cert_trusted", "bool", "probe", "the served chain verifies against the public roots"),
    ("served_chain_complete", "bool", "probe", "the server sends the leaf and every intermediate"),
    # the served certificate against the domain's configured one (`diagnose`)
    ("served_is_configured", "bool", "diagnose", "the served certificate is the one configured on the "
                                                 "domain (ACM's serial is the served leaf's)"),
    ("served_cert_is_fqdn", "bool", "probe", "the served certificate names the exact host, and no "
                                             "wildcard of it covers the host"),
    ("configured_cert_is_wildcard", "bool", "domain", "the domain's configured certificate covers the "
                                                      "host only through a wildcard name"),
)

#: every fact key a tree may read (the `fact` of a question node)
FACTS: Mapping[str, FactSpec] = {k: FactSpec(k, t, s, m) for k, t, s, m in _FACTS}

#: every `{placeholder}` a fix, step, question or help text may use, with what fills it
PLACEHOLDERS: Mapping[str, str] = {
    "domain": "the custom domain name",
    "region": "the AWS region of the domain",
    "bucket": "the truststore's S3 bucket",
    "key": "the truststore's S3 key",
    "version": "the truststore version the domain uses",
    "new_version": "a newer truststore version already in S3 (the latest), for a domain that uses an "
                   "older one; after an upload the commands name `<new-version-id>` instead",
    "certificate_arn": "the ARN of the domain's certificate",
    "new_certificate_arn": "the ARN of the replacement certificate",
    "ownership_arn": "the ARN of the ownership verification certificate",
    "new_ownership_arn": "the ARN of a new ACM-issued ownership verification certificate",
    "cert_file": "the client certificate file",
    "key_file": "the client private key file",
    "truststore_file": "a local copy of the truststore",
    "host": "the host name clients call",
    "port": "the port clients call (443 for API Gateway)",
    "authority": "host:port as URLs and openssl write it ([v6]:port); derived from host and port",
    "connect": "where to open the TCP connection (--connect ADDR[:PORT]); the authority by default",
    "api_id": "the id of a mapped API",
    "stage": "the stage of a mapped API",
}

#: the collectors a leaf can ask to run again
RECHECKS: tuple[str, ...] = ("truststore", "probe", "domain", "verify-client")

#: the command that re-runs each collector, unless a leaf names its own (`recheck_command`)
RECHECK_COMMANDS: Mapping[str, str] = {
    "truststore": "mtls-doctor truststore {truststore_file}",
    "probe": "mtls-doctor probe {authority} --connect {connect} --cert {cert_file} --key {key_file}",
    "domain": "mtls-doctor domain {domain} --region {region}",
    "verify-client": "mtls-doctor verify-client --cert {cert_file} --truststore {truststore_file}",
}

#: the programs a command may run (every command of a pipeline)
PROGRAMS: frozenset[str] = frozenset({"aws", "openssl", "curl", "mtls-doctor", "dig", "nslookup",
                                      "cat", "grep"})

_QUESTION_KEYS = {"question", "fact", "help", "answers"}
_LEAF_KEYS = {"fix", "recheck", "recheck_command"}
_FIX_KEYS = {"summary", "steps", "commands"}
_TREE_KEYS = {"id", "title", "summary", "start", "nodes"}


def placeholders(text: str) -> list[str]:
    """The placeholder names in a template, in order (escaped braces are not placeholders)."""
    return [m.group(1) for m in PLACEHOLDER.finditer(text) if m.group(1)]


def _text(value: Any, what: str, tree: str | None, node: str | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise WalkthroughError(f"{what} must be a non-empty string, not {value!r}", tree=tree, node=node)
    unknown = [p for p in placeholders(value) if p not in PLACEHOLDERS]
    if unknown:
        raise WalkthroughError(f"{what} uses unknown placeholder {{{unknown[0]}}} "
                               f"(known: {', '.join(PLACEHOLDERS)})", tree=tree, node=node)
    return value


def _command(value: Any, what: str, tree: str, node: str) -> str:
    """A command template: text whose placeholders are known, in the subset of sh that
    `shell.template` reads, running only `PROGRAMS`."""
    text = _text(value, what, tree, node)
    try:
        programs = parse(text).programs
    except TemplateError as exc:
        raise WalkthroughError(f"{what}: {exc}", tree=tree, node=node) from None
    unknown = [p for p in programs if p not in PROGRAMS]
    if unknown:
        raise WalkthroughError(f"{what} runs {unknown[0]!r}, which is not one of "
                               f"{', '.join(sorted(PROGRAMS))}", tree=tree, node=node)
    return text


def _items(value: Any, what: str, tree: str, node: str,
           item: Callable[[Any, str, str, str], str]) -> tuple[str, ...]:
    """A list of strings, each checked by `item` (`_text`, or `_command` for commands)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise WalkthroughError(f"{what} must be a list of strings", tree=tree, node=node)
    return tuple(item(v, f"{what}[{i}]", tree, node) for i, v in enumerate(value))


def _commands(value: Any, what: str, tree: str, node: str) -> tuple[str, ...]:
    return _items(value, what, tree, node, _command)


def _texts(value: Any, what: str, tree: str, node: str) -> tuple[str, ...]:
    return _items(value, what, tree, node, _text)


def _extra(doc: Mapping[str, Any], allowed: set[str], what: str, tree: str, node: str | None) -> None:
    extra = sorted(set(doc) - allowed)
    if extra:
        raise WalkthroughError(f"{what} has unknown key {extra[0]!r} (allowed: {', '.join(sorted(allowed))})",
                               tree=tree, node=node)


def _question(tree: str, node: str, doc: Mapping[str, Any]) -> QuestionNode:
    _extra(doc, _QUESTION_KEYS, "a question node", tree, node)
    fact = doc.get("fact")
    if fact is not None and not isinstance(fact, str):
        raise WalkthroughError(f"fact key must be a string, not {fact!r}", tree=tree, node=node)
    if fact is not None and fact not in FACTS:
        raise WalkthroughError(f"fact key {fact!r} is not one of the documented FACTS", tree=tree, node=node)
    answers = doc.get("answers")
    if not isinstance(answers, dict) or len(answers) < 2:
        raise WalkthroughError("a question needs at least two answers", tree=tree, node=node)
    for answer, target in answers.items():
        if not answer or answer != answer.strip().lower():
            raise WalkthroughError(f"answer {answer!r} must be lower case without surrounding space",
                                   tree=tree, node=node)
        if not isinstance(target, str):
            raise WalkthroughError(f"answer {answer!r} must name a node, not {target!r}",
                                   tree=tree, node=node)
    help_text = doc.get("help")
    return QuestionNode(
        id=node,
        question=_text(doc.get("question"), "question", tree, node),
        answers=dict(answers),
        fact=fact,
        help=None if help_text is None else _text(help_text, "help", tree, node),
    )


def _leaf(tree: str, node: str, doc: Mapping[str, Any]) -> LeafNode:
    _extra(doc, _LEAF_KEYS, "a leaf node", tree, node)
    fix = doc.get("fix")
    if not isinstance(fix, dict):
        raise WalkthroughError("a leaf needs a fix object", tree=tree, node=node)
    _extra(fix, _FIX_KEYS, "a fix", tree, node)
    if not isinstance(fix.get("summary"), str) or not fix["summary"].strip():
        raise WalkthroughError("a leaf's fix needs a summary", tree=tree, node=node)
    recheck = doc.get("recheck")
    if recheck is not None and recheck not in RECHECKS:
        raise WalkthroughError(f"recheck {recheck!r} is not one of {', '.join(RECHECKS)}",
                               tree=tree, node=node)
    recheck_command = doc.get("recheck_command")
    return LeafNode(
        id=node,
        fix=FixTemplate(
            summary=_text(fix["summary"], "fix summary", tree, node),
            steps=_texts(fix.get("steps"), "fix steps", tree, node),
            commands=_commands(fix.get("commands"), "fix commands", tree, node),
        ),
        recheck=recheck,
        recheck_command=None if recheck_command is None else _command(
            recheck_command, "recheck_command", tree, node),
    )


def _node(tree: str, node: str, doc: Any) -> Node:
    if not isinstance(doc, dict):
        raise WalkthroughError("a node must be an object", tree=tree, node=node)
    if "question" in doc and "fix" not in doc:
        return _question(tree, node, doc)
    if "fix" in doc and "question" not in doc:
        return _leaf(tree, node, doc)
    if "question" in doc:
        raise WalkthroughError("a node is either a question or a leaf with a fix, not both",
                               tree=tree, node=node)
    raise WalkthroughError("a leaf needs a fix (and a question node a question)", tree=tree, node=node)


def _check_graph(tree: str, start: str, nodes: Mapping[str, Node]) -> None:
    """Targets exist, no cycles, everything reachable from start."""
    if start not in nodes:
        raise WalkthroughError(f"start node {start!r} does not exist", tree=tree)
    edges: dict[str, list[str]] = {}
    for node in nodes.values():
        edges[node.id] = []
        if isinstance(node, QuestionNode):
            for answer, target in node.answers.items():
                if target not in nodes:
                    raise WalkthroughError(f"answer {answer!r} leads to {target!r}, which does not exist",
                                           tree=tree, node=node.id)
                edges[node.id].append(target)

    # cycles: depth-first search keeping the path, so the message can show the loop
    state: dict[str, int] = {}  # 1: on the current path, 2: fully explored
    for root in nodes:
        if root in state:
            continue
        path = [root]
        state[root] = 1
        stack = [iter(edges[root])]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                state[path.pop()] = 2
            elif state.get(nxt) == 1:
                loop = " -> ".join([*path[path.index(nxt):], nxt])
                raise WalkthroughError(f"answers loop: {loop}", tree=tree, node=nxt)
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(edges[nxt]))

    seen = {start}
    todo = [start]
    while todo:
        for target in edges[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    unreachable = [n for n in nodes if n not in seen]
    if unreachable:
        raise WalkthroughError(f"not reachable from start {start!r}"
                               + (f" (nor {', '.join(unreachable[1:])})" if unreachable[1:] else ""),
                               tree=tree, node=unreachable[0])


def parse_tree(doc: Any, expected_id: str | None = None) -> Tree:
    """Validate a tree document (the parsed JSON) and build the `Tree`.

    `expected_id` is the id the file name gives; the document's id must match it.
    """
    if not isinstance(doc, dict):
        raise WalkthroughError("a tree must be a JSON object", tree=expected_id)
    tree_id = doc.get("id")
    if not isinstance(tree_id, str) or not tree_id:
        raise WalkthroughError("the tree has no id", tree=expected_id)
    if expected_id is not None and tree_id != expected_id:
        raise WalkthroughError(f"the tree's id {tree_id!r} does not match its file name {expected_id}.json",
                               tree=expected_id)
    if tree_id not in WALKTHROUGHS:
        raise WalkthroughError(f"not one of the contract's walkthrough ids ({', '.join(WALKTHROUGHS)})",
                               tree=tree_id)
    _extra(doc, _TREE_KEYS, "the tree", tree_id, None)
    title = _text(doc.get("title"), "title", tree_id)
    summary = _text(doc.get("summary"), "summary", tree_id)
    start = doc.get("start")
    if not isinstance(start, str):
        raise WalkthroughError("the tree has no start node", tree=tree_id)
    raw_nodes = doc.get("nodes")
    if not isinstance(raw_nodes, dict) or not raw_nodes:
        raise WalkthroughError("the tree has no nodes", tree=tree_id)
    nodes = {str(k): _node(tree_id, str(k), v) for k, v in raw_nodes.items()}
    _check_graph(tree_id, start, nodes)
    return Tree(id=tree_id, title=title, summary=summary, start=start, nodes=nodes)


def _package_trees() -> dict[str, str]:
    """File stem -> JSON text of every tree shipped as package data."""
    folder = resources.files("mtls_doctor.walkthroughs").joinpath("trees")
    return {entry.name[:-5]: entry.read_text(encoding="utf-8")
            for entry in folder.iterdir() if entry.name.endswith(".json")}


def _parse_text(name: str, text: str) -> Tree:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WalkthroughError(f"{name}.json is not valid JSON: {exc}", tree=name) from exc
    return parse_tree(doc, expected_id=name)


@cache
def _load_all() -> dict[str, Tree]:
    texts = _package_trees()
    trees = {name: _parse_text(name, texts[name]) for name in sorted(texts)}
    missing = [w for w in WALKTHROUGHS if w not in trees]
    if missing:
        raise WalkthroughError(f"no tree file trees/{missing[0]}.json", tree=missing[0])
    return {w: trees[w] for w in WALKTHROUGHS}


def all_trees() -> dict[str, Tree]:
    """Every walkthrough tree, validated, in the contract's order (loaded once per process)."""
    return dict(_load_all())


def load_tree(tree_id: str) -> Tree:
    """One walkthrough tree by its id; `WalkthroughError` for an id that is not a walkthrough."""
    trees = _load_all()
    if tree_id not in trees:
        raise WalkthroughError(f"unknown walkthrough (known: {', '.join(trees)})", tree=tree_id)
    return trees[tree_id]
