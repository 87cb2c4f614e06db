"""What a finished report says about the facts the walkthrough trees read (`walkthroughs.FACTS`),
and every certificate it holds. Pure functions of the report's payload: no textual, no I/O.

`report_facts` only sets a fact the payload really decides; a fact it cannot tell is left out, so
that the walkthrough asks the question instead of guessing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mtls_doctor.model.certificate import CertSummary
from mtls_doctor.model.probe import ErrorKind, ProbeResult
from mtls_doctor.model.report import Report
from mtls_doctor.model.verdict import Verdict, VerdictReason
from mtls_doctor.report.json import as_mapping
from mtls_doctor.safe import safe_names

_EXPIRED = {VerdictReason.EXPIRED, VerdictReason.NOT_YET_VALID}
_WEAK = {VerdictReason.WEAK_SIGNATURE_HASH, VerdictReason.WEAK_KEY, VerdictReason.UNSUPPORTED_KEY}


def _probe_facts(probe: ProbeResult) -> dict[str, Any]:
    facts: dict[str, Any] = {"host": probe.host, "port": probe.port,
                             "tls_version": probe.tls_version}
    error = probe.error
    if error is not None and error.kind is ErrorKind.TLS_ALERT:
        facts["alert"] = error.alert or probe.client_certificate.alert
    elif probe.client_certificate.alert:
        facts["alert"] = probe.client_certificate.alert
    elif error is None and probe.tls_version is not None:
        facts["alert"] = "none"  # the handshake went through
    facts["client_cert_requested"] = probe.client_auth.requested
    if probe.tls_version is not None:
        facts["client_cert_presented"] = probe.client_certificate.presented
    if probe.http is not None:
        facts["http_status"] = probe.http.status
    if probe.served_chain:
        leaf = probe.served_chain[0]
        facts["served_names"] = list(leaf.sans)
        if leaf.validity is not None:
            facts["served_cert_expired"] = leaf.validity.status == "expired"
    if probe.hostname_match is not None:
        facts["served_cert_covers_host"] = probe.hostname_match.matches
    if probe.chain is not None:
        facts["served_chain_complete"] = probe.chain.complete
        facts["served_cert_trusted"] = probe.chain.trusted
    return facts


def _domain_facts(domain: Mapping[str, Any]) -> dict[str, Any]:
    facts: dict[str, Any] = {"domain": domain.get("name"), "region": domain.get("region")}
    if not domain.get("found"):
        return facts
    for key in ("status", "endpoint_type", "security_policy", "api_type", "certificate_arn"):
        facts[key] = domain.get(key)
    mtls = domain.get("mtls")
    mtls = mtls if isinstance(mtls, Mapping) else {}
    facts["mtls_enabled"] = bool(mtls.get("truststore_uri"))
    if facts["mtls_enabled"]:
        facts["truststore_warning_count"] = len(mtls.get("truststore_warnings") or ())
    ownership = domain.get("ownership_verification_certificate_arn")
    facts["ownership_cert_present"] = bool(ownership)
    facts["ownership_arn"] = ownership
    certificates = domain.get("certificates")
    cert = certificates.get(facts["certificate_arn"]) if isinstance(certificates, Mapping) else None
    if isinstance(cert, Mapping):
        facts["certificate_type"] = cert.get("type")
        if cert.get("status"):
            facts["domain_cert_issued"] = cert.get("status") == "ISSUED"
    if domain.get("mappings_read"):
        mappings = [m for m in domain.get("mappings") or () if isinstance(m, Mapping)]
        facts["execute_api_enabled"] = any(not m.get("execute_api_endpoint_disabled")
                                           for m in mappings)
        if mappings:
            facts.update(api_id=mappings[0].get("api_id"), stage=mappings[0].get("stage"))
    ts = domain.get("truststore_object")
    if isinstance(ts, Mapping):
        latest, configured = ts.get("latest_version"), ts.get("configured_version")
        facts.update(bucket=ts.get("bucket"), key=ts.get("key"), version=configured,
                     new_version=latest)
        if latest and configured:
            facts["truststore_stale"] = latest != configured
        if ts.get("versioning"):
            facts["versioning_enabled"] = ts.get("versioning") == "Enabled"
    return facts


def _verdict_facts(verdict: Verdict) -> dict[str, Any]:
    reasons = {p.reason for p in verdict.problems} | ({verdict.reason} if not verdict.accepted
                                                      else set())
    facts: dict[str, Any] = {"verdict_reason": str(verdict.reason)}
    if VerdictReason.MALFORMED in reasons:
        return facts
    facts["client_issuer_in_truststore"] = VerdictReason.ISSUER_NOT_IN_TRUSTSTORE not in reasons
    facts["client_expired"] = bool(reasons & _EXPIRED)
    facts["client_weak_algorithm"] = bool(reasons & _WEAK)
    return facts


def report_facts(report: Report | None) -> dict[str, Any]:
    """The walkthrough facts (and fix placeholders) a report's payload decides; None left out."""
    facts: dict[str, Any] = {}
    if report is None:
        return facts
    payload = report.payload
    probe = payload.get("probe")
    if isinstance(probe, ProbeResult):
        facts.update(_probe_facts(probe))
    domain = as_mapping(payload.get("domain"))
    if isinstance(domain, Mapping):
        facts.update(_domain_facts(domain))
    verdict = payload.get("verdict")
    if isinstance(verdict, Verdict):
        facts.update(_verdict_facts(verdict))
    client = payload.get("client_certificate")
    if isinstance(client, CertSummary):
        facts["client_self_signed"] = client.self_signed
    return {k: v for k, v in facts.items() if v is not None}


def report_certificates(report: Report | None) -> list[tuple[str, CertSummary]]:
    """Every certificate in the report, each with where it came from: the served chain, the
    client certificate (and the chain it sent), the truststore entries."""
    out: list[tuple[str, CertSummary]] = []
    if report is None:
        return out
    payload = report.payload
    probe = payload.get("probe")
    if isinstance(probe, ProbeResult):
        out += [("served", c) for c in probe.served_chain]
    client = payload.get("client_certificate")
    if isinstance(client, CertSummary):
        out.append(("client", client))
    sent = payload.get("sent_chain")
    if isinstance(sent, tuple | list):
        out += [("client chain", c) for c in sent if isinstance(c, CertSummary)]
    truststore = payload.get("truststore")
    if isinstance(truststore, Mapping):
        certs = truststore.get("certificates")
        if isinstance(certs, tuple | list):
            out += [("truststore", c) for c in certs if isinstance(c, CertSummary)]
    return out


def certificate_fields(cert: CertSummary) -> list[tuple[str, str]]:
    """One certificate as `openssl x509 -text` would tell it, as (field, value) rows."""
    rows: list[tuple[str, str]] = [
        ("Location", cert.location),
        ("Version", str(cert.version)),
        ("Serial", cert.serial),
        ("Subject", cert.subject),
        ("Issuer", cert.issuer),
        ("Not before", cert.not_before.isoformat() if cert.not_before else "-"),
        ("Not after", cert.not_after.isoformat() if cert.not_after else "-"),
    ]
    if cert.validity is not None:
        rows.append(("Validity", f"{cert.validity.status}, {cert.validity.days_left} day(s) left"))
    key = cert.key.type + (f" {cert.key.bits} bit" if cert.key.bits else "") + (
        f" ({cert.key.curve})" if cert.key.curve else "")
    rows += [
        ("Public key", key),
        ("Signature", cert.signature_algorithm + (f" (hash {cert.signature_hash})"
                                                  if cert.signature_hash else "")),
        ("SANs", safe_names(cert.sans) or "-"),
        ("CA", f"{'yes' if cert.is_ca else 'no'}"
               + (", self-signed" if cert.self_signed else "")
               + (f", pathlen {cert.basic_constraints.path_len}"
                  if cert.basic_constraints.path_len is not None else "")),
        ("Key usage", ", ".join(cert.key_usage) if cert.key_usage else "-"),
        ("Extended key usage", ", ".join(cert.extended_key_usage)
         if cert.extended_key_usage else "-"),
        ("Subject key id", cert.ski or "-"),
        ("Authority key id", cert.aki or "-"),
    ]
    for ext in cert.extensions:
        rows.append((f"Extension {ext.name}",
                     f"{ext.oid}{' critical' if ext.critical else ''}"
                     + (f": {ext.value}" if ext.value else "")))
    if cert.nonstandard:
        rows.append(("Nonstandard", "; ".join(cert.nonstandard)))
    if cert.malformed:
        rows.append(("Malformed", cert.malformed))
    rows.append(("SHA-256 fingerprint", cert.sha256_fingerprint))
    return rows


def certificate_matches(source: str, cert: CertSummary, needle: str) -> bool:
    """Whether the filter text is a substring (any case) of the certificate's names, serial,
    fingerprint, SANs or source; an empty filter matches everything."""
    needle = needle.strip().lower()
    if not needle:
        return True
    hay = " ".join((source, cert.subject, cert.issuer, cert.serial, cert.sha256_fingerprint,
                    cert.location, *cert.sans)).lower()
    return needle in hay
