"""`mtls-doctor fix NAME` against moto's server mode behind the recording proxy: a dry run writes
nothing, `--apply` changes exactly the planned resources and the re-check clears the finding, a
failure midway rolls back, the journal keeps every call, and every other command only reads.

moto 5 lacks apigatewayv2 UpdateDomainName: tests/fix_aws.py stands in for it, writing into
moto's own domain. REST domains' GetDomainName is a recorded answer (moto drops their mutual TLS
settings); their APIs and stages are moto's."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mtls_doctor.apply import journal
from mtls_doctor.apply.execute import Pacing
from mtls_doctor.apply.plan import is_read
from mtls_doctor.aws import collect
from mtls_doctor.aws.findings_served import recommended_log_format
from mtls_doctor.commands.fix import FixOptions, run_fix
from mtls_doctor.pki.load import load_certificates
from mtls_doctor.report.json import document
from tests.aws_faults import Seen
from tests.conftest import Run
from tests.fix_aws import ApplyProxy, moto_domain
from tests.pki_factory import pem_bundle
from tests.test_domain import (
    BUCKET,
    GOOD_LOG_FORMAT,
    KEY,
    NAME,
    REGION,
    Certs,
    Dns,
    Moto,
    _reset,
    acm_issues_at_once,
    certs,
    clean_aws_env,
    moto_endpoint,
    record_rest,
    rest_view,
)

__all__ = ["acm_issues_at_once", "certs", "moto_endpoint"]

pytestmark = pytest.mark.timeout(120)
FAST = Pacing(update_interval=0.0, poll_interval=0.05, version_tries=3)


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Moto]:
    """moto behind the apply proxy (AWS_ENDPOINT_URL), the journal under tmp_path."""
    _reset(moto_endpoint)
    proxy = ApplyProxy(moto_endpoint, name=NAME).start()
    try:
        clean_aws_env(monkeypatch, tmp_path, proxy.url)
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
        dns = Dns()
        monkeypatch.setattr(collect, "lookup", dns.lookup)
        yield Moto(moto_endpoint, dns, proxy)
    finally:
        proxy.stop()


def writes(proxy: ApplyProxy) -> list[str]:
    """Every call the proxy saw that is not a read."""
    return [s.call for s in proxy.seen() if not read_only(s)]


def read_only(s: Seen) -> bool:
    # CloudWatch Logs' FilterLogEvents reads (traffic); STS GetCallerIdentity reads
    return is_read(s.operation) or s.operation == "FilterLogEvents"


def fix(*, apply: bool = False, **over: Any) -> dict[str, Any]:
    """`fix NAME` run in-process with fast pacing; the JSON document, plus `rc`."""
    from datetime import UTC, datetime

    now = datetime.now(UTC).replace(microsecond=0)
    over.setdefault("yes", apply)
    opts = FixOptions(NAME, now, now, region=REGION, apply=apply, pacing=FAST, **over)
    report = run_fix(opts)
    doc = json.loads(json.dumps(document(report), default=str))
    doc["rc"] = report.exit_code
    return doc


def stale_http(aws: Moto, certs: Certs) -> tuple[str, str]:
    """An HTTP API domain pinned to v1 while S3 holds a newer v2 (both good bundles)."""
    cert = aws.request_cert()
    aws.bucket()
    v1 = aws.put(certs.good)
    v2 = aws.put(certs.good + certs.client_root.pem)  # the same CAs, one copy more
    assert v1 and v2
    aws.http_domain(cert, version=v1)
    aws.http_api(disabled=True)
    return v1, v2


def pinned_rest(aws: Moto, certs: Certs, *, disabled: bool = True) -> str:
    """A REST domain pinned to the one version of a good bundle (GetDomainName recorded), its
    API mapped with the default endpoint off (`disabled`) or on: the API id."""
    cert = aws.request_cert()
    aws.bucket()
    version = aws.put(certs.good)
    view = rest_view(cert, mutualTlsAuthentication={
        "truststoreUri": f"s3://{BUCKET}/{KEY}", "truststoreVersion": version,
        "truststoreWarnings": []})
    return record_rest(aws, view, disabled=disabled)


def plans(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in doc["plan"]["plans"]}


# --- pin the newest version ------------------------------------------------------------------------

def test_dry_run_plans_the_pin_and_writes_nothing(cli: Callable[..., Run], aws, certs,
                                                  acm_issues_at_once):
    v1, v2 = stale_http(aws, certs)
    run = cli("fix", NAME, "--region", REGION)
    assert run.rc == 0, run.err
    assert run.doc["command"] == "fix"
    pin = plans(run.doc)["pin"]
    [call] = pin["calls"]
    assert (call["service"], call["operation"]) == ("apigatewayv2", "UpdateDomainName")
    assert call["params"]["MutualTlsAuthentication"] == {
        "TruststoreUri": f"s3://{BUCKET}/{KEY}", "TruststoreVersion": v2}
    assert pin["rollback"]["previous"]["truststore_version"] == v1
    [back] = pin["rollback"]["calls"]
    assert back["params"]["MutualTlsAuthentication"]["TruststoreVersion"] == v1
    assert any(p["name"] == "lint of the new bundle" and p["status"] in ("pass", "warn")
               for p in pin["preflight"])
    assert "DOMAIN_TRUSTSTORE_STALE" in run.ids()
    assert writes(aws.proxy) == [], writes(aws.proxy)
    assert aws.proxy.seen()  # it did read
    assert moto_domain(NAME, REGION).mutual_tls_authentication["truststoreVersion"] == v1
    text = cli("fix", NAME, "--region", REGION, json_out=False)
    assert "Plan pin" in text.out and "dry run" in text.out, text.out


def test_apply_pins_exactly_the_planned_version_and_the_recheck_clears_it(aws, certs,
                                                                          acm_issues_at_once):
    _, v2 = stale_http(aws, certs)
    doc = fix(apply=True)
    assert doc["rc"] == 0, doc["plan"]["outcome"]
    assert writes(aws.proxy) == ["apigatewayv2.UpdateDomainName"]
    [update] = aws.proxy.updates
    assert update["mutualTlsAuthentication"] == {"truststoreUri": f"s3://{BUCKET}/{KEY}",
                                                 "truststoreVersion": v2}
    assert moto_domain(NAME, REGION).mutual_tls_authentication["truststoreVersion"] == v2
    outcome = doc["plan"]["outcome"]
    assert outcome["ok"] is True
    assert [k.split()[0] for k in outcome["gone"]] == ["DOMAIN_TRUSTSTORE_STALE"]
    assert outcome["still"] == []
    lines = journal.run_entries(outcome["run_id"])
    assert [(e["call"]["operation"], e["status"]) for e in lines] == [("UpdateDomainName", "ok")]
    assert "Body" not in json.dumps(lines)  # nothing but the call's own parameters


def test_rollback_of_a_journalled_run_puts_the_old_version_back(aws, certs, acm_issues_at_once):
    v1, v2 = stale_http(aws, certs)
    run_id = fix(apply=True)["plan"]["outcome"]["run_id"]
    assert moto_domain(NAME, REGION).mutual_tls_authentication["truststoreVersion"] == v2
    doc = fix(rollback=run_id, yes=True)
    assert doc["rc"] == 0, doc["plan"]["outcome"]
    assert moto_domain(NAME, REGION).mutual_tls_authentication["truststoreVersion"] == v1
    again = fix(rollback=run_id, yes=True)
    assert again["rc"] == 1 and "already" in again["plan"]["outcome"]["message"]


def test_apply_without_a_terminal_or_yes_is_refused(cli, aws, certs, acm_issues_at_once,
                                                    monkeypatch):
    stale_http(aws, certs)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    run = cli("fix", NAME, "--region", REGION, "--apply")
    assert run.rc == 2
    assert "--yes" in run.err and run.err.count("\n") == 1
    assert writes(aws.proxy) == []


# --- a corrected truststore ---------------------------------------------------------------------------

def messy_http(aws: Moto, certs: Certs, *, encrypted: bool = True) -> str:
    """An HTTP API domain pinned to a bundle with a SHA-1 root and a duplicate root."""
    cert = aws.request_cert()
    aws.bucket()
    if encrypted:
        aws.client("s3").put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    bundle = pem_bundle([certs.client_ca, certs.weak_root, certs.client_root,
                         certs.client_root])
    v1 = aws.put(bundle)
    assert v1
    aws.http_domain(cert, version=v1)
    aws.http_api(disabled=True)
    return v1


def test_truststore_plan_diff_and_dry_run(aws, certs, acm_issues_at_once, write):
    messy_http(aws, certs)
    extra = write("extra-root.pem", certs.other_root.pem)
    doc = fix(add_ca=(extra,))
    assert doc["rc"] == 0, doc["plan"]
    plan = plans(doc)["truststore"]
    diff = plan["diff"]
    removed = sorted((r["subject"], r["reason"]) for r in diff["removed"])
    assert removed == [("CN=Client Root", "TRUSTSTORE_DUPLICATE"),
                       ("CN=Weak Root", "TRUSTSTORE_WEAK_SIGNATURE_HASH")], removed
    assert [a["reason"] for a in diff["added"]] == [f"--add-ca {extra}"]
    assert diff["reordered"] is True  # the issuing CA came before its root
    ops = [(c["service"], c["operation"]) for c in plan["calls"]]
    assert ops == [("s3", "PutObject"), ("apigatewayv2", "UpdateDomainName")]
    put = plan["calls"][0]["params"]
    assert put["ServerSideEncryption"] == "AES256"
    assert put["Body"].startswith("<the corrected bundle")
    assert plan["calls"][1]["params"]["MutualTlsAuthentication"]["TruststoreVersion"] == \
        "<new-version-id>"
    assert {p["name"]: p["status"] for p in plan["preflight"]}["lint of the new bundle"] == "pass"
    assert any(k.startswith("TRUSTSTORE_WEAK_SIGNATURE_HASH") for k in plan["addresses"])
    assert writes(aws.proxy) == []


def test_apply_uploads_the_corrected_bundle_pins_it_and_clears_the_findings(
        aws, certs, acm_issues_at_once):
    v1 = messy_http(aws, certs)
    doc = fix(apply=True)
    outcome = doc["plan"]["outcome"]
    assert doc["rc"] == 0, outcome
    assert writes(aws.proxy) == ["s3.PutObject", "apigatewayv2.UpdateDomainName"]
    versions = [v["VersionId"] for v in aws.versions()]
    assert len(versions) == 2
    new = next(v for v in versions if v != v1)
    assert moto_domain(NAME, REGION).mutual_tls_authentication["truststoreVersion"] == new
    s3 = aws.client("s3")
    got = s3.get_object(Bucket=BUCKET, Key=KEY, VersionId=new)
    assert got["ServerSideEncryption"] == "AES256"
    loaded = load_certificates(got["Body"].read(), "new")
    subjects = [c.cert.subject.rfc4514_string() for c in loaded.certificates if c.cert]
    root = certs.client_root.cert.subject.rfc4514_string()
    ca = certs.client_ca.cert.subject.rfc4514_string()
    assert subjects == [root, ca]  # the root first, the SHA-1 root and the copy gone
    assert outcome["still"] == []
    assert {k.split()[0] for k in outcome["gone"]} >= {"TRUSTSTORE_WEAK_SIGNATURE_HASH",
                                                       "TRUSTSTORE_DUPLICATE"}
    ops = [e["call"]["operation"] for e in journal.run_entries(outcome["run_id"])]
    assert ops == ["PutObject", "UpdateDomainName"]


def test_a_stale_domain_s_correction_starts_from_the_newest_version(aws, certs,
                                                                   acm_issues_at_once):
    """The domain uses v1, with a SHA-1 root to drop; the user has since uploaded v2, which
    adds a partner's root. The corrected bundle keeps what v2 added: a correction of v1 would
    have thrown it away and pinned the result."""
    cert = aws.request_cert()
    aws.bucket()
    v1 = aws.put(pem_bundle([certs.client_root, certs.client_ca, certs.weak_root]))
    v2 = aws.put(pem_bundle([certs.client_root, certs.client_ca, certs.weak_root,
                             certs.other_root]))
    assert v1 and v2
    aws.http_domain(cert, version=v1)
    aws.http_api(disabled=True)
    doc = fix()
    plan = plans(doc)["truststore"]
    assert "pin" not in plans(doc)  # one plan: the corrected newest, pinned
    assert [r["subject"] for r in plan["diff"]["removed"]] == ["CN=Weak Root"]
    assert plan["diff"]["before"].endswith(f"?versionId={v2}")
    assert any(v2 in n and v1 in n for n in plan["notes"])
    assert any(k.startswith("DOMAIN_TRUSTSTORE_STALE") for k in plan["addresses"])
    done = fix(apply=True)
    assert done["rc"] == 0, done["plan"]["outcome"]
    new = moto_domain(NAME, REGION).mutual_tls_authentication["truststoreVersion"]
    assert new not in (v1, v2)
    body = aws.client("s3").get_object(Bucket=BUCKET, Key=KEY, VersionId=new)["Body"].read()
    subjects = {c.cert.subject.rfc4514_string()
                for c in load_certificates(body, "new").certificates if c.cert}
    assert subjects == {c.cert.subject.rfc4514_string()
                        for c in (certs.client_root, certs.client_ca, certs.other_root)}


def test_failed_domain_update_rolls_back_the_upload(aws, certs, acm_issues_at_once):
    v1 = messy_http(aws, certs)
    aws.proxy.fail("apigatewayv2", "UpdateDomainName", "internal")
    doc = fix(apply=True)
    outcome = doc["plan"]["outcome"]
    assert doc["rc"] == 1
    assert outcome["ok"] is False and "rolled back" in outcome["message"], outcome
    assert writes(aws.proxy) == ["s3.PutObject", "apigatewayv2.UpdateDomainName",
                                 "s3.DeleteObject"]
    # S3 and the domain are as they were: only the first version, still pinned
    assert [v["VersionId"] for v in aws.versions()] == [v1]
    assert moto_domain(NAME, REGION).mutual_tls_authentication["truststoreVersion"] == v1
    lines = journal.run_entries(outcome["run_id"])
    assert [(e["call"]["operation"], e["status"]) for e in lines] == [
        ("PutObject", "ok"), ("UpdateDomainName", "failed"), ("DeleteObject", "ok")]
    assert [s["call"] for s in outcome["rolled_back"]] == ["s3.DeleteObject"]


def test_preflight_that_would_lock_out_a_client_refuses_apply(aws, certs, acm_issues_at_once,
                                                              tmp_path):
    """A self-signed client certificate kept in the truststore is accepted today; the plan drops
    it (TRUSTSTORE_NOT_CA), so the pre-flight fails and --apply writes nothing."""
    from datetime import UTC, datetime

    from tests.pki_factory import PKI

    partner = PKI(datetime.now(UTC), key_offset=960).self_signed_leaf("partner.example.com")
    cert = aws.request_cert()
    aws.bucket()
    v1 = aws.put(pem_bundle([certs.client_root, certs.client_ca, partner]))
    aws.http_domain(cert, version=v1)
    aws.http_api(disabled=True)
    clients = tmp_path / "clients"
    clients.mkdir()
    (clients / "partner.pem").write_bytes(partner.pem)
    # a CA bundle beside the clients (a newcomer's examples/ holds the truststore): not judged
    (clients / "truststore.pem").write_bytes(pem_bundle([certs.client_root, certs.client_ca]))
    dry = fix(clients=str(clients))
    plan = plans(dry)["truststore"]
    assert [r["reason"] for r in plan["diff"]["removed"]] == ["TRUSTSTORE_NOT_CA"]
    checks = {p["name"]: p for p in plan["preflight"]}
    check = checks["client partner.pem"]
    assert check["status"] == "fail" and "accepted today" in check["detail"], check
    bundle = checks["client truststore.pem"]
    assert bundle["status"] == "warn" and bundle["detail"].startswith("not judged"), bundle
    assert dry["rc"] == 1
    doc = fix(apply=True, clients=str(clients))
    assert doc["rc"] == 1 and "refused" in doc["plan"]["outcome"]["message"]
    assert writes(aws.proxy) == []
    assert [v["VersionId"] for v in aws.versions()] == [v1]


# --- the default execute-api endpoint (REST) ------------------------------------------------------------

def test_execute_api_plan_applies_and_redeploys(aws, certs, acm_issues_at_once):
    api = pinned_rest(aws, certs, disabled=False)
    dry = fix(kinds=("execute-api",))
    plan = plans(dry)[f"execute-api:{api}"]
    assert [c["operation"] for c in plan["calls"]] == ["UpdateRestApi", "CreateDeployment"]
    assert writes(aws.proxy) == []
    doc = fix(apply=True, kinds=("execute-api",))
    assert doc["rc"] == 0, doc["plan"]["outcome"]
    assert writes(aws.proxy) == ["apigateway.UpdateRestApi", "apigateway.CreateDeployment"]
    got = aws.client("apigateway").get_rest_api(restApiId=api)
    assert got["disableExecuteApiEndpoint"] is True
    assert [k.split()[0] for k in doc["plan"]["outcome"]["gone"]] == ["DOMAIN_EXECUTE_API_ENABLED"]


# --- access logs (REST) ------------------------------------------------------------------------------------

def test_access_log_plan_uses_the_recommended_format(aws, certs, acm_issues_at_once):
    api = pinned_rest(aws, certs)
    aws.access_log(api, "prod", log_format='{"requestId":"$context.requestId"}')
    dry = fix(kinds=("access-log",))
    plan = plans(dry)[f"access-log:{api}/prod"]
    role = {p["name"]: p for p in plan["preflight"]}["account's CloudWatch Logs role"]
    assert role["status"] == "fail"  # moto's account has none: REST cannot log yet
    refused = fix(apply=True, kinds=("access-log",))
    assert refused["rc"] == 1 and "refused" in refused["plan"]["outcome"]["message"]
    assert writes(aws.proxy) == []
    aws.client("apigateway").update_account(patchOperations=[
        {"op": "replace", "path": "/cloudwatchRoleArn",
         "value": "arn:aws:iam::123456789012:role/apigw-logs"}])
    doc = fix(apply=True, kinds=("access-log",))
    assert doc["rc"] == 0, doc["plan"]["outcome"]
    assert writes(aws.proxy) == ["apigateway.UpdateStage"]
    stage = aws.client("apigateway").get_stage(restApiId=api, stageName="prod")
    assert stage["accessLogSettings"]["format"] == recommended_log_format("rest")
    assert "GOOD" not in GOOD_LOG_FORMAT  # (the fixture's own format is not the one used)
    assert [k.split()[0] for k in doc["plan"]["outcome"]["gone"]] == [
        "DOMAIN_ACCESS_LOG_FORMAT_INCOMPLETE"]


# --- every other command only reads --------------------------------------------------------------------

def test_every_other_command_only_reads(cli, aws, certs, acm_issues_at_once, write):
    """Only `fix --apply` (and `--rollback`) may write: every other command that talks to AWS
    makes Get*/List*/Describe*/Head* calls (and CloudWatch Logs' FilterLogEvents) only."""
    from tests.servers import refusing_port

    stale_http(aws, certs)
    client = write("client.pem", certs.server.pem)
    uri = f"s3://{BUCKET}/{KEY}"
    runs = {
        "domain": ("domain", NAME, "--region", REGION),
        "truststore": ("truststore", uri, "--region", REGION),
        "verify-client": ("verify-client", "--cert", client, "--truststore", uri,
                          "--region", REGION),
        "diagnose": ("diagnose", NAME, "--connect", f"127.0.0.1:{refusing_port()}",
                     "--no-tui", "--region", REGION, "--timeout", "20"),
        "traffic": ("traffic", NAME, "--region", REGION, "--since", "1h"),
        "scan": ("scan", "--regions", REGION),
        "fix (dry run)": ("fix", NAME, "--region", REGION),
    }
    for what, argv in runs.items():
        aws.proxy.clear()
        run = cli(*argv)
        assert run.rc in (0, 1), (what, run.err)
        seen = aws.proxy.seen()
        assert seen, f"{what} made no AWS call"
        assert [s.call for s in seen if not read_only(s)] == [], what
