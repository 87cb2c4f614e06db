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
import dataclasses
import re
from dataclasses import field
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

from cryptography import x509

from mtls_doctor.errors import InputError
from mtls_doctor.model.certificate import Container, Position
from mtls_doctor.model.frozen import frozen
from mtls_doctor.pki import der as asn1
from mtls_doctor.pki.quiet import quiet, recorded

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

# cryptography.hazmat.primitives.serialization (its SSH and cipher modules: a few ms at start-up)
# is imported where PKCS#7, PKCS#12, DER keys or RSASSA-PSS certificates are read, not for
# every input

# labels are short ("CERTIFICATE", "ENCRYPTED PRIVATE KEY"): a longer one is text, so that no
# report repeats megabytes of a label
_ARMOUR = re.compile(r"-----(BEGIN|END) ([A-Z0-9 #]{1,64})-----")
#: a header line ("Proc-Type: 4,ENCRYPTED"), after any blank lines, at the start of a body
_HEADER_LINE = re.compile(r"\s*[^\r\n:]*:[^\r\n]*")
#: blank text up to the end of the line (or of the text)
_LINE_REST = re.compile(r"[^\S\r\n]*(?:\r|\n|\Z)")
_SPACE = re.compile(r"\s+")
#: PEM bodies up to this long lose their white space by str.split (longer ones by `_SPACE`)
_SPLIT_MAX = 64 * 1024

#: identical problems (the same malformed block, the same stray key block, the same PEM quirk)
#: are kept one by one this many times; further ones are counted, not each kept (a hostile
#: 16 MiB file holds 250,000 broken blocks, and a report must not list them all)
KEEP_SAME = 3
#: certificates read from one file; further certificate blocks are counted, not decoded.
#: 16 MiB holds 30,000 certificates; a bundle of every public root CA holds about 150, a
#: private truststore a few dozen. It also bounds the depth of the issuer trees reports draw
MAX_CERTIFICATES = 500
#: distinct problems kept one by one; further ones are counted by kind
MAX_PROBLEMS = 200
#: lines kept of the occurrences a counted problem stands for
LINES_KEPT = 5
_CERT_LABELS = {"CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"}
_PKCS7_LABELS = {"PKCS7", "PKCS #7 SIGNED DATA", "CMS", "CERTIFICATE CHAIN"}
_OID_SIGNED_DATA = bytes.fromhex("06092a864886f70d010702")
_OID_DATA = bytes.fromhex("06092a864886f70d010701")


class ProblemKind(StrEnum):
    """What kind of thing, other than a good certificate, the file held."""

    MALFORMED = "malformed"
    NOT_A_CERTIFICATE = "not_a_certificate"
    PRIVATE_KEY = "private_key"
    #: certificate blocks beyond `MAX_CERTIFICATES`, counted and not decoded
    NOT_READ = "not_read"


@frozen
class Problem:
    """Something in the file that is not a certificate. Never holds the bytes it saw.

    A problem seen many times is kept once with `count` (how many occurrences it stands for)
    and `lines` (where the first few are); `line` is the first of them."""

    kind: ProblemKind
    detail: str
    line: int | None = None
    label: str | None = None
    count: int = 1
    lines: tuple[int, ...] = ()
    #: the occurrences are certificate blocks that do not parse, counted beyond the first
    #: `KEEP_SAME` (which are kept as certificates with an `error`)
    certificate_blocks: bool = False

    def location(self, source: str) -> str:
        """Where the problem is, for a person."""
        if self.line is None:
            return source
        what = f"{self.label} block" if self.label else "text"
        if self.count > 1:
            shown = ", ".join(str(n) for n in self.lines or (self.line,))
            more = self.count - len(self.lines or (self.line,))
            return (f"{source}, {self.count:,} {what}s at lines {shown}"
                    + (f" and {more:,} more" if more > 0 else ""))
        return f"{source}, {what} at line {self.line}"


@frozen
class LoadedCert:
    """One certificate-shaped entry: parsed (`cert`), or not (`error` says why)."""

    position: Position
    der: bytes
    cert: x509.Certificate | None
    error: str | None = None
    notes: tuple[str, ...] = ()
    label: str = "CERTIFICATE"
    #: (subject, issuer) as RFC 4514 text and the serial number, as read when the certificate
    #: was parsed (None: not read then, or the names do not decode)
    names: tuple[str, str] | None = field(default=None, repr=False, compare=False)
    serial: int | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """True when the certificate parsed completely."""
        return self.cert is not None and self.error is None


@frozen
class LoadedFile:
    """Everything read from one file."""

    source: str
    container: Container
    certificates: tuple[LoadedCert, ...]
    problems: tuple[Problem, ...] = ()
    #: the private key of a PKCS#12 file, kept only to compare with certificates; never shown
    pkcs12_key: PrivateKeyTypes | None = field(default=None, repr=False, compare=False)
    #: PEM that reads here but is not plain RFC 7468 PEM (UTF-16, a BOM, other labels, blocks
    #: on one line, header lines): (line or None, what), the first `KEEP_SAME` of each kind
    pem_quirks: tuple[tuple[int | None, str], ...] = ()
    #: quirks seen more often than `KEEP_SAME` times: (what, how many more, first lines)
    more_quirks: tuple[tuple[str, int, tuple[int, ...]], ...] = ()

    @property
    def good(self) -> tuple[LoadedCert, ...]:
        """The certificates that parsed completely."""
        return tuple(c for c in self.certificates if c.ok)


class Pkcs12PasswordError(InputError):
    """A PKCS#12 file that cannot be opened with the password given (or without one)."""


class Pkcs12RefusedError(InputError):
    """A PKCS#12 file that is not handed to OpenSSL at all: it asks for more MAC or
    key-derivation iterations than `MAX_PKCS12_ITERATIONS`, or its structure cannot be read
    far enough to tell."""


#: the most MAC or key-derivation iterations a PKCS#12 file may ask for. Tools write 2,048
#: (OpenSSL, Windows) to 600,000 (OWASP's PBKDF2-SHA256 advice); OpenSSL runs whatever a file
#: names, and 2**31-1 MAC iterations keep it busy for minutes
MAX_PKCS12_ITERATIONS = 10_000_000


def check_pkcs12_iterations(data: bytes, source: str) -> None:
    """Refuse (Pkcs12RefusedError) a PKCS#12 file whose iteration counts, read from its DER
    before any decryption, exceed `MAX_PKCS12_ITERATIONS` or cannot be read."""
    try:
        counts = asn1.pkcs12_iterations(data)
    except (asn1.DerError, IndexError, ValueError) as exc:
        raise Pkcs12RefusedError(
            f"{source}: not a readable PKCS#12 file (its structure cannot be checked: {exc})"
        ) from None
    for what, count in counts:
        if count > MAX_PKCS12_ITERATIONS or count < 1:
            shown = f"{count:,}" if abs(count) < 10**30 else f"a {count.bit_length()}-bit number of"
            raise Pkcs12RefusedError(
                f"{source}: the PKCS#12 file asks for {shown} iterations for {what}; "
                f"mtls-doctor opens none asking for more than {MAX_PKCS12_ITERATIONS:,} (or "
                "fewer than 1): re-export it with 'openssl pkcs12 -export -iter 2048'"
            )


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
    with quiet():
        return cert.serial_number


_OID_RSASSA_PSS = bytes.fromhex("06092a864886f70d01010a")


def pss_parameters_problem(cert: x509.Certificate) -> str | None:
    """`no` when an RSASSA-PSS signature's AlgorithmIdentifier has no parameters, `invalid`
    when they do not decode, None when they are fine (or the signature is not RSASSA-PSS)."""
    if cert.signature_algorithm_oid != x509.oid.SignatureAlgorithmOID.RSASSA_PSS:
        return None
    try:
        _ = cert.signature_algorithm_parameters
        return None
    except ValueError:
        pass
    except Exception:  # noqa: BLE001 - anything else: the parameters are what cannot be read
        return "invalid"
    from cryptography.hazmat.primitives.serialization import Encoding

    try:
        der = cert.public_bytes(Encoding.DER)
        top = asn1.read_tlv(der)
        alg = asn1.children(der, top)[1]
        parts = asn1.children(der, alg)
    except (asn1.DerError, IndexError, ValueError):
        return "invalid"
    return "no" if len(parts) == 1 else "invalid"


def _pss_note(cert: x509.Certificate) -> str | None:
    problem = pss_parameters_problem(cert)
    if problem is None:
        return None
    what = ("without the parameters (hash, mask generation function, salt length)" if problem == "no"
            else "with parameters that do not decode")
    return (f"the signature algorithm is RSASSA-PSS {what}; RFC 4055 3.1 requires them in the "
            "AlgorithmIdentifier of a signature, so no verifier can check this signature "
            "(OpenSSL prints 'INVALID PSS PARAMETERS')")


def parse_certificate(der: bytes) -> tuple[x509.Certificate | None, str | None, tuple[str, ...]]:
    """Parse one DER certificate and touch every field, so lazy parse errors show up here.

    Returns (certificate or None, error or None, RFC 5280 deviations noticed). cryptography's
    deprecation warnings about the certificate become deviations instead of leaking to stderr.
    """
    parsed = _parse(der)
    return parsed.cert, parsed.error, parsed.notes


class _Parsed(NamedTuple):
    """`parse_certificate`'s answer, with the fields read on the way (kept for `describe`). A
    NamedTuple: a frozen dataclass compiles its six methods at start-up, when it is created."""

    cert: x509.Certificate | None
    error: str | None
    notes: tuple[str, ...]
    names: tuple[str, str] | None = None
    serial: int | None = None


def _parse(der: bytes) -> _Parsed:
    with recorded() as caught:
        cert, error, notes, names, serial = _touch_fields(der)
    for w in caught:
        msg = str(w.message)
        if "serial number" in msg.lower():
            note = "serial number is zero or negative (RFC 5280 4.1.2.2 wants a positive one)"
        else:
            note = msg.split(". ", maxsplit=1)[0]
        if note not in notes:
            notes.append(note)
    return _Parsed(cert, error, tuple(notes), names, serial)


def _touch_fields(der: bytes) -> tuple[x509.Certificate | None, str | None, list[str],
                                       tuple[str, str] | None, int | None]:
    """(certificate, error, notes, (subject, issuer) text, serial number) of `der`."""
    notes: list[str] = []
    try:
        cert = x509.load_der_x509_certificate(der)
        serial = cert.serial_number  # parsed lazily
    except Exception as exc:  # noqa: BLE001 - cryptography raises several types on bad input
        return None, f"not a valid X.509 certificate ({_friendly(exc)})", notes, None, None
    error = None
    names = None
    try:
        names = cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()
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
    pss = _pss_note(cert)
    if pss is not None:
        notes.append(pss)
    return cert, error, notes, names, serial


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


class _Count:
    """Occurrences of one problem beyond those kept one by one. (A plain class, as the other
    working state of a load: a dataclass compiles its methods at start-up.)"""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.count = 0
        self.lines: list[int] = []

    def add(self, line: int | None) -> None:
        self.count += 1
        if line is not None and len(self.lines) < LINES_KEPT:
            self.lines.append(line)

    def result(self) -> Problem:
        return dataclasses.replace(self.problem, count=self.count, lines=tuple(self.lines),
                                   line=self.lines[0] if self.lines else self.problem.line)


class _Builder:
    """Collects what a file holds, keeping the work and the result bounded whatever the file:
    the same problem is kept `KEEP_SAME` times and then counted, the same certificate bytes
    are parsed once, and certificates beyond `MAX_CERTIFICATES` are counted, not decoded."""

    def __init__(self, source: str, *, pkcs12_problems: bool = False) -> None:
        self.source = source
        self.pkcs12_problems = pkcs12_problems
        self.certificates: list[LoadedCert] = []
        self.problems: list[Problem] = []
        self.pkcs12_key: PrivateKeyTypes | None = None
        self.pem_quirks: list[tuple[int | None, str]] = []
        self._parsed: dict[bytes, _Parsed] = {}
        self._kept: dict[tuple[object, ...], int] = {}
        self._counted: dict[tuple[object, ...], _Count] = {}
        self._quirks_counted: dict[str, _Count] = {}

    @property
    def full(self) -> bool:
        """True once `MAX_CERTIFICATES` certificates are kept: further ones are only counted."""
        return len(self.certificates) >= MAX_CERTIFICATES

    def _keep(self, key: tuple[object, ...]) -> bool:
        """Whether one more occurrence of `key` is kept one by one (else it is counted)."""
        n = self._kept.get(key, 0)
        if n >= KEEP_SAME or (n == 0 and len(self._kept) >= MAX_PROBLEMS):
            return False
        self._kept[key] = n + 1
        return True

    def _count(self, key: tuple[object, ...], problem: Problem, line: int | None) -> None:
        counted = self._counted.get(key)
        if counted is None:
            counted = self._counted[key] = _Count(problem)
        counted.add(line)

    def problem(self, problem: Problem) -> None:
        """Keep a problem, or count it when the same one was kept often enough."""
        self.note(problem.kind, problem.detail, problem.line, problem.label, problem)

    def note(self, kind: ProblemKind, detail: str, line: int | None = None,
             label: str | None = None, problem: Problem | None = None) -> None:
        """`problem` from its fields, built only when it is kept or first counted (a hostile
        file repeats one problem hundreds of thousands of times)."""
        key = ("problem", kind, label, detail)
        counted = self._counted.get(key)
        if counted is not None:
            counted.add(line)
            return
        problem = problem or Problem(kind, detail, line, label)
        if self._keep(key):
            self.problems.append(problem)
        elif key in self._kept:
            self._count(key, problem, problem.line)
        else:  # too many different problems: count them by kind
            self._count(("problem", problem.kind), Problem(
                problem.kind, f"further problems of this kind ({problem.kind.value}) were "
                f"counted, not listed (more than {MAX_PROBLEMS} different problems)",
                problem.line), problem.line)

    def quirk(self, line: int | None, what: str) -> None:
        """Note PEM that is not plain RFC 7468 PEM; the same quirk is counted after a few."""
        if self._keep(("quirk", what)):
            self.pem_quirks.append((line, what))
            return
        counted = self._quirks_counted.get(what)
        if counted is None:
            counted = self._quirks_counted[what] = _Count(Problem(ProblemKind.MALFORMED, what))
        counted.add(line)

    def not_read(self, line: int | None, label: str = "CERTIFICATE") -> None:
        """Count a certificate block beyond `MAX_CERTIFICATES`, without decoding it."""
        counted = self._counted.get(("not_read",))
        if counted is not None:  # the problem is built once, not for each of 30,000 blocks
            counted.add(line)
            return
        self._count(("not_read",), Problem(
            ProblemKind.NOT_READ, f"certificate blocks after the first {MAX_CERTIFICATES:,} "
            "certificates were counted, not read", line, label), line)

    def parse(self, der: bytes) -> _Parsed:
        """`parse_certificate`, once for the same bytes (a file may repeat one certificate)."""
        parsed = self._parsed.get(der)
        if parsed is None:
            parsed = _parse(der)
            if len(self._parsed) < MAX_CERTIFICATES:
                self._parsed[der] = parsed
        return parsed

    def add_der(
        self, der: bytes, *, container: Container, line: int | None = None, label: str = "CERTIFICATE"
    ) -> None:
        if self.full:
            self.not_read(line, label)
            return
        parsed = self.parse(der)
        cert, error, notes = parsed.cert, parsed.error, parsed.notes
        if cert is None or error is not None:
            self.malformed(line, error or "does not parse", label, container, der, cert, notes)
            return
        position = Position(self.source, len(self.certificates), line, container)
        self.certificates.append(LoadedCert(position, der, cert, error, notes, label,
                                            parsed.names, parsed.serial))

    def malformed(self, line: int | None, detail: str, label: str, container: Container,
                  der: bytes = b"", cert: x509.Certificate | None = None,
                  notes: tuple[str, ...] = ()) -> None:
        """A certificate block that does not parse: kept as a certificate with an `error` the
        first `KEEP_SAME` times, then counted."""
        key = ("certificate", label, detail)
        counted = self._counted.get(key)
        if counted is not None:
            counted.add(line)
            return
        if not self.full and self._keep(key):
            position = Position(self.source, len(self.certificates), line, container)
            self.certificates.append(LoadedCert(position, der, cert, detail, notes, label))
            return
        self._count(key, Problem(ProblemKind.MALFORMED, detail, line, label,
                                 certificate_blocks=True), line)

    def add_pkcs7(self, der: bytes, container: Container, line: int | None = None) -> bool:
        # imported here: these modules cost ~20 ms at start-up and most inputs are plain PEM
        from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

        try:
            with quiet():
                # "could not be parsed as DER, falling back to BER": certificates not in sorted
                # DER order, as `openssl crl2pkcs7` writes them; the BER reading is the right one
                certs = pkcs7.load_der_pkcs7_certificates(der)
        except Exception:  # noqa: BLE001
            try:
                certs = pkcs7.load_der_pkcs7_certificates(asn1.ber_to_der(der))
            except Exception as exc:  # noqa: BLE001
                self.problem(
                    Problem(ProblemKind.MALFORMED, f"PKCS#7 structure cannot be read ({_friendly(exc)})",
                            line, "PKCS7" if line else None)
                )
                return False
        if not certs:
            self.problem(
                Problem(ProblemKind.MALFORMED, "PKCS#7 structure holds no certificates", line)
            )
        for c in certs:
            self.add_der(c.public_bytes(Encoding.DER), container=container, label="PKCS7")
        return True

    def result(self, container: Container) -> LoadedFile:
        counted = [c.result() for c in self._counted.values()]
        more_quirks = tuple((what, c.count, tuple(c.lines))
                            for what, c in self._quirks_counted.items())
        return LoadedFile(self.source, container, tuple(self.certificates),
                          (*self.problems, *counted), self.pkcs12_key, tuple(self.pem_quirks),
                          more_quirks)


def _breaks(text: str, start: int, end: int) -> int:
    """Line breaks (CR, LF, CRLF) in text[start:end]; neither end may split a CRLF."""
    return (text.count("\n", start, end) + text.count("\r", start, end)
            - text.count("\r\n", start, end))


def _alone_on_line(text: str, marks: list[re.Match[str]], k: int) -> bool:
    """Whether armour marker `k` has its line to itself (blank text aside). Looks only between
    the neighbouring markers, so a file of 16 MiB on one line is still read in linear time."""
    m = marks[k]
    floor = marks[k - 1].end() if k else 0
    cut = max(text.rfind("\n", floor, m.start()), text.rfind("\r", floor, m.start()))
    if cut < 0 and k > 0:
        return False  # the marker before is on the same line
    if m.start() - cut > 1 and not text[max(cut + 1, floor) : m.start()].isspace():
        return False
    ceiling = marks[k + 1].start() if k + 1 < len(marks) else len(text)
    rest = _LINE_REST.match(text, m.end(), ceiling)
    return rest is not None and (rest.end() < ceiling or k + 1 == len(marks)
                                 or rest.group().endswith(("\n", "\r")))


def _scan_pem(text: str, b: _Builder) -> tuple[int, int]:
    """Parse PEM blocks into `b`; returns (number of blocks, number of PKCS#7 blocks).

    Works on the armour markers found in the whole text, never on a list of its lines, so that
    time and memory stay linear in the size of the file whatever its shape (16 MiB of empty
    lines, one line of 16 MiB). A block pasted on one line ("-----BEGIN CERTIFICATE----- MIIB...
    -----END CERTIFICATE-----") reads too. Line numbers count CR, LF and CRLF only:
    str.splitlines() would also split on \x85 or \x0c, which Latin-1 decoding produces from
    UTF-8 letters, and shift every line number after."""
    marks = list(_ARMOUR.finditer(text))
    blocks = pkcs7_blocks = 0
    line, at = 1, 0  # the line of position `at` (a marker's start: never inside a CRLF)
    quirk_line = 0
    k = 0
    while k < len(marks):
        m = marks[k]
        if m.group(1) != "BEGIN":
            k += 1
            continue
        line += _breaks(text, at, m.start())
        at = m.start()
        if line != quirk_line and not _alone_on_line(text, marks, k):
            quirk_line = line
            b.quirk(line, "armour and base64 share one line (line breaks were lost)")
        label, start = m.group(2).strip(), line
        end_found = False
        body = ""
        nxt = marks[k + 1] if k + 1 < len(marks) else None
        k += 1
        if nxt is not None and nxt.group(1) == "END":
            end_found = True
            k += 1
            if nxt.group(2).strip() != label:
                b.problem(Problem(
                    ProblemKind.MALFORMED,
                    f"BEGIN {label} is closed by END {nxt.group(2).strip()}",
                    start, label))
                end_found = False
            else:
                body = text[m.end() : nxt.start()]
        blocks += 1
        kind = _classify_label(label)
        if kind == "key":
            b.note(ProblemKind.PRIVATE_KEY, "private key material (not shown)", start, label)
            continue
        if not end_found:
            detail = f"BEGIN {label} has no matching END line (truncated?)"
            if kind == "cert":
                b.malformed(start, detail, label, Container.PEM)
            elif kind == "pkcs7":
                b.problem(Problem(ProblemKind.MALFORMED, detail, start, label))
            continue
        if kind == "other":
            what = _OTHER_LABELS.get(label, f"a {label} block")
            b.note(ProblemKind.NOT_A_CERTIFICATE, f"{what}, not a certificate", start, label)
            continue
        if kind == "cert" and b.full:  # counted, not decoded
            b.not_read(start, label)
            continue
        # RFC 1421 headers ("Key: value" lines before a blank line) precede the base64
        if ":" in body:
            b.quirk(start, "header lines inside the block")
            pos = 0
            while (h := _HEADER_LINE.match(body, pos)) is not None:
                pos = h.end()
            body = body[pos:]
        if kind == "cert" and label != "CERTIFICATE":
            b.quirk(start, f"the label is '{label}', not 'CERTIFICATE'")
        # white space out: str.split is 10x re.sub on a certificate's few kilobytes, but on a
        # hostile megabyte it would list every character between the blanks
        payload = ("".join(body.split()) if len(body) <= _SPLIT_MAX
                   else _SPACE.sub("", body))
        try:
            raw = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if not raw:
            detail = "empty base64 body" if not payload else "the base64 body is corrupt"
            if kind == "cert":
                b.malformed(start, detail, label, Container.PEM)
            else:
                b.problem(Problem(ProblemKind.MALFORMED, detail, start, label))
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
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

    check_pkcs12_iterations(data, b.source)  # before OpenSSL runs whatever count it names

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
            b.problem(Problem(ProblemKind.PRIVATE_KEY, "PKCS#12 private key (not shown)"))
        certs = ([bundle.cert] if bundle.cert else []) + list(bundle.additional_certs)
        for c in certs:
            b.add_der(c.certificate.public_bytes(Encoding.DER),
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
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    try:
        load_der_private_key(data, None)
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
        try:
            _load_pkcs12(data, b, password)
        except (Pkcs12PasswordError, Pkcs12RefusedError) as exc:
            if not b.pkcs12_problems:
                raise
            detail = str(exc).removeprefix(f"{b.source}: ")
            b.problem(Problem(ProblemKind.MALFORMED, f"not opened: {detail}"))
        return Container.PKCS12
    # one or several DER certificates back to back
    pos = 0
    while pos < len(data):
        if b.full:
            b.problem(Problem(ProblemKind.NOT_READ, f"{len(data) - pos:,} bytes after the first "
                              f"{MAX_CERTIFICATES:,} certificates were not read"))
            return Container.DER
        try:
            end = asn1.element_end(data, pos)
        except asn1.DerError:
            end = len(data)
        chunk = data[pos:end]
        if b.parse(chunk).cert is None:
            if pos == 0:
                problem = _not_cert_der(data)
                if problem:
                    b.problem(problem)
                    return Container.DER
                b.add_der(chunk, container=Container.DER)
            else:
                b.problem(Problem(ProblemKind.MALFORMED,
                                  f"{len(data) - pos} bytes after the last certificate "
                                  "are not a certificate"))
            return Container.DER
        b.add_der(chunk, container=Container.DER)
        pos = end
    return Container.DER


def load_certificates(data: bytes, source: str, *, password: bytes | None = None,
                      pkcs12_problems: bool = False) -> LoadedFile:
    """Read every certificate in `data` (the content of `source`, a display name).

    A PKCS#12 file that cannot be opened (a password missing or wrong, iteration counts over
    `MAX_PKCS12_ITERATIONS`) stops the command (`Pkcs12PasswordError`, `Pkcs12RefusedError`:
    exit 2), unless `pkcs12_problems`: then it is a problem of the file, for a truststore being
    linted (API Gateway would not read a PKCS#12 truststore anyway)."""
    b = _Builder(source, pkcs12_problems=pkcs12_problems)
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
            inner_builder = _Builder(source, pkcs12_problems=pkcs12_problems)
            _load_binary(raw, inner_builder, password)
            inner = inner_builder.result(Container.BASE64)
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
