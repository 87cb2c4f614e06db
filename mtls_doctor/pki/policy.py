"""API Gateway's algorithm rules and RFC 5280's "may this certificate issue?" rules.

Source: the API Gateway developer guide, "Configuring your truststore": SHA-256 or stronger,
RSA-2048 or larger, ECDSA P-256 or P-384; certificate chain length at most four.
"""

from __future__ import annotations

from enum import StrEnum

from mtls_doctor.model.certificate import CertSummary
from mtls_doctor.model.frozen import frozen

#: hashes API Gateway accepts in signatures ("SHA-256 or stronger")
STRONG_HASHES = frozenset({"sha256", "sha384", "sha512", "sha3-256", "sha3-384", "sha3-512"})
#: curves API Gateway accepts (ECDSA-256 and ECDSA-384)
ALLOWED_CURVES = frozenset({"secp256r1", "secp384r1"})
MIN_RSA_BITS = 2048
#: at most this many CA certificates on a path (the guide's "maximum chain length is four")
MAX_CA_CERTS = 4


class PolicyIssue(StrEnum):
    """Which algorithm rule a certificate breaks."""

    WEAK_HASH = "weak_hash"
    WEAK_RSA = "weak_rsa"
    UNSUPPORTED_KEY = "unsupported_key"


@frozen
class PolicyViolation:
    """One broken algorithm rule and what was seen."""

    issue: PolicyIssue
    detail: str


def key_text(c: CertSummary) -> str:
    """`RSA 2048`, `EC secp384r1`, `Ed25519`."""
    if c.key.curve:
        explicit = " (explicit parameters)" if c.key.explicit_parameters else ""
        return f"{c.key.type} {c.key.curve}{explicit}"
    if c.key.type in ("RSA", "DSA") and c.key.bits:
        return f"{c.key.type} {c.key.bits}"
    return c.key.type


def algorithm_violations(c: CertSummary) -> list[PolicyViolation]:
    """Every algorithm rule the certificate breaks (signature hash, key type and size)."""
    out: list[PolicyViolation] = []
    h = c.signature_hash
    if h is not None and h not in STRONG_HASHES:
        out.append(PolicyViolation(
            PolicyIssue.WEAK_HASH,
            f"signed with {c.signature_algorithm} ({h.upper()}); API Gateway needs SHA-256 or stronger",
        ))
    k = c.key
    if k.type == "RSA":
        if (k.bits or 0) < MIN_RSA_BITS:
            out.append(PolicyViolation(PolicyIssue.WEAK_RSA,
                                       f"RSA key of {k.bits} bits; API Gateway needs 2048 or more"))
    elif k.type == "EC" and k.curve in ALLOWED_CURVES and k.explicit_parameters:
        out.append(PolicyViolation(
            PolicyIssue.UNSUPPORTED_KEY,
            f"{key_text(c)} key: the curve is spelled out instead of named; OpenSSL 3 refuses "
            "such keys (\"Certificate public key has explicit ECC parameters\"), and API "
            "Gateway is assumed to refuse them too"))
    elif k.type == "EC" and k.curve in ALLOWED_CURVES:
        pass
    else:
        out.append(PolicyViolation(
            PolicyIssue.UNSUPPORTED_KEY,
            f"{key_text(c)} key; API Gateway supports only RSA (2048 bits or more), "
            "ECDSA P-256 and ECDSA P-384",
        ))
    if h is None and c.signature_algorithm.lower() not in ("ed25519", "ed448"):
        # EdDSA signatures have no separate hash; the issuer's Ed25519/Ed448 key is what breaks
        # the rules, and it is reported on the issuer. Anything else without a hash is unknown.
        out.append(PolicyViolation(PolicyIssue.WEAK_HASH,
                                   f"signature algorithm {c.signature_algorithm} is not supported"))
    return out


def may_issue(c: CertSummary) -> str | None:
    """Why `c` may not act as a CA (basicConstraints, keyUsage), or None when it may.

    A version 1 certificate is accepted here only when self-signed: OpenSSL's behaviour for
    legacy roots, which API Gateway is *assumed* to share.
    """
    if c.version == 1:
        return None if c.self_signed else "it is an X.509 v1 certificate that is not self-signed"
    bc = c.basic_constraints
    if not bc.present:
        return "it has no basicConstraints extension, so it is not a CA"
    if not bc.ca:
        return "its basicConstraints says CA:FALSE"
    if c.key_usage is not None and "keyCertSign" not in c.key_usage:
        return "its keyUsage lacks keyCertSign"
    return None
