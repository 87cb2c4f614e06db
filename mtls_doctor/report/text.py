"""Plain text for a person at a terminal: what was found, where, and what to do."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import Any

from mtls_doctor.model.certificate import CertSummary
from mtls_doctor.model.finding import Check, CheckStatus, Finding, Severity
from mtls_doctor.model.probe import ProbeResult
from mtls_doctor.model.report import Report
from mtls_doctor.model.verdict import Verdict, VerdictReason
from mtls_doctor.pki.policy import key_text
from mtls_doctor.probe.http import API_HEADERS
from mtls_doctor.report.json import to_primitive
from mtls_doctor.safe import safe_names, safe_text

_STYLE = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "dim": "2", "bold": "1"}
_EXT_LABEL = {"authorityInfoAccess": "AIA", "cRLDistributionPoints": "CRL DP",
              "certificatePolicies": "policies", "nameConstraints": "name constr."}
_SEVERITY_STYLE = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}
_CHECK_MARK = {
    CheckStatus.PASS: ("✓", "green"),
    CheckStatus.WARN: ("!", "yellow"),
    CheckStatus.FAIL: ("✗", "red"),
    CheckStatus.SKIP: ("-", "dim"),
    CheckStatus.UNKNOWN: ("?", "magenta"),
}


# Styles are written as markers (a private-use character, a nonce drawn for each report, the
# style's name, a second private-use character) and turned into ANSI codes only after the outside
# text between them has been made safe (`safe_text`): certificate names and server answers are
# attacker-chosen text, and must never move the cursor, clear the screen, set the clipboard or
# forge lines of the report. The nonce keeps outside text from posing as a marker.
_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"


class _Out:
    def __init__(self, color: bool) -> None:
        self.color = color
        self.lines: list[str] = []
        self.nonce = secrets.token_hex(8)
        self.marker = re.compile(f"{_MARK_OPEN}{self.nonce}([a-z]*){_MARK_CLOSE}")

    def s(self, text: str, style: str) -> str:
        if not self.color or not text:
            return text
        return (f"{_MARK_OPEN}{self.nonce}{style}{_MARK_CLOSE}{text}"
                f"{_MARK_OPEN}{self.nonce}{_MARK_CLOSE}")

    def __call__(self, text: str = "") -> None:
        self.lines.append(text)

    def _line(self, line: str) -> str:
        """One line of the report: the text between style markers made safe, the markers
        turned into ANSI codes (or dropped without colour)."""
        out: list[str] = []
        pos = 0
        for m in self.marker.finditer(line):
            out.append(safe_text(line[pos:m.start()]))
            code = _STYLE.get(m.group(1), "0") if m.group(1) else "0"
            out.append(f"\x1b[{code}m" if self.color else "")
            pos = m.end()
        out.append(safe_text(line[pos:]))
        return "".join(out)

    def text(self) -> str:
        """The finished text: each line made safe on its own (a newline inside a name is shown
        as `\\x0a` and cannot start a line of its own), styles as ANSI codes."""
        return "\n".join(self._line(line) for line in self.lines).rstrip() + "\n"


def _days(c: CertSummary) -> str:
    v = c.validity
    if v is None:
        return ""
    if v.status == "expired":
        return f"EXPIRED {-v.days_left} days ago"
    if v.status == "not_yet_valid":
        return "NOT YET VALID"
    return f"{v.days_left} days left"


def _validity_style(c: CertSummary) -> str:
    v = c.validity
    return "red" if v is None or v.status != "valid" else ("yellow" if v.days_left <= 30 else "green")


def _colon_hex(serial: str) -> str:
    """`0a1b2c` -> `0A:1B:2C`, as openssl prints serials."""
    sign, digits = ("-", serial[1:]) if serial.startswith("-") else ("", serial)
    return sign + ":".join(digits[i:i + 2] for i in range(0, len(digits), 2)).upper()


def _cert_block(o: _Out, c: CertSummary) -> None:
    where = f"line {c.line}" if c.line is not None else c.location.split(", ", 1)[-1]
    o(f"{o.s(f'#{c.index + 1}', 'bold')}  {o.s(c.subject, 'bold')}   {o.s(where, 'dim')}")
    rows: list[tuple[str, str]] = []
    if c.malformed:
        rows.append(("PROBLEM", o.s(c.malformed, "red")))
    if c.not_before is None:
        rows.append(("SHA-256", c.sha256_fingerprint or "(no data)"))
        _rows(o, rows)
        return
    bc = c.basic_constraints
    bc_text = "absent" if not bc.present else (
        f"CA:{'TRUE' if bc.ca else 'FALSE'}"
        + (f", pathlen:{bc.path_len}" if bc.path_len is not None else "")
        + (", critical" if bc.critical else "")
    )
    rows += [
        ("issuer", c.issuer),
        ("serial", _colon_hex(c.serial)),
        ("valid", f"{c.not_before:%Y-%m-%d %H:%M} → {c.not_after:%Y-%m-%d %H:%M} UTC  "
                  + o.s(f"({_days(c)})", _validity_style(c))),
        ("key", key_text(c)),
        ("signature", c.signature_algorithm + (f" ({c.signature_hash})" if c.signature_hash else "")),
        ("SANs", safe_names(c.sans) if c.sans else "none"),
        ("basic", bc_text),
        ("key usage", ", ".join(c.key_usage) if c.key_usage is not None else "absent"),
        ("ext. usage", ", ".join(c.extended_key_usage) if c.extended_key_usage is not None
         else "absent"),
        ("SKI / AKI", f"{c.ski or '-'} / {c.aki or '-'}"),
        ("SHA-256", c.sha256_fingerprint),
        ("self-signed", "yes" if c.self_signed else "no"),
        ("version", f"v{c.version}"),
    ]
    for e in c.extensions:
        if e.value:
            label = _EXT_LABEL.get(e.name, "extension")
            value = e.value if label != "extension" else f"{e.oid}: {e.value}"
            rows.append((label, value + (o.s("  (critical)", "yellow") if e.critical else "")))
    for note in c.nonstandard:
        rows.append(("RFC 5280", o.s(note, "yellow")))
    m = c.hostname_match
    if m is not None:
        verdict = o.s("✓ covered", "green") if m.matches else o.s("✗ not covered", "red")
        rows.append(("host", f"{m.host}: {verdict} — {m.reason}"))
    _rows(o, rows)


def _cert_line(o: _Out, c: CertSummary) -> None:
    """One certificate in one line, as a chain listing shows it."""
    if c.malformed:
        o(f"  #{c.index + 1} {o.s(c.subject, 'red')}: {c.malformed}")
        return
    bits = [key_text(c), c.signature_hash or c.signature_algorithm,
            o.s(_days(c), _validity_style(c))]
    if c.sans:
        bits.append(safe_names(c.sans[:3]) + (f" (+{len(c.sans) - 3})" if len(c.sans) > 3 else ""))
    o(f"  #{c.index + 1} {o.s(c.subject, 'bold')}  ← {c.issuer}")
    o(f"     {o.s(' · '.join(bits), 'dim')}")


def _rows(o: _Out, rows: Sequence[tuple[str, str]]) -> None:
    for k, v in rows:
        o(f"    {k:<12} {v}")
    o()


def _tree(o: _Out, certs: Sequence[CertSummary]) -> None:
    children: dict[int | None, list[CertSummary]] = {}
    for c in certs:
        parent = c.issuer_index if c.issuer_index != c.index else None
        children.setdefault(parent, []).append(c)

    def label(c: CertSummary) -> str:
        bits = [f"#{c.index + 1}"]
        if c.malformed:
            return f"{o.s(c.subject, 'red')}  [#{c.index + 1}, unreadable]"
        bits += [key_text(c), c.signature_hash or c.signature_algorithm]
        bits.append(o.s(_days(c), _validity_style(c)))
        if not c.is_ca and c.version != 1:
            bits.append(o.s("not a CA", "yellow"))
        return f"{c.subject}  {o.s('[' + ', '.join(bits) + ']', 'dim')}"

    def walk(c: CertSummary, prefix: str, last: bool, depth: int) -> None:
        branch = "" if depth == 0 else ("└── " if last else "├── ")
        o(f"  {prefix}{branch}{label(c)}")
        kids = [k for k in children.get(c.index, []) if k.index != c.index]
        ext = "" if depth == 0 else ("    " if last else "│   ")
        for i, k in enumerate(kids):
            walk(k, prefix + ext, i == len(kids) - 1, depth + 1)

    drawn: set[int] = set()

    def mark(c: CertSummary) -> None:
        drawn.add(c.index)
        for k in children.get(c.index, []):
            if k.index not in drawn:
                mark(k)

    for top in children.get(None, []):
        if not top.self_signed and not top.malformed:
            o(f"  {o.s('✗ issuer not in bundle:', 'red')} {top.issuer}")
            walk(top, "  ", True, 1)
        else:
            walk(top, "", True, 0)
        mark(top)
    loop = [c for c in certs if c.index not in drawn]
    if loop:  # certificates that certify each other with no self-signed root above them
        o(f"  {o.s('✗ no root: these certify each other in a loop', 'red')}")
        for c in loop:
            o(f"    {label(c)}  {o.s(f'← issued by #{(c.issuer_index or 0) + 1}', 'dim')}")
    o()


def _verdict(o: _Out, v: Verdict) -> None:
    if v.accepted:
        o(o.s("Verdict: ACCEPTED", "green") + " — API Gateway would let this client in")
    else:
        o(o.s(f"Verdict: REJECTED ({v.reason})", "red")
          + " — API Gateway would refuse this client (handshake failure or 403)")
    o(f"  {v.detail}")
    if v.path:
        missing = ""
        if v.reason is VerdictReason.ISSUER_NOT_IN_TRUSTSTORE and v.problems:
            missing = " → " + o.s(f"(missing: {v.problems[0].missing})", "red")
        o(f"  path: {safe_names(v.path, ' → ')}{missing}")
    for p in v.problems[1:]:
        o(f"  also: {p.detail}")
    o()


def _probe(o: _Out, r: ProbeResult) -> None:
    """s_client's facts, explained, one line each."""
    target = f"{r.host}:{r.port}"
    if r.address:
        o(o.s(target, "bold") + f" — connected to {r.address}"
          + (f" (resolved: {safe_names(r.addresses)})" if len(r.addresses) > 1 else "")
          + (f", SNI {r.sni}" if r.sni else ", no SNI (IP address)"))
    else:
        o(o.s(target, "bold") + " — " + o.s("no connection", "red"))
    o()
    rows: list[tuple[str, str]] = []
    if r.tls_version:
        rows.append(("TLS", ", ".join(x for x in (r.tls_version, r.cipher,
                                                  f"ALPN {r.alpn}" if r.alpn else "") if x)))
    if r.error is not None:
        alert = f" [alert {r.error.alert}]" if r.error.alert else ""
        rows.append(("stopped", o.s(f"{r.error.kind} during the {r.error.step}: "
                                    f"{r.error.message}{alert}", "red")))
    auth = r.client_auth
    if r.tls_version or r.served_chain:
        if auth.requested:
            req = {True: "required", False: "optional", None: "requested"}[auth.required]
            cas = safe_names(auth.acceptable_ca_names) or "none named"
            rows.append(("client auth", f"{o.s(req, 'green')}; acceptable CAs: {cas}"))
        elif auth.requested is False:
            rows.append(("client auth", o.s("not requested", "yellow")))
        else:
            rows.append(("client auth", "unknown (the server's reply never arrived)"))
        cc = r.client_certificate
        if cc.subject:
            style = {"accepted": "green", "rejected": "red"}.get(cc.outcome.value, "yellow")
            alert = f" (alert {cc.alert})" if cc.alert else ""
            rows.append(("client cert", f"{cc.subject} → {o.s(cc.outcome.value, style)}{alert}"))
    if r.http is not None:
        h = r.http
        shown = safe_names((f"{k}: {v}" for k, v in h.headers.items() if k in API_HEADERS), "; ")
        body = " ".join(h.body.split())[:100]
        rows.append(("HTTP", f"{h.status} {h.reason}".strip() + (f"; {shown}" if shown else "")))
        if body:
            rows.append(("body", body))
    if r.timings_ms:
        rows.append(("timings ms", ", ".join(f"{k.replace('_', ' ')} {v:g}"
                                             for k, v in r.timings_ms.items())))
    for k, v in rows:
        o(f"  {k:<12} {v}")
    o()
    if r.served_chain:
        shape = r.chain
        state = "" if shape is None else (
            ("in order" if shape.ordered else o.s("out of order", "red")) + ", "
            + ("complete" if shape.complete else o.s("incomplete", "yellow"))
            + ("" if shape.trusted is None else
               (", trusted" if shape.trusted else ", " + o.s("not trusted here", "yellow"))))
        count = f"{len(r.served_chain)} certificate(s)"
        o(o.s("Served chain", "bold") + f"  ({count}{', ' + state if state else ''})")
        for c in r.served_chain:
            _cert_line(o, c)
        o()
        m = r.hostname_match
        if m is not None:
            mark = o.s("✓ covers", "green") if m.matches else o.s("✗ does not cover", "red")
            o(f"  leaf {mark} {m.host}: {m.reason}")
            o()


def _domain(o: _Out, d: dict[str, Any]) -> None:
    """The custom domain as AWS describes it, one line per fact."""
    how = {"option": "--region", "dns": "DNS", "profile": "the profile",
           "scan": "the region scan", "snapshot": "the snapshot"}.get(
        str(d.get("region_source")), str(d.get("region_source")))
    where = f"{d['region']}, region from {how}" if d.get("region") else "no region known"
    if d.get("found") is False:
        o(o.s(d["name"], "bold") + f" — no such custom domain ({where})")
        o()
        return
    if not d.get("found"):
        looked = (d.get("evidence") or {}).get("domain") or {}
        o(o.s(d["name"], "bold") + f" — could not be read ({where}): "
          f"{looked.get('status', 'unknown').replace('_', ' ')}"
          + (f" ({looked['reason']})" if looked.get("reason") else ""))
        o()
        return
    kind = {"rest": "REST API", "http": "HTTP API"}.get(d.get("api_type") or "", "API")
    o(o.s(d["name"], "bold") + f" — {kind} custom domain ({where})")
    if d.get("also_found_in"):
        o(f"  also in {safe_names(d['also_found_in'])} (pass --region to read another)")
    o()
    rows = [("status", (d.get("status") or "?")
             + (f": {d['status_message']}" if d.get("status_message") else "")),
            ("endpoint", ", ".join(str(x) for x in (d.get("endpoint_type"), d.get("security_policy"),
                                                     d.get("regional_domain_name")) if x))]
    certs = d.get("certificates") or {}
    for label, arn in (("certificate", d.get("certificate_arn")),
                       ("ownership", d.get("ownership_verification_certificate_arn"))):
        c = certs.get(arn) if arn else None
        if c is not None:
            until = f", until {str(c['not_after'])[:10]}" if c.get("not_after") else ""
            rows.append((label, f"{arn} ({c.get('type')}, {c.get('status')}{until})"))
        else:
            rows.append((label, arn or "none"))
    m = d.get("mtls")
    if m:
        ts = d.get("truststore_object") or {}
        latest = ts.get("latest_version")
        stale = (f" (S3 latest: {latest})" if latest and latest != m.get("truststore_version")
                 else "")
        rows.append(("mTLS", f"{m['truststore_uri']} version {m.get('truststore_version') or 'latest'}"
                     f"{stale}; {len(m.get('truststore_warnings') or ())} warning(s)"))
    else:
        rows.append(("mTLS", o.s("off", "red")))
    for mp in d.get("mappings") or ():
        off = mp.get("execute_api_endpoint_disabled")
        state = {True: o.s("execute-api off", "green"), False: o.s("execute-api ON", "red"),
                 None: "execute-api ?"}[off]
        rows.append(("mapping", f"/{mp['base_path'].lstrip('/')} → {mp.get('api_name') or ''} "
                                f"{mp['api_id']} [{mp.get('api_type')}] stage "
                                f"{mp.get('stage') or '-'}, {state}"))
    if d.get("dns_addresses") or d.get("dns_canonical"):
        rows.append(("DNS", f"{d.get('dns_canonical') or d['name']} → "
                            f"{safe_names(d.get('dns_addresses') or ()) or 'no address'}"))
    for k, v in rows:
        o(f"  {k:<12} {v}")
    o()


def _walkthrough(o: _Out, p: dict[str, Any]) -> None:
    """explain: what was recognised, the path taken, the question left, the fix."""
    w = p.get("walkthrough")
    if w is None:
        recognised = p.get("recognised") or []
        if recognised:
            o("Recognised " + ", ".join(recognised) + ", which has no walkthrough.")
        else:
            o(o.s("Not recognised.", "yellow") + " mtls-doctor knows these walkthroughs "
              "(mtls-doctor explain --walkthrough ID):")
        for t in p.get("walkthroughs", []):
            o(f"  {t['id']:<20} {t['title']}")
        o()
        return
    if w.get("matched"):
        o(f"Recognised {o.s(repr(w['matched']), 'bold')}"
          + (f" ({w['finding']})" if w.get("finding") else ""))
    o(o.s(f"Walkthrough {w['id']}: {w['title']}", "bold"))
    o(f"  {w['summary']}")
    o()
    for step in w["steps"]:
        o(f"  ? {step.question}")
        o(f"    → {o.s(step.answer, 'bold')}  " + o.s(step.evidence or "answered", "dim"))
    pending = w.get("pending")
    if pending is not None:
        o(f"  ? {o.s(pending.question, 'yellow')}")
        o(f"    answers: {', '.join(pending.answers)}")
        if pending.help:
            o(o.s(f"    how to tell: {pending.help}", "dim"))
        o(o.s(f"    continue with: --answer {pending.node}=ANSWER", "dim"))
    fix = w.get("fix")
    if fix is not None:
        o()
        o(o.s("Fix", "bold") + f": {fix.summary}")
        for i, step in enumerate(fix.steps, 1):
            o(f"  {i}. {step}")
        for cmd in fix.commands:
            o(f"  $ {o.s(cmd, 'blue')}")
        if w.get("recheck_command"):
            o("  re-check:")
            o(f"  $ {o.s(w['recheck_command'], 'blue')}")
    o()


def _checks(o: _Out, checks: Sequence[Check]) -> None:
    if not checks:
        return
    o(o.s("Checks", "bold"))
    width = max(len(c.title) for c in checks)
    for c in checks:
        mark, style = _CHECK_MARK[c.status]
        o(f"  {o.s(mark, style)} {c.title:<{width}}  {o.s(c.detail, 'dim')}")
    o()


def _finding(o: _Out, f: Finding, shown: set[str]) -> None:
    """One finding; fix steps and commands already printed for an earlier one are not repeated."""
    sev = o.s(f.severity.upper(), _SEVERITY_STYLE[f.severity])
    o(f"  {sev} {o.s(f.id, 'bold')}: {f.title}")
    if f.location:
        o(f"      where: {f.location}")
    o(f"      {f.detail}")
    if f.fix:
        o(f"      fix: {f.fix.summary}")
        steps = [s for s in f.fix.steps if s not in shown]
        commands = [c for c in f.fix.commands if c not in shown]
        for i, step in enumerate(steps, 1):
            o(f"        {i}. {step}")
        for cmd in commands:
            o(f"        $ {o.s(cmd, 'blue')}")
        repeated = len(f.fix.steps) + len(f.fix.commands) - len(steps) - len(commands)
        if repeated:
            o(o.s(f"        (+ {repeated} step(s)/command(s) shown above)", "dim"))
        shown.update(f.fix.steps, f.fix.commands)
    if f.walkthrough:
        o(o.s(f"      walkthrough: {f.walkthrough} (mtls-doctor explain {f.id})", "dim"))
    o()


def _findings(o: _Out, findings: Sequence[Finding], report: Report) -> None:
    counts = (f"{report.count(Severity.ERROR)} error(s), {report.count(Severity.WARNING)} "
              f"warning(s), {report.count(Severity.INFO)} info")
    undecided = [c for c in report.checks if c.status is CheckStatus.UNKNOWN]
    if not findings:
        if undecided:
            o(o.s(f"No findings, but {len(undecided)} check(s) could not be decided (?): "
                  "nothing is known about them.", "magenta"))
        else:
            o(o.s("No findings.", "green"))
        return
    o(o.s("Findings", "bold") + f"  ({counts})")
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    shown: set[str] = set()
    def position(f: Finding) -> int:
        index = f.evidence.get("index")
        return index if isinstance(index, int) else -1

    for f in sorted(findings, key=lambda f: (order[f.severity], position(f))):
        _finding(o, f, shown)


def _header(o: _Out, p: dict[str, Any]) -> None:
    src = p.get("source")
    if not isinstance(src, dict):
        return
    n = len(p.get("certificates", []))
    o(o.s(f"{src['name']}", "bold") + f" — {n} certificate{'s' if n != 1 else ''}, "
      f"{src['container']}, evaluated at {src['at']:%Y-%m-%d %H:%M} UTC")
    o()


def render_text(report: Report, *, color: bool = False) -> str:
    """The report as text; `color` adds ANSI colours for a terminal."""
    o = _Out(color)
    p = dict(report.payload)
    _header(o, p)
    if report.command == "explain":
        _walkthrough(o, p)
    if p.get("attempts"):
        o(o.s("Collected", "bold") + "  " + "   ".join(
            f"{a.name} {o.s(a.status, 'green' if a.status == 'ok' else 'red')} "
            f"({a.seconds:.2f} s)" for a in p["attempts"]))
        for a in p["attempts"]:
            if a.status != "ok":
                o(f"  {a.name}: {a.summary}")
        o()
    if "probe" in p:
        _probe(o, p["probe"])
    if "domain" in p:
        _domain(o, to_primitive(p["domain"]))
    if report.command in ("domain", "diagnose", "demo") and isinstance(p.get("truststore"), dict):
        o(o.s("Truststore in use", "bold") + f"  ({p['truststore']['source']['name']})")
        _tree(o, p["truststore"]["certificates"])
    if "verdict" in p:
        _verdict(o, p["verdict"])
    certs = p.get("certificates")
    if certs and report.command == "truststore":
        o(o.s("Chains", "bold") + "  (root at the top, issued certificates below)")
        _tree(o, certs)
    if "client_certificate" in p and p["client_certificate"] is not None:
        o(o.s("Client certificate", "bold"))
        _cert_block(o, p["client_certificate"])
        if p.get("sent_chain"):
            o(o.s("Sent by the client (API Gateway is assumed not to use these)", "bold"))
        for c in p.get("sent_chain", ()):
            _cert_block(o, c)
    if certs and report.command != "truststore":
        for c in certs:
            _cert_block(o, c)
    _checks(o, report.checks)
    if report.command != "explain":
        _findings(o, report.findings, report)
    return o.text()
