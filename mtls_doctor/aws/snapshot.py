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
    AwsFailure,
    DomainFacts,
    Mapping,
    Mtls,
    TruststoreObject,
)
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


def _s(d: dict[str, Any], key: str, *, required: bool = False) -> Any:
    """A text field: a string (or null), anything else makes the snapshot unreadable."""
    value = d.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} must be text, not {type(value).__name__}")
    return value


def _dt(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _acm(d: dict[str, Any]) -> AcmCertificate:
    return AcmCertificate(
        arn=d["arn"], status=_s(d, "status"), type=d.get("type"), subject=d.get("subject"),
        issuer=d.get("issuer"), domain_name=d.get("domain_name"), sans=tuple(d.get("sans") or ()),
        not_before=_dt(d.get("not_before")), not_after=_dt(d.get("not_after")),
        renewal_status=d.get("renewal_status"), renewal_reason=d.get("renewal_reason"),
        in_use_by=tuple(d.get("in_use_by") or ()), key_algorithm=d.get("key_algorithm"))


def loads(text: str, source: str = "snapshot") -> DomainFacts:
    """Facts from a snapshot document; a malformed one stops the command with one line."""
    try:
        doc = json.loads(text)
        if doc.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} document")
        d = doc["domain"]
        m = d.get("mtls")
        ts = d.get("truststore_object")
        return DomainFacts(
            name=_s(d, "name", required=True), region=_s(d, "region"),
            region_source=d.get("region_source", "snapshot"),
            found=bool(d.get("found")), api_type=_s(d, "api_type"),
            endpoint_type=_s(d, "endpoint_type"), status=_s(d, "status"),
            status_message=_s(d, "status_message"), security_policy=_s(d, "security_policy"),
            certificate_arn=_s(d, "certificate_arn"),
            ownership_verification_certificate_arn=_s(d, "ownership_verification_certificate_arn"),
            regional_domain_name=_s(d, "regional_domain_name"),
            hosted_zone_id=_s(d, "hosted_zone_id"),
            mtls=Mtls(m["truststore_uri"], m.get("truststore_version"),
                      tuple(m.get("truststore_warnings") or ())) if m else None,
            mappings=tuple(Mapping(x["api_id"], x.get("stage"), x.get("base_path", "(none)"),
                                   x.get("execute_api_endpoint_disabled"), x.get("api_name"),
                                   x.get("api_type", "rest")) for x in d.get("mappings") or ()),
            mappings_read=bool(d.get("mappings_read")),
            certificates={k: _acm(v) for k, v in (d.get("certificates") or {}).items()},
            issuer_conflicts=tuple(_acm(x) for x in d.get("issuer_conflicts") or ()),
            truststore_object=TruststoreObject(
                ts["bucket"], ts["key"], ts.get("versioning", "unknown"), ts.get("latest_version"),
                ts.get("configured_version"), _dt(ts.get("latest_modified")),
                _dt(ts.get("configured_modified")),
                base64.b64decode(ts["content"]) if ts.get("content") else None) if ts else None,
            dns_addresses=tuple(d.get("dns_addresses") or ()),
            dns_canonical=_s(d, "dns_canonical"),
            regional_addresses=tuple(d.get("regional_addresses") or ()),
            failures=tuple(AwsFailure(f["call"], f["action"], f["code"], f["message"], f["kind"])
                           for f in d.get("failures") or ()),
            account_id=_s(d, "account_id"),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{source}: not a readable AWS snapshot ({exc})") from None
