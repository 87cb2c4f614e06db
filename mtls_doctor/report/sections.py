"""The facts a report collected, as view sections: the live connection, the custom domain, the
served vs configured certificate, the verdict, the client certificate, the truststore, the
certificates of a file, and `explain`'s walkthrough. Built from the typed payload (never from
the JSON document), as plain strings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mtls_doctor.model.certificate import CertSummary
from mtls_doctor.model.domain import AcmCertificate, DomainFacts
from mtls_doctor.model.finding import Fix
from mtls_doctor.model.probe import Outcome, ProbeResult
from mtls_doctor.model.report import Report
from mtls_doctor.model.verdict import Verdict, VerdictReason
from mtls_doctor.report.certs import (
    cert_table,
    cert_view,
    chain_trees,
    colon_hex,
    served_tree,
    served_vs_configured,
    verdict_tree,
)
from mtls_doctor.report.parts import Details, Facts, Part, Row, Section, Table, TableRow, Tree
from mtls_doctor.safe import safe_names

#: how much of an HTTP body a report shows
BODY_CHARS = 300
_REGION_SOURCE = {"option": "--region", "dns": "DNS", "profile": "the profile",
                  "scan": "the region scan", "snapshot": "the snapshot"}
_API_KIND = {"rest": "REST API", "http": "HTTP API", "websocket": "WebSocket API"}


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


# -- the custom domain -------------------------------------------------------------------------


def _domain_lead(d: DomainFacts) -> tuple[str, str]:
    how = _REGION_SOURCE.get(d.region_source, d.region_source)
    where = f"{d.region}, region from {how}" if d.region else "no region known"
    if d.found is False:
        return f"{d.name} — no such custom domain ({where})", "bad"
    if not d.found:
        looked = d.evidence.get("domain")
        why = "" if looked is None else looked.status.value.replace("_", " ") + (
            f" ({looked.reason})" if looked.reason else "")
        return f"{d.name} — could not be read ({where})" + (f": {why}" if why else ""), "warn"
    return f"{d.name} — {_API_KIND.get(d.api_type or '', 'API')} custom domain ({where})", ""


def domain_rows(d: DomainFacts) -> list[Row]:
    """The custom domain as AWS describes it, one fact a row (none when it was not found)."""
    if not d.found:
        return []
    rows: list[Row] = []
    if d.also_found_in:
        rows.append(Row("also in", safe_names(d.also_found_in) + " (pass --region to read another)"))
    rows += [
        Row("status", (d.status or "?") + (f": {d.status_message}" if d.status_message else ""),
            "ok" if d.status == "AVAILABLE" else "warn"),
        Row("endpoint type", d.endpoint_type or "?",
            "ok" if d.endpoint_type == "REGIONAL" else "bad"),
        Row("security policy", d.security_policy or "?"),
        Row("regional domain name", d.regional_domain_name or "none"),
        Row("certificate", d.certificate_arn or "none"),
        Row("ownership certificate", d.ownership_verification_certificate_arn or "none"),
    ]
    if d.mtls is not None:
        rows.append(Row("mTLS truststore", f"{d.mtls.truststore_uri} version "
                                           f"{d.mtls.truststore_version or 'latest'}", "ok"))
        rows += [Row("truststore warning", w, "warn") for w in d.mtls.truststore_warnings]
    else:
        rows.append(Row("mTLS", "off", "bad"))
    ts = d.truststore_object
    if ts is not None:
        latest, configured = ts.latest_version, ts.configured_version
        stale = bool(latest and configured and latest != configured)
        rows.append(Row("truststore object", f"s3://{ts.bucket}/{ts.key}, versioning "
                                             f"{ts.versioning}, configured {configured or '-'}, "
                                             f"latest {latest or '-'}", "warn" if stale else ""))
    if d.dns_addresses or d.dns_canonical:
        rows.append(Row("DNS", f"{d.dns_canonical or d.name} → "
                               f"{safe_names(d.dns_addresses) or 'no address'}"))
    if d.account_id:
        rows.append(Row("account", d.account_id))
    return rows


MAPPING_COLUMNS = ("Base path", "API", "Type", "Stage", "execute-api endpoint")
ACM_COLUMNS = ("ARN", "Type", "Status", "Domain", "Serial", "Not after", "Renewal")
FAILURE_COLUMNS = ("Call", "IAM action", "Code", "Why")


def _base_path(path: str) -> str:
    """`/` for API Gateway's `(none)` marker, else `/path`."""
    return "/" if path in ("(none)", "") else "/" + path.lstrip("/")


def _acm_row(c: AcmCertificate) -> TableRow:
    return TableRow((c.arn, c.type or "?", c.status or "?", c.domain_name or "?",
                     colon_hex(c.serial) if c.serial else "-",
                     c.not_after.strftime("%Y-%m-%d") if c.not_after else "?",
                     c.renewal_status or "-"), "ok" if c.status == "ISSUED" else "bad")


def domain_section(d: DomainFacts) -> Section:
    """The custom domain: what AWS said, its mappings, its ACM certificates, the calls that
    failed."""
    lead, tone = _domain_lead(d)
    parts: list[Part] = []
    rows = domain_rows(d)
    if rows:
        parts.append(Facts("", tuple(rows)))
    if d.mappings:
        mapped = []
        for mp in d.mappings:
            off = mp.execute_api_endpoint_disabled
            state, st = (("disabled", "ok") if off is True else
                         ("ENABLED (bypasses mTLS)", "bad") if off is False else ("unknown", "warn"))
            api = " ".join(x for x in (mp.api_name or "", mp.api_id) if x)
            mapped.append(TableRow((_base_path(mp.base_path), api, mp.api_type, mp.stage or "-",
                                    state), st))
        parts.append(Table("Mappings", MAPPING_COLUMNS, tuple(mapped)))
    acm = [*d.certificates.values(), *d.issuer_conflicts]
    if acm:
        parts.append(Table("ACM certificates", ACM_COLUMNS, tuple(_acm_row(c) for c in acm)))
    if d.failures:
        parts.append(Table("AWS calls that failed", FAILURE_COLUMNS, tuple(
            TableRow((a.call, a.action or "-", a.code or "-", a.reason or a.status.value), "warn")
            for a in d.failures)))
    return Section("domain", "Custom domain", tuple(parts), lead, tone)


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
        parts += [cert_table("Certificates", certs, "truststore", brief=False),
                  Tree("Chains (root at the top)",
                       tuple(chain_trees(certs, link_by_name=link_by_name)))]
    lead = "" if certs else "no certificate in it"
    return Section("truststore", f"Truststore: {name}" if name else "Truststore", tuple(parts),
                   lead, "bad" if lead else "")


def certificates_section(certs: Sequence[CertSummary], *, chains: bool) -> Section:
    """The certificates of a file: with `chains` (a truststore) a table and chain trees, else a
    table and every certificate in full."""
    if chains:
        parts: list[Part] = [cert_table("", certs, "file", brief=False),
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
    if isinstance(domain, DomainFacts):
        out.append(domain_section(domain))
    served = served_section(report)
    if served is not None:
        out.append(served)
    verdict = p.get("verdict")
    if isinstance(verdict, Verdict):
        out.append(verdict_section(verdict))
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
    return out


# -- explain -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepView:
    """A question of the walkthrough that was answered, how, and on what evidence."""

    question: str
    answer: str
    evidence: str
    detected: bool


@dataclass(frozen=True)
class QuestionView:
    """The question the walkthrough stopped at: its node, the answers it takes, how to tell."""

    node: str
    question: str
    answers: tuple[str, ...]
    help: str


@dataclass(frozen=True)
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
