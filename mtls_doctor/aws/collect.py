"""Read a custom domain's whole mTLS state from AWS, with independent calls in parallel.

The dependency chain sets the time, not the number of calls: the domain (REST and HTTP views at
once), then everything that needs it (ACM, S3, mappings, DNS) at once, then what needs those
(each mapped API, each same-subject certificate) at once. Every call is an attempt; each fact
the checks need is recorded in `evidence` with the attempt that collected it or why it could
not be, so that a failed call is never read as an answer about the domain.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from mtls_doctor.aws.calls import Aws, require, spawn, wait_for
from mtls_doctor.aws.findings import arn_region, split_s3_uri
from mtls_doctor.deadline import Deadline
from mtls_doctor.model.domain import AcmCertificate, DomainFacts, Mapping, Mtls, TruststoreObject
from mtls_doctor.model.evidence import Attempt, Status, ok, skipped
from mtls_doctor.probe.net import DnsAnswer, lookup
from mtls_doctor.source import MAX_BYTES

T = TypeVar("T")
_REGIONAL = re.compile(r"^d-[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$")
_KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1",
              "EC_secp521r1"]
#: describe at most this many same-name certificates when looking for issuer conflicts
MAX_CONFLICT_CANDIDATES = 25
#: at most this many pages of object versions (1,000 each) are read for the truststore's key
MAX_VERSION_PAGES = 10
#: the facts every check of `domain` may need, downstream of the domain lookup
DOWNSTREAM = ("certificate", "ownership_certificate", "issuer_conflicts", "truststore_object",
              "truststore_versions", "mappings", "mapped_apis", "dns")


def region_from_dns(answer: DnsAnswer | None) -> str | None:
    """`d-xxxx.execute-api.REGION.amazonaws.com` anywhere in the CNAME chain gives the region."""
    if answer is None:
        return None
    for name in (answer.canonical or "", *answer.aliases):
        m = _REGIONAL.match(name)
        if m:
            return m.group(1)
    return None


@dataclass
class _View:
    """One API's description of the domain, in common terms."""

    api_type: str
    endpoint_type: str | None
    status: str | None
    status_message: str | None
    security_policy: str | None
    certificate_arn: str | None
    ownership_arn: str | None
    regional_domain_name: str | None
    hosted_zone_id: str | None
    mtls: Mtls | None


def _rest_view(d: dict[str, Any]) -> _View:
    m = d.get("mutualTlsAuthentication") or None
    mtls = Mtls(m["truststoreUri"], m.get("truststoreVersion"),
                tuple(m.get("truststoreWarnings") or ())) if m and m.get("truststoreUri") else None
    types = (d.get("endpointConfiguration") or {}).get("types") or [None]
    return _View("rest", types[0], d.get("domainNameStatus"), d.get("domainNameStatusMessage"),
                 d.get("securityPolicy"),
                 d.get("regionalCertificateArn") or d.get("certificateArn"),
                 d.get("ownershipVerificationCertificateArn"),
                 d.get("regionalDomainName") or d.get("distributionDomainName"),
                 d.get("regionalHostedZoneId") or d.get("distributionHostedZoneId"), mtls)


def _http_view(d: dict[str, Any]) -> _View:
    m = d.get("MutualTlsAuthentication") or None
    mtls = Mtls(m["TruststoreUri"], m.get("TruststoreVersion"),
                tuple(m.get("TruststoreWarnings") or ())) if m and m.get("TruststoreUri") else None
    c = (d.get("DomainNameConfigurations") or [{}])[0]
    return _View("http", c.get("EndpointType"), c.get("DomainNameStatus"),
                 c.get("DomainNameStatusMessage"), c.get("SecurityPolicy"), c.get("CertificateArn"),
                 c.get("OwnershipVerificationCertificateArn"), c.get("ApiGatewayDomainName"),
                 c.get("HostedZoneId"), mtls)


def _get_rest(name: str) -> Callable[[Any], dict[str, Any]]:
    return lambda c: require(c.get_domain_name(domainName=name), "domainName")


def _get_http(name: str) -> Callable[[Any], dict[str, Any]]:
    return lambda c: require(c.get_domain_name(DomainName=name), "DomainName")


def _first_failure(attempts: Sequence[Attempt]) -> Attempt | None:
    """The attempt that says most about why a fact is missing: a failure, not a not-found."""
    return next((a for a in attempts if a.failed), None)


@dataclass
class _Lookup:
    """The domain in one region: each API's view, and how each call went."""

    region: str
    rest: _View | None
    http: _View | None
    attempts: tuple[Attempt, ...]

    @property
    def found(self) -> bool:
        return self.rest is not None or self.http is not None

    @property
    def absent(self) -> bool:
        """Both APIs answered that there is no such domain."""
        return not self.found and all(a.status is Status.NOT_FOUND for a in self.attempts)


@dataclass
class _Collector:
    aws: Aws
    name: str
    evidence: dict[str, Attempt] = field(default_factory=dict)
    account_id: str | None = None

    @property
    def deadline(self) -> Deadline:
        return self.aws.deadline

    def wait(self, future: Future[T], fact: str) -> T | None:
        """The future's result, or None with `fact` recorded as cut short by the deadline."""
        try:
            return wait_for(future, self.deadline)
        except TimeoutError:
            status = Status.CANCELLED if self.deadline.cancelled else Status.TIMED_OUT
            self.evidence.setdefault(fact, Attempt(
                fact, status, f"not finished before the --timeout of {self.deadline.seconds:g} s"))
            return None

    # --- the domain in one region, both APIs at once ---------------------------------------
    def look(self, region: str, *, attempts: int = 3) -> _Lookup:
        rest_f = spawn(lambda: self.aws.attempt("apigateway", region, "GetDomainName",
                                                "apigateway:GET", _get_rest(self.name),
                                                attempts=attempts))
        http_f = spawn(lambda: self.aws.attempt("apigatewayv2", region, "GetDomainName",
                                                "apigateway:GET", _get_http(self.name),
                                                attempts=attempts))
        rest, rest_a = rest_f.result()  # each attempt is bound by the deadline itself
        http, http_a = http_f.result()
        return _Lookup(region, _rest_view(rest) if rest else None,
                       _http_view(http) if http else None, (rest_a, http_a))

    def scan(self, skip: str | None) -> tuple[list[_Lookup], list[Attempt]]:
        """Look in every region API Gateway offers, all at once (the REST API alone: both APIs
        list every domain), one attempt each. Returns the regions that know the name and the
        regions that could not be asked."""
        regions = [r for r in self.aws.regions("apigateway") if r != skip]
        futures = {r: spawn(self._scan_one, r) for r in regions}
        found: list[_Lookup] = []
        failed: list[Attempt] = []
        for region, future in futures.items():
            got = self.wait(future, "domain")
            if got is None:
                failed.append(Attempt("apigateway.GetDomainName", Status.TIMED_OUT,
                                      "the region scan ran out of time", "apigateway:GET",
                                      region=region))
                continue
            view, attempt = got
            if view is not None:
                found.append(_Lookup(region, _rest_view(view), None, (attempt,)))
            elif attempt.failed:
                failed.append(attempt)
        return found, failed

    def _scan_one(self, region: str) -> tuple[dict[str, Any] | None, Attempt]:
        """One region of the scan: one attempt, no retries, so a scan stays bounded. The
        credentials work (they were checked first), so a region that does not recognise them
        is an opt-in region the account has not enabled."""
        return self.aws.attempt("apigateway", region, "GetDomainName", "apigateway:GET",
                                _get_rest(self.name), attempts=1, unrecognised=Attempt(
                                    "apigateway.GetDomainName", Status.REGION_NOT_ENABLED,
                                    f"{region} is an opt-in region not enabled for this "
                                    "account", "apigateway:GET", region=region))

    def caller(self) -> Attempt:
        """Who the credentials belong to (sts:GetCallerIdentity needs no permission): proves
        they work before a region scan, and names the account."""
        got, attempt = self.aws.attempt(
            "sts", self.aws.default_region or "us-east-1", "GetCallerIdentity",
            "sts:GetCallerIdentity", lambda c: require(c.get_caller_identity(), "Account"))
        self.account_id = got["Account"] if got else None
        return attempt

    # --- what depends on the domain ----------------------------------------------------------
    def acm(self, region: str, arn: str) -> tuple[AcmCertificate | None, Attempt]:
        """One certificate, asked in the region of its ARN (an EDGE domain's is in us-east-1)."""
        d, attempt = self.aws.attempt(
            "acm", arn_region(arn) or region, "DescribeCertificate", "acm:DescribeCertificate",
            lambda c: require(c.describe_certificate(CertificateArn=arn), "Certificate"))
        return (_acm(d["Certificate"]) if d else None), attempt

    def certificate(self, region: str, arn: str | None, fact: str, certificates: dict[str, Any]
                    ) -> None:
        if not arn:
            self.evidence[fact] = skipped(fact, "none configured")
            return
        cert, attempt = self.acm(region, arn)
        if cert is not None:
            certificates[arn] = cert
        self.evidence[fact] = attempt

    def list_certificates(self, acm_region: str
                          ) -> tuple[list[dict[str, Any]] | None, Attempt]:
        """ACM's certificate summaries in one region, every key type (ACM lists only RSA-2048
        by default)."""
        def list_all(c: Any) -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            for page in c.get_paginator("list_certificates").paginate(
                    Includes={"keyTypes": _KEY_TYPES}):
                out.extend(page.get("CertificateSummaryList", []))
            return out

        return self.aws.attempt("acm", acm_region, "ListCertificates", "acm:ListCertificates",
                                list_all)

    def conflicts(self, mine: AcmCertificate, own: set[str],
                  listed: tuple[list[dict[str, Any]] | None, Attempt]
                  ) -> tuple[tuple[AcmCertificate, ...], Attempt]:
        """Other certificates in ACM (this account, the certificate's region: `listed`) with
        the same subject and another issuer (`own`: the domain's certificates, the ownership
        verification one included, which are never a conflict)."""
        summaries, attempt = listed
        acm_region = attempt.region or arn_region(mine.arn) or ""
        if summaries is None:
            return (), attempt
        wanted = {mine.domain_name, self.name}
        candidates = [s["CertificateArn"] for s in summaries
                      if s.get("DomainName") in wanted and s.get("CertificateArn") not in own]
        futures = [spawn(self.acm, acm_region, arn) for arn in candidates[:MAX_CONFLICT_CANDIDATES]]
        found = []
        for f in futures:
            got = self.wait(f, "issuer_conflicts")
            if got is None:
                return (), self.evidence["issuer_conflicts"]
            cert, a = got
            if a.failed:
                return (), a
            found.append(cert)
        return tuple(c for c in found if c is not None and c.subject == mine.subject
                     and c.issuer and mine.issuer and c.issuer != mine.issuer), attempt

    def truststore(self, region: str, mtls: Mtls) -> TruststoreObject | None:
        where = split_s3_uri(mtls.truststore_uri)
        if where is None:
            bad = Attempt("s3.GetObject", Status.NOT_FOUND,
                          f"{mtls.truststore_uri} is not s3://bucket/key", "s3:GetObject",
                          "InvalidUri", region)
            self.evidence["truststore_object"] = self.aws.record(bad)
            self.evidence["truststore_versions"] = bad
            return None
        bucket, key = where
        versioning_f = spawn(self.aws.attempt, "s3", region, "GetBucketVersioning",
                             "s3:GetBucketVersioning",
                             lambda c: c.get_bucket_versioning(Bucket=bucket))
        versions_f = spawn(self.aws.attempt, "s3", region, "ListObjectVersions",
                           "s3:ListBucketVersions", lambda c: _versions(c, bucket, key))
        get_args = {"Bucket": bucket, "Key": key}
        if mtls.truststore_version:
            get_args["VersionId"] = mtls.truststore_version

        def get(c: Any) -> tuple[bytes, Any, Any]:
            obj = c.get_object(**get_args)
            return obj["Body"].read(MAX_BYTES), obj.get("VersionId"), obj.get("LastModified")

        action = "s3:GetObjectVersion" if mtls.truststore_version else "s3:GetObject"
        got, got_a = self.aws.attempt("s3", region, "GetObject", action, get)
        versioning, versioning_a = self.wait(versioning_f, "truststore_versions") or (None, None)
        versions, versions_a = self.wait(versions_f, "truststore_versions") or (None, None)
        self.evidence["truststore_object"] = got_a
        failed = _first_failure([a for a in (versioning_a, versions_a) if a is not None])
        if failed is not None:
            self.evidence["truststore_versions"] = failed
        elif versioning_a is not None and versions_a is not None:
            self.evidence["truststore_versions"] = ok("s3.ListObjectVersions", region)
        latest = latest_modified = configured_modified = None
        for v in versions or []:
            if v.get("IsLatest"):
                latest, latest_modified = v.get("VersionId"), v.get("LastModified")
            if mtls.truststore_version and v.get("VersionId") == mtls.truststore_version:
                configured_modified = v.get("LastModified")
        status = None
        if versioning is not None:
            status = versioning.get("Status") or "Never"
        content = got[0] if got else None
        if got and configured_modified is None and mtls.truststore_version:
            configured_modified = got[2]
        if got and not mtls.truststore_version:
            # unpinned: what was read is the latest, which may not be the one in use
            latest = latest or got[1]
            latest_modified = latest_modified or got[2]
        return TruststoreObject(bucket, key, status or "unknown", latest, mtls.truststore_version,
                                latest_modified, configured_modified, content)

    def mappings(self, region: str, view: _View) -> tuple[tuple[Mapping, ...], bool]:
        """The domain's mappings, each with whether its API's execute-api endpoint is off."""
        if view.api_type == "rest":
            def rest_list(c: Any) -> list[dict[str, Any]]:
                items: list[dict[str, Any]] = []
                for page in c.get_paginator("get_base_path_mappings").paginate(
                        domainName=self.name):
                    items.extend(page.get("items", []))
                return items

            got, attempt = self.aws.attempt("apigateway", region, "GetBasePathMappings",
                                            "apigateway:GET", rest_list)
            raw = [(m["restApiId"], m.get("stage"), m.get("basePath", "(none)"))
                   for m in got or []]
        else:
            def http_list(c: Any) -> list[dict[str, Any]]:
                items: list[dict[str, Any]] = []
                args = {"DomainName": self.name}
                while True:  # GetApiMappings has NextToken but no botocore paginator
                    page = c.get_api_mappings(**args)
                    items.extend(page.get("Items", []))
                    if not page.get("NextToken"):
                        return items
                    args["NextToken"] = page["NextToken"]

            got, attempt = self.aws.attempt("apigatewayv2", region, "GetApiMappings",
                                            "apigateway:GET", http_list)
            raw = [(m["ApiId"], m.get("Stage"), m.get("ApiMappingKey") or "(none)")
                   for m in got or []]
        self.evidence["mappings"] = attempt
        if got is None:
            self.evidence["mapped_apis"] = attempt
            return (), False
        apis = {api_id: spawn(self.api, region, api_id, view.api_type)
                for api_id in {r[0] for r in raw}}
        out = []
        failures: list[Attempt] = []
        for api_id, stage, base in raw:
            got_api = self.wait(apis[api_id], "mapped_apis")
            disabled, name, kind, api_attempt = got_api or (None, None, view.api_type, None)
            if api_attempt is not None and api_attempt.failed:
                failures.append(api_attempt)
            out.append(Mapping(api_id, stage, base, disabled, name, kind))
        if not raw:
            self.evidence["mapped_apis"] = skipped("mapped_apis", "no API is mapped")
        elif failures:
            self.evidence["mapped_apis"] = failures[0]
        else:
            self.evidence.setdefault("mapped_apis", ok("mapped_apis", region))
        return tuple(out), True

    def api(self, region: str, api_id: str, hint: str
            ) -> tuple[bool | None, str | None, str, Attempt]:
        """(execute-api endpoint disabled?, name, rest|http, the attempt) of one API."""
        order = ("rest", "http") if hint == "rest" else ("http", "rest")
        attempt: Attempt | None = None
        for kind in order:
            if kind == "rest":
                got, attempt = self.aws.attempt(
                    "apigateway", region, "GetRestApi", "apigateway:GET",
                    lambda c: require(c.get_rest_api(restApiId=api_id), "id"))
                if got is not None:
                    return (bool(got.get("disableExecuteApiEndpoint")), got.get("name"), "rest",
                            attempt)
            else:
                got, attempt = self.aws.attempt(
                    "apigatewayv2", region, "GetApi", "apigateway:GET",
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


def _versions(c: Any, bucket: str, key: str) -> list[dict[str, Any]]:
    """Every version of exactly `key` (delete markers included, as `IsDeleteMarker`), every
    page up to MAX_VERSION_PAGES."""
    out: list[dict[str, Any]] = []
    args: dict[str, Any] = {"Bucket": bucket, "Prefix": key}
    for _ in range(MAX_VERSION_PAGES):
        page = c.list_object_versions(**args)
        out += [v for v in page.get("Versions", []) if v.get("Key") == key]
        out += [{**m, "IsDeleteMarker": True} for m in page.get("DeleteMarkers", [])
                if m.get("Key") == key]
        if not page.get("IsTruncated"):
            break
        args["KeyMarker"] = page.get("NextKeyMarker")
        args["VersionIdMarker"] = page.get("NextVersionIdMarker")
    return out


def _acm(d: dict[str, Any]) -> AcmCertificate:
    renewal = d.get("RenewalSummary") or {}
    return AcmCertificate(
        arn=d["CertificateArn"], status=d.get("Status"), type=d.get("Type"),
        subject=d.get("Subject"), issuer=d.get("Issuer"), domain_name=d.get("DomainName"),
        sans=tuple(d.get("SubjectAlternativeNames") or ()),
        not_before=_dt(d.get("NotBefore")), not_after=_dt(d.get("NotAfter")),
        renewal_status=renewal.get("RenewalStatus"),
        renewal_reason=renewal.get("RenewalStatusReason"),
        in_use_by=tuple(d.get("InUseBy") or ()), key_algorithm=d.get("KeyAlgorithm"),
        serial=d.get("Serial"))


def _dt(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None


def _addresses(answer: DnsAnswer | None) -> tuple[str, ...]:
    return answer.addresses if answer else ()


def _not_looked_up(c: _Collector, why: Attempt) -> None:
    """Every downstream fact, when the domain itself could not be read (or does not exist)."""
    for fact in DOWNSTREAM:
        c.evidence[fact] = (skipped(fact, "the custom domain does not exist")
                            if why.status is Status.NOT_FOUND else why)


def _find(c: _Collector, region: str | None, source: str
          ) -> tuple[_Lookup | None, str | None, str, Attempt, tuple[str, ...]]:
    """Where the domain is: (its lookup, region, how the region was chosen, the `domain` fact,
    other regions that know the name)."""
    aws = c.aws
    home: _Lookup | None = None
    if region:
        home = c.look(region)
        if home.found:
            return home, region, source, ok("domain", region), ()
        failure = _first_failure(home.attempts)
        if failure is not None:
            return None, region, source, failure, ()  # not an answer: no scan, no "not found"
        if source == "option":
            return None, region, source, _absent([region]), ()
    # the region scan: first prove the credentials work, then ask every region at once
    who = c.caller()
    if who.failed:
        return None, region, source, who, ()
    found, failed = c.scan(skip=region)
    if found:
        first = found[0]
        both = c.look(first.region)  # both views where it lives
        chosen = both if both.found else first
        others = tuple(x.region for x in found[1:])
        also = f" (also in {', '.join(others)}: pass --region to read another)" if others else ""
        return (chosen, first.region, "scan",
                Attempt("domain", Status.OK, f"found in {first.region} by the region scan{also}",
                        region=first.region), others)
    if failed:
        names = ", ".join(sorted({a.region or "?" for a in failed}))
        worst = failed[0]
        return None, region, source, Attempt(
            "domain", worst.status, f"not in the regions that answered; {len(failed)} region(s) "
            f"could not be asked ({names}): {worst.reason}", worst.action, worst.code), ()
    searched = [region] if region else []
    return None, region, source, _absent([*searched, *aws.regions("apigateway")]), ()


def _absent(regions: Sequence[str]) -> Attempt:
    where = regions[0] if len(regions) == 1 else f"{len(set(regions))} regions"
    return Attempt("domain", Status.NOT_FOUND, f"neither API knows the name in {where}")


def collect_domain(name: str, *, region: str | None, profile: str | None,
                   deadline: Deadline | None = None, timeout: float = 30.0) -> DomainFacts:
    """Everything AWS and DNS say about the custom domain `name`, within the deadline (or
    `timeout` seconds). Never raises for AWS trouble: failures are attempts."""
    deadline = deadline or Deadline(timeout)
    name = name.strip().rstrip(".").lower()
    aws = Aws(profile, deadline)
    c = _Collector(aws, name)
    dns_f = spawn(lookup, name, deadline.within(5.0))
    source = "option"
    if region is None:
        region = region_from_dns(c.wait(dns_f, "dns"))
        source = "dns"
    if region is None:
        region, source = aws.default_region, "profile"
    if not aws.has_credentials():
        why = aws.record(Attempt("credentials", Status.NO_CREDENTIALS,
                                 "boto3 found none (profile, environment, SSO, instance role)",
                                 "", "NoCredentials", region))
        lookup_, found_region, domain_fact = None, region, why
        others: tuple[str, ...] = ()
    else:
        if region:
            # build the clients the next stage needs while the domain calls are in flight
            for service in ("acm", "s3"):
                spawn(aws.client, service, region)
        lookup_, found_region, source, domain_fact, others = _find(c, region, source)
    c.evidence["domain"] = domain_fact
    dns = c.wait(dns_f, "dns")
    if lookup_ is None:
        _not_looked_up(c, domain_fact)
        return DomainFacts(name, found_region, source,
                           found=False if domain_fact.status is Status.NOT_FOUND else None,
                           dns_addresses=_addresses(dns),
                           dns_canonical=dns.canonical if dns else None,
                           attempts=tuple(aws.attempts), account_id=c.account_id,
                           evidence=dict(c.evidence))
    region = lookup_.region
    rest, http = lookup_.rest, lookup_.http
    # prefer the view that carries the mTLS settings; the REST one when both do
    view = next(v for v in (rest if rest and rest.mtls else None,
                            http if http and http.mtls else None, rest, http) if v)
    certificates: dict[str, AcmCertificate] = {}
    cert_f = spawn(c.certificate, region, view.certificate_arn, "certificate", certificates)
    # listed at the same time as the description, so that looking for issuer conflicts adds
    # no round trip to the chain
    list_f = spawn(c.list_certificates, arn_region(view.certificate_arn) or region) \
        if view.certificate_arn else None
    own_f = spawn(c.certificate, region, view.ownership_arn, "ownership_certificate",
                  certificates)
    if view.mtls:
        ts_f: Future[TruststoreObject | None] | None = spawn(c.truststore, region, view.mtls)
    else:
        ts_f = None
        for fact in ("truststore_object", "truststore_versions"):
            c.evidence[fact] = skipped(fact, "mutual TLS is off")
    map_f = spawn(c.mappings, region, view)
    regional_f = spawn(lookup, view.regional_domain_name, deadline.within(5.0)) \
        if view.regional_domain_name else None
    conflicts: tuple[AcmCertificate, ...] = ()
    c.wait(cert_f, "certificate")
    c.wait(own_f, "ownership_certificate")
    mine = certificates.get(view.certificate_arn or "")
    listed = c.wait(list_f, "issuer_conflicts") if list_f is not None else None
    if mine is not None and listed is not None:
        own = {a for a in (view.certificate_arn, view.ownership_arn) if a}
        got = c.wait(spawn(c.conflicts, mine, own, listed), "issuer_conflicts")
        if got is not None:
            conflicts, c.evidence["issuer_conflicts"] = got
    else:
        cert_fact = c.evidence.get("certificate") or skipped("certificate", "none configured")
        c.evidence.setdefault("issuer_conflicts", cert_fact
                              if cert_fact.failed or cert_fact.status is Status.NOT_FOUND
                              else skipped("issuer_conflicts", "no domain certificate"))
    mappings, mappings_read = c.wait(map_f, "mappings") or ((), False)
    c.evidence.setdefault("mapped_apis", Attempt("mapped_apis", Status.TIMED_OUT,
                                                 "not finished in time"))
    regional = c.wait(regional_f, "dns") if regional_f else None
    truststore = c.wait(ts_f, "truststore_object") if ts_f else None
    if "truststore_versions" not in c.evidence and ts_f is not None:
        c.evidence["truststore_versions"] = Attempt("truststore_versions", Status.TIMED_OUT,
                                                    "not finished in time")
    if not dns or not view.regional_domain_name:
        c.evidence.setdefault("dns", skipped("dns", f"{name} does not resolve"
                                             if not dns else "the domain has no regional name"))
    elif view.regional_domain_name and not regional and dns.canonical != view.regional_domain_name:
        c.evidence.setdefault("dns", skipped("dns", f"{view.regional_domain_name} does not "
                                             "resolve: nothing to compare"))
    c.evidence.setdefault("dns", ok("dns"))
    return DomainFacts(
        name=name, region=region, region_source=source, found=True, api_type=view.api_type,
        endpoint_type=view.endpoint_type, status=view.status, status_message=view.status_message,
        security_policy=view.security_policy, certificate_arn=view.certificate_arn,
        ownership_verification_certificate_arn=view.ownership_arn,
        regional_domain_name=view.regional_domain_name, hosted_zone_id=view.hosted_zone_id,
        mtls=view.mtls, mappings=mappings, mappings_read=mappings_read,
        certificates=certificates, issuer_conflicts=conflicts, truststore_object=truststore,
        dns_addresses=_addresses(dns), dns_canonical=dns.canonical if dns else None,
        regional_addresses=_addresses(regional), attempts=tuple(aws.attempts),
        account_id=c.account_id, evidence=dict(c.evidence), also_found_in=others,
    )
