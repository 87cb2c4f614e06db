"""`mtls-doctor demo`: the lab reproduces the usual faults, and the diagnosis finds each one."""

from __future__ import annotations

import threading

EXPECTED = {
    "SERVER_FQDN_INSTEAD_OF_WILDCARD",  # FQDN certificate served, wildcard configured
    "TRUSTSTORE_MISSING_ISSUER",  # the partner's issuing CA without its root
    "TRUSTSTORE_WEAK_SIGNATURE_HASH",  # a SHA-1 root
    "MTLS_CLIENT_CERT_REJECTED",  # the live server refuses the partner client
    "CLIENT_REJECTED",  # and API Gateway would too
    "DOMAIN_TRUSTSTORE_WARNING",
    "DOMAIN_TRUSTSTORE_STALE",
    "DOMAIN_EXECUTE_API_ENABLED",
}


def test_demo_finds_every_planted_fault(cli):
    before = {t.name for t in threading.enumerate()}
    run = cli("demo")
    assert run.rc == 1
    assert run.doc["command"] == "demo"
    assert set(run.ids()) >= EXPECTED, sorted(set(run.ids()))
    assert run.doc["probe"]["client_certificate"]["alert"] == "unknown_ca"
    assert {"probe", "domain", "truststore", "verdict"} <= set(run.doc)
    # the lab is gone afterwards: no server thread left running
    assert "mtls-doctor-demo" not in {t.name for t in threading.enumerate()} - before


def test_demo_text_report(cli):
    run = cli("demo", json_out=False)
    assert run.out.startswith("Collected")
    assert "SERVER_FQDN_INSTEAD_OF_WILDCARD" in run.out
