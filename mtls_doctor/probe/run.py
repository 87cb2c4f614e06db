"""One probe: resolve, connect, handshake, one HTTP request; every fact it saw, even on failure.
All the steps share one deadline (the command's `--timeout`): each gets what is left of it."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from mtls_doctor.deadline import Deadline
from mtls_doctor.model.certificate import CertSummary, Container, Position
from mtls_doctor.model.frozen import frozen
from mtls_doctor.model.probe import (
    ClientAuth,
    ClientCertificate,
    ErrorKind,
    HttpAnswer,
    Outcome,
    ProbeError,
    ProbeResult,
)
from mtls_doctor.pki.describe import describe
from mtls_doctor.pki.hostname import HostnameError, match_hostname
from mtls_doctor.pki.load import LoadedCert, parse_certificate
from mtls_doctor.pki.server import chain_shape
from mtls_doctor.probe.http import build_request, parse_response
from mtls_doctor.probe.net import StepFailed, connect, resolve
from mtls_doctor.probe.target import Target
from mtls_doctor.probe.tls import ClientCredentials, TlsClient

#: nginx completes the handshake and answers 400 with one of these for client certificates
NGINX_NO_CERT = "no required ssl certificate was sent"
NGINX_BAD_CERT = "the ssl certificate error"
_REQUIRED_ALERTS = {"certificate_required", "handshake_failure", "bad_certificate",
                    "access_denied", "certificate_unknown"}


class _Seen:
    """What the TLS connection showed, gathered even when a step failed (a plain class: a
    dataclass compiles its methods at start-up)."""

    def __init__(self) -> None:
        self.chain: list[x509.Certificate] = []
        self.requested = False
        self.ca_names: list[str] = []
        self.version: str | None = None
        self.cipher: str | None = None
        self.alpn: str | None = None
        self.raw_http = b""
        self.error: StepFailed | None = None
        self.handshake_done = False


#: the steps a probe reports as they happen, in order
STEPS = ("dns", "connect", "handshake", "http")


@frozen
class ProbeStep:
    """One step of a probe as it happens (for a live view): `step` (one of `STEPS`), `status`
    (`running` when it starts, then `done` or `failed`) and `elapsed`, the seconds since the
    probe started."""

    step: str
    status: str
    elapsed: float


#: what `run_probe` calls with each step's start and end (from the probe's own thread)
StepProgress = Callable[[ProbeStep], None]


class _Steps:
    """Tells `progress` (when given) each step's start and end, elapsed from `start`."""

    def __init__(self, progress: StepProgress | None, start: float) -> None:
        self.progress, self.start = progress, start

    def __call__(self, step: str, status: str) -> None:
        if self.progress is not None:
            self.progress(ProbeStep(step, status, round(time.perf_counter() - self.start, 3)))


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


def _describe_chain(chain: Sequence[x509.Certificate], at: datetime) -> tuple[CertSummary, ...]:
    out = []
    for i, cert in enumerate(chain):
        der = cert.public_bytes(serialization.Encoding.DER)
        parsed, error, notes = parse_certificate(der)
        pos = Position("served chain", i, None, Container.TLS)
        out.append(describe(LoadedCert(pos, der, parsed, error, notes, "TLS"), at))
    return tuple(out)


def _talk(client: TlsClient, target: Target, path: str, deadline: Deadline,
          timings: dict[str, float], seen: _Seen, steps: _Steps) -> None:
    start = time.perf_counter()
    step = "handshake"
    try:
        steps(step, "running")
        client.handshake(deadline)
        seen.handshake_done = True
        timings["handshake"] = _ms(start)
        steps(step, "done")
        step = "http"
        steps(step, "running")
        sent = time.perf_counter()

        def first_byte() -> None:
            timings["first_byte"] = _ms(sent)

        seen.raw_http = client.exchange(build_request(target.host_header, path), deadline,
                                        first_byte)
        steps(step, "done")
    except StepFailed as exc:
        seen.error = exc
        timings.setdefault("handshake", _ms(start))
        steps(step, "failed")
    seen.chain = client.served_chain()
    seen.requested = client.certificate_requested
    seen.ca_names = client.client_ca_names()
    # OpenSSL names a version as soon as the ClientHello leaves: only a ServerHello (seen as a
    # completed handshake or a certificate received) says which one the server chose
    if seen.handshake_done or seen.chain:
        seen.version, seen.cipher, seen.alpn = client.version(), client.cipher(), client.alpn()


def _client_outcome(seen: _Seen, http: HttpAnswer | None,
                    credentials: ClientCredentials | None) -> tuple[ClientAuth, ClientCertificate]:
    err = seen.error
    alert = err.alert if err is not None else None
    body = http.body.lower() if http else ""
    subject = credentials.cert.subject.rfc4514_string() if credentials else None
    issuer = credentials.cert.issuer.rfc4514_string() if credentials else None
    if not seen.requested:
        if seen.version is None:  # no ServerHello: nothing is known about client auth
            return ClientAuth(None, None, ()), ClientCertificate(False, Outcome.UNKNOWN, None,
                                                                  subject, issuer)
        auth = ClientAuth(False, None, ())
        return auth, ClientCertificate(False, Outcome.NOT_REQUESTED, None, subject, issuer)
    required: bool | None = None
    if credentials is None:
        if alert in _REQUIRED_ALERTS or (http and http.status == 400 and NGINX_NO_CERT in body):
            required = True
        elif http is not None:
            required = False
        auth = ClientAuth(True, required, tuple(seen.ca_names))
        return auth, ClientCertificate(False, Outcome.NOT_PRESENTED, alert)
    auth = ClientAuth(True, None, tuple(seen.ca_names))
    nginx_refused = http is not None and http.status == 400 and (
        NGINX_BAD_CERT in body or NGINX_NO_CERT in body)
    if alert is not None or nginx_refused:
        outcome = Outcome.REJECTED
    elif http is not None and http.status != 403:
        outcome = Outcome.ACCEPTED
    else:
        outcome = Outcome.UNKNOWN  # a 403 or a silent close: mTLS or something behind it
    return auth, ClientCertificate(True, outcome, alert, subject, issuer)


def run_probe(target: Target, credentials: ClientCredentials | None, *, path: str = "/",
              timeout: float = 10.0, deadline: Deadline | None = None, at: datetime,
              roots: Sequence[x509.Certificate] = (),
              progress: StepProgress | None = None) -> ProbeResult:
    """Probe `target` once, every step within `deadline` (when given; else `timeout` seconds
    from now). Never raises for network or TLS trouble, a deadline that passed or was cancelled
    included: that is `error`, a timeout of the step it cut short. `progress`, when given, is
    told each step's start and end as they happen (`ProbeStep`), from this thread."""
    deadline = deadline if deadline is not None else Deadline(timeout)
    start = time.perf_counter()
    steps = _Steps(progress, start)
    timings: dict[str, float] = {}
    step = "dns"
    try:
        steps(step, "running")
        addresses = resolve(target.connect_host, target.connect_port, deadline)
        timings["dns"] = _ms(start)
        steps(step, "done")
        step = "connect"
        steps(step, "running")
        before_connect = time.perf_counter()
        sock, addr = connect(addresses, deadline)
        timings["connect"] = _ms(before_connect)
        steps(step, "done")
    except StepFailed as exc:
        timings["total"] = _ms(start)
        steps(step, "failed")
        return ProbeResult(target.host, target.port, None, target.sni,
                           error=ProbeError(exc.kind, exc.message, exc.step), timings_ms=timings)
    seen = _Seen()
    try:
        client = TlsClient(sock, target.sni, credentials)
    except Exception:
        sock.close()
        raise
    try:
        _talk(client, target, path, deadline, timings, seen, steps)
    finally:
        client.close()
    timings["total"] = _ms(start)
    http = parse_response(seen.raw_http) if seen.raw_http else None
    error = seen.error
    if error is not None and error.kind is ErrorKind.NOT_TLS and seen.version is not None:
        # a bad record after the ServerHello: the server spoke TLS, then broke it
        error = StepFailed(ErrorKind.TLS_ERROR, error.message, error.step, error.alert)
    if error is None and seen.raw_http and http is None:
        error = StepFailed(ErrorKind.TLS_ERROR, "the answer over TLS is not HTTP (or was cut off "
                           "before the end of its headers)", "response")
    auth, client_cert = _client_outcome(seen, http, credentials)
    served = _describe_chain(seen.chain, at)
    match = None
    if seen.chain:
        try:
            match = match_hostname(seen.chain[0], target.host)
        except HostnameError:
            match = None
    return ProbeResult(
        host=target.host,
        port=target.port,
        sni=target.sni,
        address=addr.text,
        addresses=tuple(a.text for a in addresses),
        tls_version=seen.version,
        cipher=seen.cipher,
        alpn=seen.alpn,
        served_chain=served,
        chain=chain_shape(seen.chain, target.host, at, roots) if seen.chain else None,
        hostname_match=match,
        client_auth=auth,
        client_certificate=client_cert,
        http=http,
        error=ProbeError(error.kind, error.message, error.step, error.alert) if error else None,
        timings_ms=timings,
    )
