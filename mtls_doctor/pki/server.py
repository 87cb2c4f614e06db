"""The certificate chain a server sends: its order, completeness, and trust by the Web PKI.

Here cryptography's own path validation fits exactly: a TLS client checks a server certificate
with the Web PKI profile, which is what `ServerVerifier` implements.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import datetime

from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from mtls_doctor.model.probe import ChainShape
from mtls_doctor.pki.describe import basic_constraints
from mtls_doctor.pki.quiet import quiet
from mtls_doctor.pki.signature import SignatureCheck, check_signature, is_self_issued, name_key


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    return (name_key(cert.issuer) == name_key(issuer.subject)
            and check_signature(cert, issuer)[0] is SignatureCheck.OK)


def chain_shape(chain: Sequence[x509.Certificate], host: str, at: datetime,
                roots: Sequence[x509.Certificate]) -> ChainShape:
    """Is the served chain in order, does it reach a root, and do normal clients trust it?"""
    if not chain:
        return ChainShape(False, False, None, "the server sent no certificate")
    ordered = all(_issued_by(chain[i], chain[i + 1]) for i in range(len(chain) - 1))
    top = chain[-1] if ordered else None
    reaches = top is not None and (
        is_self_issued(top) or any(_issued_by(top, r) for r in roots)
    )
    # a served intermediate CA whose issuer is neither sent nor held locally ends where a
    # private CA's chain ends: at its root, which a server need not send. Whether that issuer
    # is a root or a missing intermediate cannot be told from here, so the chain is not called
    # incomplete; it is untrusted, and says so.
    private = (not reaches and top is not None and len(chain) > 1
               and basic_constraints(top).ca)
    complete = reaches or private
    trusted, why = verify_for_host(chain, host, at, roots)
    if trusted is False and top is not None and is_self_issued(top) and top not in roots:
        why = (f"the chain ends at {top.subject.rfc4514_string()}, a self-signed root the local "
               "trust store does not hold (a private CA)")
    elif trusted is False and private and top is not None:
        why = (f"the chain ends at the CA {top.subject.rfc4514_string()}, whose issuer "
               f"{top.issuer.rfc4514_string()} the server does not send (a root need not be "
               "sent) and the local trust store does not hold: a private CA's root, or an "
               "intermediate the server should send")
    if not ordered:
        detail = ("the certificates are not in order (each must be followed by its issuer) or "
                  "include one that does not belong to the chain")
    elif private:
        detail = "complete as far as can be told: it ends at a CA whose issuer is not sent"
    elif not complete:
        detail = (f"the chain stops at {top.issuer.rfc4514_string() if top else '?'}'s certificate, "
                  "which the server does not send and the local trust store does not hold")
    else:
        detail = "in order and complete"
    if trusted is False:
        detail += f"; not trusted by the local trust store: {why}"
    return ChainShape(ordered, complete, trusted, detail)


def verify_for_host(chain: Sequence[x509.Certificate], host: str, at: datetime,
                    roots: Sequence[x509.Certificate]) -> tuple[bool | None, str]:
    """Validate like a browser would (None when there are no roots to validate against)."""
    if not roots:
        return None, "no trust store found"
    try:
        ip = ipaddress.ip_address(host)
        subject: x509.verification.Subject = x509.IPAddress(ip)
    except ValueError:
        try:
            subject = x509.DNSName(host)
        except ValueError:
            return None, f"{host} is not a name a certificate can hold"
    try:
        with quiet():  # roots with serial 0 make cryptography warn
            verifier = PolicyBuilder().store(Store(list(roots))).time(at).build_server_verifier(subject)
            verifier.verify(chain[0], list(chain[1:]))
    except VerificationError as exc:
        why = str(exc).splitlines()[0][:300]
        if "candidates exhausted" in why and "no interior errors" in why:
            # cryptography's words for "no path was found", read as a person would
            why = "no path from the served chain to a root the local trust store holds"
        return False, why
    except (ValueError, TypeError) as exc:
        return False, str(exc)[:300]
    return True, "trusted"
