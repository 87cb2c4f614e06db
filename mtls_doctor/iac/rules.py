"""The mutual TLS mistakes of a template's custom domains, as findings with the file and line (or
resource address) and the change to make in the tool's own language.

Each rule decides only on what the template says: a value it cannot resolve statically (a
`!GetAtt`, a parameter without a default, a certificate that is not a resource of the template)
is an `Unresolved` entry and an `IAC_VALUE_UNRESOLVED` note, and the check that needed it is
`unknown`, never a pass. The defaults API Gateway applies to what a template leaves unset are
taken into account: a REST domain without an endpoint configuration is EDGE; an HTTP domain is
REGIONAL with TLS_1_2; SAM's `Domain` is REGIONAL unless it says otherwise.

With `--compare`, what the live domain says settles the one fact a template often cannot: how
the domain's certificate was issued (ACM's type), which decides the ownership check."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mtls_doctor.aws.findings_served import LOG_NEEDS, recommended_log_format
from mtls_doctor.iac import snippets as sn
from mtls_doctor.iac.model import (
    IacApi,
    IacDomain,
    IacMapping,
    IacObject,
    IacStage,
    IacTemplate,
    LiveCertificate,
    Unresolved,
    Value,
    Where,
)
from mtls_doctor.iac.snippets import Raw, Snippet
from mtls_doctor.iac.terraform import strip_index
from mtls_doctor.model.catalog import make_finding
from mtls_doctor.model.evidence import Attempt, Status, ok, skipped
from mtls_doctor.model.finding import Finding, Fix, Severity

#: the facts the checks of `iac` need, one per check family
FACTS = ("truststore", "endpoint", "certificate_kind", "mapped_apis", "mapped_stages")
_PLACEHOLDER_VERSION = "<truststore-version-id>"
_PLACEHOLDER_OWNER = "<ownership-verification-certificate-arn>"
_PLACEHOLDER_LOGS = "<log-group-arn>"


@dataclass
class Judged:
    """What the rules found in one or more templates: findings, what could not be resolved,
    and per fact the evidence (`ok`, failed with the first reason, or `skipped`)."""

    findings: list[Finding] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    facts: dict[str, Attempt] = field(default_factory=dict)

    def decided(self, fact: str) -> None:
        """The fact was looked at and decided for one domain."""
        if fact not in self.facts or self.facts[fact].status is Status.SKIPPED:
            self.facts[fact] = ok(f"iac.{fact}")

    def undecided(self, fact: str, where: Where, prop: str, expr: str, why: str) -> None:
        """The fact could not be decided for one domain: a note, and the check `unknown`."""
        self.unresolved.append(Unresolved(where, prop, expr))
        current = self.facts.get(fact)
        if current is None or not current.failed:
            self.facts[fact] = Attempt(f"iac.{fact}", Status.ERROR,
                                       f"{where.address} {prop}: {why}")
        self.findings.append(make_finding(
            "IAC_VALUE_UNRESOLVED", f"{prop} of {where.address} is not known before deployment",
            f"{why} ({expr}), so the check that needs it cannot be decided from the template. "
            "`--compare` reads the live domain for what AWS knows.",
            location=str(where), evidence={"property": prop, "expression": expr,
                                           "fact": fact, **_at(where)}))


def _at(where: Where) -> dict[str, Any]:
    return {"file": where.file, "line": where.line, "address": where.address,
            "cdk_path": where.cdk_path}


def _unset(v: Value | None) -> bool:
    """Not set in the template (a Terraform attribute only AWS fills in counts as unset)."""
    return v is None or (not v.known and not v.refs and v.expr in ("", "known after apply"))


def _fix(summary: str, where: Where, snippet: Snippet, extra: Iterable[str] = ()) -> Fix:
    step = f"In {where}, set ({snippet.language}): {snippet.one_line()}"
    return Fix(summary, (step, *extra))


def _evidence(d: IacDomain, snippet: Snippet | None, **more: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {"tool": d.tool, "resource_type": d.resource_type, **_at(d.where),
                          "domain_name": d.domain_name.text() if d.domain_name else None}
    if snippet is not None:
        ev["snippet"] = {"language": snippet.language, "lines": list(snippet.lines)}
    ev.update(more)
    return ev


def _name(d: IacDomain) -> str:
    return d.domain_name.text() if d.domain_name else d.where.address


def _v(v: Value | None) -> str:
    return v.text() if v is not None else "?"


def mappings_of(t: IacTemplate, d: IacDomain) -> list[IacMapping]:
    """The mappings of the template on domain `d`: by reference, else by equal domain name."""
    addr = strip_index(d.where.address)

    def mine(m: IacMapping) -> bool:
        if m.domain is not None:
            return strip_index(m.domain) == addr
        return (m.domain_name is not None and m.domain_name.known and d.domain_name is not None
                and m.domain_name.value == d.domain_name.value)

    return [m for m in t.mappings if mine(m)]


def s3_parts(uri: Value | None) -> tuple[str, str] | None:
    """(bucket, key) of a resolved `s3://bucket/key` URI."""
    if uri is None or not isinstance(uri.value, str) or not uri.value.startswith("s3://"):
        return None
    bucket, _, key = uri.value[5:].partition("/")
    return (bucket, key) if bucket and key else None


class _Template:
    """The rules over one template's resources (`live`: what `--compare` read of each domain's
    certificate, by where the domain is)."""

    def __init__(self, t: IacTemplate, out: Judged,
                 live: Mapping[Where, LiveCertificate] | None = None) -> None:
        self.t = t
        self.out = out
        self.live = live or {}

    def run(self) -> None:
        for d in self.t.domains:
            if d.replacement is not None:
                self.replaced(d)
            if not d.mtls:
                continue
            self.truststore(d)
            self.endpoint(d)
            self.ownership(d)
            self.mapped(d)

    # --- truststore -------------------------------------------------------------------------

    def object_of(self, d: IacDomain) -> IacObject | None:
        uri = d.truststore_uri
        parts = s3_parts(uri)
        for o in self.t.objects:
            addr = strip_index(o.where.address)
            if uri is not None and addr in uri.refs:
                return o
            if parts is not None and o.bucket is not None and o.key is not None \
                    and (o.bucket.value, o.key.value) == parts:
                return o
        return None

    def truststore(self, d: IacDomain) -> None:
        self.out.decided("truststore")
        obj = self.object_of(d)
        version = d.truststore_version
        obj_ref = f"{strip_index(obj.where.address)}.version_id" if obj is not None else None
        uploads = obj is not None and any(a in ("create", "update") for a in obj.actions)
        if version is None:
            snippet = self.pin(d, obj_ref)
            named = f" {obj.where.address}, uploaded by this {self.kind}," if obj else ""
            self.out.findings.append(make_finding(
                "IAC_TRUSTSTORE_UNPINNED", f"{_name(d)}: mutual TLS names no truststore version",
                f"{d.where.address} sets a truststore URI ({_v(d.truststore_uri)}) "
                f"but no truststore version: API Gateway reads whichever version of the "
                f"object{named} is the latest when the domain is created or updated, so a new "
                "upload changes nothing until an unrelated update, and the version in use is "
                "not in the template.",
                location=str(d.where), subject=_name(d),
                evidence=_evidence(d, snippet, truststore_object=obj.where.address if obj
                                   else None),
                fix=_fix("Pin the truststore version"
                         + (" to the version the object resource uploads." if obj else "."),
                         d.where, snippet)))
            return
        if obj is None or obj_ref is None or obj_ref in version.refs or \
                strip_index(obj.where.address) in version.refs:
            return
        snippet = self.pin(d, obj_ref)
        self.out.findings.append(make_finding(
            "IAC_TRUSTSTORE_VERSION_NOT_LINKED",
            f"{_name(d)}: the truststore version is not the one {obj.where.address} uploads",
            f"{d.where.address} pins truststore version {version.text()}, while "
            f"{obj.where.address} in the same {self.kind} writes the truststore object"
            + (" (this plan uploads a new version)" if uploads else "")
            + ": when its content changes the domain keeps the old version (\"API Gateway is "
            "using an old version of our truststore.pem\").",
            location=str(d.where), subject=_name(d),
            evidence=_evidence(d, snippet, truststore_object=obj.where.address,
                               pinned=version.text(), object_actions=list(obj.actions)),
            fix=_fix("Reference the object's version id, so a new upload updates the domain.",
                     d.where, snippet)))

    @property
    def kind(self) -> str:
        return "plan" if self.t.kind == "terraform-plan" else "template"

    def pin(self, d: IacDomain, obj_ref: str | None) -> Snippet:
        uri = d.truststore_uri.text() if d.truststore_uri else "s3://<bucket>/<key>"
        version: Any = Raw(obj_ref) if obj_ref else _PLACEHOLDER_VERSION
        block: dict[str, Any] = {"truststore_version": version}
        if d.truststore_uri is not None and d.truststore_uri.known:  # else: keep its expression
            block = {"truststore_uri": uri, **block}
        parts = s3_parts(d.truststore_uri)
        return sn.for_domain(
            d, hcl_body={"mutual_tls_authentication": block},
            cfn_body={"MutualTlsAuthentication": {"TruststoreUri": uri,
                                                  "TruststoreVersion": _PLACEHOLDER_VERSION}},
            cdk_path="MutualTlsAuthentication.TruststoreVersion", cdk_value=_PLACEHOLDER_VERSION,
            cdk_l2=(f"mtls: {{ bucket, key: {sn.ts_string(parts[1] if parts else '<key>')}, "
                    f"version: {sn.ts_string(_PLACEHOLDER_VERSION)} }},",))

    # --- endpoint and security policy ------------------------------------------------------

    def endpoint(self, d: IacDomain) -> None:
        ep, policy = d.endpoint_type, d.security_policy
        decided = True
        if _unset(ep):
            ep_value: str | None = "EDGE" if d.api_type == "rest" else "REGIONAL"
            ep_said = "not set, so EDGE (the default of a REST custom domain)"
        elif ep is not None and ep.known:
            ep_value, ep_said = str(ep.value).upper(), f"{ep.value}"
        else:
            ep_value, ep_said, decided = None, "", False
            self.out.undecided("endpoint", d.where, "endpoint type", ep.expr if ep else "",
                               "the endpoint type does not resolve statically")
        if ep_value is not None and ep_value != "REGIONAL":
            snippet = sn.for_domain(
                d, hcl_body={"endpoint_configuration": {"types": Raw('["REGIONAL"]')}}
                if d.api_type == "rest" else {"domain_name_configuration": {
                    "endpoint_type": "REGIONAL"}},
                cfn_body=self.cfn_conf(d, "EndpointType", "REGIONAL") if d.api_type == "http"
                else ({"EndpointConfiguration": "REGIONAL"} if d.tool == "sam"
                      else {"EndpointConfiguration": {"Types": ["REGIONAL"]}}),
                cdk_path="EndpointConfiguration.Types", cdk_value=["REGIONAL"],
                cdk_l2=("endpointType: apigateway.EndpointType.REGIONAL,",))
            self.out.findings.append(make_finding(
                "IAC_NOT_REGIONAL", f"{_name(d)}: mutual TLS on the endpoint type {ep_value}",
                f"{d.where.address} turns on mutual TLS, but its endpoint type is {ep_said}: "
                "mutual TLS needs a REGIONAL custom domain (private APIs have none), so the "
                "deployment fails.", location=str(d.where), subject=_name(d),
                evidence=_evidence(d, snippet, endpoint_type=ep_value),
                fix=_fix("Make the custom domain REGIONAL (with a regional certificate).",
                         d.where, snippet)))
        if _unset(policy):
            pol_value: str | None = None if d.api_type == "rest" else "TLS_1_2"
        elif policy is not None and policy.known:
            pol_value = str(policy.value)
        else:
            pol_value, decided = "?", False
            self.out.undecided("endpoint", d.where, "security policy",
                               policy.expr if policy else "",
                               "the security policy does not resolve statically")
        if pol_value not in ("TLS_1_2", "?"):
            snippet = sn.for_domain(
                d, hcl_body={"security_policy": "TLS_1_2"} if d.api_type == "rest" else {
                    "domain_name_configuration": {"security_policy": "TLS_1_2"}},
                cfn_body=self.cfn_conf(d, "SecurityPolicy", "TLS_1_2") if d.api_type == "http"
                else {"SecurityPolicy": "TLS_1_2"},
                cdk_path="SecurityPolicy", cdk_value="TLS_1_2",
                cdk_l2=("securityPolicy: apigateway.SecurityPolicy.TLS_1_2,",))
            unset = pol_value is None
            self.out.findings.append(make_finding(
                "IAC_SECURITY_POLICY_INCOMPATIBLE",
                f"{_name(d)}: security policy {'not set' if unset else pol_value} with mutual TLS",
                f"{d.where.address} turns on mutual TLS with "
                + ("no security policy: the template leaves it to API Gateway's default, which "
                   "for REST custom domains has been TLS_1_0; mutual TLS needs TLS_1_2, so say "
                   "it." if unset else f"security policy {pol_value}: mutual TLS needs TLS_1_2 "
                   "(the enhanced SecurityPolicy_* policies cannot carry it)."),
                location=str(d.where), subject=_name(d),
                evidence=_evidence(d, snippet, security_policy=pol_value),
                fix=_fix("Use the TLS_1_2 security policy.", d.where, snippet),
                severity=Severity.WARNING if unset else None))
        if decided:
            self.out.decided("endpoint")

    @staticmethod
    def cfn_conf(d: IacDomain, prop: str, value: str) -> dict[str, Any]:
        if d.tool == "sam":
            return {prop if prop != "EndpointType" else "EndpointConfiguration": value}
        return {"DomainNameConfigurations": [{prop: value}]}

    # --- ownership verification certificate ------------------------------------------------

    def ownership(self, d: IacDomain) -> None:
        if not _unset(d.ownership_certificate_arn):
            self.out.decided("certificate_kind")
            return
        kind = d.certificate_kind
        live = self.live.get(d.where) if kind is None else None
        if live is not None and live.kind is not None:
            kind = live.kind  # the template does not say; the live domain's certificate does
        if kind == "amazon":
            self.out.decided("certificate_kind")
            return
        if kind is None:
            cert = d.certificate_arn
            self.out.undecided(
                "certificate_kind", d.where, "certificate", cert.text() if cert else "(none)",
                "whether the domain's certificate is imported or from a private CA (which "
                "needs an ownership verification certificate) is not in the template"
                + (f", and --compare could not tell: {live.why}" if live is not None else ""))
            return
        self.out.decided("certificate_kind")
        rest = d.api_type == "rest"
        snippet = sn.for_domain(
            d, hcl_body={"ownership_verification_certificate_arn": _PLACEHOLDER_OWNER} if rest
            else {"domain_name_configuration": {
                "ownership_verification_certificate_arn": _PLACEHOLDER_OWNER}},
            cfn_body={"OwnershipVerificationCertificateArn": _PLACEHOLDER_OWNER} if rest
            or d.tool == "sam" else {"DomainNameConfigurations": [
                {"OwnershipVerificationCertificateArn": _PLACEHOLDER_OWNER}]},
            cdk_path="OwnershipVerificationCertificateArn" if rest
            else "DomainNameConfigurations.0.OwnershipVerificationCertificateArn",
            cdk_value=_PLACEHOLDER_OWNER,
            cdk_l2=() if rest else ("ownershipCertificate: acm.Certificate.fromCertificateArn("
                                    f"this, 'Ownership', {sn.ts_string(_PLACEHOLDER_OWNER)}),",))
        what = "an imported certificate" if kind == "imported" else "a private CA's certificate"
        said = (f"{d.certificate_resource}" if live is None else
                f"{live.arn}, ACM type {live.acm_type} in AWS: the template does not say")
        self.out.findings.append(make_finding(
            "IAC_OWNERSHIP_CERT_MISSING",
            f"{_name(d)}: mutual TLS with {what} and no ownership verification certificate",
            f"{d.where.address} turns on mutual TLS with {what} "
            f"({said}) and sets no ownership verification certificate: API "
            "Gateway refuses it (\"Missing ownershipVerificationCertificate\") until an "
            "ACM-issued certificate for the same name proves ownership.",
            location=str(d.where), subject=_name(d),
            evidence=_evidence(d, snippet, certificate_kind=kind,
                               certificate_resource=d.certificate_resource,
                               **({} if live is None else {
                                   "certificate_kind_from": "live domain (ACM)",
                                   "certificate_arn": live.arn})),
            fix=_fix("Request a public ACM certificate for the domain name (DNS validated) and "
                     "set it as the ownership verification certificate.", d.where, snippet)))

    # --- mapped APIs and stages --------------------------------------------------------------

    def mappings_of(self, d: IacDomain) -> list[IacMapping]:
        return mappings_of(self.t, d)

    def api_of(self, m: IacMapping) -> IacApi | None:
        for a in self.t.apis:
            if m.api is not None and strip_index(a.where.address) == strip_index(m.api):
                return a
            if m.api is None and a.ident and m.api_id is not None and m.api_id.value == a.ident:
                return a
        return None

    def stage_of(self, m: IacMapping, api: IacApi) -> IacStage | None:
        key = strip_index(api.where.address)
        ident = f"id={api.ident}" if api.ident else None
        for s in self.t.stages:
            if s.api is None or (strip_index(s.api) != key and s.api != ident):
                continue
            if m.stage_resource is not None and strip_index(s.where.address) == strip_index(
                    m.stage_resource):
                return s
            if m.stage is not None and m.stage.known and s.stage_name is not None \
                    and s.stage_name.value == m.stage.value:
                return s
        return None

    def mapped(self, d: IacDomain) -> None:
        maps = self.mappings_of(d)
        if not maps:
            for fact in ("mapped_apis", "mapped_stages"):
                self.out.facts.setdefault(fact, skipped(
                    f"iac.{fact}", f"no mapping of {_name(d)} in the {self.kind}"))
            return
        seen: set[str] = set()
        for m in maps:
            api = self.api_of(m)
            if api is None:
                self.out.undecided("mapped_apis", m.where, "API",
                                   m.api_id.text() if m.api_id else "(none)",
                                   "the mapped API is not a resource of this " + self.kind)
                self.out.undecided("mapped_stages", m.where, "stage",
                                   m.stage.text() if m.stage else "(none)",
                                   "the mapped API is not a resource of this " + self.kind)
                continue
            if api.where.address not in seen:
                seen.add(api.where.address)
                self.execute_api(d, api)
            stage = self.stage_of(m, api)
            if stage is None:
                self.out.undecided("mapped_stages", m.where, "stage",
                                   m.stage.text() if m.stage else "(none)",
                                   "the mapped stage is not a resource of this " + self.kind)
                continue
            self.access_log(d, stage)

    def execute_api(self, d: IacDomain, api: IacApi) -> None:
        flag = api.disable_execute_api_endpoint
        if flag is not None and not flag.known and flag.expr not in ("", "known after apply"):
            self.out.undecided("mapped_apis", api.where, "DisableExecuteApiEndpoint",
                               flag.expr, "whether the default endpoint is off does not "
                               "resolve statically")
            return
        self.out.decided("mapped_apis")
        if flag is not None and flag.value in (True, "true", "True"):
            return
        w = api.where
        if d.tool == "terraform":
            snippet = sn.tf({"disable_execute_api_endpoint": True})
        elif d.tool == "cdk":
            snippet = sn.cdk(w, "DisableExecuteApiEndpoint", True,
                             ("disableExecuteApiEndpoint: true,",))
        else:
            snippet = sn.cfn({"DisableExecuteApiEndpoint": True}, d.json_source)
        self.out.findings.append(make_finding(
            "IAC_EXECUTE_API_ENABLED",
            f"{w.address}, mapped to {_name(d)}, keeps its default execute-api endpoint",
            f"{w.address} is mapped to the mutual TLS domain {_name(d)} but does not turn off "
            "its default execute-api endpoint"
            + (f" (it is {flag.text()})" if flag is not None else " (not set: on)")
            + ": clients can call the API there without a client certificate.",
            location=str(w), subject=_name(d),
            evidence={**_evidence(d, snippet), **_at(w), "api": w.address},
            fix=_fix("Turn off the API's default execute-api endpoint.", w, snippet)))

    def access_log(self, d: IacDomain, st: IacStage) -> None:
        fmt = st.log_format
        if st.log_destination is not None and fmt is not None and not fmt.known:
            self.out.undecided("mapped_stages", st.where, "access log format", fmt.expr,
                               "the access log format does not resolve statically")
            return
        self.out.decided("mapped_stages")
        text = str(fmt.value) if fmt is not None and fmt.known else ""
        missing = [n for n in LOG_NEEDS if n not in text]
        if st.log_destination is not None and not missing:
            return
        rec = recommended_log_format(st.api_type)
        # a destination already set stays as it is (it may be an expression): only the format
        tf_body: dict[str, Any] = {"format": rec}
        cfn_body: dict[str, Any] = {"Format": rec}
        if st.log_destination is None:
            tf_body = {"destination_arn": _PLACEHOLDER_LOGS, **tf_body}
            cfn_body = {"DestinationArn": _PLACEHOLDER_LOGS, **cfn_body}
        if d.tool == "terraform":
            snippet = sn.tf({"access_log_settings": tf_body})
        elif d.tool == "cdk":
            prop = st.log_property or "AccessLogSetting"
            snippet = sn.cdk(st.where, prop if st.log_destination is None else f"{prop}.Format",
                             cfn_body if st.log_destination is None else rec,
                             ("deployOptions: { accessLogDestination: new apigateway."
                              "LogGroupLogDestination(logGroup), accessLogFormat: apigateway."
                              f"AccessLogFormat.custom({sn.ts_string(rec)}) }},",)
                             if st.api_type == "rest" else ())
        else:
            body = cfn_body
            for part in reversed((st.log_property or "AccessLogSetting").split(".")):
                body = {part: body}
            snippet = sn.cfn(body, d.json_source)
        label = f"stage {st.stage_name.text() if st.stage_name else '?'} ({st.where.address})"
        ev = {**_evidence(d, snippet), **_at(st.where), "stage": st.where.address,
              "recommended_format": rec}
        if st.log_destination is None:
            self.out.findings.append(make_finding(
                "IAC_ACCESS_LOGS_MISSING", f"{label}, mapped to {_name(d)}, keeps no access log",
                f"{label} receives the requests of the mutual TLS domain {_name(d)} but has no "
                "access logging: a request refused with 403 leaves no record of the client "
                "certificate or the reason.", location=str(st.where), subject=_name(d),
                evidence=ev, fix=_fix("Log the stage's requests with the client certificate "
                                      "and the error message.", st.where, snippet)))
            return
        lacks = " and ".join(f"{n}*" if n.endswith(".") else n for n in missing)
        self.out.findings.append(make_finding(
            "IAC_ACCESS_LOG_FORMAT_INCOMPLETE", f"the access log of {label} lacks {lacks}",
            f"{label} logs the requests of the mutual TLS domain {_name(d)}, but its format "
            f"lacks {lacks}: the log does not say which certificate a client sent or why a "
            "request was refused.", location=str(st.where), subject=_name(d),
            evidence={**ev, "missing": missing},
            fix=_fix("Add the client certificate and the error message to the format.",
                     st.where, snippet)))

    # --- a plan that replaces the domain -----------------------------------------------------

    def replaced(self, d: IacDomain) -> None:
        r = d.replacement
        assert r is not None
        by_truststore = any("truststore_uri" in p for p in r.paths) or (
            r.before_uri is not None and r.before_uri != r.after_uri)
        why = (f" because its truststore URI changes ({r.before_uri} -> {r.after_uri})"
               if by_truststore else (f" (forced by {', '.join(r.paths)})" if r.paths else ""))
        snippet = sn.tf({"terraform": {"required_providers": {"aws": Raw(
            '{ source = "hashicorp/aws", version = "<a release with '
            'hashicorp/terraform-provider-aws#30081>" }')}}})
        self.out.findings.append(make_finding(
            "IAC_DOMAIN_REPLACED", f"the plan replaces the custom domain {_name(d)}{why}",
            f"{d.where.address} is planned as {' then '.join(r.actions)}{why}: the domain is "
            "deleted and created again, so its regional domain name (the DNS target) changes, "
            "its mappings go with it, and clients fail until DNS follows. AWS updates a "
            "truststore URI in place; older AWS providers force a new domain for it.",
            location=str(d.where), subject=_name(d),
            evidence=_evidence(d, snippet, actions=list(r.actions), replace_paths=list(r.paths),
                               action_reason=r.reason, before_uri=r.before_uri,
                               after_uri=r.after_uri),
            fix=_fix("Do not apply this plan: upgrade the AWS provider to a release that "
                     "updates truststore_uri in place, or keep the old URI and upload the new "
                     "truststore as a new version of the same object.", d.where, snippet)))


def judge(templates: Iterable[IacTemplate],
          live: Mapping[Where, LiveCertificate] | None = None) -> Judged:
    """The findings of every template, and the evidence of each fact the checks need (`live`:
    each domain's certificate as `--compare` read it, for what the template does not say)."""
    out = Judged()
    for t in templates:
        _Template(t, out, live).run()
    for fact in FACTS:
        out.facts.setdefault(fact, skipped(f"iac.{fact}",
                                           "no custom domain with mutual TLS in the templates"))
    return out
