"""A whole scan in one file (`scan --save FILE`, `scan --aws-snapshot FILE`): the accounts and
how each was reached, each account/region listing, and every domain's facts in the single-domain
snapshot format of `aws/snapshot.py` (one document each), so support can replay the scan and
its rules without AWS. No secrets: assumed credentials and the external id are never kept."""

from __future__ import annotations

import json
from typing import Any

from mtls_doctor.aws.snapshot import dumps as dump_domain
from mtls_doctor.aws.snapshot import loads as load_domain
from mtls_doctor.aws.snapshot import read_attempt as _attempt
from mtls_doctor.aws.snapshot import reason
from mtls_doctor.aws.snapshot import text_field as _text
from mtls_doctor.errors import InputError
from mtls_doctor.fleet.model import AccountResult, Discovered, RegionResult
from mtls_doctor.fleet.scan import ScanFacts
from mtls_doctor.report.json import to_primitive

FORMAT = "mtls-doctor/aws-scan-snapshot/v1"


def dumps(facts: ScanFacts) -> str:
    """The scan's facts as one JSON document."""
    doc = {
        "format": FORMAT,
        "timeout": facts.timeout,
        "organization": to_primitive(facts.organization),
        "accounts": to_primitive(facts.accounts),
        "regions": to_primitive(facts.regions),
        "domains": [{"where": to_primitive(where),
                     "snapshot": json.loads(dump_domain(f)) if f is not None else None}
                    for where, f in facts.domains],
    }
    return json.dumps(doc, indent=1, ensure_ascii=True) + "\n"


def _objects(doc: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = doc.get(key)
    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
        raise ValueError(f"{key} must be a list of objects")
    return items


def loads(text: str, source: str = "snapshot") -> ScanFacts:
    """A scan's facts from its snapshot; a malformed one is bad input (exit 2)."""
    try:
        doc = json.loads(text)
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} document")
        timeout = doc.get("timeout") or 0.0
        if not isinstance(timeout, int | float) or isinstance(timeout, bool):
            raise ValueError("timeout must be a number")
        accounts = [AccountResult(_text(a, "label", required=True), _text(a, "account_id"),
                                  _text(a, "source", required=True), _attempt(a.get("attempt")),
                                  _text(a, "role_arn"), _text(a, "name"))
                    for a in _objects(doc, "accounts")]
        regions = []
        for r in _objects(doc, "regions"):
            attempts = r.get("attempts")
            if not isinstance(attempts, list):
                raise ValueError("a region's attempts must be a list")
            domains = r.get("domains", 0)
            if not isinstance(domains, int) or isinstance(domains, bool):
                raise ValueError("a region's domains must be a number")
            regions.append(RegionResult(_text(r, "account", required=True), _text(r, "account_id"),
                                        _text(r, "region", required=True),
                                        tuple(_attempt(a) for a in attempts), domains))
        found = []
        for entry in _objects(doc, "domains"):
            w = entry.get("where")
            if not isinstance(w, dict):
                raise ValueError("a domain's where must be an object")
            apis = w.get("api_types") or []
            if not isinstance(apis, list) or not all(isinstance(x, str) for x in apis):
                raise ValueError("api_types must be a list of strings")
            where = Discovered(_text(w, "account", required=True), _text(w, "account_id"),
                               _text(w, "region", required=True), _text(w, "name", required=True),
                               tuple(apis), _text(w, "endpoint_type"), _text(w, "domain_name_id"))
            snap = entry.get("snapshot")
            found.append((where, load_domain(json.dumps(snap), source)
                          if snap is not None else None))
        org = doc.get("organization")
        return ScanFacts(accounts, regions, found, _attempt(org) if org is not None else None,
                         float(timeout))
    except RecursionError:
        raise InputError(f"{source}: not a readable scan snapshot (its JSON is nested deeper "
                         "than any snapshot is)") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{source}: not a readable scan snapshot ({reason(exc)})") from None


def load_snapshot(path: str) -> ScanFacts:
    """Read and check a scan snapshot file (`scan --aws-snapshot`): exit 2 when it is missing,
    unreadable, oversized or malformed."""
    from mtls_doctor.source import read_file

    return loads(read_file(path, "scan snapshot").data.decode("utf-8", "replace"), path)
