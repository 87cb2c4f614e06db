"""`mtls-doctor explain TEXT`: real phrasings recognised, the right tree walked, exit codes."""

from __future__ import annotations

import pytest

PHRASES = [
    ("curl: (56) OpenSSL SSL_read: error:0A000418:SSL routines::tlsv1 alert unknown ca, errno 0",
     "client-rejected"),
    ("ssl.SSLError: [SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required",
     "client-rejected"),
    ("javax.net.ssl.SSLHandshakeException: Received fatal alert: bad_certificate",
     "client-rejected"),
    ("The domain status is PENDING_CERTIFICATE_REIMPORT", "domain-status"),
    ("BadRequestException: The certificate subject CN=api.example.com conflicts with an existing "
     "certificate from a different issuer.", "issuer-conflict"),
    ("Client cert using an insecure Signature Algorithm", "client-rejected"),
    ("< HTTP/1.1 403 Forbidden", "client-rejected"),
    ("TRUSTSTORE_WEAK_SIGNATURE_HASH", "truststore-warnings"),
    ("DOMAIN_EXECUTE_API_ENABLED", "mtls-not-enforced"),
]


@pytest.mark.parametrize(("text", "tree"), PHRASES)
def test_recognised_and_walked(cli, text, tree):
    run = cli("explain", text)
    assert run.rc == 0
    w = run.doc["walkthrough"]
    assert w["id"] == tree
    assert w["matched"]
    assert w["steps"] or w["pending"] or w["fix"]


def test_unknown_text_lists_the_walkthroughs(cli):
    run = cli("explain", "the weather is nice today")
    assert run.rc == 1
    assert run.doc["walkthrough"] is None
    assert len(run.doc["walkthroughs"]) == 8
    text = cli("explain", "the weather is nice today", json_out=False)
    assert "Not recognised" in text.out and "client-rejected" in text.out


def test_answers_continue_the_walk_to_a_fix(cli):
    first = cli("explain", "tlsv1 alert unknown ca")
    pending = first.doc["walkthrough"]["pending"]
    assert pending is not None
    answers = []
    doc = first.doc
    for _ in range(8):  # answer "no" until the tree reaches a fix
        pending = doc["walkthrough"]["pending"]
        if pending is None:
            break
        answers += ["--answer", f"{pending['node']}={pending['answers'][-1]}"]
        doc = cli("explain", "tlsv1 alert unknown ca", *answers).doc
    fix = doc["walkthrough"]["fix"]
    assert fix is not None and fix["commands"]
    assert doc["walkthrough"]["recheck"]


def test_bad_answer_is_one_clear_line(cli):
    run = cli("explain", "tlsv1 alert unknown ca", "--answer", "issuer-in-truststore=maybe",
              json_out=False)
    assert run.rc == 2 and run.err.count("\n") == 1


def test_an_answer_to_no_question_is_refused_not_ignored(cli):
    """A typo in the node's name used to be dropped silently: the walk asked the same question
    again and exited 0, as if the answer had been taken."""
    run = cli("explain", "tlsv1 alert unknown ca", "--answer", "issuer-in-trustore=no",
              json_out=False)
    assert run.rc == 2 and run.err.count("\n") == 1
    assert "'issuer-in-trustore'" in run.err and "issuer-in-truststore" in run.err


def test_forced_walkthrough(cli):
    run = cli("explain", "--walkthrough", "disable-mtls")
    assert run.rc == 0 and run.doc["walkthrough"]["id"] == "disable-mtls"
