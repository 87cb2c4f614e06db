"""Read every certificate in a file, whatever its encoding, and say where each one was.

Handles PEM (one or many blocks, text between them, CRLF, BOMs, UTF-16, `X509 CERTIFICATE` and
OpenSSL's `TRUSTED CERTIFICATE`), DER (also several concatenated), base64 without armour,
PKCS#7 (PEM, DER or BER) and PKCS#12. Nothing here raises on bad bytes: what does not parse
becomes a `Problem` or a `LoadedCert` with an `error`. The one exception is a PKCS#12 file whose
password is wrong or missing, which stops the command (`Pkcs12PasswordError`).
"""

from __future__ import annotations

import base64
import binascii
import re
import warnings
from dataclasses import dataclass, field
from enum import StrEnum

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from mtls_doctor.errors import InputError
from mtls_doctor.model.certificate import Container, Position
from mtls_doctor.pki import der as asn1

_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 #]+)-----")
_END = re.compile(r"-----END ([A-Z0-9 #]+)-----")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ARMOUR_SPLIT = re.compile(r"(-----(?:BEGIN|END) [A-Z0-9 #]+-----)")
_CERT_LABELS = {"CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"}
_PKCS7_LABELS = {"PKCS7", "PKCS #7 SIGNED DATA", "CMS", "CERTIFICATE CHAIN"}
_OID_SIGNED_DATA = bytes.fromhex("06092a864886f70d010702")
_OID_DATA = bytes.fromhex("06092a864886f70d010701")


class ProblemKind(StrEnum):
    """What kind of thing, other than a good certificate, the file held."""

    MALFORMED = "malformed"
    NOT_A_CERTIFICATE = "not_a_certificate"
    PRIVATE_KEY = "private_key"


@dataclass(frozen=True)
class Problem:
    """Something in the file that is not a certificate. Never holds the bytes it saw."""

    kind: ProblemKind
    detail: str
    line: int | None = None
    label: str | None = None

    def location(self, source: str) -> str:
        """Where the problem is, for a person."""
        if self.line is not None:
            what = f"{self.label} block" if self.label else "text"
            return f"{source}, {what} at line {self.line}"
        return source


@dataclass(frozen=True)
class LoadedCert:
    """One certificate-shaped entry: parsed (`cert`), or not (`error` says why)."""

    position: Position
    der: bytes
    cert: x509.Certificate | None
    error: str | None = None
    notes: tuple[str, ...] = ()
    label: str = "CERTIFICATE"

    @property
    def ok(self) -> bool:
        """True when the certificate parsed completely."""
        return self.cert is not None and self.error is None


@dataclass(frozen=True)
class LoadedFile:
    """Everything read from one file."""

    source: str
    container: Container
    certificates: tuple[LoadedCert, ...]
    problems: tuple[Problem, ...] = ()
    #: the private key of a PKCS#12 file, kept only to compare with certificates; never shown
    pkcs12_key: PrivateKeyTypes | None = field(default=None, repr=False, compare=False)
    #: PEM that reads here but is not plain RFC 7468 PEM (UTF-16, a BOM, other labels, blocks
    #: on one line, header lines): (line or None, what)
    pem_quirks: tuple[tuple[int | None, str], ...] = ()

    @property
    def good(self) -> tuple[LoadedCert, ...]:
        """The certificates that parsed completely."""
        return tuple(c for c in self.certificates if c.ok)


class Pkcs12PasswordError(InputError):
    """A PKCS#12 file that cannot be opened with the password given (or without one)."""


def _friendly(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    m = re.search(r"ParseError \{ kind: (\w+)(?:, location: \[(.*?)\])?", text)
    if m:
        where = (m.group(2) or "").replace('"', "").replace(", ", ".")
        return f"ASN.1 error {m.group(1)}" + (f" in {where}" if where else "")
    return text.splitlines()[0][:200]


def serial_number(cert: x509.Certificate) -> int:
    """The serial number, without cryptography's warning about non-positive ones (that warning
    is turned into a CERT_NONSTANDARD finding by `parse_certificate`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cert.serial_number


def parse_certificate(der: bytes) -> tuple[x509.Certificate | None, str | None, tuple[str, ...]]:
    """Parse one DER certificate and touch every field, so lazy parse errors show up here.

    Returns (certificate or None, error or None, RFC 5280 deviations noticed). cryptography's
    deprecation warnings about the certificate become deviations instead of leaking to stderr.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cert, error, notes = _touch_fields(der)
    for w in caught:
        msg = str(w.message)
        if "serial number" in msg.lower():
            note = "serial number is zero or negative (RFC 5280 4.1.2.2 wants a positive one)"
        else:
            note = msg.split(". ", maxsplit=1)[0]
        if note not in notes:
            notes.append(note)
    return cert, error, tuple(notes)


def _touch_fields(der: bytes) -> tuple[x509.Certificate | None, str | None, list[str]]:
    notes: list[str] = []
    try:
        cert = x509.load_der_x509_certificate(der)
        serial = cert.serial_number  # parsed lazily
    except Exception as exc:  # noqa: BLE001 - cryptography raises several types on bad input
        return None, f"not a valid X.509 certificate ({_friendly(exc)})", notes
    error = None
    try:
        _ = cert.subject.rfc4514_string()
        _ = cert.issuer.rfc4514_string()
    except Exception as exc:  # noqa: BLE001
        error = f"a name does not decode ({_friendly(exc)}); often a UTF8String that is not UTF-8"
    try:
        _ = list(cert.extensions)
    except x509.DuplicateExtension as exc:
        notes.append(f"extension {exc.oid.dotted_string} ({exc.oid._name}) appears twice "
                     "(RFC 5280 4.2)")
    except Exception as exc:  # noqa: BLE001
        error = error or f"an extension cannot be parsed ({_friendly(exc)})"
    try:
        _ = cert.not_valid_before_utc, cert.not_valid_after_utc
    except Exception as exc:  # noqa: BLE001
        error = error or f"the validity period cannot be read ({_friendly(exc)})"
    if serial.bit_length() > 159:
        notes.append("serial number is longer than 20 octets (RFC 5280 4.1.2.2)")
    return cert, error, notes


def _first_element(der: bytes) -> bytes:
    """The first complete ASN.1 element (drops OpenSSL's trust data after a TRUSTED CERTIFICATE)."""
    try:
        return der[: asn1.element_end(der)]
    except asn1.DerError:
        return der


def _classify_label(label: str) -> str:
    if label in _CERT_LABELS:
        return "cert"
    if label in _PKCS7_LABELS:
        return "pkcs7"
    if label.endswith("PRIVATE KEY"):
        return "key"
    return "other"


_OTHER_LABELS = {
    "CERTIFICATE REQUEST": "a certificate signing request (CSR)",
    "NEW CERTIFICATE REQUEST": "a certificate signing request (CSR)",
    "X509 CRL": "a certificate revocation list (CRL)",
    "PUBLIC KEY": "a public key",
    "RSA PUBLIC KEY": "a public key",
}


def _decode_text(data: bytes, quirks: list[tuple[int | None, str]] | None = None) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            pass
        else:
            if quirks is not None:
                quirks.append((None, "the file is UTF-16 text (what Windows PowerShell 5 writes "
                                     "with '>'), not ASCII"))
            return text
    if data[:3] == b"\xef\xbb\xbf":
        if quirks is not None:
            quirks.append((1, "the file starts with a UTF-8 byte-order mark"))
        data = data[3:]
    return data.decode("latin-1")


@dataclass
class _Builder:
    source: str
    certificates: list[LoadedCert] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    pkcs12_key: PrivateKeyTypes | None = None
    pem_quirks: list[tuple[int | None, str]] = field(default_factory=list)

    def add_der(
        self, der: bytes, *, container: Container, line: int | None = None, label: str = "CERTIFICATE"
    ) -> None:
        cert, error, notes = parse_certificate(der)
        position = Position(self.source, len(self.certificates), line, container)
        self.certificates.append(LoadedCert(position, der, cert, error, notes, label))

    def add_pkcs7(self, der: bytes, container: Container, line: int | None = None) -> bool:
        # imported here: these modules cost ~20 ms at start-up and most inputs are plain PEM
        from cryptography.hazmat.primitives.serialization import pkcs7

        try:
            with warnings.catch_warnings():
                # "could not be parsed as DER, falling back to BER": certificates not in sorted
                # DER order, as `openssl crl2pkcs7` writes them; the BER reading is the right one
                warnings.simplefilter("ignore")
                certs = pkcs7.load_der_pkcs7_certificates(der)
        except Exception:  # noqa: BLE001
            try:
                certs = pkcs7.load_der_pkcs7_certificates(asn1.ber_to_der(der))
            except Exception as exc:  # noqa: BLE001
                self.problems.append(
                    Problem(ProblemKind.MALFORMED, f"PKCS#7 structure cannot be read ({_friendly(exc)})",
                            line, "PKCS7" if line else None)
                )
                return False
        if not certs:
            self.problems.append(
                Problem(ProblemKind.MALFORMED, "PKCS#7 structure holds no certificates", line)
            )
        for c in certs:
            self.add_der(c.public_bytes(serialization.Encoding.DER), container=container, label="PKCS7")
        return True

    def result(self, container: Container) -> LoadedFile:
        return LoadedFile(self.source, container, tuple(self.certificates), tuple(self.problems),
                          self.pkcs12_key, tuple(self.pem_quirks))


def _scan_pem(text: str, b: _Builder) -> tuple[int, int]:
    """Parse PEM blocks into `b`; returns (number of blocks, number of PKCS#7 blocks)."""
    # (line number, text) with armour lines split off, so that a block pasted on one line
    # ("-----BEGIN CERTIFICATE----- MIIB... -----END CERTIFICATE-----") reads too
    numbered: list[tuple[int, str]] = []
    # only CR, LF and CRLF end a line: str.splitlines() would also split on \x85 or \x0c,
    # which Latin-1 decoding produces from UTF-8 letters, and shift every line number after
    for n, physical in enumerate(_LINE_BREAK.split(text), start=1):
        parts = [part for part in _ARMOUR_SPLIT.split(physical) if part.strip()]
        if len(parts) > 1 and _BEGIN.search(physical):
            b.pem_quirks.append((n, "armour and base64 share one line (line breaks were lost)"))
        numbered.extend((n, part) for part in parts)
    lines = [t for _, t in numbered]
    blocks = pkcs7_blocks = 0
    i = 0
    while i < len(lines):
        m = _BEGIN.search(lines[i])
        if not m:
            i += 1
            continue
        label, start = m.group(1).strip(), numbered[i][0]
        body: list[str] = []
        j = i + 1
        end_found = False
        while j < len(lines):
            if _BEGIN.search(lines[j]):
                break
            e = _END.search(lines[j])
            if e:
                end_found = True
                if e.group(1).strip() != label:
                    b.problems.append(Problem(
                        ProblemKind.MALFORMED,
                        f"BEGIN {label} at line {start} is closed by END {e.group(1).strip()}",
                        start, label))
                    end_found = False
                break
            body.append(lines[j])
            j += 1
        blocks += 1
        kind = _classify_label(label)
        i = j + 1 if end_found else j
        if kind == "key":
            b.problems.append(Problem(ProblemKind.PRIVATE_KEY,
                                      "private key material (not shown)", start, label))
            continue
        if not end_found:
            detail = f"BEGIN {label} at line {start} has no matching END line (truncated?)"
            if kind == "cert":
                position = Position(b.source, len(b.certificates), start, Container.PEM)
                b.certificates.append(LoadedCert(position, b"", None, detail, (), label))
            elif kind == "pkcs7":
                b.problems.append(Problem(ProblemKind.MALFORMED, detail, start, label))
            continue
        if kind == "other":
            what = _OTHER_LABELS.get(label, f"a {label} block")
            b.problems.append(Problem(ProblemKind.NOT_A_CERTIFICATE,
                                      f"{what}, not a certificate", start, label))
            continue
        # RFC 1421 headers ("Key: value" lines before a blank line) precede the base64
        if any(":" in ln for ln in body):
            b.pem_quirks.append((start, "header lines inside the block"))
            while body and ":" in body[0]:
                body.pop(0)
        if kind == "cert" and label != "CERTIFICATE":
            b.pem_quirks.append((start, f"the label is '{label}', not 'CERTIFICATE'"))
        payload = "".join("".join(ln.split()) for ln in body)
        try:
            raw = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if not raw:
            detail = "empty base64 body" if not payload else "the base64 body is corrupt"
            if kind == "cert":
                position = Position(b.source, len(b.certificates), start, Container.PEM)
                b.certificates.append(LoadedCert(position, b"", None, detail, (), label))
            else:
                b.problems.append(Problem(ProblemKind.MALFORMED, detail, start, label))
            continue
        if kind == "pkcs7":
            pkcs7_blocks += 1
            b.add_pkcs7(raw, Container.PKCS7_PEM, start)
        else:
            b.add_der(_first_element(raw), container=Container.PEM, line=start, label=label)
    return blocks, pkcs7_blocks


def _looks_pkcs12(data: bytes) -> bool:
    try:
        top = asn1.read_tlv(data)
        if top.tag != 0x30:
            return False
        kids = asn1.children(data, top)
    except asn1.DerError:
        return False
    if len(kids) < 2 or kids[0].tag != 0x02:
        return False
    version = data[kids[0].content_start : kids[0].content_start + (kids[0].length or 0)]
    return version == b"\x03" and data[kids[1].content_start :].startswith(
        b"\x06\x09" + _OID_DATA[2:]
    )


def _looks_pkcs7(data: bytes) -> bool:
    return data[:1] == b"\x30" and _OID_SIGNED_DATA in data[:24]


def _load_pkcs12(data: bytes, b: _Builder, password: bytes | None) -> None:
    from cryptography.hazmat.primitives.serialization import pkcs12

    # an unprotected file opens with no password, whatever password was given for the key
    tries = [password, None, b""] if password is not None else [None, b""]
    last: Exception | None = None
    for pw in tries:
        try:
            bundle = pkcs12.load_pkcs12(data, pw)
        except Exception as exc:  # noqa: BLE001
            last = exc
            continue
        b.pkcs12_key = bundle.key
        if bundle.key is not None:
            b.problems.append(Problem(ProblemKind.PRIVATE_KEY, "PKCS#12 private key (not shown)"))
        certs = ([bundle.cert] if bundle.cert else []) + list(bundle.additional_certs)
        for c in certs:
            b.add_der(c.certificate.public_bytes(serialization.Encoding.DER),
                      container=Container.PKCS12, label="PKCS12")
        return
    if password is None:
        raise Pkcs12PasswordError(
            f"{b.source} is a PKCS#12 file protected by a password; put the password in an "
            "environment variable and pass its name with --key-password-env VAR"
        )
    reason = "wrong password" if "password" in str(last).lower() else _friendly(last or Exception())
    raise Pkcs12PasswordError(f"{b.source}: cannot open the PKCS#12 file ({reason})")


def _not_cert_der(data: bytes) -> Problem | None:
    """Say what a DER blob is when it is a CSR, a CRL or a private key."""
    for loader, what in ((x509.load_der_x509_csr, "a certificate signing request (CSR)"),
                         (x509.load_der_x509_crl, "a certificate revocation list (CRL)")):
        try:
            loader(data)
        except Exception:  # noqa: BLE001, S112
            continue
        return Problem(ProblemKind.NOT_A_CERTIFICATE, f"{what} in DER form, not a certificate")
    try:
        serialization.load_der_private_key(data, None)
    except TypeError:  # encrypted: still a key
        return Problem(ProblemKind.PRIVATE_KEY, "encrypted private key in DER form (not shown)")
    except Exception:  # noqa: BLE001
        return None
    return Problem(ProblemKind.PRIVATE_KEY, "private key in DER form (not shown)")


def _load_binary(data: bytes, b: _Builder, password: bytes | None) -> Container:
    if _looks_pkcs7(data):
        b.add_pkcs7(data, Container.PKCS7_DER)
        return Container.PKCS7_DER
    if _looks_pkcs12(data):
        _load_pkcs12(data, b, password)
        return Container.PKCS12
    # one or several DER certificates back to back
    pos = 0
    while pos < len(data):
        try:
            end = asn1.element_end(data, pos)
        except asn1.DerError:
            end = len(data)
        chunk = data[pos:end]
        cert, _, _ = parse_certificate(chunk)
        if cert is None:
            if pos == 0:
                problem = _not_cert_der(data)
                if problem:
                    b.problems.append(problem)
                    return Container.DER
                b.add_der(chunk, container=Container.DER)
            else:
                b.problems.append(Problem(ProblemKind.MALFORMED,
                                          f"{len(data) - pos} bytes after the last certificate "
                                          "are not a certificate"))
            return Container.DER
        b.add_der(chunk, container=Container.DER)
        pos = end
    return Container.DER


def load_certificates(data: bytes, source: str, *, password: bytes | None = None) -> LoadedFile:
    """Read every certificate in `data` (the content of `source`, a display name)."""
    b = _Builder(source)
    text = _decode_text(data, b.pem_quirks)
    if not text.strip(" \t\r\n\x00\ufeff"):
        return b.result(Container.EMPTY)
    if "-----BEGIN " in text:
        blocks, pkcs7_blocks = _scan_pem(text, b)
        container = Container.PKCS7_PEM if blocks and blocks == pkcs7_blocks else Container.PEM
        return b.result(container)
    if data[:1] == b"\x30":
        return b.result(_load_binary(data, b, password))
    # base64 without the PEM armour, as pasted from a console
    compact = "".join(text.split())
    if compact and re.fullmatch(r"[A-Za-z0-9+/=]+", compact):
        try:
            raw = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if raw[:1] == b"\x30":
            inner = _Builder(source)
            _load_binary(raw, inner, password)
            understood = any(c.cert for c in inner.certificates) or any(
                p.kind is not ProblemKind.MALFORMED for p in inner.problems)
            if understood:  # DER, PKCS#7 or PKCS#12 inside
                for c in inner.certificates:
                    b.add_der(c.der, container=Container.BASE64, label=c.label)
                b.problems.extend(inner.problems)
                b.pkcs12_key = inner.pkcs12_key
                return b.result(Container.BASE64)
    b.problems.append(Problem(ProblemKind.MALFORMED,
                              "neither PEM (no -----BEGIN line) nor DER/PKCS#7/PKCS#12 data"))
    return b.result(Container.UNKNOWN)
