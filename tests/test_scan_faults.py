"""Fault audit of `mtls-doctor scan`: each AWS call a scan makes, per domain or per account and
region, made to fail (denied, throttled past botocore's retries, a 500, a malformed answer where
the service speaks JSON, no answer at all) through the fault proxy of tests/aws_faults.py.

For every fault the report must stay honest (CONTRACT.md, "Honest results"): nothing that
depended on the failed call is said to be good (its checks are `unknown`, no finding claims what
the call would have told), an AWS_* finding names the call, the exit status is 1, every other
domain, region and account reads exactly as in a scan without the fault, and a call that never
answers ends with the --timeout instead of holding the scan.

The lab (moto, on loopback) is small and healthy, so that a scan without faults exits 0 and the
exit status of a faulted scan says something:

- account GOOD, FAULTED region: three HTTP API domains (pinned, stale, unpinned truststores in one
  versioned bucket); CONTROL region: two more (pinned, expiring);
- account GOOD, REST region: a REST API domain with mTLS (its GetDomainNames item recorded: moto
  drops mutualTlsAuthentication) and one HTTP API domain;
- account OTHER, CONTROL region: one domain, for the faults of sts:AssumeRole.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import moto.settings
import pytest

from mtls_doctor.aws import collect
from mtls_doctor.commands.scan import run_scan_command
from mtls_doctor.deadline import Deadline
from mtls_doctor.model.finding import CheckStatus, Finding
from mtls_doctor.model.report import Report
from tests.aws_faults import FaultProxy, Rule, answer_for, recorded
from tests.conftest import Run
from tests.fleet_lab import GOOD, OTHER, FleetLab, deny_assume_role, role_arn
from tests.test_domain import Dns, _reset, clean_aws_env, moto_endpoint

__all__ = ["moto_endpoint"]

pytestmark = pytest.mark.timeout(180)

FAULTED, CONTROL, REST_REGION = "us-east-1", "eu-west-1", "eu-central-1"
#: the --timeout of the scans whose call never answers (the others get a roomy one)
HANG_TIMEOUT = 5.0
ROOMY_TIMEOUT = 60.0
#: the AWS_* id each fault must give
FAULT_IDS = {"denied": "AWS_ACCESS_DENIED", "throttled": "AWS_THROTTLED", "internal": "AWS_ERROR",
             "junk": "AWS_ERROR", "hang": "AWS_UNREACHABLE"}
_DECIDED = (CheckStatus.PASS, CheckStatus.WARN, CheckStatus.FAIL)
_LINT = ("TRUSTSTORE_", "CERT_")


# --- the lab ----------------------------------------------------------------------------------------

@dataclass
class Lab:
    """The domains, the proxy the code under test talks to, the base rules every scan needs
    (the REST domain's recorded listing) and one scan of each kind without faults."""

    proxy: FaultProxy
    tmp: Path
    now: datetime
    #: name -> (account, region)
    domains: dict[str, tuple[str, str]]
    #: the domain certificate ARN of each domain
    certs: dict[str, str]
    rest_domain: str
    rest_listing: dict[str, Any]
    baseline: dict[str, Report]

    def arm(self, *rules: Callable[[FaultProxy], object]) -> None:
        """Forget every rule and the log; add `rules` (first: the first matching rule wins),
        then the base rules."""
        self.proxy.clear()
        for add in rules:
            add(self.proxy)
        self.proxy.answer("apigateway", "GetDomainNames", self.rest_listing, region=REST_REGION)

    def names(self, account: str, region: str) -> set[str]:
        return {n for n, where in self.domains.items() if where == (account, region)}


#: the scans the scenarios use: (roles, regions)
SCANS = {"main": ((GOOD,), (FAULTED, CONTROL)),
         "rest": ((GOOD,), (REST_REGION, CONTROL)),
         "accounts": ((GOOD, OTHER), (CONTROL,))}


def scan(lab: Lab, kind: str, timeout: float = ROOMY_TIMEOUT) -> Report:
    roles, regions = SCANS[kind]
    return run_scan_command(at=lab.now, now=lab.now, regions=",".join(regions),
                            role_arns=[role_arn(a) for a in roles], timeout=timeout)


def _rest_domain(fleet: FleetLab, name: str) -> tuple[str, dict[str, Any]]:
    """A REST API domain with mTLS in REST_REGION: moto holds the domain (its base path mappings:
    an empty list), its certificate and its pinned truststore; its GetDomainNames item, which
    moto cannot give (no mutualTlsAuthentication), is the recorded body returned."""
    account, region = GOOD, REST_REGION
    cert = fleet.client(account, "acm", region).request_certificate(
        DomainName=name, ValidationMethod="DNS")["CertificateArn"]
    gw = fleet.client(account, "apigateway", region)
    gw.create_domain_name(domainName=name, regionalCertificateArn=cert, securityPolicy="TLS_1_2",
                          endpointConfiguration={"types": ["REGIONAL"]})
    # moto answers GetBasePathMappings with a 500 for a domain that never had a mapping (AWS: an
    # empty list): one made and deleted again leaves the empty list (as tests/fleet_lab.py does)
    api = gw.create_rest_api(name=f"gone-{name}")["id"]
    gw.create_base_path_mapping(domainName=name, restApiId=api, basePath="gone")
    gw.delete_base_path_mapping(domainName=name, basePath="gone")
    bucket = f"ts-{account}-{region}"
    key = f"{name}/truststore.pem"
    version = fleet.client(account, "s3", region).put_object(
        Bucket=bucket, Key=key, Body=fleet.bundle("pinned"))["VersionId"]
    item = recorded("rest_domain", name=name, region=region,
                    regional=f"d-{uuid.uuid4().hex[:10]}.execute-api.{region}.amazonaws.com",
                    zone="Z1U9ULNL0V5AJ3", cert=cert, uri=f"s3://{bucket}/{key}",
                    version=version)["body"]
    return cert, {"item": [item]}


@pytest.fixture(scope="module")
def lab(moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    _reset(moto_endpoint)
    saved = moto.settings.ACM_VALIDATION_WAIT
    moto.settings.ACM_VALIDATION_WAIT = -1  # requested certificates are ISSUED at once
    fleet = FleetLab(moto_endpoint)
    tmp = tmp_path_factory.mktemp("scan-faults")
    spots = {(GOOD, FAULTED): ("pinned", "stale", "unpinned"), (GOOD, CONTROL): ("pinned", "expiring"),
             (GOOD, REST_REGION): ("pinned",), (OTHER, CONTROL): ("pinned",)}
    for (account, region), kinds in spots.items():
        bucket = fleet.bucket(account, region)
        for i, kind in enumerate(kinds):
            fleet.domain(account, region, f"{kind}{i}.{account[:1]}.{region}.faults.test", kind,
                         bucket)
    domains = {p.name: (p.account, p.region) for p in fleet.placed}
    certs = {}
    for p in fleet.placed:
        summaries = fleet.client(p.account, "acm", p.region).list_certificates()
        certs[p.name] = next(s["CertificateArn"] for s in summaries["CertificateSummaryList"]
                             if s["DomainName"] == p.name)
    rest_name = f"rest.{GOOD[:1]}.{REST_REGION}.faults.test"
    certs[rest_name], listing = _rest_domain(fleet, rest_name)
    domains[rest_name] = (GOOD, REST_REGION)
    proxy = FaultProxy(moto_endpoint).start()
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        made = Lab(proxy, tmp, now, domains, certs, rest_name, listing, {})
        with pytest.MonkeyPatch.context() as mp:
            clean_aws_env(mp, tmp, proxy.url)
            mp.setattr(collect, "lookup", Dns().lookup)
            made.arm()
            for kind in SCANS:
                made.baseline[kind] = scan(made, kind)
        yield made
    finally:
        proxy.stop()
        moto.settings.ACM_VALIDATION_WAIT = saved


@pytest.fixture
def env(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> Lab:
    """The code under test talks to the proxy (clean AWS environment, nothing resolves)."""
    clean_aws_env(monkeypatch, lab.tmp, lab.proxy.url)
    monkeypatch.setattr(collect, "lookup", Dns().lookup)
    return lab


# --- reading a report ---------------------------------------------------------------------------------

def rows(report: Report) -> dict[str, Any]:
    return {r.name: r for r in report.payload["scan"].rows}


def domain_reports(report: Report) -> dict[str, Report]:
    return {d.name: d.report for d in report.payload["domains"]}


def statuses(report: Report) -> dict[str, CheckStatus]:
    return {c.id: c.status for c in report.checks}


def findings_of(report: Report, name: str) -> list[Finding]:
    """The scan's findings located at the domain `name`."""
    return [f for f in report.findings if f.evidence.get("domain") == name]


def calls_of(finding: Finding) -> list[str]:
    """The calls an AWS_* finding names (a denial groups its calls by IAM action)."""
    calls = finding.evidence.get("calls")
    if isinstance(calls, list):
        return [str(c) for c in calls]
    call = finding.evidence.get("call")
    return [str(call)] if call else []


def names_call(findings: list[Finding], call: str, fault: str) -> bool:
    return any(f.id == FAULT_IDS[fault] and call in calls_of(f) for f in findings)


def unread(report: Report, name: str) -> bool:
    """The deadline left the domain unread: its row says nothing, its finding says so."""
    row = rows(report)[name]
    if row.diagnosed:
        return False
    assert row.mtls is None and row.truststore == "unknown" and row.execute_api_open is None
    said = findings_of(report, name)
    assert [f.id for f in said] == ["AWS_UNREACHABLE"], said
    assert "not read before the deadline" in said[0].title
    return True


def same_as_baseline(report: Report, baseline: Report, name: str) -> None:
    """The domain reads exactly as in the scan without the fault: its row, its checks and its
    findings."""
    assert name in rows(report), f"{name} is missing from the scan"
    assert rows(report)[name] == rows(baseline)[name], name
    got, want = domain_reports(report)[name], domain_reports(baseline)[name]
    assert statuses(got) == statuses(want), name
    assert sorted(f.id for f in got.findings) == sorted(f.id for f in want.findings), name


# --- the calls ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Call:
    """One AWS call of a scan: which scan makes it, where the fault goes, the checks of the
    domains that need it, and the findings that only its answer could support."""

    service: str
    operation: str
    scan: str
    region: str
    checks: tuple[str, ...] = ()
    claims: tuple[str, ...] = ()
    #: a listing of the account/region: a failure leaves its domains unlisted
    listing: bool = False
    #: only this domain's calls are faulted (a JSON body that names its certificate)
    one: str | None = None
    #: only the REST domain makes it
    rest_only: bool = False
    #: only this account's calls are faulted (sts:AssumeRole)
    account: str | None = None
    #: one call made for every domain of the account/region that needs it (`Listings`)
    shared: bool = False

    @property
    def name(self) -> str:
        return f"{self.service}.{self.operation}"

    def rule(self, lab: Lab, fault: str) -> Callable[[FaultProxy], object]:
        if self.account is not None and fault == "denied":
            return lambda proxy: deny_assume_role(proxy, str(self.account))
        contains = self.account or (lab.certs[self.one] if self.one else None)
        if contains is None:
            return lambda proxy: proxy.fail(self.service, self.operation, fault,
                                            region=self.region)

        if fault != "hang":
            answer_for(fault, self.service, self.operation, self.region)  # one it can give

        def add(proxy: FaultProxy) -> Rule:
            # STS is asked in the profile's region, whichever region is scanned
            region = None if self.account is not None else self.region
            rule = Rule(self.service, self.operation, fault, region, None, None,
                        contains=contains)
            with proxy._lock:
                proxy._rules.append(rule)
            return rule
        return add

    def affected(self, lab: Lab, fault: str) -> set[str]:
        """The domains the fault may touch."""
        if self.account is not None:
            return lab.names(self.account, self.region)
        if self.one is not None:
            return {self.one}
        here = lab.names(GOOD, self.region)
        if self.rest_only:
            return {lab.rest_domain}
        if self.listing and fault != "hang":
            # the domains only this API lists (in moto each API lists its own kind); a hung
            # listing holds the region's discovery until the deadline, so all of them
            return {lab.rest_domain} if self.service == "apigateway" else here - {lab.rest_domain}
        return here


_MAPPING_CLAIMS = ("DOMAIN_NO_MAPPINGS", "DOMAIN_EXECUTE_API_ENABLED", "DOMAIN_ACCESS_LOGS_MISSING",
                   "DOMAIN_ACCESS_LOG_FORMAT_INCOMPLETE", "DOMAIN_REVOCATION_NOT_CHECKED")
_S3_CLAIMS = ("DOMAIN_TRUSTSTORE_UNREADABLE", "DOMAIN_TRUSTSTORE_VERSIONING_OFF")

CALLS = {c.name: c for c in (
    Call("apigateway", "GetDomainNames", "rest", REST_REGION, listing=True),
    Call("apigatewayv2", "GetDomainNames", "main", FAULTED, listing=True),
    Call("apigateway", "GetBasePathMappings", "rest", REST_REGION, ("domain.mappings",),
         _MAPPING_CLAIMS, rest_only=True),
    Call("apigatewayv2", "GetApiMappings", "main", FAULTED, ("domain.mappings",), _MAPPING_CLAIMS),
    Call("acm", "DescribeCertificate", "main", FAULTED, ("domain.certificates",),
         ("DOMAIN_CERT_NOT_ISSUED", "DOMAIN_CERT_EXPIRES_SOON", "DOMAIN_ISSUER_CONFLICT"),
         one=f"pinned0.{GOOD[:1]}.{FAULTED}.faults.test"),
    Call("acm", "ListCertificates", "main", FAULTED, ("domain.certificates",),
         ("DOMAIN_ISSUER_CONFLICT",), shared=True),
    Call("s3", "GetBucketVersioning", "main", FAULTED, ("domain.truststore",), _S3_CLAIMS,
         shared=True),
    Call("s3", "ListObjectVersions", "main", FAULTED, ("domain.truststore",),
         (*_S3_CLAIMS, "DOMAIN_TRUSTSTORE_STALE"), shared=True),
    Call("s3", "GetObject", "main", FAULTED, ("domain.truststore", "domain.truststore_content"),
         _S3_CLAIMS),
    Call("sts", "AssumeRole", "accounts", CONTROL, account=OTHER),
)}

#: the JSON services: a body that is not JSON is malformed (S3's and STS's XML is left out: a
#: 200 of S3 GetObject is the object, whatever its bytes)
JSON_SERVICES = ("apigateway", "apigatewayv2", "acm")

def _scenarios() -> Iterator[Any]:
    for name, call in CALLS.items():
        for fault in ("denied", "throttled", "internal", "junk", "hang"):
            if fault == "junk" and call.service not in JSON_SERVICES:
                continue
            yield pytest.param(name, fault, id=f"{name}-{fault}")


# --- every call, every fault ------------------------------------------------------------------------

@pytest.mark.parametrize(("call_name", "fault"), list(_scenarios()))
def test_a_failed_call_decides_nothing_and_touches_nothing_else(env: Lab, call_name: str,
                                                                fault: str) -> None:
    call = CALLS[call_name]
    env.arm(call.rule(env, fault))
    timeout = HANG_TIMEOUT if fault == "hang" else ROOMY_TIMEOUT
    held = env.proxy.held
    report = scan(env, call.scan, timeout)
    faulted = [s for s in env.proxy.seen(call.service, call.operation) if s.fault is not None]
    assert faulted, f"the scan never made {call.name}"
    if fault == "hang":
        # the scan ended with the --timeout while the call was still unanswered (the proxy holds
        # a hung request until it stops): nothing waited for it
        assert env.proxy.held > held
    baseline = env.baseline[call.scan]
    assert baseline.exit_code == 0
    assert report.exit_code == 1, [f.id for f in report.findings]
    affected = call.affected(env, fault)
    assert affected and affected <= set(rows(baseline)), affected
    got_rows = rows(report)
    scan_checks = statuses(report)

    if call.account is not None:  # the account could not be reached: none of its domains
        assert scan_checks["scan.accounts"] is CheckStatus.UNKNOWN
        account = next(a for a in report.payload["scan"].accounts if a.account_id == call.account)
        assert not account.reached and account.attempt.call == call.name
        said = [f for f in report.findings if f.evidence.get("account") == call.account]
        assert [f.id for f in said] == [FAULT_IDS[fault]]
        assert said[0].evidence["call"] == call.name and "unknown (not absent)" in said[0].detail
        assert not affected & set(got_rows)
    elif call.listing:  # the region could not be listed: its domains are unknown, not absent
        assert scan_checks["scan.regions"] is CheckStatus.UNKNOWN
        said = [f for f in report.findings if f.evidence.get("region") == call.region
                and "domain" not in f.evidence]
        assert [f.id for f in said] == [FAULT_IDS[fault]], said
        assert "unknown (not absent)" in said[0].detail
        if fault != "hang":  # a hung listing: see test_a_hung_listing_names_its_own_api
            assert said[0].evidence["call"] == call.name
        for name in affected:
            if name not in got_rows or unread(report, name):
                continue
            # listed by the other API, and read once the hung listing let go, past the
            # deadline: only what the listing itself said is known
            assert fault == "hang", name
            checks = statuses(domain_reports(report)[name])
            later = ("domain.certificates", "domain.truststore", "domain.mappings")
            assert {c: checks[c] for c in later} == dict.fromkeys(later, CheckStatus.UNKNOWN)
            assert got_rows[name].truststore == "unknown"
            assert got_rows[name].execute_api_open is None
        assert not any(f.id == "DOMAIN_NOT_FOUND" for f in report.findings)
    else:
        assert scan_checks["scan.domains"] in (CheckStatus.UNKNOWN, CheckStatus.FAIL)
        reports = domain_reports(report)
        for name in affected:
            if fault == "hang" and unread(report, name):
                continue
            checks = statuses(reports[name])
            assert {c: checks[c] for c in call.checks} == dict.fromkeys(call.checks,
                                                                        CheckStatus.UNKNOWN)
            # the call that did not answer is named, and "every AWS call answered" does not pass
            # (a hung shared listing: see test_a_domain_cut_short_by_a_hang_names_the_call)
            if not (fault == "hang" and call.shared):
                assert names_call(findings_of(report, name), call.name, fault), \
                    [(f.id, calls_of(f)) for f in findings_of(report, name)]
                assert checks["domain.aws"] is CheckStatus.FAIL
            claimed = {f.id for f in reports[name].findings}
            assert not claimed & set(call.claims), claimed
            row = got_rows[name]
            assert row.unknown_checks >= len(call.checks)
            if "domain.mappings" in call.checks:
                assert row.execute_api_open is None
            if "domain.truststore" in call.checks:  # "stale" needs the versions
                assert row.truststore != "current"
                assert row.truststore != "stale" or call.operation != "ListObjectVersions"
            if "domain.truststore_content" in call.checks:
                assert row.earliest_ca_expiry is None
                assert not [i for i in claimed if i.startswith(_LINT)]
    # everything else reads as it did without the fault
    others = set(rows(baseline)) - affected
    assert others, "the scenario leaves no domain to compare"
    for name in others:
        same_as_baseline(report, baseline, name)
    unaffected_regions = {(r.account, r.region) for r in baseline.payload["scan"].regions} - {
        (call.account or GOOD, call.region)}
    listed = {(r.account, r.region): r for r in report.payload["scan"].regions}
    for where in unaffected_regions:
        assert listed[where].listed, where


# --- what the matrix above cannot hold still ------------------------------------------------------

UNPINNED = f"unpinned2.{GOOD[:1]}.{FAULTED}.faults.test"
#: the --timeout of the scans below that only need the cut to happen
SHORT_TIMEOUT = 3.0


def test_the_lab_is_what_the_scenarios_assume(lab: Lab) -> None:
    main = lab.baseline["main"]
    assert rows(main)[UNPINNED].truststore == "unpinned"
    assert {r.truststore for r in rows(main).values()} == {"current", "stale", "unpinned"}
    rest = domain_reports(lab.baseline["rest"])[lab.rest_domain]
    assert rest.payload["domain"].api_type == "rest" and rest.payload["domain"].mtls is not None
    assert statuses(rest)["domain.truststore"] is CheckStatus.PASS
    assert {r.account for r in lab.baseline["accounts"].payload["scan"].regions} == {GOOD, OTHER}
    assert all(r.exit_code == 0 for r in lab.baseline.values())


def test_a_domain_cut_short_by_a_hang_names_the_call(env: Lab) -> None:
    """Every domain whose reading a hung call held until the --timeout is reported with what
    was read and an AWS_* finding that names the call, whichever thread ended first (measured:
    not once all 3 domains that waited on a hung shared listing, in 36 scans)."""
    misses: list[tuple[str, str, str, object]] = []
    for call in (c for c in CALLS.values() if c.shared):
        env.arm(call.rule(env, "hang"))
        report = scan(env, call.scan, SHORT_TIMEOUT)
        for name in sorted(call.affected(env, "hang")):
            row = rows(report)[name]
            said = findings_of(report, name)
            if not row.diagnosed:
                misses.append((call.name, name, "unread", [f.title for f in said]))
            elif not names_call(said, call.name, "hang"):
                checks = statuses(domain_reports(report)[name])
                misses.append((call.name, name, "not named", checks["domain.aws"].value))
    assert not misses, misses


class _Watched(Deadline):
    """A deadline that tells when someone first asks it how much time is left (a wait began)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.asked = threading.Event()

    def left(self) -> float:
        self.asked.set()
        return super().left()


def test_a_domain_waiting_on_a_shared_call_names_it_when_cut_short(env: Lab) -> None:
    """`settle()` names every call a domain still waits for (collect_domain calls it once the
    deadline ends its waits, then reports its attempts): the domain that makes a shared listing
    and the one that waits for its answer alike."""
    from mtls_doctor.aws.calls import spawn
    from mtls_doctor.aws.fleet import FleetAws, Listings

    env.arm(lambda proxy: proxy.fail("acm", "ListCertificates", "hang", region=FAULTED))
    held = env.proxy.held
    deadline, watched = Deadline(ROOMY_TIMEOUT), _Watched(ROOMY_TIMEOUT)
    try:
        shared = Listings()
        maker, waiter = FleetAws(None, deadline).view(), FleetAws(None, watched)

        def listing(aws: FleetAws) -> Callable[[], Any]:
            return lambda: aws.attempt("acm", FAULTED, "ListCertificates", "acm:ListCertificates",
                                       lambda c: c.list_certificates())

        args = ("acm", FAULTED, "ListCertificates", "acm:ListCertificates")
        spawn(shared.get, maker, *args, listing(maker))
        for _ in range(100):  # until the proxy holds the maker's call
            if env.proxy.held > held:
                break
            time.sleep(0.1)
        assert env.proxy.held > held
        spawn(shared.get, waiter, *args, listing(waiter))
        assert watched.asked.wait(10)  # the waiter waits for the maker's answer
        maker.settle()
        waiter.settle()
        assert [a.call for a in maker.attempts if a.failed] == ["acm.ListCertificates"]
        assert [a.call for a in waiter.attempts if a.failed] == ["acm.ListCertificates"]
    finally:
        deadline.cancel()
        watched.cancel()


def test_a_hung_listing_names_its_own_api(env: Lab) -> None:
    """The HTTP API's listing hangs in one region: the region's finding names that call. A
    progress line slow to redraw (1 s a listing) makes the listing end after the scan stopped
    waiting for it, which otherwise happens at random (3 of 5 runs measured)."""
    env.arm(CALLS["apigatewayv2.GetDomainNames"].rule(env, "hang"))

    def progress(event: str, n: int) -> None:
        if event == "listed":
            time.sleep(1.0)

    roles, regions = SCANS["main"]
    report = run_scan_command(at=env.now, now=env.now, regions=",".join(regions),
                              role_arns=[role_arn(a) for a in roles], timeout=HANG_TIMEOUT,
                              progress=progress)
    said = [f for f in report.findings if f.evidence.get("region") == FAULTED
            and "domain" not in f.evidence]
    assert [f.id for f in said] == ["AWS_UNREACHABLE"]
    assert [f.evidence["call"] for f in said] == ["apigatewayv2.GetDomainNames"]


def _unpinned_finding(report: Report) -> Finding:
    found = [f for f in findings_of(report, UNPINNED) if f.id == "DOMAIN_TRUSTSTORE_UNPINNED"]
    assert len(found) == 1  # the settings name no version: that much was read
    return found[0]


def test_a_truststore_that_could_not_be_read_is_not_said_to_be_read(env: Lab) -> None:
    env.arm(CALLS["s3.GetObject"].rule(env, "denied"))
    finding = _unpinned_finding(scan(env, "main"))
    assert "mtls-doctor read" not in finding.detail, finding.detail


def test_versioning_that_could_not_be_read_is_not_said_to_be_off(env: Lab) -> None:
    env.arm(CALLS["s3.GetBucketVersioning"].rule(env, "denied"))
    finding = _unpinned_finding(scan(env, "main"))
    assert finding.fix is not None
    said = [line for line in (*finding.fix.steps, *finding.fix.commands)
            if "put-bucket-versioning" in line or "Turn on versioning" in line]
    assert not said, said


def test_the_cli_reports_a_faulted_scan_without_a_traceback(env: Lab, cli: Callable[..., Run]
                                                            ) -> None:
    """A hang in one region and a malformed ACM answer in the other: exit 1, a JSON report that
    names both, one line of nothing on stderr."""
    one = f"pinned0.{GOOD[:1]}.{CONTROL}.faults.test"
    env.arm(CALLS["s3.GetObject"].rule(env, "hang"),
            Call("acm", "DescribeCertificate", "main", CONTROL, one=one).rule(env, "junk"))
    run = cli("scan", "--regions", f"{FAULTED},{CONTROL}", "--role-arn", role_arn(GOOD),
              "--timeout", str(HANG_TIMEOUT))
    assert run.rc == 1, run.err
    assert "Traceback" not in run.err and "internal error" not in run.err
    ids = set(run.ids())
    assert {"AWS_UNREACHABLE", "AWS_ERROR"} <= ids
    assert run.doc["command"] == "scan"
    assert {c["id"]: c["status"] for c in run.doc["checks"]}["scan.domains"] != "pass"
