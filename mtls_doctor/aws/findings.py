"""Turn what AWS says about a custom domain into findings, each with a fix whose `aws` commands are
filled in with the domain's real name, region, bucket, key, versions and certificate ARNs.

Pure: no boto3, no network. The collector gathers `DomainFacts`; this module only reads them. An
AWS call that failed is itself a fact: it becomes an AWS_* finding and never stops the other rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from mtls_doctor.aws import findings_served as served
from mtls_doctor.aws.uris import split_s3_uri
from mtls_doctor.model.catalog import make_finding
from mtls_doctor.model.certificate import CertSummary
from mtls_doctor.model.domain import AcmCertificate, DomainFacts, Mtls, TruststoreObject
from mtls_doctor.model.evidence import Attempt, Status
from mtls_doctor.model.finding import Finding, Fix
from mtls_doctor.pki.fixes import UploadTarget, with_upload
from mtls_doctor.pki.hostname import name_covers
from mtls_doctor.shell import aws, curl, doctor, openssl, render, render_all, tools
from mtls_doctor.shell.aws import NEW_VERSION

T = TypeVar("T")
#: versioning states that S3 reports for a bucket whose versioning is not on
_VERSIONING_OFF = {"suspended", "never", "disabled", "off"}
_REGION_SOURCE = {
    "option": "given with --region",
    "dns": "read from the regional name the host resolves to",
    "profile": "the AWS profile's or environment's default region",
    "scan": "found by scanning the regions API Gateway offers",
}


# --- small helpers --------------------------------------------------------------------------------

def arn_region(arn: str | None) -> str | None:
    """`arn:aws:acm:us-east-1:123:certificate/x` -> `us-east-1`."""
    return aws.arn_region(arn)


def _names_of(cert: AcmCertificate) -> tuple[str, ...]:
    """The certificate's domain name and SANs, each once."""
    names = [cert.domain_name] if cert.domain_name else []
    names += [n for n in cert.sans if n not in names]
    return tuple(names)


def covers(names: Iterable[str], host: str) -> bool:
    """Whether one of the names covers `host` (RFC 6125: exact, or a one-label wildcard)."""
    return any(name_covers(name, host) for name in names)


def s3_uri(bucket: str, key: str, version: str | None = None) -> str:
    """The contract's S3 source form: `s3://bucket/key` with an optional `?versionId=V`; a key
    character that a URI cannot carry as itself (space, `%`, `?`, `#`, ...) percent-encoded."""
    return aws.s3_uri(bucket, key) + (f"?versionId={version}" if version else "")


def _day(dt: datetime | None) -> str:
    return f"{dt:%Y-%m-%d}" if dt else "?"


@dataclass(frozen=True)
class Ctx:
    """The facts plus what every rule derives from them: where, which CLI, which region (the
    rule modules beside this one take it too)."""

    facts: DomainFacts
    at: datetime
    warn_days: int
    _memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def memo(self, key: str, make: Callable[[], T]) -> T:
        """`make()` once per context: what several rules derive from the same facts."""
        if key not in self._memo:
            self._memo[key] = make()
        value: T = self._memo[key]
        return value

    @property
    def name(self) -> str:
        return self.facts.name

    @property
    def rest(self) -> bool:
        """Whether the REST API (apigateway) describes the domain; else apigatewayv2 (HTTP and
        WebSocket APIs)."""
        return self.facts.api_type not in ("http", "websocket")

    @property
    def ref(self) -> aws.Domain:
        """The domain as the `aws` commands address it (one builder for REST and HTTP; a private
        domain with its id)."""
        f = self.facts
        return aws.Domain(f.name, f.region, "http" if not self.rest else "rest",
                          f.certificate_arn, f.ownership_verification_certificate_arn,
                          f.domain_name_id)

    @property
    def account(self) -> str:
        """The account id: the caller's, else the one in the certificate's ARN."""
        f = self.facts
        if f.account_id:
            return f.account_id
        parts = (f.certificate_arn or "").split(":")
        return parts[4] if len(parts) > 5 and parts[4] else "<account-id>"

    @property
    def where(self) -> str:
        """`custom domain api.example.com (us-east-1)`."""
        region = f" ({self.facts.region})" if self.facts.region else ""
        return f"custom domain {self.name}{region}"

    @property
    def mtls(self) -> Mtls | None:
        """The mTLS settings; an empty truststore URI (mTLS switched off) counts as none."""
        m = self.facts.mtls
        return m if m is not None and m.truststore_uri else None

    @property
    def domain_cert(self) -> AcmCertificate | None:
        return self.facts.certificates.get(self.facts.certificate_arn or "")

    @property
    def s3(self) -> tuple[str, str] | None:
        """(bucket, key) of the truststore, from the S3 facts or the domain's URI."""
        ts = self.facts.truststore_object
        if ts is not None:
            return ts.bucket, ts.key
        return split_s3_uri(self.mtls.truststore_uri) if self.mtls else None

    @property
    def configured_version(self) -> str | None:
        ts = self.facts.truststore_object
        if ts is not None and ts.configured_version:
            return ts.configured_version
        return self.mtls.truststore_version if self.mtls else None

    @property
    def truststore_where(self) -> str:
        """The truststore as `s3://bucket/key?versionId=V` (the domain's URI when unparsable)."""
        s3 = self.s3
        if s3 is None:
            return self.mtls.truststore_uri if self.mtls else self.where
        return s3_uri(*s3, self.configured_version)

    # --- commands (rendered lines for `Fix.commands`; built by `mtls_doctor.shell`) ------------------
    def get_domain(self, query: str | None = None) -> str:
        return render(aws.get_domain_name(self.ref, query))

    def status_query(self) -> str:
        return render(aws.status_query(self.ref))

    def mtls_query(self, field: str | None = None) -> str:
        return render(aws.mtls_query(self.ref, field))

    def set_truststore_version(self, version: str) -> str:
        """Point the domain at one truststore object version (the one builder, `aws`)."""
        bucket, key = self.s3 or ("<bucket>", "<key>")
        return render(aws.set_truststore_version(self.ref, bucket, key, version))

    def set_ownership(self, arn: str) -> str:
        return render(aws.set_ownership(self.ref, arn))

    def set_certificate(self, arn: str) -> str:
        return render(aws.set_certificate(self.ref, arn))

    def set_security_policy(self) -> str:
        return render(aws.set_security_policy(self.ref, "TLS_1_2"))

    def describe_cert(self, arn: str, query: str | None = None) -> str:
        return render(aws.describe_certificate(arn, self.facts.region, query))

    def import_cert(self, arn: str) -> str:
        return render(aws.import_certificate(arn, self.facts.region))

    def request_cert(self) -> str:
        return render(aws.request_certificate(self.name, self.facts.region))

    def ownership_candidate(self) -> str | None:
        """An ACM-issued, issued, valid certificate in the facts that covers the name (neither the
        domain's certificate nor the current ownership one): a value for
        ownershipVerificationCertificateArn."""
        taken = (self.facts.certificate_arn, self.facts.ownership_verification_certificate_arn)
        for arn, cert in self.facts.certificates.items():
            if arn not in taken and not _ownership_problems(self, cert):
                return arn
        return None

    def new_ownership_steps(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Steps and commands to get a valid ownership verification certificate in place."""
        candidate = self.ownership_candidate()
        if candidate:
            return ((f"Use the ACM-issued certificate {candidate}, which covers {self.name}.",),
                    (self.describe_cert(candidate, "Certificate.[Status,Type,NotAfter]"),
                     self.set_ownership(candidate)))
        new = "<new-ownership-certificate-arn>"
        return (("Request a public ACM certificate for the domain name (DNS validation) and create "
                 "the validation record ACM shows.",
                 "When it is ISSUED, put its ARN in ownershipVerificationCertificateArn.",
                 "It proves ownership only (it is not served); keep it valid for the domain's life."),
                (self.request_cert(),
                 self.describe_cert(new, "Certificate.DomainValidationOptions[].ResourceRecord"),
                 self.set_ownership(new)))


# --- rules -----------------------------------------------------------------------------------------

def _not_found(c: Ctx) -> Finding:
    f = c.facts
    how = _REGION_SOURCE.get(f.region_source, f.region_source)
    if f.region:
        searched = f"{f.region} (region {how})"
        if f.region_source not in ("option", "scan"):
            searched += ", then the other regions API Gateway offers"
    else:
        searched = ("no region: none was given with --region, found in DNS or set in the profile, "
                    "and no scanned region knows it")
    account = f" in account {f.account_id}" if f.account_id else ""
    region = f.region or "<region>"
    commands = render_all((aws.get_domain_names(True, region), aws.get_domain_names(False, region),
                           aws.get_domain_names(True, region, private=True), aws.caller_identity(),
                           tools.dig_short(f.name),
                           doctor.domain(f.name, "<region>")))
    return make_finding(
        "DOMAIN_NOT_FOUND", f"no custom domain named {f.name}{account}",
        f"Neither the REST (apigateway) nor the HTTP (apigatewayv2) API knows the custom domain "
        f"name {f.name}{account}, and no private custom domain of the account has that name "
        f"(GetDomainNames; a private one is known only by its id). Searched: {searched}. Check "
        "the spelling, the account (profile) and the region: a regional domain exists only in "
        "its own region, and the host name's DNS record (d-xxxx.execute-api.REGION.amazonaws.com) "
        "tells which.",
        location=f"custom domain {f.name}" + (f" ({f.region})" if f.region else ""),
        evidence={"name": f.name, "region": f.region, "region_source": f.region_source,
                  "account_id": f.account_id, "dns_canonical": f.dns_canonical,
                  "dns_addresses": list(f.dns_addresses)},
        fix=Fix("Check the name, the account and the region; pass --region when DNS does not "
                "tell it.", ("List the custom domains of the region in both APIs.",
                             "Check which account the credentials belong to.",
                             "Look up where the host name points: the regional name carries "
                             "the region."), tuple(commands)))


_STATUS_IDS = {
    "PENDING_CERTIFICATE_REIMPORT": "DOMAIN_STATUS_PENDING_CERTIFICATE_REIMPORT",
    "PENDING_OWNERSHIP_VERIFICATION": "DOMAIN_STATUS_PENDING_OWNERSHIP_VERIFICATION",
    "FAILED": "DOMAIN_STATUS_FAILED",
    "UPDATING": "DOMAIN_STATUS_UPDATING",
    "PENDING": "DOMAIN_STATUS_PENDING",
}


def _status(c: Ctx) -> list[Finding]:
    f = c.facts
    status = (f.status or "").upper()
    finding_id = _STATUS_IDS.get(status)
    if finding_id is None:
        return []
    cert = c.domain_cert
    own = f.certificates.get(f.ownership_verification_certificate_arn or "")
    said = f" API Gateway says: {f.status_message}." if f.status_message else ""
    evidence: dict[str, Any] = {"status": f.status, "status_message": f.status_message,
                                "certificate_arn": f.certificate_arn,
                                "ownership_verification_certificate_arn":
                                    f.ownership_verification_certificate_arn}
    arn = f.certificate_arn or "<certificate-arn>"
    subject = cert.subject if cert else None
    if status == "PENDING_CERTIFICATE_REIMPORT":
        names = _names_of(cert) if cert else ()
        own_names = _names_of(own) if own else ()
        evidence |= {"certificate_names": list(names), "certificate_covers_domain":
                     covers(names, c.name) if cert else None,
                     "ownership_certificate_names": list(own_names),
                     "ownership_certificate_covers_domain": covers(own_names, c.name) if own else None}
        seen = ""
        if cert and not covers(names, c.name):
            seen = f" The imported certificate names {', '.join(names) or 'nothing'}, not {c.name}."
        if own and not covers(own_names, c.name):
            seen += (f" The ownership verification certificate names {', '.join(own_names) or 'nothing'},"
                     f" not {c.name}.")
        detail = ("The certificate was re-imported into ACM and failed validation: the new "
                  "certificate has SANs, and neither the ownership verification certificate nor the "
                  f"certificate's subject or SANs cover {c.name}. Something is misconfigured or an "
                  "invalid certificate was imported; import a valid one again (same issuer as "
                  f"before).{seen}{said}")
        fix = Fix(f"Re-import into {arn} a valid certificate whose names cover {c.name}, from the "
                  "same issuer as before.",
                  ("Check the names of the certificate in ACM and of the file you mean to import.",
                   "Re-import it under the same ARN, then wait for the status to become AVAILABLE."),
                  (c.describe_cert(arn, "Certificate.[DomainName,SubjectAlternativeNames,Issuer]"),
                   render(openssl.x509("-noout", "-subject", "-issuer", "-ext", "subjectAltName",
                                       infile="certificate.pem")),
                   c.import_cert(arn), c.status_query()))
        title = f"{c.name} is PENDING_CERTIFICATE_REIMPORT"
    elif status == "PENDING_OWNERSHIP_VERIFICATION":
        own_arn = f.ownership_verification_certificate_arn
        if own:
            evidence |= {"ownership_certificate_status": own.status,
                         "ownership_certificate_not_after": own.not_after,
                         "ownership_certificate_renewal_status": own.renewal_status,
                         "ownership_certificate_renewal_reason": own.renewal_reason}
        renewal = ""
        if own and (own.renewal_status or own.renewal_reason):
            renewal = (f" ACM's renewal of {own.arn}: {own.renewal_status or '?'}"
                       + (f" ({own.renewal_reason})" if own.renewal_reason else "") + ".")
        detail = ("The previously verified certificate expired and ACM could not renew it "
                  "automatically. Every update of the domain is locked until "
                  "ownershipVerificationCertificateArn points at a valid ACM-issued certificate; "
                  f"renew the certificate or request a new one.{renewal}{said}")
        steps, commands = c.new_ownership_steps()
        if own_arn:
            commands = (c.describe_cert(own_arn, "Certificate.[Status,NotAfter,RenewalSummary]"),
                        *commands)
        fix = Fix("Renew the ownership verification certificate, or request a new one, and update "
                  "ownershipVerificationCertificateArn before any other change.", steps,
                  (*commands, c.status_query()))
        title = f"{c.name} is PENDING_OWNERSHIP_VERIFICATION: domain updates are locked"
        subject = own.subject if own else subject
    elif status == "FAILED":
        detail = (f"API Gateway could not set up {c.name}; the domain does not serve traffic as "
                  f"configured.{said or ' It gave no status message.'}")
        fix = Fix("Fix the cause the status message names (usually the certificate), then update "
                  "the domain again, or delete and re-create it.",
                  ("Read the full domain description and the certificate's state.",),
                  (c.get_domain(), c.describe_cert(arn, "Certificate.[Status,Type,NotAfter]")))
        title = f"{c.name} is FAILED"
    else:
        detail = (f"The domain is {status}: an update is still being applied, so what API Gateway "
                  "serves may not match these settings yet (a new truststore takes effect only "
                  f"when the update finishes).{said}")
        fix = Fix("Wait until the status is AVAILABLE, then check again.", (),
                  (c.status_query(), render(doctor.domain(c.name, f.region))))
        title = f"{c.name} is {status}"
    return [make_finding(finding_id, title, detail, subject=subject, location=c.where,
                         evidence=evidence, fix=fix)]


def _mtls_and_endpoint(c: Ctx) -> list[Finding]:
    f = c.facts
    out: list[Finding] = []
    endpoint = (f.endpoint_type or "").upper()
    policy = f.security_policy
    policy_ok = policy is None or policy.upper() == "TLS_1_2"
    cert_arn = f.certificate_arn or "<regional-certificate-arn>"
    if c.mtls is None:
        blockers = []
        if endpoint in ("EDGE", "PRIVATE"):
            blockers.append(f"the endpoint type is {endpoint}, and mTLS needs REGIONAL")
        if not policy_ok:
            blockers.append(f"the security policy is {policy}, and mTLS needs TLS_1_2")
        uri = "s3://<bucket>/<key>"
        commands: list[str] = []
        if not policy_ok and endpoint not in ("EDGE", "PRIVATE"):
            commands.append(c.set_security_policy())
        if endpoint == "PRIVATE":  # never on this domain: a REGIONAL one (DOMAIN_NOT_REGIONAL)
            commands.append(render(aws.create_regional_domain(
                c.ref, f.certificate_arn or "<regional-certificate-arn>", uri)))
        else:
            commands.append(render(aws.set_truststore_uri(c.ref, uri)))
        out.append(make_finding(
            "DOMAIN_MTLS_DISABLED", f"{c.name} does not require client certificates",
            "The custom domain has no mutualTlsAuthentication (no truststore), so API Gateway never "
            "asks a client for a certificate." + (
                " Before it can: " + "; ".join(blockers) + "." if blockers else ""),
            location=c.where,
            evidence={"mtls": None, "endpoint_type": f.endpoint_type, "security_policy": policy},
            fix=Fix("Upload the truststore (the PEM bundle of CA certificates) to S3 and set its URI "
                    "on the domain.",
                    ("Check the bundle: mtls-doctor truststore truststore.pem",
                     "Upload it to a bucket with versioning on.",
                     "Set the truststore URI on the domain (REGIONAL, TLS_1_2)."),
                    (render(doctor.truststore("truststore.pem")),
                     render(aws.put_object("<bucket>", "<key>", "truststore.pem")), *commands))))
    if endpoint in ("EDGE", "PRIVATE"):
        if endpoint == "EDGE":
            regional_arn = cert_arn if arn_region(cert_arn) == f.region else "<regional-certificate-arn>"
            ops = (aws.patch_op("replace", "/endpointConfiguration/types/EDGE", "REGIONAL"),
                   aws.patch_op("add", "/regionalCertificateArn", regional_arn))
            steps: tuple[str, ...] = (
                f"Request or import a certificate for {c.name} in ACM in {f.region or 'the region'} "
                "(an edge domain's certificate lives in us-east-1).",
                "Migrate the domain to REGIONAL, then point DNS at its new regional domain name.")
            commands = [c.request_cert(), render(aws.update_domain_patch(c.ref, *ops))]
            why = "an EDGE (CloudFront) endpoint cannot carry mutual TLS"
        else:
            ident = (f" (domainNameId {f.domain_name_id}: every apigateway command on it needs "
                     "--domain-name-id)") if f.domain_name_id else ""
            steps = (f"{c.name} is a private custom domain{ident}, reached only from VPCs "
                     "through an execute-api VPC endpoint and a domain name access association; "
                     "API Gateway does not support mutual TLS for it.",
                     "For mutual TLS, create a public REGIONAL custom domain with a truststore "
                     "(TLS_1_2) and map the API there; a private API stays reachable only "
                     "through its VPC endpoint.")
            commands = [c.get_domain("[endpointConfiguration,policy]"),
                        render(aws.create_regional_domain(
                            aws.Domain(f.name, f.region), cert_arn, "s3://<bucket>/<key>"))]
            why = "private APIs and private custom domains do not support mutual TLS"
        out.append(make_finding(
            "DOMAIN_NOT_REGIONAL", f"{c.name} is an {endpoint} custom domain",
            f"Mutual TLS needs a REGIONAL custom domain name with the TLS_1_2 security policy; {why}.",
            location=c.where, evidence={"endpoint_type": f.endpoint_type,
                                        "domain_name_id": f.domain_name_id},
            fix=Fix("Use a REGIONAL custom domain name.", steps, tuple(commands))))
    if (f.endpoint_access_mode or "").upper() == "STRICT":
        out.append(_strict_access_mode(c))
    if c.mtls is not None and not policy_ok:
        enhanced = " Enhanced SecurityPolicy_* policies cannot carry mTLS." \
            if (policy or "").startswith("SecurityPolicy_") else ""
        out.append(make_finding(
            "DOMAIN_SECURITY_POLICY_INCOMPATIBLE",
            f"{c.name} uses security policy {policy}, not TLS_1_2",
            f"A mutual TLS custom domain needs the TLS_1_2 security policy; {policy} is not it."
            + enhanced, location=c.where, evidence={"security_policy": policy},
            fix=Fix("Switch the domain to the TLS_1_2 security policy.", (),
                    (c.set_security_policy(),
                     c.get_domain("securityPolicy" if c.rest
                                  else "DomainNameConfigurations[0].SecurityPolicy")))))
    return out


def _strict_access_mode(c: Ctx) -> Finding:
    """DOMAIN_STRICT_ACCESS_MODE: SNI and Host must both name the domain."""
    f = c.facts
    connect = f.regional_domain_name or "<regional-domain-name>"
    commands = render_all((
        aws.get_domain_name(c.ref, "[endpointAccessMode,securityPolicy]"),
        curl.request(f"https://{c.name}/", connect_to=f"{c.name}:443:{connect}:443",
                     cert="client.pem", key="client.key"),
        openssl.s_client(f"{connect}:443", c.name, cert="client.pem", key="client.key")))
    return make_finding(
        "DOMAIN_STRICT_ACCESS_MODE", f"{c.name} accepts only requests whose SNI and Host match",
        f"The domain's endpointAccessMode is STRICT: API Gateway serves a request only when the "
        f"TLS server name (SNI) and the HTTP Host header both name {c.name}. A client that "
        "connects by IP address or to the regional name without SNI, or that sends another "
        "Host (a proxy rewriting it, a test against d-xxxx.execute-api...), is refused with a "
        "403 or a 421 even with a good client certificate. Test with the name as both SNI and "
        "Host (curl --connect-to, openssl s_client -servername). BASIC relaxes this and is meant "
        "for migrations.",
        location=c.where, evidence={"endpoint_access_mode": f.endpoint_access_mode,
                                    "security_policy": f.security_policy},
        fix=Fix(f"Have clients send {c.name} as both the TLS server name and the Host header.",
                ("Check the access mode and the security policy.",
                 f"Call the domain with {c.name} as SNI and Host, reaching {connect}."),
                commands))


# --- truststore warnings ---------------------------------------------------------------------------

_ESCAPED = re.compile(r"(?<!\\)[,+]")


def _norm(text: str) -> str:
    """Lower case, no escapes, one space, no space around `,` `=` `+` `;` `/`."""
    t = " ".join(text.replace("\\", "").lower().split())
    return re.sub(r"\s*([,=+;/])\s*", r"\1", t)


def _contains(hay: str, needle: str) -> bool:
    """`needle` occurs in `hay` with no letter or digit right before or after it."""
    if not needle:
        return False
    for m in re.finditer(re.escape(needle), hay):
        before = hay[m.start() - 1] if m.start() else ""
        after = hay[m.end()] if m.end() < len(hay) else ""
        if not before.isalnum() and not after.isalnum():
            return True
    return False


def _rdns(subject: str) -> list[str]:
    return [n for n in (_norm(p) for p in _ESCAPED.split(subject)) if "=" in n]


def _score(warning: str, entry: CertSummary) -> tuple[int, int, int, str] | None:
    """How well a truststore entry's subject matches a warning: (tier, RDNs, length, how)."""
    rdns = _rdns(entry.subject)
    if not rdns:
        return None
    matched = [r for r in rdns if _contains(warning, r)]
    if len(matched) == len(rdns):
        return 3, len(rdns), len(_norm(entry.subject)), "subject"
    cns = [r for r in rdns if r.startswith("cn=")]
    if cns and all(r in matched for r in cns):
        return 2, len(matched), sum(map(len, matched)), "CN"
    bare = [r[3:] for r in cns if len(r) >= 7]  # "cn=" + at least four characters
    if bare and all(_contains(warning, b) for b in bare):
        return 1, 0, sum(map(len, bare)), "CN text"
    return None


def match_warning(warning: str, truststore: Sequence[CertSummary],
                  at: datetime | None = None) -> tuple[CertSummary | None, str | None, list[int]]:
    """The truststore entry a truststoreWarnings string names: (entry, how, other candidates).

    Tolerant of the forms a subject takes in text: RFC 4514 (`CN=a,O=b`), `CN=a, O=b`, reversed
    RDN order, `CN = a`, `/CN=a/O=b`, or the bare CN; letter case never matters. The entry whose
    whole subject matches beats one whose CN alone does, and the longer subject wins a tie
    (`CN=Root 2` over `CN=Root`). Same-subject entries (a CA and its renewal): one whose validity
    fits a warning about expiry is preferred.
    """
    text = _norm(warning)
    scored = [(s, e) for e in truststore if (s := _score(text, e)) is not None]
    if not scored:
        return None, None, []
    best = max(s[:3] for s, _ in scored)
    top = [e for s, e in scored if s[:3] == best]
    if len(top) > 1 and at is not None:
        if "expire" in text:
            top.sort(key=lambda e: not (e.not_after is not None and e.not_after <= at))
        elif "not yet valid" in text or "not valid yet" in text:
            top.sort(key=lambda e: not (e.not_before is not None and e.not_before > at))
    how = next(s[3] for s, e in scored if e is top[0])
    return top[0], how, [e.index for e in top[1:]]


def _publish_steps(c: Ctx, what: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Fetch the configured truststore, correct it, upload it, point the domain at it (the same
    publishing steps the truststore lint gives, with this domain's real values)."""
    bucket, key = c.s3 or ("<bucket>", "<key>")
    ref = c.ref
    target = UploadTarget(bucket, key, c.configured_version, c.name, c.facts.region,
                          ref.api_type or "rest", ref.certificate_arn, ref.ownership_arn)
    # each step stands alone: a report prints a step shown for an earlier finding only once
    fix = with_upload("", (f"{what[:1].upper()}{what[1:]}.",),
                      (render(doctor.truststore("truststore.pem")),),
                      "truststore.pem", target)
    check = c.mtls_query("truststoreWarnings")
    return (*fix.steps, "Read the domain's truststoreWarnings again afterwards."), (*fix.commands,
                                                                                   check)


def _truststore_warnings(c: Ctx, truststore: Sequence[CertSummary]) -> list[Finding]:
    mtls = c.mtls
    if mtls is None:
        return []
    out = []
    for warning in mtls.truststore_warnings:
        entry, how, others = match_warning(warning, truststore, c.at)
        if entry is not None:
            valid = (f" It is valid from {_day(entry.not_before)} to {_day(entry.not_after)}"
                     f" and is issued by {entry.issuer}.")
            seen = f" The warning names {entry.location}: {entry.subject}.{valid}"
            what = f"replace or remove {entry.subject} ({entry.location})"
        elif truststore:
            seen = (f" No certificate of the configured truststore version ({len(truststore)} read)"
                    " carries the subject it names; the warning may date from an earlier version.")
            what = "replace or remove the certificate the warning names"
        else:
            seen = " The truststore could not be read, so the certificate cannot be pointed out."
            what = "replace or remove the certificate the warning names"
        steps, commands = _publish_steps(c, what)
        short = warning if len(warning) <= 90 else warning[:89] + "…"
        out.append(make_finding(
            "DOMAIN_TRUSTSTORE_WARNING",
            f"API Gateway warns about {entry.subject}" if entry else f"truststore warning: {short}",
            f"API Gateway's truststoreWarnings for {c.name} says: {warning!r}.{seen} Mutual TLS "
            "stays on, but clients whose certificates chain through this entry may be refused. "
            "API Gateway produced the warning when the domain was last created or updated; it "
            "does not re-check later.",
            subject=entry.subject if entry else None,
            location=entry.location if entry else c.truststore_where,
            evidence={"warning": warning, "index": entry.index if entry else None,
                      "location": entry.location if entry else None,
                      "subject": entry.subject if entry else None, "matched_by": how,
                      "other_matches": others, "truststore": c.truststore_where},
            fix=Fix(f"Update or remove {entry.subject if entry else 'that certificate'}, upload the "
                    "new truststore and update the domain to it.", steps, commands)))
    return out


# --- the truststore object -------------------------------------------------------------------------

def _s3_reason(failure: Attempt, bucket: str, key: str, version: str | None) -> str:
    """Why API Gateway itself would not find the object (never the caller's own permission)."""
    code = failure.code.lower()
    if code == "nosuchkey":
        return f"NoSuchKey: there is no object {key} in bucket {bucket}"
    if code == "nosuchversion":
        return (f"NoSuchVersion: version {version or '?'} of s3://{bucket}/{key} does not exist "
                "(deleted, or the version id is wrong)")
    if code == "nosuchbucket":
        return f"NoSuchBucket: bucket {bucket} does not exist"
    if code == "invaliduri":
        return f"the truststore URI is not s3://bucket/key ({failure.reason})"
    return failure.reason or "S3 answered that the object does not exist"


def _truststore_object(c: Ctx) -> list[Finding]:
    f = c.facts
    mtls = c.mtls
    ts = f.truststore_object
    out: list[Finding] = []
    # only an answer that the object is not there: a denied, throttled or failed read is the
    # caller's problem (AWS_*), never a verdict about what API Gateway can read
    read = f.evidence.get("truststore_object")
    bucket, key = c.s3 or ("<bucket>", "<key>")
    version = c.configured_version
    if mtls is not None and read is not None and read.status is Status.NOT_FOUND:
        reason = _s3_reason(read, bucket, key, version)
        marker = ts.latest_delete_marker if ts is not None and not version else None
        if marker and read.code.lower() == "nosuchkey":
            reason = (f"the current version of s3://{bucket}/{key} is a delete marker ({marker}): "
                      "the object was deleted, and S3 answers NoSuchKey for it; its earlier "
                      "versions are still there")
        where = c.truststore_where
        commands = [render(aws.head_object(bucket, key, version)),
                    render(aws.list_object_versions(
                        bucket, key, "[Versions[].[Key,VersionId,IsLatest,LastModified],"
                                     "DeleteMarkers[].[Key,VersionId,IsLatest]]"))]
        code = read.code.lower()
        steps = ["Check which versions of the object exist."]
        if marker:
            commands.append(render(aws.delete_object_version(bucket, key, marker)))
            steps.append("Remove the delete marker: the version below it becomes the current "
                         "one again (or upload the bundle again).")
        if code in ("nosuchkey", "nosuchbucket"):
            commands.append(render(aws.put_object(bucket, key, "truststore.pem")))
            commands.append(c.set_truststore_version(NEW_VERSION) if version
                            else render(aws.set_truststore_uri(c.ref, mtls.truststore_uri)))
        elif code == "nosuchversion":
            commands.append(c.set_truststore_version("<existing-version-id>"))
        steps.append("Upload the bundle again, or pin an existing version; then update the "
                     "domain so that API Gateway reads it.")
        out.append(make_finding(
            "DOMAIN_TRUSTSTORE_UNREADABLE", f"the truststore {where} does not exist",
            f"{reason[:1].upper()}{reason[1:]}. API Gateway reads the truststore object whenever "
            "the domain is created or updated: the next update fails until the object is back, "
            "and mtls-doctor cannot check the certificates in it.", location=where,
            evidence={"uri": mtls.truststore_uri, "bucket": bucket, "key": key, "version": version,
                      "call": read.call, "code": read.code, "message": read.reason},
            fix=Fix("Put the truststore back at that key (and version), or point the domain at one "
                    "that exists.", tuple(steps), tuple(commands))))
    if ts is None or mtls is None:
        return out
    where = s3_uri(ts.bucket, ts.key)
    if ts.versioning.lower() in _VERSIONING_OFF:
        state = "suspended" if ts.versioning.lower() == "suspended" else "never turned on"
        out.append(make_finding(
            "DOMAIN_TRUSTSTORE_VERSIONING_OFF", f"versioning is off on bucket {ts.bucket}",
            f"Versioning of bucket {ts.bucket} is {state}: every upload of {ts.key} replaces the "
            "only copy, so the domain cannot pin a truststore version (a truststoreVersion needs "
            "versioning Enabled) and there is no earlier version to go back to if a new bundle "
            "is refused.", location=where,
            evidence={"bucket": ts.bucket, "versioning": ts.versioning},
            fix=Fix("Turn on S3 versioning for the bucket.",
                    ("Turn versioning on, then upload the bundle again to get a version id.",
                     "To keep it off instead: leave the domain unpinned and, after each upload, "
                     "update the domain with the same truststore URI so that API Gateway reads "
                     "the object again."),
                    render_all((aws.put_bucket_versioning(ts.bucket),
                                aws.get_bucket_versioning(ts.bucket),
                                aws.set_truststore_uri(c.ref, mtls.truststore_uri))))))
    latest, configured = ts.latest_version, ts.configured_version
    # S3's latest version is the newest by definition; dates only guard against a configured
    # version written later than the one S3 marks latest (clock skew, a restored copy)
    newer = (ts.latest_modified is None or ts.configured_modified is None
             or ts.latest_modified >= ts.configured_modified)
    if latest and configured and latest != configured and newer:
        dates = ""
        if ts.latest_modified and ts.configured_modified:
            dates = (f" The latest was uploaded {ts.latest_modified:%Y-%m-%d %H:%M} UTC, the one in "
                     f"use {ts.configured_modified:%Y-%m-%d %H:%M} UTC.")
        out.append(make_finding(
            "DOMAIN_TRUSTSTORE_STALE", f"{c.name} uses an older truststore version than S3 holds",
            f"S3 holds version {latest} of {where}, but the domain uses version {configured}.{dates} "
            "API Gateway reads the truststore only when the domain is created or updated, so the "
            "newer bundle is not in effect.", location=s3_uri(ts.bucket, ts.key, configured),
            evidence={"bucket": ts.bucket, "key": ts.key, "latest_version": latest,
                      "configured_version": configured, "latest_modified": ts.latest_modified,
                      "configured_modified": ts.configured_modified},
            fix=Fix(f"Check version {latest}, then update the domain's truststoreVersion to it.",
                    ("Lint the newer version first: the domain will take whatever it holds.",
                     "Update the domain, then read its truststoreWarnings."),
                    (render(doctor.truststore(s3_uri(ts.bucket, ts.key, latest))),
                     c.set_truststore_version(latest), c.mtls_query()))))
    if not mtls.truststore_version and not (read is not None and read.status is Status.NOT_FOUND):
        out.append(_unpinned(c, ts))
    return out


def _unpinned(c: Ctx, ts: TruststoreObject) -> Finding:
    """DOMAIN_TRUSTSTORE_UNPINNED: the live version is whichever was latest at the last update."""
    where = s3_uri(ts.bucket, ts.key)
    unknown = ts.versioning == "unknown"  # GetBucketVersioning did not answer
    versioned = ts.versioning.lower() not in _VERSIONING_OFF and not unknown
    if ts.content is None:  # only what was read is said to be read
        checked = " mtls-doctor could not read the object's content."
    elif ts.latest_version:
        checked = (f" mtls-doctor read the latest version ({ts.latest_version}), which may not "
                   "be the live one.")
    else:
        checked = " mtls-doctor read the object as it is now, which may not be what is live."
    if ts.latest_version and (versioned or unknown):
        # versioning unread, a version id known: the bucket keeps versions; pin it
        steps: tuple[str, ...]
        commands: tuple[str, ...]
        steps = ("Lint the latest version: pinning makes the domain take it.",
                 "Pin it on the domain, then read the truststoreWarnings.")
        commands = (render(doctor.truststore(s3_uri(ts.bucket, ts.key, ts.latest_version))),
                    c.set_truststore_version(ts.latest_version))
    elif unknown:  # neither versioning nor a version id: nothing to tell it to turn on
        steps = ("Read the bucket's versioning (s3:GetBucketVersioning): a version id to pin "
                 "exists only with versioning Enabled.",
                 "With it Enabled, pin the latest version on the domain; else turn it on and "
                 "upload the bundle again to get one.")
        commands = (render(aws.get_bucket_versioning(ts.bucket)),)
    else:
        steps = ("Turn on versioning of the bucket (a version id exists only then).",
                 "Upload the bundle again to get a version id, then pin it on the domain.")
        commands = (render(aws.put_bucket_versioning(ts.bucket)),
                    render(aws.put_object(ts.bucket, ts.key, "truststore.pem", c.facts.region)),
                    c.set_truststore_version(NEW_VERSION))
    return make_finding(
        "DOMAIN_TRUSTSTORE_UNPINNED", f"{c.name} names no truststore version",
        f"The domain's mutual TLS settings name {where} without a truststoreVersion, so API "
        "Gateway uses whichever version was the latest when the domain was last created or "
        "updated, and AWS does not report which." + checked + " A pinned version makes what is "
        "checked what is served, and an upload cannot change it unnoticed.",
        location=where,
        evidence={"bucket": ts.bucket, "key": ts.key, "latest_version": ts.latest_version,
                  "versioning": ts.versioning},
        fix=Fix("Pin the truststore version on the domain.", steps,
                (*commands, c.mtls_query())))


# --- certificates ----------------------------------------------------------------------------------

def _ownership_problems(c: Ctx, cert: AcmCertificate) -> list[str]:
    """Why a certificate cannot serve as the ownership verification certificate (none: it can)."""
    problems = []
    if (cert.status or "").upper() != "ISSUED":
        problems.append(f"its status is {cert.status or 'unknown'}, not ISSUED")
    if cert.not_after is not None and cert.not_after <= c.at:
        problems.append(f"it expired on {_day(cert.not_after)}")
    if (cert.type or "").upper() != "AMAZON_ISSUED":
        problems.append(f"its type is {cert.type or 'unknown'}, not AMAZON_ISSUED (ACM-issued)")
    names = _names_of(cert)
    if not covers(names, c.name):
        problems.append(f"its names ({', '.join(names) or 'none'}) do not cover {c.name}")
    return problems


def _cert_location(c: Ctx, arn: str) -> str:
    return f"{c.where}, ACM certificate {arn}"


def _certificate_gone(c: Ctx) -> list[Finding]:
    """The domain names a certificate ACM does not have (asked in the ARN's own region)."""
    f = c.facts
    arn = f.certificate_arn or ""
    read = f.evidence.get("certificate")
    if not arn or read is None or read.status is not Status.NOT_FOUND:
        return []
    region = arn_region(arn) or f.region or "its region"
    return [make_finding(
        "DOMAIN_CERT_NOT_ISSUED", "ACM has no certificate with the domain's certificate ARN",
        f"The domain names {arn}, but ACM in {region} answers that there is no such certificate "
        "(deleted, or in another account): the domain cannot serve it.",
        location=_cert_location(c, arn),
        evidence={"arn": arn, "status": None, "acm_region": region, "code": read.code},
        fix=Fix("Request or import a certificate for the name and point the domain at it.",
                ("Find the certificates ACM has for the name.",
                 "Point the domain at an ISSUED one."),
                (render(aws.list_certificates(
                    region, "CertificateSummaryList[].[DomainName,CertificateArn,Status]")),
                 c.request_cert(), c.set_certificate("<new-certificate-arn>"))))]


def _domain_certificate(c: Ctx) -> list[Finding]:
    f = c.facts
    cert = c.domain_cert
    if cert is None:
        return _certificate_gone(c)
    out: list[Finding] = []
    status = (cert.status or "").upper()
    kind = (cert.type or "").upper()
    evidence = {"arn": cert.arn, "status": cert.status, "type": cert.type,
                "not_after": cert.not_after, "renewal_status": cert.renewal_status,
                "renewal_reason": cert.renewal_reason, "names": list(_names_of(cert))}
    if status != "ISSUED":
        commands = [c.describe_cert(cert.arn, "Certificate.[Status,FailureReason,RenewalSummary]")]
        if status == "PENDING_VALIDATION":
            steps: tuple[str, ...] = ("Create the DNS validation record ACM shows; ACM issues the "
                                      "certificate once it sees it.",)
            commands.append(c.describe_cert(cert.arn,
                                            "Certificate.DomainValidationOptions[].ResourceRecord"))
        elif kind == "IMPORTED":
            steps = ("Re-import a valid certificate under the same ARN (same issuer as before).",)
            commands.append(c.import_cert(cert.arn))
        else:
            steps = ("Request a new certificate, then point the domain at it.",)
            commands += [c.request_cert(), c.set_certificate("<new-certificate-arn>")]
        out.append(make_finding(
            "DOMAIN_CERT_NOT_ISSUED", f"the domain's certificate is {cert.status or 'in an unknown state'}",
            f"ACM says {cert.arn} ({cert.type or 'type unknown'}) is {cert.status or 'unknown'}, not "
            f"ISSUED; {c.name} cannot serve it." + (
                f" Renewal: {cert.renewal_status} ({cert.renewal_reason})." if cert.renewal_reason else ""),
            subject=cert.subject, location=_cert_location(c, cert.arn), evidence=evidence,
            fix=Fix("Get the certificate to ISSUED, or replace it.", steps, tuple(commands))))
    elif cert.not_after is not None and cert.not_after - c.at <= timedelta(days=c.warn_days):
        days = (cert.not_after - c.at).days
        when = f"expired {-days} days ago" if cert.not_after <= c.at else f"expires in {days} days"
        if kind == "AMAZON_ISSUED":
            steps = ("ACM renews ACM-issued certificates that are in use when their DNS validation "
                     "record is still in place: check the renewal status and the record.",)
            commands = [c.describe_cert(cert.arn, "Certificate.RenewalSummary")]
        elif kind == "PRIVATE":
            steps = ("Renew the private certificate in ACM.",)
            commands = [render(aws.acm("renew-certificate", cert.arn, region=f.region)),
                        c.describe_cert(cert.arn, "Certificate.NotAfter")]
        else:
            steps = ("Get a renewed certificate from the same issuer and re-import it under the same "
                     "ARN.",)
            commands = [c.import_cert(cert.arn), c.describe_cert(cert.arn, "Certificate.NotAfter")]
        out.append(make_finding(
            "DOMAIN_CERT_EXPIRES_SOON", f"the domain's certificate {when}",
            f"{cert.arn} ({cert.type or 'type unknown'}) is valid until {cert.not_after:%Y-%m-%d %H:%M} "
            f"UTC ({when}; the horizon is {c.warn_days} days)."
            + (f" ACM renewal: {cert.renewal_status}." if cert.renewal_status else ""),
            subject=cert.subject, location=_cert_location(c, cert.arn),
            evidence=evidence | {"days_left": days, "warn_days": c.warn_days},
            fix=Fix("Renew it before it expires.", steps, tuple(commands))))
    own_arn = f.ownership_verification_certificate_arn
    if c.mtls is not None and kind in ("IMPORTED", "PRIVATE") and not own_arn:
        steps, commands_t = c.new_ownership_steps()
        out.append(make_finding(
            "DOMAIN_OWNERSHIP_CERT_MISSING",
            f"{c.name} has an {kind.lower()} certificate but no ownership verification certificate",
            f"The domain's certificate {cert.arn} is {kind} ("
            + ("imported into ACM" if kind == "IMPORTED" else "from AWS Private CA")
            + "). With mutual TLS, API Gateway then needs an ACM-issued "
            "ownershipVerificationCertificateArn proving the right to use the name; it is used for "
            "that only, never in the TLS handshake.",
            subject=cert.subject, location=c.where,
            evidence={"certificate_arn": cert.arn, "certificate_type": cert.type,
                      "ownership_verification_certificate_arn": None},
            fix=Fix("Set up an ACM-issued ownership verification certificate for the name.", steps,
                    commands_t)))
    return out


def _ownership_certificate(c: Ctx) -> list[Finding]:
    f = c.facts
    arn = f.ownership_verification_certificate_arn
    if not arn:
        return []
    own = f.certificates.get(arn)
    read = f.evidence.get("ownership_certificate")
    if own is not None:
        problems = _ownership_problems(c, own)
    elif read is not None and read.status is Status.NOT_FOUND:
        problems = [f"ACM has no certificate with this ARN in {arn_region(arn) or 'its region'} "
                    "(deleted, or in another account)"]
    else:
        return []  # not read: the AWS_* finding says why, and the check is unknown
    out = _ownership_in_use(c, own) if own is not None else []
    if not problems:
        return out
    steps, commands = c.new_ownership_steps()
    return [*out, make_finding(
        "DOMAIN_OWNERSHIP_CERT_INVALID", "the ownership verification certificate is not valid",
        f"ownershipVerificationCertificateArn {arn}: " + "; ".join(problems) + ". It must be an "
        f"ACM-issued certificate, ISSUED and unexpired, covering {c.name}, for the domain's whole "
        "life; otherwise every update of the domain is locked.",
        subject=own.subject if own else None, location=_cert_location(c, arn),
        evidence={"arn": arn, "problems": problems, "status": own.status if own else None,
                  "type": own.type if own else None, "not_after": own.not_after if own else None,
                  "names": list(_names_of(own)) if own else []},
        fix=Fix("Update ownershipVerificationCertificateArn with a valid ACM-issued certificate.",
                steps, (c.describe_cert(arn, "Certificate.[Status,Type,NotAfter,DomainName]"),
                        *commands)))]


def domain_of_arn(arn: str) -> str | None:
    """`arn:aws:apigateway:REGION:[ACCOUNT]:/domainnames/NAME[+ID]` -> NAME; None for any other
    resource."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[2] != "apigateway" or not parts[5].startswith("/domainnames/"):
        return None
    name = parts[5][len("/domainnames/"):].split("/", 1)[0]
    return name.split("+", 1)[0].rstrip(".").lower() or None


def _ownership_in_use(c: Ctx, own: AcmCertificate) -> list[Finding]:
    """DOMAIN_OWNERSHIP_CERT_IN_USE: ACM says another custom domain uses the ownership
    verification certificate (the guide: it cannot be the server certificate of another mutual
    TLS domain)."""
    others = [a for a in own.in_use_by
              if (name := domain_of_arn(a)) is not None and name != c.name]
    if not others:
        return []
    names = sorted({domain_of_arn(a) or a for a in others})
    steps, commands = c.new_ownership_steps()
    return [make_finding(
        "DOMAIN_OWNERSHIP_CERT_IN_USE",
        f"the ownership verification certificate also serves {', '.join(names)}",
        f"ownershipVerificationCertificateArn {own.arn} is in use by {'; '.join(others)} "
        f"(ACM's InUseBy). The certificate that proves the right to use {c.name} cannot be "
        "the server certificate of another mutual TLS custom domain: give this domain an "
        "ownership verification certificate of its own.",
        subject=own.subject, location=_cert_location(c, own.arn),
        evidence={"arn": own.arn, "in_use_by": list(own.in_use_by), "other_domains": names},
        fix=Fix("Request a separate ACM certificate for ownership verification and update "
                "ownershipVerificationCertificateArn with it.", steps,
                (c.describe_cert(own.arn, "Certificate.InUseBy"), *commands)))]


def _issuer_conflict(c: Ctx) -> list[Finding]:
    f = c.facts
    if not f.issuer_conflicts:
        return []
    mine = c.domain_cert
    subject = (mine.subject if mine else None) or f.issuer_conflicts[0].subject or c.name
    mine_text = (f"{mine.arn} (issuer {mine.issuer or 'unknown'})" if mine
                 else f"{f.certificate_arn or 'the domain certificate'}")
    others = "; ".join(f"{o.arn} (issuer {o.issuer or 'unknown'}, {o.status or '?'})"
                       for o in f.issuer_conflicts)
    commands = [c.describe_cert(o.arn, "Certificate.[Subject,Issuer,Status,InUseBy]")
                for o in f.issuer_conflicts]
    if mine:
        commands.insert(0, c.describe_cert(mine.arn, "Certificate.[Subject,Issuer]"))
    commands += [render(aws.acm("delete-certificate", o.arn, region=f.region))
                 for o in f.issuer_conflicts]
    acm_region = arn_region(mine.arn if mine else f.certificate_arn) or f.region or "its region"
    commands.append(render(aws.all_certificates("<other-region>")))
    return [make_finding(
        "DOMAIN_ISSUER_CONFLICT", f"two issuers for the certificate subject {subject}",
        f"The domain's certificate {mine_text} and {others} have the same subject {subject} but "
        "different issuers. A mutual TLS domain allows one issuer per certificate subject: API "
        f"Gateway refuses it with \"The certificate subject {subject} conflicts with an existing "
        "certificate from a different issuer.\" mtls-doctor searched ACM in this account and "
        f"{acm_region} only: certificates of the subject in other regions or other accounts "
        "are not in this list (check them with the list-certificates command per region, and "
        "with each other account's credentials).",
        subject=subject, location=c.where,
        evidence={"subject": subject, "searched": {"account": f.account_id,
                                                   "region": acm_region},
                  "certificate": {"arn": mine.arn, "issuer": mine.issuer} if mine
                  else {"arn": f.certificate_arn, "issuer": None},
                  "conflicts": [{"arn": o.arn, "issuer": o.issuer, "status": o.status,
                                 "in_use_by": list(o.in_use_by)} for o in f.issuer_conflicts]},
        fix=Fix("Get every certificate for that subject from one issuer; if a certificate you do "
                "not control is in the way and you can prove you own the name, open an AWS "
                "Support case.",
                ("Compare the certificates' issuers.",
                 "Re-issue or delete the ones from the other issuer (delete only what nothing "
                 "uses: InUseBy empty).",
                 f"Look for certificates named {mine.domain_name if mine and mine.domain_name else c.name} "
                 f"in the other regions (and in other accounts you own): ACM was searched in this "
                 f"account and {acm_region} only."), tuple(commands)))]


# --- mappings and DNS ------------------------------------------------------------------------------

def _dns(c: Ctx) -> list[Finding]:
    f = c.facts
    regional = (f.regional_domain_name or "").lower().rstrip(".")
    looked_up = f.evidence.get("dns")
    if not f.dns_addresses or not regional or (looked_up is not None and looked_up.failed):
        return []  # nothing to compare; or a lookup with no answer in time: undecided
    canonical = (f.dns_canonical or "").lower().rstrip(".")
    if canonical == regional or set(f.dns_addresses) & set(f.regional_addresses):
        return []
    # an alias A record shows no CNAME: without the regional name's addresses, nothing to compare
    if not f.regional_addresses and canonical in ("", c.name.lower().rstrip(".")):
        return []
    via = f" via {canonical}" if canonical and canonical != c.name.lower() else ""
    zone = f.hosted_zone_id or "<regional-hosted-zone-id>"
    batch = {"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": c.name, "Type": "A", "AliasTarget": {
            "HostedZoneId": zone, "DNSName": regional, "EvaluateTargetHealth": False}}}]}
    parent = c.name.split(".", 1)[1] if "." in c.name else c.name
    return [make_finding(
        "DOMAIN_DNS_ELSEWHERE", f"{c.name} does not resolve to the custom domain",
        f"{c.name} resolves{via} to {', '.join(f.dns_addresses)}, not to the domain's regional "
        f"domain name {regional}"
        + (f" ({', '.join(f.regional_addresses)})" if f.regional_addresses else "")
        + ". Clients using the name reach another endpoint (an old record, CloudFront, the "
        "default execute-api endpoint), which may not ask for a client certificate at all.",
        location=c.where,
        evidence={"dns_canonical": f.dns_canonical, "dns_addresses": list(f.dns_addresses),
                  "regional_domain_name": f.regional_domain_name,
                  "regional_addresses": list(f.regional_addresses),
                  "hosted_zone_id": f.hosted_zone_id},
        fix=Fix(f"Point {c.name} at {regional}: a Route 53 alias A record (hosted zone {zone}) or a "
                "CNAME.",
                ("Find the hosted zone of the name.",
                 f"Upsert an alias A record to {regional} (or a CNAME {c.name} -> {regional} "
                 "elsewhere), then wait for the old record's TTL."),
                render_all((tools.dig_short(c.name), tools.dig_short(regional),
                            aws.list_hosted_zones_by_name(parent),
                            aws.change_record_sets("<your-hosted-zone-id>", batch)))))]


# --- the UpdateDomainName quota -------------------------------------------------------------------

def paced(finding: Finding) -> Finding:
    """A fix that updates the domain more than once says to wait between the updates:
    UpdateDomainName allows 1 request every 30 seconds per account (API Gateway quotas), so a
    second update sent at once is throttled."""
    fix = finding.fix
    count = 0 if fix is None else sum(aws.updates_domain(line) for line in fix.commands)
    if fix is None or count < 2:
        return finding
    step = (f"These steps update the domain {count} times: API Gateway allows UpdateDomainName "
            f"1 request every {aws.UPDATE_DOMAIN_NAME_INTERVAL} seconds per account (Amazon API "
            f"Gateway quotas), so wait {aws.UPDATE_DOMAIN_NAME_INTERVAL} seconds between the "
            "updates, and until the domain's status is AVAILABLE again.")
    return replace(finding, fix=replace(fix, steps=(*fix.steps, step)))


# --- pins in a bucket without versioning -----------------------------------------------------------

_PIN_MARKS = ("/mutualTlsAuthentication/truststoreVersion", '"TruststoreVersion"')


def _pins(line: str) -> bool:
    return aws.updates_domain(line) and any(m in line for m in _PIN_MARKS)


def pins_need_versioning(facts: DomainFacts, findings: Sequence[Finding]) -> list[Finding]:
    """In a bucket whose versioning is Suspended or was never on, a fix that pins a
    truststoreVersion (which needs versioning Enabled) first turns versioning on, and says what
    to do instead to keep it off: no pin, and the truststore URI re-applied after each upload."""
    ts = facts.truststore_object
    if ts is None or ts.versioning.lower() not in _VERSIONING_OFF or facts.mtls is None:
        return list(findings)
    c = Ctx(facts, datetime.now(), 0)
    enable = render(aws.put_bucket_versioning(ts.bucket))
    reapply = render(aws.set_truststore_uri(c.ref, facts.mtls.truststore_uri))
    out = []
    for finding in findings:
        fix = finding.fix
        if fix is None or not any(_pins(line) for line in fix.commands):
            out.append(finding)
            continue
        commands = list(fix.commands)
        if enable not in commands:
            commands.insert(next(i for i, line in enumerate(commands) if _pins(line)
                                 or line.startswith("aws s3api put-object")), enable)
        if reapply not in commands:
            commands.append(reapply)
        step = (f"Versioning of bucket {ts.bucket} is {ts.versioning}: a truststoreVersion can be "
                "set only while it is Enabled, so turn it on before the upload (put-bucket-"
                "versioning). To keep it off instead, skip the pin: update the domain with the "
                "same truststore URI (the last command) after the upload.")
        out.append(replace(finding, fix=replace(fix, steps=(*fix.steps, step),
                                                commands=tuple(commands))))
    return out


# --- failed AWS calls ------------------------------------------------------------------------------

_ADVICE = {
    Status.THROTTLED: ("AWS_THROTTLED", "AWS throttled the call: run again later, or raise the "
                       "retry budget (AWS_RETRY_MODE=adaptive, AWS_MAX_ATTEMPTS) and --timeout."),
    Status.UNREACHABLE: ("AWS_UNREACHABLE", "The endpoint could not be reached: check the region, "
                         "AWS_ENDPOINT_URL, proxies and the network."),
    Status.TIMED_OUT: ("AWS_UNREACHABLE", "No answer before the deadline: run again with a "
                       "longer --timeout, or check the network path to AWS."),
    Status.CANCELLED: ("AWS_UNREACHABLE", "The run was cancelled before the answer came."),
    Status.MALFORMED: ("AWS_ERROR", "AWS answered with something that is not the documented "
                       "answer (a proxy or an endpoint that is not AWS?): check AWS_ENDPOINT_URL "
                       "and proxies, and run again."),
    Status.ERROR: ("AWS_ERROR", "See the message; run again, or report it if it persists."),
}


def _failures(facts: DomainFacts) -> list[Finding]:
    """One AWS_* finding per kind of failure (per IAM action for denials): a failed call is
    only ever a finding about the call, and the checks that needed it are unknown."""
    out: list[Finding] = []
    where = f"custom domain {facts.name}"
    fs = facts.failures
    no_creds = [x for x in fs if x.status is Status.NO_CREDENTIALS]
    if no_creds:
        out.append(make_finding(
            "AWS_NO_CREDENTIALS", "no usable AWS credentials",
            f"{no_creds[0].call}: {no_creds[0].reason}. Nothing was read from AWS, so nothing is "
            "known about the custom domain (its checks are unknown); the other checks go on.",
            location=where,
            evidence={"calls": sorted({x.call for x in no_creds}),
                      "codes": sorted({x.code for x in no_creds})},
            fix=Fix("Configure credentials (--profile, AWS_PROFILE, SSO login, environment "
                    "variables); `mtls-doctor diagnose HOST --no-aws` checks the rest without "
                    "AWS.", (),
                    render_all((aws.caller_identity(), aws.configure_sso(),
                                doctor.domain(facts.name, facts.region, "<profile>"))))))
    denied: dict[str, list[Attempt]] = {}
    for x in fs:
        if x.status is Status.DENIED:
            denied.setdefault(x.action or x.call, []).append(x)
    principal = (f"arn:aws:iam::{facts.account_id}:role/<role-name>" if facts.account_id
                 else "<principal-arn>")
    for action, items in denied.items():
        calls = sorted({x.call for x in items})
        statement = json.dumps({"Effect": "Allow", "Action": action, "Resource": "*"})
        kms = action.startswith("kms:")
        why = (" The truststore object is encrypted with a KMS key (SSE-KMS) whose policy does "
               "not let this identity decrypt it; API Gateway's own access is a separate "
               "question." if kms else "")
        out.append(make_finding(
            "AWS_ACCESS_DENIED", f"AWS denied {action}",
            f"{', '.join(calls)} failed: {items[0].reason}.{why} The checks that need it are "
            "unknown; nothing is concluded about the domain from the denial.", location=where,
            evidence={"action": action, "calls": calls, "codes": sorted({x.code for x in items}),
                      "messages": [x.reason for x in items]},
            fix=Fix(f"Grant {action} to the identity mtls-doctor runs as.",
                    (f"Add to its IAM policy: {statement} (narrow Resource as you see fit"
                     + ("; and allow it in the KMS key's policy" if kms else "") + ").",),
                    render_all((aws.caller_identity(),
                                aws.simulate_principal_policy(principal, action))))))
    seen: set[tuple[str, str]] = set()
    for x in fs:
        if x.status not in _ADVICE or (x.call, x.status) in seen:
            continue
        seen.add((x.call, x.status))
        finding_id, advice = _ADVICE[x.status]
        regions = sorted({y.region for y in fs if y.call == x.call and y.status is x.status
                          and y.region})
        out.append(make_finding(
            finding_id, f"{x.call} failed: {x.status.value.replace('_', ' ')}",
            f"{x.call} ({x.action}) " + (f"in {', '.join(regions)} " if regions else "")
            + f"did not answer: {x.reason}. {advice} The checks that need it are unknown.",
            location=where,
            evidence={"call": x.call, "action": x.action, "code": x.code, "message": x.reason,
                      "status": x.status.value, "regions": regions},
            fix=Fix(advice, (), render_all((aws.caller_identity(),
                                            doctor.domain(facts.name, facts.region))))))
    skipped_regions = sorted({x.region or "?" for x in facts.attempts
                              if x.status is Status.REGION_NOT_ENABLED})
    if skipped_regions:
        out.append(make_finding(
            "AWS_REGION_NOT_ENABLED", f"{len(skipped_regions)} opt-in region(s) skipped in the scan",
            f"{', '.join(skipped_regions)} answered as opt-in regions not enabled for this "
            "account do; the region scan did not look there.", location=where,
            evidence={"regions": skipped_regions},
            fix=Fix("Enable the region in the account if the domain may be there, or pass "
                    "--region.", (),
                    (render(aws.enabled_regions()),))))
    return out


def domain_findings(facts: DomainFacts, truststore: Sequence[CertSummary], *, at: datetime,
                    warn_days: int = 30) -> list[Finding]:
    """Every finding the AWS facts of one custom domain support.

    `truststore` is the decoded certificates of the configured truststore version (empty when it
    could not be read); truststore warnings are tied to its entries. `at` is the evaluation
    instant, `warn_days` the "expires soon" horizon.
    """
    c = Ctx(facts, at, warn_days)
    out: list[Finding] = []
    if not facts.found:
        if facts.found is False:  # both APIs answered: no such domain (None: not known)
            out.append(_not_found(c))
        return out + _failures(facts)
    out += _status(c)
    out += _mtls_and_endpoint(c)
    out += _truststore_warnings(c, truststore)
    out += _truststore_object(c)
    out += _domain_certificate(c)
    out += _ownership_certificate(c)
    out += _issuer_conflict(c)
    out += served.no_routes(c)
    out += served.execute_api(c)
    out += _dns(c)
    out += served.access_logs(c)
    out += served.revocation(c)
    # paced first: the URI re-applied instead of a pin is an alternative, not a second update
    return pins_need_versioning(facts, [paced(f) for f in out]) + _failures(facts)
