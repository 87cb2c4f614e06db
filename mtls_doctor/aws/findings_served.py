"""Rules about what the custom domain sends requests to: that something is routed at all, that no
routed API can be called around mutual TLS on its default execute-api endpoint, that each routed
stage leaves an access log a 403 can be traced in, and that some authorizer can check
revocation (API Gateway never does).

The routing mode decides what counts: the mappings unless it is ROUTING_RULE_ONLY, the routing
rules when it is ROUTING_RULE_*; routing rules count as mappings (CONTRACT.md). Pure: reads the
facts `collect` gathered, through the `Ctx` of `findings`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mtls_doctor.model.catalog import make_finding
from mtls_doctor.model.domain import Authorizers, Mapping, RoutingRule, Stage
from mtls_doctor.model.finding import Finding, Fix
from mtls_doctor.shell import Shell, aws, curl, render_all

if TYPE_CHECKING:
    from mtls_doctor.aws.findings import Ctx

#: what an access log needs to explain a 403 of a mutual TLS domain
LOG_NEEDS = ("$context.identity.clientCert.", "$context.error.message")
_LABEL = {"rest": "REST API", "http": "HTTP API", "websocket": "WebSocket API"}
#: characters a CloudWatch Logs log group name may hold
_LOG_GROUP_CHARS = re.compile(r"[^A-Za-z0-9._/#-]")


def label(api_type: str) -> str:
    """`REST API`, `HTTP API` or `WebSocket API`."""
    return _LABEL.get(api_type, "API")


def recommended_log_format(api_type: str) -> str:
    """An access log format (one JSON object per request) with what a refused mutual TLS
    request needs: the client certificate API Gateway saw, and why it refused. The
    certificate's PEM is in it (about 1.5 KB a request): `traffic` judges each client, and
    rehearses a truststore change, from it; without it, it can only count."""
    fields = {
        "requestId": "$context.requestId", "requestTime": "$context.requestTime",
        "ip": "$context.identity.sourceIp", "domainName": "$context.domainName",
        "httpMethod": "$context.httpMethod",
        "path": "$context.resourcePath" if api_type == "rest" else "$context.path",
        "status": "$context.status", "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "errorMessage": "$context.error.message", "errorType": "$context.error.responseType",
        "clientCertSubject": "$context.identity.clientCert.subjectDN",
        "clientCertIssuer": "$context.identity.clientCert.issuerDN",
        "clientCertSerial": "$context.identity.clientCert.serialNumber",
        "clientCertNotBefore": "$context.identity.clientCert.validity.notBefore",
        "clientCertNotAfter": "$context.identity.clientCert.validity.notAfter",
        "clientCertPem": "$context.identity.clientCert.clientCertPem",
    }
    return json.dumps(fields, separators=(",", ":"))


@dataclass(frozen=True)
class _Route:
    """One way requests reach an API: a mapping or a routing rule."""

    api_id: str
    api_type: str
    api_name: str | None
    disabled: bool | None
    stage: str | None
    via: str
    mapping: Mapping | None = None
    rule: RoutingRule | None = None


def _base(m: Mapping) -> str:
    return "/" if m.base_path in ("", "(none)") else "/" + m.base_path.lstrip("/")


def _rule_text(r: RoutingRule) -> str:
    match = [f"base path /{p.lstrip('/')}" for p in r.base_paths] + list(r.headers)
    when = f" ({', '.join(match)})" if match else ""
    priority = f" priority {r.priority}" if r.priority is not None else ""
    return f"routing rule {r.rule_id}{priority}{when}"


def routes(c: Ctx) -> list[_Route]:
    """Every way requests reach an API under the domain's routing mode (worked out once per
    reading of the facts)."""
    return c.memo("routes", lambda: _routes(c))


def _routes(c: Ctx) -> list[_Route]:
    f = c.facts
    out: list[_Route] = []
    if f.uses_routing_rules:
        out += [_Route(r.api_id, r.api_type, r.api_name, r.execute_api_endpoint_disabled,
                       r.stage, _rule_text(r), rule=r) for r in f.routing_rules]
    if f.uses_mappings:
        out += [_Route(m.api_id, m.api_type, m.api_name, m.execute_api_endpoint_disabled,
                       m.stage, f"{_base(m)} -> stage {m.stage or '?'}", mapping=m)
                for m in f.mappings]
    return out


# --- nothing routed ---------------------------------------------------------------------------------

def no_routes(c: Ctx) -> list[Finding]:
    """DOMAIN_NO_MAPPINGS: the lists the routing mode uses were read and are all empty."""
    f = c.facts
    if f.uses_mappings and not (f.mappings_read and not f.mappings):
        return []
    if f.uses_routing_rules and not (f.routing_rules_read and not f.routing_rules):
        return []
    mode = f.routing_mode or "API mappings only"
    if f.uses_routing_rules:
        what = "no routing rule" + (" and no API mapping" if f.uses_mappings else "")
        shells: list[Shell] = [aws.create_routing_rule(c.ref, "<rest-api-id>", "<stage>",
                                                       "<base-path>")]
        summary = "Create a routing rule to the API's stage."
    else:
        what = "no API mappings"
        shells = [aws.create_mapping(c.ref, "<rest-api-id>" if c.rest else "<api-id>", "<stage>")]
        summary = "Create a base path mapping to the API's stage."
    if f.uses_mappings and f.uses_routing_rules:
        shells.append(aws.create_mapping(c.ref, "<rest-api-id>" if c.rest else "<api-id>",
                                         "<stage>"))
    return [make_finding(
        "DOMAIN_NO_MAPPINGS", f"{c.name} has {what}",
        f"The domain's routing mode is {mode}, and it has {what}, so every request to it gets "
        "403 or 404 whatever the client certificate.", location=c.where,
        evidence={"mappings": [], "routing_rules": [], "routing_mode": f.routing_mode},
        fix=Fix(summary, (), tuple(render_all(shells))))]


# --- execute-api ----------------------------------------------------------------------------------

def _stage_facts(c: Ctx, api_id: str, stage: str) -> Stage | None:
    return next((s for s in c.facts.stages if s.api_id == api_id and s.stage == stage), None)


def execute_api(c: Ctx) -> list[Finding]:
    """DOMAIN_EXECUTE_API_ENABLED: one per routed API whose default endpoint is on."""
    f = c.facts
    region = f.region or "<region>"
    by_api: dict[tuple[str, str], list[_Route]] = {}
    for route in routes(c):
        if route.disabled is False:
            by_api.setdefault((route.api_type, route.api_id), []).append(route)
    out = []
    for (api_type, api_id), rs in by_api.items():
        rest = api_type == "rest"
        name = next((r.api_name for r in rs if r.api_name), None)
        text = f"{name} ({api_id})" if name else api_id
        stages = sorted({r.stage for r in rs if r.stage}) or ["<stage>"]
        endpoint = f"https://{api_id}.execute-api.{region}.amazonaws.com"
        shells: list[Shell] = [aws.disable_execute_api(rest, api_id, f.region)]
        steps = ["Disable the default endpoint."]
        auto = [s for s in stages if (st := _stage_facts(c, api_id, s)) and st.auto_deploy]
        deploy = [s for s in stages if s not in auto]
        shells += [aws.create_deployment(rest, api_id, s, f.region) for s in deploy]
        if rest:
            steps.append("Redeploy each stage so that it takes effect.")
        elif deploy:
            unknown = [s for s in deploy if (st := _stage_facts(c, api_id, s)) is None
                       or st.auto_deploy is None]
            steps.append("Deploy the stages that do not deploy automatically"
                         + (f" ({', '.join(unknown)}: not known whether they do; skip those "
                            "that do)" if unknown else "") + ".")
        if auto:
            steps.append(f"Stage(s) {', '.join(auto)} deploy automatically: nothing to deploy.")
        if api_type != "websocket":
            first = stages[0]  # an HTTP API's $default stage has no path segment
            shells.append(curl.status_code(f"{endpoint}/" if first == "$default"
                                           else f"{endpoint}/{first}/"))
            steps.append("Check that the default endpoint now refuses requests (403).")
        through = "; ".join(r.via for r in rs)
        rules = [r.rule for r in rs if r.rule is not None]
        maps = [r.mapping for r in rs if r.mapping is not None]
        where = (f"{c.where}, base path {_base(maps[0])}" if maps
                 else f"{c.where}, routing rule {rules[0].rule_id}" if rules else c.where)
        out.append(make_finding(
            "DOMAIN_EXECUTE_API_ENABLED",
            f"API {text} still answers on its default execute-api endpoint",
            f"{label(api_type)} {text}, which {c.name} sends requests to ({through}), still has "
            f"its default endpoint {endpoint} enabled: a client can call it there without a "
            "client certificate and skip mutual TLS.",
            location=where,
            evidence={"api_id": api_id, "api_type": api_type, "api_name": name,
                      "mappings": [{"base_path": m.base_path, "stage": m.stage} for m in maps],
                      "routing_rules": [{"rule_id": r.rule_id, "priority": r.priority,
                                         "stage": r.stage, "base_paths": list(r.base_paths),
                                         "headers": list(r.headers)} for r in rules],
                      "execute_api_endpoint": endpoint},
            fix=Fix("Disable the default execute-api endpoint so that clients can only come in "
                    "through the mutual TLS domain.", tuple(steps),
                    tuple(render_all(shells)))))
    return out


# --- access logs ----------------------------------------------------------------------------------

def _log_group(api_id: str, stage: str) -> str:
    return _LOG_GROUP_CHARS.sub("_", f"/aws/apigateway/{api_id}/{stage}/access")


def access_logs(c: Ctx) -> list[Finding]:
    """DOMAIN_ACCESS_LOGS_MISSING / DOMAIN_ACCESS_LOG_FORMAT_INCOMPLETE, one per routed stage."""
    f = c.facts
    out = []
    routed = {(r.api_id, r.stage) for r in routes(c) if r.stage}
    for st in f.stages:
        if not st.found or (st.api_id, st.stage) not in routed:
            continue
        missing = [n for n in LOG_NEEDS if n not in (st.access_log_format or "")]
        if st.access_log_destination and not missing:
            continue
        out.append(_access_log_finding(c, st, missing))
    return out


def _access_log_finding(c: Ctx, st: Stage, missing: Sequence[str]) -> Finding:
    f = c.facts
    rest = st.api_type == "rest"
    fmt = recommended_log_format(st.api_type)
    group = _log_group(st.api_id, st.stage)
    destination = st.access_log_destination or \
        f"arn:aws:logs:{f.region or '<region>'}:{c.account}:log-group:{group}"
    shells: list[Shell] = []
    steps: list[str] = []
    if not st.access_log_destination:
        shells.append(aws.create_log_group(group, f.region))
        steps.append(f"Create a CloudWatch Logs log group for the stage ({group}).")
    if rest:
        shells += [aws.get_cloudwatch_role(f.region),
                   aws.set_cloudwatch_role("<cloudwatch-logs-role-arn>", f.region)]
        steps.append("REST APIs write logs with the account's CloudWatch Logs role, set once per "
                     "region: if get-account shows none, set one (a role API Gateway may "
                     "assume, with AmazonAPIGatewayPushToCloudWatchLogs).")
    shells += [aws.set_access_log(rest, st.api_id, st.stage, destination, fmt, f.region),
               aws.get_stage(rest, st.api_id, st.stage, f.region,
                             "accessLogSettings" if rest else "AccessLogSettings")]
    steps.append(f"Log the stage's requests with this format (JSON, one line per request): {fmt}")
    steps.append("Its clientCertPem (about 1.5 KB a request) lets `mtls-doctor traffic` judge "
                 "each client and rehearse a truststore change; leave it out to keep the log "
                 "small, and traffic can then only count them.")
    where = f"{c.where}, {label(st.api_type)} {st.api_id} stage {st.stage}"
    evidence: dict[str, Any] = {"api_id": st.api_id, "api_type": st.api_type,
                                "stage": st.stage,
                                "access_log_destination": st.access_log_destination,
                                "access_log_format": st.access_log_format,
                                "recommended_format": fmt}
    why = ("HTTP APIs have no execution logs, so without access logs a 403 leaves no trace"
           if not rest else "its execution logs say \"Access denied. Reason: ...\" only when "
           "they are on, at INFO")
    if not st.access_log_destination:
        return make_finding(
            "DOMAIN_ACCESS_LOGS_MISSING",
            f"stage {st.stage} of {st.api_id} keeps no access log",
            f"{label(st.api_type)} {st.api_id} stage {st.stage}, which {c.name} sends requests "
            f"to, has no access logging: a request refused with 403 leaves no record of the "
            f"client certificate it presented or of the reason ({why}).",
            location=where, evidence=evidence,
            fix=Fix("Turn on access logging for the stage with a format that carries the client "
                    "certificate and the error message.", tuple(steps),
                    tuple(render_all(shells))))
    lacks = " and ".join(f"{n}*" if n.endswith(".") else n for n in missing)
    evidence["missing"] = list(missing)
    return make_finding(
        "DOMAIN_ACCESS_LOG_FORMAT_INCOMPLETE",
        f"the access log of stage {st.stage} of {st.api_id} lacks {lacks}",
        f"{label(st.api_type)} {st.api_id} stage {st.stage} logs access to "
        f"{st.access_log_destination}, but its format lacks {lacks}: the log does not say which "
        "certificate a client sent or why a request was refused.",
        location=where, evidence=evidence,
        fix=Fix("Add the client certificate and the error message to the stage's access log "
                "format.", tuple(steps), tuple(render_all(shells))))


# --- revocation -----------------------------------------------------------------------------------

def revocation(c: Ctx) -> list[Finding]:
    """DOMAIN_REVOCATION_NOT_CHECKED: mutual TLS is on and a routed API has no authorizer that
    sees the client certificate (API Gateway never checks revocation itself)."""
    if c.mtls is None:
        return []
    routed = {r.api_id for r in routes(c)}
    return [_revocation_finding(c, a) for a in c.facts.authorizers
            if a.api_id in routed and (not a.can_check_revocation or a.unprotected_count)]


def _revocation_finding(c: Ctx, a: Authorizers) -> Finding:
    f = c.facts
    rest = a.api_type == "rest"
    name = next((r.api_name for r in routes(c) if r.api_id == a.api_id and r.api_name), None)
    text = f"{name} ({a.api_id})" if name else a.api_id
    if rest:
        seen = f" (it has: {', '.join(a.seen)})" if a.seen else " (it has none)"
        what = (f"has no Lambda authorizer of the REQUEST type{seen}; a TOKEN authorizer gets only "
                "the token, never the client certificate")
    elif a.can_check_revocation:
        named = ", ".join(a.unprotected) + (" ..." if a.unprotected_count > len(a.unprotected)
                                           else "")
        what = f"has {a.unprotected_count} route(s) without a Lambda authorizer ({named})"
    else:
        what = ("has no route behind a Lambda authorizer (authorization: "
                f"{', '.join(a.seen) or 'none'})")
    uri = aws.lambda_authorizer_uri(f.region, "<revocation-check-function-arn>")
    shells: list[Shell] = [aws.get_authorizers(rest, a.api_id, f.region)]
    if not rest:
        shells.append(aws.get_routes(a.api_id, f.region))
    shells += [aws.create_request_authorizer(rest, a.api_id, uri, f.region),
               aws.attach_authorizer(rest, a.api_id, "<authorizer-id>", f.region)]
    stages = sorted({r.stage for r in routes(c) if r.api_id == a.api_id and r.stage})
    if rest:
        shells += [aws.create_deployment(True, a.api_id, s, f.region) for s in stages]
    return make_finding(
        "DOMAIN_REVOCATION_NOT_CHECKED",
        f"nothing checks whether {text}'s client certificates were revoked",
        f"API Gateway checks a client certificate's chain and validity but never whether it was "
        f"revoked, so a revoked certificate is accepted unless an authorizer checks it. "
        f"{label(a.api_type)} {text}, which {c.name} sends requests to, {what}.",
        location=f"{c.where}, {label(a.api_type)} {a.api_id}",
        evidence={"api_id": a.api_id, "api_type": a.api_type, "authorizers": list(a.seen),
                  "unprotected_routes": list(a.unprotected),
                  "unprotected_count": a.unprotected_count},
        fix=Fix("If revocation matters, check each request's certificate in a Lambda authorizer "
                "of the REQUEST type against your CRL or OCSP responder.",
                ("Write a Lambda function that reads the client certificate from the request "
                 "context (requestContext.identity.clientCert for REST APIs, "
                 "requestContext.authentication.clientCert for HTTP APIs) and denies revoked "
                 "ones.",
                 "Create a REQUEST authorizer with it, caching off, and put every "
                 + ("method" if rest else "route") + " behind it"
                 + (", then redeploy the stages." if rest else "."),
                 "mtls-doctor verify-client --revocation checks one certificate by hand."),
                tuple(render_all(shells))))

