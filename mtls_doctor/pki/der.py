"""Just enough ASN.1 (BER/DER) to find element boundaries, undo indefinite lengths and read
names that `cryptography` refuses to decode. Every function is total: bad input raises
`DerError`, never anything else."""

from __future__ import annotations

from dataclasses import dataclass

_MAX_DEPTH = 64


class DerError(ValueError):
    """The bytes are not the BER/DER structure expected."""


@dataclass(frozen=True)
class Tlv:
    """One element: tag byte(s), where its content starts, and its content length (None: indefinite)."""

    tag: int
    constructed: bool
    start: int
    content_start: int
    length: int | None


def read_tlv(data: bytes, offset: int = 0) -> Tlv:
    """Read the header of the element at `offset`."""
    if offset >= len(data):
        raise DerError("unexpected end of data")
    first = data[offset]
    pos = offset + 1
    tag = first
    if first & 0x1F == 0x1F:  # high tag number form
        tag = 0
        while True:
            if pos >= len(data):
                raise DerError("truncated tag")
            b = data[pos]
            pos += 1
            tag = (tag << 7) | (b & 0x7F)
            if not b & 0x80:
                break
            if tag > 1 << 28:
                raise DerError("tag too large")
    if pos >= len(data):
        raise DerError("truncated length")
    lb = data[pos]
    pos += 1
    length: int | None
    if lb < 0x80:
        length = lb
    elif lb == 0x80:
        if not first & 0x20:
            raise DerError("indefinite length on a primitive element")
        length = None
    else:
        n = lb & 0x7F
        if n > 4 or pos + n > len(data):
            raise DerError("bad length")
        length = int.from_bytes(data[pos : pos + n], "big")
        pos += n
    if length is not None and pos + length > len(data):
        raise DerError("element runs past the end of the data")
    return Tlv(first, bool(first & 0x20), offset, pos, length)


def element_end(data: bytes, offset: int = 0, _depth: int = 0) -> int:
    """Offset just after the element at `offset`, following indefinite lengths."""
    if _depth > _MAX_DEPTH:
        raise DerError("nesting too deep")
    tlv = read_tlv(data, offset)
    if tlv.length is not None:
        return tlv.content_start + tlv.length
    pos = tlv.content_start
    while True:
        if data[pos : pos + 2] == b"\x00\x00":
            return pos + 2
        pos = element_end(data, pos, _depth + 1)


def _encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def ber_to_der(data: bytes, offset: int = 0, _depth: int = 0) -> bytes:
    """Re-encode one element so that every indefinite length becomes a definite one.

    Only lengths change; content bytes are kept. That is what BER PKCS#7 files from Java and
    Windows tools need before a DER parser reads them.
    """
    if _depth > _MAX_DEPTH:
        raise DerError("nesting too deep")
    tlv = read_tlv(data, offset)
    tag_end = offset + 1
    if data[offset] & 0x1F == 0x1F:  # multi-byte tag: continuation bits, then the last byte
        while data[tag_end] & 0x80:
            tag_end += 1
        tag_end += 1
    tag_bytes = data[offset:tag_end]
    if not tlv.constructed:
        assert tlv.length is not None
        content = data[tlv.content_start : tlv.content_start + tlv.length]
        return tag_bytes + _encode_length(len(content)) + content
    parts: list[bytes] = []
    pos = tlv.content_start
    end = None if tlv.length is None else tlv.content_start + tlv.length
    while True:
        if end is None:
            if data[pos : pos + 2] == b"\x00\x00":
                break
        elif pos >= end:
            break
        child_end = element_end(data, pos, _depth + 1)
        parts.append(ber_to_der(data, pos, _depth + 1))
        pos = child_end
    content = b"".join(parts)
    return tag_bytes + _encode_length(len(content)) + content


def children(data: bytes, tlv: Tlv) -> list[Tlv]:
    """The elements directly inside a definite-length constructed element."""
    if tlv.length is None:
        raise DerError("indefinite length")
    out = []
    pos, end = tlv.content_start, tlv.content_start + tlv.length
    while pos < end:
        child = read_tlv(data, pos)
        out.append(child)
        pos = element_end(data, pos)
    return out


_ATTR_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.5": "serialNumber",
    "0.9.2342.19200300.100.1.25": "DC",
    "1.2.840.113549.1.9.1": "emailAddress",
}


def _oid_text(raw: bytes) -> str:
    if not raw:
        return "?"
    arcs = [raw[0] // 40, raw[0] % 40] if raw[0] < 80 else [2, raw[0] - 80]
    value = 0
    for b in raw[1:]:
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(value)
            value = 0
    dotted = ".".join(str(a) for a in arcs)
    return _ATTR_NAMES.get(dotted, dotted)


def _name_text(data: bytes, name: Tlv) -> str:
    """RFC 4514-like text of a Name, most specific RDN first; bad bytes shown as \\xNN."""
    rdns = []
    for rdn in children(data, name):
        attrs = []
        for atv in children(data, rdn):
            parts = children(data, atv)
            if len(parts) < 2:
                raise DerError("malformed AttributeTypeAndValue")
            oid, value = parts[0], parts[1]
            if oid.length is None or value.length is None:
                raise DerError("indefinite length inside a Name")
            raw_oid = data[oid.content_start : oid.content_start + oid.length]
            raw_value = data[value.content_start : value.content_start + value.length]
            if value.tag == 0x1E:  # BMPString
                text = raw_value.decode("utf-16-be", errors="backslashreplace")
            else:
                text = raw_value.decode("utf-8", errors="backslashreplace")
            attrs.append(f"{_oid_text(raw_oid)}={text}")
        rdns.append("+".join(attrs))
    return ",".join(reversed(rdns))


def raw_names(tbs: bytes) -> tuple[str, str]:
    """(issuer, subject) of a TBSCertificate as text, even when their strings are invalid."""
    top = read_tlv(tbs)
    fields = children(tbs, top)
    if fields and fields[0].tag == 0xA0:  # explicit version
        fields = fields[1:]
    if len(fields) < 5:
        raise DerError("TBSCertificate has too few fields")
    return _name_text(tbs, fields[2]), _name_text(tbs, fields[4])
