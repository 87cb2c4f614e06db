"""`mtls-doctor traffic NAME` against moto's server mode holding real CloudWatch Logs log groups
with events written the way API Gateway writes them (a JSON format and the default CLF with
the client certificate's fields added), for an HTTP API custom domain whose stages log there.

The partners: `alpha` (issued under CA A, accepted today, refused by the candidate bundle that
drops CA A), `beta` (CA B, accepted by both), `soon` (CA B, expires in 10 days), `expired`
(CA B, expired), `stranger` (a CA in neither bundle: refused, "Could not find issuer").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests import test_domain
from tests.conftest import Run
from tests.pki_factory import PKI, Issued, pem_bundle
from tests.test_domain import NAME, REGION, Moto

# the fixtures of the `domain` tests: moto on loopback behind the fault proxy
moto_endpoint = test_domain.moto_endpoint
aws = test_domain.aws
acm_issues_at_once = test_domain.acm_issues_at_once

pytestmark = pytest.mark.timeout(180)

ACCOUNT = "123456789012"

#: a JSON access log format with the client certificate and the error (HTTP APIs' console
#: offers JSON; these are the variables the mTLS guide names)
JSON_FORMAT = json.dumps({
    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime", "routeKey": "$context.routeKey",
    "status": "$context.status", "error": "$context.error.message",
    "responseType": "$context.error.responseType",
    "clientCert": {"pem": "$context.identity.clientCert.clientCertPem",
                   "subject": "$context.identity.clientCert.subjectDN",
                   "issuer": "$context.identity.clientCert.issuerDN",
                   "serial": "$context.identity.clientCert.serialNumber",
                   "notBefore": "$context.identity.clientCert.validity.notBefore",
                   "notAfter": "$context.identity.clientCert.validity.notAfter"}})
#: the default CLF of the console (no client certificate fields at all)
CLF = ('$context.identity.sourceIp - - [$context.requestTime] "$context.httpMethod '
       '$context.routeKey $context.protocol" $context.status $context.responseLength '
       '$context.requestId')
#: the default CLF with the certificate's names and the error added (no PEM)
CLF_NAMES = (CLF + ' "$context.identity.clientCert.subjectDN" '
             '"$context.identity.clientCert.issuerDN" $context.identity.clientCert.serialNumber '
             '"$context.identity.clientCert.validity.notAfter" "$context.error.message"')

ISSUER_MISSING = "Access denied. Reason: Could not find issuer for certificate"
EXPIRED_MSG = "Access denied. Reason: certificate has expired"


@dataclass(frozen=True)
class Partners:
    ca_a: list[Issued]
    ca_b: list[Issued]
    alpha: Issued
    beta: Issued
    soon: Issued
    expired: Issued
    stranger: Issued

    @property
    def today(self) -> bytes:
        return pem_bundle([*self.ca_a, *self.ca_b])

    @property
    def candidate(self) -> bytes:
        return pem_bundle(self.ca_b)


@pytest.fixture(scope="module")
def partners() -> Partners:
    pki = PKI(datetime.now(UTC), key_offset=1200)
    ca_a = pki.chain(2, prefix="Partner A")
    ca_b = pki.chain(2, prefix="Partner B")
    other = pki.chain(2, prefix="Unknown")
    return Partners(
        ca_a, ca_b,
        alpha=pki.leaf(ca_a[-1], "alpha-client", sans=(), eku=("clientAuth",)),
        beta=pki.leaf(ca_b[-1], "beta-client", sans=(), eku=("clientAuth",)),
        soon=pki.leaf(ca_b[-1], "soon-client", sans=(), eku=("clientAuth",), days_valid=10),
        expired=pki.leaf(ca_b[-1], "expired-client", sans=(), eku=("clientAuth",),
                         expired=True),
        stranger=pki.leaf(other[-1], "stranger-client", sans=(), eku=("clientAuth",)))


# --- API Gateway's side: stages that log, and their events -------------------------------------

def _gmt(dt: datetime | None) -> str:
    return "-" if dt is None else dt.strftime("%b %d %H:%M:%S %Y GMT")


def values_of(cert: Issued | None, status: int, message: str | None = None,
              response_type: str | None = None, n: int = 0) -> dict[str, str]:
    """Every variable's value for one request, as API Gateway fills them in (`-`: none)."""
    out = {"$context.requestId": f"req-{n:08d}", "$context.identity.sourceIp": "198.51.100.7",
           "$context.requestTime": "29/Nov/2026:19:00:00 +0000", "$context.routeKey": "GET /",
           "$context.httpMethod": "GET", "$context.protocol": "HTTP/1.1",
           "$context.status": str(status), "$context.responseLength": "12",
           "$context.error.message": message or "-",
           "$context.error.responseType": response_type or "-"}
    c = "$context.identity.clientCert."
    if cert is None:
        out.update({c + k: "-" for k in ("clientCertPem", "subjectDN", "issuerDN",
                                         "serialNumber", "validity.notBefore",
                                         "validity.notAfter")})
        return out
    x = cert.cert
    out.update({c + "clientCertPem": cert.pem.decode(),
                c + "subjectDN": x.subject.rfc4514_string(),
                c + "issuerDN": x.issuer.rfc4514_string(),
                c + "serialNumber": format(x.serial_number, "X"),
                c + "validity.notBefore": _gmt(x.not_valid_before_utc),
                c + "validity.notAfter": _gmt(x.not_valid_after_utc)})
    return out


def write_line(template: str, values: dict[str, str]) -> str:
    """The log line API Gateway writes for `template` (JSON values escaped as JSON strings)."""
    import re

    is_json = template.lstrip().startswith("{")

    def sub(m: re.Match[str]) -> str:
        value = values.get(m.group(0), "-")
        return json.dumps(value)[1:-1] if is_json else value

    return re.sub(r"\$context\.[A-Za-z0-9_.]*[A-Za-z0-9_]", sub, template)


def log_group_arn(name: str) -> str:
    return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}"


def put_events(aws: Moto, group: str, lines: Sequence[str], *, start: datetime | None = None,
               batch: int = 5000) -> None:
    logs = aws.client("logs")
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="stream-1")
    base = int((start or datetime.now(UTC) - timedelta(hours=2)).timestamp() * 1000)
    for i in range(0, len(lines), batch):
        logs.put_log_events(logGroupName=group, logStreamName="stream-1", logEvents=[
            {"timestamp": base + i + j, "message": line}
            for j, line in enumerate(lines[i:i + batch])])


def http_stage(aws: Moto, key: str, *, log_format: str | None, group: str | None) -> str:
    """An HTTP API mapped at `key` with its stage `prod` logging to `group` in `log_format`."""
    v2 = aws.client("apigatewayv2")
    api_id: str = v2.create_api(Name=f"orders-{key}", ProtocolType="HTTP",
                                DisableExecuteApiEndpoint=True)["ApiId"]
    extra: dict[str, Any] = {}
    if group is not None and log_format is not None:
        extra["AccessLogSettings"] = {"DestinationArn": log_group_arn(group),
                                      "Format": log_format}
    v2.create_stage(ApiId=api_id, StageName="prod", **extra)
    v2.create_api_mapping(DomainName=NAME, ApiId=api_id, Stage="prod", ApiMappingKey=key)
    return api_id


def domain(aws: Moto, truststore: bytes) -> None:
    cert = aws.request_cert()
    aws.bucket()
    version = aws.put(truststore)
    aws.http_domain(cert, version=version)


def logged_window(aws: Moto, p: Partners, *extra: dict[str, str]) -> None:
    """The domain (trusting CA A and CA B) with one HTTP stage whose access log (JSON, log
    group orders-access) holds the partners' window: 100 requests (alpha 60, beta 30, soon 5
    accepted; expired 3 and stranger 2 refused), then `extra` (values_of's requests)."""
    domain(aws, p.today)
    http_stage(aws, "orders", log_format=JSON_FORMAT, group="orders-access")
    requests = (
        [values_of(p.alpha, 200, n=i) for i in range(60)]
        + [values_of(p.beta, 200, n=100 + i) for i in range(30)]
        + [values_of(p.soon, 200, n=200 + i) for i in range(5)]
        + [values_of(p.expired, 403, EXPIRED_MSG, "ACCESS_DENIED", n=300 + i) for i in range(3)]
        + [values_of(p.stranger, 403, ISSUER_MISSING, "ACCESS_DENIED", n=400 + i)
           for i in range(2)]
        + list(extra))
    put_events(aws, "orders-access", [write_line(JSON_FORMAT, r) for r in requests])


def traffic(cli: Callable[..., Run], *args: str) -> Run:
    run = cli("traffic", NAME, "--region", REGION, "--timeout", "120", *args)
    assert run.rc in (0, 1), run.err
    assert "Traceback" not in run.err
    return run


def by_subject(run: Run) -> dict[str, dict[str, Any]]:
    return {c["subject"].split("=", 1)[1].split(",")[0]: c for c in run.doc["traffic"]["clients"]}


# --- the tests ----------------------------------------------------------------------------------

def test_json_traffic_verdicts_refusals_radar_and_rehearsal(cli, aws, partners, acm_issues_at_once,
                                                            write):
    logged_window(aws, partners)
    p = partners
    candidate = write("candidate.pem", p.candidate)
    run = traffic(cli, "--truststore", candidate)
    t = run.doc["traffic"]
    assert (t["events"], t["requests"], t["refused"]) == (100, 100, 5)
    [stage] = t["stages"]
    assert stage["read"] == "ok" and stage["format_kind"] == "json"
    assert {s["status"]: s["requests"] for s in stage["by_status"]} == {"200": 95, "403": 5}
    seen = by_subject(run)
    assert set(seen) == {"alpha-client", "beta-client", "soon-client", "expired-client",
                         "stranger-client"}
    assert seen["alpha-client"]["requests"] == 60 and seen["alpha-client"]["from_pem"]
    assert seen["alpha-client"]["verdict"]["accepted"] is True
    assert seen["alpha-client"]["candidate_verdict"]["reason"] == "ISSUER_NOT_IN_TRUSTSTORE"
    assert seen["beta-client"]["candidate_verdict"]["accepted"] is True
    assert seen["expired-client"]["verdict"]["reason"] == "EXPIRED"
    assert seen["stranger-client"]["verdict"]["reason"] == "ISSUER_NOT_IN_TRUSTSTORE"
    # the rehearsal: alpha breaks (60% of the traffic), nothing is fixed
    r = t["rehearsal"]
    assert r["breaks"] == [seen["alpha-client"]["ref"]] and r["breaks_share"] == 0.6
    assert set(r["still_refused"]) == {seen["expired-client"]["ref"],
                                       seen["stranger-client"]["ref"]}
    [brk] = run.findings("TRAFFIC_ROTATION_BREAKS_CLIENT")
    assert brk["severity"] == "error" and "alpha-client" in brk["subject"]
    assert any("verify-client" in c and "candidate.pem" in c for c in brk["fix"]["commands"])
    # refusals, by reason, each explained
    groups = {g["message"]: g for g in t["refusals"]}
    assert groups[ISSUER_MISSING]["finding"] == "CLIENT_REJECTED"
    assert groups[ISSUER_MISSING]["walkthrough"] == "client-rejected"
    assert groups[ISSUER_MISSING]["requests"] == 2
    assert len(run.findings("TRAFFIC_REFUSALS")) == 2
    # today's verdicts and the expiry radar (soon, and the expired one)
    rejected = {f["subject"] for f in run.findings("TRAFFIC_CLIENT_REJECTED")}
    assert {s.split("=", 1)[1].split(",")[0] for s in rejected} == {"expired-client",
                                                                      "stranger-client"}
    assert t["expiring"][0] == seen["soon-client"]["ref"]
    [soon] = run.findings("TRAFFIC_CLIENT_EXPIRES_SOON")
    assert "soon-client" in soon["subject"]
    checks = {c["id"]: c["status"] for c in run.doc["checks"]}
    assert checks["traffic.rotation"] == "fail" and checks["traffic.verdicts"] == "warn"
    assert checks["traffic.window"] == "pass" and run.rc == 1


def test_no_candidate_skips_the_rehearsal(cli, aws, partners, acm_issues_at_once):
    domain(aws, partners.today)
    http_stage(aws, "orders", log_format=JSON_FORMAT, group="orders-access")
    put_events(aws, "orders-access",
               [write_line(JSON_FORMAT, values_of(partners.beta, 200, n=i)) for i in range(10)])
    run = traffic(cli)
    assert run.doc["traffic"]["rehearsal"] is None
    checks = {c["id"]: c["status"] for c in run.doc["checks"]}
    assert checks["traffic.rotation"] == "skip"
    assert checks["traffic.verdicts"] == "pass" and checks["traffic.refusals"] == "pass"


def test_clf_without_pem_names_certificates_but_judges_none(cli, aws, partners,
                                                            acm_issues_at_once, write):
    domain(aws, partners.today)
    http_stage(aws, "names", log_format=CLF_NAMES, group="names-access")
    p = partners
    lines = ([write_line(CLF_NAMES, values_of(p.alpha, 200, n=i)) for i in range(4)]
             + [write_line(CLF_NAMES, values_of(p.stranger, 403, ISSUER_MISSING, n=9))])
    put_events(aws, "names-access", lines)
    run = traffic(cli, "--truststore", write("candidate.pem", p.candidate))
    t = run.doc["traffic"]
    assert t["requests"] == 5 and t["refused"] == 1
    seen = by_subject(run)
    # DNs with spaces and commas inside quotes are read whole; nothing is judged without a PEM
    assert seen["alpha-client"]["issuer"] == p.alpha.cert.issuer.rfc4514_string()
    assert seen["alpha-client"]["serial_number"] == format(p.alpha.cert.serial_number, "X")
    assert all(c["verdict"] is None and c["not_judged"] for c in t["clients"])
    [nj] = run.findings("TRAFFIC_CERTS_NOT_JUDGED")
    assert any("update-stage" in c and "clientCertPem" in c for c in nj["fix"]["commands"])
    assert t["rehearsal"]["breaks"] == [] and len(t["rehearsal"]["not_judged"]) == 2
    checks = {c["id"]: c["status"] for c in run.doc["checks"]}
    assert checks["traffic.verdicts"] == "unknown" and checks["traffic.rotation"] == "unknown"
    assert checks["traffic.expiry"] == "pass"
    assert not run.findings("TRAFFIC_ROTATION_BREAKS_CLIENT")
    assert groups_explained(t) == {ISSUER_MISSING: "CLIENT_REJECTED"}


def groups_explained(t: dict[str, Any]) -> dict[str, str | None]:
    return {g["message"]: g["finding"] for g in t["refusals"]}


def test_stage_without_logging_and_format_without_certificates(cli, aws, partners,
                                                               acm_issues_at_once):
    domain(aws, partners.today)
    http_stage(aws, "quiet", log_format=None, group=None)
    http_stage(aws, "plain", log_format=CLF, group="plain-access")
    put_events(aws, "plain-access", [write_line(CLF, values_of(None, 200, n=i))
                                     for i in range(7)])
    run = traffic(cli)
    t = run.doc["traffic"]
    logging = {s["api_id"]: s["logging"] for s in t["stages"]}
    assert sorted(logging.values()) == ["cloudwatch", "off"]
    assert t["requests"] == 7 and t["clients"] == [] and t["requests_without_certificate"] == 7
    checks = {c["id"]: c for c in run.doc["checks"]}
    assert checks["traffic.verdicts"]["status"] == "unknown"
    assert "clientCert" in checks["traffic.verdicts"]["detail"]
    # the AWS reading of the domain says what is missing, with the command that turns it on
    ids = run.ids()
    assert "DOMAIN_ACCESS_LOGS_MISSING" in ids and "DOMAIN_ACCESS_LOG_FORMAT_INCOMPLETE" in ids
    assert run.rc == 1


def test_50000_events_over_several_pages(cli, aws, partners, acm_issues_at_once):
    domain(aws, partners.today)
    http_stage(aws, "bulk", log_format=JSON_FORMAT, group="bulk-access")
    p = partners
    who = [p.alpha, p.beta, p.soon]
    lines = [write_line(JSON_FORMAT, values_of(who[i % 3], 200, n=i)) for i in range(50_000)]
    put_events(aws, "bulk-access", lines, batch=10_000)
    run = traffic(cli)
    t = run.doc["traffic"]
    assert t["events"] == 50_000 and t["requests"] == 50_000
    [stage] = t["stages"]
    assert stage["read"] == "ok" and stage["read_detail"].startswith("5 page")
    assert sorted(c["requests"] for c in t["clients"]) == [16_666, 16_667, 16_667]


def test_max_events_caps_the_window_and_says_so(cli, aws, partners, acm_issues_at_once):
    domain(aws, partners.today)
    http_stage(aws, "orders", log_format=JSON_FORMAT, group="orders-access")
    put_events(aws, "orders-access",
               [write_line(JSON_FORMAT, values_of(partners.beta, 200, n=i)) for i in range(50)])
    run = traffic(cli, "--max-events", "20")
    assert run.doc["traffic"]["events"] == 20
    [partial] = run.findings("TRAFFIC_WINDOW_PARTIAL")
    assert "--max-events" in " ".join(partial["fix"]["commands"])
    assert {c["id"]: c["status"] for c in run.doc["checks"]}["traffic.window"] == "warn"


def test_denied_log_read_is_unknown_not_quiet(cli, aws, partners, acm_issues_at_once,
                                             monkeypatch):
    from tests import aws_faults

    # CloudWatch Logs speaks AWS's JSON protocol, as ACM does
    monkeypatch.setitem(aws_faults.PROTOCOLS, "logs", "json")
    domain(aws, partners.today)
    http_stage(aws, "orders", log_format=JSON_FORMAT, group="orders-access")
    put_events(aws, "orders-access",
               [write_line(JSON_FORMAT, values_of(partners.beta, 200, n=i)) for i in range(5)])
    aws.proxy.fail("logs", "FilterLogEvents", "denied", times=None)
    run = traffic(cli)
    assert "AWS_ACCESS_DENIED" in run.ids()
    checks = {c["id"]: c["status"] for c in run.doc["checks"]}
    assert checks["traffic.refusals"] == "unknown" and checks["traffic.verdicts"] == "unknown"
    assert run.rc == 1


def test_redact_hides_subjects_and_serials_from_logs(cli, aws, partners, acm_issues_at_once):
    domain(aws, partners.today)
    http_stage(aws, "orders", log_format=JSON_FORMAT, group="orders-access")
    put_events(aws, "orders-access",
               [write_line(JSON_FORMAT, values_of(partners.alpha, 200, n=i)) for i in range(3)])
    run = traffic(cli, "--redact")
    assert "alpha-client" not in run.out and "Partner A" not in run.out
    assert NAME not in run.out and "orders-access" not in run.out
