"""What mtls-doctor knows about one certificate, independent of the library that parsed it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from mtls_doctor.model.frozen import frozen


class Container(StrEnum):
    """The encoding a file turned out to be."""

    PEM = "PEM"
    DER = "DER"
    BASE64 = "base64 without PEM armour"
    PKCS7_PEM = "PKCS#7 (PEM)"
    PKCS7_DER = "PKCS#7 (DER)"
    PKCS12 = "PKCS#12"
    EMPTY = "empty"
    UNKNOWN = "unknown"
    TLS = "served over TLS"


@frozen
class Position:
    """Where a certificate sits: the file, its index among the file's certificates, its line."""

    source: str
    index: int
    line: int | None = None
    container: Container = Container.PEM

    def describe(self) -> str:
        """`truststore.pem, certificate #3 (line 41)`; #N counts from 1, JSON `index` from 0."""
        where = f"{self.source}, certificate #{self.index + 1}"
        if self.line is not None:
            return f"{where} (line {self.line})"
        if self.container not in (Container.PEM, Container.DER, Container.TLS):
            return f"{where} (in the {self.container} structure)"
        return where


@frozen
class KeyInfo:
    """The certificate's public key: type `RSA|EC|Ed25519|Ed448|DSA|unknown`, size, curve."""

    type: str
    bits: int | None
    curve: str | None
    #: an EC key given with explicit curve parameters instead of a named curve (OpenSSL 3
    #: refuses such keys)
    explicit_parameters: bool = False


@frozen
class BasicConstraints:
    """The basicConstraints extension; `present` is False when the certificate lacks it."""

    present: bool
    ca: bool
    path_len: int | None
    critical: bool


@frozen
class Validity:
    """Validity at the evaluation instant: `valid|expired|not_yet_valid` and whole days left."""

    status: str
    days_left: int
    at: datetime


@frozen
class HostnameMatch:
    """Whether a certificate covers a host name, by which SAN entry, or why not."""

    host: str
    matches: bool
    matched_by: str | None
    reason: str


@frozen
class ExtensionInfo:
    """One extension: its name, OID, criticality, and a short value for those not shown in
    their own fields (AIA, CRL distribution points, policies, name constraints, unknown ones)."""

    name: str
    oid: str
    critical: bool
    value: str = ""


@frozen
class CertSummary:
    """One decoded certificate, as every report shows it (the contract's CERT object)."""

    index: int
    location: str
    subject: str
    issuer: str
    serial: str
    not_before: datetime | None
    not_after: datetime | None
    is_ca: bool
    self_signed: bool
    key: KeyInfo
    signature_algorithm: str
    signature_hash: str | None
    sans: tuple[str, ...]
    sha256_fingerprint: str
    ski: str | None
    aki: str | None
    version: int
    line: int | None
    validity: Validity | None
    basic_constraints: BasicConstraints
    key_usage: tuple[str, ...] | None
    extended_key_usage: tuple[str, ...] | None
    nonstandard: tuple[str, ...] = ()
    malformed: str | None = None
    extensions: tuple[ExtensionInfo, ...] = ()
    issuer_index: int | None = None
    hostname_match: HostnameMatch | None = None
