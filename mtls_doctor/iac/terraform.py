"""Terraform's JSON (`terraform show -json PLANFILE`, `terraform show -json` of a state): the
custom domains, APIs, stages, mappings, S3 objects and ACM certificates, in every module.

A plan gives three views of a resource, and each adds what the others lack: `planned_values`
(the values known before apply), `resource_changes` (the actions, which attributes are
`after_unknown`, which force a replacement: `replace_paths`) and `configuration` (each
argument's expression: the resources it `references`, e.g. `aws_s3_object.ts.version_id`). A
state holds values only. Links between resources are made by reference where the
configuration says, else by equal values (a mapping's `domain_name`, an object's bucket/key)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from mtls_doctor.iac.load import Parsed, child
from mtls_doctor.iac.model import (
    IacApi,
    IacCertificate,
    IacDomain,
    IacMapping,
    IacObject,
    IacStage,
    IacTemplate,
    Replacement,
    Value,
    Where,
)

_INDEX = re.compile(r"\[[^\]]*\]")
_MAX_MODULES = 500
_TYPES = frozenset({
    "aws_api_gateway_domain_name", "aws_apigatewayv2_domain_name", "aws_api_gateway_rest_api",
    "aws_apigatewayv2_api", "aws_api_gateway_stage", "aws_apigatewayv2_stage",
    "aws_api_gateway_base_path_mapping", "aws_apigatewayv2_api_mapping", "aws_s3_object",
    "aws_s3_bucket_object", "aws_acm_certificate"})
_Path = tuple[str | int, ...]


def strip_index(address: str) -> str:
    """`module.a["x"].aws_s3_object.ts[0]` -> `module.a.aws_s3_object.ts`."""
    return _INDEX.sub("", address)


def _target(module: str, ref: str) -> str:
    """The resource a reference names (`aws_s3_object.ts.version_id` -> `aws_s3_object.ts`),
    with the module it is made in."""
    parts = strip_index(ref).split(".")
    head = 3 if parts[0] == "data" else 2
    return (f"{module}." if module else "") + ".".join(parts[:head])


class _Resource:
    """One resource instance and its three views."""

    def __init__(self, item: Mapping[str, Any], module: str) -> None:
        self.address = str(item.get("address", ""))
        self.type = str(item.get("type", ""))
        self.module = module
        v = item.get("values")
        self.values: Mapping[str, Any] = v if isinstance(v, Mapping) else {}
        self.unknown: Any = {}
        self.exprs: Any = {}
        self.actions: tuple[str, ...] = ()
        self.replace_paths: tuple[str, ...] = ()
        self.reason: str | None = None
        self.before: Any = {}

    def get(self, *path: str | int) -> Value | None:
        """The attribute at `path` (`"mutual_tls_authentication", 0, "truststore_version"`)."""
        value = _nav(self.values, path)
        unknown = _nav(self.unknown, path) is True
        expr = _nav([self.exprs], (0, *(p for p in path if isinstance(p, str))), exprs=True)
        refs: tuple[str, ...] = ()
        text = ""
        if isinstance(expr, Mapping):
            raw = expr.get("references")
            if isinstance(raw, list):
                refs = tuple(dict.fromkeys(_target(self.module, str(r)) for r in raw
                                           if isinstance(r, str) and not r.startswith(
                                               ("var.", "local.", "each.", "count.", "path."))))
                text = ", ".join(str(r) for r in raw[:2] if isinstance(r, str))
        if value is None and not unknown:
            return Value(None, text, refs) if refs else None
        if unknown:
            return Value(None, f"known after apply ({text})" if text else "known after apply",
                         refs)
        if isinstance(value, bool):
            return Value(value, text, refs)
        if isinstance(value, str | int | float):
            return Value(str(value), text, refs)
        return Value(None, "a block" if isinstance(value, list | Mapping) else "", refs)

    def block(self, name: str) -> bool:
        """Whether the nested block `name` is set (planned, or known after apply)."""
        v = self.values.get(name)
        return (isinstance(v, list) and bool(v)) or bool(self.unknown.get(name)
                                                          if isinstance(self.unknown, Mapping)
                                                          else False)

    def where(self, file: str) -> Where:
        return Where(file, self.address)


def _nav(node: Any, path: _Path, exprs: bool = False) -> Any:
    for step in path:
        node = child(node, step)
        # configuration: a nested block is a list of objects
        if exprs and isinstance(step, str) and isinstance(node, list) and node \
                and isinstance(node[0], Mapping) and step != path[-1]:
            node = node[0]
    return node


def _list(x: Any) -> list[Any]:
    """`x` when it is a list, else nothing (a malformed document is read as far as it goes)."""
    return x if isinstance(x, list) else []


def _modules(root: Any, key: str = "child_modules") -> Iterator[Mapping[str, Any]]:
    """A module and its children, breadth first, bounded."""
    todo = [root]
    seen = 0
    while todo and seen < _MAX_MODULES:
        m = todo.pop(0)
        if not isinstance(m, Mapping):
            continue
        seen += 1
        yield m
        todo.extend(_list(m.get(key)))


def _config(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Each configured resource's expressions, by address without instance keys."""
    out: dict[str, Any] = {}
    root = _nav(doc, ("configuration", "root_module"))
    todo: list[tuple[str, Any]] = [("", root)]
    seen = 0
    while todo and seen < _MAX_MODULES:
        prefix, m = todo.pop(0)
        seen += 1
        if not isinstance(m, Mapping):
            continue
        for r in _list(m.get("resources")):
            if isinstance(r, Mapping) and isinstance(r.get("address"), str):
                e = r.get("expressions")
                out[prefix + r["address"]] = e if isinstance(e, Mapping) else {}
        calls = m.get("module_calls")
        if isinstance(calls, Mapping):
            for name, call in calls.items():
                if isinstance(call, Mapping):
                    todo.append((f"{prefix}module.{name}.", call.get("module")))
    return out


def _resources(doc: Mapping[str, Any], plan: bool) -> list[_Resource]:
    root = _nav(doc, ("planned_values", "root_module") if plan else ("values", "root_module"))
    found: dict[str, _Resource] = {}
    for m in _modules(root):
        module = str(m.get("address") or "")
        for item in _list(m.get("resources")):
            if isinstance(item, Mapping) and item.get("type") in _TYPES \
                    and item.get("mode", "managed") == "managed":
                r = _Resource(item, strip_index(module))
                found[r.address] = r
    if plan:
        exprs = _config(doc)
        for change in _list(doc.get("resource_changes")):
            if not isinstance(change, Mapping):
                continue
            got = found.get(str(change.get("address")))
            c = change.get("change")
            if got is None or not isinstance(c, Mapping):
                continue
            r = got
            r.actions = tuple(a for a in _list(c.get("actions")) if isinstance(a, str))
            r.unknown = c.get("after_unknown") or {}
            r.before = c.get("before") or {}
            r.reason = change.get("action_reason") if isinstance(
                change.get("action_reason"), str) else None
            r.replace_paths = tuple(
                ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")
                for path in _list(c.get("replace_paths")) if isinstance(path, list))
        for r in found.values():
            r.exprs = exprs.get(strip_index(r.address), {})
    return list(found.values())


def _replacement(r: _Resource) -> Replacement | None:
    if not ("delete" in r.actions and "create" in r.actions):
        return None
    before = _nav(r.before, ("mutual_tls_authentication", 0, "truststore_uri"))
    after = _nav(r.values, ("mutual_tls_authentication", 0, "truststore_uri"))
    return Replacement(r.actions, r.replace_paths, r.reason,
                       before if isinstance(before, str) else None,
                       after if isinstance(after, str) else None)


def _ident(r: _Resource) -> str | None:
    ident = r.values.get("id")
    return ident if isinstance(ident, str) and ident else None


def _cert_kind(r: _Resource) -> str:
    v = r.values
    if v.get("certificate_authority_arn") or _nav(r.exprs, ("certificate_authority_arn",)):
        return "private"
    if v.get("certificate_body") or _nav(r.exprs, ("certificate_body",)) \
            or "private_key" in r.exprs:
        return "imported"
    return "amazon"


def read_terraform(parsed: Parsed) -> IacTemplate:
    """The model of one `terraform show -json` document (a plan or a state)."""
    plan = parsed.kind == "terraform-plan"
    file = parsed.file
    found = _resources(parsed.doc, plan)
    certs = {strip_index(r.address): _cert_kind(r) for r in found
             if r.type == "aws_acm_certificate"}
    domains, apis, stages, mappings, objects = [], [], [], [], []
    for r in found:
        w = r.where(file)
        if r.type == "aws_api_gateway_domain_name":
            cert = r.get("regional_certificate_arn") or r.get("certificate_arn")
            domains.append(_domain(r, w, "rest", r.get("endpoint_configuration", 0, "types", 0),
                                   r.get("security_policy"), cert,
                                   r.get("ownership_verification_certificate_arn"), certs))
        elif r.type == "aws_apigatewayv2_domain_name":
            conf = ("domain_name_configuration", 0)
            domains.append(_domain(r, w, "http", r.get(*conf, "endpoint_type"),
                                   r.get(*conf, "security_policy"),
                                   r.get(*conf, "certificate_arn"),
                                   r.get(*conf, "ownership_verification_certificate_arn"),
                                   certs))
        elif r.type in ("aws_api_gateway_rest_api", "aws_apigatewayv2_api"):
            apis.append(IacApi(w, "rest" if "gateway_rest" in r.type else "http",
                               r.get("name"), r.get("disable_execute_api_endpoint"), r.type,
                               _ident(r)))
        elif r.type in ("aws_api_gateway_stage", "aws_apigatewayv2_stage"):
            rest = r.type == "aws_api_gateway_stage"
            api = r.get("rest_api_id" if rest else "api_id")
            stages.append(IacStage(
                w, "rest" if rest else "http", api.refs[0] if api and api.refs else
                (f"id={api.value}" if api and api.known else None),
                r.get("stage_name" if rest else "name"),
                r.get("access_log_settings", 0, "destination_arn"),
                r.get("access_log_settings", 0, "format"), r.type, "access_log_settings"))
        elif r.type in ("aws_api_gateway_base_path_mapping", "aws_apigatewayv2_api_mapping"):
            rest = r.type == "aws_api_gateway_base_path_mapping"
            name, api = r.get("domain_name"), r.get("api_id")
            stage = r.get("stage_name" if rest else "stage")
            mappings.append(IacMapping(
                w, "rest" if rest else "http", name.refs[0] if name and name.refs else None,
                name, api.refs[0] if api and api.refs else None, api, stage,
                stage.refs[0] if stage and stage.refs else None,
                r.get("base_path" if rest else "api_mapping_key")))
        elif r.type in ("aws_s3_object", "aws_s3_bucket_object"):
            objects.append(IacObject(w, r.get("bucket"), r.get("key"), r.get("version_id"),
                                     r.actions, r.type))
    certificates = tuple(IacCertificate(Where(file, a), k) for a, k in certs.items())
    return IacTemplate(file, parsed.kind, "terraform", len(found), tuple(domains), tuple(apis),
                       tuple(stages), tuple(mappings), tuple(objects), certificates)


def _domain(r: _Resource, w: Where, api_type: str, endpoint: Value | None,
            policy: Value | None, cert: Value | None, owner: Value | None,
            certs: Mapping[str, str]) -> IacDomain:
    ref = next((x for x in cert.refs if x in certs), None) if cert is not None else None
    return IacDomain(
        w, "terraform", r.type, api_type, r.get("domain_name"), endpoint, policy, cert, owner,
        r.block("mutual_tls_authentication"),
        r.get("mutual_tls_authentication", 0, "truststore_uri"),
        r.get("mutual_tls_authentication", 0, "truststore_version"),
        certs.get(ref) if ref else None, ref, actions=r.actions, replacement=_replacement(r),
        json_source=True)
