"""The client certificate a log line names: decoded from its PEM when the line carries one (the
only form a verdict can be predicted from), else named by the subject, issuer and serial the
line gives. Nothing is made up: a PEM that does not decode is not a certificate, and a line
with neither a PEM nor a subject names no certificate."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from mtls_doctor.model.certificate import CertSummary
from mtls_doctor.pki.describe import describe
from mtls_doctor.pki.load import LoadedFile, load_certificates
from mtls_doctor.traffic import logformat as v

_BEGIN, _END = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
#: what may stand between the base64 lines of a logged PEM: newlines, spaces, `\n` escapes
_GAPS = re.compile(r"(?:\\r|\\n|\s)+")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
#: the largest PEM read from one line (a client certificate is a few KiB)
MAX_PEM = 65_536
#: how API Gateway writes validity dates (`May 28 12:30:02 2019 GMT`), and ISO forms
_DATE_FORMATS = ("%b %d %H:%M:%S %Y %Z", "%b %d %H:%M:%S %Y", "%Y-%m-%dT%H:%M:%SZ",
                 "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d")


def normalise_pem(text: str | None) -> bytes | None:
    """The logged PEM as a PEM file (one certificate, 64-column base64), or None when the text
    holds no whole PEM block of a certificate."""
    if not text or len(text) > MAX_PEM:
        return None
    start = text.find(_BEGIN)
    stop = text.find(_END, start + len(_BEGIN)) if start >= 0 else -1
    if start < 0 or stop < 0:
        return None
    body = _GAPS.sub("", text[start + len(_BEGIN):stop])
    if not body or not _BASE64.fullmatch(body):
        return None
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return ("\n".join([_BEGIN, *lines, _END]) + "\n").encode("ascii")


def parse_date(text: str | None) -> datetime | None:
    """A validity date as API Gateway logs it, in UTC; None when it is not one."""
    if not text:
        return None
    squashed = " ".join(text.split())
    for form in _DATE_FORMATS:
        try:
            dt = datetime.strptime(squashed, form)
        except ValueError:
            continue
        return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    return None


@dataclass(frozen=True)
class Decoded:
    """A certificate decoded from a logged PEM: the file it makes (for the verdict) and its
    description."""

    file: LoadedFile
    summary: CertSummary


def decode(pem: bytes, at: datetime, source: str = "access log") -> Decoded | None:
    """The certificate of a normalised PEM, or None when it does not parse as one."""
    loaded = load_certificates(pem, source)
    if len(loaded.certificates) != 1:
        return None
    lc = loaded.certificates[0]
    if not lc.ok or lc.cert is None:
        return None
    summary = describe(lc, at)
    if summary.malformed:
        return None
    return Decoded(loaded, summary)


@dataclass(frozen=True)
class Named:
    """A certificate as the log's own fields name it (no PEM): subject, issuer, serial and
    validity as logged."""

    subject: str
    issuer: str | None
    serial: str | None
    not_before: datetime | None
    not_after: datetime | None

    @property
    def key(self) -> str:
        """What tells two such certificates apart: issuer and serial, else the subject too."""
        return "\0".join((self.subject, self.issuer or "", (self.serial or "").lower()))


def named(values: dict[str, str | None]) -> Named | None:
    """The certificate the line's fields name, or None when it names none (no subject)."""
    subject = values.get(v.SUBJECT)
    if not subject:
        return None
    return Named(subject, values.get(v.ISSUER), values.get(v.SERIAL),
                 parse_date(values.get(v.NOT_BEFORE)), parse_date(values.get(v.NOT_AFTER)))
