"""Turn a parsed certificate into the `CertSummary` every report shows."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtensionOID, SignatureAlgorithmOID

from mtls_doctor.model.certificate import (
    BasicConstraints,
    CertSummary,
    ExtensionInfo,
    KeyInfo,
    Validity,
)
from mtls_doctor.pki import der as asn1
from mtls_doctor.pki.load import LoadedCert, pss_parameters_problem, serial_number
from mtls_doctor.pki.signature import is_self_signed

_KU_NAMES = (
    ("digital_signature", "digitalSignature"),
    ("content_commitment", "nonRepudiation"),
    ("key_encipherment", "keyEncipherment"),
    ("data_encipherment", "dataEncipherment"),
    ("key_agreement", "keyAgreement"),
    ("key_cert_sign", "keyCertSign"),
    ("crl_sign", "cRLSign"),
)
_SECONDS_PER_DAY = 86400
#: names listed from one extension (SANs, name constraints, URLs); a certificate can hold a
#: million, and a report must stay readable and bounded. Real certificates hold a few hundred
MAX_LISTED = 1000


def _listed(items: list[str]) -> list[str]:
    """The first `MAX_LISTED` items, and a last one saying how many more there are."""
    if len(items) <= MAX_LISTED:
        return items
    return [*items[:MAX_LISTED], f"... and {len(items) - MAX_LISTED:,} more"]


def serial_hex(serial: int) -> str:
    """Even-length lower-case hex (`0a1b...`), `-` in front of a (non-conforming) negative one."""
    digits = f"{abs(serial):x}"
    digits = ("0" if len(digits) % 2 else "") + digits
    return ("-" if serial < 0 else "") + digits


def fingerprint(der: bytes) -> str:
    """SHA-256 fingerprint as `AA:BB:...`, like `openssl x509 -fingerprint -sha256`."""
    return hashlib.sha256(der).digest().hex(":").upper()


#: id-ecPublicKey's OID followed by a SEQUENCE tag: the bytes every EC key with explicit curve
#: parameters carries in its AlgorithmIdentifier (DER has one encoding of the OID). A key whose
#: TBSCertificate lacks them names its curve, and its DER is not walked at all
_EC_EXPLICIT_MARK = bytes.fromhex("06072a8648ce3d0201") + b"\x30"


def key_info(cert: x509.Certificate, der: bytes | None = None) -> KeyInfo:
    """Type, size and curve of the certificate's public key (`unknown` when unsupported).
    `der`, the certificate's DER when at hand, is searched for explicit EC parameters instead
    of the TBSCertificate, which cryptography encodes anew on each request."""
    try:
        key = cert.public_key()
    except (UnsupportedAlgorithm, ValueError):
        return KeyInfo("unknown", None, None)
    if isinstance(key, rsa.RSAPublicKey):
        return KeyInfo("RSA", key.key_size, None)
    if isinstance(key, ec.EllipticCurvePublicKey):
        explicit = False
        if _EC_EXPLICIT_MARK in (der if der is not None else cert.tbs_certificate_bytes):
            try:
                explicit = asn1.ec_explicit_parameters(cert.tbs_certificate_bytes)
            except (asn1.DerError, IndexError):
                explicit = False
        return KeyInfo("EC", key.curve.key_size, key.curve.name, explicit)
    if isinstance(key, ed25519.Ed25519PublicKey):
        return KeyInfo("Ed25519", 256, None)
    if isinstance(key, ed448.Ed448PublicKey):
        return KeyInfo("Ed448", 456, None)
    if isinstance(key, dsa.DSAPublicKey):
        return KeyInfo("DSA", key.key_size, None)
    return KeyInfo("unknown", None, None)


def signature_hash(cert: x509.Certificate) -> str | None:
    """`sha256`, `sha1`, ... or None when the algorithm has no separate hash (Ed25519) or names
    none that can be read (RSASSA-PSS without its parameters)."""
    try:
        h = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return "unknown"
    except ValueError:  # "Invalid RSA PSS parameters": the loader notes it as non-standard
        return None
    return h.name if h is not None else None


def oid_name(oid: x509.ObjectIdentifier) -> str:
    """The OID's name as cryptography knows it (`authorityKeyIdentifier`), else its dotted
    form."""
    name = getattr(oid, "_name", "") or ""
    return name if name and name != "Unknown OID" else oid.dotted_string


def signature_algorithm(cert: x509.Certificate) -> str:
    """The signature algorithm's name, or its OID when it has none; `rsassaPss (no
    parameters)` when the RSASSA-PSS parameters RFC 4055 requires are missing or unreadable."""
    oid = cert.signature_algorithm_oid
    text = oid_name(oid)
    if oid == SignatureAlgorithmOID.RSASSA_PSS:
        problem = pss_parameters_problem(cert)
        if problem is not None:
            text += f" ({problem} parameters)"
    return text


def general_name_text(gn: x509.GeneralName) -> str:
    """A SAN entry as `DNS:...`, `IP:...`, `email:...`, `URI:...`."""
    if isinstance(gn, x509.DNSName):
        return f"DNS:{gn.value}"
    if isinstance(gn, x509.IPAddress):
        return f"IP:{gn.value}"
    if isinstance(gn, x509.RFC822Name):
        return f"email:{gn.value}"
    if isinstance(gn, x509.UniformResourceIdentifier):
        return f"URI:{gn.value}"
    if isinstance(gn, x509.DirectoryName):
        return f"DirName:{gn.value.rfc4514_string()}"
    if isinstance(gn, x509.RegisteredID):
        return f"RID:{gn.value.dotted_string}"
    if isinstance(gn, x509.OtherName):
        return f"othername:{gn.type_id.dotted_string}"
    return str(gn)


def validity_at(cert: x509.Certificate, at: datetime) -> Validity:
    """Whether the certificate is valid at `at`, and the whole days left (negative: since)."""
    nb, na = cert.not_valid_before_utc, cert.not_valid_after_utc
    if at < nb:
        status = "not_yet_valid"
    elif at > na:
        status = "expired"
    else:
        status = "valid"
    seconds = (na - at).total_seconds()
    days = int(seconds // _SECONDS_PER_DAY) if seconds >= 0 else -int(-seconds // _SECONDS_PER_DAY)
    return Validity(status, days, at)


def find_extension(
    cert: x509.Certificate, oid: x509.ObjectIdentifier
) -> x509.Extension[x509.ExtensionType] | None:
    """The extension with this OID, or None when absent or unreadable."""
    try:
        return cert.extensions.get_extension_for_oid(oid)
    except x509.ExtensionNotFound:
        return None
    except Exception:  # noqa: BLE001 - duplicate or unparseable extensions are reported elsewhere
        return None


Extensions = Mapping[x509.ObjectIdentifier, x509.Extension[x509.ExtensionType]]


def extension_map(cert: x509.Certificate) -> Extensions:
    """Every extension by OID, read in one pass; empty when they are unreadable (duplicate or
    unparseable extensions are reported elsewhere), as `find_extension` then finds none."""
    try:
        return {e.oid: e for e in cert.extensions}
    except Exception:  # noqa: BLE001 - reported by the loader
        return {}


def basic_constraints(cert: x509.Certificate, exts: Extensions | None = None) -> BasicConstraints:
    """The basicConstraints extension, or an absent one (`exts`: the certificate's
    `extension_map`, when already read)."""
    ext = (extension_map(cert) if exts is None else exts).get(ExtensionOID.BASIC_CONSTRAINTS)
    if ext is None or not isinstance(ext.value, x509.BasicConstraints):
        return BasicConstraints(False, False, None, False)
    return BasicConstraints(True, ext.value.ca, ext.value.path_length, ext.critical)


def key_usage(cert: x509.Certificate, exts: Extensions | None = None) -> tuple[str, ...] | None:
    """keyUsage bits by their RFC 5280 names, or None when the extension is absent."""
    ext = (extension_map(cert) if exts is None else exts).get(ExtensionOID.KEY_USAGE)
    if ext is None or not isinstance(ext.value, x509.KeyUsage):
        return None
    ku = ext.value
    names = [n for attr, n in _KU_NAMES if getattr(ku, attr)]
    if ku.key_agreement:
        names += [n for attr, n in (("encipher_only", "encipherOnly"),
                                    ("decipher_only", "decipherOnly")) if getattr(ku, attr)]
    return tuple(names)


def extended_key_usage(cert: x509.Certificate,
                       exts: Extensions | None = None) -> tuple[str, ...] | None:
    """EKU purposes by name (`clientAuth`, `serverAuth`, ...), or None when absent."""
    ext = (extension_map(cert) if exts is None else exts).get(ExtensionOID.EXTENDED_KEY_USAGE)
    if ext is None or not isinstance(ext.value, x509.ExtendedKeyUsage):
        return None
    out = []
    for oid in ext.value:
        out.append(oid_name(oid))
    return tuple(_listed(out))


def sans(cert: x509.Certificate, exts: Extensions | None = None) -> tuple[str, ...]:
    """Subject alternative names as text (the first `MAX_LISTED`, then how many more)."""
    ext = (extension_map(cert) if exts is None else exts).get(
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    if ext is None or not isinstance(ext.value, x509.SubjectAlternativeName):
        return ()
    return tuple(_listed([general_name_text(gn) for gn in ext.value]))


def _ski(exts: Extensions) -> str | None:
    ext = exts.get(ExtensionOID.SUBJECT_KEY_IDENTIFIER)
    if ext is None or not isinstance(ext.value, x509.SubjectKeyIdentifier):
        return None
    return ext.value.digest.hex()


def _aki(exts: Extensions) -> str | None:
    ext = exts.get(ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    if ext is None or not isinstance(ext.value, x509.AuthorityKeyIdentifier):
        return None
    kid = ext.value.key_identifier
    return kid.hex() if kid is not None else None


_SHOWN_ELSEWHERE = {
    ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.KEY_USAGE, ExtensionOID.EXTENDED_KEY_USAGE,
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME, ExtensionOID.SUBJECT_KEY_IDENTIFIER,
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
}


def _extension_value(value: x509.ExtensionType) -> str:
    if isinstance(value, x509.AuthorityInformationAccess):
        return ", ".join(_listed([f"{d.access_method._name}: "
                                  f"{general_name_text(d.access_location)}" for d in value]))
    if isinstance(value, x509.CRLDistributionPoints):
        return ", ".join(_listed([general_name_text(n) for dp in value
                                  for n in (dp.full_name or [])]))
    if isinstance(value, x509.CertificatePolicies):
        return ", ".join(_listed([p.policy_identifier.dotted_string for p in value]))
    if isinstance(value, x509.NameConstraints):
        parts = []
        if value.permitted_subtrees:
            parts.append("permitted " + ", ".join(
                _listed(list(map(general_name_text, value.permitted_subtrees)))))
        if value.excluded_subtrees:
            parts.append("excluded " + ", ".join(
                _listed(list(map(general_name_text, value.excluded_subtrees)))))
        return "; ".join(parts)
    if isinstance(value, x509.UnrecognizedExtension):
        return f"{len(value.value)} bytes, not understood"
    return ""


#: (name, dotted form) of the extension OIDs seen, worked out once each
_OID_TEXT: dict[x509.ObjectIdentifier, tuple[str, str]] = {}


def extensions(cert: x509.Certificate, read: Extensions | None = None) -> tuple[ExtensionInfo, ...]:
    """Every extension, with a value for those not shown in their own fields."""
    exts = list((extension_map(cert) if read is None else read).values())
    out = []
    if len(exts) > MAX_LISTED:
        more = ExtensionInfo("more extensions", "...", False,
                             f"{len(exts) - MAX_LISTED:,} more extensions, not listed")
        exts = exts[:MAX_LISTED]
    else:
        more = None
    for e in exts:
        oid = e.oid
        known = _OID_TEXT.get(oid)
        if known is None:
            dotted = oid.dotted_string
            name = getattr(oid, "_name", "") or dotted
            known = (dotted if name == "Unknown OID" else name, dotted)
            if len(_OID_TEXT) < MAX_LISTED:  # hostile files name endless OIDs
                _OID_TEXT[oid] = known
        value = "" if oid in _SHOWN_ELSEWHERE else _extension_value(e.value)
        out.append(ExtensionInfo(known[0], known[1], e.critical, value))
    return tuple(out) + ((more,) if more is not None else ())


def _names(loaded: LoadedCert) -> tuple[str, str]:
    """(subject, issuer) as RFC 4514 text; raw text with \\x escapes if they do not decode."""
    if loaded.names is not None:
        return loaded.names  # read when the certificate was loaded
    cert = loaded.cert
    if cert is not None:
        try:
            return cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()
        except Exception:  # noqa: BLE001, S110
            pass
        try:
            issuer, subject = asn1.raw_names(cert.tbs_certificate_bytes)
            return subject, issuer
        except (asn1.DerError, ValueError):
            pass
    return "(unreadable)", "(unreadable)"


def _nonstandard_notes(cert: x509.Certificate, bc: BasicConstraints,
                       exts: tuple[ExtensionInfo, ...]) -> tuple[str, ...]:
    """RFC 5280 deviations visible in the parsed certificate (the loader adds parse-time ones)."""
    notes = []
    if cert.version is x509.Version.v1:
        notes.append("X.509 version 1 certificate: it cannot carry basicConstraints, so RFC 5280 "
                     "does not let it act as a CA (OpenSSL accepts it only as a self-signed "
                     "trust anchor)")
    if bc.present and not bc.critical and bc.ca:
        notes.append("basicConstraints of a CA certificate is not marked critical "
                     "(RFC 5280 4.2.1.9)")
    notes += [f"critical extension {e.oid} is not understood; validators must reject the "
              "certificate (RFC 5280 4.2)" for e in exts if e.critical and "not understood" in e.value]
    return tuple(notes)


def describe(loaded: LoadedCert, at: datetime, *, self_signed: bool | None = None) -> CertSummary:
    """Summarise one loaded certificate; a malformed one keeps what could still be read.
    `self_signed`: `is_self_signed` of the certificate, when already known (checked with a
    bundle's others, `self_signed_all`)."""
    pos = loaded.position
    subject, issuer = _names(loaded)
    cert = loaded.cert
    fp = fingerprint(loaded.der) if loaded.der else ""
    if cert is None:
        return CertSummary(
            index=pos.index, location=pos.describe(), subject=subject, issuer=issuer, serial="",
            not_before=None, not_after=None, is_ca=False, self_signed=False,
            key=KeyInfo("unknown", None, None), signature_algorithm="", signature_hash=None,
            sans=(), sha256_fingerprint=fp, ski=None, aki=None, version=0, line=pos.line,
            validity=None, basic_constraints=BasicConstraints(False, False, None, False),
            key_usage=None, extended_key_usage=None, malformed=loaded.error or "does not parse",
        )
    read = extension_map(cert)
    bc = basic_constraints(cert, read)
    usable = loaded.error is None
    exts = extensions(cert, read) if usable else ()
    serial = loaded.serial if loaded.serial is not None else serial_number(cert)
    return CertSummary(
        index=pos.index,
        location=pos.describe(),
        subject=subject,
        issuer=issuer,
        serial=serial_hex(serial),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        is_ca=bc.ca,
        self_signed=usable and (is_self_signed(cert) if self_signed is None else self_signed),
        key=key_info(cert, loaded.der),
        signature_algorithm=signature_algorithm(cert),
        signature_hash=signature_hash(cert),
        sans=sans(cert, read) if usable else (),
        sha256_fingerprint=fp,
        ski=_ski(read) if usable else None,
        aki=_aki(read) if usable else None,
        version=cert.version.value + 1,
        line=pos.line,
        validity=validity_at(cert, at),
        basic_constraints=bc,
        key_usage=key_usage(cert, read) if usable else None,
        extended_key_usage=extended_key_usage(cert, read) if usable else None,
        nonstandard=loaded.notes + _nonstandard_notes(cert, bc, exts),
        malformed=loaded.error,
        extensions=exts,
    )
