"""`mtls-doctor truststore`: every TRUSTSTORE_* and CERT_* finding, each produced by a bundle that
has the fault and absent from the clean bundle."""

from __future__ import annotations

import shlex
from collections.abc import Callable

import pytest

from tests.conftest import Run
from tests.pki_factory import (
    PKI,
    Issued,
    corrupt_signature,
    csr_pem,
    negative_serial_pem,
    p7b,
    p12,
    pem_bundle,
    pem_encode,
    private_key_pem,
    truncated_pem,
    with_duplicate_extension,
    with_non_utf8_subject,
)

ERRORS_AND_WARNINGS = ("error", "warning")


@pytest.fixture(scope="module")
def chain3() -> list[Issued]:
    """Root -> intermediate -> issuing CA, all RSA-2048/SHA-256, valid for months."""
    return PKI(key_offset=10).chain(3, prefix="Clean")


@pytest.fixture
def lint(cli: Callable[..., Run], write: Callable[[str, bytes], str]) -> Callable[..., Run]:
    def _lint(data: bytes, name: str = "truststore.pem", *extra: str) -> Run:
        return cli("truststore", write(name, data), *extra)

    return _lint


def serious(run: Run) -> list[str]:
    return [f["id"] for f in run.doc["findings"] if f["severity"] in ERRORS_AND_WARNINGS]


def test_clean_bundle_has_no_error_or_warning(lint, chain3):
    run = lint(pem_bundle(chain3))
    assert run.rc == 0, run.doc["findings"]
    assert serious(run) == []
    assert run.doc["summary"] == {"errors": 0, "warnings": 0, "info": 0}
    assert {c["status"] for c in run.doc["checks"]} == {"pass"}
    certs = run.doc["certificates"]
    assert [c["subject"] for c in certs] == ["CN=Clean Root", "CN=Clean Intermediate 1",
                                             "CN=Clean Intermediate 2"]
    assert [c["issuer_index"] for c in certs] == [None, 0, 1]


def test_clean_bundle_in_any_order_with_garbage_between(lint, chain3):
    run = lint(pem_bundle(list(reversed(chain3)), garbage=True, crlf=True))
    assert run.rc == 0
    assert serious(run) == []
    certs = run.doc["certificates"]
    assert [c["issuer_index"] for c in certs] == [1, 2, None]


@pytest.mark.parametrize(
    ("make", "word"),
    [
        (lambda certs: pem_bundle(certs, bom=True), "byte-order mark"),
        (lambda certs: pem_bundle(certs).decode().encode("utf-16"), "UTF-16"),
        (lambda certs: pem_bundle(certs, label="X509 CERTIFICATE"), "X509 CERTIFICATE"),
        (lambda certs: pem_bundle(certs).replace(b"\n", b" "), "one line"),
    ],
)
def test_pem_that_only_tolerant_parsers_read(lint, chain3, make, word):
    """It decodes (the chains are there) but API Gateway may not read it: a warning."""
    run = lint(make(chain3))
    found = run.findings("TRUSTSTORE_PEM_ENCODING")
    assert found and word in found[0]["detail"]
    assert found[0]["severity"] == "warning"
    assert len(run.doc["certificates"]) == 3
    assert "TRUSTSTORE_PEM_ENCODING" not in lint(pem_bundle(chain3)).ids()


def test_tree_is_drawn_in_text_mode(cli, write, chain3):
    run = cli("truststore", write("ts.pem", pem_bundle(chain3)), json_out=False)
    assert run.rc == 0
    lines = run.out.splitlines()
    root_line = next(i for i, ln in enumerate(lines) if ln.strip().startswith("CN=Clean Root"))
    assert "└── CN=Clean Intermediate 1" in lines[root_line + 1]
    assert "└── CN=Clean Intermediate 2" in lines[root_line + 2]
    assert lines[root_line + 2].index("└──") > lines[root_line + 1].index("└──")


@pytest.mark.parametrize("kind", ["der", "p7b", "p12"])
def test_not_pem(lint, chain3, kind):
    data = {"der": chain3[0].der,
            "p7b": p7b(chain3, pem=False),
            "p12": p12(chain3[2], password=None, extra=chain3[:2])}[kind]
    run = lint(data, f"truststore.{kind}")
    assert run.rc == 1
    [f] = run.findings("TRUSTSTORE_NOT_PEM")
    assert f["severity"] == "error"
    assert any("openssl" in c for c in f["fix"]["commands"])
    # the certificates are still decoded and linted
    assert run.doc["certificates"]


def test_pkcs12_truststore_also_reports_its_key(lint, chain3):
    run = lint(p12(chain3[2], password=None, extra=chain3[:2]), "ts.p12")
    assert "CERT_PRIVATE_KEY_PRESENT" in run.ids()


@pytest.mark.parametrize("data", [b"", b"\n\n  \n", b"no certificates here, just notes\n"])
def test_empty(lint, data):
    run = lint(data)
    assert run.rc == 1
    assert "TRUSTSTORE_EMPTY" in run.ids()
    assert run.doc["certificates"] == []


def test_duplicate(lint, chain3):
    run = lint(pem_bundle([*chain3, chain3[0]]))
    [f] = run.findings("TRUSTSTORE_DUPLICATE")
    assert f["severity"] == "warning"
    assert f["evidence"]["index"] == 3 and f["evidence"]["first_index"] == 0
    assert "certificate #4" in f["location"]
    assert run.rc == 0  # a duplicate is harmless: warning only


@pytest.mark.parametrize(
    ("opts", "finding_id", "severity"),
    [
        ({"expired": True}, "TRUSTSTORE_EXPIRED", "error"),
        ({"not_yet_valid": True}, "TRUSTSTORE_NOT_YET_VALID", "error"),
        ({"days_valid": 10}, "TRUSTSTORE_EXPIRES_SOON", "warning"),
        ({"hash": "sha1"}, "TRUSTSTORE_WEAK_SIGNATURE_HASH", "error"),
        ({"hash": "sha224"}, "TRUSTSTORE_WEAK_SIGNATURE_HASH", "error"),
        ({"key": "rsa1024"}, "TRUSTSTORE_WEAK_RSA_KEY", "error"),
        ({"key": "p521"}, "TRUSTSTORE_UNSUPPORTED_KEY", "error"),
        ({"key": "secp256k1"}, "TRUSTSTORE_UNSUPPORTED_KEY", "error"),
        ({"key": "ed25519"}, "TRUSTSTORE_UNSUPPORTED_KEY", "error"),
        ({"key": "dsa2048"}, "TRUSTSTORE_UNSUPPORTED_KEY", "error"),
    ],
)
def test_per_certificate_rules(lint, opts, finding_id, severity):
    pki = PKI(key_offset=20)
    root = pki.root("Rule Root")
    ica = pki.intermediate(root, "Rule Intermediate", **opts)
    run = lint(pem_bundle([root, ica]))
    found = run.findings(finding_id)
    assert len(found) == 1, run.ids()
    f = found[0]
    assert f["severity"] == severity
    assert f["subject"] == "CN=Rule Intermediate"
    assert f["location"].endswith("certificate #2 (line 2)") or "certificate #2" in f["location"]
    assert f["evidence"]["line"] is not None
    assert f["fix"]["commands"], "every finding carries commands to run"
    assert run.rc == (1 if severity == "error" else 0)


@pytest.mark.parametrize("key", ["rsa2048", "rsa4096", "p256", "p384"])
@pytest.mark.parametrize("hash_name", ["sha256", "sha384", "sha512"])
def test_allowed_algorithms_pass(lint, key, hash_name):
    pki = PKI(key_offset=30)
    root = pki.root("Algo Root", key=key, hash=hash_name)
    run = lint(pem_bundle([root]))
    assert run.doc["findings"] == []


def test_weak_root_signature_is_reported(lint):
    root = PKI(key_offset=40).root("SHA1 Root", hash="sha1")
    run = lint(pem_bundle([root]))
    assert run.ids() == ["TRUSTSTORE_WEAK_SIGNATURE_HASH"]
    assert "SHA1" in run.doc["findings"][0]["detail"]


def test_bad_signature_corrupted_copy(lint, chain3):
    run = lint(pem_bundle([chain3[0], corrupt_signature(chain3[1]), chain3[2]]))
    [f] = run.findings("TRUSTSTORE_BAD_SIGNATURE")
    assert f["subject"] == "CN=Clean Intermediate 1"
    assert f["evidence"]["issuer_index"] == 0
    assert run.rc == 1


def test_bad_signature_rekeyed_ca_names_the_key_ids(lint):
    pki = PKI(key_offset=50)
    old_root = pki.root("Rekeyed Root")
    new_root = pki.root("Rekeyed Root")  # same name, new key
    ica = pki.intermediate(new_root, "Under New Root")
    run = lint(pem_bundle([old_root, ica]))
    [f] = run.findings("TRUSTSTORE_BAD_SIGNATURE")
    assert "authority key id" in f["detail"] and "same name but another key" in f["detail"]
    # with both roots in the bundle the path through the new one is found
    run2 = lint(pem_bundle([old_root, new_root, ica]))
    assert "TRUSTSTORE_BAD_SIGNATURE" not in run2.ids()
    assert run2.doc["certificates"][2]["issuer_index"] == 1


def test_missing_issuer(lint, chain3):
    run = lint(pem_bundle(chain3[1:]))
    [f] = run.findings("TRUSTSTORE_MISSING_ISSUER")
    assert f["subject"] == "CN=Clean Intermediate 1"
    assert f["evidence"]["missing_issuer"] == "CN=Clean Root"
    assert f["evidence"]["authority_key_id"]
    assert run.rc == 1
    # the certificate below it is not reported a second time
    assert len(run.findings("TRUSTSTORE_MISSING_ISSUER")) == 1


def test_chain_of_four_cas_is_fine_five_is_too_long(lint):
    pki = PKI(key_offset=60)
    four = pki.chain(4, prefix="Four")
    assert "TRUSTSTORE_CHAIN_TOO_LONG" not in lint(pem_bundle(four)).ids()
    five = pki.chain(5, prefix="Five")
    run = lint(pem_bundle(five))
    [f] = run.findings("TRUSTSTORE_CHAIN_TOO_LONG")
    assert f["subject"] == "CN=Five Intermediate 4"
    assert "5 CA certificates" in f["detail"]


def test_not_ca_leaf_in_truststore_is_a_warning(lint, chain3):
    leaf = PKI(key_offset=10).leaf(chain3[2], "client.example.com")
    run = lint(pem_bundle([*chain3, leaf]))
    [f] = run.findings("TRUSTSTORE_NOT_CA")
    assert f["severity"] == "warning"
    assert f["subject"] == "CN=client.example.com"
    assert run.rc == 0


def test_not_ca_issuing_another_is_an_error(lint):
    pki = PKI(key_offset=70)
    root = pki.root("NotCA Root")
    fake_ca = pki.intermediate(root, "Fake CA", ca=False, key_usage=("digitalSignature",))
    under = pki.intermediate(fake_ca, "Under Fake")
    run = lint(pem_bundle([root, fake_ca, under]))
    found = run.findings("TRUSTSTORE_NOT_CA")
    assert [f["subject"] for f in found] == ["CN=Fake CA"]
    assert found[0]["severity"] == "error"


def test_ca_without_keycertsign_cannot_issue(lint):
    pki = PKI(key_offset=75)
    root = pki.root("KU Root")
    ica = pki.intermediate(root, "KU CA", key_usage=("cRLSign",))
    under = pki.intermediate(ica, "Under KU")
    run = lint(pem_bundle([root, ica, under]))
    [f] = run.findings("TRUSTSTORE_NOT_CA")
    assert "keyCertSign" in f["detail"]


def test_path_len_exceeded(lint):
    pki = PKI(key_offset=80)
    # pathLen 1 on the root: one intermediate CA may stand below it, whose clients validate
    root = pki.root("PL Root", path_len=1)
    ica1 = pki.intermediate(root, "PL One")
    ica2 = pki.intermediate(ica1, "PL Two")
    run = lint(pem_bundle([root, ica1]))
    assert run.ids() == []
    run = lint(pem_bundle([root, ica1, ica2]))
    [f] = run.findings("TRUSTSTORE_PATH_LEN_EXCEEDED")
    assert f["subject"] == "CN=PL Two"
    assert f["evidence"]["constraining_ca"] == "CN=PL Root"


def test_malformed_block_and_non_utf8_name(lint, chain3):
    bad_name = pem_encode(with_non_utf8_subject(chain3[2]))
    run = lint(pem_bundle([chain3[0], chain3[1]]) + truncated_pem(chain3[2]))
    [f] = run.findings("CERT_MALFORMED")
    assert "END" in f["detail"] and "certificate #3" in f["location"]
    run = lint(pem_bundle([chain3[0], chain3[1]]) + bad_name)
    [f] = run.findings("CERT_MALFORMED")
    assert "\\xff" in f["subject"]
    assert "UTF8String" in f["detail"]


def test_not_a_certificate(lint, chain3):
    run = lint(pem_bundle(chain3) + csr_pem("x.example.com"))
    [f] = run.findings("CERT_NOT_A_CERTIFICATE")
    assert "CSR" in f["detail"]
    assert "line" in f["location"]


def test_private_key_is_reported_never_shown(cli, write, chain3):
    key = private_key_pem("rsa2048")
    body = key.decode().splitlines()[1]  # a line of the key's base64
    path = write("ts.pem", pem_bundle(chain3) + key)
    for json_out in (True, False):
        run = cli("truststore", path, json_out=json_out)
        assert run.rc == 1
        assert body not in run.out and body not in run.err
    run = cli("truststore", path)
    [f] = run.findings("CERT_PRIVATE_KEY_PRESENT")
    assert f["severity"] == "error"


@pytest.mark.parametrize("make", ["duplicate_extension", "negative_serial", "v1_root"])
def test_nonstandard(lint, make):
    pki = PKI(key_offset=90)
    if make == "duplicate_extension":
        data = pem_encode(with_duplicate_extension(pki.root("Dup Root")))
        word = "twice"
    elif make == "negative_serial":
        data = negative_serial_pem()
        word = "serial"
    else:
        data = pki.v1_root("Old V1 Root").pem
        word = "version 1"
    run = lint(data)
    found = run.findings("CERT_NONSTANDARD")
    assert found and word in found[0]["detail"].lower()
    assert found[0]["severity"] == "warning"


def test_v1_root_counts_as_root_and_not_as_non_ca(lint):
    pki = PKI(key_offset=95)
    root = pki.v1_root("V1 Anchor")
    ica = pki.intermediate(root, "Under V1")
    run = lint(pem_bundle([root, ica]))
    assert "TRUSTSTORE_NOT_CA" not in run.ids()
    assert "TRUSTSTORE_MISSING_ISSUER" not in run.ids()
    assert run.doc["certificates"][1]["issuer_index"] == 0


def test_each_finding_names_its_certificate(lint, chain3):
    pki = PKI(key_offset=100)
    weak = pki.intermediate(chain3[0], "Weak One", key="rsa1024")
    run = lint(pem_bundle([*chain3, weak]))
    for f in run.doc["findings"]:
        assert f["subject"] and f["location"] and f["fix"]["summary"]
        assert f["walkthrough"] in ("truststore-warnings", "truststore-update")


def test_client_leaf_in_truststore_does_not_count_as_a_ca(lint):
    pki = PKI(key_offset=110)
    root = pki.root("Leaf Root")
    ica = pki.intermediate(root, "Leaf ICA", path_len=0)
    leaf = pki.leaf(ica, "pinned-client")
    run = lint(pem_bundle([root, ica, leaf]))
    assert "TRUSTSTORE_PATH_LEN_EXCEEDED" not in run.ids()
    four = pki.chain(4, prefix="FourLeaf")
    run = lint(pem_bundle([*four, pki.leaf(four[-1], "deep-client")]))
    assert "TRUSTSTORE_CHAIN_TOO_LONG" not in run.ids()


def test_key_rollover_certificate_is_not_a_bad_signature(lint):
    pki = PKI(key_offset=120)
    old = pki.root("Roll Root")
    link = pki.intermediate(old, "Roll Root", subject=old.cert.subject, key_obj=pki.new_key())
    run = lint(pem_bundle([old, link]))
    assert "TRUSTSTORE_BAD_SIGNATURE" not in run.ids()
    assert run.doc["certificates"][1]["issuer_index"] == 0


def test_cross_certified_loop_is_drawn_and_explained(cli, write):
    pki = PKI(key_offset=130)
    a_key, b_key = pki.new_key(), pki.new_key()
    seed_a = pki.root("Mesh A", key_obj=a_key)
    seed_b = pki.root("Mesh B", key_obj=b_key)
    a_by_b = pki.intermediate(seed_b, "Mesh A", key_obj=a_key)
    b_by_a = pki.intermediate(seed_a, "Mesh B", key_obj=b_key)
    path = write("mesh.pem", pem_bundle([a_by_b, b_by_a]))
    run = cli("truststore", path)
    [f, *_] = run.findings("TRUSTSTORE_MISSING_ISSUER")
    assert "loops" in f["detail"]
    text = cli("truststore", path, json_out=False).out
    assert "loop" in text and "CN=Mesh A" in text and "CN=Mesh B" in text


def test_unknown_critical_extension_is_nonstandard(lint):
    from cryptography import x509

    odd = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.2"), b"\x05\x00")
    root = PKI(key_offset=140).root("Odd Root", extra_extensions=[(odd, True)])
    [f] = lint(pem_bundle([root])).findings("CERT_NONSTANDARD")
    assert "1.3.6.1.4.1.55555.2" in f["detail"]


def test_fix_for_a_key_in_the_truststore_never_uploads_the_original(cli, write, chain3):
    path = write("with-key.pem", pem_bundle(chain3) + private_key_pem())
    [f] = cli("truststore", path).findings("CERT_PRIVATE_KEY_PRESENT")
    upload = [shlex.split(c) for c in f["fix"]["commands"] if c.startswith("aws s3api put-object")]
    assert upload and all(argv[argv.index("--body") + 1] == "with-key.certs.pem" for argv in upload)
    assert all(path not in argv for argv in upload)


def test_placeholders_in_commands_are_quoted(cli, write, chain3):
    """`<bucket>`, `<new-version-id>`, ... unquoted would be shell redirections."""
    import re

    pki = PKI(key_offset=150)
    weak = pki.intermediate(chain3[0], "Weak Quote", key="rsa1024")
    run = cli("truststore", write("ts.pem", pem_bundle([*chain3[1:], weak]) + private_key_pem()))
    commands = [c for f in run.doc["findings"] for c in f["fix"]["commands"]]
    assert any("<new-version-id>" in c for c in commands)
    for command in commands:
        unquoted = re.sub(r"'[^']*'|\"[^\"]*\"", "", command)
        assert not re.search(r"<[a-z][a-z-]*>", unquoted), command
