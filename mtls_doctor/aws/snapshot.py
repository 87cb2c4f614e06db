"""Save the AWS facts of a domain to JSON and read them back (`--save`, `--aws-snapshot`), so a
person can send their state to a colleague and the demo can ship one. No secrets are in the
facts: ARNs, names, statuses, and the truststore's public certificates."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from mtls_doctor.errors import InputError
from mtls_doctor.model.domain import (
    AcmCertificate,
    Authorizers,
    DomainFacts,
    Mapping,
    Mtls,
    RoutingRule,
    Stage,
    TruststoreObject,
)
from mtls_doctor.model.evidence import Attempt, Status
from mtls_doctor.report.json import to_primitive

FORMAT = "mtls-doctor/aws-snapshot/v1"


def dumps(facts: DomainFacts) -> str:
    """The facts as a JSON document."""
    doc = to_primitive(facts)
    ts = facts.truststore_object
    if ts is not None and doc.get("truststore_object") is not None:
        doc["truststore_object"]["content"] = (base64.b64encode(ts.content).decode("ascii")
                                               if ts.content is not None else None)
    return json.dumps({"format": FORMAT, "domain": doc}, indent=2) + "\n"


def text_field(d: dict[str, Any], key: str, *, required: bool = False) -> Any:
    """A text field: a string (or null), anything else makes the snapshot unreadable."""
    value = d.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} must be text, not {type(value).__name__}")
    return value


_s = text_field  # the many fields below


def _dt(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _texts(d: dict[str, Any], key: str) -> tuple[str, ...]:
    """A list of text values."""
    values = d.get(key) or ()
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"{key} must be a list of text")
    return tuple(values)


def _bool(d: dict[str, Any], key: str) -> bool | None:
    value = d.get(key)
    if value is not None and not isinstance(value, bool):
        raise ValueError(f"{key} must be true, false or null")
    return value


def _int(d: dict[str, Any], key: str) -> int | None:
    value = d.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise ValueError(f"{key} must be a whole number or null")
    return value


def _rule(d: dict[str, Any]) -> RoutingRule:
    return RoutingRule(_s(d, "rule_id", required=True), _int(d, "priority"),
                       _s(d, "api_id", required=True), _s(d, "stage"), _texts(d, "base_paths"),
                       _texts(d, "headers"), _bool(d, "execute_api_endpoint_disabled"),
                       _s(d, "api_name"), _s(d, "api_type") or "rest")


def _stage(d: dict[str, Any]) -> Stage:
    found = _bool(d, "found")
    return Stage(_s(d, "api_id", required=True), _s(d, "api_type") or "rest",
                 _s(d, "stage", required=True), True if found is None else found,
                 _s(d, "access_log_destination"), _s(d, "access_log_format"),
                 _bool(d, "auto_deploy"))


def _authorizers(d: dict[str, Any]) -> Authorizers:
    count = _int(d, "unprotected_count")
    return Authorizers(_s(d, "api_id", required=True), _s(d, "api_type") or "rest",
                       bool(_bool(d, "can_check_revocation")), _texts(d, "seen"),
                       _texts(d, "unprotected"), count or 0)


def _list(d: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """A list of objects."""
    values = d.get(key) or []
    if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
        raise ValueError(f"{key} must be a list of objects")
    return values


def _acm(d: dict[str, Any]) -> AcmCertificate:
    return AcmCertificate(
        arn=_s(d, "arn", required=True), status=_s(d, "status"), type=_s(d, "type"),
        subject=_s(d, "subject"), issuer=_s(d, "issuer"), domain_name=_s(d, "domain_name"),
        sans=_texts(d, "sans"), not_before=_dt(d.get("not_before")),
        not_after=_dt(d.get("not_after")), renewal_status=_s(d, "renewal_status"),
        renewal_reason=_s(d, "renewal_reason"), in_use_by=_texts(d, "in_use_by"),
        key_algorithm=_s(d, "key_algorithm"), serial=_s(d, "serial"))


#: facts read since the first snapshots were written
_LATER_FACTS = ("routing_rules", "stages", "authorizers")
#: the status of a failed call in snapshots written before attempts were recorded
_LEGACY_KINDS = {"access_denied": Status.DENIED, "endpoint": Status.UNREACHABLE}


def read_attempt(d: Any) -> Attempt:
    """A recorded AWS call (an `Attempt`), as `to_primitive` wrote it."""
    if not isinstance(d, dict):
        raise ValueError("an attempt must be an object")
    return Attempt(_s(d, "call", required=True), Status(_s(d, "status", required=True)),
                   _s(d, "reason") or "", _s(d, "action") or "", _s(d, "code") or "",
                   _s(d, "region"))


def _record(d: dict[str, Any]) -> tuple[tuple[Attempt, ...], dict[str, Attempt]]:
    """The calls and the facts they collected. A snapshot without them (written before they
    were recorded, or built by hand, as the demo's is) holds only its content: the facts it
    shows are taken as collected."""
    if d.get("evidence"):
        attempts = tuple(read_attempt(a) for a in d.get("attempts") or ())
        evidence = {str(k): read_attempt(v) for k, v in d["evidence"].items()}
        if d.get("found"):
            for fact in _LATER_FACTS:  # a snapshot written before these were read
                evidence.setdefault(fact, Attempt(
                    fact, Status.SKIPPED, "not in this snapshot (an older mtls-doctor wrote it)"))
        return attempts, evidence
    attempts = tuple(read_attempt(a) for a in d.get("attempts") or ()) or tuple(
        Attempt(_s(f, "call", required=True),
                _LEGACY_KINDS.get(_s(f, "kind") or "") or Status(_s(f, "kind") or "error"),
                _s(f, "message") or "", _s(f, "action") or "", _s(f, "code") or "")
        for f in d.get("failures") or ())
    found = d.get("found")
    domain = (Attempt("domain", Status.OK) if found else
              Attempt("domain", Status.NOT_FOUND, "the snapshot says it was not found"))
    evidence = {"domain": domain}
    if not found:
        return attempts, evidence

    def shown(fact: str, present: Any, absent: str) -> None:
        evidence[fact] = (Attempt(fact, Status.OK, "from the snapshot") if present
                          else Attempt(fact, Status.SKIPPED, absent))

    shown("certificate", d.get("certificate_arn"), "none configured")
    shown("ownership_certificate", d.get("ownership_verification_certificate_arn"),
          "none configured")
    shown("issuer_conflicts", d.get("certificate_arn"), "no domain certificate")
    mtls = d.get("truststore_object") if d.get("mtls") else None
    shown("truststore_object", mtls, "mutual TLS is off" if not d.get("mtls")
          else "the snapshot holds no truststore object")
    shown("truststore_versions", mtls, "no truststore object in the snapshot")
    shown("mappings", d.get("mappings_read"), "the snapshot holds no mappings")
    shown("mapped_apis", d.get("mappings") or d.get("routing_rules"), "no API is mapped")
    shown("routing_rules", d.get("routing_rules_read"), "the snapshot holds no routing rules")
    shown("stages", d.get("stages"), "the snapshot holds no stage settings")
    shown("authorizers", d.get("authorizers"), "the snapshot holds no authorizers")
    shown("dns", d.get("dns_addresses") and d.get("regional_domain_name"),
          "the snapshot holds no DNS answer to compare")
    return attempts, evidence


def loads(text: str, source: str = "snapshot") -> DomainFacts:
    """Facts from a snapshot document; a malformed one stops the command with one line."""
    try:
        doc = json.loads(text)
        if doc.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} document")
        d = doc["domain"]
        attempts, evidence = _record(d)
        found = d.get("found")
        if found is not None and not isinstance(found, bool):
            raise ValueError("found must be true, false or null")
        m = d.get("mtls")
        ts = d.get("truststore_object")
        return DomainFacts(
            name=_s(d, "name", required=True), region=_s(d, "region"),
            region_source=d.get("region_source", "snapshot"),
            found=found, api_type=_s(d, "api_type"),
            endpoint_type=_s(d, "endpoint_type"), status=_s(d, "status"),
            status_message=_s(d, "status_message"), security_policy=_s(d, "security_policy"),
            certificate_arn=_s(d, "certificate_arn"),
            ownership_verification_certificate_arn=_s(d, "ownership_verification_certificate_arn"),
            regional_domain_name=_s(d, "regional_domain_name"),
            hosted_zone_id=_s(d, "hosted_zone_id"),
            mtls=Mtls(_s(m, "truststore_uri", required=True), _s(m, "truststore_version"),
                      _texts(m, "truststore_warnings")) if m else None,
            mappings=tuple(Mapping(_s(x, "api_id", required=True), _s(x, "stage"),
                                   _s(x, "base_path") or "(none)",
                                   _bool(x, "execute_api_endpoint_disabled"), _s(x, "api_name"),
                                   _s(x, "api_type") or "rest") for x in d.get("mappings") or ()),
            mappings_read=bool(d.get("mappings_read")),
            certificates={k: _acm(v) for k, v in (d.get("certificates") or {}).items()},
            issuer_conflicts=tuple(_acm(x) for x in d.get("issuer_conflicts") or ()),
            truststore_object=TruststoreObject(
                _s(ts, "bucket", required=True), _s(ts, "key", required=True),
                _s(ts, "versioning") or "unknown", _s(ts, "latest_version"),
                _s(ts, "configured_version"), _dt(ts.get("latest_modified")),
                _dt(ts.get("configured_modified")),
                base64.b64decode(ts["content"]) if ts.get("content") else None,
                _s(ts, "latest_delete_marker")) if ts else None,
            dns_addresses=_texts(d, "dns_addresses"),
            dns_canonical=_s(d, "dns_canonical"),
            regional_addresses=_texts(d, "regional_addresses"),
            attempts=attempts,
            account_id=_s(d, "account_id"),
            evidence=evidence,
            also_found_in=_texts(d, "also_found_in"),
            domain_name_id=_s(d, "domain_name_id"), routing_mode=_s(d, "routing_mode"),
            endpoint_access_mode=_s(d, "endpoint_access_mode"),
            ip_address_type=_s(d, "ip_address_type"),
            routing_rules=tuple(_rule(x) for x in _list(d, "routing_rules")),
            routing_rules_read=bool(d.get("routing_rules_read")),
            stages=tuple(_stage(x) for x in _list(d, "stages")),
            authorizers=tuple(_authorizers(x) for x in _list(d, "authorizers")),
        )
    except RecursionError:
        # json.loads (and repr) stop at Python's recursion limit: a snapshot is 5 levels deep
        raise InputError(f"{source}: not a readable AWS snapshot (its JSON is nested deeper "
                         "than any snapshot is)") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{source}: not a readable AWS snapshot ({reason(exc)})") from None


def reason(exc: Exception) -> str:
    """The error's first line, short: it may quote the snapshot's (outside) text."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "..."


def load_snapshot(path: str) -> DomainFacts:
    """Read and check a snapshot file (`--aws-snapshot`): a missing, unreadable, oversized or
    malformed one (deeply nested JSON included) stops the command with one line (exit 2)."""
    from mtls_doctor.source import read_file

    return loads(read_file(path, "AWS snapshot").data.decode("utf-8", "replace"), path)
