"""Just enough ASN.1 (BER/DER) to find element boundaries, undo indefinite lengths and read
names that `cryptography` refuses to decode. Every function is total: bad input raises
`DerError`, never anything else."""

from __future__ import annotations

from mtls_doctor.model.frozen import frozen

_MAX_DEPTH = 64
#: elements `element_end` and `ber_to_der` go through at most: real PKCS#7 and PKCS#12 files
#: hold a few thousand; a hostile 16 MiB file of tiny elements would otherwise keep the
#: interpreter busy for many seconds
MAX_BER_ELEMENTS = 200_000


class DerError(ValueError):
    """The bytes are not the BER/DER structure expected."""


@frozen
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


def element_end(data: bytes, offset: int = 0, _depth: int = 0,
                _budget: list[int] | None = None) -> int:
    """Offset just after the element at `offset`, following indefinite lengths (through at most
    `MAX_BER_ELEMENTS` elements: more raise DerError)."""
    if _depth > _MAX_DEPTH:
        raise DerError("nesting too deep")
    tlv = read_tlv(data, offset)
    if tlv.length is not None:
        return tlv.content_start + tlv.length
    if _budget is None:
        _budget = [MAX_BER_ELEMENTS]
    pos = tlv.content_start
    while True:
        if data[pos : pos + 2] == b"\x00\x00":
            return pos + 2
        _budget[0] -= 1
        if _budget[0] < 0:
            raise DerError(f"more than {MAX_BER_ELEMENTS} elements")
        pos = element_end(data, pos, _depth + 1, _budget)


def _encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def ber_to_der(data: bytes, offset: int = 0, _depth: int = 0,
               _budget: list[int] | None = None) -> bytes:
    """Re-encode one element so that every indefinite length becomes a definite one.

    Only lengths change; content bytes are kept. That is what BER PKCS#7 files from Java and
    Windows tools need before a DER parser reads them. More than `MAX_BER_ELEMENTS` elements
    raise DerError.
    """
    if _depth > _MAX_DEPTH:
        raise DerError("nesting too deep")
    if _budget is None:
        _budget = [MAX_BER_ELEMENTS]
    _budget[0] -= 1
    if _budget[0] < 0:
        raise DerError(f"more than {MAX_BER_ELEMENTS} elements")
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
        parts.append(ber_to_der(data, pos, _depth + 1, _budget))
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


def _tbs_fields(tbs: bytes, needed: int) -> list[Tlv]:
    """The fields of a TBSCertificate after its version (serial, signature, issuer, validity,
    subject, subjectPublicKeyInfo, ...), at least `needed` of them."""
    fields = children(tbs, read_tlv(tbs))
    if fields and fields[0].tag == 0xA0:  # explicit version
        fields = fields[1:]
    if len(fields) < needed:
        raise DerError("TBSCertificate has too few fields")
    return fields


def raw_names(tbs: bytes) -> tuple[str, str]:
    """(issuer, subject) of a TBSCertificate as text, even when their strings are invalid."""
    fields = _tbs_fields(tbs, 5)
    return _name_text(tbs, fields[2]), _name_text(tbs, fields[4])


def ec_explicit_parameters(tbs: bytes) -> bool:
    """Whether the TBSCertificate's public key is an EC key given with explicit curve
    parameters (a SEQUENCE where RFC 5480 wants a named-curve OID)."""
    spki = children(tbs, _tbs_fields(tbs, 6)[5])
    algorithm = children(tbs, spki[0]) if spki else []
    if len(algorithm) < 2 or algorithm[0].length is None:
        return False
    oid = tbs[algorithm[0].content_start:algorithm[0].content_start + algorithm[0].length]
    return oid == _EC_PUBLIC_KEY and algorithm[1].tag == 0x30


#: id-ecPublicKey, 1.2.840.10045.2.1
_EC_PUBLIC_KEY = bytes.fromhex("2a8648ce3d0201")


# --- PKCS#12 iteration counts (RFC 7292, RFC 8018, RFC 9579) -----------------------------------

_PKCS12_OIDS = {
    "data": bytes.fromhex("2a864886f70d010701"),
    "encryptedData": bytes.fromhex("2a864886f70d010706"),
    "shroudedKeyBag": bytes.fromhex("2a864886f70d010c0a0102"),
    "safeContentsBag": bytes.fromhex("2a864886f70d010c0a0106"),
    "pbes2": bytes.fromhex("2a864886f70d01050d"),
    "pbkdf2": bytes.fromhex("2a864886f70d01050c"),
    "pbmac1": bytes.fromhex("2a864886f70d01050e"),
    "scrypt": bytes.fromhex("2b06010401da47040b"),
}
#: PBES1 (RFC 8018 A.3: pbeWithMD2AndDES-CBC ... pbeWithSHA1AndRC2-CBC) and the PKCS#12 PBE
#: algorithms (RFC 7292 Appendix C): both carry SEQUENCE { salt, iterationCount }
_PBES1_PREFIX = bytes.fromhex("2a864886f70d0105")
_PKCS12_PBE_PREFIX = bytes.fromhex("2a864886f70d010c01")
#: elements a PKCS#12 walk may visit: real files hold a few dozen
_MAX_ELEMENTS = 20_000


class _Walk:
    """A walk over DER `data` that counts the elements it visits (a plain class: a dataclass
    compiles its methods at start-up)."""

    def __init__(self, data: bytes, visited: int = 0) -> None:
        self.data = data
        self.visited = visited

    def kids(self, tlv: Tlv) -> list[Tlv]:
        out = children(self.data, tlv)
        self.visited += len(out)
        if self.visited > _MAX_ELEMENTS:
            raise DerError(f"more than {_MAX_ELEMENTS} elements")
        return out

    def content(self, tlv: Tlv) -> bytes:
        assert tlv.length is not None
        return self.data[tlv.content_start : tlv.content_start + tlv.length]

    def octets(self, tlv: Tlv) -> bytes:
        """An OCTET STRING's bytes, also when BER splits it into pieces (constructed)."""
        if tlv.tag == 0x04:
            return self.content(tlv)
        if tlv.tag in (0x24, 0xA0):
            return b"".join(self.octets(k) for k in self.kids(tlv))
        raise DerError("expected an OCTET STRING")

    def integer(self, tlv: Tlv) -> int:
        if tlv.tag != 0x02:
            raise DerError("expected an INTEGER")
        return int.from_bytes(self.content(tlv), "big", signed=True)


def _iterations_of(w: _Walk, alg: Tlv, what: str) -> list[tuple[str, int]]:
    """Iteration counts an AlgorithmIdentifier asks for (PBES1, PKCS#12 PBE, PBES2 with PBKDF2
    or scrypt, PBMAC1); none for an algorithm without a key derivation."""
    parts = w.kids(alg)
    if not parts or parts[0].tag != 0x06:
        raise DerError("expected an AlgorithmIdentifier")
    oid = w.content(parts[0])
    params = parts[1] if len(parts) > 1 else None
    if oid in (_PKCS12_OIDS["pbes2"], _PKCS12_OIDS["pbmac1"]):
        if params is None:
            raise DerError("PBES2/PBMAC1 without parameters")
        kdf = w.kids(params)[0]
        return _iterations_of(w, kdf, what)
    if params is None:
        return []
    if oid == _PKCS12_OIDS["pbkdf2"]:
        return [(f"{what} (PBKDF2)", w.integer(w.kids(params)[1]))]
    if oid == _PKCS12_OIDS["scrypt"]:
        fields = w.kids(params)  # salt, N (cost), r (block size), p (parallelisation)
        cost, parallel = w.integer(fields[1]), w.integer(fields[3])
        return [(f"{what} (scrypt N x p)", cost * max(parallel, 1))]
    if oid.startswith((_PBES1_PREFIX, _PKCS12_PBE_PREFIX)) and len(oid) == len(_PBES1_PREFIX) + 1 + (
            oid.startswith(_PKCS12_PBE_PREFIX)):
        label = "PKCS#12 PBE" if oid.startswith(_PKCS12_PBE_PREFIX) else "PBES1"
        return [(f"{what} ({label})", w.integer(w.kids(params)[1]))]
    return []


def _safe_contents(w: _Walk, data: bytes, depth: int) -> list[tuple[str, int]]:
    if depth > 8:
        raise DerError("SafeContents nested too deep")
    inner = _Walk(data, w.visited)
    out: list[tuple[str, int]] = []
    for bag in inner.kids(read_tlv(data)):
        parts = inner.kids(bag)
        if len(parts) < 2 or parts[0].tag != 0x06:
            raise DerError("malformed SafeBag")
        bag_id, value = inner.content(parts[0]), inner.kids(parts[1])[0]
        if bag_id == _PKCS12_OIDS["shroudedKeyBag"]:
            out += _iterations_of(inner, inner.kids(value)[0], "the encrypted private key")
        elif bag_id == _PKCS12_OIDS["safeContentsBag"]:
            out += _safe_contents(inner, inner.data[value.start : element_end(inner.data,
                                                                           value.start)],
                                  depth + 1)
    w.visited = inner.visited
    return out


def pkcs12_iterations(data: bytes) -> list[tuple[str, int]]:
    """Every MAC and key-derivation iteration count a PKCS#12 file shows before decryption:
    the MAC's (or PBMAC1's PBKDF2), each encrypted content's, and each shrouded key bag's that
    is not itself inside encrypted content. Raises DerError when the structure cannot be read.

    OpenSSL runs whatever count a file names (2**31-1 MAC iterations take minutes), so these
    are checked before the file is handed to it.
    """
    data = ber_to_der(data)  # Java and Windows write PKCS#12 in BER (indefinite lengths)
    w = _Walk(data)
    pfx = w.kids(read_tlv(data))
    if len(pfx) < 2:
        raise DerError("PFX has too few fields")
    out: list[tuple[str, int]] = []
    if len(pfx) > 2:  # macData: DigestInfo, macSalt, iterations DEFAULT 1
        mac = w.kids(pfx[2])
        digest_alg = w.kids(mac[0])[0]
        out += _iterations_of(w, digest_alg, "the MAC")
        if not out:
            out.append(("the MAC", w.integer(mac[2]) if len(mac) > 2 else 1))
    auth_safe = w.kids(pfx[1])
    if len(auth_safe) < 2 or w.content(auth_safe[0]) != _PKCS12_OIDS["data"]:
        return out  # public-key integrity mode (signedData): nothing derived from a password
    safes = w.octets(w.kids(auth_safe[1])[0])
    inner = _Walk(safes, w.visited)
    for info in inner.kids(read_tlv(safes)):
        parts = inner.kids(info)
        kind = inner.content(parts[0])
        if len(parts) < 2:
            continue
        body = inner.kids(parts[1])[0]
        if kind == _PKCS12_OIDS["data"]:
            out += _safe_contents(inner, inner.octets(body), 0)
        elif kind == _PKCS12_OIDS["encryptedData"]:
            enc_info = inner.kids(body)[1]  # version, EncryptedContentInfo
            alg = inner.kids(enc_info)[1]  # contentType, contentEncryptionAlgorithm, content
            out += _iterations_of(inner, alg, "the encrypted certificates")
    return out


def pkcs8_iterations(data: bytes) -> list[tuple[str, int]]:
    """The key-derivation iteration count of a PKCS#8 EncryptedPrivateKeyInfo (RFC 5958:
    SEQUENCE { AlgorithmIdentifier, OCTET STRING }); none for anything else (a plain key)."""
    w = _Walk(data)
    parts = w.kids(read_tlv(data))
    if len(parts) != 2 or parts[0].tag != 0x30 or parts[1].tag != 0x04:
        return []
    return _iterations_of(w, parts[0], "the encrypted private key")
