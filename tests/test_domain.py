"""`mtls-doctor domain NAME` and `truststore s3://...` against moto's server mode on loopback.

What moto models is read from moto (HTTP API domains with their MutualTlsAuthentication, REST
domains without it, mappings, APIs, stages, authorizers, routes, ACM, versioned S3). What moto 5
drops or cannot say (REST `mutualTlsAuthentication` with truststoreWarnings, `domainNameStatus`
values other than AVAILABLE, `ownershipVerificationCertificateArn`, `endpointAccessMode`,
`routingMode`) is a recorded answer in botocore's exact wire shape, served by the loopback proxy
of tests/aws_faults.py that stands between boto3 and moto in every test here; the mappings, APIs,
stages, ACM and S3 behind it stay real (moto). DNS is answered by a table (no query leaves the
machine), so DOMAIN_DNS_ELSEWHERE and the region-from-DNS path are deterministic.
"""

from __future__ import annotations

import base64
import http.client
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import moto.settings
import pytest
from moto.server import ThreadedMotoServer

from mtls_doctor.aws import collect
from mtls_doctor.aws.calls import Aws
from mtls_doctor.probe.net import DnsAnswer
from tests.conftest import Run
from tests.pki_factory import PKI, Issued, pem_bundle
from tests.servers import refusing_port

REGION = "us-east-1"
NAME = "api.mtls-doctor.test"
REGIONAL = "d-abc123xyz9.execute-api.us-east-1.amazonaws.com"
ZONE = "Z1UJRXOUMOOFQ8"
BUCKET = "mtls-truststores"
KEY = "prod/truststore.pem"
URI = f"s3://{BUCKET}/{KEY}"

DOMAIN_KEYS = {"name", "region", "api_type", "endpoint_type", "status", "status_message",
               "security_policy", "certificate_arn", "ownership_verification_certificate_arn",
               "regional_domain_name", "mtls", "mappings", "certificates", "truststore_object"}
STATUSES = {
    "PENDING_CERTIFICATE_REIMPORT": ("DOMAIN_STATUS_PENDING_CERTIFICATE_REIMPORT", "error"),
    "PENDING_OWNERSHIP_VERIFICATION": ("DOMAIN_STATUS_PENDING_OWNERSHIP_VERIFICATION", "error"),
    "FAILED": ("DOMAIN_STATUS_FAILED", "error"),
    "UPDATING": ("DOMAIN_STATUS_UPDATING", "warning"),
    "PENDING": ("DOMAIN_STATUS_PENDING", "warning"),
}

pytestmark = pytest.mark.timeout(60)


# --- certificates (relative to the real clock: ACM refuses expired imports, and `domain`
# evaluates at the real now) ------------------------------------------------------------------

@dataclass(frozen=True)
class Certs:
    server_root: Issued
    server: Issued
    server_soon: Issued
    other_root: Issued
    other_server: Issued
    client_root: Issued
    client_ca: Issued
    weak_root: Issued
    orphan_ca: Issued

    @property
    def good(self) -> bytes:
        return pem_bundle([self.client_root, self.client_ca])

    @property
    def weak(self) -> bytes:
        return pem_bundle([self.client_root, self.weak_root])

    @property
    def orphan(self) -> bytes:
        return pem_bundle([self.client_root, self.orphan_ca])


@pytest.fixture(scope="module")
def certs() -> Certs:
    pki = PKI(datetime.now(UTC), key_offset=900)
    server_root = pki.root("Domain Server Root")
    other_root = pki.root("Other Server Root")
    client_root = pki.root("Client Root")
    absent_root = pki.root("Absent Root")
    sans = (f"DNS:{NAME}",)
    return Certs(
        server_root=server_root,
        server=pki.leaf(server_root, NAME, sans=sans, eku=("serverAuth",)),
        server_soon=pki.leaf(server_root, NAME, sans=sans, eku=("serverAuth",), days_valid=10),
        other_root=other_root,
        other_server=pki.leaf(other_root, NAME, sans=sans, eku=("serverAuth",)),
        client_root=client_root,
        client_ca=pki.intermediate(client_root, "Client Issuing CA"),
        weak_root=pki.root("Weak Root", hash="sha1"),
        orphan_ca=pki.intermediate(absent_root, "Orphan CA"),
    )


# --- moto on loopback ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    assert host == "127.0.0.1"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _reset(endpoint: str) -> None:
    conn = http.client.HTTPConnection(endpoint.removeprefix("http://"), timeout=10)
    try:
        conn.request("POST", "/moto-api/reset")
        assert conn.getresponse().status == 200
    finally:
        conn.close()


_AWS_VARS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_SESSION_TOKEN",
             "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
             "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
             "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_ACM",
             "AWS_ENDPOINT_URL_API_GATEWAY", "AWS_ENDPOINT_URL_APIGATEWAYV2", "AWS_MAX_ATTEMPTS",
             "AWS_RETRY_MODE", "AWS_CA_BUNDLE", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy",
             "https_proxy")


def clean_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, endpoint: str) -> None:
    """boto3 sees moto, fake keys, one region, and empty config files; nothing of the machine's."""
    for var in _AWS_VARS:
        monkeypatch.delenv(var, raising=False)
    config, credentials = tmp_path / "aws-config", tmp_path / "aws-credentials"
    config.write_text("")
    credentials.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never 169.254.169.254
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@dataclass
class Dns:
    """The resolver the collector sees: names in the table resolve, nothing else does."""

    table: dict[str, DnsAnswer] = field(default_factory=dict)

    def lookup(self, name: str, timeout: float) -> DnsAnswer | None:
        return self.table.get(name.rstrip(".").lower())


@dataclass
class Moto:
    """boto3 clients on the moto server, and the set-up steps the tests share; `proxy` is the
    loopback proxy (tests/aws_faults.py) the code under test talks to."""

    endpoint: str
    dns: Dns
    proxy: Any = None

    def client(self, service: str, region: str = REGION) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=self.endpoint,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    # S3 ----------------------------------------------------------------------------------------
    def bucket(self, name: str = BUCKET, *, versioned: bool = True) -> str:
        s3 = self.client("s3")
        s3.create_bucket(Bucket=name)
        if versioned:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return name

    def put(self, data: bytes, bucket: str = BUCKET, key: str = KEY) -> str | None:
        version: str | None = self.client("s3").put_object(Bucket=bucket, Key=key,
                                                           Body=data).get("VersionId")
        return version

    def versions(self, bucket: str = BUCKET, key: str = KEY) -> list[dict[str, Any]]:
        got = self.client("s3").list_object_versions(Bucket=bucket, Prefix=key)
        return [v for v in got.get("Versions", []) if v["Key"] == key]

    # ACM ---------------------------------------------------------------------------------------
    def import_cert(self, leaf: Issued, chain: Issued, region: str = REGION) -> str:
        arn: str = self.client("acm", region).import_certificate(
            Certificate=leaf.pem, PrivateKey=leaf.key_pem(), CertificateChain=chain.pem,
        )["CertificateArn"]
        return arn

    def request_cert(self, name: str = NAME, region: str = REGION) -> str:
        arn: str = self.client("acm", region).request_certificate(
            DomainName=name, ValidationMethod="DNS")["CertificateArn"]
        return arn

    # HTTP APIs (apigatewayv2) --------------------------------------------------------------------
    def http_domain(self, cert_arn: str, *, name: str = NAME, region: str = REGION,
                    uri: str | None = URI, version: str | None = None,
                    ownership: str | None = None) -> None:
        # moto keeps the configuration as given: fill in what AWS itself reports for a live
        # REGIONAL domain (status, regional name, zone)
        config = {"CertificateArn": cert_arn, "EndpointType": "REGIONAL",
                  "SecurityPolicy": "TLS_1_2", "DomainNameStatus": "AVAILABLE",
                  "ApiGatewayDomainName": REGIONAL.replace(REGION, region),
                  "HostedZoneId": ZONE}
        if ownership:
            config["OwnershipVerificationCertificateArn"] = ownership
        extra: dict[str, Any] = {}
        if uri:
            extra["MutualTlsAuthentication"] = {"TruststoreUri": uri,
                                                **({"TruststoreVersion": version} if version else {})}
        self.client("apigatewayv2", region).create_domain_name(
            DomainName=name, DomainNameConfigurations=[config], **extra)

    def http_api(self, *, disabled: bool, key: str = "", name: str = NAME,
                 region: str = REGION, stage: str = "prod", logs: str | None = None,
                 auto_deploy: bool | None = None, protocol: str = "HTTP") -> str:
        """An HTTP (or WebSocket) API mapped on the domain at `key` to `stage`, which logs
        access with the client certificate (`logs=""`: no access log)."""
        v2 = self.client("apigatewayv2", region)
        extra = {"RouteSelectionExpression": "$request.body.action"} \
            if protocol == "WEBSOCKET" else {}
        api_id: str = v2.create_api(Name=f"orders-{key or 'root'}", ProtocolType=protocol,
                                    DisableExecuteApiEndpoint=disabled, **extra)["ApiId"]
        settings: dict[str, Any] = {}
        if logs != "":
            settings["AccessLogSettings"] = {
                "DestinationArn": f"arn:aws:logs:{region}:123456789012:log-group:access",
                "Format": logs or GOOD_LOG_FORMAT}
        if auto_deploy is not None:
            settings["AutoDeploy"] = auto_deploy
        v2.create_stage(ApiId=api_id, StageName=stage, **settings)
        v2.create_api_mapping(DomainName=name, ApiId=api_id, Stage=stage, ApiMappingKey=key)
        return api_id

    # REST APIs (apigateway) ----------------------------------------------------------------------
    def rest_domain(self, cert_arn: str, *, name: str = NAME) -> None:
        self.client("apigateway").create_domain_name(
            domainName=name, regionalCertificateArn=cert_arn, securityPolicy="TLS_1_2",
            endpointConfiguration={"types": ["REGIONAL"]})

    def rest_api(self, *, disabled: bool, base_path: str, name: str = NAME,
                 stage: str | None = None, api_name: str | None = None) -> str:
        """A REST API mapped on the domain at `base_path` (to `stage`, deployed, when given)."""
        gw = self.client("apigateway")
        api_id: str = gw.create_rest_api(name=api_name or f"rest-{base_path}",
                                         disableExecuteApiEndpoint=disabled)["id"]
        if stage:
            self.deploy(api_id, stage)
        gw.create_base_path_mapping(domainName=name, restApiId=api_id, basePath=base_path,
                                    **({"stage": stage} if stage else {}))
        return api_id

    def deploy(self, api_id: str, stage: str) -> None:
        """One MOCK method and a deployment to `stage` (moto deploys nothing without a method)."""
        gw = self.client("apigateway")
        root = gw.get_resources(restApiId=api_id)["items"][0]["id"]
        gw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET",
                      authorizationType="NONE")
        gw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
        gw.create_deployment(restApiId=api_id, stageName=stage)

    def access_log(self, api_id: str, stage: str, log_format: str = "",
                   destination: str = "") -> None:
        """Turn on a REST stage's access logging (moto keeps what it is given)."""
        destination = destination or f"arn:aws:logs:{REGION}:123456789012:log-group:access"
        self.client("apigateway").update_stage(restApiId=api_id, stageName=stage, patchOperations=[
            {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": destination},
            {"op": "replace", "path": "/accessLogSettings/format",
             "value": log_format or GOOD_LOG_FORMAT}])

    # recorded answers (through the proxy) ---------------------------------------------------------
    def record(self, service: str, operation: str, body: dict[str, Any], **match: Any) -> None:
        """The proxy answers `service`.`operation` with `body` (checked against botocore's
        model) instead of moto."""
        self.proxy.answer(service, operation, body, **match)


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Moto]:
    """A reset moto with the loopback proxy of tests/aws_faults.py in front (AWS_ENDPOINT_URL
    names the proxy); the set-up helpers talk to moto itself."""
    from tests.aws_faults import behind_proxy

    with behind_proxy(moto_endpoint, monkeypatch, tmp_path) as moto:
        yield moto


@pytest.fixture
def acm_issues_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's ACM says ISSUED for requested certificates right away (DNS validation 'done')."""
    monkeypatch.setattr(moto.settings, "ACM_VALIDATION_WAIT", -1)


#: every finding id a `domain` run of this module produced (see the last test)
PRODUCED: set[str] = set()


def domain(cli: Callable[..., Run], *args: str, name: str = NAME) -> Run:
    run = cli("domain", name, *args)
    assert run.rc in (0, 1), run.err
    assert "Traceback" not in run.err
    PRODUCED.update(run.ids())
    return run


def aws_answered(run: Run) -> bool:
    """Every AWS call of the run answered (recorded or moto): no AWS_* finding."""
    return not [i for i in run.ids() if i.startswith("AWS_")]


def errors(run: Run) -> list[str]:
    return [f["id"] for f in run.doc["findings"] if f["severity"] == "error"]


def one_line(err: str) -> None:
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err


def healthy_http(aws: Moto, certs: Certs, *, disabled: bool = True,
                 content: bytes | None = None, versioned: bool = True) -> dict[str, Any]:
    """An HTTP API domain as it should be: ACM-issued certificate, REGIONAL, TLS_1_2, a pinned
    truststore version in a versioned bucket, one API with its default endpoint off."""
    cert = aws.request_cert()
    aws.bucket(versioned=versioned)
    version = aws.put(certs.good if content is None else content)
    aws.http_domain(cert, version=version if versioned else None)
    api = aws.http_api(disabled=disabled)
    return {"cert": cert, "version": version, "api": api}


# --- recorded REST (apigateway) view --------------------------------------------------------------

#: an access log format with what a 403 needs: the client certificate and the error message
GOOD_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId", "status": "$context.status",
    "error": "$context.error.message",
    "clientCertSubject": "$context.identity.clientCert.subjectDN",
    "clientCertSerial": "$context.identity.clientCert.serialNumber"})


def rest_view(cert_arn: str, **over: Any) -> dict[str, Any]:
    """A GetDomainName answer of a REST domain (tests/data/aws/rest_domain.json, in botocore's
    wire shape); each keyword replaces a member, None removes it."""
    from tests.aws_faults import recorded

    d = recorded("rest_domain", name=NAME, region=REGION, regional=REGIONAL, zone=ZONE,
                 cert=cert_arn, uri=URI, version="")["body"]
    for k, v in over.items():
        if v is None:
            d.pop(k, None)
        else:
            d[k] = v
    return d


def record_rest(aws: Moto, view: dict[str, Any], *, disabled: bool = True) -> str:
    """The REST domain: GetDomainName answers `view` (recorded); moto holds the domain's base
    path mapping to stage prod of a REST API named orders, whose default endpoint is off
    (`disabled`) and whose stage logs access with the client certificate. Returns the API id."""
    aws.rest_domain(str(view.get("regionalCertificateArn") or view.get("certificateArn")))
    api = aws.rest_api(disabled=disabled, base_path="(none)", stage="prod", api_name="orders")
    aws.access_log(api, "prod")
    aws.record("apigateway", "GetDomainName", view, region=REGION)
    return api


@pytest.fixture
def stubbed_rest(aws: Moto, certs: Certs, acm_issues_at_once: None
                 ) -> Callable[..., dict[str, Any]]:
    """A REST domain whose ACM certificate, truststore, mapping, API and stage are real (moto),
    its GetDomainName answer recorded."""

    def make(**over: Any) -> dict[str, Any]:
        cert = aws.request_cert()
        aws.bucket()
        version = aws.put(certs.good)
        over.setdefault("mutualTlsAuthentication",
                        {"truststoreUri": URI, "truststoreVersion": version,
                         "truststoreWarnings": over.pop("warnings", [])})
        api = record_rest(aws, rest_view(cert, **over))
        return {"cert": cert, "version": version, "api": api}

    return make


# --- healthy ---------------------------------------------------------------------------------------

def test_healthy_http_domain_has_no_error_or_warning(cli, aws, certs, acm_issues_at_once):
    made = healthy_http(aws, certs)
    aws.dns.table[NAME] = DnsAnswer(REGIONAL, (NAME,), ("192.0.2.10",))
    run = domain(cli, "--region", REGION)
    assert run.rc == 0, run.doc["findings"]
    assert [f["id"] for f in run.doc["findings"] if f["severity"] != "info"] == [], run.doc["findings"]
    d = run.doc["domain"]
    assert (d["api_type"], d["endpoint_type"], d["status"], d["security_policy"]) == \
        ("http", "REGIONAL", "AVAILABLE", "TLS_1_2")
    assert d["mtls"]["truststore_uri"] == URI
    assert d["mtls"]["truststore_version"] == made["version"]
    assert d["truststore_object"]["versioning"] == "Enabled"
    assert d["truststore_object"]["latest_version"] == made["version"]
    assert d["mappings"] == [{**d["mappings"][0], "api_id": made["api"], "stage": "prod",
                              "execute_api_endpoint_disabled": True}]
    assert [c["subject"] for c in run.doc["truststore"]["certificates"]] == \
        ["CN=Client Root", "CN=Client Issuing CA"]
    by_id = {c["id"]: c["status"] for c in run.doc["checks"]}
    assert set(by_id.values()) == {"pass"}, by_id


def test_healthy_stubbed_rest_domain_has_no_error(cli, stubbed_rest):
    made = stubbed_rest()
    run = domain(cli, "--region", REGION)
    assert aws_answered(run)
    assert run.rc == 0, run.doc["findings"]
    assert errors(run) == []
    assert [f["id"] for f in run.doc["findings"] if f["severity"] == "warning"] == []
    d = run.doc["domain"]
    assert d["api_type"] == "rest"
    assert d["regional_domain_name"] == REGIONAL
    assert d["mtls"] == {"truststore_uri": URI, "truststore_version": made["version"],
                         "truststore_warnings": []}
    assert d["mappings"][0]["api_id"] == made["api"]


def test_imported_certificate_with_valid_ownership_certificate_is_healthy(
        cli, aws, certs, acm_issues_at_once):
    cert = aws.import_cert(certs.server, certs.server_root)
    own = aws.request_cert()
    aws.bucket()
    version = aws.put(certs.good)
    aws.http_domain(cert, version=version, ownership=own)
    aws.http_api(disabled=True)
    run = domain(cli, "--region", REGION)
    assert "DOMAIN_OWNERSHIP_CERT_MISSING" not in run.ids()
    assert "DOMAIN_OWNERSHIP_CERT_INVALID" not in run.ids()
    assert [c["arn"] for f in run.findings("DOMAIN_ISSUER_CONFLICT")
            for c in f["evidence"]["conflicts"]] == []  # today: [own]
    assert errors(run) == []


# --- HTTP API domains in moto ---------------------------------------------------------------------

def test_http_mapping_with_execute_api_enabled(cli, aws, certs, acm_issues_at_once):
    made = healthy_http(aws, certs, disabled=False)
    closed = aws.http_api(disabled=True, key="v2")
    run = domain(cli, "--region", REGION)
    assert run.rc == 1
    found = run.findings("DOMAIN_EXECUTE_API_ENABLED")
    assert [f["evidence"]["api_id"] for f in found] == [made["api"]]
    assert found[0]["severity"] == "error"
    assert f"https://{made['api']}.execute-api.{REGION}.amazonaws.com" in found[0]["detail"]
    assert any(f"apigatewayv2 update-api --api-id {made['api']}" in c
               for c in found[0]["fix"]["commands"])
    disabled = {m["api_id"]: m["execute_api_endpoint_disabled"] for m in run.doc["domain"]["mappings"]}
    assert disabled == {made["api"]: False, closed: True}


def test_http_mapping_with_execute_api_disabled_has_no_finding(cli, aws, certs, acm_issues_at_once):
    healthy_http(aws, certs, disabled=True)
    run = domain(cli, "--region", REGION)
    assert "DOMAIN_EXECUTE_API_ENABLED" not in run.ids()
    assert "DOMAIN_NO_MAPPINGS" not in run.ids()


def _two_versions(aws: Moto, first: bytes, second: bytes, *, same_second: bool) -> tuple[str, str]:
    """Upload two versions of the truststore; their LastModified equal or not, as asked (S3
    keeps whole seconds)."""
    for _ in range(5):
        v1 = aws.put(first)
        if not same_second:
            time.sleep(1.02 - time.time() % 1)  # into the next second
        v2 = aws.put(second)
        assert v1 and v2
        stamps = {v["VersionId"]: v["LastModified"] for v in aws.versions()}
        if (stamps[v1] == stamps[v2]) == same_second:
            return v1, v2
    raise AssertionError("could not place the two uploads as asked")


def test_second_truststore_version_is_stale(cli, aws, certs, acm_issues_at_once):
    cert = aws.request_cert()
    aws.bucket()
    v1, v2 = _two_versions(aws, certs.good, certs.good + certs.weak_root.pem, same_second=False)
    aws.http_domain(cert, version=v1)
    aws.http_api(disabled=True)
    run = domain(cli, "--region", REGION)
    [stale] = run.findings("DOMAIN_TRUSTSTORE_STALE")
    assert stale["severity"] == "warning"
    assert v1 in stale["detail"] and v2 in stale["detail"]
    assert (stale["evidence"]["latest_version"], stale["evidence"]["configured_version"]) == (v2, v1)
    obj = run.doc["domain"]["truststore_object"]
    assert (obj["latest_version"], obj["configured_version"]) == (v2, v1)
    # the configured version is the one linted, not the latest
    assert "TRUSTSTORE_WEAK_SIGNATURE_HASH" not in run.ids()
    assert run.rc == 0, run.doc["findings"]


def test_second_truststore_version_uploaded_in_the_same_second_is_stale(
        cli, aws, certs, acm_issues_at_once):
    """S3's LastModified has whole seconds: equal dates must not hide what IsLatest says."""
    cert = aws.request_cert()
    aws.bucket()
    v1, v2 = _two_versions(aws, certs.good, certs.good + certs.weak_root.pem, same_second=True)
    aws.http_domain(cert, version=v1)
    aws.http_api(disabled=True)
    run = domain(cli, "--region", REGION)
    assert run.doc["domain"]["truststore_object"]["latest_version"] == v2
    assert "DOMAIN_TRUSTSTORE_STALE" in run.ids()


def test_unversioned_bucket(cli, aws, certs, acm_issues_at_once):
    healthy_http(aws, certs, versioned=False)
    run = domain(cli, "--region", REGION)
    [off] = run.findings("DOMAIN_TRUSTSTORE_VERSIONING_OFF")
    assert off["severity"] == "warning"
    assert off["evidence"]["bucket"] == BUCKET
    assert run.doc["domain"]["truststore_object"]["versioning"] == "Never"
    assert "DOMAIN_TRUSTSTORE_STALE" not in run.ids()
    assert "DOMAIN_TRUSTSTORE_UNREADABLE" not in run.ids()
    assert run.rc == 0, run.doc["findings"]


def test_configured_version_deleted_is_unreadable(cli, aws, certs, acm_issues_at_once):
    made = healthy_http(aws, certs)
    aws.put(certs.good)  # a later version stays, the configured one goes
    aws.client("s3").delete_object(Bucket=BUCKET, Key=KEY, VersionId=made["version"])
    run = domain(cli, "--region", REGION)
    assert run.rc == 1
    [bad] = run.findings("DOMAIN_TRUSTSTORE_UNREADABLE")
    assert bad["severity"] == "error"
    assert "NoSuchVersion" in bad["detail"] and made["version"] in bad["detail"]
    assert "truststore" not in run.doc  # nothing to lint
    checks = {c["id"]: c["status"] for c in run.doc["checks"]}
    assert checks["domain.truststore_content"] == "skip"


def test_wrong_key_is_unreadable(cli, aws, certs, acm_issues_at_once):
    cert = aws.request_cert()
    aws.bucket()
    aws.put(certs.good)
    aws.http_domain(cert, uri=f"s3://{BUCKET}/prod/trustsore.pem")
    aws.http_api(disabled=True)
    run = domain(cli, "--region", REGION)
    [bad] = run.findings("DOMAIN_TRUSTSTORE_UNREADABLE")
    assert "NoSuchKey" in bad["detail"] and "prod/trustsore.pem" in bad["detail"]
    assert run.rc == 1


@pytest.mark.parametrize(("bundle", "expected"), [
    ("weak", "TRUSTSTORE_WEAK_SIGNATURE_HASH"),
    ("orphan", "TRUSTSTORE_MISSING_ISSUER"),
])
def test_truststore_content_is_linted(cli, aws, certs, acm_issues_at_once, bundle, expected):
    healthy_http(aws, certs, content=getattr(certs, bundle))
    run = domain(cli, "--region", REGION)
    assert run.rc == 1
    [lint] = run.findings(expected)
    assert lint["severity"] == "error"
    subjects = [c["subject"] for c in run.doc["truststore"]["certificates"]]
    assert subjects[0] == "CN=Client Root" and len(subjects) == 2
    assert lint["subject"] == subjects[1]
    assert URI in run.doc["truststore"]["source"]["name"]
    checks = {c["id"]: c["status"] for c in run.doc["checks"]}
    assert checks["domain.truststore_content"] == "fail"


def test_http_view_with_mtls_wins_over_rest_view_without(cli, aws, certs, acm_issues_at_once):
    made = healthy_http(aws, certs)
    aws.rest_domain(made["cert"])  # moto's REST domain: no mutualTlsAuthentication
    run = domain(cli, "--region", REGION)
    assert run.doc["domain"]["api_type"] == "http"
    assert "DOMAIN_MTLS_DISABLED" not in run.ids()


def test_region_comes_from_dns(cli, aws, certs, acm_issues_at_once):
    region = "eu-west-1"
    cert = aws.request_cert(region=region)
    aws.bucket()
    aws.put(certs.good)
    aws.http_domain(cert, region=region)
    regional = REGIONAL.replace(REGION, region)
    aws.dns.table[NAME] = DnsAnswer(regional, (NAME,), ("192.0.2.20",))
    run = domain(cli)  # no --region; the environment says us-east-1
    d = run.doc["domain"]
    assert (d["region"], d["region_source"], d["regional_domain_name"]) == (region, "dns", regional)
    assert "DOMAIN_NOT_FOUND" not in run.ids()


def test_dns_elsewhere(cli, aws, certs, acm_issues_at_once):
    healthy_http(aws, certs)
    aws.dns.table[NAME] = DnsAnswer("old-lb.example.net", (NAME,), ("192.0.2.99",))
    aws.dns.table[REGIONAL] = DnsAnswer(REGIONAL, (), ("198.51.100.7",))
    run = domain(cli, "--region", REGION)
    [dns] = run.findings("DOMAIN_DNS_ELSEWHERE")
    assert dns["severity"] == "error"
    assert dns["evidence"]["dns_addresses"] == ["192.0.2.99"]
    assert dns["evidence"]["regional_addresses"] == ["198.51.100.7"]
    assert run.rc == 1


def test_a_resolver_that_says_nothing_in_time_leaves_dns_undecided(cli, aws, certs,
                                                                    acm_issues_at_once):
    """No answer from the resolver is not "the name does not resolve": the DNS check is
    undecided (and the exit code says so), where a name that does not resolve skips it."""
    healthy_http(aws, certs)
    aws.dns.table[NAME] = DnsAnswer(None, (), (), timed_out=True)
    late = domain(cli, "--region", REGION)
    aws.dns.table.pop(NAME)
    absent = domain(cli, "--region", REGION)
    late_check, absent_check = ({c["id"]: c for c in run.doc["checks"]}["domain.dns"]
                                for run in (late, absent))
    assert late_check["status"] == "unknown", late_check
    assert f"no answer for {NAME}" in json.dumps(late_check)
    assert late.rc == 1
    assert absent_check["status"] != "unknown" and "does not resolve" in json.dumps(absent_check)
    assert "DOMAIN_DNS_ELSEWHERE" not in late.ids() + absent.ids()
    # the name points elsewhere, and the regional name, to compare with, gets no answer
    aws.dns.table[NAME] = DnsAnswer("old-lb.example.net", (NAME,), ("192.0.2.99",))
    aws.dns.table[REGIONAL] = DnsAnswer(None, (), (), timed_out=True)
    unsure = domain(cli, "--region", REGION)
    check = {c["id"]: c for c in unsure.doc["checks"]}["domain.dns"]
    assert check["status"] == "unknown" and f"no answer for {REGIONAL}" in json.dumps(check)
    assert "DOMAIN_DNS_ELSEWHERE" not in unsure.ids()
    # once it answers, the comparison is made (test_dns_elsewhere)
    aws.dns.table[REGIONAL] = DnsAnswer(REGIONAL, (), ("198.51.100.7",))
    assert "DOMAIN_DNS_ELSEWHERE" in domain(cli, "--region", REGION).ids()


def test_lookup_tells_no_answer_in_time_from_no_such_name(monkeypatch):
    import socket
    import time

    from mtls_doctor.probe import net

    def slow(name):
        time.sleep(2)
        raise socket.gaierror(socket.EAI_AGAIN, "temporary failure")

    def nxdomain(name):
        raise socket.gaierror(socket.EAI_NONAME, "no such name")

    monkeypatch.setattr(socket, "gethostbyname_ex", slow)
    assert net.lookup("slow.example", 0.2) == DnsAnswer(None, (), (), timed_out=True)
    monkeypatch.setattr(socket, "gethostbyname_ex", nxdomain)
    assert net.lookup("absent.example", 0.2) is None


# --- REST domains in moto -------------------------------------------------------------------------

def test_rest_domain_in_moto_with_mappings(cli, aws, certs, acm_issues_at_once):
    cert = aws.request_cert()
    aws.rest_domain(cert)
    open_api = aws.rest_api(disabled=False, base_path="v1")
    closed_api = aws.rest_api(disabled=True, base_path="v2")
    run = domain(cli, "--region", REGION)
    assert run.rc == 1
    d = run.doc["domain"]
    assert (d["api_type"], d["status"], d["mtls"]) == ("rest", "AVAILABLE", None)
    assert "DOMAIN_MTLS_DISABLED" in run.ids()  # moto drops mutualTlsAuthentication
    mappings = sorted(d["mappings"], key=lambda m: m["base_path"])
    assert [(m["api_id"], m["base_path"], m["execute_api_endpoint_disabled"]) for m in mappings] == \
        [(open_api, "v1", False), (closed_api, "v2", True)]
    for m in mappings:
        assert {"api_id", "stage", "base_path", "execute_api_endpoint_disabled"} <= set(m)
    [exposed] = run.findings("DOMAIN_EXECUTE_API_ENABLED")
    assert exposed["evidence"]["api_id"] == open_api
    assert exposed["evidence"]["api_type"] == "rest"
    assert "DOMAIN_NO_MAPPINGS" not in run.ids()


def test_rest_domain_in_moto_without_mappings(cli, aws, certs, acm_issues_at_once):
    aws.rest_domain(aws.request_cert())
    # moto 5 answers GetBasePathMappings with a 500 for a domain that never had a mapping;
    # one created and deleted again leaves the empty list AWS gives
    aws.rest_api(disabled=False, base_path="gone")
    aws.client("apigateway").delete_base_path_mapping(domainName=NAME, basePath="gone")
    run = domain(cli, "--region", REGION)
    [none] = run.findings("DOMAIN_NO_MAPPINGS")
    assert none["severity"] == "warning"
    assert run.doc["domain"]["mappings"] == []
    assert "DOMAIN_EXECUTE_API_ENABLED" not in run.ids()


# --- private custom domains (recorded: moto has none) ------------------------------------------------

ACCOUNT = "123456789012"
PRIVATE_ID = "abcd1234ef"


def private_domain(aws: Moto, cert: str, api: str, **over: Any) -> dict[str, Any]:
    """A private custom domain: the account's listing names it with its id, GetDomainName knows
    it only by that id, and its one base path mapping sends requests to `api` (in moto)."""
    from tests.aws_faults import recorded

    values = {"name": NAME, "id": PRIVATE_ID, "region": REGION, "account": ACCOUNT,
              "cert": cert, "api": api}
    body = {**recorded("private_domain", **values)["body"], **over}
    aws.record("apigateway", "GetDomainNames", recorded("private_listing", **values)["body"],
               query={"resourceOwner": "SELF"})
    aws.record("apigateway", "GetDomainName", body, query={"domainNameId": PRIVATE_ID})
    aws.record("apigateway", "GetBasePathMappings",
               recorded("private_mappings", **values)["body"], query={"domainNameId": PRIVATE_ID})
    return body


def test_private_domain_is_read_by_its_id(cli, aws, acm_issues_at_once):
    cert = aws.request_cert()
    gw = aws.client("apigateway")
    api = gw.create_rest_api(name="orders-private",
                             endpointConfiguration={"types": ["PRIVATE"]})["id"]
    private_domain(aws, cert, api)
    run = domain(cli, "--region", REGION)
    d = run.doc["domain"]
    assert (d["found"], d["endpoint_type"], d["domain_name_id"]) == (True, "PRIVATE", PRIVATE_ID)
    assert d["ip_address_type"] == "dualstack"
    assert d["routing_mode"] == "BASE_PATH_MAPPING_ONLY"
    assert "DOMAIN_NOT_FOUND" not in run.ids()
    # the PRIVATE branch: no mutual TLS there, and every command names the domain's id
    [private] = run.findings("DOMAIN_NOT_REGIONAL")
    assert private["evidence"] == {"endpoint_type": "PRIVATE", "domain_name_id": PRIVATE_ID}
    assert f"--domain-name {NAME} --domain-name-id {PRIVATE_ID}" in private["fix"]["commands"][0]
    assert "private custom domain" in " ".join(private["fix"]["steps"])
    [off] = run.findings("DOMAIN_MTLS_DISABLED")
    assert "PRIVATE" in off["detail"]
    assert not any("update-domain-name" in c for c in off["fix"]["commands"])
    # its mappings were asked with its id (a recorded answer), the API read from moto; the
    # list asked by name alone with the lookup (prefetched before the domain was known to be
    # private) is in no record: one GetBasePathMappings in the report, the one with the id
    asked = [s.path for s in aws.proxy.seen("apigateway", "GetBasePathMappings")]
    with_id = f"/domainnames/{NAME}/basepathmappings?domainNameId={PRIVATE_ID}"
    assert with_id in asked
    assert set(asked) <= {with_id, f"/domainnames/{NAME}/basepathmappings"}
    recorded = [a for a in d["attempts"] if a["call"] == "apigateway.GetBasePathMappings"]
    assert [a["status"] for a in recorded] == ["ok"]
    assert [(m["api_id"], m["stage"]) for m in d["mappings"]] == [(api, "prod")]
    assert d["mappings"][0]["execute_api_endpoint_disabled"] is False
    by_id = {c["id"]: c["status"] for c in run.doc["checks"]}
    assert by_id["domain.found"] == "pass"
    assert by_id["domain.mtls"] == "fail"
    assert aws_answered(run)


def test_not_private_either_is_not_found(cli, aws):
    """Both APIs say NotFound and the account's listing (moto's: empty) has no private domain
    of the name: not found, and the listing was asked."""
    run = domain(cli, "--region", REGION)
    [f] = run.findings("DOMAIN_NOT_FOUND")
    assert aws.proxy.seen("apigateway", "GetDomainNames")
    assert run.doc["domain"]["domain_name_id"] is None
    assert {c["id"]: c["status"] for c in run.doc["checks"]}["domain.found"] == "fail"
    assert "no private custom domain of the account has that name" in f["detail"]
    assert any("--resource-owner SELF" in c for c in f["fix"]["commands"])


# --- stubbed REST views -------------------------------------------------------------------------

@pytest.mark.parametrize("status", sorted(STATUSES))
def test_domain_status(cli, stubbed_rest, status):
    finding_id, severity = STATUSES[status]
    stubbed_rest(domainNameStatus=status,
                              domainNameStatusMessage=f"the domain is {status.lower()}")
    run = domain(cli, "--region", REGION)
    assert aws_answered(run)
    [f] = run.findings(finding_id)
    assert f["severity"] == severity
    assert f["walkthrough"] == "domain-status"
    assert f["evidence"]["status"] == status
    assert run.doc["domain"]["status"] == status
    assert run.doc["domain"]["status_message"] == f"the domain is {status.lower()}"
    others = [i for i in run.ids() if i.startswith("DOMAIN_STATUS_") and i != finding_id]
    assert others == []
    assert run.rc == (1 if severity == "error" else 0), run.doc["findings"]


def test_truststore_warning_tied_to_its_entry(cli, stubbed_rest, certs):
    warning = ("Certificate CN=Client Issuing CA in the truststore has an unsupported signature "
               "algorithm")
    unknown = "Certificate CN=Somebody Else's CA is expired"
    stubbed_rest(warnings=[warning, unknown])
    run = domain(cli, "--region", REGION)
    assert aws_answered(run)
    assert run.doc["domain"]["mtls"]["truststore_warnings"] == [warning, unknown]
    tied, loose = run.findings("DOMAIN_TRUSTSTORE_WARNING")
    assert tied["severity"] == "warning"
    assert tied["subject"] == "CN=Client Issuing CA"
    assert tied["evidence"]["warning"] == warning
    assert tied["evidence"]["index"] == 1
    entry = run.doc["truststore"]["certificates"][1]
    assert entry["subject"] == "CN=Client Issuing CA"
    assert tied["location"] == entry["location"]
    assert loose["subject"] is None and loose["evidence"]["index"] is None
    assert loose["evidence"]["warning"] == unknown
    assert run.rc == 0, run.doc["findings"]


def test_edge_endpoint_is_not_regional(cli, stubbed_rest):
    stubbed_rest(endpointConfiguration={"types": ["EDGE"]},
                              distributionDomainName="d111111abcdef8.cloudfront.net",
                              regionalDomainName=None, regionalHostedZoneId=None)
    run = domain(cli, "--region", REGION)
    assert aws_answered(run)
    [f] = run.findings("DOMAIN_NOT_REGIONAL")
    assert f["severity"] == "error"
    assert run.doc["domain"]["endpoint_type"] == "EDGE"
    assert run.rc == 1


def test_security_policy_tls_1_0(cli, stubbed_rest):
    stubbed_rest(securityPolicy="TLS_1_0")
    run = domain(cli, "--region", REGION)
    assert aws_answered(run)
    [f] = run.findings("DOMAIN_SECURITY_POLICY_INCOMPATIBLE")
    assert f["evidence"]["security_policy"] == "TLS_1_0"
    assert run.doc["domain"]["security_policy"] == "TLS_1_0"
    assert run.rc == 1


def test_no_mtls_is_disabled(cli, stubbed_rest):
    stubbed_rest(mutualTlsAuthentication=None)
    run = domain(cli, "--region", REGION)
    assert aws_answered(run)
    [f] = run.findings("DOMAIN_MTLS_DISABLED")
    assert f["severity"] == "error"
    assert run.doc["domain"]["mtls"] is None
    assert run.doc["domain"]["truststore_object"] is None
    assert run.rc == 1


def test_imported_certificate_without_ownership_arn(cli, aws, certs, monkeypatch):
    cert = aws.import_cert(certs.server, certs.server_root)
    aws.bucket()
    version = aws.put(certs.good)
    record_rest(aws, rest_view(cert, mutualTlsAuthentication={
        "truststoreUri": URI, "truststoreVersion": version}))
    run = domain(cli, "--region", REGION)
    assert aws_answered(run)
    [f] = run.findings("DOMAIN_OWNERSHIP_CERT_MISSING")
    assert f["severity"] == "error"
    assert f["evidence"]["certificate_type"] == "IMPORTED"
    assert run.doc["domain"]["ownership_verification_certificate_arn"] is None
    assert run.doc["domain"]["certificates"][cert]["type"] == "IMPORTED"


def test_ownership_certificate_not_acm_issued_is_invalid(cli, aws, certs, monkeypatch):
    cert = aws.import_cert(certs.server, certs.server_root)
    wrong = aws.import_cert(certs.server_soon, certs.server_root)  # imported, not ACM-issued
    aws.bucket()
    version = aws.put(certs.good)
    record_rest(aws, rest_view(cert, ownershipVerificationCertificateArn=wrong,
                                     mutualTlsAuthentication={"truststoreUri": URI,
                                                              "truststoreVersion": version}))
    run = domain(cli, "--region", REGION)
    [f] = run.findings("DOMAIN_OWNERSHIP_CERT_INVALID")
    assert f["evidence"]["arn"] == wrong
    assert any("AMAZON_ISSUED" in p for p in f["evidence"]["problems"])
    assert "DOMAIN_OWNERSHIP_CERT_MISSING" not in run.ids()
    assert run.doc["domain"]["ownership_verification_certificate_arn"] == wrong


def test_both_views_with_mtls_prefer_rest(cli, aws, certs, stubbed_rest):
    made = stubbed_rest()
    aws.http_domain(made["cert"], version=made["version"])
    run = domain(cli, "--region", REGION)
    assert aws_answered(run)
    assert run.doc["domain"]["api_type"] == "rest"


# --- routing mode and routing rules (recorded: moto has none) ----------------------------------------

RULES = ("r1open0001", "r2shut0002")


def rule_domain(aws: Moto, certs: Certs, mode: str = "ROUTING_RULE_ONLY",
                rules: bool = True) -> dict[str, Any]:
    """A REST domain (recorded view) in `mode` whose two routing rules (two recorded pages)
    send requests to two REST APIs in moto: `open` still answers on execute-api, `shut` does
    not and its stage keeps no access log."""
    from tests.aws_faults import recorded

    cert = aws.request_cert()
    aws.bucket()
    version = aws.put(certs.good)
    aws.rest_domain(cert)
    gw = aws.client("apigateway")
    open_api = gw.create_rest_api(name="orders", disableExecuteApiEndpoint=False)["id"]
    shut_api = gw.create_rest_api(name="billing", disableExecuteApiEndpoint=True)["id"]
    for api in (open_api, shut_api):
        aws.deploy(api, "prod")
    aws.access_log(open_api, "prod")
    view = rest_view(cert, routingMode=mode, mutualTlsAuthentication={
        "truststoreUri": URI, "truststoreVersion": version})
    aws.record("apigateway", "GetDomainName", view, region=REGION)
    values = {"region": REGION, "account": ACCOUNT, "name": NAME}
    first = recorded("routing_rules_page1", api=open_api, rule=RULES[0], next="page-2",
                     **values)["body"]
    last = recorded("routing_rules_page2", api=shut_api, rule=RULES[1], **values)["body"]
    if not rules:
        first, last = {"routingRules": []}, None
        first.pop("nextToken", None)
    aws.record("apigatewayv2", "ListRoutingRules", first, query={"nextToken": None})
    if last is not None:
        aws.record("apigatewayv2", "ListRoutingRules", last, query={"nextToken": "page-2"})
    return {"cert": cert, "open": open_api, "shut": shut_api, "version": version}


def test_routing_rule_targets_are_checked(cli, aws, certs, acm_issues_at_once):
    made = rule_domain(aws, certs)
    run = domain(cli, "--region", REGION)
    d = run.doc["domain"]
    assert d["routing_mode"] == "ROUTING_RULE_ONLY"
    assert [(r["rule_id"], r["api_id"], r["stage"], r["execute_api_endpoint_disabled"])
            for r in d["routing_rules"]] == [(RULES[0], made["open"], "prod", False),
                                             (RULES[1], made["shut"], "prod", True)]
    assert d["routing_rules"][0]["base_paths"] == ["orders"]
    assert d["routing_rules"][0]["headers"] == ["x-version: v2*"]
    # every page was read through the paginator; the mappings were not (the mode ignores them:
    # the lists prefetched with the lookup, which needed only the name, are in no record)
    pages = aws.proxy.seen("apigatewayv2", "ListRoutingRules")
    assert len(pages) == 2 and "nextToken=page-2" in pages[1].path
    assert not [a for a in d["attempts"]
                if a["call"] in ("apigateway.GetBasePathMappings", "apigatewayv2.GetApiMappings")]
    assert "DOMAIN_NO_MAPPINGS" not in run.ids()
    [exposed] = run.findings("DOMAIN_EXECUTE_API_ENABLED")
    assert exposed["evidence"]["api_id"] == made["open"]
    assert [r["rule_id"] for r in exposed["evidence"]["routing_rules"]] == [RULES[0]]
    assert f"routing rule {RULES[0]}" in exposed["detail"]
    # the stage the second rule sends requests to keeps no access log
    [missing] = run.findings("DOMAIN_ACCESS_LOGS_MISSING")
    assert (missing["evidence"]["api_id"], missing["evidence"]["stage"]) == (made["shut"], "prod")
    checks = {c["id"]: c["status"] for c in run.doc["checks"]}
    assert checks["domain.mappings"] == "fail"
    assert checks["domain.access_logs"] == "warn"
    assert aws_answered(run)


def test_routing_rule_only_without_rules_routes_nothing(cli, aws, certs, acm_issues_at_once):
    rule_domain(aws, certs, rules=False)
    run = domain(cli, "--region", REGION)
    [none] = run.findings("DOMAIN_NO_MAPPINGS")
    assert "no routing rule" in none["title"]
    assert any("create-routing-rule" in c for c in none["fix"]["commands"])
    assert run.doc["domain"]["routing_rules"] == []


def test_strict_access_mode(cli, stubbed_rest):
    stubbed_rest(endpointAccessMode="STRICT")
    run = domain(cli, "--region", REGION)
    d = run.doc["domain"]
    assert (d["endpoint_access_mode"], d["ip_address_type"]) == ("STRICT", "ipv4")
    [strict] = run.findings("DOMAIN_STRICT_ACCESS_MODE")
    assert strict["severity"] == "info"
    assert run.rc == 0, run.doc["findings"]


def test_websocket_domain_is_not_an_http_api(cli, aws, certs, acm_issues_at_once):
    cert = aws.request_cert()
    aws.bucket()
    aws.http_domain(cert, version=aws.put(certs.good))
    api = aws.http_api(disabled=False, protocol="WEBSOCKET")
    run = domain(cli, "--region", REGION)
    d = run.doc["domain"]
    assert d["api_type"] == "websocket"
    assert [m["api_type"] for m in d["mappings"]] == ["websocket"]
    [exposed] = run.findings("DOMAIN_EXECUTE_API_ENABLED")
    assert exposed["detail"].startswith(f"WebSocket API orders-root ({api})")
    text = cli("domain", NAME, "--region", REGION, "--format", "text", json_out=False)
    assert "HTTP API" not in text.out.splitlines()[0]  # the header says which kind of domain


def test_ownership_certificate_in_use_by_another_domain(cli, aws, certs, acm_issues_at_once):
    from tests.aws_faults import recorded

    cert = aws.import_cert(certs.server, certs.server_root)
    own = aws.request_cert()
    aws.bucket()
    version = aws.put(certs.good)
    other = f"arn:aws:apigateway:{REGION}::/domainnames/partner.mtls-doctor.test"
    now = int(time.time())
    aws.record("acm", "DescribeCertificate", recorded(
        "acm_certificate", arn=own, name=NAME, not_before=now - 86400,
        not_after=now + 300 * 86400, in_use_by=[other])["body"], contains=own)
    record_rest(aws, rest_view(cert, ownershipVerificationCertificateArn=own,
                               mutualTlsAuthentication={"truststoreUri": URI,
                                                        "truststoreVersion": version}))
    run = domain(cli, "--region", REGION)
    [f] = run.findings("DOMAIN_OWNERSHIP_CERT_IN_USE")
    assert f["severity"] == "error"
    assert f["evidence"]["other_domains"] == ["partner.mtls-doctor.test"]
    assert run.doc["domain"]["certificates"][own]["in_use_by"] == [other]
    assert "DOMAIN_OWNERSHIP_CERT_INVALID" not in run.ids()
    assert run.rc == 1


# --- stages: access logs and auto-deploy (moto) --------------------------------------------------------

def test_access_log_format_without_the_client_certificate(cli, aws, certs, acm_issues_at_once):
    cert = aws.request_cert()
    aws.bucket()
    aws.http_domain(cert, version=aws.put(certs.good))
    api = aws.http_api(disabled=True, logs="$context.requestId $context.status")
    bare = aws.http_api(disabled=True, key="v2", logs="")
    run = domain(cli, "--region", REGION)
    [partial] = run.findings("DOMAIN_ACCESS_LOG_FORMAT_INCOMPLETE")
    assert partial["evidence"]["api_id"] == api
    assert partial["evidence"]["missing"] == ["$context.identity.clientCert.",
                                              "$context.error.message"]
    assert any(f"apigatewayv2 update-stage --api-id {api} --stage-name prod "
               "--access-log-settings" in c for c in partial["fix"]["commands"])
    [missing] = run.findings("DOMAIN_ACCESS_LOGS_MISSING")
    assert missing["evidence"]["api_id"] == bare
    stages = {s["api_id"]: s for s in run.doc["domain"]["stages"]}
    assert stages[api]["access_log_format"] == "$context.requestId $context.status"
    assert stages[bare]["access_log_destination"] is None
    assert run.rc == 0  # warnings
    assert {c["id"]: c["status"] for c in run.doc["checks"]}["domain.access_logs"] == "warn"


def test_rest_stage_access_log_is_read(cli, aws, certs, acm_issues_at_once):
    aws.rest_domain(aws.request_cert())
    api = aws.rest_api(disabled=True, base_path="v1", stage="prod")
    aws.access_log(api, "prod", log_format="$context.requestId")
    run = domain(cli, "--region", REGION)
    [partial] = run.findings("DOMAIN_ACCESS_LOG_FORMAT_INCOMPLETE")
    assert any(f"apigateway update-stage --rest-api-id {api} --stage-name prod "
               "--patch-operations" in c for c in partial["fix"]["commands"])


def test_default_stage_that_deploys_itself(cli, aws, certs, acm_issues_at_once):
    cert = aws.request_cert()
    aws.bucket()
    aws.http_domain(cert, version=aws.put(certs.good))
    api = aws.http_api(disabled=False, stage="$default", auto_deploy=True)
    run = domain(cli, "--region", REGION)
    [exposed] = run.findings("DOMAIN_EXECUTE_API_ENABLED")
    commands = exposed["fix"]["commands"]
    assert not any("create-deployment" in c for c in commands)
    assert any(c.endswith(f"https://{api}.execute-api.{REGION}.amazonaws.com/") for c in commands)
    assert not any("$default/" in c for c in commands)
    assert run.doc["domain"]["stages"][0]["auto_deploy"] is True


# --- authorizers (moto) ------------------------------------------------------------------------------

LAMBDA_URI = ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
              "arn:aws:lambda:us-east-1:123456789012:function:check/invocations")


@pytest.mark.parametrize(("kind", "flagged"), [(None, True), ("TOKEN", True), ("REQUEST", False)])
def test_rest_api_authorizer_that_sees_the_certificate(cli, stubbed_rest, aws, kind, flagged):
    made = stubbed_rest()
    if kind:
        aws.client("apigateway").create_authorizer(
            restApiId=made["api"], name=f"{kind.lower()}-check", type=kind,
            authorizerUri=LAMBDA_URI, identitySource="method.request.header.Authorization")
    run = domain(cli, "--region", REGION)
    found = run.findings("DOMAIN_REVOCATION_NOT_CHECKED")
    assert bool(found) == flagged
    [authz] = run.doc["domain"]["authorizers"]
    assert authz["can_check_revocation"] is not flagged
    if kind == "TOKEN":
        assert "TOKEN authorizer" in found[0]["detail"]
        assert found[0]["evidence"]["authorizers"] == ["TOKEN: token-check"]
    assert run.rc == 0, run.doc["findings"]  # info only
    assert {c["id"]: c["status"] for c in run.doc["checks"]}["domain.revocation"] == "pass"


def test_http_api_route_behind_a_lambda_authorizer(cli, aws, certs, acm_issues_at_once):
    healthy_http(aws, certs)
    [api] = [m["ApiId"] for m in aws.client("apigatewayv2").get_api_mappings(
        DomainName=NAME)["Items"]]
    v2 = aws.client("apigatewayv2")
    v2.create_route(ApiId=api, RouteKey="GET /orders", AuthorizationType="CUSTOM")
    v2.create_route(ApiId=api, RouteKey="GET /health", AuthorizationType="NONE")
    run = domain(cli, "--region", REGION)
    [f] = run.findings("DOMAIN_REVOCATION_NOT_CHECKED")
    assert f["evidence"]["unprotected_routes"] == ["GET /health"]
    assert "1 route(s) without a Lambda authorizer" in f["detail"]


# --- S3 versions (moto) --------------------------------------------------------------------------------

def test_delete_marker_makes_an_unpinned_truststore_unreadable(cli, aws, certs, acm_issues_at_once):
    cert = aws.request_cert()
    aws.bucket()
    aws.put(certs.good)
    aws.client("s3").delete_object(Bucket=BUCKET, Key=KEY)  # a delete marker on top
    aws.http_domain(cert, version=None)
    aws.http_api(disabled=True)
    run = domain(cli, "--region", REGION)
    [bad] = run.findings("DOMAIN_TRUSTSTORE_UNREADABLE")
    marker = run.doc["domain"]["truststore_object"]["latest_delete_marker"]
    assert marker and marker in bad["detail"] and "delete marker" in bad["detail"]
    assert any(f"delete-object --bucket {BUCKET} --key {KEY} --version-id {marker}" in c
               for c in bad["fix"]["commands"])
    assert run.doc["domain"]["truststore_object"]["latest_version"] is None
    assert "DOMAIN_TRUSTSTORE_UNPINNED" not in run.ids()
    assert run.rc == 1


def test_delete_marker_above_the_pinned_version_changes_nothing(cli, aws, certs,
                                                                acm_issues_at_once):
    made = healthy_http(aws, certs)
    aws.client("s3").delete_object(Bucket=BUCKET, Key=KEY)
    run = domain(cli, "--region", REGION)
    assert run.doc["domain"]["truststore_object"]["configured_version"] == made["version"]
    assert [i for i in run.ids() if i.startswith("DOMAIN_TRUSTSTORE")] == []
    assert run.rc == 0, run.doc["findings"]


def test_suspended_versioning_is_no_pinned_upload(cli, aws, certs, acm_issues_at_once):
    made = healthy_http(aws, certs)
    aws.client("s3").put_bucket_versioning(Bucket=BUCKET,
                                           VersioningConfiguration={"Status": "Suspended"})
    run = domain(cli, "--region", REGION)
    assert run.doc["domain"]["truststore_object"]["versioning"] == "Suspended"
    [off] = run.findings("DOMAIN_TRUSTSTORE_VERSIONING_OFF")
    assert "suspended" in off["detail"]
    assert not any("truststoreVersion" in c or "TruststoreVersion" in c
                   for c in off["fix"]["commands"])
    assert run.doc["domain"]["mtls"]["truststore_version"] == made["version"]


def test_percent_encoded_key(cli, aws, certs, acm_issues_at_once):
    cert = aws.request_cert()
    aws.bucket()
    version = aws.put(certs.good, key="prod/trust store.pem")
    aws.http_domain(cert, uri=f"s3://{BUCKET}/prod/trust%20store.pem", version=version)
    aws.http_api(disabled=True)
    run = domain(cli, "--region", REGION)
    assert run.doc["domain"]["truststore_object"]["key"] == "prod/trust store.pem"
    assert "DOMAIN_TRUSTSTORE_UNREADABLE" not in run.ids()
    assert len(run.doc["truststore"]["certificates"]) == 2
    assert run.rc == 0, run.doc["findings"]


def test_versions_are_read_page_by_page(aws, certs):
    from mtls_doctor.aws.s3truststore import versions_of

    aws.bucket()
    ids = [aws.put(certs.good) for _ in range(3)]
    aws.put(certs.good, key=KEY + ".bak")  # a later key with the same prefix
    s3 = aws.client("s3")
    s3.delete_object(Bucket=BUCKET, Key=KEY)
    got = versions_of(s3, BUCKET, KEY, page_size=1)
    assert {v["VersionId"] for v in got if not v.get("IsDeleteMarker")} == set(ids)
    [marker] = [v for v in got if v.get("IsDeleteMarker")]
    assert marker["IsLatest"] and {v["Key"] for v in got} == {KEY}


def test_one_bucket_listing_holds_the_keys_it_lists_in_full(aws, certs, monkeypatch):
    """A scan lists the versions of all the truststores it was told of in a bucket at once: a
    page that other objects fill before it reaches a key leaves that key to its own listing,
    and every key gets exactly the versions its own listing gives."""
    from mtls_doctor.aws import s3truststore
    from mtls_doctor.aws.calls import Aws
    from mtls_doctor.aws.fleet import Listings
    from mtls_doctor.aws.s3truststore import _versions, versions_of
    from mtls_doctor.deadline import Deadline

    monkeypatch.setattr(s3truststore, "BUCKET_PAGE", 10)  # S3's pages hold 1,000
    aws.bucket()
    first, last = "ts/a.pem", "ts/z.pem"
    for _ in range(2):
        aws.put(certs.good, key=first)
    for i in range(12):  # other objects between the two keys, past the page
        aws.put(b"x", key=f"ts/m-{i:02d}")
    aws.put(certs.good, key=last)
    aws.client("s3").delete_object(Bucket=BUCKET, Key=last)
    shared, reader = Listings(), Aws(None, Deadline(30))
    shared.expect_truststores(REGION, [(BUCKET, first), (BUCKET, last)])
    got = {key: _versions(reader, shared, REGION, BUCKET, key) for key in (first, last)}
    s3 = aws.client("s3")
    for key, (versions, attempt) in got.items():
        assert attempt.status.value == "ok"
        assert versions == versions_of(s3, BUCKET, key)
    firsts, lasts = got[first][0] or [], got[last][0] or []
    assert len(firsts) == 2 and any(v.get("IsDeleteMarker") for v in lasts)
    listed = [s.path for s in aws.proxy.seen("s3", "ListObjectVersions")]
    # the bucket's page under the keys' common prefix, then the key it did not reach in full
    assert len(listed) == 2 and "prefix=ts%2F&" in listed[0] + "&"
    assert "z.pem" in listed[1]
    # keys the one page reaches in full: one listing for both
    shared = Listings()
    shared.expect_truststores(REGION, [(BUCKET, first), (BUCKET, "ts/m-03")])
    before = len(aws.proxy.seen("s3", "ListObjectVersions"))
    for key in (first, "ts/m-03"):
        versions, _ = _versions(reader, shared, REGION, BUCKET, key)
        assert versions == versions_of(s3, BUCKET, key)
    assert len(aws.proxy.seen("s3", "ListObjectVersions")) == before + 1


def test_domains_of_a_scan_that_share_a_truststore_read_it_once(aws, certs):
    from mtls_doctor.aws.collect import _Collector
    from mtls_doctor.aws.fleet import FleetAws, Listings
    from mtls_doctor.aws.s3truststore import read_truststore
    from mtls_doctor.deadline import Deadline
    from mtls_doctor.model.domain import Mtls

    aws.bucket()
    version = aws.put(certs.good)
    shared, account = Listings(), FleetAws(None, Deadline(30))
    shared.expect_truststores(REGION, [(BUCKET, KEY)])
    read = [read_truststore(_Collector(account.view(), name, listings=shared), REGION,
                            Mtls(URI, version, ())) for name in ("a.test", "b.test")]
    assert all(r is not None and r.content == certs.good for r in read)
    assert len(aws.proxy.seen("s3", "GetObject")) == 1
    assert len(aws.proxy.seen("s3", "ListObjectVersions")) == 1


def test_domains_of_a_scan_that_share_a_certificate_describe_it_once(aws, acm_issues_at_once):
    """A wildcard certificate serves many domains; ACM allows few DescribeCertificate calls a
    second: a scan asks once, and each domain's record holds the attempt."""
    from mtls_doctor.aws.collect import _Collector
    from mtls_doctor.aws.fleet import FleetAws, Listings
    from mtls_doctor.deadline import Deadline

    arn = aws.request_cert()
    shared, account = Listings(), FleetAws(None, Deadline(30))
    views = [account.view() for _ in range(3)]
    got = [_Collector(v, f"{n}.test", listings=shared).acm(REGION, arn)
           for n, v in enumerate(views)]
    assert all(cert is not None and cert.arn == arn and a.status.value == "ok" for cert, a in got)
    assert len(aws.proxy.seen("acm", "DescribeCertificate")) == 1
    assert all([a.call for a in v.attempts] == ["acm.DescribeCertificate"] for v in views)


# --- ACM ------------------------------------------------------------------------------------------

def test_certificate_expiring_soon(cli, aws, certs):
    cert = aws.import_cert(certs.server_soon, certs.server_root)
    aws.bucket()
    aws.http_domain(cert, version=aws.put(certs.good))
    run = domain(cli, "--region", REGION)
    [f] = run.findings("DOMAIN_CERT_EXPIRES_SOON")
    assert f["severity"] == "warning"
    assert f["evidence"]["arn"] == cert
    assert 8 <= f["evidence"]["days_left"] <= 10
    assert run.doc["domain"]["certificates"][cert]["not_after"].endswith("Z")


def test_certificate_not_issued(cli, aws, certs):
    cert = aws.request_cert()  # PENDING_VALIDATION until moto's validation wait is over
    aws.bucket()
    aws.http_domain(cert, version=aws.put(certs.good))
    run = domain(cli, "--region", REGION)
    [f] = run.findings("DOMAIN_CERT_NOT_ISSUED")
    assert f["evidence"]["status"] == "PENDING_VALIDATION"
    assert run.rc == 1


def test_issuer_conflict(cli, aws, certs):
    # moto's list_certificates / describe_certificate carry DomainName, Subject and Issuer
    cert = aws.import_cert(certs.server, certs.server_root)
    other = aws.import_cert(certs.other_server, certs.other_root)
    aws.bucket()
    aws.http_domain(cert, version=aws.put(certs.good))
    run = domain(cli, "--region", REGION)
    [f] = run.findings("DOMAIN_ISSUER_CONFLICT")
    assert f["severity"] == "error"
    assert f["subject"] == f"CN={NAME}"
    assert [c["arn"] for c in f["evidence"]["conflicts"]] == [other]
    assert f["evidence"]["certificate"]["arn"] == cert
    assert run.rc == 1


# --- not found ------------------------------------------------------------------------------------

def test_unknown_domain_scans_then_is_not_found(cli, aws, monkeypatch):
    run = domain(cli, name="nowhere.mtls-doctor.test")
    assert run.rc == 1
    [f] = run.findings("DOMAIN_NOT_FOUND")
    assert f["severity"] == "error"
    assert run.doc["domain"]["name"] == "nowhere.mtls-doctor.test"
    assert "other regions" in f["detail"]
    assert [i for i in run.ids() if i.startswith("AWS_")] == []


def test_unknown_domain_with_region_is_not_scanned(cli, aws, monkeypatch):
    asked: list[str] = []
    original = Aws.regions

    def regions(self: Aws, service: str) -> list[str]:
        asked.append(service)
        return original(self, service)

    monkeypatch.setattr(Aws, "regions", regions)
    run = domain(cli, "--region", "eu-west-3", name="nowhere.mtls-doctor.test")
    assert run.rc == 1
    [f] = run.findings("DOMAIN_NOT_FOUND")
    assert f["evidence"]["region"] == "eu-west-3"
    assert f["evidence"]["region_source"] == "option"
    assert run.doc["domain"]["region"] == "eu-west-3"
    assert asked == []


# --- faults ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "region_env"), [((), True), (("--region", REGION), True),
                                                  ((), False)])
def test_no_credentials(cli, aws, certs, monkeypatch, args, region_env):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    if not region_env:
        monkeypatch.delenv("AWS_DEFAULT_REGION")
    run = domain(cli, *args)
    [f] = run.findings("AWS_NO_CREDENTIALS")
    assert f["severity"] == "warning"
    assert "DOMAIN_NOT_FOUND" not in run.ids()  # nothing was looked up: nothing proven absent
    checks = {c["id"]: c["status"] for c in run.doc["checks"]}
    assert checks["domain.found"] == "unknown"  # never a pass, never "not found"
    assert "pass" not in {v for k, v in checks.items() if k != "domain.aws"}
    assert run.doc["domain"]["found"] is None
    assert run.rc == 1  # nothing about the domain could be decided
    assert run.err == ""


def test_access_denied_on_one_call(cli, aws, certs, acm_issues_at_once):
    cert = aws.request_cert()
    aws.bucket(versioned=False)
    aws.put(certs.weak)
    aws.http_domain(cert)
    api = aws.http_api(disabled=False)
    aws.proxy.fail("s3", "GetBucketVersioning", "denied")  # S3's 403 AccessDenied
    run = domain(cli, "--region", REGION)
    [f] = run.findings("AWS_ACCESS_DENIED")
    assert f["severity"] == "error"
    assert f["evidence"]["action"] == "s3:GetBucketVersioning"
    assert "s3:GetBucketVersioning" in f["title"]
    assert f["evidence"]["calls"] == ["s3.GetBucketVersioning"]
    # the other checks went on
    assert run.findings("DOMAIN_EXECUTE_API_ENABLED")[0]["evidence"]["api_id"] == api
    assert "TRUSTSTORE_WEAK_SIGNATURE_HASH" in run.ids()
    assert run.doc["domain"]["truststore_object"]["versioning"] == "unknown"
    assert "DOMAIN_TRUSTSTORE_VERSIONING_OFF" not in run.ids()  # not known, not claimed
    checks = {c["id"]: c for c in run.doc["checks"]}
    assert checks["domain.truststore"]["status"] == "unknown"
    assert "s3.GetBucketVersioning" in checks["domain.truststore"]["detail"]
    assert checks["domain.truststore_content"]["status"] == "fail"  # the content was read
    assert run.rc == 1


@pytest.mark.timeout(45)
def test_unreachable_endpoint(cli, aws, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{refusing_port()}")
    run = domain(cli, "--region", REGION, "--timeout", "1")
    found = run.findings("AWS_UNREACHABLE")
    assert found, run.doc["findings"]
    # refused at once, retried, until the deadline: unreachable or timed out, one finding id
    assert {f["evidence"]["status"] for f in found} <= {"unreachable", "timed_out"}
    assert "DOMAIN_NOT_FOUND" not in run.ids()
    assert {c["id"]: c["status"] for c in run.doc["checks"]}["domain.found"] == "unknown"
    assert run.rc == 1


# --- snapshots ------------------------------------------------------------------------------------

def test_save_then_replay_without_aws(cli, aws, certs, monkeypatch, tmp_path, acm_issues_at_once):
    made = healthy_http(aws, certs, disabled=False, content=certs.weak)
    aws.put(certs.good)  # stale
    aws.dns.table[NAME] = DnsAnswer("old-lb.example.net", (NAME,), ("192.0.2.99",))
    aws.dns.table[REGIONAL] = DnsAnswer(REGIONAL, (), ("198.51.100.7",))
    saved = tmp_path / "facts.json"
    live = domain(cli, "--region", REGION, "--save", str(saved))
    assert {"DOMAIN_EXECUTE_API_ENABLED", "DOMAIN_TRUSTSTORE_STALE", "DOMAIN_DNS_ELSEWHERE",
            "TRUSTSTORE_WEAK_SIGNATURE_HASH"} <= set(live.ids())
    text = saved.read_text()
    snap = json.loads(text)
    assert snap["format"] == "mtls-doctor/aws-snapshot/v1"
    assert base64.b64decode(snap["domain"]["truststore_object"]["content"]) == certs.weak
    assert "testing" not in text  # no credentials in the facts

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{refusing_port()}")
    monkeypatch.setattr(collect, "collect_domain", _no_aws)
    replay = domain(cli, "--aws-snapshot", str(saved))
    assert replay.rc == live.rc
    assert [(f["id"], f["severity"], f["detail"]) for f in replay.doc["findings"]] == \
        [(f["id"], f["severity"], f["detail"]) for f in live.doc["findings"]]
    assert replay.doc["domain"] == live.doc["domain"]
    assert replay.doc["domain"]["mtls"]["truststore_version"] == made["version"]


def _no_aws(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a snapshot replay called AWS")


def test_save_then_replay_carries_routing_rules_stages_and_authorizers(
        cli, aws, certs, monkeypatch, tmp_path, acm_issues_at_once):
    rule_domain(aws, certs, mode="ROUTING_RULE_THEN_BASE_PATH_MAPPING")
    aws.rest_api(disabled=True, base_path="v1", stage="prod")
    saved = tmp_path / "facts.json"
    live = domain(cli, "--region", REGION, "--save", str(saved))
    d = live.doc["domain"]
    assert d["routing_rules"] and d["stages"] and d["authorizers"] and d["mappings"]
    assert d["endpoint_access_mode"] == "BASIC"
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{refusing_port()}")
    monkeypatch.setattr(collect, "collect_domain", _no_aws)
    replay = domain(cli, "--aws-snapshot", str(saved))
    assert replay.doc["domain"] == live.doc["domain"]
    assert [(f["id"], f["detail"]) for f in replay.doc["findings"]] == \
        [(f["id"], f["detail"]) for f in live.doc["findings"]]
    assert replay.doc["checks"] == live.doc["checks"]


def test_snapshot_from_before_routing_rules_skips_their_checks(cli, aws, certs, tmp_path,
                                                               acm_issues_at_once):
    healthy_http(aws, certs)
    saved = tmp_path / "facts.json"
    domain(cli, "--region", REGION, "--save", str(saved))
    doc = json.loads(saved.read_text())
    for key in ("routing_rules", "routing_rules_read", "stages", "authorizers", "routing_mode",
                "endpoint_access_mode", "ip_address_type", "domain_name_id"):
        doc["domain"].pop(key)
    for fact in ("routing_rules", "stages", "authorizers"):
        doc["domain"]["evidence"].pop(fact)
    saved.write_text(json.dumps(doc))
    run = domain(cli, "--aws-snapshot", str(saved))
    checks = {c["id"]: c for c in run.doc["checks"]}
    assert checks["domain.access_logs"]["status"] == "skip"
    assert "older mtls-doctor" in checks["domain.access_logs"]["detail"]
    assert checks["domain.revocation"]["status"] == "skip"
    assert checks["domain.mappings"]["status"] == "pass"
    assert run.rc == 0, run.doc["findings"]


def test_snapshot_of_another_domain(cli, aws, certs, tmp_path, acm_issues_at_once):
    healthy_http(aws, certs)
    saved = tmp_path / "facts.json"
    domain(cli, "--region", REGION, "--save", str(saved))
    run = cli("domain", "other.mtls-doctor.test", "--aws-snapshot", str(saved))
    assert run.rc == 2
    one_line(run.err)
    assert NAME in run.err and "other.mtls-doctor.test" in run.err
    assert run.out == ""


@pytest.mark.parametrize("content", [b"{not json", b'{"format": "something/else"}',
                                     b'{"format": "mtls-doctor/aws-snapshot/v1", "domain": {}}',
                                     b"\xff\xfe\x00garbage"])
def test_corrupt_snapshot(cli, tmp_path, content):
    bad = tmp_path / "facts.json"
    bad.write_bytes(content)
    run = cli("domain", NAME, "--aws-snapshot", str(bad))
    assert run.rc == 2
    one_line(run.err)
    assert str(bad) in run.err


@pytest.mark.parametrize(("key", "value"), [("region", 5), ("status", 5),
                                            ("endpoint_type", ["EDGE"]), ("security_policy", 1)])
def test_snapshot_with_wrong_types(cli, tmp_path, monkeypatch, key, value):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where a crash report would go
    doc = {"format": "mtls-doctor/aws-snapshot/v1",
           "domain": {"name": NAME, "region": REGION, "region_source": "option", "found": True,
                      "api_type": "http", "endpoint_type": "REGIONAL", "status": "AVAILABLE",
                      "security_policy": "TLS_1_2", key: value}}
    bad = tmp_path / "facts.json"
    bad.write_text(json.dumps(doc))
    run = cli("domain", NAME, "--aws-snapshot", str(bad))
    assert run.rc == 2, run.err
    one_line(run.err)


def _poke(doc: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    """Set doc[path] = value; "*" is the first key of a mapping."""
    node: Any = doc
    for step in path[:-1]:
        node = node[next(iter(node))] if step == "*" else node[step]
    node[path[-1]] = value


@pytest.mark.parametrize(("path", "value"), [
    (("certificates", "*", "type"), 5),
    (("mtls", "truststore_warnings"), [5]),
    (("truststore_object", "versioning"), 5),
    (("mappings", 0, "base_path"), 5),
    (("attempts",), [{"call": 5, "status": "ok", "action": 5, "code": 5, "reason": 5}]),
    (("evidence", "domain", "status"), "no-such-status"),
    (("found",), "yes"),
    (("stages", 0, "auto_deploy"), "yes"),
    (("stages", 0, "stage"), None),
    (("authorizers", 0, "unprotected_count"), "3"),
    (("routing_rules",), "r1"),
    (("routing_mode",), ["ROUTING_RULE_ONLY"]),
])
def test_snapshot_with_wrong_nested_types(cli, aws, certs, tmp_path, monkeypatch,
                                          acm_issues_at_once, path, value):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where a crash report would go
    healthy_http(aws, certs, disabled=False)
    saved = tmp_path / "facts.json"
    domain(cli, "--region", REGION, "--save", str(saved))
    doc = json.loads(saved.read_text())
    _poke(doc["domain"], path, value)
    saved.write_text(json.dumps(doc))
    run = cli("domain", NAME, "--aws-snapshot", str(saved))
    assert run.rc == 2, run.err
    one_line(run.err)


def test_save_to_an_unwritable_place(cli, aws, certs, tmp_path, acm_issues_at_once):
    healthy_http(aws, certs)
    run = cli("domain", NAME, "--region", REGION, "--save", str(tmp_path / "no" / "such" / "f.json"))
    assert run.rc == 2
    one_line(run.err)
    assert run.out == ""


def test_missing_snapshot_file(cli, tmp_path):
    run = cli("domain", NAME, "--aws-snapshot", str(tmp_path / "nope.json"))
    assert run.rc == 2
    one_line(run.err)


# --- truststore s3:// -----------------------------------------------------------------------------

def test_truststore_reads_the_given_s3_version(cli, aws, certs):
    aws.bucket()
    v1 = aws.put(certs.good)
    v2 = aws.put(certs.weak)
    old = cli("truststore", f"{URI}?versionId={v1}")
    assert old.rc == 0, old.err
    assert [c["subject"] for c in old.doc["certificates"]] == ["CN=Client Root", "CN=Client Issuing CA"]
    assert old.doc["source"]["name"] == f"{URI}?versionId={v1}"
    latest = cli("truststore", URI)
    assert latest.rc == 1
    assert [c["subject"] for c in latest.doc["certificates"]] == ["CN=Client Root", "CN=Weak Root"]
    assert "TRUSTSTORE_WEAK_SIGNATURE_HASH" in latest.ids()
    assert v2 != v1


def test_truststore_missing_s3_object(cli, aws):
    aws.bucket()
    run = cli("truststore", f"s3://{BUCKET}/missing.pem")
    assert run.rc == 2
    one_line(run.err)
    assert "NoSuchKey" in run.err and f"s3://{BUCKET}/missing.pem" in run.err
    assert run.out == ""


# --- the JSON payload -------------------------------------------------------------------------------

def test_domain_payload_has_the_contract_keys(cli, aws, certs, acm_issues_at_once):
    made = healthy_http(aws, certs)
    run = domain(cli, "--region", REGION)
    assert run.doc["command"] == "domain"
    d = run.doc["domain"]
    assert set(d) >= DOMAIN_KEYS
    assert d["name"] == NAME and d["region"] == REGION
    assert d["certificate_arn"] == made["cert"]
    assert d["regional_domain_name"] == REGIONAL
    assert set(d["mtls"]) >= {"truststore_uri", "truststore_version", "truststore_warnings"}
    for m in d["mappings"]:
        assert set(m) >= {"api_id", "stage", "base_path", "execute_api_endpoint_disabled"}
    assert isinstance(d["certificates"], dict) and made["cert"] in d["certificates"]
    assert set(d["truststore_object"]) >= {"latest_version", "configured_version", "versioning"}
    assert "content" not in d["truststore_object"]
    flat = json.dumps(run.doc)
    assert "BEGIN CERTIFICATE" not in flat
    assert certs.good.hex() not in flat
    assert base64.b64encode(certs.good).decode() not in flat


def test_not_found_payload_is_still_a_domain_object(cli, aws):
    run = domain(cli, "--region", REGION, name="nowhere.mtls-doctor.test")
    d = run.doc["domain"]
    assert set(d) >= DOMAIN_KEYS
    assert (d["mtls"], d["mappings"], d["truststore_object"]) == (None, [], None)
    checks = {c["id"]: c["status"] for c in run.doc["checks"]}
    assert checks["domain.found"] == "fail"
    assert checks["domain.mtls"] == "skip"


def test_text_report_of_a_domain(cli, aws, certs, acm_issues_at_once):
    made = healthy_http(aws, certs, disabled=False, content=certs.weak)
    run = cli("domain", NAME, "--region", REGION, "--format", "text", json_out=False)
    assert run.rc == 1, run.err
    assert run.err == ""
    assert NAME in run.out
    assert "DOMAIN_EXECUTE_API_ENABLED" in run.out
    assert made["api"] in run.out


def test_name_is_normalised(cli, aws, certs, acm_issues_at_once):
    healthy_http(aws, certs)
    run = domain(cli, "--region", REGION, name=NAME.upper() + ".")
    assert run.doc["domain"]["name"] == NAME
    assert "DOMAIN_NOT_FOUND" not in run.ids()


# --- import hygiene ----------------------------------------------------------------------------------

def test_domain_command_imports_no_boto3():
    code = ("import sys, json\n"
            "import mtls_doctor.cli, mtls_doctor.commands.domain, mtls_doctor.aws.findings, "
            "mtls_doctor.aws.snapshot\n"
            "print(json.dumps(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('boto3', 'botocore', 's3transfer', 'moto'))))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False, cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []


def test_certificates_are_valid_now(certs):
    """The fixtures' premise: ACM imports them (not expired), and the soon one is inside 30 days."""
    now = datetime.now(UTC)
    assert certs.server.cert.not_valid_after_utc > now + timedelta(days=300)
    assert now < certs.server_soon.cert.not_valid_after_utc < now + timedelta(days=30)


def test_every_domain_and_aws_id_was_produced(request):
    """Runs last: every DOMAIN_*/AWS_* id of the catalog came out of a real `domain` run above."""
    from mtls_doctor.model.catalog import CATALOG, RESERVED

    here = request.node.module
    wanted = {n for n in dir(here) if n.startswith("test_") and n != request.node.originalname}
    ran = {i.originalname for i in request.session.items if i.module is here}
    if not wanted <= ran:
        pytest.skip("only part of this module ran")
    ids = {i for i in CATALOG if i.startswith(("DOMAIN_", "AWS_"))} - RESERVED
    # faults that need a misbehaving AWS come from the fault proxy in test_aws_faults.py
    ids -= {"AWS_ERROR", "AWS_THROTTLED", "AWS_REGION_NOT_ENABLED"}
    assert ids - PRODUCED == set()


# --- many APIs: the region's listing instead of one call each -----------------------------------------

def test_many_apis_are_read_from_the_region_listing(cli, aws, certs, acm_issues_at_once):
    from mtls_doctor.aws.served import LIST_AT

    cert = aws.request_cert()
    aws.bucket()
    aws.http_domain(cert, version=aws.put(certs.good))
    apis = [aws.http_api(disabled=i % 2 == 0, key=f"v{i}") for i in range(LIST_AT)]
    run = domain(cli, "--region", REGION)
    assert len(aws.proxy.seen("apigatewayv2", "GetApis")) == 1
    assert aws.proxy.seen("apigatewayv2", "GetApi") == []
    disabled = {m["api_id"]: m["execute_api_endpoint_disabled"] for m in run.doc["domain"]["mappings"]}
    assert disabled == {a: i % 2 == 0 for i, a in enumerate(apis)}
    assert {f["evidence"]["api_id"] for f in run.findings("DOMAIN_EXECUTE_API_ENABLED")} == \
        {a for i, a in enumerate(apis) if i % 2}
    assert aws_answered(run)


def test_many_rest_apis_are_read_from_the_region_listing(cli, aws, certs, acm_issues_at_once):
    from mtls_doctor.aws.served import LIST_AT

    aws.rest_domain(aws.request_cert())
    apis = [aws.rest_api(disabled=i % 2 == 1, base_path=f"v{i}") for i in range(LIST_AT)]
    run = domain(cli, "--region", REGION)
    assert len(aws.proxy.seen("apigateway", "GetRestApis")) == 1
    assert aws.proxy.seen("apigateway", "GetRestApi") == []
    exposed = {f["evidence"]["api_id"] for f in run.findings("DOMAIN_EXECUTE_API_ENABLED")}
    assert exposed == {a for i, a in enumerate(apis) if i % 2 == 0}
