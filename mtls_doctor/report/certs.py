"""Certificates as the report view draws them: `openssl x509 -text`-style rows, one-line
summaries, table rows, chain trees, and the served certificate beside the configured one.

Serials are written one way everywhere (`0A:1B:2C`, as openssl prints them), whether they come
from a decoded certificate (plain hex) or from ACM (`0a:1b:2c`)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from mtls_doctor.model.certificate import CertSummary
from mtls_doctor.model.domain import DomainFacts
from mtls_doctor.model.probe import ProbeResult
from mtls_doctor.model.report import Report
from mtls_doctor.model.verdict import Verdict, VerdictReason
from mtls_doctor.pki.policy import algorithm_violations, key_text
from mtls_doctor.report.parts import CertView, LazyRows, Node, Row, Table, TableRow, anchor_id
from mtls_doctor.safe import safe_names

#: levels of a chain drawn at most (a hostile bundle can chain hundreds of CAs; renderers
#: that nest per level must stay bounded)
MAX_TREE_DEPTH = 64
#: the columns of a certificates table (`Table.kind == "certificates"`)
CERT_COLUMNS = ("#", "Subject", "Issuer", "Key", "Signature", "Validity", "SANs")
#: SANs listed in a table cell before `(+N)`
SANS_IN_A_CELL = 4
#: the days below which a validity is drawn as a warning
SOON_DAYS = 30

_EXT_LABEL = {"authorityInfoAccess": "authority info access",
              "cRLDistributionPoints": "CRL distribution points",
              "certificatePolicies": "certificate policies",
              "nameConstraints": "name constraints"}


def colon_hex(serial: str | None) -> str:
    """`0a1b2c` or `0a:1b:2c` -> `0A:1B:2C`, as openssl prints serials (a value that is not hex,
    such as `?`, as it is)."""
    if not serial:
        return "?"
    sign, digits = ("-", serial[1:]) if serial.startswith("-") else ("", serial)
    digits = re.sub(r"[\s:]", "", digits)
    if not digits or not re.fullmatch(r"[0-9A-Fa-f]+", digits):
        return serial
    if len(digits) % 2:
        digits = "0" + digits
    return sign + ":".join(digits[i:i + 2] for i in range(0, len(digits), 2)).upper()


def when(value: object) -> str:
    """`2026-12-07 04:47 UTC` (`?` when unknown)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "?" if value is None else str(value)


def _day(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d") if value is not None else "?"


def days_left(c: CertSummary) -> tuple[str, str]:
    """(`365 days left` / `EXPIRED 3 days ago` / `NOT YET VALID`, tone)."""
    v = c.validity
    if v is None:
        return "", "bad"
    if v.status == "expired":
        return f"EXPIRED {-v.days_left} days ago", "bad"
    if v.status == "not_yet_valid":
        return "NOT YET VALID", "bad"
    return f"{v.days_left} days left", "warn" if v.days_left <= SOON_DAYS else "ok"


def validity_short(c: CertSummary) -> tuple[str, str]:
    """(`until 2046-01-01 (6972 days left)`, tone), for a table cell or a tree node."""
    if c.not_after is None:
        return "unknown", "bad"
    v = c.validity
    text, tone = days_left(c)
    if v is not None and v.status == "expired":
        return f"EXPIRED {_day(c.not_after)} ({-v.days_left} days ago)", tone
    if v is not None and v.status == "not_yet_valid":
        return f"NOT YET VALID (from {_day(c.not_before)})", tone
    return f"until {_day(c.not_after)}" + (f" ({text})" if text else ""), tone


def _basic(c: CertSummary) -> str:
    bc = c.basic_constraints
    if not bc.present:
        return "absent"
    return (f"CA:{'TRUE' if bc.ca else 'FALSE'}"
            + (f", pathlen:{bc.path_len}" if bc.path_len is not None else "")
            + (", critical" if bc.critical else ""))


def certificate_rows(cert: CertSummary) -> list[Row]:
    """One certificate as `openssl x509 -text` tells it, one fact a row."""
    rows = [Row("subject", cert.subject), Row("location", cert.location)]
    if cert.malformed:
        rows.append(Row("problem", cert.malformed, "bad"))
    if cert.not_before is None or cert.not_after is None:
        rows.append(Row("SHA-256", cert.sha256_fingerprint or "(no data)"))
        return rows
    days, tone = days_left(cert)
    rows += [
        Row("issuer", cert.issuer),
        Row("serial", colon_hex(cert.serial)),
        Row("valid", f"{when(cert.not_before)} → {when(cert.not_after)}"
                     + (f" ({days})" if days else ""), tone),
        Row("key", key_text(cert)),
        Row("signature", cert.signature_algorithm
            + (f" ({cert.signature_hash})" if cert.signature_hash else "")),
        Row("SANs", safe_names(cert.sans) or "none"),
        Row("basic constraints", _basic(cert)),
        Row("key usage", ", ".join(cert.key_usage) if cert.key_usage is not None else "absent"),
        Row("extended key usage", ", ".join(cert.extended_key_usage)
            if cert.extended_key_usage is not None else "absent"),
        Row("SKI / AKI", f"{cert.ski or '-'} / {cert.aki or '-'}"),
        Row("SHA-256", cert.sha256_fingerprint),
        Row("self-signed", "yes" if cert.self_signed else "no"),
        Row("version", f"v{cert.version}"),
    ]
    for e in cert.extensions:
        if e.value:
            label = _EXT_LABEL.get(e.name)
            value = e.value if label else f"{e.oid}: {e.value}"
            rows.append(Row(label or f"extension {e.name}",
                            value + (" (critical)" if e.critical else ""),
                            "warn" if e.critical and not label else ""))
    for note in cert.nonstandard:
        rows.append(Row("RFC 5280", note, "warn"))
    m = cert.hostname_match
    if m is not None:
        rows.append(Row("host", f"{m.host}: {'covered' if m.matches else 'NOT covered'}"
                                f" ({m.reason or m.matched_by or ''})", "ok" if m.matches else "bad"))
    return rows


def cert_meta(c: CertSummary, *, expect_ca: bool = True,
              policy: bool = False) -> tuple[str, str]:
    """A certificate in one line for a chain drawing (key, signature, validity) and its worst
    tone; `expect_ca` flags a certificate that is not a CA (in a truststore every one should
    be), `policy` one that breaks API Gateway's algorithm rules (hash, key)."""
    if c.malformed:
        return f"unreadable: {c.malformed}", "bad"
    valid, tone = validity_short(c)
    bits = [key_text(c), c.signature_hash or c.signature_algorithm, valid]
    if expect_ca and not c.is_ca and c.version != 1:
        bits.append("not a CA")
        tone = tone if tone == "bad" else "warn"
    if policy and algorithm_violations(c):
        bits.append("breaks API Gateway's algorithm rules")
        tone = "bad"
    return ", ".join(b for b in bits if b), tone


def cert_anchor(role: str, c: CertSummary) -> str:
    """The stable anchor of a certificate of the report (`cert-truststore-3`)."""
    return anchor_id("cert", role, c.index + 1)


def cert_view(c: CertSummary, role: str) -> CertView:
    """One certificate of the report, with its rows and anchor."""
    meta, tone = cert_meta(c, expect_ca=role == "truststore", policy=role == "truststore")
    return CertView(anchor=cert_anchor(role, c), role=role, number=c.index + 1,
                    heading=f"Certificate #{c.index + 1}", subject=c.subject,
                    location=c.location, rows=LazyRows(lambda: certificate_rows(c)), meta=meta, tone=tone)


def cert_table_row(c: CertSummary, role: str, *, anchored: bool,
                   policy: bool = False) -> TableRow:
    """One certificate as a row of a certificates table; `anchored`: the row carries the
    certificate's anchor (else it links to where the report draws it in full); `policy`: a
    truststore's, whose row is `bad` when it breaks API Gateway's algorithm rules."""
    if c.malformed:
        valid, tone = f"unreadable: {c.malformed}", "bad"
    else:
        valid, tone = validity_short(c)
        if policy and algorithm_violations(c):
            tone = "bad"
    sans = list(c.sans)
    shown = safe_names(sans[:SANS_IN_A_CELL]) + (
        f" (+{len(sans) - SANS_IN_A_CELL})" if len(sans) > SANS_IN_A_CELL else "")
    anchor = cert_anchor(role, c)
    return TableRow((str(c.index + 1), c.subject, c.issuer, key_text(c),
                     c.signature_hash or c.signature_algorithm, valid, shown), tone,
                    anchor=anchor if anchored else "", link="" if anchored else anchor)


def cert_table(title: str, certs: Sequence[CertSummary], role: str, *, anchored: bool = True,
               brief: bool = True, policy: bool = False) -> Table:
    """A certificates table (`kind` `certificates`; `policy`: a truststore's)."""
    return Table(title, CERT_COLUMNS,
                 tuple(cert_table_row(c, role, anchored=anchored, policy=policy)
                       for c in certs),
                 kind="certificates", brief=brief)


# -- trees ---------------------------------------------------------------------------------------


def cert_node(c: CertSummary, role: str, *, expect_ca: bool = True,
              policy: bool = False) -> Node:
    """A certificate as a tree node (`policy`: one of a truststore, held to API Gateway's
    algorithm rules)."""
    meta, tone = cert_meta(c, expect_ca=expect_ca, policy=policy)
    return Node(c.subject, meta, tone, tag=f"#{c.index + 1}", link=cert_anchor(role, c))


def _issuer_by_name(c: CertSummary, by_subject: Mapping[str, Sequence[CertSummary]]
                    ) -> int | None:
    """The index of the first certificate whose subject (and key id, when both have one)
    names `c`'s issuer: for payloads that carry no `issuer_index` (verify-client's
    truststore). `by_subject`: the certificates by subject, in bundle order."""
    if c.self_signed or c.malformed:
        return None
    for o in by_subject.get(c.issuer, ()):
        if o is c or (c.aki and o.ski and c.aki != o.ski):
            continue
        return o.index
    return None


def chain_trees(certs: Sequence[CertSummary], *, link_by_name: bool = False,
                role: str = "truststore") -> list[Node]:
    """A truststore's certificates as trees, roots at the top (by `issuer_index`, or with
    `link_by_name` by issuer name and key id). A chain whose top is not self-signed hangs under
    an "issuer not in bundle" node; certificates that certify each other with no root are listed
    under a "no root" node; a chain deeper than `MAX_TREE_DEPTH` is cut there, saying how many
    certificates are left below."""
    by_index = {c.index: c for c in certs}
    by_subject: dict[str, list[CertSummary]] = {}
    if link_by_name:  # one pass, not a scan of the bundle per certificate
        for c in by_index.values():
            by_subject.setdefault(c.subject, []).append(c)
    children: dict[int | None, list[CertSummary]] = {}
    for i, c in by_index.items():
        parent = c.issuer_index
        if parent is None and link_by_name:
            parent = _issuer_by_name(c, by_subject)
        root = parent is None or parent == i or parent not in by_index
        children.setdefault(None if root else parent, []).append(c)
    drawn: set[int] = set()

    def below(kids: list[CertSummary]) -> int:
        """Mark every certificate under `kids` drawn, without recursion; how many there are."""
        todo, count = list(kids), 0
        while todo:
            k = todo.pop()
            if k.index in drawn:
                continue
            drawn.add(k.index)
            count += 1
            todo += children.get(k.index, [])
        return count

    def build(c: CertSummary, depth: int = 0) -> Node:
        drawn.add(c.index)
        node = cert_node(c, role, policy=True)
        kids = [k for k in children.get(c.index, []) if k.index not in drawn]
        if depth >= MAX_TREE_DEPTH and kids:
            node.children = [Node(f"… {below(kids)} more certificate(s) below: the drawing stops "
                                  f"at {MAX_TREE_DEPTH} levels", tone="warn")]
        else:
            node.children = [build(k, depth + 1) for k in kids if k.index not in drawn]
        return node

    out: list[Node] = []
    for top in children.get(None, []):
        node = build(top)
        if not top.self_signed and not top.malformed:
            out.append(Node(f"issuer not in bundle: {top.issuer}", "missing", "bad",
                            children=[node]))
        else:
            out.append(node)
    loop = [c for i, c in by_index.items() if i not in drawn]
    if loop:
        lost = []
        for c in loop:
            n = cert_node(c, role, policy=True)
            n.note = f"issued by #{(c.issuer_index or 0) + 1}"
            lost.append(n)
        out.append(Node("no root: these certify each other in a loop", "", "bad", children=lost))
    return out


def linear(nodes: Sequence[Node]) -> list[Node]:
    """Nodes listed top (root) first, each nested under the one before."""
    if not nodes:
        return []
    for upper, lower in itertools.pairwise(nodes):
        upper.children = [lower]
    return [nodes[0]]


def served_tree(certs: Sequence[CertSummary]) -> list[Node]:
    """The served chain as the server sent it, reversed: its last certificate on top."""
    nodes = [cert_node(c, "served", expect_ca=i > 0) for i, c in enumerate(certs)]
    return linear(nodes[::-1])


def verdict_tree(verdict: Verdict) -> list[Node]:
    """The verdict's path, root first, with the missing issuer on top when there is one."""
    nodes = [Node(p, "client certificate" if i == 0 else "") for i, p in enumerate(verdict.path)]
    nodes.reverse()
    if verdict.reason is VerdictReason.ISSUER_NOT_IN_TRUSTSTORE:
        missing = next((p.missing for p in verdict.problems if p.missing), None)
        nodes.insert(0, Node(f"missing: {missing or 'issuer'}", "not in the truststore", "bad"))
    return linear(nodes)


# -- served vs configured --------------------------------------------------------------------------

COMPARED_FIELDS = ("Subject", "SANs", "Serial", "Issuer", "Validity")


def same(a: str, b: str) -> bool:
    """Equal up to formatting: case, colons, blanks, `DNS:` prefixes."""
    def norm(v: str) -> str:
        return v.lower().replace("dns:", "").replace(":", "").replace(" ", "")
    return norm(a) == norm(b)


def served_vs_configured(report: Report | None) -> Table | None:
    """The probe's served leaf beside the domain's ACM certificate, field by field (differing
    fields `warn`); None when the report lacks either."""
    if report is None:
        return None
    probe = report.payload.get("probe")
    domain = report.payload.get("domain")
    if not isinstance(probe, ProbeResult) or not probe.served_chain:
        return None
    if not isinstance(domain, DomainFacts) or not domain.certificate_arn:
        return None
    acm = domain.certificates.get(domain.certificate_arn)
    if acm is None:
        return None
    leaf = probe.served_chain[0]
    served = (leaf.subject, safe_names(leaf.sans), colon_hex(leaf.serial), leaf.issuer,
              f"{when(leaf.not_before)} → {when(leaf.not_after)}")
    configured = (acm.subject or "?",
                  safe_names(s if ":" in s else f"DNS:{s}" for s in acm.sans),
                  colon_hex(acm.serial), acm.issuer or "?",
                  f"{when(acm.not_before)} → {when(acm.not_after)}")
    rows = tuple(TableRow((name, s, c), "" if same(s, c) else "warn")
                 for name, s, c in zip(COMPARED_FIELDS, served, configured, strict=True))
    return Table("Served vs configured certificate", ("", "served (probe)", "configured (ACM)"),
                 rows)
