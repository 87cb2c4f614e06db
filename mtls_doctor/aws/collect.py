"""Read a custom domain's whole mTLS state from AWS, with independent calls in parallel.

The dependency chain sets the time, not the number of calls: the domain (REST and HTTP views at
once), then everything that needs it (ACM, S3, mappings, DNS) at once, then what needs those
(each mapped API, each same-subject certificate) at once. Every failure is recorded as data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from mtls_doctor.aws.calls import Aws
from mtls_doctor.aws.findings import split_s3_uri
from mtls_doctor.model.domain import (
    AcmCertificate,
    AwsFailure,
    DomainFacts,
    Mapping,
    Mtls,
    TruststoreObject,
)
from mtls_doctor.probe.net import DnsAnswer, lookup
from mtls_doctor.source import MAX_BYTES

T = TypeVar("T")
_REGIONAL = re.compile(r"^d-[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$")
_KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1",
              "EC_secp521r1"]
#: describe at most this many same-name certificates when looking for issuer conflicts
MAX_CONFLICT_CANDIDATES = 25


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


class _Collector:
    def __init__(self, aws: Aws, name: str, pool: ThreadPoolExecutor) -> None:
        self.aws = aws
        self.name = name
        self.pool = pool

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        return self.pool.submit(fn, *args)

    # --- the domain in one region, both APIs at once ---------------------------------------
    def view_calls(self, pool: ThreadPoolExecutor, region: str) -> tuple[Future[Any], Future[Any]]:
        rest_f = pool.submit(self.aws.attempt, "apigateway", region, "GetDomainName",
                             "apigateway:GET",
                             lambda c: c.get_domain_name(domainName=self.name), quiet=("not_found",))
        http_f = pool.submit(self.aws.attempt, "apigatewayv2", region, "GetDomainName",
                             "apigateway:GET",
                             lambda c: c.get_domain_name(DomainName=self.name), quiet=("not_found",))
        return rest_f, http_f

    @staticmethod
    def views_of(rest_f: Future[Any], http_f: Future[Any]) -> tuple[_View | None, _View | None, bool]:
        """(REST view, HTTP view, confirmed absent) from the two GetDomainName calls."""
        (rest, rest_fail), (http, http_fail) = rest_f.result(), http_f.result()
        absent = all(f is not None and f.kind == "not_found" for f in (rest_fail, http_fail))
        return (_rest_view(rest) if rest else None, _http_view(http) if http else None, absent)

    def scan(self, skip: str | None) -> tuple[str | None, _View | None, _View | None]:
        """Look in every region API Gateway offers, all at once; the first that knows it."""
        regions = [r for r in self.aws.regions("apigateway") if r != skip]
        if not regions:
            return None, None, None
        with ThreadPoolExecutor(max_workers=2 * len(regions),
                                thread_name_prefix="mtls-doctor-scan") as scan_pool:
            calls = {r: self.view_calls(scan_pool, r) for r in regions}
            for region, (rest_f, http_f) in calls.items():
                rest, http, _ = self.views_of(rest_f, http_f)
                if rest or http:
                    return region, rest, http
        return None, None, None

    # --- what depends on the domain ----------------------------------------------------------
    def acm(self, region: str, arn: str) -> AcmCertificate | None:
        d = self.aws.call("acm", region, "DescribeCertificate", "acm:DescribeCertificate",
                          lambda c: c.describe_certificate(CertificateArn=arn))
        return _acm(d["Certificate"]) if d else None

    def list_certificates(self, region: str) -> list[dict[str, Any]]:
        """ACM's certificate summaries, every key type (ACM lists only RSA-2048 by default)."""
        def list_all(c: Any) -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            for page in c.get_paginator("list_certificates").paginate(
                    Includes={"keyTypes": _KEY_TYPES}):
                out.extend(page.get("CertificateSummaryList", []))
            return out

        return self.aws.call("acm", region, "ListCertificates", "acm:ListCertificates",
                             list_all) or []

    def conflicts(self, region: str, mine: AcmCertificate, summaries: list[dict[str, Any]],
                  own: set[str]) -> tuple[AcmCertificate, ...]:
        """Other certificates in ACM with the same subject and another issuer (`own`: the
        domain's certificates, the ownership verification one included, which are never a
        conflict)."""
        wanted = {mine.domain_name, self.name}
        candidates = [s["CertificateArn"] for s in summaries
                      if s.get("DomainName") in wanted and s.get("CertificateArn") not in own]
        found = [f.result() for f in [self.submit(self.acm, region, arn)
                                      for arn in candidates[:MAX_CONFLICT_CANDIDATES]]]
        return tuple(c for c in found if c is not None and c.subject == mine.subject
                     and c.issuer and mine.issuer and c.issuer != mine.issuer)

    def truststore(self, region: str, mtls: Mtls) -> TruststoreObject | None:
        where = split_s3_uri(mtls.truststore_uri)
        if where is None:
            self.aws.failures.append(AwsFailure("s3.GetObject", "s3:GetObject", "InvalidUri",
                                                f"{mtls.truststore_uri} is not s3://bucket/key",
                                                "error"))
            return None
        bucket, key = where
        versioning_f = self.submit(self.aws.call, "s3", region, "GetBucketVersioning",
                                   "s3:GetBucketVersioning",
                                   lambda c: c.get_bucket_versioning(Bucket=bucket))
        versions_f = self.submit(self.aws.call, "s3", region, "ListObjectVersions",
                                 "s3:ListBucketVersions",
                                 lambda c: c.list_object_versions(Bucket=bucket, Prefix=key))
        get_args = {"Bucket": bucket, "Key": key}
        if mtls.truststore_version:
            get_args["VersionId"] = mtls.truststore_version

        def get(c: Any) -> tuple[bytes, Any, Any]:
            obj = c.get_object(**get_args)
            return obj["Body"].read(MAX_BYTES), obj.get("VersionId"), obj.get("LastModified")

        action = "s3:GetObjectVersion" if mtls.truststore_version else "s3:GetObject"
        got = self.aws.call("s3", region, "GetObject", action, get)
        versioning = versioning_f.result()
        versions = versions_f.result()
        latest = latest_modified = configured_modified = None
        for v in (versions or {}).get("Versions", []):
            if v.get("Key") != key:
                continue
            if v.get("IsLatest"):
                latest, latest_modified = v.get("VersionId"), v.get("LastModified")
            if v.get("VersionId") == mtls.truststore_version:
                configured_modified = v.get("LastModified")
        status = (versioning or {}).get("Status") or ("Never" if versioning is not None else None)
        content = got[0] if got else None
        if got and configured_modified is None:
            configured_modified = got[2]
        return TruststoreObject(bucket, key, status or "unknown", latest,
                                mtls.truststore_version or (got[1] if got else None),
                                latest_modified, configured_modified, content)

    def mappings(self, region: str, view: _View) -> tuple[tuple[Mapping, ...], bool]:
        """The domain's mappings, each with whether its API's execute-api endpoint is off."""
        raw: list[tuple[str, str | None, str]] = []
        if view.api_type == "rest":
            def rest_list(c: Any) -> list[dict[str, Any]]:
                items: list[dict[str, Any]] = []
                for page in c.get_paginator("get_base_path_mappings").paginate(
                        domainName=self.name):
                    items.extend(page.get("items", []))
                return items

            got = self.aws.call("apigateway", region, "GetBasePathMappings", "apigateway:GET",
                                rest_list)
            raw = [(m["restApiId"], m.get("stage"), m.get("basePath", "(none)")) for m in got or []]
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

            got = self.aws.call("apigatewayv2", region, "GetApiMappings", "apigateway:GET",
                                http_list)
            raw = [(m["ApiId"], m.get("Stage"), m.get("ApiMappingKey") or "(none)")
                   for m in got or []]
        if got is None:
            return (), False
        apis = {api_id: self.submit(self.api, region, api_id, view.api_type)
                for api_id in {r[0] for r in raw}}
        out = []
        for api_id, stage, base in raw:
            disabled, name, kind = apis[api_id].result()
            out.append(Mapping(api_id, stage, base, disabled, name, kind))
        return tuple(out), True

    def api(self, region: str, api_id: str, hint: str) -> tuple[bool | None, str | None, str]:
        """(execute-api endpoint disabled?, name, rest|http) of one API."""
        order = ("rest", "http") if hint == "rest" else ("http", "rest")
        for kind in order:
            if kind == "rest":
                got, failure = self.aws.attempt(
                    "apigateway", region, "GetRestApi", "apigateway:GET",
                    lambda c: c.get_rest_api(restApiId=api_id), quiet=("not_found",))
                if got is not None:
                    return bool(got.get("disableExecuteApiEndpoint")), got.get("name"), "rest"
            else:
                got, failure = self.aws.attempt(
                    "apigatewayv2", region, "GetApi", "apigateway:GET",
                    lambda c: c.get_api(ApiId=api_id), quiet=("not_found",))
                if got is not None:
                    return bool(got.get("DisableExecuteApiEndpoint")), got.get("Name"), "http"
            if failure is not None and failure.kind != "not_found":
                break
        return None, None, hint


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


def collect_domain(name: str, *, region: str | None, profile: str | None,
                   timeout: float = 10.0) -> DomainFacts:
    """Everything AWS and DNS say about the custom domain `name`. Never raises for AWS trouble."""
    name = name.strip().rstrip(".").lower()
    aws = Aws(profile, timeout)
    with ThreadPoolExecutor(max_workers=32, thread_name_prefix="mtls-doctor-aws") as pool:
        c = _Collector(aws, name, pool)
        dns_f = pool.submit(lookup, name, timeout)
        source = "option"
        if region is None:
            region = region_from_dns(dns_f.result())
            source = "dns"
        if region is None:
            region, source = aws.default_region, "profile"
        rest = http = None
        absent = False
        if region:
            calls = c.view_calls(pool, region)
            # build the clients the next stage needs while the domain calls are in flight
            for service in ("acm", "s3"):
                pool.submit(aws.client, service, region)
            rest, http, absent = c.views_of(*calls)
        no_credentials = any(f.kind == "no_credentials" for f in aws.failures)
        if not (rest or http) and source != "option" and not no_credentials:
            found_region, rest, http = c.scan(skip=region)
            if found_region:
                region, source = found_region, "scan"
            else:
                absent = absent or region is None
        dns = dns_f.result()
        if not (rest or http):
            return DomainFacts(name, region, source, found=False, dns_addresses=_addresses(dns),
                               dns_canonical=dns.canonical if dns else None,
                               failures=tuple(f for f in aws.failures if f.kind != "not_found"
                                              or not absent))
        assert region is not None
        # prefer the view that carries the mTLS settings; the REST one when both do
        view = next(v for v in (rest if rest and rest.mtls else None,
                                http if http and http.mtls else None, rest, http) if v)
        cert_f = pool.submit(c.acm, region, view.certificate_arn) if view.certificate_arn else None
        # listed at the same time as the description, so that looking for issuer conflicts
        # adds no round trip to the chain
        list_f = pool.submit(c.list_certificates, region) if view.certificate_arn else None
        own_f = pool.submit(c.acm, region, view.ownership_arn) if view.ownership_arn else None
        ts_f = pool.submit(c.truststore, region, view.mtls) if view.mtls else None
        map_f = pool.submit(c.mappings, region, view)
        regional_f = pool.submit(lookup, view.regional_domain_name, timeout) \
            if view.regional_domain_name else None
        certificates: dict[str, AcmCertificate] = {}
        conflicts: tuple[AcmCertificate, ...] = ()
        for f in (cert_f, own_f):
            acm = f.result() if f else None
            if acm is not None:
                certificates[acm.arn] = acm
        mine = certificates.get(view.certificate_arn or "")
        if mine is not None and list_f is not None:
            own = {a for a in (view.certificate_arn, view.ownership_arn) if a}
            conflicts = c.conflicts(region, mine, list_f.result(), own)
        mappings, mappings_read = map_f.result()
        regional = regional_f.result() if regional_f else None
        truststore = ts_f.result() if ts_f else None
    return DomainFacts(
        name=name, region=region, region_source=source, found=True, api_type=view.api_type,
        endpoint_type=view.endpoint_type, status=view.status, status_message=view.status_message,
        security_policy=view.security_policy, certificate_arn=view.certificate_arn,
        ownership_verification_certificate_arn=view.ownership_arn,
        regional_domain_name=view.regional_domain_name, hosted_zone_id=view.hosted_zone_id,
        mtls=view.mtls, mappings=mappings, mappings_read=mappings_read,
        certificates=certificates, issuer_conflicts=conflicts, truststore_object=truststore,
        dns_addresses=_addresses(dns), dns_canonical=dns.canonical if dns else None,
        regional_addresses=_addresses(regional), failures=tuple(aws.failures),
    )

