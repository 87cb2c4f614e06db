"""CloudFormation, SAM and CDK-synthesized templates: their custom domains, APIs, stages,
mappings and certificates, with intrinsic functions resolved where they can be statically.

Resolved: literals; `Ref` to a parameter with a scalar default (said so); `Fn::Sub` and
`Fn::Join` whose every part resolves; `AWS::NoValue` (the property is absent). Not resolved,
and said so with the expression: `Fn::GetAtt`, `Ref` to a resource, a pseudo parameter or a
parameter without a default, `Fn::If`, `Fn::ImportValue`, `Fn::FindInMap` and the rest. Every
walk has a node budget, so a template of aliases that point at aliases stays cheap."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from mtls_doctor.iac.load import Parsed, node_at
from mtls_doctor.iac.model import (
    IacApi,
    IacCertificate,
    IacDomain,
    IacMapping,
    IacStage,
    IacTemplate,
    Value,
    Where,
)

_SUB_VAR = re.compile(r"\$\{([^}]*)\}")
#: nodes one property may visit while it is resolved
_BUDGET = 2000
_MAX_DEPTH = 40
_SAM_API = "AWS::Serverless::Api"
_SAM_HTTP = "AWS::Serverless::HttpApi"


class _Absent(Exception):
    """`Ref: AWS::NoValue`: the property is as good as not there."""


def _short(node: Any, limit: int = 120) -> str:
    """An intrinsic as a reader writes it (`!GetAtt Obj.VersionId`, `!Ref Param`)."""
    if isinstance(node, Mapping) and len(node) == 1:
        (key, arg), = node.items()
        name = "!" + str(key).removeprefix("Fn::")
        if key == "Fn::GetAtt" and isinstance(arg, list):
            return f"{name} " + ".".join(str(a) for a in arg)[:limit]
        if isinstance(arg, str):
            return f"{name} {arg}"[:limit]
        return f"{name} {_brief(arg, limit)}"[:limit]
    return _brief(node, limit)


def _brief(node: Any, limit: int) -> str:
    """JSON-like text of `node`, cut at `limit` characters without visiting the rest (a
    template of aliases can stand for more nodes than memory holds)."""
    out: list[str] = []
    size = 0

    def put(text: str) -> bool:
        nonlocal size
        out.append(text)
        size += len(text)
        return size < limit

    def walk(n: Any, depth: int) -> bool:
        if depth > 8:
            return put("...")
        if isinstance(n, Mapping):
            if not put("{"):
                return False
            for i, (k, v) in enumerate(n.items()):
                if (i and not put(",")) or not put(json.dumps(str(k)) + ":") \
                        or not walk(v, depth + 1):
                    return False
            return put("}")
        if isinstance(n, list):
            if not put("["):
                return False
            for i, v in enumerate(n):
                if (i and not put(",")) or not walk(v, depth + 1):
                    return False
            return put("]")
        return put(json.dumps(n) if isinstance(n, str | int | float | bool) or n is None
                   else json.dumps(str(n)))

    walk(node, 0)
    return "".join(out)[:limit]


class Resolver:
    """Static values of one template's properties."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        params = doc.get("Parameters")
        self.params: dict[str, str] = {}
        self.param_names: set[str] = set()
        if isinstance(params, Mapping):
            for name, p in params.items():
                self.param_names.add(str(name))
                default = p.get("Default") if isinstance(p, Mapping) else None
                if isinstance(default, str | int | float) and not isinstance(default, bool):
                    self.params[str(name)] = str(default)
        resources = doc.get("Resources")
        self.resources: set[str] = {str(k) for k in resources} if isinstance(resources,
                                                                               Mapping) else set()
        self._left = 0

    def value(self, node: Any) -> Value | None:
        """The property's `Value`, or None when it is absent (or `AWS::NoValue`)."""
        if node is None:
            return None
        self._left = _BUDGET
        try:
            return self._value(node, 0)
        except _Absent:
            return None

    def _spend(self, depth: int) -> bool:
        self._left -= 1
        return self._left > 0 and depth < _MAX_DEPTH

    def _value(self, node: Any, depth: int) -> Value:
        if not self._spend(depth):
            return Value(None, "(too large to resolve)")
        if isinstance(node, bool):
            return Value(node)
        if isinstance(node, str | int | float):
            return Value(str(node))
        if isinstance(node, Mapping) and len(node) == 1:
            (key, arg), = node.items()
            key = str(key)
            if key == "Ref":
                return self._ref(arg)
            if key == "Fn::Sub":
                return self._sub(node, arg, depth)
            if key == "Fn::Join":
                return self._join(node, arg, depth)
            if key == "Fn::GetAtt":
                target = (arg[0] if isinstance(arg, list) and arg
                          else str(arg).split(".", 1)[0])
                refs = (str(target),) if str(target) in self.resources else ()
                return Value(None, _short(node), refs)
            if key.startswith("Fn::") or key == "Condition":
                return Value(None, _short(node), self._refs(arg, depth))
        if isinstance(node, list):
            return Value(None, "a list", self._refs(node, depth))
        return Value(None, "an object" if isinstance(node, Mapping) else type(node).__name__)

    def _ref(self, arg: Any) -> Value:
        name = str(arg)
        if name == "AWS::NoValue":
            raise _Absent
        if name in self.resources:
            return Value(None, f"!Ref {name}", (name,))
        if name in self.params:
            return Value(self.params[name], f"!Ref {name} (the parameter's default)")
        if name in self.param_names:
            return Value(None, f"!Ref {name} (a parameter without a default)")
        return Value(None, f"!Ref {name}")

    def _refs(self, node: Any, depth: int) -> tuple[str, ...]:
        """The resources an unresolved expression references, in order."""
        out: list[str] = []

        def walk(n: Any, d: int) -> None:
            if not self._spend(depth + d):
                return
            if isinstance(n, Mapping):
                for k, v in n.items():
                    if k == "Ref" and str(v) in self.resources:
                        out.append(str(v))
                    elif k == "Fn::GetAtt":
                        t = v[0] if isinstance(v, list) and v else str(v).split(".", 1)[0]
                        if str(t) in self.resources:
                            out.append(str(t))
                    else:
                        walk(v, d + 1)
            elif isinstance(n, list):
                for v in n:
                    walk(v, d + 1)
            elif isinstance(n, str):
                out.extend(m for m in _SUB_VAR.findall(n) if m.split(".")[0] in self.resources)

        walk(node, 0)
        return tuple(dict.fromkeys(x.split(".")[0] for x in out))

    def _sub(self, node: Any, arg: Any, depth: int) -> Value:
        text, names = (arg[0], arg[1]) if isinstance(arg, list) and len(arg) == 2 else (arg, {})
        if not isinstance(text, str) or not isinstance(names, Mapping):
            return Value(None, _short(node), self._refs(arg, depth))
        missing = False

        def one(m: re.Match[str]) -> str:
            nonlocal missing
            var = m.group(1)
            if var.startswith("!"):
                return "${" + var[1:] + "}"
            if var in names:
                v = self._value(names[var], depth + 1)
            elif "." in var:
                v = Value(None)
            else:
                v = self._ref(var) if var != "AWS::NoValue" else Value("")
            if v.value is None or isinstance(v.value, bool):
                missing = True
                return m.group(0)
            return v.value

        out = _SUB_VAR.sub(one, text)
        if missing:
            return Value(None, f"!Sub {text}"[:160], self._refs(arg, depth))
        return Value(out, f"!Sub {text}"[:160] if out != text else "")

    def _join(self, node: Any, arg: Any, depth: int) -> Value:
        if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str)
                and isinstance(arg[1], list)):
            return Value(None, _short(node), self._refs(arg, depth))
        parts = []
        for item in arg[1]:
            try:
                v = self._value(item, depth + 1)
            except _Absent:
                continue
            if v.value is None or isinstance(v.value, bool):
                return Value(None, _short(node), self._refs(arg, depth))
            parts.append(v.value)
        return Value(arg[0].join(parts), _short(node))


def _line(node: Any) -> int | None:
    mark = getattr(node, "start_mark", None)
    line = getattr(mark, "line", None)
    return line + 1 if isinstance(line, int) else None


def _first_ref(v: Value | None, among: set[str]) -> str | None:
    return next((r for r in v.refs if r in among), None) if v is not None else None


def _merge_globals(doc: Mapping[str, Any], rtype: str, props: Any) -> Any:
    """A SAM API's properties with the template's `Globals` under them (the API's own win)."""
    key = "Api" if rtype == _SAM_API else "HttpApi"
    glob = node_at(doc, "Globals", key)
    if not isinstance(glob, Mapping):
        return props
    merged = dict(glob)
    if isinstance(props, Mapping):
        merged.update(props)
    return merged


class _Reader:
    """Reads one template's resources into the model."""

    def __init__(self, parsed: Parsed) -> None:
        self.p = parsed
        self.doc = parsed.doc
        self.r = Resolver(self.doc)
        self.tool = "sam" if parsed.kind == "sam" else "cdk" if parsed.kind == "cdk" \
            else "cloudformation"
        res = self.doc.get("Resources")
        self.resources: dict[str, Mapping[str, Any]] = {
            str(k): v for k, v in res.items() if isinstance(v, Mapping)
        } if isinstance(res, Mapping) else {}
        self.types = {k: str(v.get("Type", "")) for k, v in self.resources.items()}
        self.domains: list[IacDomain] = []
        self.apis: list[IacApi] = []
        self.stages: list[IacStage] = []
        self.mappings: list[IacMapping] = []
        self.certs: list[IacCertificate] = []

    def where(self, logical: str, node: Any, suffix: str = "") -> Where:
        meta = node.get("Metadata") if isinstance(node, Mapping) else None
        cdk = meta.get("aws:cdk:path") if isinstance(meta, Mapping) else None
        return Where(self.p.file, logical + suffix, _line(node),
                     str(cdk) if isinstance(cdk, str) else None)

    def v(self, node: Any, *path: str | int) -> Value | None:
        return self.r.value(node_at(node, *path))

    def of_type(self, *types: str) -> set[str]:
        return {k for k, t in self.types.items() if t in types}

    def read(self) -> IacTemplate:
        for logical, res in self.resources.items():
            rtype = self.types[logical]
            props = res.get("Properties")
            if rtype in (_SAM_API, _SAM_HTTP):
                props = _merge_globals(self.doc, rtype, props)
            if not isinstance(props, Mapping):
                props = {}
            handler = _HANDLERS.get(rtype)
            if handler is not None:
                handler(self, logical, res, props)
        certs = {c.where.address: c.kind for c in self.certs}
        domains = []
        for d in self.domains:
            ref = _first_ref(d.certificate_arn, set(certs))
            domains.append(d if ref is None else _with_cert(d, ref, certs[ref]))
        return IacTemplate(self.p.file, self.p.kind, self.tool, len(self.resources),
                           tuple(domains), tuple(self.apis), tuple(self.stages),
                           tuple(self.mappings), (), tuple(self.certs))

    # --- resources ---------------------------------------------------------------------------

    def rest_domain(self, logical: str, res: Any, props: Mapping[str, Any]) -> None:
        mtls = self.mtls_present(props)
        self.domains.append(IacDomain(
            self.where(logical, res), self.tool, self.types[logical], "rest",
            self.v(props, "DomainName"), self.v(props, "EndpointConfiguration", "Types", 0),
            self.v(props, "SecurityPolicy"),
            self.v(props, "RegionalCertificateArn") or self.v(props, "CertificateArn"),
            self.v(props, "OwnershipVerificationCertificateArn"), mtls,
            self.v(props, "MutualTlsAuthentication", "TruststoreUri"),
            self.v(props, "MutualTlsAuthentication", "TruststoreVersion"),
            json_source=self.p.json_source))

    def http_domain(self, logical: str, res: Any, props: Mapping[str, Any]) -> None:
        conf = node_at(props, "DomainNameConfigurations", 0)
        self.domains.append(IacDomain(
            self.where(logical, res), self.tool, self.types[logical], "http",
            self.v(props, "DomainName"), self.v(conf, "EndpointType"),
            self.v(conf, "SecurityPolicy"), self.v(conf, "CertificateArn"),
            self.v(conf, "OwnershipVerificationCertificateArn"), self.mtls_present(props),
            self.v(props, "MutualTlsAuthentication", "TruststoreUri"),
            self.v(props, "MutualTlsAuthentication", "TruststoreVersion"),
            json_source=self.p.json_source))

    def mtls_present(self, props: Mapping[str, Any]) -> bool:
        node = props.get("MutualTlsAuthentication")
        return node is not None and not (isinstance(node, Mapping)
                                         and node.get("Ref") == "AWS::NoValue")

    def sam_api(self, logical: str, res: Any, props: Mapping[str, Any]) -> None:
        rtype = self.types[logical]
        http = rtype == _SAM_HTTP
        api_type = "http" if http else "rest"
        where = self.where(logical, res)
        stage = self.v(props, "StageName") or (Value("$default", "SAM's default stage")
                                               if http else None)
        self.apis.append(IacApi(where, api_type, self.v(props, "Name"),
                                self.v(props, "DisableExecuteApiEndpoint"), rtype))
        log = "AccessLogSettings" if http else "AccessLogSetting"
        self.stages.append(IacStage(where, api_type, logical, stage,
                                    self.v(props, log, "DestinationArn"),
                                    self.v(props, log, "Format"), rtype, log))
        dom = props.get("Domain")
        if not isinstance(dom, Mapping):
            return
        dwhere = self.where(logical, res, ".Domain")
        endpoint = self.v(dom, "EndpointConfiguration") or Value(
            "REGIONAL", "SAM's default for a custom domain")
        self.domains.append(IacDomain(
            dwhere, self.tool, rtype, api_type, self.v(dom, "DomainName"), endpoint,
            self.v(dom, "SecurityPolicy"), self.v(dom, "CertificateArn"),
            self.v(dom, "OwnershipVerificationCertificateArn"), self.mtls_present(dom),
            self.v(dom, "MutualTlsAuthentication", "TruststoreUri"),
            self.v(dom, "MutualTlsAuthentication", "TruststoreVersion"), sam_api=logical,
            json_source=self.p.json_source))
        paths = dom.get("BasePath")
        bases = paths if isinstance(paths, list) and paths else [paths]
        for base in bases:
            self.mappings.append(IacMapping(
                dwhere, api_type, dwhere.address, self.v(dom, "DomainName"), logical, None,
                stage, None, self.r.value(base) if base is not None else None))

    def rest_api(self, logical: str, res: Any, props: Mapping[str, Any]) -> None:
        api_type = "rest" if self.types[logical] == "AWS::ApiGateway::RestApi" else "http"
        self.apis.append(IacApi(self.where(logical, res), api_type, self.v(props, "Name"),
                                self.v(props, "DisableExecuteApiEndpoint"), self.types[logical]))

    def stage(self, logical: str, res: Any, props: Mapping[str, Any]) -> None:
        rtype = self.types[logical]
        apis = self.of_type("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api")
        if rtype == "AWS::ApiGatewayV2::Stage":
            api = self.v(props, "ApiId")
            self.stages.append(IacStage(
                self.where(logical, res), "http", _first_ref(api, apis),
                self.v(props, "StageName"), self.v(props, "AccessLogSettings", "DestinationArn"),
                self.v(props, "AccessLogSettings", "Format"), rtype, "AccessLogSettings"))
            return
        api = self.v(props, "RestApiId")
        if rtype == "AWS::ApiGateway::Deployment":
            if props.get("StageName") is None:
                return  # a deployment of a stage declared on its own
            base: Any = props.get("StageDescription")
            prefix = "StageDescription.AccessLogSetting"
        else:
            base, prefix = props, "AccessLogSetting"
        self.stages.append(IacStage(
            self.where(logical, res), "rest", _first_ref(api, apis), self.v(props, "StageName"),
            self.v(base, "AccessLogSetting", "DestinationArn"),
            self.v(base, "AccessLogSetting", "Format"), rtype, prefix))

    def mapping(self, logical: str, res: Any, props: Mapping[str, Any]) -> None:
        rtype = self.types[logical]
        http = rtype == "AWS::ApiGatewayV2::ApiMapping"
        domains = self.of_type("AWS::ApiGateway::DomainName", "AWS::ApiGatewayV2::DomainName",
                               "AWS::ApiGateway::DomainNameV2")
        apis = self.of_type("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api")
        stages = self.of_type("AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage")
        name = self.v(props, "DomainNameArn" if rtype.endswith("V2") else "DomainName")
        api = self.v(props, "ApiId" if http else "RestApiId")
        stage = self.v(props, "Stage")
        self.mappings.append(IacMapping(
            self.where(logical, res), "http" if http else "rest", _first_ref(name, domains),
            name, _first_ref(api, apis), api, stage, _first_ref(stage, stages),
            self.v(props, "ApiMappingKey" if http else "BasePath")))

    def certificate(self, logical: str, res: Any, props: Mapping[str, Any]) -> None:
        private = props.get("CertificateAuthorityArn") is not None
        self.certs.append(IacCertificate(self.where(logical, res),
                                         "private" if private else "amazon"))


def _with_cert(d: IacDomain, ref: str, kind: str) -> IacDomain:
    from dataclasses import replace

    return replace(d, certificate_kind=kind, certificate_resource=ref)


_HANDLERS = {
    "AWS::ApiGateway::DomainName": _Reader.rest_domain,
    "AWS::ApiGatewayV2::DomainName": _Reader.http_domain,
    _SAM_API: _Reader.sam_api,
    _SAM_HTTP: _Reader.sam_api,
    "AWS::ApiGateway::RestApi": _Reader.rest_api,
    "AWS::ApiGatewayV2::Api": _Reader.rest_api,
    "AWS::ApiGateway::Stage": _Reader.stage,
    "AWS::ApiGateway::Deployment": _Reader.stage,
    "AWS::ApiGatewayV2::Stage": _Reader.stage,
    "AWS::ApiGateway::BasePathMapping": _Reader.mapping,
    "AWS::ApiGateway::BasePathMappingV2": _Reader.mapping,
    "AWS::ApiGatewayV2::ApiMapping": _Reader.mapping,
    "AWS::CertificateManager::Certificate": _Reader.certificate,
}


def read_cfn(parsed: Parsed) -> IacTemplate:
    """The model of one CloudFormation, SAM or CDK template."""
    return _Reader(parsed).read()
