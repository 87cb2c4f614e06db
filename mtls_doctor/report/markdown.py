"""Markdown to paste into a ticket, drawn from the JSON document (so it never disagrees with it).

Certificate names, SANs, server answers and file names are attacker-chosen text: every such
string goes through `md_text` (inline text made safe by `safe_text`, so line breaks, controls,
bidi and zero-width characters are shown escaped; then `|`, backticks, emphasis, brackets, `#`,
`<`, `>`, `&` escaped) or, made safe line by line, into a fenced block whose fence is longer than
any backtick run inside it, and never starts a line, so it cannot break a table, open a heading
or a list, inject HTML when the Markdown is rendered, or drive the terminal it is printed to.
Lists of names are joined by `safe_names`, so a name holding the separator stays one entry.

The view helpers here (`target`, `chains`, `probe_rows`, `domain_rows`, ...) turn the document
into plain rows and trees; the HTML renderer draws the same ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mtls_doctor.model.report import Report
from mtls_doctor.safe import safe_names, safe_text

SEVERITIES = (("error", "Errors"), ("warning", "Warnings"), ("info", "Info"))
CHECK_MARK = {"pass": "✅", "warn": "⚠️", "fail": "❌", "skip": "➖", "unknown": "❓"}

# --------------------------------------------------------------------------------------------
# view helpers shared with the HTML renderer: plain strings, escaped by each renderer
# --------------------------------------------------------------------------------------------


@dataclass
class Node:
    """One certificate in a drawn chain; `tone` is `ok|warn|bad|` and `children` hang below."""

    label: str
    meta: str = ""
    tone: str = ""
    note: str = ""
    children: list[Node] = field(default_factory=list)


@dataclass
class Row:
    """One line of a facts table."""

    label: str
    value: str
    tone: str = ""


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def plural(n: int, word: str) -> str:
    """`1 error`, `2 errors`."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_text(doc: Mapping[str, Any]) -> str:
    """`2 errors, 1 warning, 0 info`."""
    s = doc.get("summary") or {}
    return (f"{plural(int(s.get('errors', 0)), 'error')}, "
            f"{plural(int(s.get('warnings', 0)), 'warning')}, {s.get('info', 0)} info")


def _file_of(location: Any) -> str:
    return _s(location).split(", certificate #", 1)[0]


def target(doc: Mapping[str, Any]) -> str:
    """What the command looked at: a file, a host:port, a domain name."""
    command = doc.get("command")
    probe = doc.get("probe")
    domain = doc.get("domain")
    source = doc.get("source")
    if isinstance(probe, Mapping) and command != "domain":
        return f"{probe.get('host')}:{probe.get('port')}"
    if isinstance(domain, Mapping):
        return _s(domain.get("name"))
    if command == "verify-client":
        client = doc.get("client_certificate") or {}
        truststore = (doc.get("truststore") or {}).get("source") or {}
        return f"{_file_of(client.get('location'))} against {truststore.get('name', '?')}"
    if isinstance(source, Mapping):
        hosts = {c["hostname_match"]["host"] for c in doc.get("certificates") or ()
                 if isinstance(c.get("hostname_match"), Mapping)}
        return _s(source.get("name")) + (f" (host {safe_names(sorted(hosts))})" if hosts else "")
    return ""


def key_label(c: Mapping[str, Any]) -> str:
    """`RSA 2048`, `EC secp384r1`, `Ed25519`."""
    k = c.get("key") or {}
    if k.get("curve"):
        return f"{k.get('type')} {k['curve']}"
    if k.get("type") in ("RSA", "DSA") and k.get("bits"):
        return f"{k['type']} {k['bits']}"
    return _s(k.get("type")) or "?"


def validity(c: Mapping[str, Any]) -> tuple[str, str]:
    """(`valid until 2046-01-01 (6972 days left)`, tone)."""
    v = c.get("validity") or {}
    until = _s(c.get("not_after"))[:10]
    status = v.get("status")
    days = v.get("days_left")
    if status == "expired":
        return f"EXPIRED {until} ({-int(days or 0)} days ago)", "bad"
    if status == "not_yet_valid":
        return f"NOT YET VALID (from {_s(c.get('not_before'))[:10]})", "bad"
    if not until:
        return "unknown", "bad"
    tone = "warn" if isinstance(days, int) and days <= 30 else "ok"
    return f"until {until}" + (f" ({days} days left)" if days is not None else ""), tone


def cert_meta(c: Mapping[str, Any], *, expect_ca: bool = True) -> tuple[str, str]:
    """One certificate in one line for a chain drawing, and its worst tone; `expect_ca` flags a
    certificate that is not a CA (in a truststore every certificate should be one)."""
    if c.get("malformed"):
        return f"#{int(c.get('index', 0)) + 1}, unreadable: {c['malformed']}", "bad"
    valid, tone = validity(c)
    bits = [f"#{int(c.get('index', 0)) + 1}", key_label(c),
            _s(c.get("signature_hash") or c.get("signature_algorithm")), valid]
    if expect_ca and not c.get("is_ca") and c.get("version") != 1:
        bits.append("not a CA")
        tone = tone if tone == "bad" else "warn"
    return ", ".join(b for b in bits if b), tone


def _cert_node(c: Mapping[str, Any], *, expect_ca: bool = True) -> Node:
    meta, tone = cert_meta(c, expect_ca=expect_ca)
    return Node(_s(c.get("subject")), meta, tone)


def _issuer_by_name(c: Mapping[str, Any], by_index: Mapping[int, Mapping[str, Any]]) -> int | None:
    """The index of the certificate whose subject (and key id, when both have one) names `c`'s
    issuer: for drawing payloads that carry no `issuer_index` (verify-client's truststore)."""
    if c.get("self_signed") or c.get("malformed"):
        return None
    for i, o in by_index.items():
        if o is c or o.get("subject") != c.get("issuer"):
            continue
        if c.get("aki") and o.get("ski") and c["aki"] != o["ski"]:
            continue
        return i
    return None


#: levels of a chain drawn at most (a hostile bundle can chain hundreds of CAs; renderers
#: that nest per level must stay bounded)
MAX_TREE_DEPTH = 64


def chains(certs: Sequence[Mapping[str, Any]], *, link_by_name: bool = False) -> list[Node]:
    """A truststore's certificates as trees, roots at the top (by `issuer_index`, or with
    `link_by_name` by issuer name and key id). A chain whose top is not self-signed hangs under a
    red "issuer not in bundle" node; certificates that certify each other with no root are
    listed under a "no root" node."""
    by_index = {int(c.get("index", i)): c for i, c in enumerate(certs)}
    children: dict[int | None, list[Mapping[str, Any]]] = {}
    for i, c in by_index.items():
        parent = c.get("issuer_index")
        if parent is None and link_by_name:
            parent = _issuer_by_name(c, by_index)
        children.setdefault(None if parent is None or parent == i or parent not in by_index
                            else int(parent), []).append(c)
    drawn: set[int] = set()

    def below(kids: list[Mapping[str, Any]]) -> int:
        """Mark every certificate under `kids` drawn, without recursion; how many there are."""
        todo, count = list(kids), 0
        while todo:
            k = todo.pop()
            i = int(k.get("index", 0))
            if i in drawn:
                continue
            drawn.add(i)
            count += 1
            todo += children.get(i, [])
        return count

    def build(c: Mapping[str, Any], depth: int = 0) -> Node:
        index = int(c.get("index", 0))
        drawn.add(index)
        node = _cert_node(c)
        kids = [k for k in children.get(index, []) if int(k.get("index", 0)) not in drawn]
        if depth >= MAX_TREE_DEPTH and kids:
            node.children = [Node(f"… {below(kids)} more certificate(s) below: the drawing stops "
                                  f"at {MAX_TREE_DEPTH} levels", "", "warn")]
        else:
            node.children = [build(k, depth + 1) for k in kids
                             if int(k.get("index", 0)) not in drawn]
        return node

    out: list[Node] = []
    for top in children.get(None, []):
        node = build(top)
        if not top.get("self_signed") and not top.get("malformed"):
            out.append(Node(f"issuer not in bundle: {_s(top.get('issuer'))}", "missing", "bad",
                            children=[node]))
        else:
            out.append(node)
    loop = [c for i, c in by_index.items() if i not in drawn]
    if loop:
        lost = []
        for c in loop:
            n = _cert_node(c)
            n.note = f"issued by #{int(c.get('issuer_index') or 0) + 1}"
            lost.append(n)
        out.append(Node("no root: these certify each other in a loop", "", "bad", children=lost))
    return out


def linear(nodes: Sequence[Node]) -> list[Node]:
    """Nodes listed top (root) first, each nested under the one before."""
    if not nodes:
        return []
    top = nodes[0]
    cur = top
    for n in nodes[1:]:
        cur.children = [n]
        cur = n
    return [top]


def verdict_chain(verdict: Mapping[str, Any]) -> list[Node]:
    """The verdict's path, root first, with the missing issuer on top when there is one."""
    path = [_s(p) for p in verdict.get("path") or ()]
    nodes = [Node(p, "client certificate" if i == 0 else "") for i, p in enumerate(path)]
    nodes.reverse()
    if verdict.get("reason") == "ISSUER_NOT_IN_TRUSTSTORE":
        problems = verdict.get("problems") or ()
        missing = next((p.get("missing") for p in problems if p.get("missing")), None)
        nodes.insert(0, Node(f"missing: {missing or 'issuer'}", "not in the truststore", "bad"))
    return linear(nodes)


def served_chain(certs: Sequence[Mapping[str, Any]]) -> list[Node]:
    """The served chain as the server sent it reversed: its last certificate on top."""
    nodes = [_cert_node(c, expect_ca=i > 0) for i, c in enumerate(certs)]
    return linear(nodes[::-1])


def verdict_text(verdict: Mapping[str, Any]) -> tuple[str, str]:
    """(headline, tone) of a client-certificate verdict."""
    if verdict.get("accepted"):
        return "ACCEPTED: API Gateway would let this client in", "ok"
    return (f"REJECTED ({verdict.get('reason')}): API Gateway would refuse this client "
            "(handshake failure or 403)", "bad")


def cert_rows(c: Mapping[str, Any]) -> list[Row]:
    """The facts of one certificate, openssl x509 -text style."""
    rows = [Row("subject", _s(c.get("subject"))), Row("location", _s(c.get("location")))]
    if c.get("malformed"):
        rows.append(Row("problem", _s(c["malformed"]), "bad"))
    if c.get("not_before") is None:
        rows.append(Row("SHA-256", _s(c.get("sha256_fingerprint")) or "(no data)"))
        return rows
    valid, tone = validity(c)
    bc = c.get("basic_constraints") or {}
    basic = "absent" if not bc.get("present") else (
        f"CA:{'TRUE' if bc.get('ca') else 'FALSE'}"
        + (f", pathlen:{bc['path_len']}" if bc.get("path_len") is not None else "")
        + (", critical" if bc.get("critical") else ""))
    rows += [
        Row("issuer", _s(c.get("issuer"))),
        Row("serial", _s(c.get("serial"))),
        Row("valid", f"{_s(c.get('not_before'))} → {_s(c.get('not_after'))}, {valid}", tone),
        Row("key", key_label(c)),
        Row("signature", _s(c.get("signature_algorithm"))
            + (f" ({c['signature_hash']})" if c.get("signature_hash") else "")),
        Row("SANs", safe_names(_s(s) for s in c.get("sans") or ()) or "none"),
        Row("basic constraints", basic),
        Row("key usage", ", ".join(c["key_usage"]) if c.get("key_usage") is not None else "absent"),
        Row("extended key usage", ", ".join(c["extended_key_usage"])
            if c.get("extended_key_usage") is not None else "absent"),
        Row("SKI / AKI", f"{c.get('ski') or '-'} / {c.get('aki') or '-'}"),
        Row("SHA-256", _s(c.get("sha256_fingerprint"))),
        Row("self-signed", "yes" if c.get("self_signed") else "no"),
    ]
    for e in c.get("extensions") or ():
        if e.get("value"):
            rows.append(Row(_s(e.get("name")), _s(e["value"]) + (" (critical)" if e.get("critical")
                                                                 else "")))
    for note in c.get("nonstandard") or ():
        rows.append(Row("RFC 5280", _s(note), "warn"))
    m = c.get("hostname_match")
    if isinstance(m, Mapping):
        rows.append(Row("host", f"{m.get('host')}: {'covered' if m.get('matches') else 'NOT covered'}"
                                f" ({m.get('reason') or m.get('matched_by') or ''})",
                        "ok" if m.get("matches") else "bad"))
    return rows


CERT_COLUMNS = ("#", "Subject", "Issuer", "Key", "Signature", "Validity", "SANs")


def cert_cells(c: Mapping[str, Any]) -> tuple[list[str], str]:
    """One certificate as a row of the certificates table, and its validity tone."""
    valid, tone = validity(c) if not c.get("malformed") else (f"unreadable: {c['malformed']}", "bad")
    sans = [_s(s) for s in c.get("sans") or ()]
    shown = safe_names(sans[:4]) + (f" (+{len(sans) - 4})" if len(sans) > 4 else "")
    return [str(int(c.get("index", 0)) + 1), _s(c.get("subject")), _s(c.get("issuer")),
            key_label(c), _s(c.get("signature_hash") or c.get("signature_algorithm")), valid,
            shown], tone


def probe_rows(p: Mapping[str, Any]) -> list[Row]:
    """What the live connection saw, one fact a row."""
    rows = [Row("target", f"{p.get('host')}:{p.get('port')}"),
            Row("connected to", _s(p.get("address")) or "no connection",
                "" if p.get("address") else "bad")]
    if len(p.get("addresses") or ()) > 1:
        rows.append(Row("resolved", safe_names(p["addresses"])))
    rows.append(Row("SNI", _s(p.get("sni")) or "none (IP address)"))
    if p.get("tls_version"):
        rows.append(Row("TLS", ", ".join(x for x in (_s(p.get("tls_version")), _s(p.get("cipher")),
                                                     f"ALPN {p['alpn']}" if p.get("alpn") else "")
                                         if x)))
    err = p.get("error")
    if isinstance(err, Mapping):
        alert = f" [alert {err['alert']}]" if err.get("alert") else ""
        rows.append(Row("stopped", f"{err.get('kind')} during the {err.get('step') or '?'}: "
                                   f"{err.get('message')}{alert}", "bad"))
    auth = p.get("client_auth") or {}
    if auth.get("requested"):
        req = {True: "required", False: "optional", None: "requested"}[auth.get("required")]
        cas = safe_names(_s(n) for n in auth.get("acceptable_ca_names") or ()) or "none named"
        rows.append(Row("client auth", f"{req}; acceptable CAs: {cas}", "ok"))
    elif auth.get("requested") is False:
        rows.append(Row("client auth", "not requested", "warn"))
    else:
        rows.append(Row("client auth", "unknown (the server's reply never arrived)"))
    cc = p.get("client_certificate") or {}
    outcome = _s(cc.get("outcome"))
    tone = {"accepted": "ok", "rejected": "bad"}.get(outcome, "warn")
    who = f"{cc['subject']}: " if cc.get("subject") else ""
    alert = f" (alert {cc['alert']})" if cc.get("alert") else ""
    rows.append(Row("client certificate", f"{who}{outcome or 'unknown'}{alert}", tone))
    http = p.get("http")
    if isinstance(http, Mapping):
        status = http.get("status")
        rows.append(Row("HTTP", f"{_s(status)} {_s(http.get('reason'))}".strip(),
                        "bad" if isinstance(status, int) and status >= 400 else "ok"))
        for k, v in (http.get("headers") or {}).items():
            rows.append(Row(f"header {k}", _s(v)))
        body = " ".join(_s(http.get("body")).split())
        if body:
            rows.append(Row("body", body[:300] + ("…" if len(body) > 300 else "")))
    m = p.get("hostname_match")
    if isinstance(m, Mapping):
        rows.append(Row("leaf covers host", f"{'yes' if m.get('matches') else 'NO'}: {m.get('reason')}",
                        "ok" if m.get("matches") else "bad"))
    shape = p.get("chain")
    if isinstance(shape, Mapping):
        bits = ["in order" if shape.get("ordered") else "out of order",
                "complete" if shape.get("complete") else "incomplete"]
        if shape.get("trusted") is not None:
            bits.append("trusted" if shape.get("trusted") else "not trusted here")
        good = shape.get("ordered") and shape.get("complete") and shape.get("trusted") is not False
        rows.append(Row("served chain", ", ".join(bits)
                        + (f" ({shape['detail']})" if shape.get("detail") else ""),
                        "ok" if good else "warn"))
    if p.get("timings_ms"):
        rows.append(Row("timings (ms)", ", ".join(f"{k.replace('_', ' ')} {v:g}"
                                                 if isinstance(v, int | float) else f"{k} {v}"
                                                 for k, v in p["timings_ms"].items())))
    return rows


def domain_rows(d: Mapping[str, Any]) -> list[Row]:
    """The custom domain as AWS describes it, one fact a row."""
    where = f"{d.get('region') or '?'} (region from {d.get('region_source')})"
    rows = [Row("name", _s(d.get("name"))), Row("region", where)]
    if d.get("found") is False:
        rows.append(Row("found", "no (both APIs answered: no such custom domain)", "bad"))
        return rows
    if not d.get("found"):
        looked = (d.get("evidence") or {}).get("domain") or {}
        rows.append(Row("found", "unknown: could not be read ("
                        + _s(looked.get("status", "?")).replace("_", " ")
                        + (f": {looked['reason']}" if looked.get("reason") else "") + ")", "warn"))
        return rows
    if d.get("also_found_in"):
        rows.append(Row("also in", safe_names(_s(r) for r in d["also_found_in"])))
    rows += [
        Row("API", {"rest": "REST API", "http": "HTTP API"}.get(_s(d.get("api_type")), "?")),
        Row("status", _s(d.get("status")) + (f": {d['status_message']}" if d.get("status_message")
                                              else ""),
            "ok" if d.get("status") == "AVAILABLE" else "warn"),
        Row("endpoint type", _s(d.get("endpoint_type")),
            "ok" if d.get("endpoint_type") == "REGIONAL" else "bad"),
        Row("security policy", _s(d.get("security_policy"))),
        Row("regional domain name", _s(d.get("regional_domain_name"))),
        Row("certificate", _s(d.get("certificate_arn")) or "none"),
        Row("ownership certificate", _s(d.get("ownership_verification_certificate_arn")) or "none"),
    ]
    m = d.get("mtls")
    if isinstance(m, Mapping):
        rows.append(Row("mTLS truststore", f"{m.get('truststore_uri')} version "
                                           f"{m.get('truststore_version') or 'latest'}", "ok"))
        for w in m.get("truststore_warnings") or ():
            rows.append(Row("truststore warning", _s(w), "warn"))
    else:
        rows.append(Row("mTLS", "off", "bad"))
    ts = d.get("truststore_object")
    if isinstance(ts, Mapping):
        latest, configured = ts.get("latest_version"), ts.get("configured_version")
        stale = bool(latest and configured and latest != configured)
        rows.append(Row("truststore object", f"s3://{ts.get('bucket')}/{ts.get('key')}, versioning "
                                             f"{ts.get('versioning')}, configured {configured or '-'}, "
                                             f"latest {latest or '-'}", "warn" if stale else ""))
    if d.get("dns_addresses") or d.get("dns_canonical"):
        rows.append(Row("DNS", f"{d.get('dns_canonical') or d.get('name')} → "
                               f"{safe_names(d.get('dns_addresses') or ()) or 'no address'}"))
    if d.get("account_id"):
        rows.append(Row("account", _s(d["account_id"])))
    return rows


MAPPING_COLUMNS = ("Base path", "API", "Type", "Stage", "execute-api endpoint")


def mapping_cells(mp: Mapping[str, Any]) -> tuple[list[str], str]:
    """One base-path mapping as a table row, and its tone (an open execute-api is bad)."""
    off = mp.get("execute_api_endpoint_disabled")
    state, tone = (("disabled", "ok") if off is True else
                   ("ENABLED (bypasses mTLS)", "bad") if off is False else ("unknown", "warn"))
    api = " ".join(x for x in (_s(mp.get("api_name")), _s(mp.get("api_id"))) if x)
    return ["/" + _s(mp.get("base_path")).lstrip("/"), api, _s(mp.get("api_type")),
            _s(mp.get("stage")) or "-", state], tone


ACM_COLUMNS = ("ARN", "Type", "Status", "Domain", "Not after", "Renewal")


def acm_cells(c: Mapping[str, Any]) -> tuple[list[str], str]:
    """One ACM certificate as a table row, and its tone."""
    return [_s(c.get("arn")), _s(c.get("type")), _s(c.get("status")), _s(c.get("domain_name")),
            _s(c.get("not_after"))[:10], _s(c.get("renewal_status")) or "-"], (
        "ok" if c.get("status") == "ISSUED" else "bad")


FAILURE_COLUMNS = ("Call", "IAM action", "Code", "Why")


def failed_calls(domain: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The AWS calls that did not answer (a not-found is an answer)."""
    return [a for a in domain.get("attempts") or () if isinstance(a, Mapping)
            and a.get("status") not in ("ok", "not_found", "skipped")]


def failure_cells(f: Mapping[str, Any]) -> list[str]:
    """One failed AWS call as a table row."""
    return [_s(f.get("call")), _s(f.get("action")), _s(f.get("code")), _s(f.get("reason"))]


def findings_by_severity(doc: Mapping[str, Any]) -> list[tuple[str, str, list[Mapping[str, Any]]]]:
    """(severity, heading, findings) for each severity that has findings, errors first."""
    findings = [f for f in doc.get("findings") or () if isinstance(f, Mapping)]
    out = []
    for sev, heading in SEVERITIES:
        mine = [f for f in findings if f.get("severity") == sev]
        if mine:
            out.append((sev, heading, mine))
    return out


def evidence_json(evidence: Any) -> str:
    """A finding's evidence as indented JSON ('' when empty)."""
    if not evidence:
        return ""
    return json.dumps(evidence, indent=2, ensure_ascii=True, sort_keys=False)


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}|#~!^$])")


def md_text(value: Any) -> str:
    """Untrusted text as inline Markdown that renders as exactly that text: made safe first
    (`safe_text`: line breaks, controls, bidi and zero-width characters shown escaped, so it
    stays on its line), then `& < >` as entities (no HTML can start), and every character that
    could open emphasis, code, a link, a heading, a table cell or math backslash-escaped."""
    text = safe_text(_s(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


_PLAIN_CODE = re.compile(r"[A-Za-z0-9_.:/@=+ -]+")


def md_code(value: Any) -> str:
    """An identifier as a code span when it is plain (ids, reasons), else as escaped text."""
    text = _s(value)
    return f"`{text}`" if _PLAIN_CODE.fullmatch(text) else md_text(text)


def md_code_block(lines: Iterable[str], lang: str = "") -> list[str]:
    """A fenced code block whose fence is longer than any backtick run in the content."""
    body = [safe_text(line) for line in lines]  # each line stays one line
    longest = max((len(run) for line in body for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + lang, *body, fence]


def md_table(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A GFM table with every cell escaped."""
    out = ["| " + " | ".join(md_text(c) for c in columns) + " |",
           "|" + "|".join(" --- " for _ in columns) + "|"]
    for row in rows:
        out.append("| " + " | ".join(md_text(c) or " " for c in row) + " |")
    return out


_TONE_MARK = {"ok": "✅ ", "warn": "⚠️ ", "bad": "❌ "}


def md_rows(rows: Sequence[Row]) -> list[str]:
    """Facts as a two-column table."""
    return md_table(("Fact", "Value"),
                    ((r.label, _TONE_MARK.get(r.tone, "") + r.value) for r in rows))


def md_tree(nodes: Sequence[Node], depth: int = 0) -> list[str]:
    """Chains as an indented list (two spaces a level)."""
    out = []
    for n in nodes:
        mark = _TONE_MARK.get(n.tone, "") if n.tone != "ok" else ""
        meta = f" — {md_text(n.meta)}" if n.meta else ""
        note = f" ({md_text(n.note)})" if n.note else ""
        out.append(f"{'  ' * depth}- {mark}**{md_text(n.label)}**{meta}{note}")
        out += md_tree(n.children, depth + 1)
    return out


def _md_finding(f: Mapping[str, Any], number: int) -> list[str]:
    out = [f"#### {number}. {md_code(f.get('id'))} {md_text(f.get('title'))}", ""]
    facts = []
    if f.get("subject"):
        facts.append(f"- **Subject:** {md_text(f['subject'])}")
    if f.get("location"):
        facts.append(f"- **Where:** {md_text(f['location'])}")
    facts.append(f"- **Detail:** {md_text(f.get('detail'))}")
    if f.get("walkthrough"):
        facts.append(f"- **Walkthrough:** {md_code('mtls-doctor explain ' + _s(f['walkthrough']))}")
    out += [*facts, ""]
    evidence = evidence_json(f.get("evidence"))
    if evidence:
        out += ["**Evidence:**", "", *md_code_block(evidence.splitlines(), "json"), ""]
    fix = f.get("fix")
    if isinstance(fix, Mapping):
        out += [f"**Fix:** {md_text(fix.get('summary'))}", ""]
        steps = [s for s in fix.get("steps") or ()]
        if steps:
            out += [f"{i}. {md_text(s)}" for i, s in enumerate(steps, 1)] + [""]
        commands = [_s(c) for c in fix.get("commands") or ()]
        if commands:
            out += [*md_code_block(commands, "sh"), ""]
    return out


def _md_certificates(title: str, certs: Sequence[Mapping[str, Any]], *, details: bool) -> list[str]:
    out = [f"### {title}", ""]
    out += [*md_table(CERT_COLUMNS, (cert_cells(c)[0] for c in certs)), ""]
    if details:
        for c in certs:
            out += [f"#### Certificate #{int(c.get('index', 0)) + 1}", "", *md_rows(cert_rows(c)), ""]
    return out


def render_markdown_document(doc: Mapping[str, Any]) -> str:
    """Markdown of a JSON document (`document(report)`, possibly redacted)."""
    command = _s(doc.get("command"))
    tgt = target(doc)
    out = [f"# mtls-doctor {md_text(command)}" + (f": {md_text(tgt)}" if tgt else ""), "",
           f"Generated {md_text(doc.get('generated_at'))} by mtls-doctor "
           f"{md_text(doc.get('tool_version'))} (schema {md_code(doc.get('schema'))}).", "",
           f"**Summary:** {summary_text(doc)}", ""]

    # payloads: what was looked at
    source = doc.get("source")
    if isinstance(source, Mapping):
        out += [f"**Source:** {md_text(source.get('name'))} ({md_text(source.get('container'))}), "
                f"evaluated at {md_text(source.get('at'))}", ""]
    probe = doc.get("probe")
    if isinstance(probe, Mapping):
        out += ["## Live connection", "", *md_rows(probe_rows(probe)), ""]
        if probe.get("served_chain"):
            out += _md_certificates("Served chain", probe["served_chain"], details=False)
            out += [*md_tree(served_chain(probe["served_chain"])), ""]
    domain = doc.get("domain")
    if isinstance(domain, Mapping):
        out += ["## Custom domain", "", *md_rows(domain_rows(domain)), ""]
        if domain.get("mappings"):
            out += ["### Mappings", "",
                    *md_table(MAPPING_COLUMNS, (mapping_cells(m)[0] for m in domain["mappings"])), ""]
        acm = [c for c in (domain.get("certificates") or {}).values() if isinstance(c, Mapping)]
        acm += [c for c in domain.get("issuer_conflicts") or () if isinstance(c, Mapping)]
        if acm:
            out += ["### ACM certificates", "",
                    *md_table(ACM_COLUMNS, (acm_cells(c)[0] for c in acm)), ""]
        if failed_calls(domain):
            out += ["### AWS calls that failed", "",
                    *md_table(FAILURE_COLUMNS, (failure_cells(f) for f in failed_calls(domain))), ""]
    verdict = doc.get("verdict")
    if isinstance(verdict, Mapping):
        headline, _ = verdict_text(verdict)
        out += ["## Verdict", "", f"**{md_text(headline)}**", "",
                f"- **Detail:** {md_text(verdict.get('detail'))}"]
        for p in (verdict.get("problems") or ())[1:]:
            out.append(f"- **Also:** {md_text(p.get('detail'))}")
        out += ["", "Path (root at the top):", "", *md_tree(verdict_chain(verdict)), ""]
    client = doc.get("client_certificate")
    if isinstance(client, Mapping):
        out += ["## Client certificate", "", *md_rows(cert_rows(client)), ""]
        if doc.get("sent_chain"):
            out += _md_certificates("Sent by the client (API Gateway is assumed not to use these)",
                                    doc["sent_chain"], details=False)
    truststore = doc.get("truststore")
    if isinstance(truststore, Mapping):
        ts_source = truststore.get("source") or {}
        out += [f"## Truststore: {md_text(ts_source.get('name'))}", ""]
        certs = truststore.get("certificates") or ()
        if certs:
            out += _md_certificates("Certificates", certs, details=False)
            out += ["### Chains (root at the top)", "",
                    *md_tree(chains(certs, link_by_name=command == "verify-client")), ""]
    certs = doc.get("certificates")
    if isinstance(certs, list) and certs:
        out += ["## Certificates", ""]
        out += _md_certificates("Summary", certs, details=command != "truststore")[2:]
        if command == "truststore":
            out += ["### Chains (root at the top)", "", *md_tree(chains(certs)), ""]

    checks = [c for c in doc.get("checks") or () if isinstance(c, Mapping)]
    if checks:
        out += ["## Checks", "", *md_table(
            ("Status", "Check", "Detail"),
            ((f"{CHECK_MARK.get(_s(c.get('status')), '')} {_s(c.get('status'))}", _s(c.get("title")),
              _s(c.get("detail"))) for c in checks)), ""]

    grouped = findings_by_severity(doc)
    out += ["## Findings", ""]
    if not grouped:
        undecided = sum(1 for c in doc.get("checks", []) if c.get("status") == "unknown")
        out += [f"No findings, but {undecided} check(s) could not be decided (❓): nothing is "
                "known about them." if undecided else "No findings.", ""]
    number = 0
    for _sev, heading, findings in grouped:
        out += [f"### {heading} ({len(findings)})", ""]
        for f in findings:
            number += 1
            out += _md_finding(f, number)
    return "\n".join(out).rstrip() + "\n"


def render_markdown(report: Report) -> str:
    """The report as Markdown (from the same document the JSON output prints)."""
    from mtls_doctor.report.json import document

    return render_markdown_document(document(report))
