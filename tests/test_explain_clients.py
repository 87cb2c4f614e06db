"""`explain` reads what real clients print: Go, Java, Node, .NET, curl, Python and openssl, in both
directions (the server refusing the client's certificate, the client refusing the server's), curl's
client-side load errors, API Gateway's response headers and the BadRequestException texts of
create/update-domain-name; and a finding id starts from what the finding already establishes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mtls_doctor.commands.explain import run_explain
from mtls_doctor.model.catalog import CATALOG
from mtls_doctor.walkthroughs import FACTS, load_tree, recognise
from mtls_doctor.walkthroughs.recognise import FINDING_ENTRY, FINDING_FACTS, recognise_all
from tests.conftest import run_process

NOW = datetime(2026, 1, 1, tzinfo=UTC)

# --- the server refuses the client's certificate: client-rejected ----------------------------------

#: (client, text, facts the text establishes)
SERVER_REFUSES_CLIENT: list[tuple[str, str, dict[str, Any]]] = [
    ("go", 'Get "https://api.example.com/": remote error: tls: unknown certificate authority',
     {"alert": "unknown_ca"}),
    ("go", "remote error: tls: bad certificate", {"alert": "bad_certificate"}),
    ("go", "tls: bad certificate", {"alert": "bad_certificate"}),
    ("go", 'Post "https://api.example.com/v1": remote error: tls: certificate required',
     {"alert": "certificate_required", "client_cert_presented": False}),
    ("go", "remote error: tls: expired certificate", {"alert": "certificate_expired"}),
    ("java", "javax.net.ssl.SSLHandshakeException: Received fatal alert: bad_certificate",
     {"alert": "bad_certificate"}),
    ("java", "javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_unknown",
     {"alert": "certificate_unknown"}),
    ("java", "javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_required",
     {"alert": "certificate_required", "client_cert_presented": False}),
    ("node", "Error: write EPROTO 40B8:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:"
             "../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 48\n"
             "  code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'", {"alert": "unknown_ca"}),
    ("node", "Error: write EPROTO ... code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'",
     {"alert": "certificate_required", "client_cert_presented": False}),
    ("node", "error:14094412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:SSL alert number 42",
     {"alert": "bad_certificate"}),
    ("dotnet", "System.Net.Http.HttpRequestException: The SSL connection could not be established, see "
               "inner exception.\n ---> System.Security.Authentication.AuthenticationException: "
               "Authentication failed because the remote party sent a TLS alert: 'UnknownCA'.",
     {"alert": "unknown_ca"}),
    ("dotnet", "Authentication failed because the remote party sent a TLS alert: 'CertificateRequired'.",
     {"alert": "certificate_required", "client_cert_presented": False}),
    ("dotnet", "Authentication failed because the remote party sent a TLS alert: 'BadCertificate'.",
     {"alert": "bad_certificate"}),
    ("dotnet", "Authentication failed because the remote party sent a TLS alert: '116'.",
     {"alert": "certificate_required"}),
    ("curl", "curl: (56) OpenSSL SSL_read: error:0A000418:SSL routines::tlsv1 alert unknown ca, errno 0",
     {"alert": "unknown_ca"}),
    ("python", "ssl.SSLError: [SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required "
               "(_ssl.c:2580)", {"alert": "certificate_required"}),
    ("openssl", "140245:error:14094418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:"
                "../ssl/record/rec_layer_s3.c:1543:SSL alert number 48", {"alert": "unknown_ca"}),
    ("api-gateway", "Access denied. Reason: self signed certificate",
     {"forbidden_reason": "self_signed", "client_self_signed": True}),
]

# --- the client refuses the server's certificate: wrong-certificate --------------------------------

#: (client, text, facts the text establishes, values it names)
CLIENT_REFUSES_SERVER: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    ("go", 'Get "https://api.example.com/": tls: failed to verify certificate: x509: certificate signed '
           "by unknown authority", {"served_cert_trusted": False}, {}),
    ("go", "x509: certificate signed by unknown authority", {"served_cert_trusted": False}, {}),
    ("go", "x509: certificate is valid for *.example.com, example.com, not api.other.test",
     {"served_cert_covers_host": False, "served_cert_is_fqdn": False},
     {"host": "api.other.test", "served_names": ["*.example.com", "example.com"],
      "served_wildcard": True}),
    ("go", "x509: certificate is valid for old.example.com, not api.example.com",
     {"served_cert_covers_host": False}, {"host": "api.example.com", "served_wildcard": False}),
    ("go", "x509: certificate has expired or is not yet valid: current time 2026-01-01T00:00:00Z is "
           "after 2025-12-01T00:00:00Z", {"served_cert_expired": True}, {}),
    ("go", "x509: certificate has expired or is not yet valid: current time 2026-01-01T00:00:00Z is "
           "before 2026-02-01T00:00:00Z", {"served_cert_expired": False}, {}),
    ("java", "javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider."
             "certpath.SunCertPathBuilderException: unable to find valid certification path to requested "
             "target", {"served_cert_trusted": False}, {}),
    ("java", "javax.net.ssl.SSLHandshakeException: (certificate_unknown) PKIX path building failed",
     {"served_cert_trusted": False}, {}),
    ("java", "javax.net.ssl.SSLHandshakeException: No subject alternative DNS name matching "
             "api.example.com found.", {"served_cert_covers_host": False}, {"host": "api.example.com"}),
    ("java", "java.security.cert.CertificateExpiredException: NotAfter: Mon Dec 01 00:00:00 UTC 2025",
     {"served_cert_expired": True}, {}),
    ("node", "Error: self-signed certificate in certificate chain\n  code: 'SELF_SIGNED_CERT_IN_CHAIN'",
     {"served_cert_trusted": False}, {}),
    ("node", "Error: self signed certificate in certificate chain", {"served_cert_trusted": False}, {}),
    ("node", "Error: unable to verify the first certificate\n  code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'",
     {"served_cert_trusted": False}, {}),
    ("node", "Error: self-signed certificate\n  code: 'DEPTH_ZERO_SELF_SIGNED_CERT'",
     {"served_cert_trusted": False}, {}),
    ("node", "Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: "
             "Host: api.example.com. is not in the cert's altnames: DNS:*.other.test, DNS:other.test",
     {"served_cert_covers_host": False, "served_cert_is_fqdn": False},
     {"host": "api.example.com", "served_names": ["*.other.test", "other.test"]}),
    ("node", "Error: certificate has expired\n  code: 'CERT_HAS_EXPIRED'", {"served_cert_expired": True}, {}),
    ("dotnet", "System.Security.Authentication.AuthenticationException: The remote certificate is invalid "
               "according to the validation procedure: RemoteCertificateNameMismatch, "
               "RemoteCertificateChainErrors",
     {"served_cert_covers_host": False, "served_cert_trusted": False}, {}),
    ("dotnet", "The remote certificate is invalid according to the validation procedure: "
               "RemoteCertificateChainErrors", {"served_cert_trusted": False}, {}),
    ("dotnet", "The remote certificate is invalid according to the validation procedure.", {}, {}),
    ("curl", "curl: (60) SSL certificate problem: self-signed certificate in certificate chain",
     {"served_cert_trusted": False}, {}),
    ("curl", "curl: (60) SSL certificate problem: unable to get local issuer certificate",
     {"served_cert_trusted": False}, {}),
    ("curl", "curl: (60) SSL certificate problem: certificate has expired",
     {"served_cert_expired": True}, {}),
    ("curl", "curl: (60) SSL: no alternative certificate subject name matches target host name "
             "'api.example.com'", {"served_cert_covers_host": False}, {"host": "api.example.com"}),
    ("curl", "curl: (60) SSL: no alternative certificate subject name matches target hostname "
             "'api.example.com'", {"served_cert_covers_host": False}, {"host": "api.example.com"}),
    ("curl", "curl: (51) SSL: certificate subject name 'old.example.com' does not match target host name "
             "'api.example.com'", {"served_cert_covers_host": False},
     {"host": "api.example.com", "served_names": ["old.example.com"]}),
    ("python", "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
               "Hostname mismatch, certificate is not valid for 'api.example.com'. (_ssl.c:1006)",
     {"served_cert_covers_host": False}, {"host": "api.example.com"}),
    ("python", "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
               "self-signed certificate in certificate chain (_ssl.c:1006)",
     {"served_cert_trusted": False}, {}),
    ("openssl", "verify error:num=10:certificate has expired", {"served_cert_expired": True}, {}),
]


@pytest.mark.parametrize(("client", "text", "facts"), SERVER_REFUSES_CLIENT,
                         ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(SERVER_REFUSES_CLIENT)])
def test_the_server_refusing_the_client_certificate(client: str, text: str, facts: dict[str, Any]) -> None:
    matches = recognise(text)
    assert matches, text
    assert matches[0].walkthrough == "client-rejected"
    assert facts.items() <= dict(matches[0].facts).items()
    assert "wrong-certificate" not in [m.walkthrough for m in matches]
    for m in matches:
        assert set(m.facts) <= set(FACTS), m


@pytest.mark.parametrize(("client", "text", "facts", "values"), CLIENT_REFUSES_SERVER,
                         ids=[f"{c}-{i}" for i, (c, _, _, _) in enumerate(CLIENT_REFUSES_SERVER)])
def test_the_client_refusing_the_server_certificate(client: str, text: str, facts: dict[str, Any],
                                                    values: dict[str, Any]) -> None:
    found = recognise_all(text)
    assert found, text
    best = found[0]
    assert best.match.walkthrough == "wrong-certificate"
    assert facts.items() <= dict(best.match.facts).items()
    assert values.items() <= dict(best.values).items()
    assert "client-rejected" not in [r.match.walkthrough for r in found]
    assert set(best.match.facts) <= set(FACTS)
    assert best.match.matched.lower() in " ".join(text.split()).lower()


def test_bare_words_stay_api_gateway_s_access_log_reasons() -> None:
    """Without anything that says a client checked the server, these are API Gateway's reasons."""
    assert recognise("self signed certificate")[0].walkthrough == "client-rejected"
    assert recognise("certificate has expired")[0].walkthrough == "client-rejected"


def test_an_alert_this_side_sent_is_not_the_server_s_verdict() -> None:
    assert [m for m in recognise("local error: tls: bad certificate")
            if m.walkthrough == "client-rejected"] == []


def test_a_name_mismatch_walks_on_with_the_host_filled_in() -> None:
    report = run_explain("x509: certificate is valid for *.example.com, not api.other.test", now=NOW)
    w = report.payload["walkthrough"]
    assert w["facts"]["host"] == "api.other.test" and w["facts"]["served_cert_covers_host"] is False
    first = w["steps"][0]
    assert first.detected and "api.other.test" in first.question
    assert first.evidence.startswith("detected from the pasted text: no")
    assert w["pending"] is None or w["pending"].fact != "served_cert_covers_host"


# --- curl's client-side load errors ---------------------------------------------------------------

LOAD_ERRORS = [
    ("curl: (58) could not load PEM client certificate from client.pem, OpenSSL error error:80000002:"
     "system library::No such file or directory, (no key found, wrong pass phrase, or wrong file format?)",
     {"cert_file": "client.pem"}),
    ("curl: (58) could not load PEM client certificate, OpenSSL error error:02001002:system library:fopen:"
     "No such file or directory, (no key found, wrong pass phrase, or wrong file format?)", {}),
    ("curl: (58) unable to set private key file: 'my key.pem' type PEM", {"key_file": "my key.pem"}),
    ("curl: (58) unable to use client certificate (no key found or wrong pass phrase?)", {}),
    ("curl: (58) problem with the local client certificate", {}),
    ("curl: (58) could not parse PKCS12 file, check password, OpenSSL error error:11800071:PKCS12 "
     "routines::mac verify failure", {}),
]


@pytest.mark.parametrize(("text", "values"), LOAD_ERRORS)
def test_a_client_side_load_error_means_nothing_was_sent(text: str, values: dict[str, str]) -> None:
    best = recognise_all(text)[0]
    assert best.match.walkthrough == "client-rejected" and best.match.kind == "client-load"
    assert best.match.facts["client_cert_presented"] is False
    assert values.items() <= dict(best.values).items()
    w = run_explain(text, now=NOW).payload["walkthrough"]
    # the server's alert is moot: the walk goes straight to the local files
    assert w["pending"] is None and w["fix"] is not None
    assert all(s.detected for s in w["steps"])
    assert "alert" not in [s.node for s in w["steps"]]
    for name, value in values.items():
        assert any(value in c for c in w["fix"].commands), (name, w["fix"].commands)


def test_a_key_that_is_not_the_certificate_s_goes_to_the_key_mismatch_fix() -> None:
    text = "curl: (58) Private key does not match the certificate public key"
    best = recognise_all(text)[0]
    assert best.match.facts["client_key_matches"] is False
    assert best.match.finding == "CLIENT_KEY_MISMATCH"
    w = run_explain(text, now=NOW).payload["walkthrough"]
    assert w["leaf"] == "key-mismatch"


@pytest.mark.parametrize(("text", "values"), LOAD_ERRORS)
def test_a_load_error_ends_at_the_local_files_not_at_sending_a_certificate(
        text: str, values: dict[str, str]) -> None:
    w = run_explain(text, now=NOW).payload["walkthrough"]
    assert w["leaf"] == "load-client-files"
    assert [s.node for s in w["steps"]][-2:] == ["cert-presented", "load-failed"]
    commands = w["fix"].commands
    # the files are read, and the key is matched to the certificate, with quoted file names
    assert any(c.startswith("openssl x509 -in ") and "-pubkey" in c and "| openssl sha256" in c
               for c in commands)
    assert any(c.startswith("openssl pkey -in ") and "-pubout | openssl sha256" in c for c in commands)
    assert any(c.startswith("openssl pkcs12 -in ") for c in commands)
    if "key_file" in values:
        assert "openssl pkey -in 'my key.pem' -noout" in commands
    assert not w["fix"].summary.startswith("The server asked")


@pytest.mark.parametrize("text", [
    "remote error: tls: certificate required",
    "ssl.SSLError: [SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required",
])
def test_a_server_that_asked_and_got_none_still_ends_at_sending_one(text: str) -> None:
    # the server's alert: the client connected, so it loaded its files (or had none)
    best = recognise_all(text)[0]
    assert best.match.facts.get("client_load_failed") is False
    w = run_explain(text, now=NOW).payload["walkthrough"]
    assert w["leaf"] == "send-certificate" and w["pending"] is None
    assert [s.node for s in w["steps"]] == ["alert", "cert-presented", "load-failed"]
    assert all(s.detected for s in w["steps"])


def test_nginx_s_no_certificate_sent_also_says_the_files_loaded() -> None:
    best = recognise_all("400 Bad Request: No required SSL certificate was sent")[0]
    assert best.match.facts.get("client_load_failed") is False


def test_the_load_failed_question_is_asked_when_nothing_decides_it() -> None:
    asked = {"alert": "handshake_failure", "cert-presented": "no"}
    w = run_explain("", now=NOW, walkthrough="client-rejected", answers=asked).payload["walkthrough"]
    assert w["leaf"] is None and w["pending"].node == "load-failed"
    w = run_explain("", now=NOW, walkthrough="client-rejected",
                    answers={**asked, "load-failed": "yes"}).payload["walkthrough"]
    assert w["leaf"] == "load-client-files"
    w = run_explain("", now=NOW, walkthrough="client-rejected",
                    answers={**asked, "load-failed": "no"}).payload["walkthrough"]
    assert w["leaf"] == "send-certificate"


def test_the_local_files_leaf_hangs_under_the_certificate_not_sent() -> None:
    assert FACTS["client_load_failed"].type == "bool"
    tree = load_tree("client-rejected")
    assert tree.nodes["cert-presented"].answers["no"] == "load-failed"  # type: ignore[union-attr]
    assert tree.nodes["load-failed"].answers == {  # type: ignore[union-attr]
        "yes": "load-client-files", "no": "send-certificate"}


# --- response headers -----------------------------------------------------------------------------

HEADERS = [
    ("< HTTP/2 403\n< x-amzn-errortype: ForbiddenException\n< x-amz-apigw-id: Ab1=\n",
     {"http_status": 403, "alert": "none", "forbidden_reason": "forbidden"}),
    ("x-amzn-ErrorType: MissingAuthenticationTokenException",
     {"http_status": 403, "forbidden_reason": "missing_authentication_token"}),
    ("x-amzn-errortype: MissingAuthenticationTokenException", {"http_status": 403}),
    ("x-amzn-ErrorType: AccessDeniedException", {"http_status": 403, "alert": "none"}),
    ("HTTP/1.1 200 OK\nx-amzn-RequestId: 0b7c-41d2\nx-amz-apigw-id: Ab1=", {"alert": "none",
                                                                          "http_status": 200}),
    ("x-amz-apigw-id: Ab1=", {"alert": "none"}),
]


@pytest.mark.parametrize(("text", "facts"), HEADERS)
def test_api_gateway_s_response_headers(text: str, facts: dict[str, Any]) -> None:
    best = recognise(text)[0]
    assert best.walkthrough == "client-rejected"
    assert facts.items() <= dict(best.facts).items()


def test_access_denied_leaves_the_kind_of_403_to_ask() -> None:
    """AccessDeniedException is an authorizer's or a resource policy's: the text does not say which."""
    assert "forbidden_reason" not in recognise("x-amzn-ErrorType: AccessDeniedException")[0].facts


# --- create/update-domain-name and IaC errors -----------------------------------------------------

def test_the_issuer_conflict_names_its_subject() -> None:
    text = ("An error occurred (BadRequestException) when calling the CreateDomainName operation: The "
            "certificate subject CN=api.example.com conflicts with an existing certificate from a "
            "different issuer.")
    best = recognise_all(text)[0]
    assert best.match.walkthrough == "issuer-conflict"
    assert best.values == {"subject": "CN=api.example.com", "subject_wildcard": False,
                           "domain": "api.example.com"}
    w = run_explain(text, now=NOW).payload["walkthrough"]
    assert w["facts"]["domain"] == "api.example.com"
    done = run_explain(text, now=NOW, answers={"in-account": "yes", "which-issuer": "yes"})
    fix = done.payload["walkthrough"]["fix"]
    assert "api.example.com" in fix.summary


def test_a_wildcard_subject_is_not_taken_for_the_domain() -> None:
    text = ("Resource handler returned message: \"The certificate subject <CN=*.example.com> conflicts "
            "with an existing certificate from a different issuer. (Service: ApiGateway, Status Code: 400)\"")
    best = recognise_all(text)[0]
    assert best.match.walkthrough == "issuer-conflict"
    assert best.values["subject_wildcard"] is True and "domain" not in best.values


def test_the_subject_is_optional_in_the_message() -> None:
    text = "The certificate subject conflicts with an existing certificate from a different issuer."
    best = recognise_all(text)[0]
    assert best.match.walkthrough == "issuer-conflict" and best.values == {}


AWS_ERRORS = [
    # hashicorp/terraform-provider-aws#35741
    ("Error: updating API Gateway Domain Name (api.example.com): BadRequestException: Missing "
     "ownershipVerificationCertificate.", "domain-status", {"ownership_cert_present": False},
     "DOMAIN_OWNERSHIP_CERT_MISSING"),
    ("An error occurred (BadRequestException) when calling the UpdateDomainName operation: Missing "
     "ownershipVerificationCertificate.", "domain-status", {"ownership_cert_present": False},
     "DOMAIN_OWNERSHIP_CERT_MISSING"),
    ("BadRequestException: The ownershipVerificationCertificateArn is invalid", "domain-status",
     {"ownership_cert_present": True, "ownership_cert_valid": False}, "DOMAIN_OWNERSHIP_CERT_INVALID"),
    ("An error occurred (BadRequestException) when calling the CreateDomainName operation: Unable to "
     "access the truststore s3://bucket/truststore.pem: Access Denied", "truststore-update",
     {"truststore_readable": False}, "DOMAIN_TRUSTSTORE_UNREADABLE"),
    ("BadRequestException: The truststore object s3://bucket/truststore.pem was not found",
     "truststore-update", {"truststore_readable": False}, "DOMAIN_TRUSTSTORE_UNREADABLE"),
    ("BadRequestException: Invalid truststore: too many certificates", "truststore-update", {}, None),
]


@pytest.mark.parametrize(("text", "walkthrough", "facts", "finding"), AWS_ERRORS)
def test_domain_name_errors(text: str, walkthrough: str, facts: dict[str, Any],
                            finding: str | None) -> None:
    best = recognise(text)[0]
    assert best.walkthrough == walkthrough and best.finding == finding
    assert dict(best.facts) == facts


def test_a_bad_request_about_something_else_is_not_taken_for_mtls() -> None:
    assert recognise("BadRequestException: Invalid stage identifier specified") == []


# --- finding ids ----------------------------------------------------------------------------------

WITH_WALKTHROUGH = sorted(i for i, spec in CATALOG.items() if spec.walkthrough)


@pytest.mark.parametrize("finding_id", WITH_WALKTHROUGH)
def test_explain_a_finding_does_not_ask_what_it_implies(finding_id: str) -> None:
    implied = FINDING_FACTS.get(finding_id, {})
    w = run_explain(finding_id, now=NOW).payload["walkthrough"]
    assert w["id"] == CATALOG[finding_id].walkthrough and w["finding"] == finding_id
    pending = w["pending"]
    if pending is not None:
        assert pending.fact not in implied, (finding_id, pending)
        assert pending.note is None  # every implied value is one of the question's answers
    asked = [s.node for s in w["steps"] if not s.detected]
    assert asked == []
    for step in w["steps"]:
        assert step.evidence.startswith(f"implied by finding {finding_id}: ")


@pytest.mark.parametrize("finding_id", sorted(FINDING_FACTS))
def test_implied_facts_are_facts_of_the_finding_s_tree(finding_id: str) -> None:
    tree = load_tree(CATALOG[finding_id].walkthrough or "")
    assert set(FINDING_FACTS[finding_id]) <= set(tree.facts())


@pytest.mark.parametrize("finding_id", sorted(FINDING_ENTRY))
def test_entry_facts_are_read_by_the_finding_s_tree(finding_id: str) -> None:
    tree = load_tree(CATALOG[finding_id].walkthrough or "")
    assert FINDING_ENTRY[finding_id] in tree.facts()
    assert FINDING_ENTRY[finding_id] in FINDING_FACTS[finding_id]


def test_explain_execute_api_enabled_starts_at_the_endpoint() -> None:
    w = run_explain("DOMAIN_EXECUTE_API_ENABLED", now=NOW).payload["walkthrough"]
    tree = load_tree("mtls-not-enforced")
    read = {tree.nodes[s.node].fact for s in w["steps"]}  # type: ignore[union-attr]
    asked = {w["pending"].fact} if w["pending"] else set()
    assert not (read | asked) & {"endpoint_type", "security_policy", "mtls_enabled"}
    assert w["steps"][0].answer == "yes" and "execute_api_enabled: yes" in w["steps"][0].evidence
    assert w["skipped"] and "started here" in w["steps"][0].evidence
    # the walk leads to disabling the endpoint (the API type is the question left)
    done = run_explain("DOMAIN_EXECUTE_API_ENABLED", now=NOW, answers={w["pending"].node: "rest"})
    assert done.payload["walkthrough"]["leaf"] == "disable-execute-api-rest"


def test_explain_fqdn_instead_of_wildcard_establishes_served_vs_configured() -> None:
    implied = FINDING_FACTS["SERVER_FQDN_INSTEAD_OF_WILDCARD"]
    assert {"configured_cert_is_wildcard", "served_cert_is_fqdn", "served_is_configured"} <= set(implied)
    w = run_explain("SERVER_FQDN_INSTEAD_OF_WILDCARD", now=NOW).payload["walkthrough"]
    tree = load_tree("wrong-certificate")
    read = [tree.nodes[s.node].fact for s in w["steps"]]  # type: ignore[union-attr]
    # every served-vs-configured question on the way is answered by the finding, none is asked
    assert w["pending"] is None or w["pending"].fact not in implied
    assert "configured_cert_is_wildcard" in read and "served_cert_is_fqdn" in read


# --- the command line -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "rc", "walkthrough"), [
    ("Get \"https://api.example.com/\": remote error: tls: unknown certificate authority", 0,
     "client-rejected"),
    ("Error: self-signed certificate in certificate chain code: 'SELF_SIGNED_CERT_IN_CHAIN'", 0,
     "wrong-certificate"),
    ("curl: (58) unable to set private key file: 'client.key' type PEM", 0, "client-rejected"),
    ("the weather is nice today", 1, None),
])
def test_the_cli_exit_codes(text: str, rc: int, walkthrough: str | None) -> None:
    import json

    proc = run_process(["explain", text, "--format", "json"])
    assert proc.returncode == rc, proc.stderr
    doc = json.loads(proc.stdout)
    w = doc["walkthrough"]
    assert (w["id"] if w else None) == walkthrough


def test_the_text_report_says_what_came_from_the_text(cli: Any) -> None:
    run = cli("explain", "x509: certificate is valid for *.example.com, not api.other.test",
              json_out=False)
    assert run.rc == 0
    assert "detected from the pasted text" in run.out
    assert "x509: certificate is valid for *.example.com, not api.other.test" in run.out


# --- hostile text ---------------------------------------------------------------------------------

def test_values_from_the_text_are_never_control_characters() -> None:
    text = "x509: certificate is valid for a.example, not evil\x1b]52;c;aGk=\x07.example"
    found = recognise_all(text)
    assert found and found[0].match.walkthrough == "wrong-certificate"
    assert "host" not in found[0].values
    subject = "The certificate subject CN=a\u202eb.example conflicts with an existing certificate from a " \
              "different issuer."
    assert recognise_all(subject)[0].values == {}


def test_every_rule_that_matches_a_sample_holds_one_of_its_needles() -> None:
    """A rule runs only on a text holding one of its needles: none may miss a text it matches."""
    from mtls_doctor.walkthroughs.texts import RULES

    samples = [t for _, t, _ in SERVER_REFUSES_CLIENT] + [t for _, t, _, _ in CLIENT_REFUSES_SERVER]
    samples += [t for t, _ in LOAD_ERRORS] + [t for t, _ in HEADERS] + [t for t, _, _, _ in AWS_ERRORS]
    samples += [
        "status: updating", "PENDING", "available", "Could not find issuer for certificate",
        "Client cert using an insecure Signature Algorithm", "No client certificate CA names sent",
        "400 No required SSL certificate was sent", "400 The SSL certificate error",
        "User is not authorized to access this resource", "with an explicit deny", "403",
        "{\"message\":\"Forbidden\"}", "Certificate CN=Root has expired", "truststoreWarnings",
        "how do I disable mTLS", "op=replace,path=/mutualTlsAuthentication/truststoreUri',value=''",
        "rotate the truststore", "disableExecuteApiEndpoint", "fqdn or wildcard",
        "The remote certificate was rejected by the provided RemoteCertificateValidationCallback.",
        "curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL", "read ECONNRESET",
        "Authentication failed because the remote party has closed the transport stream.",
        "subjectAltName does not match api.example.com", "No name matching api.example.com found",
        "x509: certificate relies on legacy Common Name field, use SANs instead",
        "Verify return code: 21 (unable to verify the first certificate)"]
    matched = 0
    for text in samples:
        for pattern, _build, needles in RULES:
            if pattern.search(text):
                matched += 1
                assert any(n in text.lower() for n in needles), (pattern.pattern[:60], text)
    assert matched > len(samples)


def test_a_forced_walkthrough_keeps_what_the_text_says_in_that_tree() -> None:
    text = "HTTP/1.1 403 Forbidden\ndomain status PENDING_OWNERSHIP_VERIFICATION"
    default = run_explain(text, now=NOW).payload["walkthrough"]
    assert default["id"] == "domain-status"
    assert [o["walkthrough"] for o in default["others"]] == ["client-rejected"]
    forced = run_explain(text, now=NOW, walkthrough="client-rejected").payload["walkthrough"]
    assert forced["facts"]["http_status"] == 403 and "status" not in forced["facts"]
