"""One self-contained HTML page (inline CSS, no scripts, no network), readable and printable,
drawn from the JSON document (so it never disagrees with it).

Certificate names and server answers are attacker-chosen text: the page is rendered by Jinja2
with autoescaping on, from plain strings only (nothing is marked safe), and a Content Security
Policy forbids scripts and every external load as a second line of defence. Every value the
template prints first goes through `safe_text` (Jinja's `finalize`), so control, bidi and
zero-width characters are shown escaped in the page text too (the page may be printed to a
terminal: `--format html` without `-o`); multi-line blocks (evidence) are handed over line by
line.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from mtls_doctor.model.report import Report
from mtls_doctor.report import markdown as view
from mtls_doctor.safe import safe_text

if TYPE_CHECKING:
    import jinja2

TEMPLATE = "report.html.j2"


@cache
def _environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("mtls_doctor.report", "templates"),
        autoescape=True,  # every string: certificate subjects and SANs are attacker-chosen
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )


def _finalize(value: Any) -> Any:
    """Every printed value: a string made safe (then autoescaped); the template's own markup
    (a macro's output) and numbers as they are."""
    import markupsafe

    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return safe_text(value)
    return value


def _sections(doc: Mapping[str, Any]) -> dict[str, Any]:
    """What the template draws, as plain rows and trees (the Markdown renderer's view)."""
    command = str(doc.get("command") or "")
    ctx: dict[str, Any] = {"probe": None, "domain": None, "verdict": None, "client": None,
                           "sent_chain": [], "truststore": None, "certificates": None}
    probe = doc.get("probe")
    if isinstance(probe, Mapping):
        served = probe.get("served_chain") or []
        ctx["probe"] = {"rows": view.probe_rows(probe),
                        "certs": [view.cert_cells(c) for c in served],
                        "chain": view.served_chain(served)}
    domain = doc.get("domain")
    if isinstance(domain, Mapping):
        acm = [c for c in (domain.get("certificates") or {}).values() if isinstance(c, Mapping)]
        acm += [c for c in domain.get("issuer_conflicts") or () if isinstance(c, Mapping)]
        ctx["domain"] = {"rows": view.domain_rows(domain),
                         "mappings": [view.mapping_cells(m) for m in domain.get("mappings") or ()],
                         "acm": [view.acm_cells(c) for c in acm],
                         "failures": [(view.failure_cells(f), "warn")
                                      for f in view.failed_calls(domain)]}
    verdict = doc.get("verdict")
    if isinstance(verdict, Mapping):
        headline, tone = view.verdict_text(verdict)
        ctx["verdict"] = {"headline": headline, "tone": tone, "detail": verdict.get("detail") or "",
                          "also": [p.get("detail") for p in (verdict.get("problems") or ())[1:]],
                          "chain": view.verdict_chain(verdict)}
    client = doc.get("client_certificate")
    if isinstance(client, Mapping):
        ctx["client"] = view.cert_rows(client)
        ctx["sent_chain"] = [view.cert_cells(c) for c in doc.get("sent_chain") or ()]
    truststore = doc.get("truststore")
    if isinstance(truststore, Mapping):
        certs = truststore.get("certificates") or []
        ctx["truststore"] = {"name": (truststore.get("source") or {}).get("name") or "",
                             "certs": [view.cert_cells(c) for c in certs],
                             "chains": view.chains(certs, link_by_name=command == "verify-client")}
    certs = doc.get("certificates")
    if isinstance(certs, list) and certs:
        ctx["certificates"] = {
            "cells": [view.cert_cells(c) for c in certs],
            "chains": view.chains(certs) if command == "truststore" else [],
            "details": [] if command == "truststore" else
                       [(int(c.get("index", 0)) + 1, view.cert_rows(c)) for c in certs]}
    return ctx


def render_html_document(doc: Mapping[str, Any]) -> str:
    """The page for a JSON document (`document(report)`, possibly redacted)."""
    findings = view.findings_by_severity(doc)
    numbered = []
    n = 0
    for sev, heading, group in findings:
        items = []
        for f in group:
            n += 1
            items.append((n, f, view.evidence_json(f.get("evidence")).splitlines()))
        numbered.append((sev, heading, items))
    source = doc.get("source") if isinstance(doc.get("source"), Mapping) else None
    return _environment().get_template(TEMPLATE).render(
        doc=doc, target=view.target(doc), summary=view.summary_text(doc),
        counts=doc.get("summary") or {}, source=source, checks=doc.get("checks") or [],
        findings=numbered, cert_columns=view.CERT_COLUMNS, mapping_columns=view.MAPPING_COLUMNS,
        acm_columns=view.ACM_COLUMNS, failure_columns=view.FAILURE_COLUMNS,
        check_mark=view.CHECK_MARK, **_sections(doc))


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page."""
    from mtls_doctor.report.json import document

    return render_html_document(document(report))
