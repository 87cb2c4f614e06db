"""Test-support PKI factory: certificates, truststores and deliberately broken inputs.

Everything here exists to feed ``mtls-doctor`` tests with realistic material:

* :class:`PKI` issues roots, intermediates and end-entity certificates with nearly every knob the
  API Gateway mutual-TLS rules care about (key kind, signature hash, validity window, basic
  constraints, key usage, EKU, SANs, SKI/AKI, wrong signer, re-used keys, version 1, odd serials).
* Module-level helpers produce tricky *bytes*: messy PEM bundles, OpenSSL ``TRUSTED CERTIFICATE``
  blocks, PKCS#7 (including indefinite-length BER), PKCS#12, CSRs, CRLs, private keys, certificates
  with duplicate extensions or non-UTF-8 names, corrupted signatures, truncated PEM.

Determinism and speed: private keys come from a process-wide pool keyed by ``(kind, n)``, so the
slow RSA/DSA generation happens at most once per key per test session. Each :class:`PKI` hands out
pool keys ``n = key_offset, key_offset + 1, ...`` per kind, so keys are distinct *within* one
``PKI`` but two ``PKI`` objects with the same ``key_offset`` reuse the same keys in the same order.
Use one ``PKI`` (or different ``key_offset`` values) when two CAs must have unrelated keys. DSA keys
use fixed domain parameters. Validity windows are relative to a fixed instant, :data:`NOW`.

Signatures with SHA-1 or MD5: ``cryptography``'s ``CertificateBuilder`` refuses to produce them, so
the certificate is built with SHA-256 first, then its TBSCertificate is re-encoded with the legacy
signature AlgorithmIdentifier and re-signed with the raw private-key primitive (which still accepts
SHA-1/MD5). Should a future ``cryptography`` refuse that as well, the raw signature is made with
``openssl dgst -sign`` instead (see :func:`sign_with_openssl`). The same small DER re-writer makes
version-1 certificates, non-positive serials, duplicate extensions and non-UTF-8 names, so every
such certificate still carries a *valid* signature by its issuer.

Only ``openssl`` 3.x on PATH is needed for the helpers that explicitly say they use it.

Usage: ``from tests.pki_factory import PKI, pem_bundle``; then ``pki = PKI()``,
``root = pki.root()``, ``ica = pki.intermediate(root)``, ``leaf = pki.leaf(ica)``.
"""

from __future__ import annotations

import base64
import ipaddress
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypedDict, Unpack

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtendedKeyUsageOID,
    ExtensionOID,
    NameOID,
)

__all__ = [
    "EKU_NAMES",
    "HASH_NAMES",
    "KEY_KINDS",
    "KEY_USAGE_NAMES",
    "NOW",
    "PKI",
    "CertOptions",
    "Issued",
    "SigningKey",
    "bad_base64_pem",
    "corrupt_signature",
    "crl_pem",
    "csr_pem",
    "dn",
    "encrypted_key_pem",
    "negative_serial_pem",
    "openssl_available",
    "p7b",
    "p7b_ber_indefinite",
    "p12",
    "pem_bundle",
    "pem_encode",
    "pool_key",
    "private_key_pem",
    "sign_with_openssl",
    "truncated_pem",
    "trusted_certificate_pem",
    "v1_issued_leaf",
    "v1_root",
    "with_duplicate_extension",
    "with_non_utf8_subject",
    "zero_serial_pem",
]

#: Fixed reference instant for every validity window the factory produces.
NOW: datetime = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)

#: Private keys that can sign a certificate (the kinds this factory generates).
SigningKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | dsa.DSAPrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)

#: Accepted values of the ``key`` option.
KEY_KINDS: tuple[str, ...] = (
    "rsa1024",
    "rsa2048",
    "rsa3072",
    "rsa4096",
    "p256",
    "p384",
    "p521",
    "secp256k1",
    "ed25519",
    "ed448",
    "dsa2048",
)

#: Accepted values of the ``hash`` option. ``sha1`` and ``md5`` are produced by re-signing (see the
#: module docstring); ``md5`` exists only for RSA (there is no ECDSA/DSA-with-MD5 algorithm).
HASH_NAMES: tuple[str, ...] = ("sha256", "sha384", "sha512", "sha224", "sha1", "md5")

#: Accepted names in the ``key_usage`` option.
KEY_USAGE_NAMES: tuple[str, ...] = (
    "digitalSignature",
    "nonRepudiation",
    "keyEncipherment",
    "dataEncipherment",
    "keyAgreement",
    "keyCertSign",
    "cRLSign",
)

_EKU_OIDS: dict[str, x509.ObjectIdentifier] = {
    "clientAuth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "serverAuth": ExtendedKeyUsageOID.SERVER_AUTH,
    "codeSigning": ExtendedKeyUsageOID.CODE_SIGNING,
    "anyExtendedKeyUsage": ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
}
#: Accepted names in the ``eku`` option.
EKU_NAMES: tuple[str, ...] = tuple(_EKU_OIDS)

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
    "sha224": hashes.SHA224,
    "sha1": hashes.SHA1,
    "md5": hashes.MD5,
}
# Hashes CertificateBuilder.sign() still accepts; the others go through _resign().
_BUILDER_HASHES: dict[
    str, type[hashes.SHA224] | type[hashes.SHA256] | type[hashes.SHA384] | type[hashes.SHA512]
] = {
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}

# Signature AlgorithmIdentifier OIDs by (key family, hash).
_SIG_OIDS: dict[tuple[str, str], str] = {
    ("rsa", "md5"): "1.2.840.113549.1.1.4",
    ("rsa", "sha1"): "1.2.840.113549.1.1.5",
    ("rsa", "sha256"): "1.2.840.113549.1.1.11",
    ("rsa", "sha384"): "1.2.840.113549.1.1.12",
    ("rsa", "sha512"): "1.2.840.113549.1.1.13",
    ("rsa", "sha224"): "1.2.840.113549.1.1.14",
    ("ec", "sha1"): "1.2.840.10045.4.1",
    ("ec", "sha224"): "1.2.840.10045.4.3.1",
    ("ec", "sha256"): "1.2.840.10045.4.3.2",
    ("ec", "sha384"): "1.2.840.10045.4.3.3",
    ("ec", "sha512"): "1.2.840.10045.4.3.4",
    ("dsa", "sha1"): "1.2.840.10040.4.3",
    ("dsa", "sha224"): "2.16.840.1.101.3.4.3.1",
    ("dsa", "sha256"): "2.16.840.1.101.3.4.3.2",
    ("dsa", "sha384"): "2.16.840.1.101.3.4.3.3",
    ("dsa", "sha512"): "2.16.840.1.101.3.4.3.4",
}
_ED25519_OID = "1.3.101.112"
_ED448_OID = "1.3.101.113"

# Fixed 2048/256-bit DSA domain parameters: generating them takes anywhere from 0.2 s to seconds.
_DSA_P = int(
    "cb73627d73b2befef78808ae6c6100279e0f821adecc27013940af4e1be0a540dd24d8962c1c0cfbafe4844a"
    "f0958103e77002e9eb046f13c81c8ffe63774054de5a13e195feb550fdb6ca0273d4dcd3fd992dbd569469c4"
    "03671485b57ceae5f2b3308e3f806a99f096fa3afd4e90216ac9ba92fa75990790e9097a5f0558d01e8d41ca"
    "209329c72916029dbd4676d38e9b3f17a2cbe1765a3ca0fab2955665cce26335e4c242579e836678ae4b0fd3"
    "df1b29569c9dc537018cb6ad0e40f5943716418f0f18c1f35ff527a41b5f1013ab4503f9abc75df9db764196"
    "dbca3e3844e4f8d3a27a4b47be9d27f40922d52f516b64de11501ad0e77a18df44bcbe4f",
    16,
)
_DSA_Q = int("cf554b9722bb761e5ade13c519d5b5088db59976238ac28f74862e2aa5d9c821", 16)
_DSA_G = int(
    "a53b40a5d029f33623132ac5fc10511c9e0470c075bfc2f55a3e15a95cd8e727a56b2c678eca138395696a8b"
    "fff8cdfac8c7ea567d0c1346759b65a20fad6ad141d4e2197d6128f129e94bc38e2ff2508c230bfa0cdceee5"
    "ca4f04a12da9afd47723cce58293abf49448e7b3655580aa45c446172d98f78f946de375840a582f6758671a"
    "ef0189bfee7398b7a19ae0d79cbf5fcac826718489a9f3966b893c74c3f87aaeef840d6fbe74ad4b3dc649cd"
    "792857b858834e0b87cdf09321b281a379ad925cdc5c5409fe850a1de10f70ebd06e98eb0a07d46d646acf3c"
    "6f528f537ded9b4fbe28407a1e5b133944a89608fdfc836d8d4ff02d8912e70bd2caee56",
    16,
)

# Pool index used by the standalone key helpers, far away from what a PKI hands out.
_STANDALONE_KEY_INDEX = 10_000

_HOSTNAME_RE = re.compile(r"^(\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")


# --------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------

_KEY_POOL: dict[tuple[str, int], SigningKey] = {}


def _generate_key(kind: str) -> SigningKey:
    if kind.startswith("rsa"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:]))
    curves: dict[str, ec.EllipticCurve] = {
        "p256": ec.SECP256R1(),
        "p384": ec.SECP384R1(),
        "p521": ec.SECP521R1(),
        "secp256k1": ec.SECP256K1(),
    }
    if kind in curves:
        return ec.generate_private_key(curves[kind])
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if kind == "ed448":
        return ed448.Ed448PrivateKey.generate()
    if kind == "dsa2048":
        return dsa.DSAParameterNumbers(_DSA_P, _DSA_Q, _DSA_G).parameters().generate_private_key()
    raise AssertionError(kind)  # pragma: no cover - guarded by pool_key()


def pool_key(kind: str = "rsa2048", n: int = 0) -> SigningKey:
    """Return the cached private key number ``n`` of ``kind`` (generated on first use).

    The same ``(kind, n)`` always returns the same key object within one process.
    """
    if kind not in KEY_KINDS:
        raise ValueError(f"unknown key kind {kind!r}; expected one of {KEY_KINDS}")
    slot = (kind, n)
    key = _KEY_POOL.get(slot)
    if key is None:
        key = _KEY_POOL[slot] = _generate_key(kind)
    return key


def _key_family(key: SigningKey) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return "rsa"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "ec"
    if isinstance(key, dsa.DSAPrivateKey):
        return "dsa"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    return "ed448"


def _is_eddsa(key: SigningKey) -> bool:
    return isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey)


def _pkcs8_pem(key: SigningKey, password: bytes | None = None) -> bytes:
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


# --------------------------------------------------------------------------------------------
# OpenSSL CLI
# --------------------------------------------------------------------------------------------


def openssl_available() -> bool:
    """True when an ``openssl`` executable is on PATH."""
    return shutil.which("openssl") is not None


def _openssl(args: Sequence[str], cwd: Path) -> bytes:
    """Run ``openssl *args`` in ``cwd``; return stdout; RuntimeError (with stderr) on failure."""
    proc = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, check=False, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(
            f"openssl {' '.join(args)} failed ({proc.returncode}): " + proc.stderr.decode(errors="replace")
        )
    return proc.stdout


def sign_with_openssl(key: SigningKey, data: bytes, hash_name: str) -> bytes:
    """Sign ``data`` with ``openssl dgst -<hash> -sign`` (PKCS#1 v1.5 for RSA, DER for (EC)DSA).

    Fallback for hashes the Python primitives refuse; not usable for Ed25519/Ed448.
    """
    if _is_eddsa(key):
        raise ValueError("EdDSA signatures take no hash; sign with the key directly")
    with tempfile.TemporaryDirectory(prefix="pki-factory-") as tmp:
        cwd = Path(tmp)
        (cwd / "key.pem").write_bytes(_pkcs8_pem(key))
        (cwd / "data.bin").write_bytes(data)
        _openssl(["dgst", f"-{hash_name}", "-sign", "key.pem", "-out", "sig.bin", "data.bin"], cwd)
        return (cwd / "sig.bin").read_bytes()


def _raw_sign(key: SigningKey, data: bytes, hash_name: str | None) -> bytes:
    """Produce the signature value an X.509 signature algorithm expects over ``data``."""
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return key.sign(data)
    if hash_name is None:
        raise ValueError("a hash is required for RSA/ECDSA/DSA signatures")
    algorithm = _HASHES[hash_name]()
    try:
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), algorithm)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(algorithm))
        return key.sign(data, algorithm)
    except UnsupportedAlgorithm:  # pragma: no cover - depends on the cryptography build
        return sign_with_openssl(key, data, hash_name)


# --------------------------------------------------------------------------------------------
# Minimal DER reader/writer (single-byte tags, definite lengths)
# --------------------------------------------------------------------------------------------

_Node = tuple[int, bytes]  # (tag byte, content octets)


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(content)) + content


def _indefinite(tag: int, content: bytes) -> bytes:
    """BER constructed encoding with indefinite length (``tag 80 ... 00 00``)."""
    return bytes([tag, 0x80]) + content + b"\x00\x00"


def _read_tlv(data: bytes, pos: int = 0) -> tuple[int, bytes, int]:
    """Read one DER TLV at ``pos``; return (tag, content, end offset)."""
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise ValueError("multi-byte tags are not supported")
    first = data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise ValueError("indefinite length is not DER")
    else:
        count = first & 0x7F
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    end = pos + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, data[pos:end], end


def _children(content: bytes) -> list[_Node]:
    out: list[_Node] = []
    pos = 0
    while pos < len(content):
        tag, value, pos = _read_tlv(content, pos)
        out.append((tag, value))
    return out


def _encode(nodes: Iterable[_Node]) -> bytes:
    return b"".join(_tlv(tag, value) for tag, value in nodes)


def _oid_der(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        rest = arc >> 7
        while rest:
            chunk.append(0x80 | (rest & 0x7F))
            rest >>= 7
        body += bytes(reversed(chunk))
    return _tlv(0x06, bytes(body))


def _int_content(n: int) -> bytes:
    """Minimal two's-complement INTEGER content octets."""
    size = ((n if n >= 0 else ~n).bit_length() + 8) // 8
    return n.to_bytes(size, "big", signed=True)


def _sig_alg_der(key: SigningKey, hash_name: str | None) -> bytes:
    family = _key_family(key)
    if family == "ed25519":
        return _tlv(0x30, _oid_der(_ED25519_OID))
    if family == "ed448":
        return _tlv(0x30, _oid_der(_ED448_OID))
    oid = _SIG_OIDS.get((family, hash_name or ""))
    if oid is None:
        raise ValueError(f"no X.509 signature algorithm for {family} with {hash_name}")
    params = b"\x05\x00" if family == "rsa" else b""  # RSA PKCS#1 carries an explicit NULL
    return _tlv(0x30, _oid_der(oid) + params)


def _cert_parts(der: bytes) -> tuple[list[_Node], bytes, bytes]:
    """Split a certificate into (TBS fields, signatureAlgorithm TLV, signature BIT STRING TLV)."""
    tag, content, end = _read_tlv(der)
    if tag != 0x30 or end != len(der):
        raise ValueError("not a DER certificate")
    (tbs_tag, tbs), (alg_tag, alg), (sig_tag, sig) = _children(content)
    if (tbs_tag, alg_tag, sig_tag) != (0x30, 0x30, 0x03):
        raise ValueError("not a DER certificate")
    return _children(tbs), _tlv(alg_tag, alg), _tlv(sig_tag, sig)


_TBS_FIELDS = ("serial", "signature", "issuer", "validity", "subject", "spki")


def _field(fields: list[_Node], name: str) -> int:
    """Index of a named TBSCertificate field (accounts for the optional [0] version)."""
    offset = 1 if fields and fields[0][0] == 0xA0 else 0
    return offset + _TBS_FIELDS.index(name)


def _resign(fields: list[_Node], key: SigningKey, hash_name: str | None) -> bytes:
    """Assemble TBS ``fields`` into a certificate signed by ``key`` with ``hash_name``.

    The TBS ``signature`` field and the outer ``signatureAlgorithm`` are both set to the algorithm
    actually used, so the result is a self-consistent, correctly signed certificate.
    """
    alg = _sig_alg_der(key, None if _is_eddsa(key) else hash_name)
    fields = list(fields)
    alg_tag, alg_content, _ = _read_tlv(alg)
    fields[_field(fields, "signature")] = (alg_tag, alg_content)
    tbs = _tlv(0x30, _encode(fields))
    signature = _raw_sign(key, tbs, hash_name)
    return _tlv(0x30, tbs + alg + _tlv(0x03, b"\x00" + signature))


def _hash_of(cert: x509.Certificate) -> str | None:
    algorithm = cert.signature_hash_algorithm
    return None if algorithm is None else algorithm.name


# --------------------------------------------------------------------------------------------
# Issued certificates
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    """A certificate together with its own private key.

    ``signed_by`` is the private key that produced the certificate's signature (the issuer's key,
    the ``signer`` override, or the certificate's own key when self-signed); ``None`` means "assume
    self-signed" for helpers that need to re-sign.
    """

    cert: x509.Certificate
    key: SigningKey
    signed_by: SigningKey | None = None

    @property
    def pem(self) -> bytes:
        """Certificate as PEM."""
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def der(self) -> bytes:
        """Certificate as DER."""
        return self.cert.public_bytes(serialization.Encoding.DER)

    def key_pem(self, password: bytes | None = None) -> bytes:
        """Private key as PKCS#8 PEM, encrypted (``ENCRYPTED PRIVATE KEY``) when ``password``."""
        return _pkcs8_pem(self.key, password)

    def key_der(self) -> bytes:
        """Private key as unencrypted PKCS#8 DER."""
        return self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def signing_key(self) -> SigningKey:
        """The key that signed this certificate (own key when unknown)."""
        return self.signed_by if self.signed_by is not None else self.key


class CertOptions(TypedDict, total=False):
    """Keyword options accepted by :meth:`PKI.root`, :meth:`PKI.intermediate`, :meth:`PKI.leaf`.

    See :meth:`PKI.issue` for the meaning of each option.
    """

    key: str
    hash: str
    not_before: datetime
    not_after: datetime
    days_valid: int
    expired: bool
    not_yet_valid: bool
    ca: bool
    path_len: int | None
    basic_constraints: bool
    key_usage: tuple[str, ...] | None
    eku: tuple[str, ...] | None
    sans: tuple[str, ...] | None
    subject: x509.Name
    issuer_name: x509.Name
    serial: int
    ski: bool
    aki: bool
    aki_override: bytes
    signer: Issued
    key_obj: SigningKey
    v1: bool
    extra_extensions: Sequence[tuple[x509.ExtensionType, bool]]


def dn(
    cn: str | None,
    *,
    o: str | None = None,
    ou: str | None = None,
    c: str | None = None,
) -> x509.Name:
    """Build a Name (C, O, OU, CN order, each only when given)."""
    attrs: list[x509.NameAttribute[str]] = []
    if c is not None:
        attrs.append(x509.NameAttribute(NameOID.COUNTRY_NAME, c))
    if o is not None:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, o))
    if ou is not None:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    if cn is not None:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _general_name(spec: str) -> x509.GeneralName:
    kind, sep, value = spec.partition(":")
    if not sep:
        raise ValueError(f"SAN {spec!r} must look like 'DNS:name', 'IP:addr', 'email:..', 'URI:..'")
    kind = kind.lower()
    if kind == "dns":
        return x509.DNSName(value)
    if kind == "ip":
        if "/" in value:
            return x509.IPAddress(ipaddress.ip_network(value))
        return x509.IPAddress(ipaddress.ip_address(value))
    if kind in ("email", "rfc822"):
        return x509.RFC822Name(value)
    if kind == "uri":
        return x509.UniformResourceIdentifier(value)
    raise ValueError(f"unsupported SAN type in {spec!r}")


def _default_sans(cn: str) -> tuple[str, ...]:
    try:
        ipaddress.ip_address(cn)
    except ValueError:
        return (f"DNS:{cn}",) if _HOSTNAME_RE.match(cn) else ()
    return (f"IP:{cn}",)


def _key_usage(names: Iterable[str]) -> x509.KeyUsage:
    wanted = set(names)
    unknown = wanted - set(KEY_USAGE_NAMES)
    if unknown:
        raise ValueError(f"unknown key usage names {sorted(unknown)}")
    return x509.KeyUsage(
        digital_signature="digitalSignature" in wanted,
        content_commitment="nonRepudiation" in wanted,
        key_encipherment="keyEncipherment" in wanted,
        data_encipherment="dataEncipherment" in wanted,
        key_agreement="keyAgreement" in wanted,
        key_cert_sign="keyCertSign" in wanted,
        crl_sign="cRLSign" in wanted,
        encipher_only=False,
        decipher_only=False,
    )


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class PKI:
    """Issues certificates relative to a fixed ``now`` with pooled keys (see module docstring)."""

    def __init__(self, now: datetime = NOW, *, key_offset: int = 0) -> None:
        """``key_offset`` shifts the pool indices so that two PKIs can have unrelated keys."""
        self.now = _utc(now)
        self.key_offset = key_offset
        self._next_index: dict[str, int] = {}

    # -- keys -----------------------------------------------------------------------------

    def new_key(self, kind: str = "rsa2048") -> SigningKey:
        """Next not-yet-used (within this PKI) pooled key of ``kind``."""
        index = self._next_index.get(kind, 0)
        key = pool_key(kind, self.key_offset + index)
        self._next_index[kind] = index + 1
        return key

    # -- public issuing API -------------------------------------------------------------

    def root(self, cn: str = "Test Root", **opts: Unpack[CertOptions]) -> Issued:
        """Self-signed CA certificate (10-year validity by default)."""
        return self.issue(cn, None, default_ca=True, default_days=3650, **opts)

    def intermediate(
        self, issuer: Issued, cn: str = "Test Intermediate", **opts: Unpack[CertOptions]
    ) -> Issued:
        """CA certificate issued by ``issuer``."""
        return self.issue(cn, issuer, default_ca=True, default_days=365, **opts)

    def leaf(self, issuer: Issued, cn: str = "client.example.com", **opts: Unpack[CertOptions]) -> Issued:
        """End-entity (client) certificate issued by ``issuer``."""
        return self.issue(cn, issuer, default_ca=False, default_days=365, **opts)

    def self_signed_leaf(self, cn: str = "self-signed.example.com", **opts: Unpack[CertOptions]) -> Issued:
        """Self-signed end-entity certificate (``ca`` False, clientAuth EKU by default)."""
        return self.issue(cn, None, default_ca=False, default_days=365, **opts)

    def chain(self, depth: int, *, prefix: str = "CA", **opts: Unpack[CertOptions]) -> list[Issued]:
        """``[root, ica1, ..., ica(depth-1)]``, each issued by the previous one.

        Names are ``"{prefix} Root"`` and ``"{prefix} Intermediate {i}"``; ``opts`` apply to all.
        """
        if depth < 1:
            raise ValueError("depth must be >= 1")
        certs = [self.root(f"{prefix} Root", **opts)]
        for i in range(1, depth):
            certs.append(self.intermediate(certs[-1], f"{prefix} Intermediate {i}", **opts))
        return certs

    def v1_root(self, cn: str = "V1 Root", **opts: Unpack[CertOptions]) -> Issued:
        """X.509 version 1 self-signed root (no extensions at all)."""
        options: CertOptions = {**opts, "v1": True}
        return self.root(cn, **options)

    # -- the engine ---------------------------------------------------------------------

    def _validity(self, opts: CertOptions, default_days: int) -> tuple[datetime, datetime]:
        expired = opts.get("expired", False)
        not_yet_valid = opts.get("not_yet_valid", False)
        days_valid = opts.get("days_valid")
        if expired and not_yet_valid:
            raise ValueError("expired and not_yet_valid are mutually exclusive")
        if days_valid is not None and (expired or not_yet_valid or "not_after" in opts):
            raise ValueError("days_valid cannot be combined with expired/not_yet_valid/not_after")
        if expired:
            not_after = self.now - timedelta(days=1)
            not_before = not_after - timedelta(days=365)
        elif not_yet_valid:
            not_before = self.now + timedelta(days=1)
            not_after = not_before + timedelta(days=365)
        else:
            not_before = self.now - timedelta(days=30)
            days = default_days if days_valid is None else days_valid
            not_after = self.now + timedelta(days=days)
        if "not_before" in opts:
            not_before = _utc(opts["not_before"])
        if "not_after" in opts:
            not_after = _utc(opts["not_after"])
        return not_before, not_after

    def issue(
        self,
        cn: str,
        issuer: Issued | None,
        *,
        default_ca: bool,
        default_days: int,
        **opts: Unpack[CertOptions],
    ) -> Issued:
        """Issue one certificate; ``issuer=None`` means self-signed.

        Options (all keyword, all optional):

        * ``key`` - one of :data:`KEY_KINDS` (default ``"rsa2048"``); ``key_obj`` - reuse this
          exact private key instead (re-keyed/cross-signed CA cases, self-signed leaf).
        * ``hash`` - one of :data:`HASH_NAMES` (default ``"sha256"``); ignored for Ed25519/Ed448
          signers.
        * ``not_before``/``not_after`` (default ``now-30d``/``now+365d``, roots ``now+3650d``);
          ``days_valid=N`` puts ``not_after`` at ``now+N days``; ``expired=True`` gives
          ``[now-366d, now-1d]``; ``not_yet_valid=True`` gives ``[now+1d, now+366d]``. Explicit
          ``not_before``/``not_after`` override the shortcuts' respective ends.
        * ``ca`` (default True for root/intermediate, False for leaf), ``path_len``,
          ``basic_constraints=False`` omits BasicConstraints entirely. Defaults of ``key_usage``,
          ``eku`` and ``sans`` follow the *effective* ``ca`` value.
        * ``key_usage`` - names from :data:`KEY_USAGE_NAMES` or None to omit; default CA
          ``("keyCertSign", "cRLSign")``, end-entity ``("digitalSignature", "keyEncipherment")``
          for RSA keys and ``("digitalSignature",)`` otherwise. Always marked critical.
        * ``eku`` - names from :data:`EKU_NAMES` or None to omit; default end-entity
          ``("clientAuth",)``, CA none.
        * ``sans`` - ``"DNS:.."``, ``"IP:.."``, ``"email:.."``, ``"URI:.."``; ``()``/None omit
          the extension; default end-entity ``DNS:<cn>`` (or ``IP:<cn>``) when ``cn`` looks like
          a host name (has a dot) / an IP address, otherwise none; CA none. With ``subject``
          the test looks at that Name's first CN instead of ``cn``.
        * ``subject`` - explicit Name (overrides ``cn``); ``issuer_name`` - explicit issuer Name.
        * ``serial`` - default random positive; zero/negative values are written by re-signing.
        * ``ski``/``aki`` (default True). AKI is taken from the issuer certificate's SKI when it
          has one, else computed from the issuer's public key; ``aki_override`` writes that key
          id instead.
        * ``signer`` - sign with this Issued's key while keeping the issuer's name and AKI
          (signature will not verify against the issuer).
        * ``v1=True`` - X.509 version 1: no version field and no extensions.
        * ``extra_extensions`` - ``[(ExtensionType, critical), ...]`` appended as given.
        """
        unknown = set(opts) - set(CertOptions.__annotations__)
        if unknown:
            raise TypeError(f"unknown certificate options: {sorted(unknown)}")

        key_obj = opts.get("key_obj")
        key = key_obj if key_obj is not None else self.new_key(opts.get("key", "rsa2048"))
        subject = opts.get("subject", dn(cn))
        if issuer is None:
            issuer_key: SigningKey = key
            issuer_subject = subject
            issuer_ski: bytes | None = None
        else:
            issuer_key = issuer.key
            issuer_subject = issuer.cert.subject
            try:
                ski_ext = issuer.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
                issuer_ski = ski_ext.value.digest
            except x509.ExtensionNotFound:
                issuer_ski = None
        signer = opts.get("signer")
        signing_key = signer.key if signer is not None else issuer_key

        hash_name: str | None = opts.get("hash", "sha256")
        if hash_name not in _HASHES:
            raise ValueError(f"unknown hash {hash_name!r}; expected one of {HASH_NAMES}")
        if _is_eddsa(signing_key):
            hash_name = None
        elif hash_name == "md5" and not isinstance(signing_key, rsa.RSAPrivateKey):
            raise ValueError("MD5 signatures exist only for RSA keys")

        not_before, not_after = self._validity(opts, default_days)
        serial = opts.get("serial")
        if serial is None:
            serial = x509.random_serial_number()
        v1 = opts.get("v1", False)

        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(opts.get("issuer_name", issuer_subject))
            .public_key(key.public_key())
            .serial_number(serial if serial > 0 else 1)
            .not_valid_before(not_before)
            .not_valid_after(not_after)
        )
        if not v1:
            extensions = self._extensions(
                cn,
                key,
                issuer_key=issuer_key,
                issuer_ski=issuer_ski,
                default_ca=default_ca,
                opts=opts,
            )
            for ext, critical in extensions:
                builder = builder.add_extension(ext, critical=critical)

        native = hash_name is None or hash_name in _BUILDER_HASHES
        algorithm = _BUILDER_HASHES.get(hash_name or "", hashes.SHA256)()
        cert = builder.sign(signing_key, None if hash_name is None else algorithm)

        if not native or serial <= 0 or v1:
            fields, _, _ = _cert_parts(cert.public_bytes(serialization.Encoding.DER))
            if serial <= 0:
                fields[_field(fields, "serial")] = (0x02, _int_content(serial))
            if v1:
                fields = [f for f in fields if f[0] not in (0xA0, 0xA3)]
            cert = x509.load_der_x509_certificate(_resign(fields, signing_key, hash_name))
        return Issued(cert=cert, key=key, signed_by=signing_key)

    @staticmethod
    def _extensions(
        cn: str,
        key: SigningKey,
        *,
        issuer_key: SigningKey,
        issuer_ski: bytes | None,
        default_ca: bool,
        opts: CertOptions,
    ) -> list[tuple[x509.ExtensionType, bool]]:
        exts: list[tuple[x509.ExtensionType, bool]] = []
        ca = opts.get("ca", default_ca)
        if opts.get("basic_constraints", True):
            exts.append((x509.BasicConstraints(ca=ca, path_length=opts.get("path_len")), True))

        if ca:
            default_ku: tuple[str, ...] | None = ("keyCertSign", "cRLSign")
        elif isinstance(key, rsa.RSAPrivateKey):
            default_ku = ("digitalSignature", "keyEncipherment")
        else:
            default_ku = ("digitalSignature",)
        key_usage = opts.get("key_usage", default_ku)
        if key_usage is not None:
            exts.append((_key_usage(key_usage), True))

        eku = opts.get("eku", None if ca else ("clientAuth",))
        if eku is not None:
            unknown = set(eku) - set(_EKU_OIDS)
            if unknown:
                raise ValueError(f"unknown EKU names {sorted(unknown)}")
            exts.append((x509.ExtendedKeyUsage([_EKU_OIDS[name] for name in eku]), False))

        if "subject" in opts:  # the host-name test looks at the explicit subject's CN
            cns = opts["subject"].get_attributes_for_oid(NameOID.COMMON_NAME)
            cn = str(cns[0].value) if cns else ""
        sans = opts.get("sans", () if ca or not cn else _default_sans(cn))
        if sans:
            names = [_general_name(s) for s in sans]
            exts.append((x509.SubjectAlternativeName(names), False))

        if opts.get("ski", True):
            exts.append((x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False))
        aki_override = opts.get("aki_override")
        if aki_override is not None:
            exts.append((x509.AuthorityKeyIdentifier(aki_override, None, None), False))
        elif opts.get("aki", True):
            if issuer_ski is not None:
                aki = x509.AuthorityKeyIdentifier(issuer_ski, None, None)
            else:
                aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key())
            exts.append((aki, False))

        exts.extend(opts.get("extra_extensions", ()))
        return exts


def v1_root(cn: str = "V1 Root", *, pki: PKI | None = None, **opts: Unpack[CertOptions]) -> Issued:
    """X.509 version 1 self-signed root with no extensions (``cert.version == Version.v1``)."""
    return (pki or PKI()).v1_root(cn, **opts)


def v1_issued_leaf(
    v1root: Issued,
    cn: str = "v1-client.example.com",
    *,
    pki: PKI | None = None,
    **opts: Unpack[CertOptions],
) -> Issued:
    """Ordinary v3 client certificate issued by a version-1 root (pass ``v1=True`` for v1 too).

    Uses ``key_offset=1`` for the default PKI so the leaf key differs from a default v1 root key.
    """
    return (pki or PKI(key_offset=1)).leaf(v1root, cn, **opts)


# --------------------------------------------------------------------------------------------
# PEM and bundles
# --------------------------------------------------------------------------------------------


def pem_encode(der: bytes, label: str = "CERTIFICATE") -> bytes:
    """RFC 7468 armour: 64-character base64 lines, LF line endings."""
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    text = f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"
    return text.encode("ascii")


def _slash_name(name: x509.Name) -> str:
    return "".join(f"/{attr.rfc4514_attribute_name}={attr.value!s}" for attr in name)


def _spaced_name(name: x509.Name) -> str:
    return ", ".join(f"{attr.rfc4514_attribute_name} = {attr.value!s}" for attr in name)


def _names(der: bytes | None) -> tuple[x509.Name, x509.Name] | None:
    if der is None:
        return None
    try:
        cert = x509.load_der_x509_certificate(der)
        return cert.subject, cert.issuer
    except ValueError:
        return None


def pem_bundle(
    certs: Iterable[Issued | x509.Certificate | bytes],
    *,
    crlf: bool = False,
    bom: bool = False,
    garbage: bool = False,
    headers: bool = False,
    label: str = "CERTIFICATE",
) -> bytes:
    """Concatenate certificates as PEM, optionally in the messy shapes real bundles have.

    ``bytes`` items that already are PEM (start with ``-----BEGIN``) are copied verbatim (so
    ``TRUSTED CERTIFICATE`` blocks can be mixed in); other bytes are treated as DER.

    * ``label`` - armour label, e.g. ``"X509 CERTIFICATE"`` (PEM items are not relabelled).
    * ``headers`` - ``openssl pkcs12 -nokeys`` style lines before each block: ``Bag Attributes``,
      an indented ``localKeyID``, ``subject=/CN=..`` and ``issuer=/CN=..``.
    * ``garbage`` - prose, blank lines, ``subject=CN = ..`` lines and ``Bag Attributes: <No
      Attributes>`` before the first block, between blocks and after the last one.
    * ``crlf`` - every line ending becomes CRLF; ``bom`` - prefix a UTF-8 byte order mark.
    """
    out = bytearray()
    if garbage:
        out += b"Certificate bundle exported by the ops team\n\nThis is not PEM; ignore it.\n"
    for index, item in enumerate(certs):
        der: bytes | None
        if isinstance(item, Issued):
            der = item.der
            block = pem_encode(der, label)
        elif isinstance(item, x509.Certificate):
            der = item.public_bytes(serialization.Encoding.DER)
            block = pem_encode(der, label)
        elif item.lstrip().startswith(b"-----BEGIN"):
            der = None
            block = item if item.endswith(b"\n") else item + b"\n"
        else:
            der = item
            block = pem_encode(der, label)
        names = _names(der)
        if garbage:
            if names is not None:
                out += f"subject={_spaced_name(names[0])}\n".encode()
                out += f"issuer={_spaced_name(names[1])}\n".encode()
            out += b"\n" if index == 0 else b"\nBag Attributes: <No Attributes>\n\n"
        if headers:
            subject, issuer = names or (dn("unknown"), dn("unknown"))
            out += b"Bag Attributes\n"
            out += f"    localKeyID: 01 02 03 {index:02X}\n".encode()
            out += f"subject={_slash_name(subject)}\n".encode()
            out += f"issuer={_slash_name(issuer)}\n".encode()
        out += block
    if garbage:
        out += b"\n-- end of bundle, questions to pki@example.com --\n"
    data = bytes(out)
    if crlf:
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if bom:
        data = b"\xef\xbb\xbf" + data
    return data


def trusted_certificate_pem(
    issued: Issued, *, trust: Sequence[str] = ("clientAuth",), alias: str | None = None
) -> bytes:
    """OpenSSL ``-----BEGIN TRUSTED CERTIFICATE-----`` block (certificate DER + X509_AUX trailer).

    Made with ``openssl x509 -trustout -addtrust <each trust>`` (optionally ``-setalias``).
    """
    with tempfile.TemporaryDirectory(prefix="pki-factory-") as tmp:
        cwd = Path(tmp)
        (cwd / "cert.pem").write_bytes(issued.pem)
        args = ["x509", "-in", "cert.pem", "-trustout"]
        for purpose in trust:
            args += ["-addtrust", purpose]
        if alias is not None:
            args += ["-setalias", alias]
        _openssl([*args, "-out", "trusted.pem"], cwd)
        return (cwd / "trusted.pem").read_bytes()


def truncated_pem(issued: Issued) -> bytes:
    """A PEM block cut in the middle: BEGIN line and half of the base64, no END line."""
    lines = issued.pem.splitlines(keepends=True)
    return b"".join(lines[: max(2, len(lines) // 2)])


def bad_base64_pem() -> bytes:
    """Well-formed armour around text that is not valid base64."""
    return (
        b"-----BEGIN CERTIFICATE-----\n"
        b"MIIB!!this*is@not#base64$at%all^&*()==MIIB\n"
        b"-----END CERTIFICATE-----\n"
    )


# --------------------------------------------------------------------------------------------
# PKCS#7, PKCS#12, CSR, CRL, keys
# --------------------------------------------------------------------------------------------


def _as_cert(item: Issued | x509.Certificate) -> x509.Certificate:
    return item.cert if isinstance(item, Issued) else item


def _p7b_parts(der: bytes) -> tuple[bytes, list[_Node]]:
    """Split a degenerate PKCS#7 into (contentType OID TLV, SignedData fields)."""
    _, content_info, _ = _read_tlv(der)
    (oid_tag, oid), (explicit_tag, explicit) = _children(content_info)
    ((sd_tag, signed_data),) = _children(explicit)
    if (oid_tag, explicit_tag, sd_tag) != (0x06, 0xA0, 0x30):
        raise ValueError("unexpected PKCS#7 ContentInfo layout")
    return _tlv(oid_tag, oid), _children(signed_data)


def p7b(certs: Iterable[Issued | x509.Certificate], *, pem: bool, sort: bool = False) -> bytes:
    """Degenerate (certificates-only) PKCS#7 SignedData, PEM (``-----BEGIN PKCS7-----``) or DER.

    By default the certificates stay in the order given, which is byte-for-byte what
    ``openssl crl2pkcs7 -nocrl -certfile`` writes; strictly that SET is then not DER-sorted, and
    ``cryptography`` 50 loads it with a "falling back to parsing as BER" UserWarning whenever the
    order differs from the sorted one. ``sort=True`` returns ``pkcs7.serialize_certificates``'
    canonical DER (SET sorted by encoding) instead.
    """
    ordered = [_as_cert(c) for c in certs]
    der = pkcs7.serialize_certificates(ordered, serialization.Encoding.DER)
    if not sort:
        oid, fields = _p7b_parts(der)
        body = b"".join(c.public_bytes(serialization.Encoding.DER) for c in ordered)
        fields = [(tag, body if tag == 0xA0 else value) for tag, value in fields]
        der = _tlv(0x30, oid + _tlv(0xA0, _tlv(0x30, _encode(fields))))
    return pem_encode(der, "PKCS7") if pem else der


def p7b_ber_indefinite(certs: Iterable[Issued | x509.Certificate], *, sort: bool = False) -> bytes:
    """The DER of :func:`p7b` (same ``sort``) re-encoded as BER with indefinite lengths.

    ContentInfo, its ``[0] EXPLICIT`` content, the SignedData SEQUENCE and the ``[0] IMPLICIT``
    certificates SET all become ``tag 0x80 ... 00 00``; the certificates themselves stay DER.
    Strict DER parsers reject this and OpenSSL (``openssl pkcs7 -inform DER``) reads it;
    ``cryptography`` 50 reads it too, with a "falling back to parsing as BER" UserWarning.
    """
    oid, fields = _p7b_parts(p7b(certs, pem=False, sort=sort))
    parts = [_indefinite(tag, value) if tag == 0xA0 else _tlv(tag, value) for tag, value in fields]
    return _indefinite(0x30, oid + _indefinite(0xA0, _indefinite(0x30, b"".join(parts))))


def p12(
    issued: Issued,
    *,
    password: bytes | None,
    extra: Sequence[Issued] = (),
    legacy: bool = False,
    name: bytes | None = b"client",
) -> bytes:
    """PKCS#12 with ``issued``'s key and certificate plus ``extra`` CA certificates.

    ``password=None`` gives an unencrypted, MAC-less file. ``legacy=True`` (password required)
    uses ``openssl pkcs12 -export -legacy`` (RC2-40 certificates, 3DES key, SHA-1 MAC) when
    ``openssl`` is available, else ``cryptography``'s PBESv1 SHA-1/3DES with a SHA-1 MAC.
    """
    cas = [e.cert for e in extra]
    if legacy:
        if password is None:
            raise ValueError("legacy PKCS#12 needs a password")
        if openssl_available():
            with tempfile.TemporaryDirectory(prefix="pki-factory-") as tmp:
                cwd = Path(tmp)
                (cwd / "cert.pem").write_bytes(issued.pem)
                (cwd / "key.pem").write_bytes(issued.key_pem())
                args = ["pkcs12", "-export", "-legacy", "-in", "cert.pem", "-inkey", "key.pem"]
                if cas:
                    (cwd / "cas.pem").write_bytes(pem_bundle(extra))
                    args += ["-certfile", "cas.pem"]
                if name is not None:
                    args += ["-name", name.decode()]
                (cwd / "pass.txt").write_bytes(password + b"\n")
                _openssl([*args, "-passout", "file:pass.txt", "-out", "out.p12"], cwd)
                return (cwd / "out.p12").read_bytes()
        encryption: serialization.KeySerializationEncryption = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(2048)
            .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
            .hmac_hash(hashes.SHA1())  # noqa: S303 - legacy PKCS#12 is the point
            .build(password)
        )
    elif password is None:
        encryption = serialization.NoEncryption()
    else:
        encryption = serialization.BestAvailableEncryption(password)
    return pkcs12.serialize_key_and_certificates(name, issued.key, issued.cert, cas, encryption)


def csr_pem(cn: str = "csr.example.com", *, key: str = "rsa2048", sans: Sequence[str] = ()) -> bytes:
    """PEM ``CERTIFICATE REQUEST`` signed with SHA-256 (a common wrong file to upload)."""
    private = pool_key(key, _STANDALONE_KEY_INDEX)
    builder = x509.CertificateSigningRequestBuilder().subject_name(dn(cn))
    if sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([_general_name(s) for s in sans]), critical=False
        )
    algorithm = None if _is_eddsa(private) else hashes.SHA256()
    return builder.sign(private, algorithm).public_bytes(serialization.Encoding.PEM)


def crl_pem(
    issuer: Issued,
    *,
    revoked: Iterable[Issued | int] = (),
    now: datetime = NOW,
    next_update_days: int = 7,
) -> bytes:
    """PEM ``X509 CRL`` signed by ``issuer`` (SHA-256), revoking the given certificates/serials."""
    now = _utc(now)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(now - timedelta(days=1))
        .next_update(now + timedelta(days=next_update_days))
    )
    for item in revoked:
        serial = item.cert.serial_number if isinstance(item, Issued) else item
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(now - timedelta(days=2))
            .build()
        )
    algorithm = None if _is_eddsa(issuer.key) else hashes.SHA256()
    return builder.sign(issuer.key, algorithm).public_bytes(serialization.Encoding.PEM)


def revocation_extensions(
    *, crl: Sequence[str] = (), ocsp: Sequence[str] = ()
) -> list[tuple[x509.ExtensionType, bool]]:
    """``extra_extensions`` naming where revocation is published: a CRL distribution point per
    ``crl`` URI and an AIA OCSP entry per ``ocsp`` URI (each extension only when given)."""
    exts: list[tuple[x509.ExtensionType, bool]] = []
    if crl:
        exts.append((x509.CRLDistributionPoints([
            x509.DistributionPoint([x509.UniformResourceIdentifier(u)], None, None, None)
            for u in crl]), False))
    if ocsp:
        exts.append((x509.AuthorityInformationAccess([
            x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                                   x509.UniformResourceIdentifier(u)) for u in ocsp]), False))
    return exts


def private_key_pem(kind: str = "rsa2048", traditional: bool = False) -> bytes:
    """Unencrypted private key PEM: PKCS#8 (``PRIVATE KEY``) or, with ``traditional=True``, the
    OpenSSL traditional form (``RSA PRIVATE KEY`` / ``EC PRIVATE KEY`` / ``DSA PRIVATE KEY``;
    not available for Ed25519/Ed448)."""
    key = pool_key(kind, _STANDALONE_KEY_INDEX)
    fmt = serialization.PrivateFormat.TraditionalOpenSSL if traditional else serialization.PrivateFormat.PKCS8
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())


def encrypted_key_pem(password: bytes, kind: str = "rsa2048", *, traditional: bool = False) -> bytes:
    """Encrypted private key PEM: PKCS#8 ``ENCRYPTED PRIVATE KEY`` or, with ``traditional=True``,
    ``RSA PRIVATE KEY`` with ``Proc-Type: 4,ENCRYPTED`` / ``DEK-Info`` headers."""
    key = pool_key(kind, _STANDALONE_KEY_INDEX)
    fmt = serialization.PrivateFormat.TraditionalOpenSSL if traditional else serialization.PrivateFormat.PKCS8
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.BestAvailableEncryption(password))


# --------------------------------------------------------------------------------------------
# Structurally odd certificates
# --------------------------------------------------------------------------------------------


def _openssl_self_signed(serial: int, cn: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="pki-factory-") as tmp:
        cwd = Path(tmp)
        (cwd / "key.pem").write_bytes(_pkcs8_pem(pool_key("rsa2048", _STANDALONE_KEY_INDEX)))
        _openssl(
            [
                "req", "-x509", "-new", "-key", "key.pem", "-sha256", "-days", "3650",
                "-subj", f"/CN={cn}", "-set_serial", str(serial), "-out", "cert.pem",
            ],
            cwd,
        )  # fmt: skip
        return (cwd / "cert.pem").read_bytes()


def negative_serial_pem(serial: int = -5) -> bytes:
    """Self-signed certificate with a negative serial, via ``openssl req -x509 -set_serial``.

    Validity starts at the *real* current time (OpenSSL 3.0 cannot set it); for a deterministic
    window use ``PKI().root(serial=-5)``. ``cryptography`` loads it with a deprecation warning.
    """
    if serial >= 0:
        raise ValueError("serial must be negative")
    return _openssl_self_signed(serial, "Negative Serial")


def zero_serial_pem() -> bytes:
    """Self-signed certificate with serial number 0, via ``openssl req -x509 -set_serial 0``."""
    return _openssl_self_signed(0, "Zero Serial")


def _der_of(item: Issued | x509.Certificate | bytes) -> bytes:
    if isinstance(item, Issued):
        return item.der
    if isinstance(item, x509.Certificate):
        return item.public_bytes(serialization.Encoding.DER)
    return item


def corrupt_signature(cert: Issued | x509.Certificate | bytes) -> bytes:
    """DER of the certificate with the last byte of its signature flipped (still parses)."""
    der = _der_of(cert)
    fields, alg, sig = _cert_parts(der)
    tampered = bytearray(sig)
    tampered[-1] ^= 0x01
    return _tlv(0x30, _tlv(0x30, _encode(fields)) + alg + bytes(tampered))


def with_duplicate_extension(
    issued: Issued, oid: x509.ObjectIdentifier = ExtensionOID.SUBJECT_KEY_IDENTIFIER
) -> bytes:
    """DER of ``issued`` re-signed by its signer with extension ``oid`` present twice.

    Falls back to the first extension when ``oid`` is absent. ``cryptography`` loads the result,
    but ``cert.extensions`` raises :class:`x509.DuplicateExtension`.
    """
    fields, _, _ = _cert_parts(issued.der)
    index = next((i for i, f in enumerate(fields) if f[0] == 0xA3), None)
    if index is None:
        raise ValueError("certificate has no extensions to duplicate")
    ((seq_tag, seq),) = _children(fields[index][1])
    extensions = _children(seq)
    wanted = _oid_der(oid.dotted_string)
    chosen = next((e for e in extensions if e[1].startswith(wanted)), extensions[0])
    position = extensions.index(chosen)
    extensions.insert(position + 1, chosen)
    fields[index] = (0xA3, _tlv(seq_tag, _encode(extensions)))
    return _resign(fields, issued.signing_key, _hash_of(issued.cert))


def with_non_utf8_subject(issued: Issued, bad: bytes = b"\xff\xfe", *, field: str = "subject") -> bytes:
    """DER of ``issued`` re-signed by its signer with a subject (or ``field="issuer"``) Name
    holding a single CN whose UTF8String is the invalid UTF-8 ``bad``.

    ``cryptography`` loads it, ``cert.subject`` raises ``ValueError``; the signature is valid.
    """
    if field not in ("subject", "issuer"):
        raise ValueError("field must be 'subject' or 'issuer'")
    try:
        bad.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        raise ValueError("bad must not be valid UTF-8")
    fields, _, _ = _cert_parts(issued.der)
    attribute = _tlv(0x30, _oid_der(NameOID.COMMON_NAME.dotted_string) + _tlv(0x0C, bad))
    fields[_field(fields, field)] = (0x30, _tlv(0x31, attribute))
    return _resign(fields, issued.signing_key, _hash_of(issued.cert))
