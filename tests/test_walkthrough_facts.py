"""The walkthrough facts a report decides (`walkthroughs.facts`): each from collected evidence
only (a call that failed leaves its fact out, and the walk asks), the placeholders a run knows
filled in every rendered command, and the trees asking what they can detect first.

Reports come from real collectors: the demo (a loopback lab and its snapshot), AWS facts replayed
from snapshots (`domain --aws-snapshot`), and probes of a TLS server on loopback."""

from __future__ import annotations

import contextlib
import dataclasses
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mtls_doctor.aws.snapshot import dumps
from mtls_doctor.commands.domain import domain_report, replay
from mtls_doctor.commands.probe import run_probe_command
from mtls_doctor.diagnose.demo import run_demo
from mtls_doctor.model.domain import AcmCertificate, DomainFacts, Mapping, Mtls, TruststoreObject
from mtls_doctor.model.evidence import Attempt, Status
from mtls_doctor.model.finding import Finding
from mtls_doctor.model.report import Report
from mtls_doctor.walkthroughs import (
    FACTS,
    PLACEHOLDERS,
    LeafNode,
    QuestionNode,
    Tree,
    all_trees,
    detect,
    leaf_paths,
    load_tree,
    walk,
)
from mtls_doctor.walkthroughs.facts import report_facts, walk_facts
from tests.pki_factory import NOW, PKI, pem_bundle
from tests.servers import ServerPKI, server_pki
from tests.test_shell_commands import Sandbox, expected_argvs

__all__ = ["server_pki"]

#: what a diagnosis run with these options knows besides its report
KNOWN = {"connect": "127.0.0.1:8443", "cert_file": "c.pem", "key_file": "k.pem"}
#: placeholders no run can know: the values of things the fix creates
UNKNOWABLE = {"new_certificate_arn", "new_ownership_arn", "new-version-id"}


@pytest.fixture(scope="module")
def demo() -> Report:
    now = datetime.now(UTC).replace(microsecond=0)
    return run_demo(at=now, now=now)


def finding(report: Report, finding_id: str) -> Finding:
    return next(f for f in report.findings if f.id == finding_id)


# --- the demo: every fact its collectors decide -----------------------------------------------------

def test_the_demo_report_decides_the_facts_once_asked(demo: Report) -> None:
    facts = report_facts(demo)
    assert set(facts) >= {k for k in FACTS if k not in (
        "dns_points_to_domain",  # the demo's snapshot holds no DNS answer
        "forbidden_reason", "http_status",  # the handshake ended with an alert: no HTTP answer
        "ownership_cert_valid",  # no ownership certificate configured (AMAZON_ISSUED)
        "conflicting_cert_in_account",  # only a conflict seen is a fact
        "validation_record_present",  # never collected
    )}, sorted(set(FACTS) - set(facts))
    # served vs configured: the comparison SERVER_FQDN_INSTEAD_OF_WILDCARD's rule makes
    assert facts["served_cert_is_fqdn"] is True
    assert facts["configured_cert_is_wildcard"] is True
    assert facts["served_is_configured"] is False
    assert facts["served_cert_covers_host"] is True
    # the domain's truststore: the API Gateway warning names a SHA-1 root; the lint's errors
    lint_errors = {"TRUSTSTORE_WEAK_SIGNATURE_HASH", "TRUSTSTORE_MISSING_ISSUER"}
    assert facts["warning_kind"] == "weak_signature"
    assert facts["truststore_error_count"] == len(lint_errors & {f.id for f in demo.findings})
    assert facts["truststore_readable"] is True
    assert facts["cert_covers_domain"] is True and facts["domain_cert_expires_soon"] is False
    # the probe presented the client certificate, so the key is its own
    assert facts["client_key_matches"] is True
    for absent in ("dns_points_to_domain", "forbidden_reason", "ownership_cert_valid"):
        assert absent not in facts


def decided_before_asked(tree: Tree, facts: dict[str, Any]) -> list[tuple[str, str]]:
    """On every path the facts allow, the (asked, decided) pairs where a question the facts
    decide comes after one they do not. Routing questions on the API type are left out: every
    answer of theirs leads to a leaf, so asking them later never makes the user answer more."""
    late: list[tuple[str, str]] = []

    def visit(node_id: str, asked: str | None) -> None:
        node = tree.nodes[node_id]
        if isinstance(node, LeafNode):
            return
        assert isinstance(node, QuestionNode)
        answer = detect(node, facts)
        if answer is not None:
            if asked is not None and node.fact != "api_type":
                late.append((asked, node.id))
            visit(node.answers[answer], asked)
        else:
            for target in node.answers.values():
                visit(target, asked or node.id)

    visit(tree.start, None)
    return late


@pytest.mark.parametrize("tree_id", sorted(all_trees()))
def test_no_tree_asks_before_what_the_demo_decides(demo: Report, tree_id: str) -> None:
    facts = walk_facts(None, demo, KNOWN)
    assert decided_before_asked(load_tree(tree_id), facts) == []


def test_wrong_certificate_on_the_demo_detects_up_to_the_dns_question(demo: Report) -> None:
    fqdn = finding(demo, "SERVER_FQDN_INSTEAD_OF_WILDCARD")
    facts = walk_facts(fqdn, demo, KNOWN)
    done = walk(load_tree("wrong-certificate"), facts)
    assert [(s.node, s.answer, s.detected) for s in done.steps] == [
        ("covers-host", "yes", True), ("served-fqdn", "yes", True),
        ("configured-wildcard", "yes", True)]
    # the report holds no DNS answer: that one question is asked, then the fix
    assert done.pending is not None and done.pending.fact == "dns_points_to_domain"
    assert "dns_points_to_domain" not in report_facts(demo)
    assert walk(load_tree("wrong-certificate"), facts, {"dns-fqdn": "yes"}).leaf == "aws-support"


def test_a_denied_certificate_read_leaves_the_comparison_to_the_user(demo: Report) -> None:
    domain = demo.payload["domain"]
    denied = dataclasses.replace(domain, certificates={}, evidence={
        **domain.evidence, "certificate": Attempt("acm.DescribeCertificate", Status.DENIED,
                                                  "AccessDenied", "acm:DescribeCertificate")})
    report = dataclasses.replace(demo, payload={**demo.payload, "domain": denied})
    facts = report_facts(report)
    for absent in ("configured_cert_is_wildcard", "served_is_configured", "cert_covers_domain",
                   "certificate_type", "domain_cert_issued", "domain_cert_expires_soon"):
        assert absent not in facts, absent
    assert facts["served_cert_is_fqdn"] is True  # the probe alone tells that
    pending = walk(load_tree("wrong-certificate"), facts).pending
    assert pending is not None and pending.node == "configured-wildcard"


def test_the_served_certificate_is_the_configured_one(demo: Report) -> None:
    """ACM's certificate with the served leaf's serial and names: the comparison says so, and
    the walk goes on to the served chain, every step detected: the demo's chain is complete
    (its private root is not sent, as it need not be) and untrusted here."""
    domain, leaf = demo.payload["domain"], demo.payload["probe"].served_chain[0]
    names = tuple(s[4:] for s in leaf.sans if s.startswith("DNS:"))
    served = dataclasses.replace(domain.certificates[domain.certificate_arn], serial=leaf.serial,
                                 domain_name=names[0], sans=names)
    same = dataclasses.replace(domain, certificates={domain.certificate_arn: served})
    report = dataclasses.replace(demo, payload={**demo.payload, "domain": same})
    facts = report_facts(report)
    assert facts["served_is_configured"] is True and facts["configured_cert_is_wildcard"] is False
    done = walk(load_tree("wrong-certificate"), facts)
    assert [s.node for s in done.steps] == ["covers-host", "served-fqdn", "configured-wildcard",
                                            "served-is-configured", "served-expired",
                                            "chain-complete", "trusted"]
    assert all(s.detected for s in done.steps) and done.leaf == "untrusted"


# --- placeholders: the values the run knows -------------------------------------------------------

def test_walk_facts_fill_what_the_run_knows(demo: Report) -> None:
    probe = demo.payload["probe"]
    facts = walk_facts(finding(demo, "CLIENT_REJECTED"), demo, KNOWN)
    assert facts["domain"] == facts["host"] == probe.host
    assert facts["authority"] == f"{probe.host}:{probe.port}"
    assert facts["connect"] == "127.0.0.1:8443"
    assert (facts["region"], facts["bucket"], facts["key"], facts["version"]) == (
        "eu-west-1", "demo-truststores", "prod/truststore.pem", "v1-demo")
    assert (facts["api_id"], facts["stage"]) == ("a1b2c3d4e5", "prod")
    assert (facts["cert_file"], facts["key_file"]) == ("c.pem", "k.pem")
    # no local copy given: the commands download the truststore to the key's file name
    assert facts["truststore_file"] == "truststore.pem"
    # --connect without a port: the host's port, as the probe used it
    assert walk_facts(None, demo, {"connect": "127.0.0.1"})["connect"] == f"127.0.0.1:{probe.port}"
    assert walk_facts(None, demo, {"connect": "::1"})["connect"] == f"[::1]:{probe.port}"
    # no --connect: the authority; an s3:// truststore is no local file
    plain = walk_facts(None, demo, {"truststore_file": "s3://b/k.pem"})
    assert plain["connect"] == plain["authority"] and plain["truststore_file"] == "truststore.pem"
    # a re-run's report: its port
    moved = dataclasses.replace(demo, payload={**demo.payload,
                                               "probe": dataclasses.replace(probe, port=8443)})
    again = walk_facts(None, moved, {"connect": "127.0.0.1"})
    assert again["authority"] == f"{probe.host}:8443" and again["connect"] == "127.0.0.1:8443"


def test_earlier_sources_win_and_none_is_dropped(demo: Report) -> None:
    fake = Finding("DOMAIN_EXECUTE_API_ENABLED", finding(demo, "CLIENT_REJECTED").severity, "t",
                   "d", evidence={"api_id": "other", "stage": None, "extra": 3, "list": [1]},
                   walkthrough="mtls-not-enforced")
    facts = walk_facts(fake, demo, {"cert_file": None, "connect": "10.0.0.1:1"})
    assert facts["api_id"] == "a1b2c3d4e5"  # the report's
    assert facts["extra"] == 3 and "list" not in facts and "cert_file" not in facts
    assert None not in facts.values()
    # no AWS facts (--no-aws): the domain is the host, and a finding's id still implies facts
    probe_only = dataclasses.replace(demo, payload={"probe": demo.payload["probe"]})
    facts = walk_facts(fake, probe_only, {})
    assert facts["domain"] == demo.payload["probe"].host
    assert facts["execute_api_enabled"] is True and facts["api_id"] == "other"
    ip = dataclasses.replace(demo.payload["probe"], host="127.0.0.1")
    assert "domain" not in report_facts(dataclasses.replace(demo, payload={"probe": ip}))


def rendered(tree: Tree, facts: dict[str, Any]) -> list[tuple[str, str]]:
    """(leaf, command) for every fix and re-check command of every leaf."""
    out: list[tuple[str, str]] = []
    for answers, leaf in leaf_paths(tree):
        done = walk(tree, facts, answers)
        assert done.leaf == leaf and done.fix is not None
        out += [(leaf, c) for c in done.fix.commands]
        if done.recheck_command:
            out.append((leaf, done.recheck_command))
    return out


def test_every_command_uses_the_known_values_and_stays_posix_sh(demo: Report,
                                                                tmp_path: Path) -> None:
    facts = walk_facts(finding(demo, "CLIENT_REJECTED"), demo, KNOWN)
    connect, authority = facts["connect"], facts["authority"]
    box = Sandbox(tmp_path / "box").setup()
    seen = 0
    for tree in all_trees().values():
        for leaf, command in rendered(tree, facts):
            seen += 1
            missing = set(re.findall(r"<([a-z_-]+)>", command))
            assert not missing - UNKNOWABLE - {"ownership_arn"}, (tree.id, leaf, command)
            assert "ownership_arn" not in missing or "ownership_arn" not in facts
            words = [w for argv in expected_argvs(command) for w in argv]
            if "s_client" in words:  # where the connection goes, and the name
                assert words[words.index("-connect") + 1] == connect, command
                assert words[words.index("-servername") + 1] == facts["host"], command
            if "--connect-to" in words:
                assert words[words.index("--connect-to") + 1] == f"{authority}:{connect}"
                assert f"https://{authority}/" in words, command
            # sh runs exactly the programs the line names, with the argv a POSIX reading gives
            assert sorted(box.run(command)) == sorted(expected_argvs(command)), command
    assert seen > 100


def test_command_templates_name_the_connection_and_the_authority() -> None:
    for tree in all_trees().values():
        commands = [c for leaf in tree.leaves()
                    for c in (*leaf.fix.commands, leaf.recheck_command) if c]
        helps = [q.help for q in tree.questions() if q.help]
        for text in (*commands, *helps):
            assert "{host}:{port}" not in text, (tree.id, text)
            if "s_client -connect " in text:
                assert "-connect {connect} -servername {host}" in text, (tree.id, text)
        for command in commands:
            if command.startswith("curl ") and "execute-api" not in command:
                assert "--connect-to {authority}:{connect}" in command, (tree.id, command)
                assert "https://{authority}/" in command, (tree.id, command)
    assert set(PLACEHOLDERS) >= {"connect", "authority"}


# --- AWS facts replayed from snapshots --------------------------------------------------------------

NAME = "api.example.com"
REGION = "eu-west-1"
CERT = f"arn:aws:acm:{REGION}:123456789012:certificate/c1"
OWN = f"arn:aws:acm:{REGION}:123456789012:certificate/o1"
REGIONAL = "d-abc123.execute-api.eu-west-1.amazonaws.com"
FACT_CALLS = ("domain", "certificate", "ownership_certificate", "issuer_conflicts",
              "truststore_object", "truststore_versions", "mappings", "mapped_apis", "dns")


def acm(arn: str, names: tuple[str, ...], *, kind: str, status: str = "ISSUED",
        days: int = 200, issuer: str = "CN=Example CA") -> AcmCertificate:
    return AcmCertificate(arn, status, kind, f"CN={names[0]}", issuer, names[0], names,
                          NOW - timedelta(days=10), NOW + timedelta(days=days))


def snapshot_facts(pki: PKI, **over: Any) -> DomainFacts:
    """An imported certificate with its ownership certificate, mTLS with a clean truststore,
    one mapping with execute-api off, DNS through a CNAME to the regional name: every call
    answered."""
    root = pki.root("Snapshot Root")
    base = DomainFacts(
        name=NAME, region=REGION, region_source="option", found=True, api_type="rest",
        endpoint_type="REGIONAL", status="AVAILABLE", security_policy="TLS_1_2",
        certificate_arn=CERT, ownership_verification_certificate_arn=OWN,
        regional_domain_name=REGIONAL, mtls=Mtls("s3://ts-bucket/mtls/ts.pem", "v1"),
        mappings=(Mapping("api1", "prod", "(none)", True),), mappings_read=True,
        certificates={CERT: acm(CERT, (NAME,), kind="IMPORTED"),
                      OWN: acm(OWN, (NAME,), kind="AMAZON_ISSUED")},
        truststore_object=TruststoreObject("ts-bucket", "mtls/ts.pem", "Enabled", "v1", "v1",
                                           content=pem_bundle([root])),
        dns_addresses=("198.51.100.7",), dns_canonical=REGIONAL,
        regional_addresses=("198.51.100.7",),
        evidence={f: Attempt(f, Status.OK) for f in FACT_CALLS})
    return dataclasses.replace(base, **over)


def failed(fact: str, status: Status = Status.DENIED) -> dict[str, Attempt]:
    return {fact: Attempt(f"{fact}.Call", status, f"{status.value} by the test", "x:Call")}


def replayed(tmp_path: Path, facts: DomainFacts) -> dict[str, Any]:
    """Save the facts as a snapshot, replay it like `--aws-snapshot`, report the domain, and
    return the walkthrough facts of that report."""
    path = tmp_path / "snapshot.json"
    path.write_text(dumps(facts), encoding="utf-8")
    return report_facts(domain_report(replay(str(path), NAME), at=NOW, now=NOW))


def test_a_healthy_snapshot_decides_the_domain_facts(pki: PKI, tmp_path: Path) -> None:
    facts = replayed(tmp_path, snapshot_facts(pki))
    assert facts["dns_points_to_domain"] is True
    assert facts["ownership_cert_valid"] is True
    assert facts["cert_covers_domain"] is True and facts["domain_cert_expires_soon"] is False
    assert facts["truststore_readable"] is True and facts["truststore_error_count"] == 0
    assert facts["execute_api_enabled"] is False and facts["truststore_stale"] is False
    assert "conflicting_cert_in_account" not in facts and "warning_kind" not in facts
    done = walk(load_tree("domain-status"), facts)
    assert done.leaf == "healthy" and all(s.detected for s in done.steps)
    assert [s.node for s in walk(load_tree("truststore-update"), facts).steps] == [
        "readable", "versioning", "lint", "stale"]


def test_snapshot_faults_are_detected(pki: PKI, tmp_path: Path) -> None:
    base = snapshot_facts(pki)
    elsewhere = replayed(tmp_path, dataclasses.replace(
        base, dns_canonical="old-lb.example.net", dns_addresses=("203.0.113.9",)))
    assert elsewhere["dns_points_to_domain"] is False
    own = dataclasses.replace(base.certificates[OWN], not_after=NOW - timedelta(days=1))
    assert replayed(tmp_path, dataclasses.replace(
        base, certificates={**base.certificates, OWN: own}))["ownership_cert_valid"] is False
    other = acm(CERT, ("other.example.com",), kind="IMPORTED", days=10)
    facts = replayed(tmp_path, dataclasses.replace(
        base, certificates={**base.certificates, CERT: other}))
    assert facts["cert_covers_domain"] is False and facts["domain_cert_expires_soon"] is True
    assert facts["configured_cert_is_wildcard"] is False
    wildcard = acm(CERT, ("*.example.com",), kind="IMPORTED")
    assert replayed(tmp_path, dataclasses.replace(
        base, certificates={**base.certificates, CERT: wildcard}))["configured_cert_is_wildcard"]
    conflict = acm(f"{CERT}-2", (NAME,), kind="IMPORTED", issuer="CN=Other CA")
    assert replayed(tmp_path, dataclasses.replace(
        base, issuer_conflicts=(conflict,)))["conflicting_cert_in_account"] is True
    gone = replayed(tmp_path, dataclasses.replace(
        base, truststore_object=None,
        evidence={**base.evidence, "truststore_object": Attempt(
            "s3.GetObject", Status.NOT_FOUND, "NoSuchKey", "s3:GetObject", "NoSuchKey")}))
    assert gone["truststore_readable"] is False
    assert walk(load_tree("truststore-update"), gone).leaf == "fix-access"
    # lint errors without an API Gateway warning: what the first one is about
    orphan = pki.intermediate(pki.root("Missing Root"), "Orphan CA")
    assert base.truststore_object is not None
    ts = dataclasses.replace(base.truststore_object, content=pem_bundle([orphan]))
    linted = replayed(tmp_path, dataclasses.replace(base, truststore_object=ts))
    assert linted["truststore_error_count"] >= 1 and linted["warning_kind"] == "missing_issuer"


@pytest.mark.parametrize(("failure", "absent"), [
    (failed("dns", Status.TIMED_OUT), ("dns_points_to_domain",)),
    (failed("ownership_certificate"), ("ownership_cert_valid",)),
    (failed("certificate", Status.THROTTLED), ("cert_covers_domain", "domain_cert_expires_soon",
                                               "domain_cert_issued", "certificate_type",
                                               "configured_cert_is_wildcard")),
    (failed("issuer_conflicts", Status.THROTTLED), ("conflicting_cert_in_account",)),
    (failed("truststore_object"), ("truststore_readable", "truststore_error_count",
                                   "warning_kind")),
    (failed("truststore_versions", Status.THROTTLED), ("truststore_stale", "versioning_enabled",
                                                       "new_version")),
    (failed("mapped_apis"), ("execute_api_enabled",)),
])
def test_a_fact_whose_call_failed_is_left_to_the_user(pki: PKI, tmp_path: Path,
                                                      failure: dict[str, Attempt],
                                                      absent: tuple[str, ...]) -> None:
    base = snapshot_facts(pki)
    fact = next(iter(failure))
    # what a failed call leaves behind: no answer where it would have put one
    losses: dict[str, dict[str, Any]] = {
        "ownership_certificate": {"certificates": {CERT: base.certificates[CERT]}},
        "certificate": {"certificates": {OWN: base.certificates[OWN]}},
        "truststore_object": {"truststore_object": None},
        "mapped_apis": {"mappings": (Mapping("api1", "prod", "(none)", None),)},
    }
    lost = losses.get(fact, {})
    if fact == "issuer_conflicts":
        lost = {"issuer_conflicts": (acm(f"{CERT}-2", (NAME,), kind="IMPORTED",
                                         issuer="CN=Other CA"),)}
    facts = replayed(tmp_path, dataclasses.replace(
        base, evidence={**base.evidence, **failure}, **lost))
    for key in absent:
        assert key not in facts, (fact, key)
    # the walk stops at the question that fact answers
    for tree in all_trees().values():
        for question in tree.questions():
            if question.fact in absent:
                assert detect(question, facts) is None


# --- the live connection: a TLS server on loopback -------------------------------------------------

def http_answer(status: str, body: str, **headers: str) -> bytes:
    head = "".join(f"{k.replace('_', '-')}: {v}\r\n" for k, v in headers.items())
    data = body.encode()
    return (f"HTTP/1.1 {status}\r\n{head}Content-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n").encode() + data


@contextlib.contextmanager
def answering(pki: ServerPKI, answer: bytes) -> Iterator[int]:
    """A TLS server on 127.0.0.1 for api.example.test that asks for (but does not require) a
    client certificate from its CA and answers every request with `answer`."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.server_pem, pki.server_key)
    ctx.load_verify_locations(pki.ca_pem)
    ctx.verify_mode = ssl.CERT_OPTIONAL
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # closed: the test is over
            with contextlib.suppress(OSError), conn, ctx.wrap_socket(conn, server_side=True) as tls:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = tls.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                tls.sendall(answer)

    thread = threading.Thread(target=serve, name="walkthrough-facts-403", daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() the thread waits in
        listener.close()
        thread.join(timeout=10)


def probed(pki: ServerPKI, answer: bytes, *, cert: str, key: str) -> Report:
    """Probe the server `answering` with `answer`, presenting the client `cert` and `key`."""
    with answering(pki, answer) as port:
        return run_probe_command(f"api.example.test:{port}", at=datetime.now(UTC),
                                 now=datetime.now(UTC), connect=f"127.0.0.1:{port}",
                                 timeout=10, cert=cert, key=key)


@pytest.mark.parametrize(("answer", "reason"), [
    (http_answer("403 Forbidden", '{"message":"Forbidden"}',
                 x_amzn_ErrorType="ForbiddenException"), "forbidden"),
    (http_answer("403 Forbidden", '{"message":"Missing Authentication Token"}',
                 x_amzn_ErrorType="MissingAuthenticationTokenException"),
     "missing_authentication_token"),
    (http_answer("403 Forbidden", "", x_amzn_ErrorType="MissingAuthenticationTokenException:"
                 "http://internal.amazon.com/coral/com.amazon.coral.service/"),
     "missing_authentication_token"),
    (http_answer("403 Forbidden", '{"Message":"User: anonymous is not authorized to perform: '
                 'execute-api:Invoke on resource: arn:aws:execute-api:eu-west-1:1:abc/prod/GET/ '
                 'with an explicit deny"}', x_amzn_ErrorType="AccessDeniedException"),
     "resource_policy"),
    (http_answer("403 Forbidden", '{"message":"User is not authorized to access this resource"}',
                 x_amzn_ErrorType="AccessDeniedException"), "authorizer"),
    (http_answer("403 Forbidden", "{}"), None),  # nothing says why: the walk asks
    (http_answer("200 OK", '{"message":"Forbidden"}'), None),  # not a 403
])
def test_the_403_answer_decides_forbidden_reason(server_pki: ServerPKI, answer: bytes,
                                                 reason: str | None) -> None:
    report = probed(server_pki, answer, cert=str(server_pki.client_pem),
                    key=str(server_pki.client_key))
    facts = report_facts(report)
    assert facts.get("forbidden_reason") == reason
    assert facts["client_key_matches"] is True and facts["client_cert_presented"] is True
    done = walk(load_tree("client-rejected"), facts)
    if reason is None and facts["http_status"] == 403:
        assert done.pending is not None and done.pending.node == "forbidden-kind"
    elif reason == "resource_policy":
        assert done.leaf == "resource-policy" and all(s.detected for s in done.steps)


def test_a_key_that_is_not_the_certificates_is_detected(server_pki: ServerPKI) -> None:
    report = probed(server_pki, http_answer("403 Forbidden", '{"message":"Forbidden"}'),
                    cert=str(server_pki.client_pem), key=str(server_pki.rogue_key))
    assert "CLIENT_KEY_MISMATCH" in {f.id for f in report.findings}
    facts = report_facts(report)
    assert facts["client_key_matches"] is False and facts["client_cert_presented"] is False
    assert walk(load_tree("client-rejected"), facts).leaf == "send-certificate"
