"""`mtls-doctor probe HOST[:PORT]`: s_client-style live inspection, explained."""

from __future__ import annotations

from datetime import datetime

from mtls_doctor.commands.common import load_client, load_input
from mtls_doctor.deadline import Deadline
from mtls_doctor.errors import InputError
from mtls_doctor.model.certificate import Container
from mtls_doctor.model.checks import checks_of, derive_checks
from mtls_doctor.model.evidence import Attempt, Status, ok, skipped
from mtls_doctor.model.finding import Finding
from mtls_doctor.model.probe import ErrorKind, Outcome, ProbeResult
from mtls_doctor.model.report import Report
from mtls_doctor.pki.client import key_mismatch
from mtls_doctor.pki.keys import key_matches
from mtls_doctor.probe.findings import ProbeInputs, probe_findings
from mtls_doctor.probe.run import run_probe
from mtls_doctor.probe.target import parse_target, request_path
from mtls_doctor.probe.tls import ClientCredentials
from mtls_doctor.probe.trust import system_roots


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
                      path: str | None = None, timeout: float = 10.0,
                      deadline: Deadline | None = None) -> Report:
    """Probe one host and explain what was seen (`path`: --path, else a URL's path, else /).
    Every step shares one deadline: `deadline` when given (diagnose's, which the TUI may
    cancel), else `timeout` seconds from now."""
    deadline = deadline if deadline is not None else Deadline(timeout)
    target = parse_target(host, connect)
    path = request_path(path or target.path or "/")
    if key and not cert:
        raise InputError("--key needs --cert")
    credentials: ClientCredentials | None = None
    pkcs12 = False
    findings: list[Finding] = []
    if cert:
        credentials, pkcs12, findings = _credentials(cert, key, chain, password)
    result = run_probe(target, credentials, path=path, deadline=deadline, at=at,
                       roots=system_roots())
    inputs = ProbeInputs(target, path, cert, key, pkcs12, password_env if password else None)
    findings += probe_findings(result, inputs)
    return Report(
        command="probe",
        generated_at=now,
        checks=derive_checks(checks_of("probe"), findings, probe_evidence(
            result, presented=cert is not None, cancelled=deadline.cancelled)),
        findings=tuple(findings),
        payload={"probe": result},
    )


#: the probe's steps in order; `ProbeError.step` names the one that failed
_STEPS = ("dns", "connect", "handshake", "request", "response")


def probe_evidence(r: ProbeResult, *, presented: bool, cancelled: bool = False
                   ) -> dict[str, Attempt]:
    """What the probe collected, step by step. A step that failed with an answer (refused, an
    alert, not TLS) is a fact its findings judge; a step cut short by the deadline (`cancelled`:
    by the run's cancellation), and every step after a failed one, could not be collected, so
    the checks that need them are `unknown`. An HTTP answer that a server requiring a client
    certificate never gives without one does not apply when no --cert was given."""
    err = r.error
    failed_at = _STEPS.index(err.step) if err is not None and err.step in _STEPS else len(_STEPS)
    out: dict[str, Attempt] = {}
    for i, step in enumerate(_STEPS):
        call = f"probe.{step}"
        if i < failed_at:
            out[step] = ok(call)
        elif i == failed_at and err is not None:
            status = Status.OK
            if err.kind is ErrorKind.TIMEOUT:
                status = Status.CANCELLED if cancelled else Status.TIMED_OUT
            out[step] = Attempt(call, status, err.message)
        else:
            what = "timed out" if err is not None and err.kind is ErrorKind.TIMEOUT else "failed"
            out[step] = Attempt(call, Status.CANCELLED,
                                f"not reached: the {err.step if err else '?'} {what}")
    # the server's reply (ServerHello, its certificate, whether it asks for ours)
    out["server_hello"] = (ok("probe.server_hello") if r.tls_version is not None
                           else out["handshake"] if out["handshake"].failed
                           else Attempt("probe.server_hello", Status.CANCELLED,
                                        "the server never answered the handshake"))
    http_failed = out["response"] if out["response"].failed else out["request"]
    if r.http is not None:
        out["http"] = ok("probe.http")
    elif not presented and r.client_auth.required and not (err and err.kind is ErrorKind.TIMEOUT):
        out["http"] = skipped("probe.http", "the server requires a client certificate and none "
                              "was given (--cert)")
    elif http_failed.failed:
        out["http"] = http_failed
    elif err is not None and err.step in _STEPS:
        # the connection ended with an answer (an alert, a reset) that a finding reports
        out["http"] = skipped("probe.http", f"no HTTP answer: the {err.step} ended with "
                              f"{err.kind.value.replace('_', ' ')} ({err.message})")
    else:
        out["http"] = Attempt("probe.http", Status.CANCELLED, "no HTTP answer came")
    if not presented:
        out["client_outcome"] = skipped("probe.client_certificate", "no --cert given")
    elif r.client_certificate.outcome in (Outcome.ACCEPTED, Outcome.REJECTED):
        out["client_outcome"] = ok("probe.client_certificate")
    elif r.client_certificate.outcome is Outcome.NOT_REQUESTED:
        out["client_outcome"] = skipped("probe.client_certificate",
                                        "the server never asked for a client certificate")
    else:
        why = next((a for a in (out["server_hello"], out["http"]) if a.failed), None)
        out["client_outcome"] = why or Attempt(
            "probe.client_certificate", Status.CANCELLED,
            "neither an alert nor an HTTP answer said whether it was accepted")
    return out
