"""The guided fix walkthroughs: the trees load and validate, every leaf is reachable and renders
a fix, facts answer questions (with evidence), explicit answers override them, a walk stops at
the first undecided question, broken trees are refused, and `recognise` knows real error texts."""

from __future__ import annotations

import copy
import json
import re
import shlex
import subprocess
import sys
from typing import Any

import pytest

from mtls_doctor.model.catalog import CATALOG, WALKTHROUGHS
from mtls_doctor.report.json import to_primitive
from mtls_doctor.walkthroughs import (
    FACTS,
    PLACEHOLDERS,
    RECHECKS,
    LeafNode,
    QuestionNode,
    Tree,
    WalkthroughError,
    all_trees,
    leaf_paths,
    load_tree,
    parse_tree,
    recognise,
    render_command,
    render_text,
    walk,
)
from mtls_doctor.walkthroughs.recognise import FINDING_FACTS
from mtls_doctor.walkthroughs.trees import placeholders

#: a value for every placeholder, as `diagnose` would fill them in
FILLED: dict[str, Any] = {
    "domain": "api.example.com", "region": "us-east-1", "bucket": "truststore-bucket",
    "key": "mtls/truststore.pem", "version": "v1.old", "new_version": "abcdef123",
    "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/1111",
    "new_certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/2222",
    "ownership_arn": "arn:aws:acm:us-east-1:123456789012:certificate/3333",
    "new_ownership_arn": "arn:aws:acm:us-east-1:123456789012:certificate/4444",
    "cert_file": "client.pem", "key_file": "client.key", "truststore_file": "truststore.pem",
    "host": "api.example.com", "port": 443, "api_id": "a1b2c3d4e5", "stage": "prod",
    "authority": "api.example.com:443", "connect": "203.0.113.9:443",
}
assert set(FILLED) == set(PLACEHOLDERS)

TOOLS = ("aws ", "openssl ", "curl ", "mtls-doctor ", "dig ", "cat ")


# --- every tree loads and validates ------------------------------------------------------------------

def test_every_contract_walkthrough_has_a_valid_tree() -> None:
    trees = all_trees()
    assert list(trees) == list(WALKTHROUGHS)
    for tree_id, tree in trees.items():
        assert tree.id == tree_id
        assert tree.title and tree.summary
        assert tree.start in tree.nodes
        assert load_tree(tree_id) is tree
        for leaf in tree.leaves():
            assert leaf.fix.summary.strip()
            assert leaf.recheck in RECHECKS, (tree_id, leaf.id)
            assert leaf.fix.commands, (tree_id, leaf.id)
            for command in leaf.fix.commands:
                assert command.startswith(TOOLS), (tree_id, leaf.id, command)
        for question in tree.questions():
            assert len(question.answers) >= 2


def test_all_trees_returns_a_copy() -> None:
    trees = all_trees()
    trees.pop("disable-mtls")
    assert "disable-mtls" in all_trees()


def test_unknown_walkthrough_id_is_refused() -> None:
    with pytest.raises(WalkthroughError, match="unknown walkthrough"):
        load_tree("no-such-tree")


def test_every_fact_key_is_read_by_a_tree_and_documented() -> None:
    read = {fact for tree in all_trees().values() for fact in tree.facts()}
    assert read == set(FACTS)
    for spec in FACTS.values():
        assert spec.type in {"bool", "int", "str"}
        assert spec.meaning and spec.source


def test_trees_carry_the_guides_commands() -> None:
    """The leaves hold the exact commands of the API Gateway guide's troubleshooting section."""
    commands = "\n".join(c for t in all_trees().values() for leaf in t.leaves() for c in leaf.fix.commands)
    for needle in (
        # patch operations and other structured parameters are one JSON word
        '"path":"/mutualTlsAuthentication/truststoreVersion","value":"{new_version}"',
        '"path":"/mutualTlsAuthentication/truststoreVersion","value":"<new-version-id>"',
        '"path":"/mutualTlsAuthentication/truststoreUri","value":""',
        '"path":"/ownershipVerificationCertificateArn","value":"{new_ownership_arn}"',
        '"path":"/disableExecuteApiEndpoint","value":"True"',
        "aws apigateway create-deployment --rest-api-id {api_id} --stage-name {stage}",
        "aws acm import-certificate",
        "aws acm request-certificate --domain-name {domain} --validation-method DNS",
        # the upload prints the new version id
        "aws s3api put-object --bucket {bucket} --key {key} --body {truststore_file} "
        "--query VersionId --output text",
        "aws s3api list-object-versions --bucket {bucket}",
        "openssl x509 -in {cert_file} -text -noout",
        "openssl s_client -connect {connect} -servername {host}",
        "curl -v --connect-to {authority}:{connect} --cert {cert_file} --key {key_file}",
        "--security-policy TLS_1_2 --mutual-tls-authentication "
        '\'{"truststoreUri":"s3://{bucket}/{key}"}\'',
    ):
        assert needle in commands, needle


# --- every leaf, by every path -----------------------------------------------------------------------

def answer_paths(tree: Tree) -> list[tuple[dict[str, str], str]]:
    """Every (answers, leaf) from start, enumerated here independently of the engine."""
    out: list[tuple[dict[str, str], str]] = []
    todo: list[tuple[str, dict[str, str]]] = [(tree.start, {})]
    while todo:
        node_id, path = todo.pop()
        node = tree.nodes[node_id]
        if isinstance(node, LeafNode):
            out.append((path, node_id))
            continue
        assert isinstance(node, QuestionNode)
        for answer, target in node.answers.items():
            todo.append((target, {**path, node_id: answer}))
    return out


@pytest.mark.parametrize("tree_id", WALKTHROUGHS)
def test_every_leaf_is_reached_with_a_rendered_fix(tree_id: str) -> None:
    tree = load_tree(tree_id)
    paths = answer_paths(tree)
    assert sorted(map(repr, paths)) == sorted(map(repr, leaf_paths(tree)))
    assert {leaf for _, leaf in paths} == {leaf.id for leaf in tree.leaves()}
    for answers, leaf_id in paths:
        # the user's answers alone, with every placeholder known
        done = walk(tree, FILLED, answers)
        assert done.finished and done.leaf == leaf_id and done.pending is None
        assert done.fix is not None and done.fix.summary
        assert done.recheck == tree.nodes[leaf_id].recheck  # type: ignore[union-attr]
        assert [s.node for s in done.steps] == list(answers)
        assert all(not s.detected and s.evidence == f"answered: {s.answer}" for s in done.steps)
        assert done.recheck_command is not None
        for text in (done.fix.summary, *done.fix.steps, *done.fix.commands, done.recheck_command):
            assert not set(re.findall(r"\{([a-z_]+)\}", text)) & set(PLACEHOLDERS), text
            # every value known: the only placeholder left is the version an upload will print
            assert "<" not in text.replace("</dev/null", "").replace("'<new-version-id>'", "") \
                .replace("<new-version-id>", ""), text
        for command in done.fix.commands:
            shlex.split(command)  # quoting is balanced

        # nothing known: every placeholder rendered as <name>, inside one quoted argument
        bare = walk(tree, {}, answers)
        assert bare.leaf == leaf_id and bare.fix is not None
        for template, command in zip(tree.nodes[leaf_id].fix.commands, bare.fix.commands,  # type: ignore[union-attr]
                                     strict=True):
            for name in placeholders(template):
                assert any(f"<{name}>" in arg for arg in shlex.split(command)), (name, command)


# --- facts answer, answers override, a walk stops where nothing decides ------------------------------

ENFORCED = {"endpoint_type": "REGIONAL", "security_policy": "TLS_1_2", "mtls_enabled": True,
            "dns_points_to_domain": True, "execute_api_enabled": True, "api_type": "rest"}


def test_facts_answer_the_questions_with_evidence() -> None:
    tree = load_tree("mtls-not-enforced")
    done = walk(tree, {**ENFORCED, **FILLED})
    assert done.leaf == "disable-execute-api-rest"
    # the DNS question comes after the questions the domain's facts always decide
    assert [s.answer for s in done.steps] == ["regional", "tls_1_2", "yes", "yes", "rest"]
    assert all(s.detected for s in done.steps)
    evidence = {s.node: s.evidence for s in done.steps}
    assert evidence["mtls-enabled"] == "detected: yes (from mtls_enabled: yes)"
    assert evidence["regional"] == "detected: regional (from endpoint_type: REGIONAL)"
    assert done.recheck == "domain"
    assert done.fix is not None
    assert done.fix.commands[:2] == (
        "aws apigateway update-rest-api --rest-api-id a1b2c3d4e5 --patch-operations "
        '\'[{"op":"replace","path":"/disableExecuteApiEndpoint","value":"True"}]\' --region us-east-1',
        "aws apigateway create-deployment --rest-api-id a1b2c3d4e5 --stage-name prod --region us-east-1",
    )
    assert done.fix.commands[2] == ("curl -sS -o /dev/null -w '%{http_code}\\n' "
                                    "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/")
    assert done.recheck_command == "mtls-doctor domain api.example.com --region us-east-1"


def test_an_explicit_answer_overrides_the_facts() -> None:
    tree = load_tree("mtls-not-enforced")
    done = walk(tree, ENFORCED, {"execute-api": "no"})
    step = done.steps[-1]
    assert (step.node, step.answer, step.detected) == ("execute-api", "no", False)
    assert step.evidence == "answered: no (overrides detected: yes, from execute_api_enabled: yes)"
    assert done.pending is not None and done.pending.node == "requested"

    agree = walk(tree, ENFORCED, {"execute-api": " TRUE "})
    assert agree.steps[3].answer == "yes"
    assert agree.steps[3].evidence == "answered: yes (agrees with execute_api_enabled: yes)"
    assert agree.leaf == "disable-execute-api-rest"


def test_an_answer_the_node_does_not_offer_is_refused() -> None:
    refused = r"'perhaps' is not an answer here \(answers: yes, no\)"
    with pytest.raises(WalkthroughError, match=refused) as exc:
        walk(load_tree("disable-mtls"), {}, {"mtls-on": "perhaps"})
    assert exc.value.tree == "disable-mtls" and exc.value.node == "mtls-on"


def test_the_walk_stops_at_the_first_question_the_facts_do_not_decide() -> None:
    tree = load_tree("domain-status")
    start = walk(tree, {})
    assert start.steps == () and start.fix is None and start.recheck is None and not start.finished
    assert start.pending is not None
    assert start.pending.node == "status" and start.pending.fact == "status"
    assert "pending_ownership_verification" in start.pending.answers
    assert start.pending.help and "<domain>" in start.pending.help

    later = walk(tree, {"status": "PENDING_OWNERSHIP_VERIFICATION"})
    assert [s.answer for s in later.steps] == ["pending_ownership_verification"]
    assert later.pending is not None and later.pending.node == "validation-record"

    done = walk(tree, {"status": "PENDING_OWNERSHIP_VERIFICATION", "validation_record_present": False})
    assert done.leaf == "restore-validation" and done.fix is not None
    assert "PENDING_OWNERSHIP_VERIFICATION" in done.fix.summary


def test_unlisted_fact_values_take_other_or_stay_pending() -> None:
    status = walk(load_tree("domain-status"), {"status": "SOMETHING_NEW"})
    assert status.leaf == "read-status-message"
    assert status.steps[0].answer == "other"

    # endpoint_type offers no "other": the question stays open and says why
    odd = walk(load_tree("mtls-not-enforced"), {"endpoint_type": "SATELLITE"})
    assert odd.pending is not None and odd.pending.node == "regional"
    assert odd.pending.note == "endpoint_type: SATELLITE, which matches no answer"

    # None and "" are unknown, not answers
    assert walk(load_tree("disable-mtls"), {"mtls_enabled": None}).pending is not None
    assert walk(load_tree("disable-mtls"), {"api_type": ""}, {"mtls-on": "yes", "other-auth": "yes"}).pending


def test_numbers_and_strings_as_facts() -> None:
    warnings = load_tree("truststore-warnings")
    assert walk(warnings, {"truststore_warning_count": 3}).steps[0].answer == "yes"
    none = walk(warnings, {"truststore_warning_count": 0, "truststore_error_count": 0})
    assert [s.answer for s in none.steps] == ["no", "no"] and none.leaf == "refresh-warnings"
    assert walk(warnings, {"truststore_warning_count": "true"}).steps[0].answer == "yes"

    rejected = load_tree("client-rejected")
    ok = walk(rejected, {"alert": "none", "http_status": 200})
    assert ok.leaf == "not-rejected" and ok.steps[1].answer == "other"
    forbidden = walk(rejected, {"alert": "none", "http_status": "403", "forbidden_reason": "authorizer"})
    assert forbidden.leaf == "authorizer"


def test_a_walk_is_plain_data_for_the_json_report() -> None:
    done = walk(load_tree("disable-mtls"), {**FILLED, "mtls_enabled": True, "api_type": "rest"},
                {"other-auth": "yes"})
    doc = json.loads(json.dumps(to_primitive(done)))
    assert doc["tree"] == "disable-mtls" and doc["leaf"] == "disable-rest"
    assert doc["steps"][0] == {"node": "mtls-on",
                               "question": "Does the domain have mutual TLS on (a truststoreUri)?",
                               "answer": "yes", "detected": True,
                               "evidence": "detected: yes (from mtls_enabled: yes)"}
    assert doc["fix"]["commands"][1] == (
        "aws apigateway update-domain-name --domain-name api.example.com --patch-operations "
        '\'[{"op":"replace","path":"/mutualTlsAuthentication/truststoreUri","value":""}]\' '
        "--region us-east-1")
    assert doc["recheck"] == "domain" and doc["pending"] is None
    json.dumps(to_primitive(load_tree("client-rejected")))


# --- placeholders --------------------------------------------------------------------------------------

def test_missing_placeholders_are_quoted_and_values_shell_safe() -> None:
    template = ("aws apigateway update-domain-name --domain-name {domain} --patch-operations "
                '\'[{"op":"replace","path":"/mutualTlsAuthentication/truststoreVersion",'
                '"value":"{new_version}"}]\'')
    assert render_command(template, {}) == (
        "aws apigateway update-domain-name --domain-name '<domain>' --patch-operations "
        '\'[{"op":"replace","path":"/mutualTlsAuthentication/truststoreVersion",'
        '"value":"<new_version>"}]\'')
    assert render_command(template, {"domain": "api.example.com", "new_version": "abcdef123"}) == (
        "aws apigateway update-domain-name --domain-name api.example.com --patch-operations "
        '\'[{"op":"replace","path":"/mutualTlsAuthentication/truststoreVersion",'
        '"value":"abcdef123"}]\'')
    # a value inside a JSON word is JSON-escaped, and the word is still one quoted argument
    sneaky = render_command(template, {"domain": "d", "new_version": 'v"}]\' ; touch x #'})
    assert json.loads(shlex.split(sneaky)[-1])[0]["value"] == 'v"}]\' ; touch x #'
    hostile = render_command("cat {truststore_file}", {"truststore_file": "a b'; rm -rf ~"})
    assert shlex.split(hostile) == ["cat", "a b'; rm -rf ~"]
    assert shlex.split(render_command("cat {truststore_file}", {"truststore_file": "-n"})) == [
        "cat", "./-n"]
    assert render_command("aws s3 cp x s3://{bucket}/{key}", {"bucket": "b"}) == "aws s3 cp x 's3://b/<key>'"
    assert render_command("curl -w '%{{http_code}}' {host}", {"host": "h"}) == "curl -w '%{http_code}' h"
    assert render_command("openssl s_client -connect {host}:{port}", {"host": "h", "port": 443}) == (
        "openssl s_client -connect h:443")
    assert render_text("Point {host} at {domain}", {"host": "api.example.com"}) == (
        "Point api.example.com at <domain>")


# --- validation refuses broken trees -----------------------------------------------------------------

def good_tree() -> dict[str, Any]:
    return {
        "id": "disable-mtls", "title": "T", "summary": "S", "start": "q1",
        "nodes": {
            "q1": {"question": "On?", "fact": "mtls_enabled", "answers": {"yes": "q2", "no": "done"}},
            "q2": {"question": "Sure?", "answers": {"yes": "off", "no": "done"}},
            "off": {"fix": {"summary": "Turn it off on {domain}.", "commands": ["aws x {domain}"]},
                    "recheck": "domain"},
            "done": {"fix": {"summary": "Nothing to do."}},
        },
    }


def broken(change: Any) -> dict[str, Any]:
    doc = copy.deepcopy(good_tree())
    change(doc)
    return doc


def test_the_good_tree_is_accepted() -> None:
    tree = parse_tree(good_tree(), "disable-mtls")
    assert walk(tree, {"mtls_enabled": True}, {"q2": "yes"}).leaf == "off"


@pytest.mark.parametrize(("change", "node", "message"), [
    (lambda d: d["nodes"].update(orphan={"fix": {"summary": "x"}}), "orphan", "not reachable from start"),
    (lambda d: d["nodes"]["q2"]["answers"].update(no="q1"), "q1", "answers loop: q1 -> q2 -> q1"),
    (lambda d: d["nodes"]["q2"]["answers"].update(no="nowhere"), "q2",
     "leads to 'nowhere', which does not exist"),
    (lambda d: d["nodes"].update(done={"recheck": "domain"}), "done", "a leaf needs a fix"),
    (lambda d: d["nodes"].update(done={"fix": {"steps": ["x"]}}), "done", "a leaf's fix needs a summary"),
    (lambda d: d["nodes"].update(done={"fix": {"summary": " "}}), "done", "a leaf's fix needs a summary"),
    (lambda d: d["nodes"]["q2"].update(answers={"yes": "off"}), "q2", "at least two answers"),
    (lambda d: d["nodes"]["q1"].update(fact=7), "q1", "fact key must be a string"),
    (lambda d: d["nodes"]["q1"].update(fact="mtls_enabeld"), "q1", "not one of the documented FACTS"),
    (lambda d: d["nodes"]["q1"].update(anwsers={}), "q1", "unknown key 'anwsers'"),
    (lambda d: d["nodes"]["q1"]["answers"].update(Maybe="done"), "q1", "must be lower case"),
    (lambda d: d["nodes"]["off"].update(recheck="everything"), "off", "recheck 'everything'"),
    (lambda d: d["nodes"]["off"]["fix"].update(commands=["aws {domian}"]), "off",
     "unknown placeholder {domian}"),
    (lambda d: d["nodes"]["off"].update(question="Both?"), "off", "not both"),
    (lambda d: d["nodes"]["off"]["fix"].update(commands=["aws x {domain}; rm -rf ~"]), "off",
     "';' is not supported in a command template"),
    (lambda d: d["nodes"]["off"]["fix"].update(commands=["aws x $(id)"]), "off",
     "'$' is not supported"),
    (lambda d: d["nodes"]["off"]["fix"].update(commands=["aws x | sh"]), "off",
     "runs 'sh', which is not one of"),
    (lambda d: d["nodes"]["off"].update(recheck_command="mtls-doctor domain 'x"), "off",
     "recheck_command: unbalanced '"),
])
def test_validation_refuses_a_broken_tree(change: Any, node: str, message: str) -> None:
    with pytest.raises(WalkthroughError) as exc:
        parse_tree(broken(change), "disable-mtls")
    assert exc.value.tree == "disable-mtls" and exc.value.node == node
    assert message in str(exc.value)
    assert str(exc.value).startswith(f"walkthrough 'disable-mtls', node '{node}': ")


@pytest.mark.parametrize(("change", "expected_id", "message"), [
    (lambda d: d.update(start="nope"), "disable-mtls", "start node 'nope' does not exist"),
    (lambda d: None, "truststore-update", "does not match its file name truststore-update.json"),
    (lambda d: d.update(id="make-coffee"), None, "not one of the contract's walkthrough ids"),
    (lambda d: d.update(nodes={}), "disable-mtls", "the tree has no nodes"),
    (lambda d: d.pop("title"), "disable-mtls", "title must be a non-empty string"),
])
def test_validation_refuses_a_broken_tree_document(change: Any, expected_id: str | None,
                                                   message: str) -> None:
    with pytest.raises(WalkthroughError, match=re.escape(message)):
        parse_tree(broken(change), expected_id)


# --- recognise --------------------------------------------------------------------------------------

REAL_TEXTS: list[tuple[str, str, dict[str, Any]]] = [
    # curl
    ("curl: (56) OpenSSL SSL_read: error:0A000418:SSL routines::tlsv1 alert unknown ca, errno 0",
     "client-rejected", {"alert": "unknown_ca"}),
    ("curl: (56) OpenSSL SSL_read: error:0A00045C:SSL routines::tlsv13 alert certificate required, errno 0",
     "client-rejected", {"alert": "certificate_required", "client_cert_presented": False}),
    ("curl: (35) error:14094410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure",
     "client-rejected", {"alert": "handshake_failure"}),
    ("curl: (60) SSL certificate problem: certificate has expired",
     "wrong-certificate", {"served_cert_expired": True}),
    ("curl: (60) SSL: no alternative certificate subject name matches target host name 'api.example.com'",
     "wrong-certificate", {"served_cert_covers_host": False}),
    ("< HTTP/1.1 403 Forbidden\n{\"message\":\"Forbidden\"}",
     "client-rejected", {"http_status": 403, "forbidden_reason": "forbidden", "alert": "none"}),
    ("< HTTP/2 403 \n{\"message\":\"Missing Authentication Token\"}",
     "client-rejected", {"http_status": 403, "forbidden_reason": "missing_authentication_token"}),
    # openssl
    ("140245:error:14094418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:"
     "../ssl/record/rec_layer_s3.c:1543:SSL alert number 48", "client-rejected", {"alert": "unknown_ca"}),
    ("SSL alert number 116", "client-rejected", {"alert": "certificate_required"}),
    ("---\nNo client certificate CA names sent\nPeer signing digest: SHA256",
     "mtls-not-enforced", {"client_cert_requested": False}),
    # Python
    ("ssl.SSLError: [SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca (_ssl.c:2580)",
     "client-rejected", {"alert": "unknown_ca"}),
    ("ssl.SSLError: [SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required (_ssl.c:2580)",
     "client-rejected", {"alert": "certificate_required"}),
    ("ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
     "unable to get local issuer certificate (_ssl.c:1006)", "wrong-certificate",
     {"served_cert_trusted": False}),
    # Java
    ("javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_unknown",
     "client-rejected", {"alert": "certificate_unknown"}),
    ("javax.net.ssl.SSLHandshakeException: Received fatal alert: bad_certificate",
     "client-rejected", {"alert": "bad_certificate"}),
    ("javax.net.ssl.SSLHandshakeException: Received fatal alert: handshake_failure",
     "client-rejected", {"alert": "handshake_failure"}),
    ("Exception in thread \"main\" javax.net.ssl.SSLHandshakeException: Remote host terminated the handshake",
     "client-rejected", {}),
    # bare alert names and short texts
    ("alert unknown ca", "client-rejected", {"alert": "unknown_ca"}),
    ("certificate required", "client-rejected", {"alert": "certificate_required"}),
    ("handshake failure", "client-rejected", {"alert": "handshake_failure"}),
    ("certificate expired", "client-rejected", {"alert": "certificate_expired"}),
    ("403", "client-rejected", {"http_status": 403}),
    ("403 Forbidden", "client-rejected", {"http_status": 403, "forbidden_reason": "forbidden"}),
    ("Forbidden", "client-rejected", {"http_status": 403}),
    # API Gateway
    ("The certificate subject <CN=api.example.com> conflicts with an existing certificate from a "
     "different issuer.", "issuer-conflict", {}),
    ("An error occurred (BadRequestException) when calling the CreateDomainName operation: The certificate "
     "subject CN=api.example.com conflicts with an existing certificate from a different issuer.",
     "issuer-conflict", {}),
    ("Could not find issuer for certificate", "client-rejected",
     {"client_issuer_in_truststore": False, "forbidden_reason": "issuer_not_found"}),
    ("\"error\": \"Client cert using an insecure Signature Algorithm\"", "client-rejected",
     {"client_weak_algorithm": True, "forbidden_reason": "insecure_signature_algorithm"}),
    ("self signed certificate", "client-rejected", {"client_self_signed": True}),
    ("certificate has expired", "client-rejected", {"client_expired": True}),
    ("User is not authorized to access this resource", "client-rejected", {"forbidden_reason": "authorizer"}),
    ("PENDING_CERTIFICATE_REIMPORT", "domain-status", {"status": "PENDING_CERTIFICATE_REIMPORT"}),
    ("\"domainNameStatus\": \"PENDING_OWNERSHIP_VERIFICATION\"", "domain-status",
     {"status": "PENDING_OWNERSHIP_VERIFICATION"}),
    ("pending ownership verification", "domain-status", {"status": "PENDING_OWNERSHIP_VERIFICATION"}),
    ("\"domainNameStatus\": \"FAILED\"", "domain-status", {"status": "FAILED"}),
    ("status: updating", "domain-status", {"status": "UPDATING"}),
    ("PENDING", "domain-status", {"status": "PENDING"}),
    ("available", "domain-status", {"status": "AVAILABLE"}),
    ("Certificate CN=Partner Issuing CA, O=Example Partners, C=US has expired", "truststore-warnings",
     {"warning_kind": "expired"}),
    ("\"truststoreWarnings\": [\"Certificate CN=Partner Root CA has an unsupported signature algorithm\"]",
     "truststore-warnings", {"warning_kind": "weak_signature"}),
    # finding ids and plain requests
    ("DOMAIN_STATUS_PENDING_OWNERSHIP_VERIFICATION", "domain-status",
     {"status": "PENDING_OWNERSHIP_VERIFICATION"}),
    ("see finding domain_execute_api_enabled", "mtls-not-enforced", {"execute_api_enabled": True}),
    ("SERVER_FQDN_INSTEAD_OF_WILDCARD", "wrong-certificate", {"served_cert_is_fqdn": True}),
    ("How do I disable mTLS on my domain?", "disable-mtls", {}),
    ("I need to rotate the truststore", "truststore-update", {}),
]


@pytest.mark.parametrize(("text", "walkthrough", "facts"), REAL_TEXTS)
def test_recognise_real_phrasings(text: str, walkthrough: str, facts: dict[str, Any]) -> None:
    matches = recognise(text)
    assert matches, text
    best = matches[0]
    assert best.walkthrough == walkthrough
    assert best.matched and best.matched.lower() in " ".join(text.split()).lower()
    assert facts.items() <= dict(best.facts).items()
    for m in matches:
        assert set(m.facts) <= set(FACTS), m
        if m.walkthrough is not None:  # the facts it implies walk cleanly through its tree
            walk(load_tree(m.walkthrough), m.facts)


def test_recognised_texts_walk_to_their_fix() -> None:
    def leaf(text: str) -> str | None:
        m = recognise(text)[0]
        assert m.walkthrough is not None
        return walk(load_tree(m.walkthrough), m.facts).leaf

    assert leaf("Could not find issuer for certificate") is None  # asks whether it is self-signed
    assert leaf("self signed certificate") == "add-self-signed"
    assert leaf("Client cert using an insecure Signature Algorithm") == "reissue-strong"
    assert leaf("Missing Authentication Token") == "missing-mapping"
    assert leaf("tlsv13 alert certificate required") == "send-certificate"
    assert leaf("curl: (60) SSL certificate problem: certificate has expired") is None  # asks what it covers
    assert leaf("SERVER_FQDN_INSTEAD_OF_WILDCARD") is None
    m = recognise("SERVER_FQDN_INSTEAD_OF_WILDCARD")[0]
    fqdn = walk(load_tree("wrong-certificate"), m.facts, {"covers-host": "yes", "dns-fqdn": "yes"})
    assert fqdn.leaf == "aws-support"
    # the served-vs-configured facts the id implies decide before DNS is asked
    assert [s.node for s in fqdn.steps if s.detected] == ["served-fqdn", "configured-wildcard"]


@pytest.mark.parametrize("finding_id", sorted(CATALOG))
def test_every_finding_id_is_recognised(finding_id: str) -> None:
    for text in (finding_id, f"[error] {finding_id.lower()}: see the detail"):
        matches = recognise(text)
        assert matches and matches[0].finding == finding_id, text
        assert matches[0].walkthrough == CATALOG[finding_id].walkthrough
        assert matches[0].kind == "finding"


def test_finding_facts_name_documented_facts_of_the_findings_tree() -> None:
    for finding_id, facts in FINDING_FACTS.items():
        walkthrough = CATALOG[finding_id].walkthrough
        assert walkthrough is not None, finding_id
        assert set(facts) <= set(load_tree(walkthrough).facts()), finding_id


@pytest.mark.parametrize("text", ["hello world", "", "   ", "everything is fine",
                                  "the build failed twice", "port 4403", "HTTP/1.1 200 OK"])
def test_unknown_text_is_not_recognised(text: str) -> None:
    assert recognise(text) == []


def test_several_things_in_one_text_come_best_first() -> None:
    text = ("HTTP/1.1 403 Forbidden\n"
            "access log: Could not find issuer for certificate\n"
            "domain status PENDING_OWNERSHIP_VERIFICATION")
    matches = recognise(text)
    assert [m.walkthrough for m in matches] == ["domain-status", "client-rejected"]
    rejected = matches[1]
    assert rejected.matched == "Could not find issuer for certificate"
    assert rejected.facts["client_issuer_in_truststore"] is False and rejected.facts["http_status"] == 403


def test_importing_the_walkthroughs_loads_no_heavy_module() -> None:
    code = ("import sys, mtls_doctor.walkthroughs as w\nw.all_trees(); w.recognise('403')\n"
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'textual', 'boto3', 'botocore', 'rich', 'OpenSSL', 'cryptography'})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         timeout=60).stdout.strip()
    assert out == ""
