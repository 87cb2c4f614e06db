"""`traffic` in the report view: the window, stages, refusals, clients, expiry radar and rotation
rehearsal (`traffic.view`) drawn by text, Markdown and HTML, the findings in the one order every
renderer uses, serials in colon hex, and `--redact` hiding subjects, issuers, the log group,
stages and API ids in every format (serials, as the contract says, stay).

The report comes from the real collector (`commands.traffic.run_traffic`) against moto's
CloudWatch Logs, API Gateway, S3 and ACM on loopback (the fixtures of tests/test_traffic.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from mtls_doctor.commands.traffic import run_traffic
from mtls_doctor.model.report import Report
from mtls_doctor.report import render
from mtls_doctor.report.certs import colon_hex
from mtls_doctor.report.json import document
from mtls_doctor.report.redact import redact_report
from mtls_doctor.report.view import ordered_findings
from mtls_doctor.traffic.model import Traffic
from tests import test_traffic
from tests.renderer_order import finding_ids_html, finding_ids_markdown, finding_ids_text
from tests.test_domain import NAME, REGION, Moto
from tests.test_traffic import Partners, logged_window, values_of

# the fixtures of the `traffic` tests: moto on loopback behind the fault proxy, the partners
moto_endpoint = test_traffic.moto_endpoint
aws = test_traffic.aws
acm_issues_at_once = test_traffic.acm_issues_at_once
partners = test_traffic.partners

pytestmark = pytest.mark.timeout(180)

#: a refusal no walkthrough explains
UNKNOWN_MSG = "Internal server error"
FORMATS = ("text", "markdown", "html")
EXTRACT = {"text": finding_ids_text, "markdown": finding_ids_markdown, "html": finding_ids_html}


def busy_domain(aws: Moto, p: Partners, candidate: str) -> Report:
    """An HTTP API domain whose stage logged 101 requests (alpha, beta, soon, expired,
    stranger, and one 500 no walkthrough explains), read with a candidate bundle that drops
    CA A: the `traffic` report, as the CLI makes it."""
    logged_window(aws, p, values_of(p.beta, 500, UNKNOWN_MSG, n=500))
    now = datetime.now(UTC).replace(microsecond=0)
    return run_traffic(NAME, now=now, region=REGION, truststore=candidate, timeout=120)


def api_id(report: Report) -> str:
    traffic = report.payload["traffic"]
    assert isinstance(traffic, Traffic)
    return traffic.stages[0].api_id


def test_traffic_drawn_in_every_format_in_one_order(aws, partners, acm_issues_at_once, write):
    report = busy_domain(aws, partners, write("candidate.pem", partners.candidate))
    assert report.command == "traffic" and isinstance(report.payload["traffic"], Traffic)
    expected = [f.id for f in ordered_findings(report)]
    assert "TRAFFIC_ROTATION_BREAKS_CLIENT" in expected and "TRAFFIC_REFUSALS" in expected
    alpha_serial = colon_hex(format(partners.alpha.cert.serial_number, "x"))
    for fmt in FORMATS:
        out = render(report, fmt)
        # the view's sections, drawn by each renderer
        for title in ("Traffic", "Stages", "Refusals by reason", "Client certificates seen",
                      "Rotation rehearsal", "Clients the candidate would refuse"):
            assert title in out, (fmt, title)
        assert "alpha-client" in out and "stranger-client" in out, fmt
        assert UNKNOWN_MSG in out and "client-rejected" in out, fmt
        # a logged serial is drawn as every other serial is: colon hex
        assert alpha_serial in out, fmt
        # the four renderers print the findings in the one order
        assert EXTRACT[fmt](out) == expected, fmt


def test_redact_hides_traffic_names_in_every_format(aws, partners, acm_issues_at_once, write):
    report = busy_domain(aws, partners, write("candidate.pem", partners.candidate))
    api = api_id(report)
    redacted = redact_report(report)
    hidden = ("alpha-client", "stranger-client", "Partner A", "Partner B", "Unknown", NAME,
              "orders-access", api, f"{api}/prod", test_traffic.ACCOUNT, "candidate.pem")
    alpha_serial = colon_hex(format(partners.alpha.cert.serial_number, "x"))
    outputs = {fmt: render(redacted, fmt) for fmt in FORMATS}
    outputs["json"] = json.dumps(document(redacted), default=str)
    for fmt, out in outputs.items():
        for value in hidden:
            assert value not in out, (fmt, value)
        assert "name-1" in out, fmt  # the subjects' placeholder
        if fmt != "json":
            assert alpha_serial in out, fmt  # serials are kept
    # the same refusal reasons and the same order after redaction
    assert [f.id for f in ordered_findings(redacted)] == [f.id for f in ordered_findings(report)]
