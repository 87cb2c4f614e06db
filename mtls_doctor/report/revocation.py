"""`verify-client --revocation` as a view section: the decision, the serial and issuer it is
about, and each CRL distribution point and OCSP responder the certificate names, with what it
answered and why (or why it was not asked). Built from the typed `RevocationResult`, as plain
strings (each renderer makes outside text safe; `--redact` hides the URLs before the view is
built)."""

from __future__ import annotations

from datetime import datetime

from mtls_doctor.pki.revocation import (
    MAX_URLS,
    RevocationResult,
    RevocationState,
    SourceAnswer,
    SourceUrl,
)
from mtls_doctor.report.certs import colon_hex
from mtls_doctor.report.parts import Facts, Part, Row, Section, Table, TableRow

SOURCE_COLUMNS = ("Source", "Answer", "Why")
_KIND = {"crl": "CRL", "ocsp": "OCSP"}
_STATE_TONE = {RevocationState.GOOD: "ok", RevocationState.REVOKED: "bad",
               RevocationState.UNKNOWN: "warn"}


def _when(dt: datetime | None) -> str:
    return "?" if dt is None else f"{dt:%Y-%m-%d %H:%M} UTC"


def _lead(r: RevocationResult) -> tuple[str, str]:
    if r.state is RevocationState.REVOKED:
        return ("REVOKED — its CA says so, and API Gateway would still let it in (it never "
                "checks revocation; only an authorizer can)"), "bad"
    if r.state is RevocationState.GOOD:
        return "not revoked — a verified CRL or OCSP answer says so", "ok"
    return "unknown — no CRL or OCSP source gave a verified answer", "warn"


def _answer(a: SourceAnswer) -> str:
    if a.state is RevocationState.REVOKED:
        reason = f", {a.revocation_reason}" if a.revocation_reason else ""
        return f"revoked ({_when(a.revoked_at)}{reason})" if a.revoked_at else "revoked"
    if a.state is RevocationState.GOOD:
        return "good"
    return "unknown" if a.status.value == "ok" else f"unknown ({a.status.value.replace('_', ' ')})"


def _not_asked(s: SourceUrl) -> str:
    """Why a source the certificate names was not asked."""
    if not s.url.lower().startswith(("http://", "https://")):
        return "only http and https URLs are fetched"
    return f"only the first {MAX_URLS} URLs of each kind are asked"


def _source(kind: str, url: str) -> str:
    """`CRL http://...`, `OCSP http://...`."""
    return f"{_KIND.get(kind, kind)} {url}"


def source_rows(r: RevocationResult) -> list[TableRow]:
    """Each source the certificate names (`CRL URL`, `OCSP URL`), its answer and why, in the
    order named;
    an asked source with no answer (nothing could be verified) says the result's note."""
    answers: dict[tuple[str, str], SourceAnswer] = {(a.kind, a.url): a for a in r.answers}
    rows: list[TableRow] = []
    for s in r.sources:
        source = _source(s.kind, s.url)
        a = answers.pop((s.kind, s.url), None)
        if a is not None:
            rows.append(TableRow((source, _answer(a), a.detail), _STATE_TONE[a.state]))
        elif not s.asked:
            rows.append(TableRow((source, "not asked", _not_asked(s))))
        else:
            rows.append(TableRow((source, "not asked", r.note or "?"), "warn"))
    for a in answers.values():  # an answer for a source the list does not hold
        rows.append(TableRow((_source(a.kind, a.url), _answer(a), a.detail),
                             _STATE_TONE[a.state]))
    return rows


def revocation_section(r: RevocationResult) -> Section:
    """Whether the client certificate's CA revoked it, and what each source said."""
    lead, tone = _lead(r)
    facts = [Row("serial", colon_hex(r.serial) if r.serial else "?")]
    if r.issuer:
        facts.append(Row("issuer", r.issuer + (f" ({r.issuer_location})"
                                               if r.issuer_location else "")))
    elif r.serial:
        facts.append(Row("issuer", "not found (neither the truststore nor the certificates the "
                                   "client sends hold it)", "warn"))
    if r.note:
        facts.append(Row("note", r.note, "warn" if r.state is RevocationState.UNKNOWN else ""))
    parts: list[Part] = [Facts("", tuple(facts))]
    rows = source_rows(r)
    if rows:
        parts.append(Table("Sources", SOURCE_COLUMNS, tuple(rows)))
    return Section("revocation", "Revocation (CRL and OCSP)", tuple(parts), lead, tone)
