"""The facts a report collected, as view sections: the live connection, the custom domain
(`report.domain`), the served vs configured certificate, the verdict, the client certificate's
revocation (`report.revocation`), the client certificate, the truststore, the certificates of a
file, `fix`'s plans (`apply.view`), `traffic`'s window, clients and rehearsal (`traffic.view`),
`iac`'s templates and drift (`iac.view`), `scan`'s accounts, fleet and expiry calendar
(`fleet.view`), and `explain`'s walkthrough. Built from the typed payload (never from
the JSON document), as plain strings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mtls_doctor.model.certificate import CertSummary
from mtls_doctor.model.domain import DomainFacts
from mtls_doctor.model.finding import Fix
from mtls_doctor.model.frozen import frozen
from mtls_doctor.model.probe import Outcome, ProbeResult
from mtls_doctor.model.report import Report
from mtls_doctor.model.verdict import Verdict, VerdictReason
from mtls_doctor.report.certs import (
    cert_table,
    cert_view,
    chain_trees,
    served_tree,
    served_vs_configured,
    verdict_tree,
)
from mtls_doctor.report.parts import Details, Facts, Part, Row, Section, Table, Tree
from mtls_doctor.safe import safe_names

#: how much of an HTTP body a report shows
BODY_CHARS = 300


# -- the live connection ---------------------------------------------------------------------


def _probe_lead(r: ProbeResult) -> tuple[str, str]:
    target = f"{r.host}:{r.port}"
    if not r.address:
        return f"{target} — no connection", "bad"
    resolved = f" (resolved: {safe_names(r.addresses)})" if len(r.addresses) > 1 else ""
    sni = f", SNI {r.sni}" if r.sni else ", no SNI (IP address)"
    return f"{target} — connected to {r.address}{resolved}{sni}", ""


def probe_rows(r: ProbeResult) -> list[Row]:
    """What the live connection saw, one fact a row."""
    rows: list[Row] = []
    if r.tls_version:
        rows.append(Row("TLS", ", ".join(x for x in (r.tls_version, r.cipher,
                                                     f"ALPN {r.alpn}" if r.alpn else "") if x)))
    if r.error is not None:
        alert = f" [alert {r.error.alert}]" if r.error.alert else ""
        rows.append(Row("stopped", f"{r.error.kind} during the {r.error.step or '?'}: "
                                   f"{r.error.message}{alert}", "bad"))
    auth = r.client_auth
    if auth.requested:
        req = {True: "required", False: "optional", None: "requested"}[auth.required]
        cas = safe_names(auth.acceptable_ca_names) or "none named"
        rows.append(Row("client auth", f"{req}; acceptable CAs: {cas}", "ok"))
    elif auth.requested is False:
        rows.append(Row("client auth", "not requested", "warn"))
    else:
        rows.append(Row("client auth", "unknown (the server's reply never arrived)"))
    cc = r.client_certificate
    outcome = cc.outcome.value
    if cc.presented or cc.subject or cc.outcome is not Outcome.UNKNOWN:  # else: nothing to say
        who = f"{cc.subject} → " if cc.subject else ""
        alert = f" (alert {cc.alert})" if cc.alert else ""
        rows.append(Row("client certificate", f"{who}{outcome.replace('_', ' ')}{alert}",
                        {"accepted": "ok", "rejected": "bad"}.get(outcome, "warn")))
    if r.http is not None:
        h = r.http
        status = "?" if h.status is None else str(h.status)
        rows.append(Row("HTTP", f"{status} {h.reason}".strip(),
                        "bad" if h.status is not None and h.status >= 400 else "ok"))
        for k, v in h.headers.items():
            rows.append(Row(f"header {k}", v))
        body = " ".join(h.body.split())
        if body:
            rows.append(Row("body", body[:BODY_CHARS] + ("…" if len(body) > BODY_CHARS else "")))
    m = r.hostname_match
    if m is not None:
        rows.append(Row("leaf covers host", f"{'yes' if m.matches else 'NO'}, {m.host}: {m.reason}",
                        "ok" if m.matches else "bad"))
    shape = r.chain
    if shape is not None:
        bits = ["in order" if shape.ordered else "out of order",
                "complete" if shape.complete else "incomplete"]
        if shape.trusted is not None:
            bits.append("trusted" if shape.trusted else "not trusted here")
        good = shape.ordered and shape.complete and shape.trusted is not False
        rows.append(Row("served chain", ", ".join(bits)
                        + (f" ({shape.detail})" if shape.detail else ""), "ok" if good else "warn"))
    if r.timings_ms:
        rows.append(Row("timings (ms)", ", ".join(f"{k.replace('_', ' ')} {v:g}"
                                                  for k, v in r.timings_ms.items())))
    return rows


def probe_section(r: ProbeResult) -> Section:
    """The live connection: what was reached, the facts, the served chain."""
    lead, tone = _probe_lead(r)
    parts: list[Part] = [Facts("", tuple(probe_rows(r)))]
    if r.served_chain:
        parts += [cert_table("Served chain", r.served_chain, "served"),
                  Tree("Served chain (root at the top)", tuple(served_tree(r.served_chain)),
                       brief=False)]
    return Section("probe", "Live connection", tuple(parts), lead, tone)


# -- the client certificate, its verdict, the truststore ---------------------------------------------


def verdict_section(v: Verdict) -> Section:
    """API Gateway's predicted decision and the path it built."""
    if v.accepted:
        lead, tone = "ACCEPTED — API Gateway would let this client in", "ok"
    else:
        lead, tone = (f"REJECTED ({v.reason}) — API Gateway would refuse this client (handshake "
                      "failure or 403)"), "bad"
    rows = [Row("detail", v.detail)]
    if v.path:
        missing = ""
        if v.reason is VerdictReason.ISSUER_NOT_IN_TRUSTSTORE and v.problems:
            missing = f" → (missing: {v.problems[0].missing})"
        rows.append(Row("path", safe_names(v.path, " → ") + missing, "" if v.accepted else "bad"))
    rows += [Row("also", p.detail) for p in v.problems[1:]]
    parts: list[Part] = [Facts("", tuple(rows))]
    if v.path:
        parts.append(Tree("Path (root at the top)", tuple(verdict_tree(v)), brief=False))
    return Section("verdict", "Verdict", tuple(parts), lead, tone)


def client_section(client: CertSummary, sent: Sequence[CertSummary]) -> Section:
    """The client certificate in full, and the chain it sends along."""
    parts: list[Part] = [Details(cert_view(client, "client"))]
    if sent:
        parts.append(cert_table("Sent by the client (API Gateway is assumed not to use these)",
                                sent, "client-chain"))
    return Section("client-certificate", "Client certificate", tuple(parts))


def _certificates(value: object) -> list[CertSummary]:
    if isinstance(value, list | tuple):
        return [c for c in value if isinstance(c, CertSummary)]
    return []


def truststore_section(truststore: Mapping[str, Any], *, link_by_name: bool) -> Section:
    """A truststore the report read (the domain's, or verify-client's): its certificates and
    their chains."""
    source = truststore.get("source")
    name = str(source.get("name") or "") if isinstance(source, Mapping) else ""
    certs = _certificates(truststore.get("certificates"))
    parts: list[Part] = []
    if certs:
        parts += [cert_table("Certificates", certs, "truststore", brief=False, policy=True),
                  Tree("Chains (root at the top)",
                       tuple(chain_trees(certs, link_by_name=link_by_name)))]
    lead = "" if certs else "no certificate in it"
    return Section("truststore", f"Truststore: {name}" if name else "Truststore", tuple(parts),
                   lead, "bad" if lead else "")


def certificates_section(certs: Sequence[CertSummary], *, chains: bool) -> Section:
    """The certificates of a file: with `chains` (a truststore) a table and chain trees, else a
    table and every certificate in full."""
    if chains:
        parts: list[Part] = [cert_table("", certs, "file", brief=False, policy=True),
                             Tree("Chains (root at the top)", tuple(chain_trees(certs, role="file")))]
    else:
        parts = [cert_table("", certs, "file", anchored=False, brief=False),
                 *(Details(cert_view(c, "file")) for c in certs)]
    return Section("certificates", "Certificates", tuple(parts))


def served_section(report: Report) -> Section | None:
    """The served certificate beside the configured one (diagnose), when both are known."""
    table = served_vs_configured(report)
    if table is None:
        return None
    return Section("served-vs-configured", table.title,
                   (Table("", table.columns, table.rows),))


def fact_sections(report: Report) -> list[Section]:
    """Every section the report's payload has, in the order a reader wants them."""
    p = report.payload
    out: list[Section] = []
    probe = p.get("probe")
    if isinstance(probe, ProbeResult):
        out.append(probe_section(probe))
    domain = p.get("domain")
    if isinstance(domain, DomainFacts):  # (imported for the reports that have one)
        from mtls_doctor.report.domain import domain_section

        out.append(domain_section(domain))
    served = served_section(report)
    if served is not None:
        out.append(served)
    verdict = p.get("verdict")
    if isinstance(verdict, Verdict):
        out.append(verdict_section(verdict))
    revocation = p.get("revocation")
    if revocation is not None:  # `verify-client --revocation` (pki.revocation is heavy)
        from mtls_doctor.pki.revocation import RevocationResult
        from mtls_doctor.report.revocation import revocation_section

        if isinstance(revocation, RevocationResult):
            out.append(revocation_section(revocation))
    client = p.get("client_certificate")
    if isinstance(client, CertSummary):
        out.append(client_section(client, _certificates(p.get("sent_chain"))))
    truststore = p.get("truststore")
    if isinstance(truststore, Mapping):
        out.append(truststore_section(truststore,
                                      link_by_name=report.command == "verify-client"))
    certs = _certificates(p.get("certificates"))
    if certs:
        out.append(certificates_section(certs, chains=report.command == "truststore"))
    if report.command == "fix":  # `fix`: its plans (apply/view.py draws them)
        from mtls_doctor.apply.plan import FixPlan
        from mtls_doctor.apply.view import fix_sections

        plan = p.get("plan")
        if isinstance(plan, FixPlan):
            out += fix_sections(plan)
    traffic = p.get("traffic")
    if traffic is not None:  # `traffic`: who calls, who is refused (traffic/view.py draws it)
        from mtls_doctor.traffic.model import Traffic
        from mtls_doctor.traffic.view import traffic_sections

        if isinstance(traffic, Traffic):
            out += traffic_sections(traffic)
    iac = p.get("iac")
    if iac is not None:  # `iac`: the templates' custom domains and drift (iac/view.py draws it)
        from mtls_doctor.iac.model import IacPayload
        from mtls_doctor.iac.view import iac_sections

        if isinstance(iac, IacPayload):
            out += iac_sections(iac)
    scan = p.get("scan")
    if scan is not None:  # `scan`: accounts, listings, the fleet, the calendar (fleet/view.py)
        from mtls_doctor.fleet.model import ScanPayload
        from mtls_doctor.fleet.view import scan_sections

        if isinstance(scan, ScanPayload):
            out += scan_sections(scan)
    return out


# -- explain -------------------------------------------------------------------------------------


@frozen
class StepView:
    """A question of the walkthrough that was answered, how, and on what evidence."""

    question: str
    answer: str
    evidence: str
    detected: bool


@frozen
class QuestionView:
    """The question the walkthrough stopped at: its node, the answers it takes, how to tell."""

    node: str
    question: str
    answers: tuple[str, ...]
    help: str


@frozen
class WalkthroughView:
    """`explain`'s answer: what was recognised, the walkthrough walked as far as it went, and
    its fix; or (`id` empty) what was recognised without a walkthrough and the walkthroughs
    there are (`known`, id and title)."""

    id: str
    title: str = ""
    summary: str = ""
    matched: str = ""
    finding: str = ""
    steps: tuple[StepView, ...] = ()
    pending: QuestionView | None = None
    fix: Fix | None = None
    recheck_command: str = ""
    recognised: tuple[str, ...] = ()
    known: tuple[Row, ...] = ()


def walkthrough_view(report: Report) -> WalkthroughView | None:
    """The walkthrough of an `explain` report; None for any other report."""
    if report.command != "explain":
        return None
    p = report.payload
    w = p.get("walkthrough")
    if not isinstance(w, Mapping):
        known = tuple(Row(str(t.get("id", "")), str(t.get("title", "")))
                      for t in p.get("walkthroughs") or () if isinstance(t, Mapping))
        return WalkthroughView("", recognised=tuple(str(r) for r in p.get("recognised") or ()),
                               known=known)
    steps = tuple(StepView(s.question, s.answer, s.evidence or "", s.detected)
                  for s in w.get("steps") or ())
    q = w.get("pending")
    pending = None if q is None else QuestionView(q.node, q.question, tuple(q.answers),
                                                  q.help or "")
    fix = w.get("fix")
    return WalkthroughView(
        id=str(w.get("id") or ""), title=str(w.get("title") or ""),
        summary=str(w.get("summary") or ""), matched=str(w.get("matched") or ""),
        finding=str(w.get("finding") or ""), steps=steps, pending=pending,
        fix=fix if isinstance(fix, Fix) else None,
        recheck_command=str(w.get("recheck_command") or ""))
