"""Find the custom domains of one account in one region: GetDomainNames of the REST API
(`apigateway`, which also lists the account's private custom domains with their
`domainNameId`) and of `apigatewayv2`, every page, both at once. A listing that fails is the
region's result ("could not list: throttled"), never "no domains"."""

from __future__ import annotations

from typing import Any

from mtls_doctor.aws.calls import spawn
from mtls_doctor.aws.fleet import FleetAws, Listed
from mtls_doctor.fleet.model import AccountResult, Discovered, RegionResult
from mtls_doctor.model.evidence import Attempt, Status


def _rest_items(c: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in c.get_paginator("get_domain_names").paginate(resourceOwner="SELF"):
        out.extend(page.get("items") or [])
    return out


def _http_items(c: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in c.get_paginator("get_domain_names").paginate():
        out.extend(page.get("Items") or [])
    return out


def _not_enabled(service: str, region: str) -> Attempt:
    return Attempt(f"{service}.GetDomainNames", Status.REGION_NOT_ENABLED,
                   f"{region} is an opt-in region not enabled for this account",
                   "apigateway:GET", region=region)


def _name(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().rstrip(".").lower()


def discover(aws: FleetAws, account: AccountResult, region: str
             ) -> tuple[list[tuple[Discovered, Listed]], RegionResult]:
    """Every custom domain of the account in `region`, by name (a private domain by name and
    id), with the APIs that list it and their items (which `collect_domain` reads instead of
    asking for the domain again); and how the two listings went."""
    # the account's credentials were just proven (caller identity or AssumeRole), so a region
    # that does not recognise them is an opt-in region the account has not enabled
    rest_f = spawn(lambda: aws.attempt("apigateway", region, "GetDomainNames", "apigateway:GET",
                                       _rest_items,
                                       unrecognised=_not_enabled("apigateway", region)))
    http_f = spawn(lambda: aws.attempt("apigatewayv2", region, "GetDomainNames",
                                       "apigateway:GET", _http_items,
                                       unrecognised=_not_enabled("apigatewayv2", region)))
    rest, rest_a = rest_f.result()  # each attempt is bound by the deadline itself
    http, http_a = http_f.result()
    found: dict[tuple[str, str | None], dict[str, Any]] = {}
    for item in rest or []:
        name = _name(item.get("domainName"))
        if name is None:
            continue
        types = (item.get("endpointConfiguration") or {}).get("types") or [None]
        endpoint = str(types[0]) if types[0] else None
        private_id = item.get("domainNameId") if str(endpoint).upper() == "PRIVATE" else None
        entry = found.setdefault((name, private_id), {"apis": [], "endpoint": endpoint})
        entry["apis"].append("rest")
        entry.setdefault("rest", item)
    for item in http or []:
        name = _name(item.get("DomainName"))
        if name is None:
            continue
        configs = item.get("DomainNameConfigurations") or [{}]
        entry = found.setdefault((name, None), {"apis": [], "endpoint":
                                                configs[0].get("EndpointType")})
        entry["apis"].append("http")
        entry.setdefault("http", item)
    domains = [(Discovered(account.label, account.account_id, region, name, tuple(e["apis"]),
                           e["endpoint"], private_id),
                Listed(e.get("rest"), e.get("http"), rest_a, http_a))
               for (name, private_id), e in sorted(found.items(), key=lambda kv: (kv[0][0],
                                                                                   kv[0][1] or ""))]
    return domains, RegionResult(account.label, account.account_id, region, (rest_a, http_a),
                                 len(domains))
