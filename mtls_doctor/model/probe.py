"""What a live TLS probe saw: the contract's PROBE object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from enum import StrEnum

from mtls_doctor.model.certificate import CertSummary, HostnameMatch
from mtls_doctor.model.frozen import frozen


class ErrorKind(StrEnum):
    """Why a probe stopped early."""

    DNS = "dns"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    RESET = "reset"
    NOT_TLS = "not_tls"
    TLS_ALERT = "tls_alert"
    TLS_ERROR = "tls_error"


class Outcome(StrEnum):
    """What happened to the client certificate."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    NOT_REQUESTED = "not_requested"
    NOT_PRESENTED = "not_presented"
    UNKNOWN = "unknown"


@frozen
class ProbeError:
    """The failure that ended the exchange; `step` says where (dns, connect, handshake, http)."""

    kind: ErrorKind
    message: str
    step: str = ""
    alert: str | None = None


@frozen
class ClientAuth:
    """Whether the server asked for a client certificate, insists on one, and which CAs it names."""

    #: None when the probe never got as far as the server's reply (no ServerHello)
    requested: bool | None
    required: bool | None
    acceptable_ca_names: tuple[str, ...] = ()


@frozen
class ClientCertificate:
    """The client certificate's fate: presented or not, accepted or rejected, and the alert."""

    presented: bool
    outcome: Outcome
    alert: str | None = None
    subject: str | None = None
    issuer: str | None = None


@frozen
class HttpAnswer:
    """The HTTP response to the probe's one request (the headers that matter first)."""

    status: int | None
    reason: str
    headers: Mapping[str, str]
    body: str


@frozen
class ChainShape:
    """Whether the served chain is in order (each certificate issued by the next) and complete
    (it reaches a self-signed certificate or a root the local trust store holds)."""

    ordered: bool
    complete: bool
    trusted: bool | None
    detail: str


@frozen
class ProbeResult:
    """Everything one probe learned; fields are None when the probe stopped before them."""

    host: str
    port: int
    address: str | None
    sni: str | None
    addresses: tuple[str, ...] = ()
    tls_version: str | None = None
    cipher: str | None = None
    alpn: str | None = None
    served_chain: tuple[CertSummary, ...] = ()
    chain: ChainShape | None = None
    hostname_match: HostnameMatch | None = None
    client_auth: ClientAuth = ClientAuth(None, None)
    client_certificate: ClientCertificate = ClientCertificate(False, Outcome.UNKNOWN)
    http: HttpAnswer | None = None
    error: ProbeError | None = None
    timings_ms: Mapping[str, float] = field(default_factory=dict)
