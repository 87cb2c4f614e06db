"""`mtls-doctor probe HOST[:PORT]`: s_client-style live inspection, explained."""

from __future__ import annotations

from datetime import datetime

from mtls_doctor.commands.common import ClientInput, load_client, load_input
from mtls_doctor.deadline import Deadline
from mtls_doctor.errors import InputError
from mtls_doctor.model.certificate import Container
from mtls_doctor.model.checks import checks_of, derive_checks
from mtls_doctor.model.evidence import Attempt, Status, ok, skipped
from mtls_doctor.model.finding import Finding
from mtls_doctor.model.frozen import frozen
from mtls_doctor.model.probe import ErrorKind, Outcome, ProbeResult
from mtls_doctor.model.report import Report
from mtls_doctor.pki.keys import key_matches
from mtls_doctor.pki.load import LoadedFile
from mtls_doctor.probe.findings import ProbeInputs, probe_findings
from mtls_doctor.probe.run import StepProgress, run_probe
from mtls_doctor.probe.target import parse_target, request_path
from mtls_doctor.probe.tls import ClientCredentials
from mtls_doctor.probe.trust import system_roots


@frozen
class ProbeRun:
    """One probe as collected: what the connection showed, what the user asked for, the
    findings about the inputs themselves (a key that does not match), and whether the run was
    cancelled."""

    result: ProbeResult
    inputs: ProbeInputs
    input_findings: tuple[Finding, ...] = ()
    cancelled: bool = False


def client_credentials(client: ClientInput, chain: LoadedFile | None, cert: str, key: str | None
                       ) -> tuple[ClientCredentials | None, list[Finding]]:
    """What the probe presents: the client's certificate, key and intermediates; (None,
    [CLIENT_KEY_MISMATCH]) when the key is not the certificate's."""
    good = client.file.good
    if not good or good[0].cert is None:
        raise InputError(f"{cert}: no readable certificate in the file")
    if client.key is None:
        raise InputError(f"{cert}: give the client's private key with --key FILE")
    leaf = good[0].cert
    extra = [c.cert for c in good[1:] if c.cert is not None]
    if chain is not None:
        extra += [c.cert for c in chain.good if c.cert]
    if not key_matches(leaf, client.key):
        # the verdict's machinery (paths, fixes, the truststore rules) only for this finding
        from mtls_doctor.pki.client import key_mismatch

        return None, [key_mismatch(cert, key or cert, leaf.subject.rfc4514_string(),
                                   "the probe went on without a client certificate")]
    return ClientCredentials(leaf, client.key, tuple(extra)), []


def collect_probe(host: str, *, at: datetime, deadline: Deadline, connect: str | None = None,
                  cert: str | None = None, key: str | None = None,
                  client: ClientInput | None = None, chain: LoadedFile | None = None,
                  password_env: str | None = None, path: str | None = None,
                  progress: StepProgress | None = None) -> ProbeRun:
    """The probe as a collector: one connection within `deadline`, presenting `client` (read
    already, as diagnose does before anything runs) when given; `progress` is told each step
    as it happens (`run_probe`)."""
    target = parse_target(host, connect)
    path = request_path(path or target.path or "/")
    credentials: ClientCredentials | None = None
    findings: list[Finding] = []
    if client is not None:
        credentials, findings = client_credentials(client, chain, cert or "", key)
    result = run_probe(target, credentials, path=path, deadline=deadline, at=at,
                       roots=system_roots(), progress=progress)
    pkcs12 = client is not None and client.file.container is Container.PKCS12
    inputs = ProbeInputs(target, path, cert, key, pkcs12,
                         password_env if client is not None else None)
    return ProbeRun(result, inputs, tuple(findings), deadline.cancelled)


def probe_report(run: ProbeRun, now: datetime) -> Report:
    """The probe's findings and checks from what it collected."""
    findings = [*run.input_findings, *probe_findings(run.result, run.inputs)]
    return Report(
        command="probe",
        generated_at=now,
        checks=derive_checks(checks_of("probe"), findings, probe_evidence(
            run.result, presented=run.inputs.cert is not None, cancelled=run.cancelled)),
        findings=tuple(findings),
        payload={"probe": run.result},
    )


def run_probe_command(host: str, *, at: datetime, now: datetime, connect: str | None = None,
                      cert: str | None = None, key: str | None = None, chain: str | None = None,
                      password: bytes | None = None, password_env: str | None = None,
                      path: str | None = None, timeout: float = 30.0,
                      deadline: Deadline | None = None) -> Report:
    """Probe one host and explain what was seen (`path`: --path, else a URL's path, else /).
    Every step shares one deadline: `deadline` when given, else `timeout` seconds from now."""
    if key and not cert:
        raise InputError("--key needs --cert")
    client = load_client(cert, key, password, key_required=True) if cert else None
    chain_file = load_input(chain, "chain file", password) if chain and cert else None
    run = collect_probe(host, at=at, deadline=deadline or Deadline(timeout), connect=connect,
                        cert=cert, key=key, client=client, chain=chain_file,
                        password_env=password_env if password else None, path=path)
    return probe_report(run, now)


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
