"""Certificate paths the way API Gateway builds them, and what is wrong with each.

A path runs from a starting certificate up through issuers found by name (RFC 5280 name
chaining) to a trust anchor: a self-issued certificate of the truststore. Signatures are checked
on every link (key chaining); a name match with a bad signature is followed anyway, so that the
report can say "this issuer's name matches but its key did not sign" instead of "missing".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import field
from typing import Any, Generic, Self, TypeVar, overload

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from mtls_doctor.model.certificate import CertSummary, Position
from mtls_doctor.model.frozen import frozen
from mtls_doctor.model.verdict import VerdictReason
from mtls_doctor.pki.constraints import (
    duplicate_extension,
    name_constraint_violations,
    unknown_critical_extensions,
)
from mtls_doctor.pki.describe import extension_map
from mtls_doctor.pki.policy import (
    MAX_CA_CERTS,
    PolicyIssue,
    PolicyViolation,
    algorithm_violations,
    may_issue,
)
from mtls_doctor.pki.signature import (
    NameKey,
    SignatureCheck,
    check_signature,
    check_signatures,
    name_key,
)

MAX_DEPTH = 10
MAX_PATHS = 64
T = TypeVar("T")

_POLICY_REASON = {
    PolicyIssue.WEAK_HASH: VerdictReason.WEAK_SIGNATURE_HASH,
    PolicyIssue.WEAK_RSA: VerdictReason.WEAK_KEY,
    PolicyIssue.UNSUPPORTED_KEY: VerdictReason.UNSUPPORTED_KEY,
}


class cached_once(Generic[T]):
    """`functools.cached_property` without the lock Python 3.11 takes on every first access
    (3.12 dropped it): the value is worked out on first access and kept on the instance. A
    bundle's hundreds of nodes ask each of theirs once; two threads racing would only work
    the same value out twice."""

    def __init__(self, func: Callable[[Any], T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Self: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> T | Self:
        if obj is None:
            return self
        value = self.func(obj)
        obj.__dict__[self.name] = value  # read from there from now on (not a data descriptor)
        return value


@frozen
class Node:
    """A certificate that can take part in a path; `trusted` ones come from the truststore."""

    summary: CertSummary
    cert: x509.Certificate
    trusted: bool
    label: str = ""
    position: Position | None = None
    #: whether its own key signed it, when it is self-issued and that was checked already
    #: (`signature.self_checks`); None: not self-issued, or not checked yet
    self_check: tuple[SignatureCheck, str] | None = field(default=None, compare=False,
                                                          repr=False)
    #: (subject, issuer) normalised for name chaining, when already worked out (`name_key`)
    names: tuple[NameKey, NameKey] | None = field(default=None, compare=False, repr=False)

    @cached_once
    def key(self) -> str:
        """Identity of the certificate (its fingerprint)."""
        return self.summary.sha256_fingerprint

    @cached_once
    def subject_key(self) -> NameKey:
        """The subject, normalised for name chaining (computed once)."""
        return self.names[0] if self.names is not None else name_key(self.cert.subject)

    @cached_once
    def issuer_key(self) -> NameKey:
        """The issuer name, normalised for name chaining (computed once)."""
        return self.names[1] if self.names is not None else name_key(self.cert.issuer)

    @property
    def self_issued(self) -> bool:
        """Subject and issuer are the same name."""
        return self.subject_key == self.issuer_key

    @property
    def name(self) -> str:
        """How a report names it: subject and location."""
        return f"{self.summary.subject} ({self.label or self.summary.location})"

    # what the path rules ask of a certificate, worked out once however many paths it is on

    @cached_once
    def violations(self) -> tuple[PolicyViolation, ...]:
        """The algorithm rules it breaks (`algorithm_violations`)."""
        return tuple(algorithm_violations(self.summary))

    @cached_once
    def why_not_ca(self) -> str | None:
        """Why it may not issue certificates (`may_issue`), or None."""
        return may_issue(self.summary)

    @cached_once
    def twice(self) -> str | None:
        """The extension it carries twice (`duplicate_extension`), or None."""
        return duplicate_extension(self.cert)

    @cached_once
    def unknown_critical(self) -> tuple[str, ...]:
        """Its critical extensions that validators do not process."""
        return tuple(unknown_critical_extensions(self.cert))

    @cached_once
    def name_constrained(self) -> bool:
        """It carries a nameConstraints extension (that can forbid names below it)."""
        return ExtensionOID.NAME_CONSTRAINTS in extension_map(self.cert)


@frozen
class Issue:
    """One problem on a path, at `node` (the certificate to change)."""

    reason: VerdictReason
    node: Node
    detail: str
    #: for signature and CA problems: the issuer involved
    other: Node | None = None
    #: for ISSUER_NOT_IN_TRUSTSTORE: the name of the certificate that is missing
    missing: str | None = None
    #: for ISSUER_NOT_CA: the CA may issue, but not this deep (pathLenConstraint)
    path_len_exceeded: bool = False


@frozen
class Path:
    """Certificates from the start up to the top; `complete` when the top is a trust anchor."""

    nodes: tuple[Node, ...]
    complete: bool
    issues: tuple[Issue, ...] = field(default=())
    #: incomplete because the issuers found by name were already on the path (a loop)
    looped: bool = False

    @property
    def top(self) -> Node:
        """The last certificate reached."""
        return self.nodes[-1]

    @property
    def accepted(self) -> bool:
        """Complete and without a single problem."""
        return self.complete and not self.issues

    def sort_key(self) -> tuple[int, int, int]:
        """Complete paths first, then fewer problems, then shorter."""
        return (0 if self.complete else 1, len(self.issues), len(self.nodes))

    def primary(self) -> Issue | None:
        """The problem a rejection reports first (the contract's reason order, leaf first)."""
        if not self.issues:
            return None
        return min(self.issues, key=lambda i: i.reason.rank)


#: what `check_signature` says of a signature that verifies
_VERIFIES = (SignatureCheck.OK, "signature verifies")


class SignatureCache:
    """Signature checks are the costly part; each (child, issuer) pair is checked once. A
    self-issued certificate's own signature, checked when it was described (`Node.self_check`,
    or `describe`'s `self_signed`), is not checked again."""

    def __init__(self) -> None:
        self._done: dict[tuple[str, str], tuple[SignatureCheck, str]] = {}

    def prefill(self, pairs: Sequence[tuple[Node, Node]]) -> None:
        """Check the signatures of (child, issuer) pairs that path building will ask for, all
        at once (`check_signatures`: on every core)."""
        todo = list({(c.key, i.key): (c, i) for c, i in pairs
                     if (c.key, i.key) not in self._done}.values())
        for (c, i), done in zip(todo, check_signatures([(c.cert, i.cert) for c, i in todo]),
                                strict=True):
            self._done[(c.key, i.key)] = done

    def check(self, child: Node, issuer: Node) -> tuple[SignatureCheck, str]:
        """`check_signature`, remembered."""
        k = (child.key, issuer.key)
        done = self._done.get(k)
        if done is None:
            if child.key == issuer.key and child.self_check is not None:
                done = child.self_check
            elif child.key == issuer.key and child.summary.self_signed:
                done = _VERIFIES
            else:
                done = check_signature(child.cert, issuer.cert)
            self._done[k] = done
        return done


class Pool:
    """Certificates that can issue, indexed by normalised subject name: finding a
    certificate's issuers is one look-up, not a scan of the pool (so building every path of a
    bundle takes time linear in the bundle, not quadratic)."""

    def __init__(self, nodes: Sequence[Node]) -> None:
        self._by_subject: dict[NameKey, list[Node]] = {}
        for n in nodes:
            self._by_subject.setdefault(n.subject_key, []).append(n)

    def named(self, name: NameKey) -> list[Node]:
        """The certificates whose subject is `name`, in pool order."""
        return self._by_subject.get(name, [])


def issuer_candidates(node: Node, pool: Pool) -> list[Node]:
    """Certificates of `pool` whose subject is `node`'s issuer name, matching key ids first."""
    found = [p for p in pool.named(node.issuer_key) if p.key != node.key]
    aki = node.summary.aki
    return sorted(found, key=lambda p: 0 if aki is None or p.summary.ski in (None, aki) else 1)


def _walk(node: Node, pool: Pool, trail: tuple[Node, ...],
          cache: SignatureCache) -> Iterator[Path]:
    trail = (*trail, node)
    if node.self_issued and cache.check(node, node)[0] is SignatureCheck.OK:
        yield Path(trail, complete=node.trusted)  # self-signed: the top of any path
        return
    if len(trail) > MAX_DEPTH:
        yield Path(trail, complete=False)
        return
    seen = {n.key for n in trail}
    named = issuer_candidates(node, pool)
    candidates = [c for c in named if c.key not in seen]
    if not candidates:
        if node.self_issued:
            # subject = issuer but no other certificate of that name: a root whose own signature
            # is broken (reported as such), not a missing issuer
            yield Path(trail, complete=node.trusted)
        else:
            yield Path(trail, complete=False, looped=bool(named))
        return
    # a self-issued certificate that its own key did not sign (a key-rollover certificate, or a
    # leaf that shares its CA's name) goes on to the other certificates of that name
    for c in candidates:
        yield from _walk(c, pool, trail, cache)


def _issues(path: Path, cache: SignatureCache, start_is_ca: bool) -> list[Issue]:
    nodes = path.nodes
    out: list[Issue] = []
    if not path.complete:
        top = nodes[-1]
        if top.self_issued:
            missing = top.summary.subject
            detail = f"{missing} is self-signed and is not in the truststore"
        elif path.looped:
            missing = top.summary.issuer
            detail = (f"the chain from {nodes[0].summary.subject} loops ({top.summary.subject} is "
                      f"issued by {missing}, already on the path) and never reaches a self-signed "
                      "root")
        else:
            missing = top.summary.issuer
            aki = f" (authority key id {top.summary.aki})" if top.summary.aki else ""
            detail = f"issuer {missing}{aki} of {top.summary.subject} is not in the truststore"
        out.append(Issue(VerdictReason.ISSUER_NOT_IN_TRUSTSTORE, top, detail, missing=missing))
    intermediates_below = 0
    for i, node in enumerate(nodes):
        s = node.summary
        issuer = nodes[i + 1] if i + 1 < len(nodes) else (node if path.complete else None)
        if issuer is not None:
            outcome, why = cache.check(node, issuer)
            if outcome is SignatureCheck.BAD:
                hint = ""
                if s.aki and issuer.summary.ski and s.aki != issuer.summary.ski:
                    hint = (f"; its authority key id {s.aki} is not the issuer's subject key id "
                            f"{issuer.summary.ski}: a CA with the same name but another key "
                            "(re-keyed or a different CA)")
                who = "its own key" if issuer is node else f"the key of {issuer.name}"
                out.append(Issue(VerdictReason.BAD_SIGNATURE, node,
                                 f"{s.subject}: signature does not verify under {who}{hint}", issuer))
            elif outcome is SignatureCheck.UNSUPPORTED:
                out.append(Issue(VerdictReason.OTHER, node, f"{s.subject}: {why}", issuer))
        if s.validity is not None and s.validity.status == "expired":
            out.append(Issue(VerdictReason.EXPIRED, node,
                             f"{s.subject} expired on {s.not_after:%Y-%m-%d %H:%M} UTC"))
        elif s.validity is not None and s.validity.status == "not_yet_valid":
            out.append(Issue(VerdictReason.NOT_YET_VALID, node,
                             f"{s.subject} is valid only from {s.not_before:%Y-%m-%d %H:%M} UTC"))
        for v in node.violations:
            out.append(Issue(_POLICY_REASON[v.issue], node, f"{s.subject}: {v.detail}"))
        twice = node.twice
        if twice is not None:
            out.append(Issue(VerdictReason.MALFORMED if i == 0 else VerdictReason.OTHER, node,
                             f"{s.subject} carries the {twice} extension twice, which RFC 5280 "
                             "4.2 forbids: validators refuse it (its extensions cannot be read "
                             "as one)"))
        for oid in node.unknown_critical:
            out.append(Issue(VerdictReason.OTHER, node,
                             f"{s.subject} carries the critical extension {oid}, which path "
                             "validators (OpenSSL's among them) do not process and so must "
                             "reject (RFC 5280 4.2; assumed of API Gateway)"))
        if i > 0 and node.name_constrained:
            for below in nodes[:i]:
                if below is not nodes[0] and below.self_issued:
                    continue  # RFC 5280 6.1.3 (b): self-issued intermediates are exempt
                for why in name_constraint_violations(node.cert, below.cert):
                    out.append(Issue(VerdictReason.OTHER, below,
                                     f"{below.summary.subject}: {why} by the name constraints of "
                                     f"{s.subject}", node))
        is_issuer = i > 0 or start_is_ca
        if i > 0:
            why_not = node.why_not_ca
            if why_not:
                out.append(Issue(VerdictReason.ISSUER_NOT_CA, node,
                                 f"{s.subject} cannot issue certificates: {why_not}", nodes[i - 1]))
            elif (limit := s.basic_constraints.path_len) is not None and intermediates_below > limit:
                out.append(Issue(
                    VerdictReason.ISSUER_NOT_CA, node,
                    f"{s.subject} has pathLenConstraint {s.basic_constraints.path_len} but "
                    f"{intermediates_below} intermediate CA(s) stand below it on this path",
                    nodes[i - 1], path_len_exceeded=True))
        if is_issuer and i + 1 < len(nodes) and not node.self_issued:
            intermediates_below += 1
    ca_count = len(nodes) - (0 if start_is_ca else 1)
    if path.complete and ca_count > MAX_CA_CERTS:
        out.append(Issue(VerdictReason.CHAIN_TOO_LONG, nodes[0],
                         f"{ca_count} CA certificates on the path "
                         f"({' <- '.join(n.summary.subject for n in reversed(nodes))}); "
                         f"API Gateway allows at most {MAX_CA_CERTS}"))
    return out


def find_paths(start: Node, pool: Sequence[Node] | Pool, cache: SignatureCache, *,
               start_is_ca: bool = False) -> list[Path]:
    """Every path from `start` up through `pool`, each with its problems, best first."""
    paths: list[Path] = []
    for p in _walk(start, pool if isinstance(pool, Pool) else Pool(pool), (), cache):
        paths.append(Path(p.nodes, p.complete, tuple(_issues(p, cache, start_is_ca)), p.looped))
        if len(paths) >= MAX_PATHS:
            break
    return sorted(paths, key=Path.sort_key)
