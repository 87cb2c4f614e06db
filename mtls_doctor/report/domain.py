"""The custom domain as a view section: what AWS says about it (one fact a row), how requests
reach APIs (its mappings and routing rules, each with the execute-api endpoint of the API it
names), the access logging of the stages they lead to, the authorizers that could check a
client certificate's revocation, its ACM certificates, and the AWS calls that failed. Built from
the typed `DomainFacts`, as plain strings (each renderer makes outside text safe)."""

from __future__ import annotations

from collections.abc import Sequence

from mtls_doctor.aws.findings_served import LOG_NEEDS
from mtls_doctor.model.domain import (
    AcmCertificate,
    Authorizers,
    DomainFacts,
    Mapping,
    RoutingRule,
    Stage,
    TruststoreObject,
)
from mtls_doctor.report.certs import colon_hex
from mtls_doctor.report.parts import Facts, Part, Row, Section, Table, TableRow
from mtls_doctor.safe import safe_names

_REGION_SOURCE = {"option": "--region", "dns": "DNS", "profile": "the profile",
                  "scan": "the region scan", "snapshot": "the snapshot"}
#: what a domain's `api_type` is called (a WebSocket domain is never an "HTTP API")
API_KIND = {"rest": "REST API", "http": "HTTP API", "websocket": "WebSocket API"}
#: an API's kind in a table cell
API_TYPE = {"rest": "REST", "http": "HTTP", "websocket": "WebSocket"}
#: how each routing mode sends requests to APIs (AWS's RoutingMode values)
ROUTING_MODE = {
    "BASE_PATH_MAPPING_ONLY": "base path mappings only",
    "API_MAPPING_ONLY": "API mappings only",
    "ROUTING_RULE_ONLY": "routing rules only (the mappings are not used)",
    "ROUTING_RULE_THEN_BASE_PATH_MAPPING": "routing rules first, then the base path mappings",
    "ROUTING_RULE_THEN_API_MAPPING": "routing rules first, then the API mappings",
}
MAPPING_COLUMNS = ("Base path", "API", "Type", "Stage", "execute-api endpoint")
RULE_COLUMNS = ("Priority", "Rule", "Conditions", "API", "Type", "Stage",
                "execute-api endpoint")
STAGE_COLUMNS = ("API", "Type", "Stage", "Access log", "Format", "Auto deploy")
AUTHORIZER_COLUMNS = ("API", "Type", "Can check revocation", "Authorization seen",
                      "Routes without a Lambda authorizer")
ACM_COLUMNS = ("ARN", "Type", "Status", "Domain", "Serial", "Not after", "Renewal")
FAILURE_COLUMNS = ("Call", "IAM action", "Code", "Why")


def api_kind(api_type: str | None) -> str:
    """`REST API`, `HTTP API`, `WebSocket API`, or `API` when not known."""
    return API_KIND.get(api_type or "", "API")


def _api_type(api_type: str | None) -> str:
    return API_TYPE.get(api_type or "", api_type or "?")


def _lead(d: DomainFacts) -> tuple[str, str]:
    how = _REGION_SOURCE.get(d.region_source, d.region_source)
    where = f"{d.region}, region from {how}" if d.region else "no region known"
    if d.found is False:
        return f"{d.name} — no such custom domain ({where})", "bad"
    if not d.found:
        looked = d.evidence.get("domain")
        why = "" if looked is None else looked.status.value.replace("_", " ") + (
            f" ({looked.reason})" if looked.reason else "")
        return f"{d.name} — could not be read ({where})" + (f": {why}" if why else ""), "warn"
    private = " private" if (d.endpoint_type or "").upper() == "PRIVATE" else ""
    return f"{d.name} — {api_kind(d.api_type)}{private} custom domain ({where})", ""


# -- the facts, one a row ------------------------------------------------------------------------


def _truststore_object(ts: TruststoreObject, pinned: bool) -> Row:
    latest, configured = ts.latest_version, ts.configured_version
    stale = bool(latest and configured and latest != configured)
    text = (f"s3://{ts.bucket}/{ts.key}, versioning {ts.versioning}, configured "
            f"{configured or '-'}, latest {latest or '-'}")
    tone = "warn" if stale else ""
    if ts.latest_delete_marker:
        # deleted at latest: an unpinned domain's next update has nothing to read
        text += f"; the current version is a delete marker ({ts.latest_delete_marker})"
        tone = "warn" if pinned else "bad"
    return Row("truststore object", text, tone)


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
    ]
    if d.domain_name_id:
        rows.append(Row("domain name id", d.domain_name_id))
    if d.endpoint_access_mode:
        strict = d.endpoint_access_mode.upper() == "STRICT"
        rows.append(Row("endpoint access mode", d.endpoint_access_mode + (
            " (clients must send an SNI name equal to the Host header)" if strict else "")))
    if d.ip_address_type:
        rows.append(Row("IP address type", d.ip_address_type))
    policy = d.security_policy
    rows += [
        Row("security policy", policy or "?",
            "ok" if policy == "TLS_1_2" else ("bad" if policy and d.mtls is not None else "")),
        Row("regional domain name", d.regional_domain_name or "none"),
        Row("certificate", d.certificate_arn or "none"),
        Row("ownership certificate", d.ownership_verification_certificate_arn or "none"),
    ]
    if d.routing_mode:
        words = ROUTING_MODE.get(d.routing_mode.upper())
        rows.append(Row("routing mode", d.routing_mode + (f" ({words})" if words else "")))
    if d.mtls is not None:
        rows.append(Row("mTLS truststore", f"{d.mtls.truststore_uri} version "
                                           f"{d.mtls.truststore_version or 'latest'}", "ok"))
        rows += [Row("truststore warning", w, "warn") for w in d.mtls.truststore_warnings]
    else:
        rows.append(Row("mTLS", "off", "bad"))
    if d.truststore_object is not None:
        pinned = bool(d.mtls is not None and d.mtls.truststore_version)
        rows.append(_truststore_object(d.truststore_object, pinned))
    if d.dns_addresses or d.dns_canonical:
        rows.append(Row("DNS", f"{d.dns_canonical or d.name} → "
                               f"{safe_names(d.dns_addresses) or 'no address'}"))
    if d.account_id:
        rows.append(Row("account", d.account_id))
    return rows


# -- how requests reach APIs ----------------------------------------------------------------------


def _base_path(path: str) -> str:
    """`/` for API Gateway's `(none)` marker, else `/path`."""
    return "/" if path in ("(none)", "") else "/" + path.lstrip("/")


def _endpoint(disabled: bool | None) -> tuple[str, str]:
    """The execute-api endpoint's state and its tone."""
    if disabled is True:
        return "disabled", "ok"
    if disabled is False:
        return "ENABLED (bypasses mTLS)", "bad"
    return "unknown", "warn"


def _api(api_id: str, name: str | None) -> str:
    return " ".join(x for x in (name or "", api_id) if x)


def _unused(d: DomainFacts, what: str) -> str:
    return f"{what} (not used: routing mode {d.routing_mode or 'not reported, mappings only'})"


def mapping_table(d: DomainFacts) -> Table:
    """The base path (REST) or API (HTTP, WebSocket) mappings and the endpoint of each API."""
    rows = []
    for m in d.mappings:
        state, tone = _endpoint(m.execute_api_endpoint_disabled)
        rows.append(TableRow((_base_path(m.base_path), _api(m.api_id, m.api_name),
                              _api_type(m.api_type), m.stage or "-", state), tone))
    return Table("Mappings" if d.uses_mappings else _unused(d, "Mappings"), MAPPING_COLUMNS,
                 tuple(rows))


def _conditions(r: RoutingRule) -> str:
    """What a routing rule matches: its base paths and header globs, or any request."""
    parts = [_base_path(p) for p in r.base_paths] + list(r.headers)
    return safe_names(parts) if parts else "any request"


def rule_table(d: DomainFacts) -> Table:
    """The routing rules in priority order, what each matches, the API stage it invokes and
    that API's execute-api endpoint."""
    rows = []
    for r in sorted(d.routing_rules, key=lambda r: (r.priority is None, r.priority or 0)):
        state, tone = _endpoint(r.execute_api_endpoint_disabled)
        rows.append(TableRow(("-" if r.priority is None else str(r.priority), r.rule_id,
                              _conditions(r), _api(r.api_id, r.api_name), _api_type(r.api_type),
                              r.stage or "-", state), tone))
    title = "Routing rules" if d.uses_routing_rules else _unused(d, "Routing rules")
    return Table(title, RULE_COLUMNS, tuple(rows))


def _api_names(d: DomainFacts) -> dict[str, str]:
    """Each routed API's name, by its id."""
    routes: Sequence[Mapping | RoutingRule] = (*d.mappings, *d.routing_rules)
    return {r.api_id: r.api_name for r in routes if r.api_name}


def _stage_row(st: Stage, names: dict[str, str]) -> TableRow:
    api = _api(st.api_id, names.get(st.api_id))
    auto = {True: "yes", False: "no", None: "-"}[st.auto_deploy]
    if not st.found:
        return TableRow((api, _api_type(st.api_type), st.stage, "no such stage", "-", auto),
                        "bad")
    fmt = st.access_log_format or ""
    missing = [n + "*" if n.endswith(".") else n for n in LOG_NEEDS if n not in fmt]
    if not st.access_log_destination:
        log, form, tone = "off", "-", "warn"
    elif missing:
        log, form, tone = st.access_log_destination, "lacks " + ", ".join(missing), "warn"
    else:
        log, form, tone = st.access_log_destination, "client certificate and error logged", "ok"
    return TableRow((api, _api_type(st.api_type), st.stage, log, form, auto), tone)


def stage_table(d: DomainFacts) -> Table:
    """The access logging of each stage the domain sends requests to."""
    names = _api_names(d)
    return Table("Stages (access logging)", STAGE_COLUMNS,
                 tuple(_stage_row(st, names) for st in d.stages))


def _authorizer_row(a: Authorizers, names: dict[str, str]) -> TableRow:
    bare = "-"
    if a.api_type != "rest":
        named = safe_names(a.unprotected) + (" …" if a.unprotected_count > len(a.unprotected)
                                              else "")
        bare = f"{a.unprotected_count}" + (f": {named}" if a.unprotected else "")
    can = "yes" if a.can_check_revocation else "no"
    tone = "ok" if a.can_check_revocation and not a.unprotected_count else "warn"
    return TableRow((_api(a.api_id, names.get(a.api_id)), _api_type(a.api_type), can,
                     safe_names(a.seen) or "none", bare), tone)


def authorizer_table(d: DomainFacts) -> Table:
    """For each API the domain sends requests to: whether an authorizer sees the client
    certificate (API Gateway itself never checks revocation)."""
    names = _api_names(d)
    return Table("Authorizers (revocation)", AUTHORIZER_COLUMNS,
                 tuple(_authorizer_row(a, names) for a in d.authorizers))


# -- the section ---------------------------------------------------------------------------------


def _acm_row(c: AcmCertificate) -> TableRow:
    return TableRow((c.arn, c.type or "?", c.status or "?", c.domain_name or "?",
                     colon_hex(c.serial) if c.serial else "-",
                     c.not_after.strftime("%Y-%m-%d") if c.not_after else "?",
                     c.renewal_status or "-"), "ok" if c.status == "ISSUED" else "bad")


def domain_section(d: DomainFacts) -> Section:
    """The custom domain: what AWS said, its routing rules and mappings, the stages and
    authorizers behind them, its ACM certificates, the calls that failed."""
    lead, tone = _lead(d)
    parts: list[Part] = []
    rows = domain_rows(d)
    if rows:
        parts.append(Facts("", tuple(rows)))
    # in the order API Gateway reads them: routing rules come first where the mode uses them
    routing = [rule_table(d)] if d.routing_rules else []
    mapping = [mapping_table(d)] if d.mappings else []
    parts += routing + mapping if d.uses_routing_rules else mapping + routing
    if d.stages:
        parts.append(stage_table(d))
    if d.authorizers:
        parts.append(authorizer_table(d))
    acm = [*d.certificates.values(), *d.issuer_conflicts]
    if acm:
        parts.append(Table("ACM certificates", ACM_COLUMNS, tuple(_acm_row(c) for c in acm)))
    if d.failures:
        parts.append(Table("AWS calls that failed", FAILURE_COLUMNS, tuple(
            TableRow((a.call, a.action or "-", a.code or "-", a.reason or a.status.value), "warn")
            for a in d.failures)))
    return Section("domain", "Custom domain", tuple(parts), lead, tone)
