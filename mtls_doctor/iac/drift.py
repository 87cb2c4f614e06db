"""`iac --compare`: each template domain whose name resolves, read live with the collector of
`domain` (REST and HTTP APIs, ACM, S3) within the one deadline, and every property the template
and AWS disagree on reported as drift. For the truststore version the drift says all three:
the template's version, the one the domain uses, and S3's latest.

A lookup that fails is the `AWS_*` finding `domain` gives, and the drift check is `unknown`:
a failed call is never reported as a domain that is missing or in step.

The live domain also settles what a template cannot say: how its certificate was issued (ACM's
`Type`), which decides whether the domain needs an ownership verification certificate
(`LiveCertificate`, read by the ownership rule of `rules`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mtls_doctor.deadline import Deadline
from mtls_doctor.iac.model import Drift, IacDomain, IacTemplate, LiveCertificate, Value, Where
from mtls_doctor.model.catalog import make_finding
from mtls_doctor.model.domain import DomainFacts
from mtls_doctor.model.evidence import Attempt, Status, ok, skipped
from mtls_doctor.model.finding import Finding, Fix, Severity

#: ACM's certificate `Type` -> the kind the rules know
_ACM_KINDS = {"IMPORTED": "imported", "PRIVATE": "private", "AMAZON_ISSUED": "amazon"}


@dataclass
class Compared:
    """Drift entries, their findings, the evidence of `live` and `aws`, and what the live
    domains say of each template domain's certificate (by where the domain is)."""

    drift: list[Drift] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    evidence: dict[str, Attempt] = field(default_factory=dict)
    certificates: dict[Where, LiveCertificate] = field(default_factory=dict)


def live_certificate(d: IacDomain, facts: DomainFacts) -> LiveCertificate:
    """How the certificate of template domain `d` was issued, from the live domain's ACM facts:
    the template's own ARN when it resolves (ACM was asked about it only when the live domain
    uses it too), else the live domain's."""
    template_arn = (str(d.certificate_arn.value) if d.certificate_arn is not None
                    and d.certificate_arn.known else None)
    live_arn = facts.certificate_arn
    if template_arn is not None and live_arn is not None and template_arn != live_arn:
        return LiveCertificate(template_arn, None, f"the live domain uses another certificate "
                               f"({live_arn}), so ACM was not asked about the template's")
    arn = template_arn or live_arn
    if arn is None:
        return LiveCertificate(None, None, "the live domain names no certificate")
    acm = facts.certificates.get(arn)
    if acm is None:
        looked = facts.evidence.get("certificate")
        said = looked.describe() if looked is not None and looked.failed else "not read"
        return LiveCertificate(arn, None, f"ACM could not describe {arn} ({said})")
    kind = _ACM_KINDS.get((acm.type or "").upper())
    if kind is None:
        return LiveCertificate(arn, None, f"ACM gives {arn} the type {acm.type or 'none'}",
                               acm.type)
    return LiveCertificate(arn, kind, acm_type=acm.type)


def _default(d: IacDomain, v: Value | None, rest_default: str | None,
             http_default: str | None) -> str | None:
    if v is None:
        return rest_default if d.api_type == "rest" else http_default
    return str(v.value) if v.known else None


def _pairs(d: IacDomain, facts: DomainFacts) -> list[tuple[str, str | None, str | None,
                                                           str | None]]:
    """(property, template, live, latest) for each property both sides know."""
    live_mtls = facts.mtls
    out: list[tuple[str, str | None, str | None, str | None]] = []
    out.append(("mutual TLS", "on" if d.mtls else "off", "on" if live_mtls else "off", None))
    if d.mtls and live_mtls is not None:
        if d.truststore_uri is not None and d.truststore_uri.known:
            out.append(("truststore URI", str(d.truststore_uri.value), live_mtls.truststore_uri,
                        None))
        latest = facts.truststore_object.latest_version if facts.truststore_object else None
        template_version = (str(d.truststore_version.value) if d.truststore_version is not None
                            and d.truststore_version.known else None)
        if d.truststore_version is None or d.truststore_version.known:
            out.append(("truststore version", template_version, live_mtls.truststore_version,
                        latest))
    endpoint = _default(d, d.endpoint_type, "EDGE", "REGIONAL")
    if endpoint is not None:
        out.append(("endpoint type", endpoint.upper(), facts.endpoint_type, None))
    policy = _default(d, d.security_policy, None, "TLS_1_2")
    if policy is not None:
        out.append(("security policy", policy, facts.security_policy, None))
    if d.ownership_certificate_arn is not None and d.ownership_certificate_arn.known:
        out.append(("ownership verification certificate", str(d.ownership_certificate_arn.value),
                    facts.ownership_verification_certificate_arn, None))
    return out


def _finding(d: IacDomain, name: str, x: Drift, region: str | None) -> Finding:
    stale = (x.prop == "truststore version" and x.latest is not None
             and x.latest != (x.live or x.template))
    said = (f"the template says {x.template or 'none'}, the domain uses {x.live or 'none'}"
            + (f", S3's latest is {x.latest}" if x.latest is not None else ""))
    return make_finding(
        "IAC_DRIFT", f"{name}: {x.prop} differs between the template and AWS",
        f"{d.where.address} declares the custom domain {name} ({region or 'default region'}); "
        f"for its {x.prop} {said}. Either the template was not deployed, or the domain was "
        "changed outside it" + (", and S3 holds a newer truststore than either" if stale
                                else "") + ".",
        location=str(d.where), subject=name,
        evidence={"property": x.prop, "template": x.template, "live": x.live,
                  "latest": x.latest, "file": d.where.file, "address": d.where.address},
        fix=Fix("Deploy the template (terraform apply, sam deploy, cdk deploy, a change set), "
                "or bring the template in line with the domain if the live value is the one "
                "you mean."))


def compare_live(templates: Sequence[IacTemplate], *, region: str | None,
                 profile: str | None, deadline: Deadline) -> Compared:
    """Read each template domain live and compare it with what the template says."""
    from mtls_doctor.aws.findings import domain_findings
    from mtls_doctor.commands.domain import collect_or_load

    out = Compared()
    failed: Attempt | None = None
    looked = 0
    calls = 0
    cache: dict[str, DomainFacts] = {}
    for t in templates:
        for d in t.domains:
            if d.domain_name is None or not d.domain_name.known:
                continue
            name = str(d.domain_name.value)
            facts = cache.get(name)
            if facts is None:
                facts = collect_or_load(name, region=region, profile=profile, deadline=deadline,
                                        snapshot=None)
                cache[name] = facts
                calls += len(facts.attempts)
                out.findings += [f for f in domain_findings(facts, (), at=datetime.now(UTC))
                                 if f.id.startswith("AWS_")]
            looked += 1
            if facts.found is None:
                this = facts.evidence.get("domain") or Attempt(
                    "domain", Status.ERROR, "the lookup failed")
                failed = failed or this
                out.certificates[d.where] = LiveCertificate(
                    None, None, f"the live domain could not be read ({this.describe()})")
                continue
            if not facts.found:
                out.certificates[d.where] = LiveCertificate(
                    None, None, f"{name} is not deployed in {facts.region or 'the region asked'}")
                x = Drift(name, d.where, "existence", "declared", "not found in AWS")
                out.drift.append(x)
                out.findings.append(make_finding(
                    "IAC_DRIFT", f"{name} is not deployed",
                    f"{d.where.address} declares {name}, which AWS does not know in "
                    f"{facts.region or 'the region asked'}: nothing to compare (yet).",
                    location=str(d.where), subject=name, severity=Severity.INFO,
                    evidence={"property": "existence", "template": "declared", "live": None,
                              "file": d.where.file, "address": d.where.address}))
                continue
            out.certificates[d.where] = live_certificate(d, facts)
            for prop, template, live, latest in _pairs(d, facts):
                if template != live or (prop == "truststore version" and latest is not None
                                        and latest != (live or template)):
                    x = Drift(name, d.where, prop, template, live, latest)
                    out.drift.append(x)
                    out.findings.append(_finding(d, name, x, facts.region))
    if failed is not None:
        out.evidence["live"] = failed
    elif looked:
        out.evidence["live"] = ok("iac.live", f"{looked} domain(s) compared")
    else:
        out.evidence["live"] = skipped("iac.live", "no template domain has a name that "
                                       "resolves statically")
    out.evidence["aws"] = ok("iac.aws") if calls else skipped("iac.aws", "no AWS call made")
    return out
