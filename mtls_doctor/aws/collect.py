"""Read a custom domain's whole mTLS state from AWS, with independent calls in parallel.

The dependency chain sets the time, not the number of calls: the domain (REST and HTTP views at
once; a private domain, which GetDomainName finds only by its id, through the REST listing),
then everything that needs it (ACM, S3, mappings and routing rules, DNS) at once, then what
needs those (each API, stage and authorizer the domain sends requests to, each same-subject
certificate) at once. Every call is an attempt; each fact the checks need is recorded in
`evidence` with the attempt that collected it or why it could not be, so that a failed call is
never read as an answer about the domain.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mtls_doctor.aws.base import Collector
from mtls_doctor.aws.calls import Aws, require, spawn
from mtls_doctor.aws.fleet import Listed, Listings
from mtls_doctor.aws.s3truststore import read_truststore
from mtls_doctor.aws.served import Served, prefetch_mappings, read_served
from mtls_doctor.aws.uris import split_s3_uri
from mtls_doctor.deadline import Deadline
from mtls_doctor.model.domain import AcmCertificate, DomainFacts, Mtls, TruststoreObject
from mtls_doctor.model.evidence import Attempt, Status, ok, skipped
from mtls_doctor.probe.net import DnsAnswer, lookup
from mtls_doctor.shell.aws import ACM_KEY_TYPES, arn_region

_REGIONAL = re.compile(r"^d-[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$")
#: describe at most this many same-name certificates when looking for issuer conflicts
MAX_CONFLICT_CANDIDATES = 25
#: the facts every check of `domain` may need, downstream of the domain lookup
DOWNSTREAM = ("certificate", "ownership_certificate", "issuer_conflicts", "truststore_object",
              "truststore_versions", "mappings", "mapped_apis", "routing_rules", "stages",
              "authorizers", "dns")


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
    domain_name_id: str | None = None
    routing_mode: str | None = None
    endpoint_access_mode: str | None = None
    ip_address_type: str | None = None


def _rest_view(d: dict[str, Any]) -> _View:
    m = d.get("mutualTlsAuthentication") or None
    mtls = Mtls(m["truststoreUri"], m.get("truststoreVersion"),
                tuple(m.get("truststoreWarnings") or ())) if m and m.get("truststoreUri") else None
    config = d.get("endpointConfiguration") or {}
    types = config.get("types") or [None]
    private = str(types[0] or "").upper() == "PRIVATE"
    return _View("rest", types[0], d.get("domainNameStatus"), d.get("domainNameStatusMessage"),
                 d.get("securityPolicy"),
                 d.get("regionalCertificateArn") or d.get("certificateArn"),
                 d.get("ownershipVerificationCertificateArn"),
                 d.get("regionalDomainName") or d.get("distributionDomainName"),
                 d.get("regionalHostedZoneId") or d.get("distributionHostedZoneId"), mtls,
                 d.get("domainNameId") if private else None, d.get("routingMode"),
                 d.get("endpointAccessMode"), config.get("ipAddressType"))


def _http_view(d: dict[str, Any]) -> _View:
    m = d.get("MutualTlsAuthentication") or None
    mtls = Mtls(m["TruststoreUri"], m.get("TruststoreVersion"),
                tuple(m.get("TruststoreWarnings") or ())) if m and m.get("TruststoreUri") else None
    c = (d.get("DomainNameConfigurations") or [{}])[0]
    return _View("http", c.get("EndpointType"), c.get("DomainNameStatus"),
                 c.get("DomainNameStatusMessage"), c.get("SecurityPolicy"), c.get("CertificateArn"),
                 c.get("OwnershipVerificationCertificateArn"), c.get("ApiGatewayDomainName"),
                 c.get("HostedZoneId"), mtls, None, d.get("RoutingMode"), None,
                 c.get("IpAddressType"))


def listed_truststore(listed: Listed) -> tuple[str, str] | None:
    """The (bucket, key) of the truststore of a domain as the scan's listings described it:
    that of the view `collect_domain` reads it from (the one with mutual TLS, REST first)."""
    views = (_rest_view(listed.rest) if listed.rest is not None else None,
             _http_view(listed.http) if listed.http is not None else None)
    mtls = next((v.mtls for v in views if v is not None and v.mtls is not None), None)
    return split_s3_uri(mtls.truststore_uri) if mtls is not None else None


def _get_rest(name: str, domain_name_id: str | None = None) -> Callable[[Any], dict[str, Any]]:
    extra = {"domainNameId": domain_name_id} if domain_name_id else {}
    return lambda c: require(c.get_domain_name(domainName=name, **extra), "domainName")


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
class _Collector(Collector):
    """The reading of one domain: where it is, what describes it, its certificates.
    `listings`: the scan's account-wide listings, shared by its domains (None: `domain`)."""

    listings: Listings | None = None

    # --- the domain in one region, both APIs at once ---------------------------------------
    def look(self, region: str, *, attempts: int = 3) -> _Lookup:
        return self.start_look(region, attempts=attempts)()

    def start_look(self, region: str, *, attempts: int = 3) -> Callable[[], _Lookup]:
        """Ask both APIs for the domain now; the function returned waits for the answers."""
        rest_f = spawn(lambda: self.aws.attempt("apigateway", region, "GetDomainName",
                                                "apigateway:GET", _get_rest(self.name),
                                                attempts=attempts))
        http_f = spawn(lambda: self.aws.attempt("apigatewayv2", region, "GetDomainName",
                                                "apigateway:GET", _get_http(self.name),
                                                attempts=attempts))

        def answers() -> _Lookup:
            rest, rest_a = rest_f.result()  # each attempt is bound by the deadline itself
            http, http_a = http_f.result()
            return _Lookup(region, _rest_view(rest) if rest else None,
                           _http_view(http) if http else None, (rest_a, http_a))
        return answers

    def listed(self, region: str, listed: Listed) -> _Lookup:
        """The domain as the scan's listings described it (a GetDomainNames item has
        GetDomainName's shape: it is not asked for again). The listing that read it is in
        this domain's record; an API whose listing could not be read is asked for the domain
        itself, except for a private domain, which only the REST API knows (by its id)."""
        rest = _rest_view(listed.rest) if listed.rest is not None else None
        attempts: list[Attempt] = []
        http: _View | None = None
        if listed.rest_attempt.status is Status.OK:
            attempts.append(self.aws.record(listed.rest_attempt))
        elif rest is None:
            got, got_a = self.aws.attempt("apigateway", region, "GetDomainName",
                                          "apigateway:GET", _get_rest(self.name))
            rest = _rest_view(got) if got else None
            attempts.append(got_a)
        if rest is not None and rest.domain_name_id:
            pass  # a private custom domain: the HTTP API does not describe it
        elif listed.http is not None:
            http = _http_view(listed.http)
            attempts.append(self.aws.record(listed.http_attempt))
        elif listed.http_attempt.status is Status.OK:
            attempts.append(self.aws.record(listed.http_attempt))
        else:
            got, got_a = self.aws.attempt("apigatewayv2", region, "GetDomainName",
                                          "apigateway:GET", _get_http(self.name))
            http = _http_view(got) if got else None
            attempts.append(got_a)
        return _Lookup(region, rest, http, tuple(attempts))

    def private(self, region: str) -> tuple[_Lookup | None, Attempt]:
        """A private custom domain of this name in the region: GetDomainName knows one only by
        its id, which the REST listing of the account's own domains gives (every page). Returns
        its lookup, or None with the attempt that says none was found (or why not)."""
        def listing(c: Any) -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            for page in c.get_paginator("get_domain_names").paginate(resourceOwner="SELF"):
                out.extend(page.get("items", []))
            return out

        items, attempt = self.aws.attempt("apigateway", region, "GetDomainNames",
                                          "apigateway:GET", listing)
        if items is None:
            return None, attempt
        ids = [str(i["domainNameId"]) for i in items
               if str(i.get("domainName", "")).rstrip(".").lower() == self.name
               and i.get("domainNameId")]
        if not ids:
            return None, attempt
        got, got_a = self.aws.attempt("apigateway", region, "GetDomainName", "apigateway:GET",
                                      _get_rest(self.name, ids[0]))
        if got is None:
            return None, got_a
        return _Lookup(region, _rest_view({**got, "domainNameId": ids[0]}), None,
                       (got_a,)), got_a

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
        """One certificate, asked in the region of its ARN (an EDGE domain's is in us-east-1);
        in a scan, once for every domain that uses it (a wildcard certificate is often shared,
        and ACM allows few DescribeCertificate calls a second)."""
        where = arn_region(arn) or region

        def call() -> tuple[AcmCertificate | None, Attempt]:
            d, attempt = self.aws.attempt(
                "acm", where, "DescribeCertificate", "acm:DescribeCertificate",
                lambda c: require(c.describe_certificate(CertificateArn=arn), "Certificate"))
            return (_acm(d["Certificate"]) if d else None), attempt

        if self.listings is None:
            return call()
        return self.listings.get(self.aws, "acm", where, "DescribeCertificate",
                                 "acm:DescribeCertificate", call, arn)

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
                    Includes={"keyTypes": list(ACM_KEY_TYPES)}):
                out.extend(page.get("CertificateSummaryList", []))
            return out

        def call() -> tuple[list[dict[str, Any]] | None, Attempt]:
            return self.aws.attempt("acm", acm_region, "ListCertificates",
                                    "acm:ListCertificates", list_all)

        if self.listings is None:
            return call()
        return self.listings.get(self.aws, "acm", acm_region, "ListCertificates",
                                 "acm:ListCertificates", call)

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
        scope = Attempt(attempt.call, attempt.status, f"searched ACM of this account in "
                        f"{acm_region} only", attempt.action, attempt.code, attempt.region)
        return tuple(c for c in found if c is not None and c.subject == mine.subject
                     and c.issuer and mine.issuer and c.issuer != mine.issuer), scope


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


#: seconds a lookup is waited for: the system resolver sends a query again when 5 s pass
#: without an answer (resolv.conf's default timeout), so a query lost once is still answered
DNS_WAIT = 6.0


def _resolved(c: Collector, future: Future[DnsAnswer | None]) -> tuple[DnsAnswer | None, bool]:
    """The lookup's answer (None: the name does not resolve, or no answer in time) and whether
    the resolver said nothing in time (which is never "does not resolve")."""
    answer = c.wait(future, "dns")
    if answer is not None and answer.timed_out:
        return None, True
    return answer, False


def _no_dns_answer(name: str) -> Attempt:
    return Attempt("dns", Status.TIMED_OUT, f"the resolver gave no answer for {name} in time")


def _addresses(answer: DnsAnswer | None) -> tuple[str, ...]:
    return answer.addresses if answer else ()


def _not_looked_up(c: Collector, why: Attempt) -> None:
    """Every downstream fact, when the domain itself could not be read (or does not exist)."""
    for fact in DOWNSTREAM:
        c.evidence[fact] = (skipped(fact, "the custom domain does not exist")
                            if why.status is Status.NOT_FOUND else why)


def _found(home: _Lookup) -> Attempt:
    """The `domain` fact of a domain found in its region."""
    rest = home.rest
    if rest is not None and rest.domain_name_id and home.http is None:
        return Attempt("domain", Status.OK, f"a private custom domain (domainNameId "
                       f"{rest.domain_name_id})", region=home.region)
    return ok("domain", home.region)


def _client_ready(aws: Aws, service: str, region: str) -> None:
    """Build (or wait for) a client before it is needed; a failure to build one is left to the
    call that needs it, which records it."""
    with contextlib.suppress(Exception):
        aws.client(service, region)


def _warm(aws: Aws, region: str) -> None:
    """The clients of the calls that follow the domain lookup (ACM, S3), built while it is in
    flight."""
    for service in ("acm", "s3"):
        _client_ready(aws, service, region)


def _locate(c: _Collector, region: str | None, source: str, listed: Listed | None,
            meanwhile: Callable[[], object] | None
            ) -> tuple[_Lookup | None, str | None, str, Attempt, tuple[str, ...]]:
    """`_find`, with what can start at once started at once: the domain in its region (or as
    the scan's listings gave it), both APIs' mapping lists with it (they need only the name),
    then the clients of the next calls and `meanwhile` (the caller's own work) while all of
    that is in flight."""
    if listed is not None and region:
        home = c.listed(region, listed)
        if home.found:
            return home, region, source, _found(home), ()
    started = None
    if region:
        started = c.start_look(region)
        prefetch_mappings(c, region)
        # the lookup's clients first (its calls leave as soon as they are built), then the
        # next calls' clients and the caller's work, while the lookup is in flight
        for service in ("apigateway", "apigatewayv2"):
            _client_ready(c.aws, service, region)
        spawn(_warm, c.aws, region)
    if meanwhile is not None:
        meanwhile()
    return _find(c, region, source, started)


def _find(c: _Collector, region: str | None, source: str,
          started: Callable[[], _Lookup] | None = None
          ) -> tuple[_Lookup | None, str | None, str, Attempt, tuple[str, ...]]:
    """Where the domain is: (its lookup, region, how the region was chosen, the `domain` fact,
    other regions that know the name). `started`: the lookup in `region`, already asked."""
    aws = c.aws
    home: _Lookup | None = None
    if region:
        home = started() if started is not None else c.look(region)
        if home.found:
            return home, region, source, ok("domain", region), ()
        failure = _first_failure(home.attempts)
        if failure is not None:
            return None, region, source, failure, ()  # not an answer: no scan, no "not found"
        private, listed = c.private(region)
        if private is not None and private.rest is not None:
            return (private, region, source, Attempt(
                "domain", Status.OK, f"a private custom domain (domainNameId "
                f"{private.rest.domain_name_id})", region=region), ())
        if listed.failed:
            return None, region, source, listed, ()
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
    return Attempt("domain", Status.NOT_FOUND, f"neither API knows the name in {where}, nor "
                   "is it a private custom domain of this account there")


def collect_domain(name: str, *, region: str | None, profile: str | None,
                   deadline: Deadline | None = None, timeout: float = 30.0,
                   aws: Aws | None = None, listings: Listings | None = None,
                   listed: Listed | None = None,
                   meanwhile: Callable[[], object] | None = None) -> DomainFacts:
    """Everything AWS and DNS say about the custom domain `name`, within the deadline (or
    `timeout` seconds). Never raises for AWS trouble: failures are attempts. `aws` (the fleet
    scan: an assumed role's session, clients shared between domains) replaces the calls made
    with `profile`; its deadline is the one used. `listings` (the fleet scan: one per account)
    shares the account-wide listings (ACM's certificates, the region's APIs) between domains;
    `listed` (the fleet scan) is the domain as its region's listings described it, which
    replaces asking for it again. `meanwhile` is run in this thread once the first calls are
    on their way (the `domain` command loads its report's modules then)."""
    deadline = aws.deadline if aws is not None else deadline or Deadline(timeout)
    name = name.strip().rstrip(".").lower()
    aws = aws if aws is not None else Aws(profile, deadline)
    c = _Collector(aws, name, listings=listings)
    dns_f = spawn(lookup, name, deadline.within(DNS_WAIT))
    source = "option"
    if region is None:
        region = region_from_dns(_resolved(c, dns_f)[0])
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
        lookup_, found_region, source, domain_fact, others = _locate(c, region, source, listed,
                                                                     meanwhile)
    c.evidence["domain"] = domain_fact
    dns, dns_late = _resolved(c, dns_f)
    if lookup_ is None:
        _not_looked_up(c, domain_fact)
        aws.settle()
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
        ts_f: Future[TruststoreObject | None] | None = spawn(read_truststore, c, region,
                                                             view.mtls)
    else:
        ts_f = None
        for fact in ("truststore_object", "truststore_versions"):
            c.evidence[fact] = skipped(fact, "mutual TLS is off")
    other = next((v for v in (rest, http) if v is not None and v is not view), None)
    routing_mode = view.routing_mode or (other.routing_mode if other else None)
    served_f = spawn(read_served, c, region, view.api_type, routing_mode, view.domain_name_id,
                     view.mtls is not None)
    regional_f = spawn(lookup, view.regional_domain_name, deadline.within(DNS_WAIT)) \
        if view.regional_domain_name else None
    conflicts: tuple[AcmCertificate, ...] = ()
    c.wait(cert_f, "certificate")
    c.wait(own_f, "ownership_certificate")
    mine = certificates.get(view.certificate_arn or "")
    summaries = c.wait(list_f, "issuer_conflicts") if list_f is not None else None
    if mine is not None and summaries is not None:
        own = {a for a in (view.certificate_arn, view.ownership_arn) if a}
        got = c.wait(spawn(c.conflicts, mine, own, summaries), "issuer_conflicts")
        if got is not None:
            conflicts, c.evidence["issuer_conflicts"] = got
    else:
        cert_fact = c.evidence.get("certificate") or skipped("certificate", "none configured")
        c.evidence.setdefault("issuer_conflicts", cert_fact
                              if cert_fact.failed or cert_fact.status is Status.NOT_FOUND
                              else skipped("issuer_conflicts", "no domain certificate"))
    served = c.wait(served_f, "mappings") or Served()
    for fact in ("mapped_apis", "routing_rules", "stages", "authorizers"):
        c.evidence.setdefault(fact, Attempt(fact, Status.TIMED_OUT, "not finished in time"))
    regional, regional_late = _resolved(c, regional_f) if regional_f else (None, False)
    truststore = c.wait(ts_f, "truststore_object") if ts_f else None
    if "truststore_versions" not in c.evidence and ts_f is not None:
        c.evidence["truststore_versions"] = Attempt("truststore_versions", Status.TIMED_OUT,
                                                    "not finished in time")
    if dns_late and view.regional_domain_name:
        c.evidence.setdefault("dns", _no_dns_answer(name))
    elif not dns or not view.regional_domain_name:
        c.evidence.setdefault("dns", skipped("dns", f"{name} does not resolve"
                                             if not dns and not dns_late
                                             else "the domain has no regional name"))
    elif not regional and dns.canonical != view.regional_domain_name:
        c.evidence.setdefault("dns", _no_dns_answer(view.regional_domain_name) if regional_late
                              else skipped("dns", f"{view.regional_domain_name} does not "
                                           "resolve: nothing to compare"))
    c.evidence.setdefault("dns", ok("dns"))
    aws.settle()  # a call the deadline left unanswered is named in the report all the same
    return DomainFacts(
        name=name, region=region, region_source=source, found=True,
        api_type=_api_type(view.api_type, served),
        endpoint_type=view.endpoint_type, status=view.status, status_message=view.status_message,
        security_policy=view.security_policy, certificate_arn=view.certificate_arn,
        ownership_verification_certificate_arn=view.ownership_arn,
        regional_domain_name=view.regional_domain_name, hosted_zone_id=view.hosted_zone_id,
        mtls=view.mtls, mappings=served.mappings, mappings_read=served.mappings_read,
        certificates=certificates, issuer_conflicts=conflicts, truststore_object=truststore,
        dns_addresses=_addresses(dns), dns_canonical=dns.canonical if dns else None,
        regional_addresses=_addresses(regional), attempts=tuple(aws.attempts),
        account_id=c.account_id, evidence=dict(c.evidence), also_found_in=others,
        domain_name_id=view.domain_name_id, routing_mode=routing_mode,
        endpoint_access_mode=view.endpoint_access_mode or (
            other.endpoint_access_mode if other else None),
        ip_address_type=view.ip_address_type or (other.ip_address_type if other else None),
        routing_rules=served.rules, routing_rules_read=served.rules_read, stages=served.stages,
        authorizers=served.authorizers,
    )


def _api_type(view_type: str, served: Served) -> str:
    """`websocket` for an apigatewayv2 domain that sends requests to WebSocket APIs only (never
    "HTTP API"); else the API that describes the domain."""
    if view_type != "rest" and served.kinds == {"websocket"}:
        return "websocket"
    return view_type
