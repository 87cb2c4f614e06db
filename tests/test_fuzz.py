"""Property tests: whatever bytes arrive, loading and describing never crash, and the small
BER/DER reader only ever raises `DerError`."""

from __future__ import annotations

import base64
import contextlib
import functools
import re

import pytest
from cryptography import x509
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mtls_doctor.model.certificate import Container
from mtls_doctor.pki import der as asn1
from mtls_doctor.pki.describe import describe
from mtls_doctor.pki.hostname import HostnameError, match_hostname, normalise_host
from mtls_doctor.pki.load import (
    LoadedFile,
    Pkcs12PasswordError,
    Pkcs12RefusedError,
    load_certificates,
)
from tests.pki_factory import NOW, PKI, p7b, p7b_ber_indefinite, p12, pem_bundle

pytestmark = [
    pytest.mark.filterwarnings("ignore:PKCS#7 certificates could not be parsed:UserWarning"),
    pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning"),
]

_BEGIN_LINE = re.compile(rb"-----BEGIN [A-Z0-9 #]+-----")
FUZZ = settings(max_examples=200, deadline=None, database=None)
PASSWORD = b"fuzz-pass"


@functools.cache
def seeds() -> dict[str, bytes]:
    """Valid inputs of every container to mutate (built once; pooled keys make this cheap)."""
    pki = PKI(key_offset=40)
    root = pki.root("Fuzz Root")
    ica = pki.intermediate(root, "Fuzz Intermediate", key="p256")
    leaf = pki.leaf(ica, "fuzz.example.com", key="ed25519",
                    sans=("DNS:fuzz.example.com", "DNS:*.fuzz.example.com", "IP:10.0.0.1"))
    return {
        "pem": pem_bundle([root, ica, leaf], garbage=True, headers=True),
        "der": ica.der,
        "der_rsa": root.der,
        "p7b": p7b([leaf, ica, root], pem=False),
        "p7b_ber": p7b_ber_indefinite([leaf, ica, root]),
        "p12": p12(leaf, password=PASSWORD, extra=[ica]),
        "p12_open": p12(leaf, password=None),
    }


_OPS = st.lists(
    st.tuples(st.sampled_from(("flip", "insert", "delete", "truncate", "set")),
              st.integers(0, 1 << 16), st.integers(0, 255)),
    min_size=1, max_size=8,
)


def mutate(data: bytes, ops: list[tuple[str, int, int]]) -> bytes:
    buf = bytearray(data)
    for op, where, value in ops:
        if not buf:
            buf.append(value)
            continue
        i = where % len(buf)
        if op == "flip":
            buf[i] ^= 1 << (value % 8)
        elif op == "insert":
            buf.insert(i, value)
        elif op == "delete":
            del buf[i]
        elif op == "truncate":
            del buf[i:]
        else:
            buf[i] = value
    return bytes(buf)


def load_and_describe(data: bytes, password: bytes | None = None) -> LoadedFile:
    """Load, describe every entry, and check the invariants that must hold for any input."""
    loaded = load_certificates(data, "fuzz.bin", password=password)
    assert isinstance(loaded.container, Container)
    for i, lc in enumerate(loaded.certificates):
        assert lc.position.index == i
        assert lc.ok == (lc.cert is not None and lc.error is None)
        s = describe(lc, NOW)
        assert s.index == i
        assert (s.malformed is None) == lc.ok
        assert len(s.sha256_fingerprint) == (95 if lc.der else 0)
        assert s.subject and s.issuer
    if loaded.container is Container.EMPTY:
        assert loaded.certificates == () and loaded.problems == ()
    if loaded.container is Container.UNKNOWN:
        assert loaded.certificates == () and loaded.problems
    return loaded


# ------------------------------------------------------------------------------------------
# mutated valid inputs
# ------------------------------------------------------------------------------------------


@FUZZ
@given(ops=_OPS)
def test_mutated_pem_bundle(ops) -> None:
    load_and_describe(mutate(seeds()["pem"], ops))


@FUZZ
@given(ops=_OPS, which=st.sampled_from(("der", "der_rsa")))
def test_mutated_der_certificate(ops, which: str) -> None:
    load_and_describe(mutate(seeds()[which], ops))


@FUZZ
@given(ops=_OPS, which=st.sampled_from(("p7b", "p7b_ber")))
def test_mutated_pkcs7(ops, which: str) -> None:
    load_and_describe(mutate(seeds()[which], ops))


@FUZZ
@given(ops=_OPS, which=st.sampled_from(("p12", "p12_open")),
       password=st.sampled_from((PASSWORD, None)))
def test_mutated_pkcs12(ops, which: str, password: bytes | None) -> None:
    try:
        load_and_describe(mutate(seeds()[which], ops), password)
    except (Pkcs12PasswordError, Pkcs12RefusedError) as exc:  # one line, exit 2
        text = str(exc)
        assert "fuzz.bin" in text
        assert PASSWORD.decode() not in text


@FUZZ
@given(ops=_OPS)
def test_mutated_base64_certificate(ops) -> None:
    load_and_describe(mutate(base64.b64encode(seeds()["der"]), ops))


# ------------------------------------------------------------------------------------------
# arbitrary input
# ------------------------------------------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=4096))
def test_arbitrary_binary(data: bytes) -> None:
    load_and_describe(data)


@FUZZ
@given(data=st.binary(max_size=2048))
def test_arbitrary_binary_starting_like_der(data: bytes) -> None:
    load_and_describe(b"\x30" + data)


@FUZZ
@given(text=st.text(max_size=2000), encoding=st.sampled_from(("utf-8", "utf-16", "latin-1")))
def test_arbitrary_text(text: str, encoding: str) -> None:
    load_and_describe(text.encode(encoding, errors="replace"))


_PEM_PIECES = st.sampled_from([
    "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----", "-----BEGIN PKCS7-----",
    "-----END PKCS7-----", "-----BEGIN TRUSTED CERTIFICATE-----", "-----BEGIN PRIVATE KEY-----",
    "-----END PRIVATE KEY-----", "-----BEGIN X509 CRL-----", "-----END X509 CRL-----",
    "Proc-Type: 4,ENCRYPTED", "Bag Attributes", "MIIB", "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A", "====",
    "\n", "\r\n", " ", "\x85", "\x0c", "\ufeff",
])


@FUZZ
@given(pieces=st.lists(st.one_of(_PEM_PIECES, st.text(max_size=12)), max_size=40))
def test_pem_like_text(pieces: list[str]) -> None:
    load_and_describe("".join(pieces).encode("utf-8", errors="replace"))


@FUZZ
@given(pieces=st.lists(st.sampled_from(("cert", "text", "cut")), max_size=6), data=st.data())
def test_pem_blocks_in_any_order(pieces: list[str], data: st.DataObject) -> None:
    """Good blocks, truncated blocks and text in any order: every good block is found, every
    truncated one is an error entry, each at its BEGIN line."""
    pem = seeds()["pem"]
    block = pem[pem.index(b"-----BEGIN") : pem.index(b"-----END CERTIFICATE-----") + 26]
    out, good, cut = b"", 0, 0
    for piece in pieces:
        if piece == "cert":
            out += block
            good += 1
        elif piece == "text":
            out += data.draw(st.text(alphabet="abc xyz:=\n", max_size=30)).encode() + b"\n"
        else:
            size = data.draw(st.integers(11, len(block) - 30))
            out += block[:size] + b"\n"
            cut += size >= len(b"-----BEGIN CERTIFICATE-----")
    loaded = load_and_describe(out)
    assert sum(c.ok for c in loaded.certificates) == good
    # the same broken block is kept KEEP_SAME times, then counted (with its lines)
    counted = [p for p in loaded.problems if p.certificate_blocks]
    assert len(loaded.certificates) + sum(p.count for p in counted) == good + cut
    begins = [n for n, ln in enumerate(out.splitlines(), start=1) if _BEGIN_LINE.match(ln)]
    lines = [c.position.line for c in loaded.certificates] + [n for p in counted for n in p.lines]
    assert sorted(n for n in lines if n is not None) == begins
    if good + cut:
        assert loaded.container is Container.PEM


# ------------------------------------------------------------------------------------------
# der: only DerError escapes; BER -> DER is right on well-formed trees
# ------------------------------------------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=512), offset=st.integers(0, 520))
def test_der_functions_raise_only_der_error(data: bytes, offset: int) -> None:
    for fn in (asn1.element_end, asn1.ber_to_der):
        try:
            result = fn(data, offset)
        except asn1.DerError:
            continue
        if fn is asn1.element_end:
            assert isinstance(result, int) and offset < result <= len(data)
    with contextlib.suppress(asn1.DerError):
        asn1.raw_names(data)


@FUZZ
@given(ops=_OPS)
def test_raw_names_on_mutated_tbs(ops) -> None:
    """raw_names is documented as total too: only DerError, on any TBSCertificate bytes."""
    cert = x509.load_der_x509_certificate(seeds()["der"])
    try:
        issuer, subject = asn1.raw_names(mutate(cert.tbs_certificate_bytes, ops))
    except asn1.DerError:
        return
    assert isinstance(issuer, str) and isinstance(subject, str)


@FUZZ
@given(ops=_OPS)
def test_der_functions_on_mutated_ber_pkcs7(ops) -> None:
    data = mutate(seeds()["p7b_ber"], ops)
    try:
        end = asn1.element_end(data)
    except asn1.DerError:
        end = None
    try:
        der = asn1.ber_to_der(data)
    except asn1.DerError:
        return
    assert end is not None  # what converts must also have an end
    assert asn1.element_end(der) == len(der)


def _ber_tree():
    primitive = st.tuples(st.sampled_from((0x02, 0x04, 0x06, 0x0C, 0x80)), st.binary(max_size=150))
    return st.recursive(
        primitive,
        lambda kids: st.tuples(st.sampled_from((0x30, 0x31, 0xA0, 0xA3)), st.lists(kids, max_size=4),
                               st.booleans(), st.booleans()),
        max_leaves=20,
    )


def _depth(node) -> int:
    return 1 if len(node) == 2 else 1 + max((_depth(k) for k in node[1]), default=0)


def _length(n: int, long_form: bool = False) -> bytes:
    if n < 0x80 and not long_form:
        return bytes([n])
    raw = n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big")
    return bytes([0x80 | len(raw)]) + raw


def _encode(node, *, ber: bool) -> bytes:
    if len(node) == 2:
        tag, content = node
        return bytes([tag]) + _length(len(content)) + content
    tag, kids, indefinite, long_form = node
    content = b"".join(_encode(k, ber=ber) for k in kids)
    if ber and indefinite:
        return bytes([tag, 0x80]) + content + b"\x00\x00"
    return bytes([tag]) + _length(len(content), long_form and ber) + content


@FUZZ
@given(tree=_ber_tree())
def test_ber_to_der_on_generated_trees(tree) -> None:
    assume(_depth(tree) < 60)  # deeper nesting is refused by design
    ber, der = _encode(tree, ber=True), _encode(tree, ber=False)
    assert asn1.element_end(ber) == len(ber)
    assert asn1.ber_to_der(ber) == der
    assert asn1.ber_to_der(der) == der  # idempotent
    assert asn1.element_end(ber + b"trailing") == len(ber)


# ------------------------------------------------------------------------------------------
# host names: only HostnameError
# ------------------------------------------------------------------------------------------


@functools.cache
def _host_cert():
    pki = PKI(key_offset=41)
    root = pki.root("Fuzz Host Root", key="p256")
    return pki.leaf(root, "h.example.com", key="p256",
                    sans=("DNS:h.example.com", "DNS:*.example.com", "DNS:xn--bcher-kva.example.com",
                          "IP:10.0.0.1", "IP:2001:db8::1")).cert


@FUZZ
@given(host=st.one_of(st.text(max_size=80),
                      st.from_regex(r"\A[a-zA-Z0-9*.\-\[\]:üß]{0,40}\Z")))
def test_hostname_raises_only_hostname_error(host: str) -> None:
    try:
        normalise_host(host)
    except HostnameError:
        with pytest.raises(HostnameError):
            match_hostname(_host_cert(), host)
        return
    m = match_hostname(_host_cert(), host)
    assert m.host == host
    assert m.matches == (m.matched_by is not None)
