"""Failed AWS calls are findings, never verdicts (CONTRACT.md: "Exit codes", the AWS finding ids,
"Honest results").

`mtls-doctor domain` runs in-process against moto's server mode behind the fault proxy of
tests/aws_faults.py: AccessDenied, throttling, 500s, junk bodies, hangs and opt-in regions that are
not enabled are injected per call, and each test asserts what the contract demands of the report:
the matching AWS_* finding naming the call (and the IAM action), the checks that needed the call
`unknown` (never pass, never a DOMAIN_* claim made from a failed call), exit code 1.

The first part tests the proxy itself.
"""

from __future__ import annotations

import json
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import botocore.parsers
import botocore.session
import pytest
from botocore.config import Config
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from mtls_doctor.probe.net import DnsAnswer
from tests.aws_faults import (
    FAULTS,
    PROTOCOLS,
    FaultProxy,
    FaultyAws,
    answer_for,
    faulty_aws,
    identify,
    moto_endpoint,
)
from tests.conftest import Run
from tests.test_domain import (
    BUCKET,
    KEY,
    NAME,
    REGION,
    REGIONAL,
    acm_issues_at_once,
    certs,
    healthy_http,
    one_line,
)

__all__ = ["acm_issues_at_once", "certs", "faulty_aws", "moto_endpoint"]

pytestmark = pytest.mark.timeout(120)

TIMEOUT = "3"  # every run's --timeout: a deadline well inside the test's own timeout
CREDENTIAL = "AKIDEXAMPLE/20260101/{region}/{service}/aws4_request"
OTHER = "eu-west-1"
OPT_IN = "af-south-1"

DOMAIN_CHECKS = {"domain.found", "domain.status", "domain.mtls", "domain.certificates",
                 "domain.truststore", "domain.truststore_content", "domain.mappings", "domain.dns",
                 "domain.access_logs", "domain.revocation", "domain.aws"}
FINDING_OF = {"denied": "AWS_ACCESS_DENIED", "throttled": "AWS_THROTTLED", "internal": "AWS_ERROR",
              "junk": "AWS_ERROR", "hang": "AWS_UNREACHABLE"}
#: faults botocore retries (with a backoff of up to seconds): when the deadline cuts the retries
#: short, the call may end as AWS_UNREACHABLE ("the deadline passed"), but only then
RETRIED = {"throttled", "internal"}


# --- helpers --------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def crash_reports_in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An internal error (exit 3) writes its crash report under tmp_path, not the system's /tmp."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


@dataclass
class Timed(Run):
    """A run and how long it took (seconds, wall clock)."""

    elapsed: float = 0.0


def domain_run(cli: Callable[..., Run], *args: str, name: str = NAME,
               json_out: bool = True, timeout: str = TIMEOUT) -> Timed:
    """`mtls-doctor domain NAME ARGS --timeout 3`, which must run (rc 0 or 1) without a traceback."""
    started = time.monotonic()
    run = cli("domain", name, *args, "--timeout", timeout, json_out=json_out)
    elapsed = time.monotonic() - started
    assert run.rc in (0, 1), (run.rc, run.err)
    assert "Traceback" not in run.err
    return Timed(run.rc, run.out, run.err, run.doc, elapsed)


def statuses(run: Run) -> dict[str, str]:
    return {c["id"]: c["status"] for c in run.doc["checks"]}


def calls_of(finding: dict[str, Any]) -> set[str]:
    """The `service.Operation` names an AWS_* finding names (evidence.calls, or evidence.call)."""
    evidence = finding.get("evidence") or {}
    named = set(evidence.get("calls") or ())
    if evidence.get("call"):
        named.add(evidence["call"])
    return named


def naming(run: Run, finding_id: str, call: str) -> list[dict[str, Any]]:
    """The findings `finding_id` that name `call`."""
    return [f for f in run.findings(finding_id) if call in calls_of(f)]


def assert_named(run: Timed, fault: str, calls: tuple[str, ...]) -> list[dict[str, Any]]:
    """Each call that got `fault` is named by the fault's finding (an error), or, for a retried
    fault in a run that reached its deadline, by AWS_UNREACHABLE; returns those findings."""
    ends_as = [FINDING_OF[fault]]
    if fault in RETRIED and run.elapsed >= float(TIMEOUT) - 0.25:
        ends_as.append("AWS_UNREACHABLE")
    named = []
    for call in calls:
        found = [f for finding_id in ends_as for f in naming(run, finding_id, call)]
        assert found, (fault, call, round(run.elapsed, 2),
                       [(f["id"], f["evidence"]) for f in run.doc["findings"]])
        assert {f["severity"] for f in found} == {"error"}, found
        named += found
    return named


def assert_found_unknown(run: Timed, aws: FaultyAws, fault: str, operation: str) -> None:
    """The REST API's `operation` got `fault` and was named by the fault's finding: whether the
    domain exists is unknown (neither found nor DOMAIN_NOT_FOUND), and the run exits 1."""
    assert aws.proxy.seen("apigateway", operation, faulted=True)
    assert "DOMAIN_NOT_FOUND" not in run.ids()
    assert statuses(run)["domain.found"] == "unknown"
    assert_named(run, fault, (f"apigateway.{operation}",))
    assert run.rc == 1


def assert_check_unknown(run: Timed, aws: FaultyAws, fault: str, call: tuple[str, str],
                         check: str) -> dict[str, str]:
    """`call` (service, operation) got `fault` and was named by the fault's finding; `check`,
    which needs it, is unknown. Returns every check's status."""
    assert aws.proxy.seen(*call, faulted=True)
    got = statuses(run)
    assert got[check] == "unknown", got
    assert_named(run, fault, (".".join(call),))
    return got


def client(service: str, endpoint: str, region: str = REGION, **config: Any) -> Any:
    """A boto3 client on `endpoint` that tries once (the proxy's unit tests count requests)."""
    return boto3.client(service, region_name=region, endpoint_url=endpoint,
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(retries={"total_max_attempts": 1}, **config))


# --- the proxy: which request is it ----------------------------------------------------------------

def _auth(service: str, region: str = REGION) -> dict[str, str]:
    scope = CREDENTIAL.format(region=region, service=service)
    return {"Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, "
                             f"Signature={'0' * 64}"}


@pytest.mark.parametrize(("method", "target", "headers", "body", "expected"), [
    ("GET", f"/domainnames/{NAME}", _auth("apigateway"), b"",
     ("apigateway", "GetDomainName", REGION)),
    ("GET", f"/domainnames/{NAME}/basepathmappings", _auth("apigateway", OTHER), b"",
     ("apigateway", "GetBasePathMappings", OTHER)),
    ("GET", "/restapis/a1b2c3d4e5", _auth("apigateway"), b"", ("apigateway", "GetRestApi", REGION)),
    ("GET", f"/v2/domainnames/{NAME}", _auth("apigateway"), b"",
     ("apigatewayv2", "GetDomainName", REGION)),
    ("GET", f"/v2/domainnames/{NAME}/apimappings", _auth("apigateway"), b"",
     ("apigatewayv2", "GetApiMappings", REGION)),
    ("GET", "/v2/apis/a1b2c3d4e5", _auth("apigateway"), b"", ("apigatewayv2", "GetApi", REGION)),
    ("POST", "/", {**_auth("acm"), "X-Amz-Target": "CertificateManager.DescribeCertificate"}, b"{}",
     ("acm", "DescribeCertificate", REGION)),
    ("POST", "/", {**_auth("acm", OPT_IN), "X-Amz-Target": "CertificateManager.ListCertificates"},
     b"{}", ("acm", "ListCertificates", OPT_IN)),
    ("GET", f"/{BUCKET}/{KEY}?versionId=3HL4kqtJlcpXroDTDmJ", _auth("s3"), b"",
     ("s3", "GetObject", REGION)),
    ("GET", f"/{BUCKET}/{KEY}", _auth("s3"), b"", ("s3", "GetObject", REGION)),
    ("GET", f"/{BUCKET}?versioning", _auth("s3"), b"", ("s3", "GetBucketVersioning", REGION)),
    ("GET", f"/{BUCKET}?versions&prefix=prod%2Ftruststore.pem&encoding-type=url", _auth("s3"), b"",
     ("s3", "ListObjectVersions", REGION)),
    ("GET", f"/{BUCKET}?list-type=2", _auth("s3"), b"", ("s3", "ListObjectsV2", REGION)),
    ("HEAD", f"/{BUCKET}/{KEY}", _auth("s3"), b"", ("s3", "HeadObject", REGION)),
    ("POST", "/", _auth("sts"), b"Action=GetCallerIdentity&Version=2011-06-15",
     ("sts", "GetCallerIdentity", REGION)),
])
def test_identify(method, target, headers, body, expected):
    assert identify(method, target, headers, body) == expected


def test_identify_an_unsigned_request():
    service, operation, region = identify("GET", "/moto-api/", {}, b"")
    assert (service, region) == ("?", None)
    assert operation.startswith("?")


# --- the proxy: the answers -------------------------------------------------------------------------

#: error codes the proxy sends that a service model does not list, with what AWS documents for them
COMMON_ERRORS = {
    # API Gateway's IAM denial (the REST API model lists no AccessDeniedException; the HTTP API's does)
    ("apigateway", "AccessDeniedException"): 403,
    # "The request processing has failed because of an unknown error" (AWS common errors)
    ("apigateway", "InternalFailure"): 500, ("apigatewayv2", "InternalFailure"): 500,
    ("acm", "InternalFailure"): 500, ("sts", "InternalFailure"): 500,
    # an unknown access key, as a region that is not enabled sees every key
    ("apigateway", "UnrecognizedClientException"): 403,
    ("apigatewayv2", "UnrecognizedClientException"): 403,
    ("acm", "UnrecognizedClientException"): 400,
    ("sts", "InvalidClientTokenId"): 403,
    # S3's REST error codes (S3 API reference, "Error responses")
    ("s3", "SlowDown"): 503, ("s3", "InternalError"): 500,
    # the query protocol's throttling code (AWS common errors)
    ("sts", "Throttling"): 400,
}


def _answers() -> list[tuple[str, str, str]]:
    out = []
    for service in PROTOCOLS:
        for fault in FAULTS:
            if fault == "hang":
                continue
            try:
                answer_for(fault, service, "GetDomainName", REGION)
            except ValueError:
                continue
            out.append((service, fault, {"apigateway": "GetDomainName",
                                         "apigatewayv2": "GetDomainName",
                                         "acm": "DescribeCertificate",
                                         # GetObject's 200 body is the object, whatever its bytes
                                         "s3": "GetBucketVersioning" if fault == "junk" else "GetObject",
                                         "sts": "GetCallerIdentity"}[service]))
    return out


@pytest.mark.parametrize(("service", "fault", "operation"), _answers())
def test_fault_bodies_fit_botocore_models(service, fault, operation):
    """Every invented answer parses with botocore into its error code, and fits the service model:
    a modelled error has its modelled status and only modelled members; any other code is one AWS
    documents for that service (COMMON_ERRORS)."""
    model = botocore.session.get_session().get_service_model(service)
    answer = answer_for(fault, service, operation, REGION)
    headers = {k.lower(): v for k, v in answer.headers}
    parser = botocore.parsers.create_parser(model.protocol)
    response = {"status_code": answer.status, "headers": headers, "body": answer.body}
    output = model.operation_model(operation).output_shape
    if fault == "junk":
        assert answer.status == 200
        with pytest.raises(ValueError):
            json.loads(answer.body)
        if model.protocol in ("rest-xml", "query"):
            with pytest.raises(botocore.parsers.ResponseParserError):
                parser.parse(response, output)
        else:  # a JSON parser keeps going with nothing: the collector has to notice
            assert set(parser.parse(response, output)) == {"ResponseMetadata"}
        return
    parsed = parser.parse(response, output)
    code = parsed["Error"]["Code"]
    assert parsed["Error"]["Message"]
    try:
        shape = model.shape_for(code)
    except Exception:  # noqa: BLE001 - not a modelled shape
        shape = None
    if shape is not None and shape.metadata.get("exception"):
        status = shape.metadata.get("error", {}).get("httpStatusCode")
        assert status in (None, answer.status), (code, status, answer.status)
        if model.protocol.endswith("json"):  # XML errors carry the generic Code and Message
            body = json.loads(answer.body)
            wire = {m.serialization.get("name", n) for n, m in shape.members.items()}
            assert set(body) - {"__type"} <= wire, (code, set(body), wire)
    else:
        assert COMMON_ERRORS.get((service, code)) == answer.status, (service, code, answer.status)


@pytest.mark.parametrize(("fault", "service"), [("kms_denied", "apigateway"), ("denied", "sts"),
                                                ("not_enabled", "s3"), ("nosuch", "s3")])
def test_faults_a_service_never_answers_are_refused(fault, service):
    proxy = FaultProxy("http://127.0.0.1:9")
    with pytest.raises(ValueError):
        proxy.fail(service, "GetObject", fault)


# --- the proxy: live, in front of moto ----------------------------------------------------------------

CALLS: dict[tuple[str, str], Callable[[Any], Any]] = {
    ("apigateway", "GetDomainName"): lambda c: c.get_domain_name(domainName=NAME),
    ("apigatewayv2", "GetDomainName"): lambda c: c.get_domain_name(DomainName=NAME),
    ("acm", "DescribeCertificate"): lambda c: c.describe_certificate(
        CertificateArn=f"arn:aws:acm:{REGION}:123456789012:certificate/"
                       "12345678-1234-1234-1234-123456789012"),
    ("s3", "GetObject"): lambda c: c.get_object(Bucket=BUCKET, Key=KEY),
    ("sts", "GetCallerIdentity"): lambda c: c.get_caller_identity(),
}


@pytest.mark.parametrize(("service", "operation", "fault", "code", "status"), [
    ("apigateway", "GetDomainName", "denied", "AccessDeniedException", 403),
    ("apigateway", "GetDomainName", "throttled", "TooManyRequestsException", 429),
    ("apigateway", "GetDomainName", "internal", "InternalFailure", 500),
    ("apigateway", "GetDomainName", "not_enabled", "UnrecognizedClientException", 403),
    ("apigatewayv2", "GetDomainName", "denied", "AccessDeniedException", 403),
    ("apigatewayv2", "GetDomainName", "throttled", "TooManyRequestsException", 429),
    ("apigatewayv2", "GetDomainName", "internal", "InternalFailure", 500),
    ("apigatewayv2", "GetDomainName", "not_enabled", "UnrecognizedClientException", 403),
    ("acm", "DescribeCertificate", "denied", "AccessDeniedException", 400),
    ("acm", "DescribeCertificate", "throttled", "ThrottlingException", 400),
    ("acm", "DescribeCertificate", "internal", "InternalFailure", 500),
    ("acm", "DescribeCertificate", "not_enabled", "UnrecognizedClientException", 400),
    ("s3", "GetObject", "denied", "AccessDenied", 403),
    ("s3", "GetObject", "kms_denied", "AccessDenied", 403),
    ("s3", "GetObject", "throttled", "SlowDown", 503),
    ("s3", "GetObject", "internal", "InternalError", 500),
    ("sts", "GetCallerIdentity", "throttled", "Throttling", 400),
    ("sts", "GetCallerIdentity", "internal", "InternalFailure", 500),
    ("sts", "GetCallerIdentity", "not_enabled", "InvalidClientTokenId", 403),
])
def test_faulted_call_raises_the_service_error(faulty_aws, service, operation, fault, code, status):
    proxy = faulty_aws.proxy
    proxy.fail(service, operation, fault)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        CALLS[service, operation](client(service, proxy.url))
    error = raised.value.response["Error"]
    assert error["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    if fault == "denied" and service.startswith("apigateway"):
        assert "apigateway:GET" in error["Message"]
    if fault == "kms_denied":
        assert "is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:" in error["Message"]
    if fault == "not_enabled":
        assert error["Message"] == "The security token included in the request is invalid."
    [seen] = proxy.seen()
    assert (seen.service, seen.operation, seen.region, seen.fault) == (service, operation, REGION,
                                                                      fault)


def test_junk_answers(faulty_aws):
    proxy = faulty_aws.proxy
    faulty_aws.bucket()
    for service, operation in (("apigatewayv2", "GetDomainName"), ("acm", "ListCertificates"),
                               ("s3", "GetBucketVersioning"), ("sts", "GetCallerIdentity")):
        proxy.fail(service, operation, "junk")
    got = client("apigatewayv2", proxy.url).get_domain_name(DomainName=NAME)
    assert "DomainName" not in got and got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "CertificateSummaryList" not in client("acm", proxy.url).list_certificates()
    # botocore reads an S3 200 it cannot parse as a (retryable) 500
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client("s3", proxy.url).get_bucket_versioning(Bucket=BUCKET)
    assert raised.value.response["Error"]["Code"] == "500"
    with pytest.raises(botocore.parsers.ResponseParserError):
        client("sts", proxy.url).get_caller_identity()
    assert [s.fault for s in proxy.seen()] == ["junk"] * 4


def test_unfaulted_calls_pass_through_and_are_logged(faulty_aws, certs, acm_issues_at_once):
    made = healthy_http(faulty_aws, certs)
    proxy = faulty_aws.proxy
    proxy.fail("apigatewayv2", "GetDomainName", "denied", region=OTHER)  # another region only
    proxy.fail("apigatewayv2", "GetApi", "throttled", times=1)  # the first time only
    v2 = client("apigatewayv2", proxy.url)
    assert v2.get_domain_name(DomainName=NAME)["DomainName"] == NAME
    with pytest.raises(botocore.exceptions.ClientError):
        v2.get_api(ApiId=made["api"])
    assert v2.get_api(ApiId=made["api"])["ApiId"] == made["api"]
    body = client("s3", proxy.url).get_object(Bucket=BUCKET, Key=KEY, VersionId=made["version"])
    assert body["Body"].read() == certs.good
    cert = client("acm", proxy.url).describe_certificate(CertificateArn=made["cert"])
    assert cert["Certificate"]["CertificateArn"] == made["cert"]
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client("apigatewayv2", proxy.url, OTHER).get_domain_name(DomainName=NAME)
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    log = [(s.service, s.operation, s.region, s.fault) for s in proxy.seen()]
    assert log == [("apigatewayv2", "GetDomainName", REGION, None),
                   ("apigatewayv2", "GetApi", REGION, "throttled"),
                   ("apigatewayv2", "GetApi", REGION, None),
                   ("s3", "GetObject", REGION, None),
                   ("acm", "DescribeCertificate", REGION, None),
                   ("apigatewayv2", "GetDomainName", OTHER, "denied")]
    times = [s.at for s in proxy.seen()]
    assert times == sorted(times)
    assert proxy.seen("apigatewayv2", "GetApi", faulted=True)[0].path == f"/v2/apis/{made['api']}"
    # the set-up helpers talk to moto itself: nothing of theirs went through the proxy
    assert not proxy.seen(operation="CreateDomainName")
    proxy.clear()
    assert proxy.seen() == []
    assert v2.get_domain_name(DomainName=NAME)["DomainName"] == NAME


def _raw_request(url: str, path: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    scope = CREDENTIAL.format(region=REGION, service="apigateway")
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                 f"Authorization: AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, "
                 f"Signature={'0' * 64}\r\n\r\n".encode())
    return sock


def test_hang_holds_the_socket_until_stop(moto_endpoint):
    proxy = FaultProxy(moto_endpoint).start()
    try:
        proxy.fail("apigatewayv2", "GetDomainName", "hang")
        started = time.monotonic()
        with pytest.raises(botocore.exceptions.ReadTimeoutError):
            client("apigatewayv2", proxy.url, read_timeout=0.5).get_domain_name(DomainName=NAME)
        assert time.monotonic() - started < 3
        raw = _raw_request(proxy.url, f"/v2/domainnames/{NAME}")
        deadline = time.monotonic() + 5
        while proxy.held < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proxy.held == 2  # the abandoned request is still held, and the raw one
        raw.settimeout(0.3)
        with pytest.raises(TimeoutError):
            raw.recv(1)  # no answer
    finally:
        stopping = time.monotonic()
        proxy.stop()
    assert time.monotonic() - stopping < 3  # a held request does not block the shutdown
    raw.settimeout(3)
    try:
        assert raw.recv(1) == b""  # released: the connection is closed, never answered
    finally:
        raw.close()
    assert proxy.held == 0
    assert [s.fault for s in proxy.seen()] == ["hang", "hang"]
    assert proxy.errors == []


def test_faulty_aws_points_boto3_at_the_proxy(faulty_aws):
    import os

    assert os.environ["AWS_ENDPOINT_URL"] == faulty_aws.proxy.url
    assert faulty_aws.endpoint != faulty_aws.proxy.url  # the set-up helpers use moto itself
    assert isinstance(faulty_aws, FaultyAws)
    client("sts", faulty_aws.proxy.url).get_caller_identity()
    assert [s.call for s in faulty_aws.proxy.seen()] == ["sts.GetCallerIdentity"]


# --- the contract: case 1, no credentials -----------------------------------------------------------

def test_no_credentials_is_found_at_the_first_call(cli, faulty_aws, monkeypatch):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(var)
    run = domain_run(cli)
    assert run.elapsed < 5, run.elapsed  # a loose bound: the benchmark holds the real figure (1.5 s)
    [f] = run.findings("AWS_NO_CREDENTIALS")
    assert f["severity"] == "warning"
    assert "DOMAIN_NOT_FOUND" not in run.ids()
    assert statuses(run)["domain.found"] == "unknown"
    assert run.rc == 1
    assert faulty_aws.proxy.seen() == []  # nothing was sent: no region scan without credentials


# --- case 2, GetDomainName fails --------------------------------------------------------------------

BOTH = ("apigateway", "apigatewayv2")


@pytest.mark.parametrize(("fault", "which"), [
    *[(fault, which) for fault in ("denied", "throttled", "internal")
      for which in ("both", *BOTH)],
    ("hang", "both"),
    ("hang", "apigatewayv2"),
])
def test_failed_domain_lookup_is_not_a_verdict(cli, faulty_aws, certs, acm_issues_at_once,
                                               fault, which):
    """both: the domain exists (an HTTP API domain in moto) and neither view can be read. One API:
    the domain does not exist, the other API says NotFound, and the failed call still leaves the
    question open: the domain is neither found nor not found."""
    if which == "both":
        healthy_http(faulty_aws, certs)
    faulted = BOTH if which == "both" else (which,)
    for service in faulted:
        faulty_aws.proxy.fail(service, "GetDomainName", fault)
    run = domain_run(cli, "--region", REGION)
    if fault == "hang":
        assert run.elapsed < float(TIMEOUT) + 2, run.elapsed
    assert faulty_aws.proxy.seen(operation="GetDomainName", faulted=True)
    assert "DOMAIN_NOT_FOUND" not in run.ids()
    assert statuses(run)["domain.found"] == "unknown"
    named = assert_named(run, fault, tuple(f"{service}.GetDomainName" for service in faulted))
    if fault == "denied":
        assert {f["evidence"]["action"] for f in named} == {"apigateway:GET"}
    assert not any(i.startswith("DOMAIN_") for i in run.ids()), run.ids()
    assert run.rc == 1
    if which == "both":  # the text report says what is known, never "not found"
        text = domain_run(cli, "--region", REGION, json_out=False)
        assert text.rc == 1
        assert "not found" not in text.out.lower(), text.out


# --- case 3, throttled: no region scan ----------------------------------------------------------------

def test_throttled_lookup_does_not_scan_other_regions(cli, faulty_aws):
    for service in BOTH:
        faulty_aws.proxy.fail(service, "GetDomainName", "throttled")
    run = domain_run(cli)  # the region comes from the environment; DNS knows nothing
    asked = faulty_aws.proxy.seen(operation="GetDomainName")
    assert {s.region for s in asked} == {REGION}, sorted({str(s.region) for s in asked})
    assert len(asked) <= 12  # both APIs, retries included
    assert_named(run, "throttled", ("apigateway.GetDomainName", "apigatewayv2.GetDomainName"))
    assert "DOMAIN_NOT_FOUND" not in run.ids()
    assert statuses(run)["domain.found"] == "unknown"
    assert run.rc == 1


# --- case 4, a junk answer ----------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["both", *BOTH])
def test_junk_domain_answer_is_an_error_not_mtls_disabled(cli, faulty_aws, certs,
                                                           acm_issues_at_once, which):
    healthy_http(faulty_aws, certs)  # an HTTP API domain with mTLS, in moto
    faulted = BOTH if which == "both" else (which,)
    for service in faulted:
        faulty_aws.proxy.fail(service, "GetDomainName", "junk")
    run = domain_run(cli, "--region", REGION)
    assert_named(run, "junk", tuple(f"{service}.GetDomainName" for service in faulted))
    assert "DOMAIN_MTLS_DISABLED" not in run.ids()
    assert "DOMAIN_NOT_FOUND" not in run.ids()
    if which == "both":
        assert statuses(run)["domain.found"] == "unknown"
    assert run.rc == 1


# --- case 5, the mapped API cannot be read ---------------------------------------------------------

@pytest.mark.parametrize("fault", ["denied", "throttled"])
def test_unreadable_mapped_api_leaves_mappings_unknown(cli, faulty_aws, certs, acm_issues_at_once,
                                                      fault):
    made = healthy_http(faulty_aws, certs, disabled=False)  # its execute-api endpoint is ON
    faulty_aws.proxy.fail("apigatewayv2", "GetApi", fault)
    run = domain_run(cli, "--region", REGION)
    assert faulty_aws.proxy.seen("apigatewayv2", "GetApi", faulted=True)
    assert_named(run, fault, ("apigatewayv2.GetApi",))
    assert statuses(run)["domain.mappings"] == "unknown"
    mapped = [m for m in run.doc["domain"]["mappings"] if m["api_id"] == made["api"]]
    assert mapped, run.doc["domain"]["mappings"]
    assert all(m["execute_api_endpoint_disabled"] is not True for m in mapped)  # not claimed off
    assert "DOMAIN_EXECUTE_API_ENABLED" not in run.ids()  # nor claimed on: it is not known
    assert "DOMAIN_NO_MAPPINGS" not in run.ids()
    assert run.rc == 1


# --- case 6, the truststore cannot be read by the caller -------------------------------------------

def test_denied_truststore_read_is_the_callers_problem(cli, faulty_aws, certs, acm_issues_at_once):
    healthy_http(faulty_aws, certs)  # the truststore version is pinned
    faulty_aws.proxy.fail("s3", "GetObject", "denied")
    run = domain_run(cli, "--region", REGION)
    [denied] = naming(run, "AWS_ACCESS_DENIED", "s3.GetObject")
    assert denied["severity"] == "error"
    assert denied["evidence"]["action"] == "s3:GetObjectVersion"
    assert "DOMAIN_TRUSTSTORE_UNREADABLE" not in run.ids()
    assert statuses(run)["domain.truststore_content"] == "unknown"
    assert run.rc == 1


def test_kms_denial_names_kms_decrypt(cli, faulty_aws, certs, acm_issues_at_once):
    healthy_http(faulty_aws, certs)
    faulty_aws.proxy.fail("s3", "GetObject", "kms_denied")
    run = domain_run(cli, "--region", REGION)
    denied = naming(run, "AWS_ACCESS_DENIED", "s3.GetObject")
    kms = [f for f in denied if f["evidence"]["action"] == "kms:Decrypt"]
    assert kms, denied
    for f in kms:
        assert f["severity"] == "error"
        assert "kms:Decrypt" in f["title"] + f["detail"]
        assert "s3:GetObject" not in json.dumps(f.get("fix")), f["fix"]  # the key policy, not S3
    assert [f for f in denied if f["evidence"]["action"].startswith("s3:")] == []
    assert "DOMAIN_TRUSTSTORE_UNREADABLE" not in run.ids()
    assert statuses(run)["domain.truststore_content"] == "unknown"
    assert run.rc == 1


# --- case 7, ACM in the certificate's own region ------------------------------------------------------

def test_certificate_is_read_in_the_region_of_its_arn(cli, faulty_aws, certs, acm_issues_at_once):
    cert = faulty_aws.request_cert(region="us-east-1")  # as an EDGE domain's certificate is
    faulty_aws.bucket()
    version = faulty_aws.put(certs.good)
    faulty_aws.http_domain(cert, region=OTHER, version=version)
    run = domain_run(cli, "--region", OTHER)
    described = faulty_aws.proxy.seen("acm", "DescribeCertificate")
    assert described
    assert {s.region for s in described} == {"us-east-1"}
    assert cert in run.doc["domain"]["certificates"]
    assert statuses(run)["domain.certificates"] != "unknown"


# --- case 8, the region scan ----------------------------------------------------------------------------

def _domain_in(aws: FaultyAws, certs: Any, region: str) -> str:
    """The domain in `region`, as both APIs see it: in AWS the REST and the HTTP API list every
    custom domain, in moto each only its own, so it is created in both (moto's REST view has no
    mTLS; the HTTP view with its mTLS settings is the one reported)."""
    cert = aws.request_cert(region=region)
    version = aws.put(certs.good)
    aws.http_domain(cert, region=region, version=version)
    aws.client("apigateway", region).create_domain_name(
        domainName=NAME, regionalCertificateArn=cert, securityPolicy="TLS_1_2",
        endpointConfiguration={"types": ["REGIONAL"]})
    return cert


def test_region_scan_skips_regions_not_enabled(cli, faulty_aws, certs, acm_issues_at_once):
    faulty_aws.bucket()
    _domain_in(faulty_aws, certs, OTHER)
    for service in BOTH:
        faulty_aws.proxy.fail(service, "GetDomainName", "not_enabled", region=OPT_IN)
    run = domain_run(cli)  # no --region: the environment's us-east-1 says NotFound (moto)
    assert faulty_aws.proxy.seen(operation="GetDomainName", region=REGION)
    assert run.doc["domain"]["region"] == OTHER
    assert "DOMAIN_NOT_FOUND" not in run.ids()
    assert faulty_aws.proxy.seen(operation="GetDomainName", region=OPT_IN, faulted=True)
    skipped = run.findings("AWS_REGION_NOT_ENABLED")
    assert skipped, run.doc["findings"]
    assert {f["severity"] for f in skipped} == {"info"}
    assert any(OPT_IN in json.dumps(f) for f in skipped)
    assert "AWS_NO_CREDENTIALS" not in run.ids()


def test_same_name_in_two_regions(cli, faulty_aws, certs, acm_issues_at_once):
    regions = {OTHER, "eu-central-1"}
    faulty_aws.bucket()
    for region in sorted(regions):
        _domain_in(faulty_aws, certs, region)
    run = domain_run(cli)
    d = run.doc["domain"]
    assert "also_found_in" in d, sorted(d)
    assert d["region"] in regions
    assert d["also_found_in"] == sorted(regions - {d["region"]})
    [found] = [c for c in run.doc["checks"] if c["id"] == "domain.found"]
    for region in regions:
        assert region in found["detail"], found


# --- case 9, an unpinned truststore ---------------------------------------------------------------------

def test_unpinned_truststore_version(cli, faulty_aws, certs, acm_issues_at_once):
    cert = faulty_aws.request_cert()
    faulty_aws.bucket()
    faulty_aws.put(certs.good)
    latest = faulty_aws.put(certs.good)
    faulty_aws.http_domain(cert, version=None)  # MutualTlsAuthentication without TruststoreVersion
    faulty_aws.http_api(disabled=True)
    run = domain_run(cli, "--region", REGION)
    [unpinned] = run.findings("DOMAIN_TRUSTSTORE_UNPINNED")
    assert unpinned["severity"] == "warning"
    d = run.doc["domain"]
    assert d["mtls"]["truststore_version"] is None
    assert d["truststore_object"]["latest_version"] == latest
    assert d["truststore_object"]["configured_version"] is None  # AWS does not say which one


# --- case 10, an unknown profile ------------------------------------------------------------------------

def test_unknown_profile_is_a_usage_error(cli, faulty_aws):
    run = cli("domain", NAME, "--profile", "nosuch", "--timeout", TIMEOUT)
    assert run.rc == 2
    one_line(run.err)
    assert faulty_aws.proxy.seen() == []


# --- case 11, any failed call: nothing that needed it passes ------------------------------------------

#: the checks that depend on each call (what may not pass once the call failed)
DEPENDS = {
    ("apigatewayv2", "GetDomainName"): DOMAIN_CHECKS - {"domain.aws", "domain.dns"},
    ("apigatewayv2", "GetApiMappings"): {"domain.mappings"},
    ("apigatewayv2", "GetApi"): {"domain.mappings"},
    ("acm", "DescribeCertificate"): {"domain.certificates"},
    ("acm", "ListCertificates"): {"domain.certificates"},
    ("s3", "GetObject"): {"domain.truststore_content", "domain.truststore"},
    ("s3", "GetBucketVersioning"): {"domain.truststore"},
    ("s3", "ListObjectVersions"): {"domain.truststore"},
    ("apigatewayv2", "GetStage"): {"domain.access_logs"},
    ("apigatewayv2", "GetRoutes"): {"domain.revocation"},
}
#: junk is no fault for GetObject: any bytes are an object's content (a 200 is a read object)
FAULT_PLANS = st.dictionaries(
    st.sampled_from(sorted(DEPENDS)), st.sampled_from(["denied", "throttled", "internal", "junk"]),
    min_size=1, max_size=4,
).filter(lambda plan: plan.get(("s3", "GetObject")) != "junk")


@pytest.fixture
def healthy(faulty_aws: FaultyAws, certs: Any, acm_issues_at_once: None) -> FaultyAws:
    healthy_http(faulty_aws, certs)
    faulty_aws.dns.table[NAME] = DnsAnswer(REGIONAL, (NAME,), ("192.0.2.10",))
    return faulty_aws


def test_the_healthy_scenario_passes(cli, healthy):
    run = domain_run(cli, "--region", REGION)
    assert run.rc == 0, run.doc["findings"]
    assert set(statuses(run).values()) == {"pass"}, statuses(run)


@settings(max_examples=10, deadline=None, database=None,
          phases=[Phase.explicit, Phase.generate],  # no shrinking: each step is a CLI run
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=FAULT_PLANS)
# plans this test has caught: a JSON answer that parses to nothing must not read as "no items"
@example(plan={("acm", "ListCertificates"): "junk"})
@example(plan={("apigatewayv2", "GetApiMappings"): "junk"})
def test_no_check_passes_on_a_failed_call(cli, healthy, plan):
    proxy = healthy.proxy
    proxy.clear()
    for (service, operation), fault in plan.items():
        proxy.fail(service, operation, fault)
    run = domain_run(cli, "--region", REGION)
    failed = {(s.service, s.operation) for s in proxy.seen(faulted=True)}
    if not failed:
        return
    got = statuses(run)
    passed = {check for call in failed for check in DEPENDS[call] if got.get(check) == "pass"}
    assert passed == set(), (plan, sorted(failed), got)
    assert run.rc != 0, (plan, sorted(failed), run.doc["findings"])


# --- case 12, the private-domain listing cannot be read -----------------------------------------------

@pytest.mark.parametrize("fault", ["denied", "throttled"])
def test_failed_private_listing_is_not_a_missing_domain(cli, faulty_aws, fault):
    """Both APIs say NotFound by name; whether a private custom domain of that name exists is
    only known from GetDomainNames: when it fails, the domain is neither found nor not found."""
    faulty_aws.proxy.fail("apigateway", "GetDomainNames", fault)
    run = domain_run(cli, "--region", REGION, timeout="10")  # room for the third call
    assert_found_unknown(run, faulty_aws, fault, "GetDomainNames")


# --- case 13, each call the issue "AWS as it really is" added: its checks unknown ---------------------

@pytest.mark.parametrize("fault", ["denied", "throttled", "internal"])
@pytest.mark.parametrize(("call", "check"), [
    (("apigatewayv2", "GetStage"), "domain.access_logs"),
    (("apigatewayv2", "GetRoutes"), "domain.revocation"),
])
def test_failed_stage_or_route_read_leaves_its_check_unknown(cli, healthy, fault, call, check):
    healthy.proxy.fail(*call, fault)
    # room for botocore's retries of a throttled call: with --timeout 3 they can outlast the
    # deadline, and then the checks still waiting are (rightly) unknown too
    run = domain_run(cli, "--region", REGION, timeout="10")
    got = assert_check_unknown(run, healthy, fault, call, check)
    # nothing is claimed from the call that failed
    claims = {"domain.access_logs": {"DOMAIN_ACCESS_LOGS_MISSING",
                                     "DOMAIN_ACCESS_LOG_FORMAT_INCOMPLETE"},
              "domain.revocation": {"DOMAIN_REVOCATION_NOT_CHECKED"}}[check]
    assert not claims & set(run.ids())
    assert {k: v for k, v in got.items() if k not in (check, "domain.aws")} == \
        {k: "pass" for k in got if k not in (check, "domain.aws")}
    assert run.rc == 1


def _rest_domain(aws: FaultyAws, certs: Any, **over: Any) -> dict[str, Any]:
    """A REST domain: its GetDomainName answer recorded, its mapping, API and stage in moto."""
    from tests.test_domain import URI, record_rest, rest_view

    cert = aws.request_cert()
    aws.bucket()
    version = aws.put(certs.good)
    over.setdefault("mutualTlsAuthentication", {"truststoreUri": URI, "truststoreVersion": version})
    api = record_rest(aws, rest_view(cert, **over))
    return {"api": api, "cert": cert}


@pytest.mark.parametrize("fault", ["denied", "throttled"])
@pytest.mark.parametrize(("call", "check"), [
    (("apigateway", "GetStage"), "domain.access_logs"),
    (("apigateway", "GetAuthorizers"), "domain.revocation"),
    (("apigatewayv2", "ListRoutingRules"), "domain.mappings"),
])
def test_failed_rest_reads_leave_their_check_unknown(cli, faulty_aws, certs, acm_issues_at_once,
                                                     fault, call, check):
    mode = "ROUTING_RULE_THEN_BASE_PATH_MAPPING" if call[1] == "ListRoutingRules" else None
    _rest_domain(faulty_aws, certs, **({"routingMode": mode} if mode else {}))
    faulty_aws.proxy.fail(*call, fault)
    run = domain_run(cli, "--region", REGION)
    assert_check_unknown(run, faulty_aws, fault, call, check)
    claims = {"domain.access_logs": "DOMAIN_ACCESS_LOGS_MISSING",
              "domain.revocation": "DOMAIN_REVOCATION_NOT_CHECKED",
              "domain.mappings": "DOMAIN_NO_MAPPINGS"}[check]
    assert claims not in run.ids()
    assert run.rc == 1


def test_junk_routing_rules_are_not_an_empty_list(cli, faulty_aws, certs, acm_issues_at_once):
    _rest_domain(faulty_aws, certs, routingMode="ROUTING_RULE_ONLY")
    faulty_aws.proxy.fail("apigatewayv2", "ListRoutingRules", "junk")
    run = domain_run(cli, "--region", REGION)
    assert "DOMAIN_NO_MAPPINGS" not in run.ids()  # a malformed answer is no "no rules"
    assert statuses(run)["domain.mappings"] == "unknown"
    assert_named(run, "junk", ("apigatewayv2.ListRoutingRules",))


# --- recorded answers: botocore's service model is the judge ----------------------------------------

#: placeholder values of the recorded answers that are not text
_NOT_TEXT = {"not_before": 1767225600, "not_after": 1798761600,
             "in_use_by": ["arn:aws:apigateway:us-east-1::/domainnames/x.example.com"]}


def _recorded_files() -> list[str]:
    from tests.aws_faults import DATA

    return sorted(p.stem for p in DATA.glob("*.json"))


def test_there_are_recorded_answers():
    assert len(_recorded_files()) >= 7


@pytest.mark.parametrize("name", _recorded_files())
def test_recorded_responses_fit_botocore_models(name):
    """Each recorded answer (tests/data/aws/) is a body AWS could send: every member exists
    under its wire name, types and enums fit the model, and botocore parses it into the
    output shape with the values it holds."""
    import re as _re

    from tests.aws_faults import DATA, json_answer, recorded, shape_errors

    text = (DATA / f"{name}.json").read_text()
    keys = set(_re.findall(r"\$\{(\w+)\}", text))
    values = {k: _NOT_TEXT.get(k, f"example-{k}") for k in keys}
    doc = recorded(name, **values)
    assert set(doc) == {"service", "operation", "about", "body"}, name
    service, operation, body = doc["service"], doc["operation"], doc["body"]
    assert shape_errors(service, operation, body) == []
    model = botocore.session.get_session().get_service_model(service)
    answer = json_answer(service, body)
    parsed = botocore.parsers.create_parser(model.protocol).parse(
        {"status_code": answer.status, "headers": dict(answer.headers), "body": answer.body},
        model.operation_model(operation).output_shape)
    assert "Error" not in parsed
    wire = {m.serialization.get("name", k): k
            for k, m in model.operation_model(operation).output_shape.members.items()}
    assert {wire[k] for k in body} <= set(parsed), (set(body), set(parsed))


@pytest.mark.parametrize(("service", "operation", "body", "error"), [
    ("apigateway", "GetDomainNames", {"items": []}, "items: no such member"),  # the wire says item
    ("apigateway", "GetDomainName", {"routingMode": "RULES_FIRST"}, "not one of"),
    ("apigateway", "GetDomainName", {"endpointConfiguration": {"types": "REGIONAL"}}, "not a list"),
    ("apigatewayv2", "ListRoutingRules", {"RoutingRules": []}, "no such member"),  # camelCase
    ("apigatewayv2", "ListRoutingRules", {"routingRules": [{"priority": "1"}]}, "not a integer"),
    ("acm", "DescribeCertificate", {"Certificate": {"InUseBy": "x"}}, "not a list"),
    ("acm", "DescribeCertificate", {"Certificate": {"NotAfter": True}}, "not a timestamp"),
])
def test_the_shape_check_refuses_what_aws_does_not_send(service, operation, body, error):
    from tests.aws_faults import shape_errors

    errors = shape_errors(service, operation, body)
    assert any(error in e for e in errors), errors
    with pytest.raises(ValueError):
        FaultProxy("http://127.0.0.1:9").answer(service, operation, body)


@pytest.mark.parametrize("fault", ["denied", "throttled"])
def test_failed_region_listing_falls_back_to_each_api(cli, faulty_aws, certs, acm_issues_at_once,
                                                      fault):
    """The listing only saves calls: when it fails, each API is asked for by its id, the facts
    are complete, and the failed listing is still named."""
    from mtls_doctor.aws.served import LIST_AT

    cert = faulty_aws.request_cert()
    faulty_aws.bucket()
    faulty_aws.http_domain(cert, version=faulty_aws.put(certs.good))
    apis = [faulty_aws.http_api(disabled=False, key=f"v{i}") for i in range(LIST_AT)]
    faulty_aws.proxy.fail("apigatewayv2", "GetApis", fault)
    run = domain_run(cli, "--region", REGION)
    assert len(faulty_aws.proxy.seen("apigatewayv2", "GetApi")) == LIST_AT
    assert {f["evidence"]["api_id"] for f in run.findings("DOMAIN_EXECUTE_API_ENABLED")} == \
        set(apis)
    assert statuses(run)["domain.mappings"] == "fail"
    assert_named(run, fault, ("apigatewayv2.GetApis",))


@pytest.mark.parametrize("fault", ["denied", "throttled"])
def test_failed_private_domain_read_is_not_a_verdict(cli, faulty_aws, acm_issues_at_once, fault):
    """The listing names a private domain; reading it by its id fails: found is not known."""
    from tests.test_domain import PRIVATE_ID, private_domain

    # the first matching rule wins: the fault comes before the recorded answer
    faulty_aws.proxy.fail("apigateway", "GetDomainName", fault,
                          query={"domainNameId": PRIVATE_ID})
    private_domain(faulty_aws, faulty_aws.request_cert(), "a1b2c3d4e5")
    run = domain_run(cli, "--region", REGION, timeout="10")  # room for the fourth call
    assert_found_unknown(run, faulty_aws, fault, "GetDomainName")
