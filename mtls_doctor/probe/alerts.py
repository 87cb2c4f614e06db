"""OpenSSL's error texts, read by their reason names (never by `file.c:NNN` or exact wording,
which differ between OpenSSL versions), into the probe's error kinds and TLS alert names."""

from __future__ import annotations

import re

from mtls_doctor.model.probe import ErrorKind

_ALERT = re.compile(r"alert[ _]([a-z0-9 _]+)", re.IGNORECASE)
_NOT_TLS = ("wrong version number", "packet length too long", "unknown protocol",
            "http request", "record layer failure", "invalid record", "bad record type")

#: what each alert usually means when a server sends it in answer to a client certificate
MEANING = {
    "unknown_ca": "the server does not trust the CA that issued the client certificate "
                  "(its truststore lacks the issuer or the chain up to a root)",
    "certificate_required": "the server requires a client certificate and none was sent",
    "handshake_failure": "the server ended the handshake; with a client certificate requested "
                         "and none sent, this is how TLS 1.2 servers say one is required",
    "bad_certificate": "the server refused the client certificate (bad signature, unsupported "
                       "algorithm, or a path it cannot build)",
    "certificate_expired": "the client certificate (or a CA above it) is expired",
    "certificate_unknown": "the server refused the client certificate for an unnamed reason",
    "unsupported_certificate": "the server does not accept the certificate's type or key",
    "certificate_revoked": "the client certificate is revoked",
    "access_denied": "the server checked the certificate and refused access",
    "decrypt_error": "a signature in the handshake did not verify (wrong key for the "
                     "certificate?)",
    "protocol_version": "client and server share no TLS version",
    "insufficient_security": "the server wants stronger ciphers than offered",
    "internal_error": "the server failed internally",
    "unrecognized_name": "the server does not know the SNI name sent",
}


#: alerts whose OpenSSL reason text does not contain the word "alert"
_BARE_ALERTS = ("unrecognized name", "unsupported extension", "certificate unobtainable",
                "bad certificate status response", "bad certificate hash value")


#: what an alert means when no client certificate is involved
GENERIC_MEANING = {
    "handshake_failure": "the server found no acceptable set of TLS parameters (version, cipher, "
                         "signature algorithm) or refused the connection",
    "protocol_version": MEANING["protocol_version"],
    "unrecognized_name": MEANING["unrecognized_name"],
    "insufficient_security": MEANING["insufficient_security"],
    "internal_error": MEANING["internal_error"],
}


def alert_name(message: str) -> str | None:
    """`tlsv13 alert certificate required` -> `certificate_required`."""
    m = _ALERT.search(message)
    if m:
        return "_".join(m.group(1).strip().lower().split())
    lowered = message.lower()
    for bare in _BARE_ALERTS:
        if f"tlsv1 {bare}" in lowered:
            return bare.replace(" ", "_")
    return None


def classify(message: str) -> tuple[ErrorKind, str | None]:
    """The error kind and alert name of an OpenSSL error text."""
    alert = alert_name(message)
    if alert:
        return ErrorKind.TLS_ALERT, alert
    lowered = message.lower()
    if any(s in lowered for s in _NOT_TLS):
        return ErrorKind.NOT_TLS, None
    if "unexpected eof" in lowered or "connection reset" in lowered:
        return ErrorKind.RESET, None
    return ErrorKind.TLS_ERROR, None
