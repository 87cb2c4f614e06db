"""The full diagnosis: collectors together, and the rules that need several facts at once."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mtls_doctor.aws.snapshot import dumps
from mtls_doctor.diagnose.run import CollectorRun, DiagnoseOptions, run_diagnosis
from mtls_doctor.errors import InputError
from mtls_doctor.model.domain import AcmCertificate, DomainFacts, Mapping, Mtls, TruststoreObject
from mtls_doctor.pki.describe import serial_hex
from tests.pki_factory import pem_bundle
from tests.servers import Server, ServerPKI, nginx_server, server_pki

__all__ = ["server_pki"]
NOW = datetime.now(UTC).replace(microsecond=0)
ARN = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"


@pytest.fixture(scope="module")
def nginx(server_pki: ServerPKI) -> Iterator[Server]:
    with nginx_server(server_pki, verify_client="on") as server:
        yield server


def facts_for(pki: ServerPKI, name: str, configured: str) -> DomainFacts:
    """A healthy domain whose ACM certificate is the FQDN or the wildcard one of `pki`."""
    issued = pki.wildcard if configured == "wildcard" else pki.server
    cert = issued.cert
    names = ("*.example.test",) if configured == "wildcard" else (name,)
    acm = AcmCertificate(ARN, "ISSUED", "AMAZON_ISSUED", cert.subject.rfc4514_string(),
                         cert.issuer.rfc4514_string(), names[0], names,
                         NOW - timedelta(days=1), NOW + timedelta(days=200),
                         serial=":".join(f"{b:02x}" for b in cert.serial_number.to_bytes(20, "big")))
    content = pem_bundle([pki.ca])
    return DomainFacts(
        name=name, region="us-east-1", region_source="option", found=True, api_type="rest",
        endpoint_type="REGIONAL", status="AVAILABLE", security_policy="TLS_1_2",
        certificate_arn=ARN, regional_domain_name="d-abc.execute-api.us-east-1.amazonaws.com",
        mtls=Mtls("s3://truststores/ts.pem", "v1"),
        mappings=(Mapping("api1", "prod", "(none)", True),), mappings_read=True,
        certificates={ARN: acm},
        truststore_object=TruststoreObject("truststores", "ts.pem", "Enabled", "v1", "v1",
                                           content=content))


def options(server: Server, host: str, snapshot: Path, pki: ServerPKI | None = None,
            **extra: object) -> DiagnoseOptions:
    base = DiagnoseOptions(host=f"{host}:{server.port}", at=NOW, now=NOW,
                           connect=f"127.0.0.1:{server.port}", aws_snapshot=str(snapshot),
                           cert=str(pki.client_pem) if pki else None,
                           key=str(pki.client_key) if pki else None, timeout=5)
    return dataclasses.replace(base, **extra)  # type: ignore[arg-type]


def ids(report) -> list[str]:
    return [f.id for f in report.findings]


def test_fqdn_served_where_the_wildcard_is_configured(nginx, server_pki, tmp_path):
    snap = tmp_path / "snap.json"
    snap.write_text(dumps(facts_for(server_pki, "api.example.test", "wildcard")))
    report = run_diagnosis(options(nginx, "api.example.test", snap))
    assert "SERVER_FQDN_INSTEAD_OF_WILDCARD" in ids(report)
    f = next(f for f in report.findings if f.id == "SERVER_FQDN_INSTEAD_OF_WILDCARD")
    assert f.evidence["served"] == ["api.example.test"]
    assert f.fix is not None and any("openssl s_client" in c for c in f.fix.commands)


def test_configured_wildcard_served_is_fine(nginx, server_pki, tmp_path):
    snap = tmp_path / "snap.json"
    snap.write_text(dumps(facts_for(server_pki, "other.example.test", "wildcard")))
    report = run_diagnosis(options(nginx, "other.example.test", snap))
    assert "SERVER_FQDN_INSTEAD_OF_WILDCARD" not in ids(report)
    assert "SERVER_CERT_NOT_CONFIGURED_ONE" not in ids(report)


def test_served_certificate_is_not_the_configured_one(nginx, server_pki, tmp_path):
    facts = facts_for(server_pki, "other.example.test", "wildcard")
    acm = dataclasses.replace(facts.certificates[ARN], serial="01:02:03")
    snap = tmp_path / "snap.json"
    snap.write_text(dumps(dataclasses.replace(facts, certificates={ARN: acm})))
    report = run_diagnosis(options(nginx, "other.example.test", snap))
    assert "SERVER_CERT_NOT_CONFIGURED_ONE" in ids(report)


def test_collectors_report_progress_and_merge_payloads(nginx, server_pki, tmp_path):
    snap = tmp_path / "snap.json"
    snap.write_text(dumps(facts_for(server_pki, "api.example.test", "fqdn")))
    seen: list[CollectorRun] = []
    report = run_diagnosis(options(nginx, "api.example.test", snap, server_pki), seen.append)
    assert [a.name for a in seen][-1] == "verify-client"
    assert {a.name for a in seen} == {"probe", "domain", "verify-client"}
    assert all(a.status == "ok" for a in seen), seen
    assert {"probe", "domain", "truststore", "verdict", "attempts"} <= set(report.payload)
    # the verdict used the truststore version the domain uses (from the snapshot)
    assert report.payload["verdict"].accepted is True
    assert report.payload["probe"].client_certificate.outcome.value == "accepted"
    assert report.command == "diagnose"


def test_a_failing_collector_does_not_stop_the_others(nginx, server_pki, tmp_path):
    snap = tmp_path / "snap.json"
    snap.write_text(dumps(facts_for(server_pki, "api.example.test", "fqdn")))
    # no AWS credentials here: the S3 truststore cannot be read, the rest goes on
    report = run_diagnosis(options(nginx, "api.example.test", snap,
                                   truststore="s3://truststores/ts.pem"))
    statuses = {c.id: c.status.value for c in report.checks if c.id.startswith("collect.")}
    assert statuses == {"collect.probe": "pass", "collect.domain": "pass",
                        "collect.truststore": "unknown"}
    assert "probe" in report.payload and "domain" in report.payload
    assert report.exit_code == 1  # something wanted could not be decided


@pytest.mark.parametrize("missing", ["aws_snapshot", "cert", "key", "chain", "truststore"])
def test_a_missing_input_stops_before_anything_runs(nginx, server_pki, tmp_path, missing):
    absent = str(tmp_path / "missing.pem")
    snap = tmp_path / "snap.json"
    snap.write_text(dumps(facts_for(server_pki, "api.example.test", "fqdn")))
    with pytest.raises(InputError, match="missing"):
        run_diagnosis(options(nginx, "api.example.test", snap, server_pki, **{missing: absent}))


def test_a_certificate_without_its_key_is_bad_input(cli, nginx, server_pki):
    run = cli(f"127.0.0.1:{nginx.port}", "--cert", str(server_pki.client_pem), "--no-aws")
    assert run.rc == 2 and "--key" in run.err and run.err.count("\n") == 1
    assert run.out == ""


def test_predicted_and_live_side_by_side(nginx, server_pki, tmp_path):
    """The rogue client: the truststore rejects it and so does the server."""
    snap = tmp_path / "snap.json"
    snap.write_text(dumps(facts_for(server_pki, "api.example.test", "fqdn")))
    rogue = dataclasses.replace(options(nginx, "api.example.test", snap, server_pki),
                                cert=str(server_pki.rogue_pem), key=str(server_pki.rogue_key))
    report = run_diagnosis(rogue)
    f = next(f for f in report.findings if f.id == "MTLS_CLIENT_CERT_REJECTED")
    assert f.evidence["predicted"] == "ISSUER_NOT_IN_TRUSTSTORE"
    assert f.evidence["live"] == "rejected"
    # its verify-client command checks the rogue against the truststore the domain uses
    ts = report.payload["domain"].truststore_object
    assert f.fix is not None
    command = next(c for c in f.fix.commands if "verify-client" in c)
    assert "<truststore.pem>" not in command and ts.bucket in command and ts.key in command
    assert str(server_pki.rogue_pem) in command


def test_a_rejected_client_is_checked_against_the_truststore_given(nginx, server_pki, tmp_path):
    """With --truststore, the rejected client's verify-client command names that file."""
    snap = tmp_path / "snap.json"
    snap.write_text(dumps(facts_for(server_pki, "api.example.test", "fqdn")))
    bundle = tmp_path / "bundle with space.pem"
    bundle.write_bytes(server_pki.ca_pem.read_bytes())
    rogue = dataclasses.replace(options(nginx, "api.example.test", snap, server_pki),
                                cert=str(server_pki.rogue_pem), key=str(server_pki.rogue_key),
                                truststore=str(bundle))
    f = next(f for f in run_diagnosis(rogue).findings if f.id == "MTLS_CLIENT_CERT_REJECTED")
    assert f.fix is not None
    command = next(c for c in f.fix.commands if "verify-client" in c)
    assert command.endswith(f"--truststore '{bundle}'")


def test_serial_forms_compare():
    assert serial_hex(0x0A1B) == "0a1b"


def test_bare_host_is_the_diagnose_command(cli, nginx, server_pki, tmp_path):
    snap = tmp_path / "snap.json"
    snap.write_text(dumps(facts_for(server_pki, "api.example.test", "wildcard")))
    run = cli(f"api.example.test:{nginx.port}", "--connect", f"127.0.0.1:{nginx.port}",
              "--aws-snapshot", str(snap), "--cert", str(server_pki.client_pem),
              "--key", str(server_pki.client_key))
    assert run.doc["command"] == "diagnose"
    assert {"probe", "domain", "truststore", "verdict"} <= set(run.doc)
    assert "SERVER_FQDN_INSTEAD_OF_WILDCARD" in run.ids()
    assert run.rc == 1
    text = cli(f"api.example.test:{nginx.port}", "--connect", f"127.0.0.1:{nginx.port}",
               "--no-aws", json_out=False)
    assert text.out.startswith("Collected")
    assert "domain skipped" in text.out.splitlines()[0]  # not wanted (--no-aws), and says so
