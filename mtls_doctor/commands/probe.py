"""`mtls-doctor probe HOST[:PORT]`: s_client-style live inspection, explained."""

from __future__ import annotations

from datetime import datetime

from mtls_doctor.commands.common import check, derive_checks, load_client, load_input
from mtls_doctor.errors import InputError
from mtls_doctor.model.certificate import Container
from mtls_doctor.model.finding import Finding
from mtls_doctor.model.probe import Outcome, ProbeResult
from mtls_doctor.model.report import Report
from mtls_doctor.pki.client import key_mismatch
from mtls_doctor.pki.keys import key_matches
from mtls_doctor.probe.findings import ProbeInputs, probe_findings
from mtls_doctor.probe.run import run_probe
from mtls_doctor.probe.target import parse_target, request_path
from mtls_doctor.probe.tls import ClientCredentials
from mtls_doctor.probe.trust import system_roots

CHECKS = (
    check("probe.connect", "name resolves and the port answers",
          "PROBE_DNS_FAILED", "PROBE_CONNECTION_REFUSED", "PROBE_TIMEOUT", "PROBE_CONNECTION_RESET",
          "PROBE_NOT_TLS"),
    check("probe.tls", "TLS handshake (1.2 or newer)", "PROBE_HANDSHAKE_FAILED",
          "SERVER_TLS_BELOW_1_2"),
    check("probe.server_certificate", "served certificate covers the host and is valid",
          "SERVER_HOSTNAME_MISMATCH", "SERVER_CERT_EXPIRED", "SERVER_CERT_UNTRUSTED",
          "SERVER_CHAIN_INCOMPLETE"),
    check("probe.client_auth", "server asks for a client certificate", "MTLS_NOT_REQUESTED",
          "MTLS_NO_CLIENT_CERT_GIVEN"),
    check("probe.client_certificate", "server accepts the client certificate",
          "MTLS_CLIENT_CERT_REJECTED", "CLIENT_KEY_MISMATCH"),
    check("probe.http", "HTTP answer", "HTTP_FORBIDDEN"),
)


def _credentials(cert: str, key: str | None, chain: str | None, password: bytes | None
                 ) -> tuple[ClientCredentials | None, bool, list[Finding]]:
    """The client's certificate and key; (None, ..., [CLIENT_KEY_MISMATCH]) when they differ."""
    client = load_client(cert, key, password, key_required=True)
    good = client.file.good
    if not good or good[0].cert is None:
        raise InputError(f"{cert}: no readable certificate in the file")
    assert client.key is not None  # key_required
    leaf = good[0].cert
    extra = [c.cert for c in good[1:] if c.cert is not None]
    if chain:
        extra += [c.cert for c in load_input(chain, "chain file", password).good if c.cert]
    pkcs12 = client.file.container is Container.PKCS12
    if not key_matches(leaf, client.key):
        return None, pkcs12, [key_mismatch(cert, key or cert, leaf.subject.rfc4514_string(),
                                           "the probe went on without a client certificate")]
    return ClientCredentials(leaf, client.key, tuple(extra)), pkcs12, []


def run_probe_command(host: str, *, at: datetime, now: datetime, connect: str | None = None,
                      cert: str | None = None, key: str | None = None, chain: str | None = None,
                      password: bytes | None = None, password_env: str | None = None,
                      path: str | None = None, timeout: float = 10.0) -> Report:
    """Probe one host and explain what was seen (`path`: --path, else a URL's path, else /)."""
    target = parse_target(host, connect)
    path = request_path(path or target.path or "/")
    if key and not cert:
        raise InputError("--key needs --cert")
    credentials: ClientCredentials | None = None
    pkcs12 = False
    findings: list[Finding] = []
    if cert:
        credentials, pkcs12, findings = _credentials(cert, key, chain, password)
    result = run_probe(target, credentials, path=path, timeout=timeout, at=at,
                       roots=system_roots())
    inputs = ProbeInputs(target, path, cert, key, pkcs12, password_env if password else None)
    findings += probe_findings(result, inputs)
    return Report(
        command="probe",
        generated_at=now,
        checks=derive_checks(CHECKS, findings, _unobserved(result)),
        findings=tuple(findings),
        payload={"probe": result},
    )


def _unobserved(r: ProbeResult) -> list[str]:
    """Checks the probe could not judge: shown as skipped unless a finding says otherwise."""
    if r.address is None:
        return [c.id for c in CHECKS if c.id != "probe.connect"]
    skipped = []
    if r.tls_version is None:
        # no ServerHello: nothing about the server or its client authentication was seen
        skipped += ["probe.server_certificate", "probe.client_auth"]
    if r.error is not None and r.error.step == "handshake":
        skipped.append("probe.tls")  # failed: a finding (or the missing certificate) says why
    if r.client_certificate.outcome not in (Outcome.ACCEPTED, Outcome.REJECTED):
        skipped.append("probe.client_certificate")
    if r.http is None:
        skipped.append("probe.http")
    return skipped

