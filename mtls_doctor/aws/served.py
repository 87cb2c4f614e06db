"""What the custom domain sends requests to: its mappings and routing rules, and for each API and
stage they name, whether the API still answers on its default execute-api endpoint, the stage's
access logging and auto-deploy, and whether the API has an authorizer that sees the client
certificate.

The routing mode decides which lists are read: API Gateway ignores the mappings under
ROUTING_RULE_ONLY and the routing rules under *_MAPPING_ONLY (or no mode reported). Each list
goes at once; each API, stage and authorizer call starts as soon as a list names it, once per
API (or stage) however many mappings and rules name it, so the extra calls add no round trip to
the chain: domain -> lists -> per-API calls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from mtls_doctor.aws.base import Collector
from mtls_doctor.aws.calls import Aws, require, spawn
from mtls_doctor.model.domain import Authorizers, Mapping, RoutingRule, Stage
from mtls_doctor.model.evidence import Attempt, Status, ok, skipped

#: at most this many routes (HTTP) without a Lambda authorizer are named in the facts
MAX_NAMED_ROUTES = 10
#: from this many APIs of one kind named by one list, the region's APIs are listed in one call
#: (one page of up to LIST_PAGE) instead of one GetRestApi / GetApi each; an API the page does
#: not hold is then asked for by its id
LIST_AT = 4
LIST_PAGE = 500

ApiInfo = tuple[bool | None, str | None, str, Attempt]


def _service(kind: str) -> str:
    return "apigateway" if kind == "rest" else "apigatewayv2"


@dataclass
class Served:
    """What the lists and per-API calls found."""

    mappings: tuple[Mapping, ...] = ()
    mappings_read: bool = False
    rules: tuple[RoutingRule, ...] = ()
    rules_read: bool = False
    stages: tuple[Stage, ...] = ()
    authorizers: tuple[Authorizers, ...] = ()

    @property
    def kinds(self) -> set[str]:
        """The kinds (rest, http, websocket) of the APIs requests are sent to."""
        return {m.api_type for m in self.mappings} | {r.api_type for r in self.rules}


@dataclass
class _PerApi:
    """Each API, stage and authorizer call, made once and shared."""

    c: Collector
    region: str
    want_authorizers: bool
    _lock: threading.Lock = field(default_factory=threading.Lock)
    apis: dict[str, Future[ApiInfo]] = field(default_factory=dict)
    stages: dict[tuple[str, str], Future[tuple[Stage | None, Attempt]]] = field(
        default_factory=dict)
    authz: dict[str, Future[tuple[Authorizers | None, Attempt]]] = field(default_factory=dict)

    def snapshot(self) -> tuple[dict[str, Future[ApiInfo]],
                                list[Future[tuple[Stage | None, Attempt]]],
                                list[Future[tuple[Authorizers | None, Attempt]]]]:
        """The calls started so far (a list cut short by the deadline may still add some)."""
        with self._lock:
            return dict(self.apis), list(self.stages.values()), list(self.authz.values())

    def start(self, named: Iterable[tuple[str, str | None]], hint: str) -> None:
        """Start what the (api id, stage) pairs one list names need, nothing twice: each stage
        and authorizer call at once, and each API's own description (by the region's listing
        when the list names LIST_AT new APIs or more)."""
        named = list(named)
        with self._lock:
            new = list(dict.fromkeys(a for a, _ in named if a not in self.apis))
            listing = spawn(self._listing, hint) if len(new) >= LIST_AT else None
            for api_id in new:
                self.apis[api_id] = (spawn(self._api, api_id, hint) if listing is None
                                     else spawn(self._api_listed, api_id, hint, listing))
                if self.want_authorizers:
                    self.authz[api_id] = spawn(self._authorizers, api_id, hint)
            for api_id, stage in named:
                if stage and (api_id, stage) not in self.stages:
                    self.stages[api_id, stage] = spawn(self._stage, api_id, hint, stage)

    # --- the region's APIs, one page ----------------------------------------------------------
    def _listing(self, hint: str) -> tuple[dict[str, ApiInfo], bool]:
        """The first page of the region's REST (`hint` rest) or HTTP and WebSocket APIs: each
        API's info, and whether the page holds them all. Empty when the call failed (its
        attempt is recorded; each API is then asked for by its id)."""
        aws = self.c.aws
        # the fleet scan's account-wide listings: one per region, shared by its domains
        shared = getattr(self.c, "listings", None)
        if hint == "rest":
            got, attempt = _once(shared, aws, "apigateway", self.region, "GetRestApis",
                                 lambda c: require(c.get_rest_apis(limit=LIST_PAGE), "items"))
            if got is None:
                return {}, False
            return ({str(a["id"]): (bool(a.get("disableExecuteApiEndpoint")), a.get("name"),
                                    "rest", attempt) for a in got["items"] if a.get("id")},
                    not got.get("position"))
        got, attempt = _once(shared, aws, "apigatewayv2", self.region, "GetApis",
                             lambda c: require(c.get_apis(MaxResults=str(LIST_PAGE)), "Items"))
        if got is None:
            return {}, False
        return ({str(a["ApiId"]): (bool(a.get("DisableExecuteApiEndpoint")), a.get("Name"),
                                   "websocket" if a.get("ProtocolType") == "WEBSOCKET" else "http",
                                   attempt) for a in got["Items"] if a.get("ApiId")},
                not got.get("NextToken"))

    def _api_listed(self, api_id: str, hint: str,
                    listing: Future[tuple[dict[str, ApiInfo], bool]]) -> ApiInfo:
        """The API as the region's listing describes it, else asked for by its id."""
        got = self.c.wait(listing, "mapped_apis")
        if got is not None and api_id in got[0]:
            return got[0][api_id]
        return self._api(api_id, hint)

    # --- the API ------------------------------------------------------------------------------
    def _api(self, api_id: str, hint: str) -> ApiInfo:
        """(execute-api endpoint disabled?, name, rest|http|websocket, the attempt)."""
        order = ("rest", "http") if hint == "rest" else ("http", "rest")
        attempt: Attempt | None = None
        aws = self.c.aws
        for kind in order:
            if kind == "rest":
                got, attempt = aws.attempt(
                    "apigateway", self.region, "GetRestApi", "apigateway:GET",
                    lambda c: require(c.get_rest_api(restApiId=api_id), "id"))
                if got is not None:
                    return (bool(got.get("disableExecuteApiEndpoint")), got.get("name"), "rest",
                            attempt)
            else:
                got, attempt = aws.attempt(
                    "apigatewayv2", self.region, "GetApi", "apigateway:GET",
                    lambda c: require(c.get_api(ApiId=api_id), "ApiId"))
                if got is not None:
                    return (bool(got.get("DisableExecuteApiEndpoint")), got.get("Name"),
                            "websocket" if got.get("ProtocolType") == "WEBSOCKET" else "http",
                            attempt)
            if attempt.status is not Status.NOT_FOUND:
                break
        assert attempt is not None
        if attempt.status is Status.NOT_FOUND:
            attempt = Attempt(f"API {api_id}", Status.NOT_FOUND,
                              "neither API Gateway API knows this API id", "apigateway:GET")
        return None, None, hint, attempt

    def _kind(self, api_id: str, hint: str, attempt: Attempt) -> str | None:
        """The API's real kind when a call made for `hint` said not-found and the API is of
        another kind (then the call is made again); None otherwise."""
        if attempt.status is not Status.NOT_FOUND:
            return None
        info = self.c.wait(self.apis[api_id], "mapped_apis")
        if info is None or info[3].status is not Status.OK:
            return None
        kind = info[2]
        return kind if _service(kind) != _service(hint) else None

    # --- its stage ----------------------------------------------------------------------------
    def _stage(self, api_id: str, hint: str, stage: str) -> tuple[Stage | None, Attempt]:
        got, attempt = self._get_stage(api_id, hint, stage)
        kind = self._kind(api_id, hint, attempt)
        if kind is not None:
            hint = kind
            got, attempt = self._get_stage(api_id, kind, stage)
        if got is None:
            if attempt.status is Status.NOT_FOUND:
                return Stage(api_id, hint, stage, found=False), attempt
            return None, attempt
        if hint == "rest":
            logs = got.get("accessLogSettings") or {}
            return Stage(api_id, hint, stage, True, logs.get("destinationArn") or None,
                         logs.get("format") or None, None), attempt
        logs = got.get("AccessLogSettings") or {}
        return Stage(api_id, hint, stage, True, logs.get("DestinationArn") or None,
                     logs.get("Format") or None, got.get("AutoDeploy")), attempt

    def _get_stage(self, api_id: str, kind: str, stage: str
                   ) -> tuple[dict[str, Any] | None, Attempt]:
        if kind == "rest":
            return self.c.aws.attempt(
                "apigateway", self.region, "GetStage", "apigateway:GET",
                lambda c: require(c.get_stage(restApiId=api_id, stageName=stage), "stageName"))
        return self.c.aws.attempt(
            "apigatewayv2", self.region, "GetStage", "apigateway:GET",
            lambda c: require(c.get_stage(ApiId=api_id, StageName=stage), "StageName"))

    # --- its authorizers ------------------------------------------------------------------------
    def _authorizers(self, api_id: str, hint: str) -> tuple[Authorizers | None, Attempt]:
        got, attempt = self._read_authorizers(api_id, hint)
        kind = self._kind(api_id, hint, attempt)
        if kind is not None:
            hint = kind
            got, attempt = self._read_authorizers(api_id, kind)
        if got is None:
            return None, attempt
        if hint == "rest":
            types = [(str(a.get("type") or "?"), str(a.get("name") or a.get("id") or "?"))
                     for a in got]
            return Authorizers(api_id, "rest", any(t == "REQUEST" for t, _ in types),
                               tuple(f"{t}: {n}" for t, n in types)), attempt
        routes = [(str(r.get("RouteKey") or "?"), str(r.get("AuthorizationType") or "NONE"))
                  for r in got]
        bare = [key for key, how in routes if how != "CUSTOM"]
        return Authorizers(api_id, hint, len(bare) < len(routes),
                           tuple(sorted({how for _, how in routes})),
                           tuple(bare[:MAX_NAMED_ROUTES]), len(bare)), attempt

    def _read_authorizers(self, api_id: str, kind: str
                          ) -> tuple[list[dict[str, Any]] | None, Attempt]:
        """REST: the API's authorizers (GetAuthorizers); HTTP and WebSocket: its routes, each
        with its AuthorizationType (GetRoutes), both every page."""
        if kind == "rest":
            return self.c.aws.attempt(
                "apigateway", self.region, "GetAuthorizers", "apigateway:GET",
                lambda c: _all(c.get_paginator("get_authorizers").paginate(restApiId=api_id),
                               "items"))
        return self.c.aws.attempt(
            "apigatewayv2", self.region, "GetRoutes", "apigateway:GET",
            lambda c: _all(c.get_paginator("get_routes").paginate(ApiId=api_id), "Items"))


def _once(shared: Any, aws: Aws, service: str, region: str, operation: str,
          fn: Callable[[Any], dict[str, Any]]) -> tuple[dict[str, Any] | None, Attempt]:
    """`aws.attempt` of one region listing, made once per account when `shared` (the fleet
    scan's `aws.fleet.Listings`) is given."""
    def call() -> tuple[dict[str, Any] | None, Attempt]:
        return aws.attempt(service, region, operation, "apigateway:GET", fn)

    return call() if shared is None else shared.get(aws, service, region, operation,
                                                    "apigateway:GET", call)


def _all(pages: Iterable[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in pages:
        out.extend(page.get(key, []))
    return out


# --- the lists -------------------------------------------------------------------------------------

def _mappings_request(name: str, kind: str, domain_name_id: str | None
                      ) -> tuple[str, str, str, Callable[[Any], list[dict[str, Any]]]]:
    """The list of the domain's mappings of one API (`kind` rest: GetBasePathMappings, else
    GetApiMappings), every page: (service, operation, prefetch tag, the call)."""
    if kind == "rest":
        args = {"domainName": name, **({"domainNameId": domain_name_id}
                                       if domain_name_id else {})}

        def rest_list(client: Any) -> list[dict[str, Any]]:
            return _all(client.get_paginator("get_base_path_mappings").paginate(**args),
                        "items")

        return "apigateway", "GetBasePathMappings", domain_name_id or "", rest_list

    def http_list(client: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        args = {"DomainName": name}
        while True:  # GetApiMappings has NextToken but no botocore paginator
            page = client.get_api_mappings(**args)
            items.extend(page.get("Items", []))
            if not page.get("NextToken"):
                return items
            args["NextToken"] = page["NextToken"]

    return "apigatewayv2", "GetApiMappings", "", http_list


def prefetch_mappings(c: Collector, region: str) -> None:
    """Start both APIs' lists of the domain's mappings with the domain lookup (they need only
    its name), so that the mapped APIs are asked for as soon as the domain has answered; the
    list `read_served` then wants is taken, the other never recorded."""
    for kind in ("rest", "http"):
        service, operation, tag, fn = _mappings_request(c.name, kind, None)
        c.prefetch(service, region, operation, "apigateway:GET", fn, tag)


def _list_mappings(c: Collector, region: str, kind: str, domain_name_id: str | None,
                   per: _PerApi) -> tuple[list[tuple[str, str | None, str]] | None, Attempt]:
    """The domain's mappings as (api id, stage, base path); each starts its API's calls."""
    service, operation, tag, fn = _mappings_request(c.name, kind, domain_name_id)
    got, attempt = c.call(service, region, operation, "apigateway:GET", fn, tag)
    if kind == "rest":
        raw = [(m["restApiId"], m.get("stage"), m.get("basePath", "(none)")) for m in got or []]
    else:
        raw = [(m["ApiId"], m.get("Stage"), m.get("ApiMappingKey") or "(none)")
               for m in got or []]
    if got is None:
        return None, attempt
    per.start(((api_id, stage) for api_id, stage, _ in raw), "rest" if kind == "rest" else "http")
    return raw, attempt


def _rule(r: dict[str, Any]) -> RoutingRule | None:
    """A routing rule in common terms (None: one that invokes no API)."""
    invoke = next((a.get("InvokeApi") for a in r.get("Actions") or [] if a.get("InvokeApi")),
                  None)
    if not invoke or not invoke.get("ApiId"):
        return None
    paths: list[str] = []
    headers: list[str] = []
    for cond in r.get("Conditions") or []:
        paths += [str(p) for p in (cond.get("MatchBasePaths") or {}).get("AnyOf") or []]
        headers += [f"{h.get('Header')}: {h.get('ValueGlob')}"
                    for h in (cond.get("MatchHeaders") or {}).get("AnyOf") or []]
    priority = r.get("Priority")
    return RoutingRule(str(r.get("RoutingRuleId") or "?"),
                       priority if isinstance(priority, int) else None, str(invoke["ApiId"]),
                       invoke.get("Stage"), tuple(paths), tuple(headers))


def _list_rules(c: Collector, region: str, domain_name_id: str | None, per: _PerApi
                ) -> tuple[list[RoutingRule] | None, Attempt]:
    """The domain's routing rules (apigatewayv2, every page), in priority order; each starts
    its API's calls (routing rules send requests to REST API stages)."""
    args = {"DomainName": c.name, **({"DomainNameId": domain_name_id} if domain_name_id else {})}

    def rules(client: Any) -> list[dict[str, Any]]:
        return _all(client.get_paginator("list_routing_rules").paginate(**args), "RoutingRules")

    got, attempt = c.aws.attempt("apigatewayv2", region, "ListRoutingRules", "apigateway:GET",
                                 rules)
    if got is None:
        return None, attempt
    out = [rule for r in got if (rule := _rule(r)) is not None]
    out.sort(key=lambda r: (r.priority is None, r.priority or 0))
    per.start(((rule.api_id, rule.stage) for rule in out), "rest")
    return out, attempt


# --- all of it -------------------------------------------------------------------------------------

def read_served(c: Collector, region: str, kind: str, routing_mode: str | None,
                domain_name_id: str | None, mtls_on: bool) -> Served:
    """The mappings and routing rules the routing mode uses, and what each names. Records
    `mappings`, `routing_rules`, `mapped_apis`, `stages` and `authorizers` in the evidence."""
    mode = (routing_mode or "").upper()
    use_rules = mode.startswith("ROUTING_RULE")
    use_mappings = mode != "ROUTING_RULE_ONLY"
    per = _PerApi(c, region, mtls_on)
    map_f = spawn(_list_mappings, c, region, kind, domain_name_id, per) if use_mappings else None
    rules_f = spawn(_list_rules, c, region, domain_name_id, per) if use_rules else None
    out = Served()
    if map_f is None:
        c.evidence["mappings"] = skipped("mappings", "the routing mode is ROUTING_RULE_ONLY: "
                                         "API Gateway does not use the API mappings")
    if rules_f is None:
        c.evidence["routing_rules"] = skipped(
            "routing_rules", f"the routing mode is {routing_mode or 'mappings only'}: API "
            "Gateway does not use routing rules")
    listed: list[Attempt] = []
    maps = _listed(c, map_f, "mappings", listed)
    out.mappings_read = maps is not None
    raw_maps = maps or []
    rules = _listed(c, rules_f, "routing_rules", listed)
    out.rules_read = rules is not None
    raw_rules = rules or []
    failed_list = next((a for a in listed if a.failed), None)
    apis, stage_futures, authz_futures = per.snapshot()
    infos: dict[str, ApiInfo] = {}
    for api_id, api_future in apis.items():
        got = c.wait(api_future, "mapped_apis")
        if got is not None:
            infos[api_id] = got

    def info(api_id: str, hint: str) -> ApiInfo:
        return infos.get(api_id) or (None, None, hint, Attempt(
            f"API {api_id}", Status.TIMED_OUT, "not finished in time", "apigateway:GET"))

    hint = "rest" if kind == "rest" else "http"
    out.mappings = tuple(Mapping(a, s, b, *info(a, hint)[:3]) for a, s, b in raw_maps)
    out.rules = tuple(RoutingRule(r.rule_id, r.priority, r.api_id, r.stage, r.base_paths,
                                  r.headers, *info(r.api_id, "rest")[:3]) for r in raw_rules)
    c.evidence["mapped_apis"] = _summary(
        "mapped_apis", [info(a, hint)[3] for a in apis], failed_list, region,
        "no API is mapped")
    out.stages, stage_attempts = _answers(c, stage_futures, "stages", infos)
    c.evidence.setdefault("stages", _summary("stages", stage_attempts, failed_list, region,
                                             "no stage is mapped"))
    if not mtls_on:
        c.evidence["authorizers"] = skipped("authorizers", "mutual TLS is off")
        return out
    out.authorizers, authz_attempts = _answers(c, authz_futures, "authorizers", infos)
    c.evidence.setdefault("authorizers", _summary("authorizers", authz_attempts, failed_list,
                                                  region, "no API is mapped"))
    return out


_Item = TypeVar("_Item")


def _listed(c: Collector, future: Future[tuple[list[_Item] | None, Attempt]] | None, fact: str,
            listed: list[Attempt]) -> list[_Item] | None:
    """What one list call (mappings, routing rules) read, if it was made and answered in time
    (None: not read); records its attempt as the fact's evidence and in `listed`."""
    if future is None:
        return None
    got = c.wait(future, fact)
    if got is None:
        return None
    items, c.evidence[fact] = got
    listed.append(got[1])
    return items


_PerApiFact = TypeVar("_PerApiFact", Stage, Authorizers)


def _answers(c: Collector, futures: list[Future[tuple[_PerApiFact | None, Attempt]]], fact: str,
             infos: dict[str, ApiInfo]) -> tuple[tuple[_PerApiFact, ...], list[Attempt]]:
    """The per-API calls of one fact (stages, authorizers) that answered in time: what each
    found, its API's kind as the API's own description says, and every attempt."""
    found: list[_PerApiFact] = []
    attempts: list[Attempt] = []
    for future in futures:
        got = c.wait(future, fact)
        if got is None:
            continue
        item, attempt = got
        attempts.append(attempt)
        if item is not None:
            found.append(replace(item, api_type=_kind_of(infos, item.api_id, item.api_type)))
    return tuple(found), attempts


def _kind_of(infos: dict[str, ApiInfo], api_id: str, fallback: str) -> str:
    """The API's kind as GetRestApi / GetApi answered (websocket included), else `fallback`."""
    info = infos.get(api_id)
    return info[2] if info is not None and info[3].status is Status.OK else fallback


def _summary(fact: str, attempts: list[Attempt], failed_list: Attempt | None,
             region: str, none: str) -> Attempt:
    """One fact from many calls: the first failure (a list that could not be read counts), else
    ok, else not applicable."""
    failed = failed_list or next((a for a in attempts if a.failed), None)
    if failed is not None:
        return failed
    if not attempts:
        return skipped(fact, none)
    return ok(fact, region)

