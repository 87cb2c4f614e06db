"""`iac` in the report view: the files read, the custom domains the templates declare, what does
not resolve before deployment and the drift from AWS (`iac.view`, wired into
`report.sections.fact_sections`), drawn by text, Markdown and HTML with the findings in the one
order every renderer uses; and `--redact` hiding resource names, file paths, domain names, ARNs,
buckets and keys in every format.

The reports are the real command's (`commands.iac.run_iac`) on the templates of tests/data/iac/;
the drift report reads the live domain from moto's server mode (the fixtures of
tests/test_domain.py)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mtls_doctor.commands.iac import run_iac
from mtls_doctor.iac.model import IacPayload
from mtls_doctor.model.report import Report
from mtls_doctor.report import render
from mtls_doctor.report.json import document
from mtls_doctor.report.redact import redact_report
from mtls_doctor.report.sections import fact_sections
from mtls_doctor.report.view import ordered_findings
from tests import test_domain
from tests.iac_lab import behind_latest, drift_template
from tests.renderer_order import finding_ids_html, finding_ids_markdown, finding_ids_text, plain
from tests.test_domain import REGION, Moto

moto_endpoint = test_domain.moto_endpoint
aws = test_domain.aws
acm_issues_at_once = test_domain.acm_issues_at_once

DATA = Path(__file__).parent / "data" / "iac"
FORMATS = ("text", "markdown", "html")
EXTRACT = {"text": finding_ids_text, "markdown": finding_ids_markdown, "html": finding_ids_html}
NOW = datetime(2026, 11, 29, 19, 0, tzinfo=UTC)
TEMPLATES = ("terraform-plan-bad.json", "cloudformation-bad.yaml", "sam-bad.yaml", "cdk-bad",
             "terraform-plan-good.json", "cloudformation-good.yaml", "sam-good.yaml",
             "cdk-good")

#: what each template names that `--redact` must hide: resource names (Terraform addresses,
#: logical ids), domain names, buckets and keys, ARN accounts and resources, the folder
HIDDEN = {
    "terraform-plan-bad.json": ("api.example.com", "partners.example.com",
                                "aws_api_gateway_domain_name.api", "aws_api_gateway_rest_api.api",
                                "aws_s3_object.truststore", "mtls-truststores", "partner-trust",
                                "bundle.pem"),
    "cloudformation-bad.yaml": ("api.example.com", "OrdersDomain", "OrdersStage", "OrdersApi",
                                "PrivateCert", "111122223333", "mtls-truststores",
                                "orders/truststore.pem",
                                "11111111-2222-3333-4444-555555555555"),
    "sam-bad.yaml": ("partners.example.com", "PartnerApi", "partner-trust", "bundle.pem",
                     "111122223333", "9f8e7d6c-0000-1111-2222-333344445555"),
    "cdk-bad": ("partners.example.com",),
}
#: what `--redact` once leaked, before report/redact.py read what each field of the iac model
#: names (`iac.model.names`: a `Value`'s `value` by the property that holds it, its `expr` as an
#: expression, its `refs` as addresses; CDK construct paths; the stack's file name; a mapping's
#: domain reference); the domain name of a template without findings, in every format, JSON
#: included
LEAKS = {
    "terraform-plan-bad.json": ("v-old-1", "/ prod", "stage prod",
                                "module.edge.aws_apigatewayv2_domain_name.this"),
    "cloudformation-bad.yaml": ("stage prod",),
    "sam-bad.yaml": ("/ live",),
    "cdk-bad": ("MtlsStack", "PartnerDomain", "PartnerApi", "TruststoreBucketA1B2C3D4",
                "partners/truststore.pem"),
    "sam-good.yaml": ("partners.example.com",),
    "cloudformation-good.yaml": ("api.example.com",),
}


def iac_report(name: str) -> Report:
    """The `iac` report of one file (or folder) of tests/data/iac/."""
    return run_iac(str(DATA / name), now=NOW)


def outputs(report: Report) -> dict[str, str]:
    """The report in every format (JSON as the CLI writes it), as the reader sees it."""
    out = {fmt: plain(fmt, render(report, fmt, color=False)) for fmt in FORMATS}
    out["json"] = json.dumps(document(report), default=str)
    return out


def present(value: str, text: str) -> bool:
    """`value` in `text` as a whole name (not inside a longer one, nor a placeholder)."""
    return re.search(rf"(?<![\w.-]){re.escape(value)}(?![\w-])", text) is not None


@pytest.mark.parametrize("name", TEMPLATES)
def test_iac_drawn_in_every_format_in_one_order(name: str) -> None:
    report = iac_report(name)
    payload = report.payload["iac"]
    assert isinstance(payload, IacPayload)
    titles = [s.title for s in fact_sections(report)]
    assert titles[0] == "Infrastructure as code"
    assert ("Not known before deployment" in titles) == bool(payload.unresolved)
    expected = [f.id for f in ordered_findings(report)]
    assert bool(expected) == name.endswith(("-bad.json", "-bad.yaml", "-bad"))
    domains = [d for t in payload.templates for d in t.domains]
    assert domains
    for fmt, out in outputs(report).items():
        if fmt == "json":
            continue
        for title in ("Infrastructure as code", "Files", "Custom domains"):
            assert title in out, (fmt, title)
        for d in domains:  # every domain the templates declare, and where
            assert d.domain_name is not None and d.domain_name.text() in out, fmt
            assert d.where.address in out, (fmt, d.where.address)
        # the four renderers print the findings in the one order
        assert EXTRACT[fmt](out) == expected, fmt


def test_a_folder_of_every_kind_lists_each_file_and_domain() -> None:
    report = iac_report("")
    payload = report.payload["iac"]
    assert isinstance(payload, IacPayload)
    (iac,) = [s for s in fact_sections(report) if s.anchor == "iac"]
    files = next(p for p in iac.parts if getattr(p, "title", "") == "Files")
    assert len(files.rows) == len(payload.templates) == 8  # type: ignore[union-attr]
    text = render(report, "text", color=False)
    assert f"{len(payload.templates)} template(s)" in text
    for fmt in FORMATS:
        out = render(report, fmt, color=False)
        assert EXTRACT[fmt](out) == [f.id for f in ordered_findings(report)], fmt


def test_unresolved_values_are_drawn_with_what_sets_them() -> None:
    report = iac_report("sam-bad.yaml")
    payload = report.payload["iac"]
    assert isinstance(payload, IacPayload)
    (unresolved,) = payload.unresolved
    for fmt, out in outputs(report).items():
        if fmt != "json":
            assert "Not known before deployment" in out and unresolved.prop in out, fmt


def test_drift_from_aws_is_drawn(aws: Moto, acm_issues_at_once: None, tmp_path: Path) -> None:
    first, latest = behind_latest(aws)
    path = drift_template(tmp_path, "template-version")
    report = run_iac(path, now=NOW, compare=True, region=REGION, timeout=60)
    payload = report.payload["iac"]
    assert isinstance(payload, IacPayload) and payload.drift
    expected = [f.id for f in ordered_findings(report)]
    assert "IAC_DRIFT" in expected
    for fmt in FORMATS:
        out = plain(fmt, render(report, fmt, color=False))
        assert "Drift from AWS" in out and "S3's latest" in out, fmt
        # the template's, the live and S3's latest version side by side
        for version in ("template-version", first, latest):
            assert version in out, (fmt, version)
        assert EXTRACT[fmt](out) == expected, fmt


@pytest.mark.parametrize("name", sorted(HIDDEN))
def test_redact_hides_iac_names_in_every_format(name: str) -> None:
    report = iac_report(name)
    redacted = redact_report(report, files=[str(DATA / name)])
    for fmt, out in outputs(redacted).items():
        for value in (*HIDDEN[name], str(DATA)):
            assert not present(value, out), (fmt, value)
        assert "host-1.example" in out, fmt
    # the same findings, in the same order, after redaction
    assert [f.id for f in ordered_findings(redacted)] == [f.id for f in ordered_findings(report)]


@pytest.mark.parametrize("name", sorted(LEAKS))
def test_redact_hides_what_it_once_leaked(name: str) -> None:
    redacted = redact_report(iac_report(name), files=[str(DATA / name)])
    for fmt, out in outputs(redacted).items():
        for value in LEAKS[name]:
            assert not present(value, out), (fmt, value)


def test_redaction_keeps_what_each_domain_is_mapped_to() -> None:
    from mtls_doctor.iac.view import iac_sections

    report = iac_report("terraform-plan-bad.json")
    redacted = redact_report(report, files=[str(DATA / "terraform-plan-bad.json")])

    def unmapped(r: Report) -> int:
        payload = r.payload["iac"]
        assert isinstance(payload, IacPayload)
        table = iac_sections(payload)[0].parts[2]
        return sum(row.cells[-1] == "\u2014" for row in table.rows)  # type: ignore[union-attr]

    assert unmapped(report) == 0
    assert unmapped(redacted) == 0


def test_redaction_keeps_format_variables_and_names_each_file_once() -> None:
    report = iac_report("terraform-plan-bad.json")
    redacted = redact_report(report, files=[str(DATA / "terraform-plan-bad.json")])
    payload = redacted.payload["iac"]
    assert isinstance(payload, IacPayload)
    (template,) = payload.templates
    assert template.file == "/path-1/file-1.json"
    # a finding's location names the file as the Files table does
    assert redacted.findings and all(
        f.location is not None and f.location.startswith(f"{template.file} (")
        for f in redacted.findings)
    for fmt, out in outputs(redacted).items():
        # an access log format's variables are API Gateway's words, not identities
        for variable in ("$context.identity.clientCert.*", "$context.error.message"):
            assert variable in out, (fmt, variable)


def test_redaction_keeps_our_words_and_hides_names_in_expressions() -> None:
    redacted = redact_report(iac_report("sam-bad.yaml"), files=[str(DATA / "sam-bad.yaml")])
    text = render(redacted, "text", color=False)
    # the stage `live` is hidden, a check's title (ours) is not rewritten around it
    assert "the templates match the live domains" in text and not present("live", text.replace(
        "the templates match the live domains", ""))
    cdk = redact_report(iac_report("cdk-bad"), files=[str(DATA / "cdk-bad")])
    payload = cdk.payload["iac"]
    assert isinstance(payload, IacPayload)
    (domain,) = payload.templates[0].domains
    # the expression keeps its shape: the bucket's logical id and the key's path hidden
    assert domain.truststore_uri is not None
    assert re.fullmatch(
        r'!Join \["",\["s3://",\{"Ref":"resource-\d+"\},"/key-\d+"\]\]',
        domain.truststore_uri.expr), domain.truststore_uri.expr
    assert domain.where.cdk_path is not None and domain.where.cdk_path.endswith("/Resource")
