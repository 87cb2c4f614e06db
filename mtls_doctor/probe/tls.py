"""One TLS client connection with pyOpenSSL, driven non-blocking under deadlines.

pyOpenSSL on a socket with a timeout raises WantReadError on every call, so the socket is
non-blocking and each call is retried after a poll says the socket is ready, until the command's
one deadline; each poll waits at most `net.POLL` seconds, so a cancelled deadline ends a blocked
step promptly (reported as that step's timeout). Under TLS 1.3 a server rejects a client
certificate *after* the handshake: its alert arrives on the first read, which is why `exchange`
sends the request and reads the answer.
"""

from __future__ import annotations

import contextlib
import errno
import socket
from collections.abc import Callable
from dataclasses import field
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from OpenSSL import SSL, crypto

from mtls_doctor.deadline import Deadline
from mtls_doctor.model.frozen import frozen
from mtls_doctor.model.probe import ErrorKind
from mtls_doctor.probe.alerts import classify
from mtls_doctor.probe.http import MAX_RESPONSE, headers_complete, response_complete
from mtls_doctor.probe.net import StepFailed, step_timeout, wait_ready

T = TypeVar("T")
_CERT_REQUEST_STATE = b"read server certificate request"


@frozen
class ClientCredentials:
    """The client certificate, its key, and intermediates to send with it. Never printed."""

    cert: x509.Certificate
    key: PrivateKeyTypes = field(repr=False)
    chain: tuple[x509.Certificate, ...] = ()


def _openssl_message(exc: SSL.Error) -> str:
    parts = []
    for item in exc.args[0] if exc.args and isinstance(exc.args[0], list) else []:
        if isinstance(item, tuple) and item:
            parts.append(str(item[-1]))
    return "; ".join(p for p in parts if p) or str(exc) or type(exc).__name__


def name_text(name: crypto.X509Name) -> str:
    """A CA name from the server's CertificateRequest as RFC 4514-like text."""
    parts = []
    for key, value in reversed(name.get_components()):
        parts.append(f"{key.decode('ascii', 'replace')}={value.decode('utf-8', 'replace')}")
    return ",".join(parts)


class TlsClient:
    """A TLS connection over a connected socket; every call honours a deadline."""

    def __init__(self, sock: socket.socket, sni: str | None,
                 credentials: ClientCredentials | None) -> None:
        self.sock = sock
        self.certificate_requested = False
        ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
        # see everything the server does, even old or weak, so that it can be reported
        ctx.set_min_proto_version(SSL.TLS1_VERSION)
        ctx.set_cipher_list(b"DEFAULT:@SECLEVEL=0")
        ctx.set_verify(SSL.VERIFY_NONE, lambda *_: True)
        ctx.set_alpn_protos([b"http/1.1"])
        ctx.set_info_callback(self._on_state)
        if credentials is not None:
            ctx.use_certificate(credentials.cert)
            ctx.use_privatekey(credentials.key)  # type: ignore[arg-type]
            for extra in credentials.chain:
                ctx.add_extra_chain_cert(extra)
        self.conn = SSL.Connection(ctx, sock)
        if sni:
            self.conn.set_tlsext_host_name(sni.encode("ascii"))  # already A-labels (Target)
        self.conn.set_connect_state()

    def _on_state(self, conn: SSL.Connection, where: int, ret: int) -> None:
        if _CERT_REQUEST_STATE in conn.get_state_string():
            self.certificate_requested = True

    def _io(self, call: Callable[[], T], deadline: Deadline, step: str) -> T:
        """`call`, retried whenever the socket is ready, until it succeeds or fails or what is
        left of `deadline` runs out (at once when nothing is left)."""
        if deadline.left() <= 0:
            raise step_timeout(step, deadline)
        while True:
            try:
                return call()
            except SSL.WantReadError:
                write = False
            except SSL.WantWriteError:
                write = True
            except SSL.SysCallError as exc:
                code = exc.args[0] if exc.args else None
                if code in (-1, errno.ECONNRESET, errno.EPIPE):
                    what = ("the server closed the connection" if code == -1
                            else "the server reset the connection")
                    raise StepFailed(ErrorKind.RESET, f"{what} during the {step}", step) from None
                raise StepFailed(ErrorKind.TLS_ERROR, f"{step}: {exc}", step) from None
            except SSL.ZeroReturnError:
                if step == "response":
                    raise  # a clean end of the answer: the caller stops reading
                raise StepFailed(ErrorKind.RESET, f"the server closed the connection (close_notify) "
                                 f"during the {step}", step) from None
            except SSL.Error as exc:
                message = _openssl_message(exc)
                kind, alert = classify(message)
                raise StepFailed(kind, message, step, alert) from None
            if not wait_ready(self.sock, deadline, write=write):
                raise step_timeout(step, deadline, f"the server did not answer the {step}")

    def handshake(self, deadline: Deadline) -> None:
        """The TLS handshake."""
        self._io(self.conn.do_handshake, deadline, "handshake")

    def exchange(self, request: bytes, deadline: Deadline,
                 on_first_byte: Callable[[], None]) -> bytes:
        """Send the request and read the answer until it is complete, closed, or long enough."""
        try:
            self._io(lambda: self.conn.sendall(request), deadline, "request")
        except StepFailed as exc:
            if exc.kind is ErrorKind.RESET:
                self._raise_pending_alert()  # a refused certificate: its alert is still readable
            raise
        data = b""
        while len(data) < MAX_RESPONSE and not response_complete(data):
            try:
                chunk = self._io(lambda: self.conn.recv(4096), deadline, "response")
            except SSL.ZeroReturnError:
                break
            except StepFailed as exc:
                if headers_complete(data) and exc.kind in (ErrorKind.TIMEOUT, ErrorKind.RESET):
                    break  # the headers are in; a server that keeps the connection open is fine
                raise
            if not chunk:
                break
            if not data:
                on_first_byte()
            data += chunk
        return data

    def _raise_pending_alert(self) -> None:
        """After a write failed because the server closed, read what it sent before closing:
        under TLS 1.3 that is the alert refusing the client certificate."""
        try:
            self.conn.recv(4096)
        except (SSL.WantReadError, SSL.ZeroReturnError, SSL.SysCallError):
            return
        except SSL.Error as exc:
            message = _openssl_message(exc)
            kind, alert = classify(message)
            if alert is not None:
                raise StepFailed(kind, message, "request", alert) from None

    def served_chain(self) -> list[x509.Certificate]:
        """The certificates the server sent, in its order (also after a failed handshake)."""
        return list(self.conn.get_peer_cert_chain(as_cryptography=True) or [])

    def client_ca_names(self) -> list[str]:
        """The CA names from the server's CertificateRequest (TLS 1.2 and 1.3)."""
        return [name_text(n) for n in self.conn.get_client_ca_list() or []]

    def version(self) -> str | None:
        """`TLSv1.3`, or None before a handshake."""
        v = self.conn.get_protocol_version_name()
        return v if v and v != "Unknown" else None

    def cipher(self) -> str | None:
        """The negotiated cipher suite."""
        return self.conn.get_cipher_name()

    def alpn(self) -> str | None:
        """The ALPN protocol the server chose."""
        proto = self.conn.get_alpn_proto_negotiated()
        return proto.decode("ascii", "replace") if proto else None

    def close(self) -> None:
        """Close without waiting for the server."""
        with contextlib.suppress(SSL.Error, OSError):
            self.conn.shutdown()
        self.sock.close()
