"""`mtls-doctor iac PATH` on real template files written for the tests (tests/data/iac/): a
Terraform plan in the format `terraform show -json` documents, CloudFormation YAML with short
intrinsic tags, a SAM template and a CDK-synthesized cdk.out, each with every mistake present
(`-bad`) and absent (`-good`); malformed templates (hypothesis) are a finding or exit 2, never a
crash; `--compare` reads the live domain from moto's server mode."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mtls_doctor.cli import main
from mtls_doctor.iac.snippets import hcl_string
from tests import test_domain
from tests.conftest import Run
from tests.iac_lab import behind_latest, drift_template, http_template
from tests.test_domain import REGION, Moto

DATA = Path(__file__).parent / "data" / "iac"
moto_endpoint = test_domain.moto_endpoint
aws = test_domain.aws
acm_issues_at_once = test_domain.acm_issues_at_once
certs = test_domain.certs

#: every mistake each bad file holds
BAD = {
    "terraform-plan-bad.json": {"IAC_NOT_REGIONAL", "IAC_SECURITY_POLICY_INCOMPATIBLE",
                                "IAC_OWNERSHIP_CERT_MISSING", "IAC_EXECUTE_API_ENABLED",
                                "IAC_DOMAIN_REPLACED", "IAC_TRUSTSTORE_VERSION_NOT_LINKED",
                                "IAC_TRUSTSTORE_UNPINNED", "IAC_ACCESS_LOG_FORMAT_INCOMPLETE",
                                "IAC_ACCESS_LOGS_MISSING"},
    "cloudformation-bad.yaml": {"IAC_NOT_REGIONAL", "IAC_SECURITY_POLICY_INCOMPATIBLE",
                                "IAC_OWNERSHIP_CERT_MISSING", "IAC_EXECUTE_API_ENABLED",
                                "IAC_TRUSTSTORE_UNPINNED", "IAC_ACCESS_LOG_FORMAT_INCOMPLETE"},
    "sam-bad.yaml": {"IAC_EXECUTE_API_ENABLED", "IAC_TRUSTSTORE_UNPINNED",
                     "IAC_ACCESS_LOGS_MISSING", "IAC_VALUE_UNRESOLVED"},
    "cdk-bad": {"IAC_EXECUTE_API_ENABLED", "IAC_TRUSTSTORE_UNPINNED", "IAC_ACCESS_LOGS_MISSING"},
}
GOOD = ("terraform-plan-good.json", "cloudformation-good.yaml", "sam-good.yaml", "cdk-good")


def iac(cli: Any, *args: str) -> Run:
    run: Run = cli("iac", *args)
    return run


def by_id(run: Run, finding_id: str) -> dict[str, Any]:
    found = run.findings(finding_id)
    assert found, (finding_id, run.ids())
    return found[0]


@pytest.mark.parametrize("name", sorted(BAD))
def test_every_mistake_is_found(cli, name):
    run = iac(cli, str(DATA / name))
    assert run.rc == 1, run.err
    assert set(run.ids()) == BAD[name]
    assert run.doc["command"] == "iac"
    for f in run.doc["findings"]:
        assert f["location"] and str(DATA) in f["location"]
        if f["id"] != "IAC_VALUE_UNRESOLVED":
            assert f["fix"]["steps"], f["id"]
            assert f["evidence"]["snippet"]["lines"], f["id"]


def test_a_yaml_fix_step_is_yaml_that_still_parses(cli):
    """A CloudFormation change on one line (a fix step) is in YAML's flow style, which is JSON:
    joined, the indented lines were not YAML any more."""
    run = iac(cli, str(DATA / "cloudformation-bad.yaml"))
    steps = [(f, step) for f in run.doc["findings"] for step in f["fix"]["steps"]
             if "set (yaml): " in step]
    assert steps
    for f, step in steps:
        change = json.loads(step.split("set (yaml): ", 1)[1])
        assert isinstance(change, dict) and change, step
        # the same keys as the snippet's indented lines, which are what to paste
        top = [ln.split(":")[0] for ln in f["evidence"]["snippet"]["lines"]
               if ln and not ln.startswith(" ")]
        assert list(change) == top, (change, top)


@pytest.mark.parametrize("name", GOOD)
def test_the_same_setups_done_right_pass_every_check(cli, name):
    run = iac(cli, str(DATA / name))
    assert run.rc == 0, (run.ids(), run.err)
    assert run.ids() == []
    statuses = {c["id"]: c["status"] for c in run.doc["checks"]}
    for check in ("iac.files", "iac.truststore", "iac.endpoint", "iac.ownership",
                  "iac.execute_api", "iac.access_logs"):
        assert statuses[check] == "pass", (check, run.doc["checks"])
    assert statuses["iac.drift"] == "skip"


def test_terraform_plan_payload_and_snippets(cli):
    run = iac(cli, str(DATA / "terraform-plan-bad.json"))
    (tpl,) = run.doc["iac"]["templates"]
    assert tpl["kind"] == "terraform-plan" and tpl["tool"] == "terraform"
    domains = {d["where"]["address"]: d for d in tpl["domains"]}
    assert set(domains) == {"aws_api_gateway_domain_name.api",
                            "module.edge.aws_apigatewayv2_domain_name.this[0]"}
    rest = domains["aws_api_gateway_domain_name.api"]
    assert rest["certificate_kind"] == "imported"
    assert rest["replacement"]["paths"] == ["mutual_tls_authentication[0].truststore_uri"]
    linked = by_id(run, "IAC_TRUSTSTORE_VERSION_NOT_LINKED")
    assert linked["evidence"]["truststore_object"] == "aws_s3_object.truststore"
    assert "truststore_version = aws_s3_object.truststore.version_id" in linked["fix"]["steps"][0]
    assert linked["evidence"]["snippet"]["lines"] == [
        "mutual_tls_authentication {",
        '  truststore_uri     = "s3://mtls-truststores/api/truststore.pem"',
        "  truststore_version = aws_s3_object.truststore.version_id",
        "}"]
    replaced = by_id(run, "IAC_DOMAIN_REPLACED")
    assert "s3://mtls-truststores/old/truststore.pem" in replaced["title"]
    assert replaced["severity"] == "error"
    # the module's HTTP domain: the version names nothing, the module's stage keeps no log
    unpinned = by_id(run, "IAC_TRUSTSTORE_UNPINNED")
    assert unpinned["location"].endswith("(module.edge.aws_apigatewayv2_domain_name.this[0])")
    assert by_id(run, "IAC_ACCESS_LOGS_MISSING")["evidence"]["stage"] == \
        "module.edge.aws_apigatewayv2_stage.this"


def test_cloudformation_lines_intrinsics_and_yaml_snippets(cli):
    run = iac(cli, str(DATA / "cloudformation-bad.yaml"))
    owner = by_id(run, "IAC_OWNERSHIP_CERT_MISSING")
    assert owner["location"].endswith("cloudformation-bad.yaml:17 (OrdersDomain)")
    assert owner["evidence"]["certificate_kind"] == "private"
    assert owner["subject"] == "api.example.com"  # !Sub with a parameter's default
    unpinned = by_id(run, "IAC_TRUSTSTORE_UNPINNED")
    assert unpinned["evidence"]["snippet"] == {"language": "yaml", "lines": [
        "MutualTlsAuthentication:",
        '  TruststoreUri: "s3://mtls-truststores/orders/truststore.pem"',
        '  TruststoreVersion: "<truststore-version-id>"']}
    policy = by_id(run, "IAC_SECURITY_POLICY_INCOMPATIBLE")
    assert policy["severity"] == "warning"  # not set: said, not assumed an error
    assert by_id(run, "IAC_NOT_REGIONAL")["evidence"]["endpoint_type"] == "EDGE"
    fmt = by_id(run, "IAC_ACCESS_LOG_FORMAT_INCOMPLETE")
    assert fmt["location"].endswith(":30 (OrdersStage)")
    assert fmt["evidence"]["missing"] == ["$context.identity.clientCert."]
    # the destination (!GetAtt) stays as it is: only the format is given
    lines = fmt["evidence"]["snippet"]["lines"]
    assert lines[0] == "AccessLogSetting:" and lines[1].startswith('  Format: "{')
    assert len(lines) == 2 and "$context.identity.clientCert.subjectDN" in lines[1]


def test_sam_certificate_not_in_the_template_is_unknown_not_a_pass(cli):
    run = iac(cli, str(DATA / "sam-bad.yaml"))
    checks = {c["id"]: c for c in run.doc["checks"]}
    assert checks["iac.ownership"]["status"] == "unknown"
    assert "not in the template" in checks["iac.ownership"]["detail"]
    note = by_id(run, "IAC_VALUE_UNRESOLVED")
    assert note["severity"] == "info"
    assert note["location"].endswith("sam-bad.yaml:10 (PartnerApi.Domain)")
    (unresolved,) = run.doc["iac"]["unresolved"]
    assert unresolved["prop"] == "certificate"
    # SAM's Domain properties go under Domain:
    snippet = by_id(run, "IAC_TRUSTSTORE_UNPINNED")["evidence"]["snippet"]["lines"]
    assert snippet[:2] == ["Domain:", "  MutualTlsAuthentication:"]


def test_cdk_out_folder_is_walked_and_snippets_are_cdk(cli):
    run = iac(cli, str(DATA / "cdk-bad"))
    assert run.doc["iac"]["skipped"] == [str(DATA / "cdk-bad" / "cdk.out" / "manifest.json")]
    (tpl,) = run.doc["iac"]["templates"]
    assert tpl["kind"] == "cdk"
    disabled = by_id(run, "IAC_EXECUTE_API_ENABLED")
    assert disabled["evidence"]["snippet"]["language"] == "typescript"
    assert disabled["evidence"]["snippet"]["lines"][0] == "disableExecuteApiEndpoint: true,"
    assert "MtlsStack/PartnerApi/Resource" in disabled["location"]


def test_a_parameter_without_a_default_leaves_the_check_unknown(cli, tmp_path):
    text = (DATA / "cloudformation-good.yaml").read_text()
    text = text.replace("      SecurityPolicy: TLS_1_2\n", "      SecurityPolicy: !Ref Policy\n")
    text = text.replace("Parameters:\n", "Parameters:\n  Policy:\n    Type: String\n", 1)
    path = tmp_path / "template.yaml"
    path.write_text(text)
    run = iac(cli, str(path))
    assert run.rc == 1
    checks = {c["id"]: c["status"] for c in run.doc["checks"]}
    assert checks["iac.endpoint"] == "unknown"
    assert by_id(run, "IAC_VALUE_UNRESOLVED")["evidence"]["expression"] == \
        "!Ref Policy (a parameter without a default)"


def test_a_folder_with_every_kind_reads_them_all(cli):
    run = iac(cli, str(DATA))
    kinds = sorted(t["kind"] for t in run.doc["iac"]["templates"])
    assert kinds == ["cdk", "cdk", "cloudformation", "cloudformation", "sam", "sam",
                     "terraform-plan", "terraform-plan"]
    assert run.rc == 1


def test_a_template_that_does_not_parse_in_a_folder_is_a_finding(cli, tmp_path):
    (tmp_path / "good.yaml").write_text((DATA / "cloudformation-good.yaml").read_text())
    (tmp_path / "broken.yaml").write_text("Resources:\n  A: [unclosed\n")
    (tmp_path / "workflow.yml").write_text("on: push\njobs: {}\n")
    run = iac(cli, str(tmp_path))
    assert run.rc == 1
    bad = by_id(run, "IAC_TEMPLATE_UNREADABLE")
    assert bad["location"] == str(tmp_path / "broken.yaml")
    assert {c["id"]: c["status"] for c in run.doc["checks"]}["iac.files"] == "unknown"
    assert run.doc["iac"]["skipped"] == [str(tmp_path / "workflow.yml")]


@pytest.mark.parametrize(("content", "says"), [
    ('{"hello": "world"}', "neither a Terraform plan"),
    ("Resources:\n  A: [unclosed\n", "does not parse"),
    ("Resources: [1, 2]\n", "Resources is not a mapping"),
    ('{"Resources": ', "not valid JSON"),
    ("\xff\xfe", "not UTF-8"),
])
def test_a_single_file_that_is_no_readable_template_is_exit_2(cli, tmp_path, content, says):
    path = tmp_path / "input.json"
    path.write_bytes(content.encode("latin-1"))
    run = iac(cli, str(path))
    assert run.rc == 2
    assert says in run.err and run.err.count("\n") == 1


def test_missing_path_and_empty_folder_are_exit_2(cli, tmp_path):
    assert iac(cli, str(tmp_path / "nope")).rc == 2
    run = iac(cli, str(tmp_path))
    assert run.rc == 2 and "no Terraform plan" in run.err


def test_without_the_iac_extra_a_template_is_exit_2_saying_what_to_install(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "cfnlint.decode", None)
    run = iac(cli, str(DATA / "cloudformation-good.yaml"))
    assert run.rc == 2
    assert "mtls-doctor[iac]" in run.err
    # Terraform's JSON needs no extra
    assert iac(cli, str(DATA / "terraform-plan-good.json")).rc == 0


def test_output_never_replaces_the_template(cli, tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text((DATA / "cloudformation-good.yaml").read_text())
    run = cli("iac", str(path), "-o", str(path), json_out=False)
    assert run.rc == 2
    assert path.read_text() == (DATA / "cloudformation-good.yaml").read_text()


def test_hostile_names_are_escaped_in_every_format(cli, tmp_path):
    text = (DATA / "sam-bad.yaml").read_text().replace(
        "DomainName: partners.example.com", 'DomainName: "evil\\e[31m\\u202epartners"')
    path = tmp_path / "t.yaml"
    path.write_text(text)
    for fmt in ("text", "markdown", "html", "json"):
        run = cli("iac", str(path), "--format", fmt, json_out=False)
        assert run.rc == 1
        assert "\x1b" not in run.out and "\u202e" not in run.out, fmt


def test_hcl_strings_stay_literal():
    assert hcl_string('a"b\\c${x}%{y}\n') == '"a\\"b\\\\c$${x}%%{y}\\n"'


# --- malformed templates: a finding or exit 2, never a crash ------------------------------------

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=12),
                     st.sampled_from(["REGIONAL", "EDGE", "TLS_1_2", "s3://b/k", "AWS::NoValue"]))
_values = st.recursive(
    _scalars,
    lambda kids: st.one_of(
        st.lists(kids, max_size=3),
        st.dictionaries(st.sampled_from([
            "Ref", "Fn::Sub", "Fn::GetAtt", "Fn::Join", "Fn::If", "Types", "TruststoreUri",
            "TruststoreVersion", "DomainName", "x", "0", "references", "constant_value",
            "mutual_tls_authentication", "truststore_uri", "types", "EndpointType"]), kids,
            max_size=3)),
    max_leaves=12)
_CFN_TYPES = ["AWS::ApiGateway::DomainName", "AWS::ApiGatewayV2::DomainName",
              "AWS::Serverless::Api", "AWS::Serverless::HttpApi", "AWS::ApiGateway::RestApi",
              "AWS::ApiGatewayV2::Api", "AWS::ApiGateway::Stage", "AWS::ApiGateway::Deployment",
              "AWS::ApiGatewayV2::Stage", "AWS::ApiGateway::BasePathMapping",
              "AWS::ApiGatewayV2::ApiMapping", "AWS::CertificateManager::Certificate"]
_PROPS = ["DomainName", "MutualTlsAuthentication", "EndpointConfiguration", "SecurityPolicy",
          "RegionalCertificateArn", "DomainNameConfigurations", "Domain", "RestApiId", "ApiId",
          "Stage", "StageName", "AccessLogSetting", "AccessLogSettings",
          "DisableExecuteApiEndpoint", "OwnershipVerificationCertificateArn", "BasePath"]
_TF_TYPES = ["aws_api_gateway_domain_name", "aws_apigatewayv2_domain_name",
             "aws_api_gateway_rest_api", "aws_apigatewayv2_api", "aws_api_gateway_stage",
             "aws_apigatewayv2_stage", "aws_api_gateway_base_path_mapping",
             "aws_apigatewayv2_api_mapping", "aws_s3_object", "aws_acm_certificate"]
_TF_ATTRS = ["domain_name", "mutual_tls_authentication", "endpoint_configuration",
             "security_policy", "domain_name_configuration", "api_id", "rest_api_id",
             "stage_name", "stage", "access_log_settings", "bucket", "key", "private_key",
             "disable_execute_api_endpoint", "certificate_authority_arn"]

cfn_templates = st.fixed_dictionaries({
    "Parameters": st.one_of(_values, st.dictionaries(st.sampled_from(["P", "ZoneName"]),
                                                     _values, max_size=2)),
    "Resources": st.dictionaries(
        st.sampled_from(["A", "B", "C", "D"]),
        st.one_of(_values, st.fixed_dictionaries({
            "Type": st.one_of(st.sampled_from(_CFN_TYPES), _scalars),
            "Properties": st.one_of(_values, st.dictionaries(st.sampled_from(_PROPS), _values,
                                                             max_size=6))})),
        max_size=4),
    "Globals": _values,
})
_tf_resource = st.fixed_dictionaries({
    "address": st.one_of(st.sampled_from(["aws_x.a", "module.m.aws_y.b[0]", "c"]), _scalars),
    "type": st.one_of(st.sampled_from(_TF_TYPES), _scalars),
    "mode": st.sampled_from(["managed", "data"]),
    "values": st.one_of(_values, st.dictionaries(st.sampled_from(_TF_ATTRS), _values,
                                                 max_size=6)),
})
tf_plans = st.fixed_dictionaries({
    "format_version": st.just("1.2"),
    "planned_values": st.one_of(_values, st.fixed_dictionaries({"root_module": st.one_of(
        _values, st.fixed_dictionaries({"resources": st.lists(_tf_resource, max_size=4),
                                        "child_modules": _values}))})),
    "resource_changes": st.one_of(_values, st.lists(st.fixed_dictionaries({
        "address": st.sampled_from(["aws_x.a", "module.m.aws_y.b[0]", "c"]),
        "change": st.one_of(_values, st.fixed_dictionaries({
            "actions": _values, "before": _values, "after_unknown": _values,
            "replace_paths": _values}))}), max_size=3)),
    "configuration": _values,
})


def _run_file(tmp_path: Path, name: str, data: bytes) -> tuple[int, str]:
    import contextlib
    import io

    path = tmp_path / name
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(["iac", str(path), "--format", "json"])
    if rc in (0, 1):
        json.loads(out.getvalue())
    return rc, err.getvalue()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(template=cfn_templates, as_json=st.booleans())
def test_malformed_cloudformation_is_a_finding_or_exit_2(tmp_path, template, as_json):
    import yaml  # type: ignore[import-untyped]

    data = json.dumps(template) if as_json else yaml.safe_dump(template)
    rc, err = _run_file(tmp_path, "t.json" if as_json else "t.yaml", data.encode())
    assert rc in (0, 1, 2), err
    assert "internal error" not in err


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(plan=tf_plans)
def test_malformed_terraform_plan_is_a_finding_or_exit_2(tmp_path, plan):
    rc, err = _run_file(tmp_path, "plan.json", json.dumps(plan).encode())
    assert rc in (0, 1, 2), err
    assert "internal error" not in err


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=200),
                      st.text(max_size=200).map(lambda t: ("Resources:\n" + t).encode())))
def test_garbage_is_exit_2_or_a_finding(tmp_path, data):
    rc, err = _run_file(tmp_path, "t.yaml", data)
    assert rc in (0, 1, 2), err
    assert "internal error" not in err


def test_deep_nesting_and_alias_bombs_are_bounded(cli, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text('{"Resources": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert iac(cli, str(deep)).rc == 2
    lines = ["Resources:", "  D:", "    Type: AWS::ApiGateway::DomainName", "    Properties:",
             "      DomainName: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 25):
        lines.append(f"      P{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]")
    lines.append("      MutualTlsAuthentication: {TruststoreUri: {'Fn::Join': ['', *a24]}}")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    run = iac(cli, str(bomb))
    assert run.rc in (1, 2)


# --- drift against the live domain (moto's server mode) ------------------------------------------

def test_compare_reports_template_live_and_latest_versions(cli, aws: Moto, tmp_path,
                                                           acm_issues_at_once):
    first, latest = behind_latest(aws)
    run = iac(cli, drift_template(tmp_path, "template-version"), "--compare", "--region", REGION)
    drift = {f["evidence"]["property"]: f for f in run.findings("IAC_DRIFT")}
    version = drift["truststore version"]["evidence"]
    assert (version["template"], version["live"], version["latest"]) == (
        "template-version", first, latest)
    assert "S3's latest is" in drift["truststore version"]["detail"]
    assert {x["prop"] for x in run.doc["iac"]["drift"]} >= {"truststore version"}
    checks = {c["id"]: c["status"] for c in run.doc["checks"]}
    assert checks["iac.drift"] == "warn" and checks["iac.aws"] == "pass"


def test_compare_in_step_has_no_drift(cli, aws: Moto, tmp_path, acm_issues_at_once):
    cert = aws.request_cert()
    aws.bucket()
    version = aws.put(b"only bundle")
    assert version
    aws.http_domain(cert, version=version, ownership=None)
    run = iac(cli, drift_template(tmp_path, version), "--compare", "--region", REGION)
    props = {f["evidence"]["property"] for f in run.findings("IAC_DRIFT")}
    assert "truststore version" not in props and "truststore URI" not in props


def test_compare_with_aws_unreachable_is_unknown_never_in_step(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    run = iac(cli, drift_template(tmp_path, "v1"), "--compare", "--region", REGION,
              "--timeout", "5")
    assert run.rc == 1
    checks = {c["id"]: c["status"] for c in run.doc["checks"]}
    assert checks["iac.drift"] == "unknown"
    assert not run.findings("IAC_DRIFT")
    assert any(i.startswith("AWS_") for i in run.ids())


# --- the ownership check settled by the live domain's certificate (--compare) ---------------------

def _owner_template(tmp_path: Path, cert_arn: str) -> str:
    """An HTTP domain with mutual TLS whose certificate is only an ARN (how it was issued is
    not in the template) and no ownership verification certificate."""
    return http_template(tmp_path / "owner.yaml", cert_arn=cert_arn, ownership=None)


def test_without_compare_an_arn_only_certificate_leaves_ownership_unknown(cli, tmp_path):
    arn = f"arn:aws:acm:{REGION}:123456789012:certificate/x"
    run = iac(cli, _owner_template(tmp_path, arn))
    checks = {c["id"]: c for c in run.doc["checks"]}
    assert checks["iac.ownership"]["status"] == "unknown"
    assert by_id(run, "IAC_VALUE_UNRESOLVED")["evidence"]["fact"] == "certificate_kind"


def test_compare_settles_ownership_with_an_imported_live_certificate(cli, aws: Moto, tmp_path,
                                                                      certs):
    cert = aws.import_cert(certs.server, certs.server_root)
    aws.bucket()
    aws.http_domain(cert, version=aws.put(b"bundle"))
    run = iac(cli, _owner_template(tmp_path, cert), "--compare", "--region", REGION)
    checks = {c["id"]: c for c in run.doc["checks"]}
    assert checks["iac.ownership"]["status"] == "fail", checks["iac.ownership"]
    owner = by_id(run, "IAC_OWNERSHIP_CERT_MISSING")
    assert owner["evidence"]["certificate_kind"] == "imported"
    assert owner["evidence"]["certificate_kind_from"] == "live domain (ACM)"
    assert owner["evidence"]["certificate_arn"] == cert
    assert "ACM type IMPORTED" in owner["detail"]
    assert owner["evidence"]["snippet"]["lines"]  # the change to make, in the template's language
    assert not [f for f in run.findings("IAC_VALUE_UNRESOLVED")
                if f["evidence"]["fact"] == "certificate_kind"]


def test_compare_settles_ownership_with_an_acm_issued_live_certificate(cli, aws: Moto, tmp_path,
                                                                        acm_issues_at_once):
    cert = aws.request_cert()
    aws.bucket()
    aws.http_domain(cert, version=aws.put(b"bundle"))
    run = iac(cli, _owner_template(tmp_path, cert), "--compare", "--region", REGION)
    checks = {c["id"]: c for c in run.doc["checks"]}
    assert checks["iac.ownership"]["status"] == "pass", checks["iac.ownership"]
    assert not run.findings("IAC_OWNERSHIP_CERT_MISSING")
    assert "IAC_VALUE_UNRESOLVED" not in run.ids()


def test_compare_with_another_live_certificate_leaves_ownership_unknown(cli, aws: Moto, tmp_path,
                                                                        certs):
    live = aws.import_cert(certs.server, certs.server_root)
    aws.bucket()
    aws.http_domain(live, version=aws.put(b"bundle"))
    other = f"arn:aws:acm:{REGION}:123456789012:certificate/not-the-live-one"
    run = iac(cli, _owner_template(tmp_path, other), "--compare", "--region", REGION)
    checks = {c["id"]: c for c in run.doc["checks"]}
    assert checks["iac.ownership"]["status"] == "unknown"
    assert "the live domain uses another certificate" in checks["iac.ownership"]["detail"]
    assert not run.findings("IAC_OWNERSHIP_CERT_MISSING")


def test_compare_unreachable_leaves_ownership_unknown_never_a_pass(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    arn = f"arn:aws:acm:{REGION}:123456789012:certificate/x"
    run = iac(cli, _owner_template(tmp_path, arn), "--compare", "--region", REGION,
              "--timeout", "5")
    checks = {c["id"]: c for c in run.doc["checks"]}
    assert checks["iac.ownership"]["status"] == "unknown"
    assert "--compare could not tell" in checks["iac.ownership"]["detail"]


# --- JUnit XML: one testsuite per file, one testcase per resource ---------------------------------

def junit(cli: Any, *args: str) -> tuple[Run, ET.Element]:
    run: Run = cli("iac", *args, "--format", "junit", json_out=False)
    assert run.out.isascii() and run.out.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    return run, ET.fromstring(run.out)  # noqa: S314


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {c.get("name", ""): c for c in root.iter("testcase")}


def test_junit_a_suite_per_file_a_case_per_resource(cli):
    run, root = junit(cli, str(DATA / "terraform-plan-bad.json"))
    assert run.rc == 1
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == str(DATA / "terraform-plan-bad.json")
    got = cases(root)
    assert set(got) == {
        "aws_api_gateway_domain_name.api (api.example.com)",
        "module.edge.aws_apigatewayv2_domain_name.this[0] (partners.example.com)",
        "aws_api_gateway_rest_api.api", "module.edge.aws_apigatewayv2_api.this",
        "aws_api_gateway_stage.prod", "module.edge.aws_apigatewayv2_stage.this"}
    domain = got["aws_api_gateway_domain_name.api (api.example.com)"]
    assert domain.get("classname") == "aws_api_gateway_domain_name"
    failed = {f.get("type") for f in domain.findall("failure")}
    assert failed == {"IAC_DOMAIN_REPLACED", "IAC_NOT_REGIONAL",
                      "IAC_SECURITY_POLICY_INCOMPATIBLE", "IAC_OWNERSHIP_CERT_MISSING"}
    # the change to make is in the failure's text, one line each
    owner = next(f for f in domain.findall("failure")
                 if f.get("type") == "IAC_OWNERSHIP_CERT_MISSING")
    assert "ownership_verification_certificate_arn = " in (owner.text or "")
    assert "\\x0a" not in (owner.text or "") and "\n" in (owner.text or "")
    # a warning does not fail its resource: it is said in system-out
    stage = got["aws_api_gateway_stage.prod"]
    assert stage.find("failure") is None
    assert "IAC_ACCESS_LOG_FORMAT_INCOMPLETE" in (stage.findtext("system-out") or "")
    assert got["module.edge.aws_apigatewayv2_api.this"].find("*") is None  # judged, passed
    errors = sum(f["severity"] == "error" for f in json.loads(
        cli("iac", str(DATA / "terraform-plan-bad.json")).out)["findings"])
    assert len(list(root.iter("failure"))) == errors
    assert root.get("tests") == "6" and root.get("failures") == "2"


def test_junit_an_unresolved_value_is_an_error_not_a_pass(cli):
    run, root = junit(cli, str(DATA / "sam-bad.yaml"))
    assert run.rc == 1
    domain = cases(root)["PartnerApi.Domain (partners.example.com)"]
    (error,) = domain.findall("error")
    assert error.get("type") == "unknown" and error.get("message") == \
        "1 value(s) could not be decided"
    assert "not in the template" in (error.text or "")
    assert root.get("errors") == "1"


@pytest.mark.parametrize("name", GOOD)
def test_junit_of_a_good_setup_has_no_failure(cli, name):
    run, root = junit(cli, str(DATA / name))
    assert run.rc == 0
    assert int(root.get("tests", "0")) >= 2  # a domain and its API (SAM: the API is its stage)
    assert root.get("failures") == "0" and root.get("errors") == "0"


def test_junit_a_file_that_does_not_parse_is_its_own_suite(cli, tmp_path):
    (tmp_path / "good.yaml").write_text((DATA / "cloudformation-good.yaml").read_text())
    (tmp_path / "broken.yaml").write_text("Resources:\n  A: [unclosed\n")
    run, root = junit(cli, str(tmp_path))
    assert run.rc == 1
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {str(tmp_path / "good.yaml"), str(tmp_path / "broken.yaml")}
    (case,) = suites[str(tmp_path / "broken.yaml")].findall("testcase")
    assert case.get("name") == "parses"
    assert case.find("error").get("type") == "IAC_TEMPLATE_UNREADABLE"  # type: ignore[union-attr]


def test_junit_compare_unreachable_is_an_error_of_the_aws_suite(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    run, root = junit(cli, drift_template(tmp_path, "v1"), "--compare", "--region", REGION,
                      "--timeout", "5")
    assert run.rc == 1
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    (case,) = suites["AWS (--compare)"].findall("testcase")
    assert case.get("name") == "live domains read"
    types = {e.get("type") for e in case.findall("error")}
    assert any(t and t.startswith("AWS_") for t in types), types


def test_junit_compare_in_step_passes_the_aws_suite(cli, aws: Moto, tmp_path,
                                                      acm_issues_at_once):
    cert = aws.request_cert()
    aws.bucket()
    version = aws.put(b"only bundle")
    assert version
    aws.http_domain(cert, version=version, ownership=None)
    _run, root = junit(cli, drift_template(tmp_path, version), "--compare", "--region", REGION)
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    (case,) = suites["AWS (--compare)"].findall("testcase")
    assert case.find("error") is None and case.find("failure") is None


def test_junit_escapes_hostile_names(cli, tmp_path):
    text = (DATA / "sam-bad.yaml").read_text().replace(
        "DomainName: partners.example.com", 'DomainName: "evil\\e[31m\\u202epartners"')
    path = tmp_path / "t.yaml"
    path.write_text(text)
    run, root = junit(cli, str(path))
    assert run.rc == 1
    assert "\x1b" not in run.out and "\u202e" not in run.out
    names = [c.get("name", "") for c in root.iter("testcase")]
    assert any("\\x1b" in n and "\\u202e" in n for n in names), names


@pytest.mark.parametrize("name", [*sorted(BAD), *GOOD, "."])
def test_junit_fails_exactly_when_the_run_exits_1(cli, name):
    run, root = junit(cli, str(DATA / name))
    failed = int(root.get("failures", "0")) + int(root.get("errors", "0"))
    assert (failed > 0) == (run.rc == 1), (name, run.rc, root.attrib)


def test_junit_a_report_that_exits_1_always_fails_the_document():
    from datetime import UTC, datetime

    from mtls_doctor.model.finding import Check, CheckStatus
    from mtls_doctor.model.report import Report
    from mtls_doctor.report.junit import write_junit

    report = Report("iac", datetime(2026, 1, 1, tzinfo=UTC), checks=(
        Check("iac.drift", "t", CheckStatus.UNKNOWN, "apigateway.GetDomainName: throttled"),))
    root = ET.fromstring(write_junit("t", report, []))  # noqa: S314
    (case,) = root.iter("testcase")
    assert case.get("name") == "the report passes"
    assert "iac.drift: apigateway.GetDomainName: throttled" in (case.findtext("error") or "")
    assert root.get("errors") == "1"


def test_junit_is_only_for_reports_with_a_grouping(cli):
    run = cli("inspect", str(DATA / "sam-bad.yaml"), "--format", "junit", json_out=False)
    assert run.rc == 2 and "junit" in run.err
