"""The access log line parser: derived from the stage's format (JSON and CLF-style), it never
crashes on any line and never invents a certificate: a certificate is counted only from a PEM
that decodes or from a subject the line really holds at that place of the format."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mtls_doctor.traffic import logformat as v
from mtls_doctor.traffic.aggregate import Tally
from mtls_doctor.traffic.certs import normalise_pem, parse_date
from mtls_doctor.traffic.logformat import LogFormat
from tests.pki_factory import PKI

NOW = datetime(2026, 11, 29, 19, 0, tzinfo=UTC)
JSON_FORMAT = ('{"requestId":"$context.requestId", "status": $context.status, '
               '"error":"$context.error.message", "cert": {"pem": '
               '"$context.identity.clientCert.clientCertPem", "subject": '
               '"$context.identity.clientCert.subjectDN"}}')
CLF = ('$context.identity.sourceIp - - [$context.requestTime] "$context.httpMethod '
       '$context.routeKey $context.protocol" $context.status $context.responseLength '
       '$context.requestId "$context.identity.clientCert.subjectDN" '
       '"$context.identity.clientCert.issuerDN" "$context.error.message"')
UNQUOTED = "$context.status $context.identity.clientCert.subjectDN $context.identity.clientCert.issuerDN"


@pytest.fixture(scope="module")
def leaf_pem() -> str:
    pki = PKI(NOW)
    return pki.leaf(pki.root("Parser Root"), "parser-client").pem.decode()


def test_json_format_reads_nested_and_bare_variables(leaf_pem):
    fmt = LogFormat.compile(JSON_FORMAT)
    assert fmt.kind == "json" and fmt.has(v.PEM) and fmt.has(v.STATUS)
    line = json.dumps({"requestId": "r1", "status": 403, "error": "Forbidden",
                       "cert": {"pem": leaf_pem, "subject": "CN=a, O=b"}})
    got = fmt.parse(line)
    assert got is not None
    assert got[v.STATUS] == "403" and got[v.MESSAGE] == "Forbidden"
    assert got[v.SUBJECT] == "CN=a, O=b" and got[v.PEM] == leaf_pem.strip()
    assert fmt.parse("not json") is None and fmt.parse("[1, 2]") is None


def test_clf_reads_quoted_values_with_spaces():
    fmt = LogFormat.compile(CLF)
    assert fmt.kind == "text"
    line = ('198.51.100.7 - - [29/Nov/2026:19:00:00 +0000] "GET GET /x HTTP/1.1" 403 12 req-1 '
            '"CN=Partner A, O=Acme Inc" "CN=Partner CA, O=Acme Inc" "Access denied. Reason: '
            'Could not find issuer for certificate"')
    got = fmt.parse(line)
    assert got is not None
    assert got[v.STATUS] == "403" and got[v.SUBJECT] == "CN=Partner A, O=Acme Inc"
    assert got[v.MESSAGE] == "Access denied. Reason: Could not find issuer for certificate"
    assert got["$context.requestTime"] == "29/Nov/2026:19:00:00 +0000"


def test_ambiguous_split_is_not_guessed():
    """Unquoted DNs with spaces in a space-separated format: more than one reading fits, and
    they disagree on every value (even the status could be `403 CN=Partner`), so none is
    taken; a line with one reading is read."""
    fmt = LogFormat.compile(UNQUOTED)
    got = fmt.parse("403 CN=Partner A CN=Root")
    assert got == {v.STATUS: None, v.SUBJECT: None, v.ISSUER: None}
    assert fmt.parse("403 CN=a CN=b") == {v.STATUS: "403", v.SUBJECT: "CN=a", v.ISSUER: "CN=b"}


def test_dash_is_no_value():
    fmt = LogFormat.compile(CLF)
    got = fmt.parse('- - - [-] "- - -" - - - "-" "-" "-"')
    assert got is not None and got[v.SUBJECT] is None and got[v.STATUS] is None


def test_logged_pem_forms(leaf_pem):
    body = leaf_pem.strip()
    assert normalise_pem(body) == normalise_pem(body.replace("\n", "\\n"))
    assert normalise_pem(body) == normalise_pem(body.replace("\n", " "))
    assert normalise_pem(body.replace("-----END CERTIFICATE-----", "")) is None
    assert normalise_pem("-----BEGIN CERTIFICATE-----!!!-----END CERTIFICATE-----") is None


def test_validity_dates():
    assert parse_date("May 28 12:30:02 2019 GMT") == datetime(2019, 5, 28, 12, 30, 2, tzinfo=UTC)
    assert parse_date("Aug  5 09:36:04 2021 GMT") == datetime(2021, 8, 5, 9, 36, 4, tzinfo=UTC)
    assert parse_date("yesterday") is None and parse_date(None) is None


# --- hypothesis: any line ------------------------------------------------------------------------

_ALPHABET = st.characters(codec="utf-8")  # surrogates cannot be UTF-8: none
_PIECES = st.sampled_from([" ", '"', "-", "[", "]", "{", "}", ":", ",", "\\n", "\n", "CN=", "403",
                           "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----", "MII",
                           '"status":', '"pem":', "$context.status", "null", "\\u0000"])
LINES = st.one_of(st.text(_ALPHABET, max_size=300),
                  st.lists(st.one_of(_PIECES, st.text(_ALPHABET, max_size=12)),
                           max_size=40).map("".join))
FORMATS = st.sampled_from([JSON_FORMAT, CLF, UNQUOTED, "$context.status", "{}", "{",
                           '{"a": "$context.status $context.status"}', ""])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(template=FORMATS, line=LINES)
def test_parser_never_crashes_and_invents_nothing(template, line):
    fmt = LogFormat.compile(template)
    got = fmt.parse(line)
    if got is not None:
        assert set(got) <= fmt.variables
        for value in got.values():
            # every value read is text of the line (JSON: of its decoded strings)
            assert value is None or isinstance(value, str)
            if fmt.kind == "text" and value is not None:
                assert value in line
    tally = Tally(NOW)
    tally.add("api/stage", fmt, line, 1_000)
    for cert in tally.certs.values():
        # a certificate is only ever one the line holds: its subject is in the line, or it
        # came from a PEM that decoded (impossible from random text)
        assert cert.decoded is None
        assert cert.named is not None and cert.named.subject in (got or {}).values()
        assert cert.named.subject in line or fmt.kind == "json"


@settings(max_examples=200, deadline=None)
@given(noise=st.text(_ALPHABET, max_size=40), cut=st.integers(0, 2000))
def test_cut_or_noisy_pem_is_no_certificate(leaf_pem, noise, cut):
    fmt = LogFormat.compile(JSON_FORMAT)
    broken = leaf_pem[:cut] + noise if cut < len(leaf_pem) - 30 else noise + leaf_pem[:cut // 2]
    line = json.dumps({"requestId": "r", "status": 200, "error": "-",
                       "cert": {"pem": broken, "subject": "-"}})
    tally = Tally(NOW)
    tally.add("api/stage", fmt, line, 1_000)
    assert tally.certs == {} and tally.without_certificate == 1


def test_payload_and_view_sections(leaf_pem):
    """The tally of a few lines becomes the payload, and the payload the view's sections."""
    from datetime import timedelta

    from mtls_doctor.pki.load import load_certificates
    from mtls_doctor.report.json import to_primitive
    from mtls_doctor.traffic.build import Window, build_traffic
    from mtls_doctor.traffic.judge import Judge
    from mtls_doctor.traffic.model import StageTraffic
    from mtls_doctor.traffic.view import traffic_sections

    fmt = LogFormat.compile(JSON_FORMAT)
    tally = Tally(NOW)
    for i, status in enumerate((200, 200, 403)):
        tally.add("api/prod", fmt, json.dumps({"requestId": str(i), "status": status,
                                               "error": "Forbidden" if status == 403 else "-",
                                               "cert": {"pem": leaf_pem, "subject": "-"}}), i)
    stage = StageTraffic("api", "http", "prod", "cloudwatch", format_kind="json",
                         cert_fields=("clientCertPem",))
    empty = load_certificates(b"", "empty.pem")
    t = build_traffic(Window("d.example", "us-east-1", "24h", NOW - timedelta(days=1), NOW,
                             100, 30), tally, [stage], at=NOW, today=Judge(empty, NOW),
                      candidate=Judge(empty, NOW), truststore="empty.pem",
                      candidate_name="empty.pem")
    assert (t.requests, t.refused, len(t.clients)) == (3, 1, 1)
    assert t.clients[0].verdict is not None and not t.clients[0].verdict.accepted
    assert t.refusals[0].finding == "HTTP_FORBIDDEN"
    doc = to_primitive(t)
    assert doc["clients"][0]["serial_number"] and doc["stages"][0]["requests"] == 3
    titles = [s.title for s in traffic_sections(t)]
    assert titles == ["Traffic", "Rotation rehearsal"]
