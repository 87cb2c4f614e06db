"""Does one certificate's signature verify under another's key, and do their names chain?"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from enum import StrEnum

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa


class SignatureCheck(StrEnum):
    """The outcome of checking a signature."""

    OK = "ok"
    BAD = "bad"
    UNSUPPORTED = "unsupported"


#: ecdsa-with-SHA1 and ecdsa-with-SHA2 (RFC 5758) are 1.2.840.10045.4.*
_ECDSA_WITH = "1.2.840.10045.4."


def _verify_by_hand(cert: x509.Certificate, issuer_key: object) -> None:
    """Verify with the issuer's public key directly. Used where `verify_directly_issued_by`
    declines: SHA-1/MD5 signatures (which must still be told apart from forged ones) and names
    that chain only after RFC 5280 normalisation."""
    sig, tbs = cert.signature, cert.tbs_certificate_bytes
    params = cert.signature_algorithm_parameters
    hash_alg = cert.signature_hash_algorithm
    if isinstance(issuer_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        issuer_key.verify(sig, tbs)
    elif isinstance(issuer_key, ec.EllipticCurvePublicKey):
        if params is None and hash_alg is not None and \
                cert.signature_algorithm_oid.dotted_string.startswith(_ECDSA_WITH):
            # cryptography gives no parameters for ecdsa-with-SHA1: the hash alone names them
            params = ec.ECDSA(hash_alg)
        if not isinstance(params, ec.ECDSA):
            raise InvalidSignature  # an EC key cannot have made a non-ECDSA signature
        issuer_key.verify(sig, tbs, params)
    elif hash_alg is None:
        raise UnsupportedAlgorithm("the signature names no hash algorithm")
    elif isinstance(issuer_key, rsa.RSAPublicKey):
        pad = params if isinstance(params, padding.PSS | padding.PKCS1v15) else padding.PKCS1v15()
        issuer_key.verify(sig, tbs, pad, hash_alg)
    elif isinstance(issuer_key, dsa.DSAPublicKey):
        issuer_key.verify(sig, tbs, hash_alg)
    else:
        raise UnsupportedAlgorithm(f"cannot verify with a {type(issuer_key).__name__}")


def check_signature(cert: x509.Certificate, issuer: x509.Certificate) -> tuple[SignatureCheck, str]:
    """Check that `issuer`'s key signed `cert`. Returns the outcome and a short explanation."""
    try:
        cert.verify_directly_issued_by(issuer)
        return SignatureCheck.OK, "signature verifies"
    except InvalidSignature:
        return SignatureCheck.BAD, "signature does not verify under the issuer's key"
    except (ValueError, TypeError, UnsupportedAlgorithm):
        pass  # an algorithm or name form cryptography's strict check declines: verify by hand
    try:
        _verify_by_hand(cert, issuer.public_key())
    except InvalidSignature:
        return SignatureCheck.BAD, "signature does not verify under the issuer's key"
    except Exception as exc:  # noqa: BLE001 - whatever the library cannot do is "cannot check"
        return SignatureCheck.UNSUPPORTED, f"signature cannot be checked ({exc or type(exc).__name__})"
    return SignatureCheck.OK, "signature verifies"


#: fewer checks than this are made one after the other (a thread costs more than it saves)
PARALLEL_FROM = 16
#: threads that check signatures at most (one per core the process may use, up to this)
MAX_THREADS = 8


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def check_signatures(
    pairs: Sequence[tuple[x509.Certificate, x509.Certificate]],
) -> list[tuple[SignatureCheck, str]]:
    """`check_signature(cert, issuer)` of every pair, in order, each made once. cryptography
    lets go of the interpreter while OpenSSL verifies, so a bundle's hundreds of checks run on
    every core at once (in up to `MAX_THREADS` threads, the caller's one of them)."""
    threads = min(MAX_THREADS, _cores(), len(pairs) // (PARALLEL_FROM // 2) or 1)
    if len(pairs) < PARALLEL_FROM or threads < 2:
        return [check_signature(cert, issuer) for cert, issuer in pairs]
    out: list[tuple[SignatureCheck, str] | None] = [None] * len(pairs)
    failed: list[BaseException] = []

    def work(start: int) -> None:
        try:
            for i in range(start, len(pairs), threads):  # interleaved: costly keys spread out
                out[i] = check_signature(*pairs[i])
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread below
            failed.append(exc)

    helpers = [threading.Thread(target=work, args=(k,), name="mtls-doctor-signatures",
                                daemon=True) for k in range(1, threads)]
    for t in helpers:
        t.start()
    work(0)
    for t in helpers:
        t.join()
    if failed:
        raise failed[0]
    done = [r for r in out if r is not None]
    if len(done) != len(pairs):
        raise RuntimeError("a signature check was not made")
    return done


def _norm_value(value: str | bytes) -> str:
    if isinstance(value, bytes):
        return value.hex()
    return " ".join(value.split()).casefold()


NameKey = tuple[frozenset[tuple[str, str]], ...]


def name_key(name: x509.Name) -> NameKey:
    """A comparison key for a Name per RFC 5280 7.1: attribute order inside an RDN, letter
    case and runs of white space do not matter; string types (Printable vs UTF8) do not either."""
    return tuple(
        frozenset((a.oid.dotted_string, _norm_value(a.value)) for a in rdn) for rdn in name.rdns
    )


def names_chain(issuer_name: x509.Name, subject_name: x509.Name) -> bool:
    """True when a certificate with `issuer_name` names a CA whose subject is `subject_name`."""
    return name_key(issuer_name) == name_key(subject_name)


def is_self_issued(cert: x509.Certificate) -> bool:
    """Subject and issuer are the same name (RFC 5280's self-issued)."""
    return names_chain(cert.issuer, cert.subject)


def is_self_signed(cert: x509.Certificate) -> bool:
    """Self-issued and signed by its own key."""
    return is_self_issued(cert) and check_signature(cert, cert)[0] is SignatureCheck.OK

