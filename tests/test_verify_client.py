"""`mtls-doctor verify-client`: every verdict reason and every CLIENT_* finding, each produced
by a fault and absent when the client is good."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import Run
from tests.pki_factory import (
    PKI,
    Issued,
    corrupt_signature,
    p12,
    pem_bundle,
    pem_encode,
    with_non_utf8_subject,
)


@pytest.fixture(scope="module")
def ca() -> list[Issued]:
    return PKI(key_offset=200).chain(3, prefix="Client")


@pytest.fixture(scope="module")
def good(ca) -> Issued:
    return PKI(key_offset=200).leaf(ca[2], "device-1")


@pytest.fixture
def verify(cli: Callable[..., Run], write: Callable[[str, bytes], str]) -> Callable[..., Run]:
    def _verify(cert: bytes, truststore: bytes, *extra: str, key: bytes | None = None,
                chain: bytes | None = None, json_out: bool = True) -> Run:
        args = ["verify-client", "--cert", write("client.pem", cert),
                "--truststore", write("truststore.pem", truststore)]
        if key is not None:
            args += ["--key", write("client.key", key)]
        if chain is not None:
            args += ["--chain", write("chain.pem", chain)]
        return cli(*args, *extra, json_out=json_out)

    return _verify


def verdict(run: Run) -> dict:
    return run.doc["verdict"]


def test_accepted(verify, ca, good):
    run = verify(good.pem, pem_bundle(ca), key=good.key_pem())
    assert run.rc == 0, run.doc["findings"]
    v = verdict(run)
    assert v == {**v, "accepted": True, "reason": "OK"}
    assert v["path"] == ["CN=device-1", "CN=Client Intermediate 2", "CN=Client Intermediate 1",
                         "CN=Client Root"]
    assert run.doc["findings"] == []
    # every check passes but revocation, which is asked for only with --revocation
    checks = {c["id"]: c["status"] for c in run.doc["checks"]}
    assert checks.pop("client.revocation") == "skip"
    assert set(checks.values()) == {"pass"}


def test_accepted_text_output(verify, ca, good):
    run = verify(good.pem, pem_bundle(ca), json_out=False)
    assert "Verdict: ACCEPTED" in run.out
    assert "CN=device-1 → CN=Client Intermediate 2" in run.out


def test_issuer_not_in_truststore(verify, ca, good):
    run = verify(good.pem, pem_bundle(ca[:2]))
    assert run.rc == 1
    v = verdict(run)
    assert (v["accepted"], v["reason"]) == (False, "ISSUER_NOT_IN_TRUSTSTORE")
    assert "CN=Client Intermediate 2" in v["detail"]
    [f] = run.findings("CLIENT_REJECTED")
    assert f["evidence"]["reason"] == "ISSUER_NOT_IN_TRUSTSTORE"
    assert f["walkthrough"] == "client-rejected"
    assert any(c.startswith("aws apigateway update-domain-name") for c in f["fix"]["commands"])


def test_truststore_without_root_rejects_even_with_issuer(verify, ca, good):
    """API Gateway needs the whole chain up to a root inside the truststore."""
    run = verify(good.pem, pem_bundle(ca[1:]))
    v = verdict(run)
    assert v["reason"] == "ISSUER_NOT_IN_TRUSTSTORE"
    assert "CN=Client Root" in v["detail"]


def test_self_signed_client(verify, ca):
    me = PKI(key_offset=210).self_signed_leaf("lonely.example.com")
    v = verdict(verify(me.pem, pem_bundle(ca)))
    assert v["reason"] == "ISSUER_NOT_IN_TRUSTSTORE"
    assert "self-signed" in v["detail"]
    # a self-signed client certificate that is itself in the truststore is accepted
    run = verify(me.pem, pem_bundle([*ca, me]))
    assert verdict(run)["accepted"] is True


def test_chain_sent_by_client_is_ignored_but_named(verify, ca, good):
    run = verify(good.pem + ca[2].pem, pem_bundle(ca[:2]))
    assert verdict(run)["reason"] == "ISSUER_NOT_IN_TRUSTSTORE"
    [f] = run.findings("CLIENT_CHAIN_IGNORED")
    assert f["evidence"]["add_to_truststore"] == ["CN=Client Intermediate 2"]
    assert "would be accepted" in f["detail"]
    assert any("awk" in c for c in f["fix"]["commands"])
    # the same with --chain
    run = verify(good.pem, pem_bundle(ca[:2]), chain=ca[2].pem)
    assert run.findings("CLIENT_CHAIN_IGNORED")
    # and absent when the truststore alone completes the path
    run = verify(good.pem + ca[2].pem, pem_bundle(ca))
    assert "CLIENT_CHAIN_IGNORED" not in run.ids()


def test_awk_command_extracts_the_named_certificate(verify, ca, good, tmp_path):
    import subprocess

    run = verify(good.pem, pem_bundle(ca[:2]), chain=pem_bundle([ca[0], ca[2]]))
    [f] = run.findings("CLIENT_CHAIN_IGNORED")
    awk = next(c for c in f["fix"]["commands"] if "awk" in c)
    ts = tmp_path / "truststore.pem"
    before = ts.read_bytes()
    subprocess.run(awk, shell=True, check=True, cwd=tmp_path)  # noqa: S602 - our own command
    assert ts.read_bytes() == before + ca[2].pem


def test_bad_signature(verify, ca, good):
    forged = corrupt_signature(good)
    v = verdict(verify(pem_encode(forged), pem_bundle(ca)))
    assert v["reason"] == "BAD_SIGNATURE"


def test_bad_signature_same_name_other_key(verify, ca):
    pki = PKI(key_offset=220)
    impostor = pki.root("Client Root")  # same name as the real root, different key
    issuing = pki.intermediate(impostor, "Client Intermediate 2")
    leaf = pki.leaf(issuing, "device-2")
    run = verify(leaf.pem, pem_bundle(ca))
    v = verdict(run)
    assert v["reason"] == "BAD_SIGNATURE"
    assert "same name but another key" in v["detail"]


@pytest.mark.parametrize(
    ("where", "opts", "reason"),
    [
        ("leaf", {"expired": True}, "EXPIRED"),
        ("leaf", {"not_yet_valid": True}, "NOT_YET_VALID"),
        ("leaf", {"hash": "sha1"}, "WEAK_SIGNATURE_HASH"),
        ("leaf", {"key": "rsa1024"}, "WEAK_KEY"),
        ("leaf", {"key": "p521"}, "UNSUPPORTED_KEY"),
        ("leaf", {"key": "ed25519"}, "UNSUPPORTED_KEY"),
        ("ca", {"expired": True}, "EXPIRED"),
        ("ca", {"hash": "sha1"}, "WEAK_SIGNATURE_HASH"),
        ("ca", {"key": "rsa1024"}, "WEAK_KEY"),
        ("ca", {"ca": False}, "ISSUER_NOT_CA"),
        ("ca", {"basic_constraints": False}, "ISSUER_NOT_CA"),
        ("ca", {"key_usage": ("digitalSignature",)}, "ISSUER_NOT_CA"),
    ],
)
def test_rejection_reasons(verify, where, opts, reason):
    pki = PKI(key_offset=230)
    root = pki.root("Reason Root")
    issuing = pki.intermediate(root, "Reason CA", **(opts if where == "ca" else {}))
    leaf = pki.leaf(issuing, "device-3", **(opts if where == "leaf" else {}))
    run = verify(leaf.pem, pem_bundle([root, issuing]))
    v = verdict(run)
    assert (v["accepted"], v["reason"]) == (False, reason), v
    assert run.rc == 1
    assert run.findings("CLIENT_REJECTED")[0]["evidence"]["reason"] == reason


def test_path_len_forbids_issuing(verify):
    pki = PKI(key_offset=240)
    root = pki.root("PathLen Root", path_len=0)
    ica = pki.intermediate(root, "PathLen ICA")
    leaf = pki.leaf(ica, "device-4")
    v = verdict(verify(leaf.pem, pem_bundle([root, ica])))
    assert v["reason"] == "ISSUER_NOT_CA"
    assert "pathLenConstraint 0" in v["detail"]


def test_chain_too_long(verify):
    pki = PKI(key_offset=250)
    four = pki.chain(4, prefix="Len4")
    assert verdict(verify(pki.leaf(four[-1], "ok-depth").pem, pem_bundle(four)))["accepted"]
    five = pki.chain(5, prefix="Len5")
    v = verdict(verify(pki.leaf(five[-1], "too-deep").pem, pem_bundle(five)))
    assert v["reason"] == "CHAIN_TOO_LONG"


def test_malformed_client(verify, ca, good):
    bad = pem_encode(with_non_utf8_subject(good))
    run = verify(bad, pem_bundle(ca))
    assert verdict(run)["reason"] == "MALFORMED"
    assert run.rc == 1
    run = verify(b"not a certificate at all", pem_bundle(ca))
    assert verdict(run)["reason"] == "MALFORMED"


def test_several_problems_reported_in_contract_order(verify):
    pki = PKI(key_offset=260)
    root = pki.root("Multi Root")
    leaf = pki.leaf(root, "multi", expired=True, hash="sha1")
    v = verdict(verify(leaf.pem, pem_bundle([root])))
    assert v["reason"] == "EXPIRED"
    assert [p["reason"] for p in v["problems"]] == ["EXPIRED", "WEAK_SIGNATURE_HASH"]


def test_key_mismatch(verify, ca, good):
    other = PKI(key_offset=270).leaf(ca[2], "someone-else")
    run = verify(good.pem, pem_bundle(ca), key=other.key_pem())
    [f] = run.findings("CLIENT_KEY_MISMATCH")
    assert f["severity"] == "error"
    assert run.rc == 1
    assert verdict(run)["accepted"] is True  # the certificate itself is fine
    assert "CLIENT_KEY_MISMATCH" not in verify(good.pem, pem_bundle(ca), key=good.key_pem()).ids()


def test_encrypted_key_through_env(verify, ca, good, monkeypatch):
    monkeypatch.setenv("CLIENT_KEY_PASS", "s3cret-pass")
    enc = good.key_pem(password=b"s3cret-pass")
    run = verify(good.pem, pem_bundle(ca), "--key-password-env", "CLIENT_KEY_PASS", key=enc)
    assert run.rc == 0
    assert "s3cret-pass" not in run.out + run.err
    # without the password: one clear line, exit 2
    run = verify(good.pem, pem_bundle(ca), key=enc)
    assert run.rc == 2 and "--key-password-env" in run.err and run.err.count("\n") == 1
    monkeypatch.setenv("CLIENT_KEY_PASS", "wrong")
    run = verify(good.pem, pem_bundle(ca), "--key-password-env", "CLIENT_KEY_PASS", key=enc)
    assert run.rc == 2 and "wrong password" in run.err
    assert "wrong" not in run.err.replace("wrong password", "")


def test_pkcs12_client_with_its_key(verify, ca, good, monkeypatch):
    monkeypatch.setenv("P12_PASS", "pfx-pass")
    bundle = p12(good, password=b"pfx-pass", extra=[ca[2]])
    run = verify(bundle, pem_bundle(ca), "--key-password-env", "P12_PASS")
    assert run.rc == 0, run.doc
    assert verdict(run)["accepted"] is True
    key_check = next(c for c in run.doc["checks"] if c["id"] == "client.key")
    assert key_check["status"] == "pass"


def test_combined_pem_key_is_checked(verify, ca, good):
    other = PKI(key_offset=280).leaf(ca[2], "wrong-key-holder")
    run = verify(good.pem + other.key_pem(), pem_bundle(ca))
    assert "CLIENT_KEY_MISMATCH" in run.ids()


def test_no_client_auth_eku(verify, ca):
    pki = PKI(key_offset=290)
    server_only = pki.leaf(ca[2], "server-only", eku=("serverAuth",))
    run = verify(server_only.pem, pem_bundle(ca))
    [f] = run.findings("CLIENT_NO_CLIENT_AUTH_EKU")
    assert f["severity"] == "warning" and f["evidence"]["eku"] == ["serverAuth"]
    assert run.rc == 0
    no_eku = pki.leaf(ca[2], "no-eku", eku=None)
    assert "CLIENT_NO_CLIENT_AUTH_EKU" not in verify(no_eku.pem, pem_bundle(ca)).ids()


def test_expires_soon(verify, ca):
    pki = PKI(key_offset=300)
    soon = pki.leaf(ca[2], "soon", days_valid=5)
    run = verify(soon.pem, pem_bundle(ca))
    [f] = run.findings("CLIENT_EXPIRES_SOON")
    assert f["evidence"]["days_left"] in (4, 5)
    assert "CLIENT_EXPIRES_SOON" not in verify(soon.pem, pem_bundle(ca), "--warn-days", "3").ids()


def test_at_moves_the_clock(verify, ca, good):
    run = verify(good.pem, pem_bundle(ca), "--at", "2031-01-01")
    assert verdict(run)["reason"] == "EXPIRED"


def test_other_when_a_signature_cannot_be_checked(verify, ca, good, monkeypatch):
    """OTHER: the library cannot check a signature at all (an algorithm it does not implement);
    the verdict says so instead of guessing, and the command still ends normally."""
    from mtls_doctor.pki import chain
    from mtls_doctor.pki.signature import SignatureCheck

    monkeypatch.setattr(chain, "check_signature", lambda cert, issuer: (
        SignatureCheck.UNSUPPORTED, "signature cannot be checked (simulated: not implemented)"))
    run = verify(good.pem, pem_bundle(ca))
    v = verdict(run)
    assert (v["accepted"], v["reason"]) == (False, "OTHER")
    assert "cannot be checked" in v["detail"]
    assert run.rc == 1


def test_ec_issuer_key_and_rsa_signature_is_a_bad_signature(verify, ca, good):
    """A CA re-keyed from RSA to ECDSA under the same name: the RSA-signed client does not
    verify under the new EC key."""
    ec_ca = PKI(key_offset=310).root("Client Intermediate 2", key="p256")
    v = verdict(verify(good.pem, pem_bundle([ec_ca])))
    assert v["reason"] == "BAD_SIGNATURE"


def test_leaf_named_like_its_ca_is_not_self_signed(verify):
    """Subject = issuer name does not make a certificate self-signed: its CA's key signed it."""
    pki = PKI(key_offset=320)
    root = pki.root("Acme Device")
    leaf = pki.leaf(root, "Acme Device", subject=root.cert.subject)
    v = verdict(verify(leaf.pem, pem_bundle([root])))
    assert (v["accepted"], v["reason"]) == (True, "OK"), v


def test_key_rollover_certificate_chains_to_the_old_root(verify):
    """A self-issued certificate signed by the old key of the same CA (key rollover)."""
    pki = PKI(key_offset=330)
    old = pki.root("Rollover Root")
    new_key = pki.new_key("rsa2048")
    link = pki.intermediate(old, "Rollover Root", subject=old.cert.subject, key_obj=new_key)
    leaf = pki.leaf(link, "rolled")
    run = verify(leaf.pem, pem_bundle([old, link]))
    v = verdict(run)
    assert v["accepted"] is True, v
    assert v["path"] == ["CN=rolled", "CN=Rollover Root", "CN=Rollover Root"]


def test_name_constraints_are_enforced(verify):
    from cryptography import x509

    pki = PKI(key_offset=340)
    nc = x509.NameConstraints(permitted_subtrees=[x509.DNSName("allowed.example")],
                              excluded_subtrees=None)
    root = pki.root("NC Root", extra_extensions=[(nc, True)])
    inside = pki.leaf(root, "ok.allowed.example")
    outside = pki.leaf(root, "evil.other.example")
    assert verdict(verify(inside.pem, pem_bundle([root])))["accepted"] is True
    v = verdict(verify(outside.pem, pem_bundle([root])))
    assert v["reason"] == "OTHER"
    assert "DNS:evil.other.example is outside the permitted names" in v["detail"]


def test_name_constraints_at_scale_are_bounded(verify):
    """3,000 SANs under 3,000 constraints took 40 s and printed 168 MB; now refused as
    OpenSSL refuses it (more than 2**20 comparisons), and a long list of violations is cut."""
    from cryptography import x509

    pki = PKI(key_offset=345)
    nc = x509.NameConstraints(
        permitted_subtrees=[x509.DNSName(f"p{i}.example") for i in range(3000)],
        excluded_subtrees=None)
    root = pki.root("Wide NC Root", extra_extensions=[(nc, True)])
    many = pki.leaf(root, "x.other.example",
                    sans=tuple(f"DNS:n{i}.other.example" for i in range(3000)))
    run = verify(many.pem, pem_bundle([root]))
    v = verdict(run)
    assert v["reason"] == "OTHER" and "OpenSSL refuses" in v["detail"], v
    assert len(run.out) < 200_000
    some = pki.leaf(root, "y.other.example",
                    sans=tuple(f"DNS:m{i}.other.example" for i in range(20)))
    run = verify(some.pem, pem_bundle([root]))
    assert "and 2995 more" in verdict(run)["detail"]
    assert len(run.out) < 200_000


@pytest.mark.parametrize("fmt", ["html", "markdown", "text"])
def test_a_chain_hundreds_deep_is_drawn_cut_not_crashed(cli, write, fmt):
    """A 300-CA chain in the truststore crashed the HTML (and Markdown) report: the drawing
    nested one level per CA until Python's recursion limit."""
    pki = PKI(key_offset=348)
    chain = [pki.root("Deep 0", key="p256")]
    for i in range(1, 300):
        chain.append(pki.intermediate(chain[-1], f"Deep {i}", key="p256"))
    leaf = pki.leaf(chain[-1], "deep-client", key="p256")
    run = cli("verify-client", "--cert", write("c.pem", leaf.pem), "--truststore",
              write("ts.pem", pem_bundle(chain)), "--format", fmt, json_out=False)
    assert run.rc == 1, run.err
    assert "internal error" not in run.err
    if fmt != "text":
        assert "the drawing stops at 64 levels" in run.out


def _openssl_verify(tmp_path, root_pem: bytes, leaf_pem: bytes) -> tuple[int, str]:
    """`openssl verify` of the leaf against the root alone: (exit code, what it said)."""
    import subprocess

    (tmp_path / "root.pem").write_bytes(root_pem)
    (tmp_path / "leaf.pem").write_bytes(leaf_pem)
    done = subprocess.run(["openssl", "verify", "-CAfile", str(tmp_path / "root.pem"),
                           str(tmp_path / "leaf.pem")], capture_output=True, text=True,
                          check=False)
    return done.returncode, done.stdout + done.stderr


def test_ecdsa_with_sha1_is_a_weak_hash_not_a_bad_signature(verify, tmp_path):
    """cryptography gives no signature parameters for ecdsa-with-SHA1: a valid signature read as
    BAD_SIGNATURE (and TRUSTSTORE_BAD_SIGNATURE), sending the user after the wrong problem."""
    pki = PKI(key_offset=349)
    root = pki.root("EC SHA1 Root", key="p256", hash="sha1")
    leaf = pki.leaf(root, "ec-sha1-client", key="p256", hash="sha1")
    assert leaf.cert.signature_algorithm_oid.dotted_string == "1.2.840.10045.4.1"
    run = verify(leaf.pem, pem_bundle([root]))
    v = verdict(run)
    assert v["reason"] == "WEAK_SIGNATURE_HASH", v
    assert "BAD_SIGNATURE" not in {p["reason"] for p in v.get("problems", [])}
    # openssl agrees that the signature itself is sound (it verifies at its default level)
    rc, said = _openssl_verify(tmp_path, root.pem, leaf.pem)
    assert rc == 0, said


@pytest.mark.parametrize("which", ["aki", "ski", "aia"])
def test_a_critical_extension_validators_do_not_process_is_rejected(verify, tmp_path, which):
    """A critical authority/subject key identifier or AIA was accepted: cryptography can read
    them, but a path validator does not process them, so RFC 5280 says reject (OpenSSL:
    unhandled critical extension)."""
    from cryptography import x509
    from cryptography.x509.oid import AuthorityInformationAccessOID

    pki = PKI(key_offset=347)
    root = pki.root("Critical Ext Root")
    ext: x509.ExtensionType
    if which == "aki":
        ski = root.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        ext = x509.AuthorityKeyIdentifier(ski.digest, None, None)
    elif which == "ski":
        ext = x509.SubjectKeyIdentifier(b"\x02" * 20)
    else:
        ext = x509.AuthorityInformationAccess([x509.AccessDescription(
            AuthorityInformationAccessOID.CA_ISSUERS,
            x509.UniformResourceIdentifier("http://ca.example/root.cer"))])
    # the critical one replaces the factory's own (a duplicate would be another case)
    leaf = pki.leaf(root, f"critical-{which}", extra_extensions=[(ext, True)],
                    aki=which != "aki", ski=which != "ski")
    v = verdict(verify(leaf.pem, pem_bundle([root])))
    assert (v["accepted"], v["reason"]) == (False, "OTHER"), v
    assert "do not process" in v["detail"]
    rc, said = _openssl_verify(tmp_path, root.pem, leaf.pem)
    assert rc != 0 and "unhandled critical extension" in said


@pytest.mark.parametrize(("uri", "accepted"), [("https://evil.test/", False),
                                               ("https://api.example.com/x", True)])
def test_uri_name_constraints_apply_to_the_host(verify, tmp_path, uri, accepted):
    """A URI SAN under a URI name constraint was never checked (URI:https://evil.test/ under a
    permit for .example.com was accepted)."""
    from cryptography import x509

    pki = PKI(key_offset=346)
    nc = x509.NameConstraints(permitted_subtrees=[x509.UniformResourceIdentifier(".example.com")],
                              excluded_subtrees=None)
    root = pki.root("URI NC Root", extra_extensions=[(nc, True)])
    leaf = pki.leaf(root, "uri-client", sans=(f"URI:{uri}",))
    v = verdict(verify(leaf.pem, pem_bundle([root])))
    assert v["accepted"] is accepted, v
    if not accepted:
        assert "outside the permitted names" in v["detail"]
    rc, said = _openssl_verify(tmp_path, root.pem, leaf.pem)
    assert (rc == 0) is accepted, said


def test_a_critical_constraint_on_other_names_refuses_a_certificate_with_one(verify, tmp_path):
    from cryptography import x509

    pki = PKI(key_offset=344)
    upn = x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")
    nc = x509.NameConstraints(permitted_subtrees=[x509.OtherName(upn, b"\x0c\x07a@b.com")],
                              excluded_subtrees=None)
    root = pki.root("OtherName NC Root", extra_extensions=[(nc, True)])
    leaf = pki.leaf(root, "upn-client", extra_extensions=[(x509.SubjectAlternativeName(
        [x509.OtherName(upn, b"\x0c\x07a@b.com")]), False)], sans=())
    v = verdict(verify(leaf.pem, pem_bundle([root])))
    assert (v["accepted"], v["reason"]) == (False, "OTHER"), v
    assert "OtherName" in v["detail"]
    rc, said = _openssl_verify(tmp_path, root.pem, leaf.pem)
    assert rc != 0, said


def test_an_issuer_in_the_truststore_that_does_not_parse_is_named(verify, tmp_path):
    """The issuing CA is in the bundle but malformed: the verdict said only "not in the
    truststore", and the user went looking for a CA that is there."""
    import base64

    from cryptography.hazmat.primitives.serialization import Encoding

    pki = PKI(key_offset=343)
    root = pki.root("Broken Chain Root")
    ica = pki.intermediate(root, "Broken Issuing CA")
    leaf = pki.leaf(ica, "broken-chain-client")
    der = ica.cert.public_bytes(Encoding.DER)
    at = der.find(b"\x17\x0d")  # notBefore's UTCTime: make it no time at all
    broken = der[:at + 2] + b"XX" + der[at + 4:]
    pem = (b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(broken)
           + b"-----END CERTIFICATE-----\n")
    v = verdict(verify(leaf.pem, root.pem + pem))
    assert v["reason"] == "ISSUER_NOT_IN_TRUSTSTORE", v
    assert "does hold a certificate named CN=Broken Issuing CA" in v["detail"]
    assert "certificate #2" in v["detail"] and "cannot be parsed" in v["detail"]
    rc, said = _openssl_verify(tmp_path, root.pem + pem, leaf.pem)
    assert rc != 0, said


def test_a_duplicated_extension_is_refused_not_read_as_none(verify, tmp_path):
    """A certificate with its SAN twice read as having no extensions at all, so a duplicated
    SAN slipped past a name constraint that the same certificate without it fails."""
    from cryptography import x509
    from cryptography.x509.oid import ExtensionOID

    from tests.pki_factory import pem_encode, with_duplicate_extension

    pki = PKI(key_offset=341)
    nc = x509.NameConstraints(permitted_subtrees=[x509.DNSName("allowed.example")],
                              excluded_subtrees=None)
    root = pki.root("Dup NC Root", extra_extensions=[(nc, True)])
    leaf = pki.leaf(root, "dup-client", sans=("DNS:evil.other.example",))
    assert verdict(verify(leaf.pem, pem_bundle([root])))["accepted"] is False
    doubled = pem_encode(with_duplicate_extension(leaf, ExtensionOID.SUBJECT_ALTERNATIVE_NAME))
    v = verdict(verify(doubled, pem_bundle([root])))
    assert (v["accepted"], v["reason"]) == (False, "MALFORMED"), v
    assert "subjectAltName (2.5.29.17) extension twice" in v["detail"]
    rc, said = _openssl_verify(tmp_path, root.pem, doubled)
    assert rc != 0, said


def test_an_ec_key_with_explicit_curve_parameters_is_unsupported(verify, tmp_path):
    """An EC root key given with explicit parameters read as "EC secp256r1" and the client was
    accepted; OpenSSL 3 refuses such keys."""
    import subprocess

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=tmp_path, check=True, capture_output=True)

    openssl("ecparam", "-name", "prime256v1", "-param_enc", "explicit", "-genkey",
            "-out", "root.key")
    openssl("req", "-x509", "-key", "root.key", "-subj", "/CN=Explicit Root", "-days", "400",
            "-sha256", "-out", "root.pem", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign")
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-out", "client.key")
    openssl("req", "-new", "-key", "client.key", "-subj", "/CN=explicit-client",
            "-out", "client.csr")
    openssl("x509", "-req", "-in", "client.csr", "-CA", "root.pem", "-CAkey", "root.key",
            "-days", "100", "-sha256", "-out", "client.pem")
    root, client = (tmp_path / "root.pem").read_bytes(), (tmp_path / "client.pem").read_bytes()
    from datetime import UTC, datetime

    run = verify(client, root, "--at", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    v = verdict(run)
    assert v["reason"] == "UNSUPPORTED_KEY" and "explicit parameters" in v["detail"], v
    key = run.doc["truststore"]["certificates"][0]["key"]
    assert key["explicit_parameters"] is True and key["curve"] == "secp256r1"
    rc, said = _openssl_verify(tmp_path, root, client)
    assert rc != 0 and "explicit" in said


def test_unknown_critical_extension_is_rejected(verify, ca):
    from cryptography import x509

    pki = PKI(key_offset=350)
    odd = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x05\x00")
    leaf = pki.leaf(ca[2], "critical-odd", extra_extensions=[(odd, True)])
    v = verdict(verify(leaf.pem, pem_bundle(ca)))
    assert v["reason"] == "OTHER" and "1.3.6.1.4.1.55555.1" in v["detail"]
    fine = pki.leaf(ca[2], "noncritical-odd", extra_extensions=[(odd, False)])
    assert verdict(verify(fine.pem, pem_bundle(ca)))["accepted"] is True


def test_ed25519_issuer_is_reported_as_the_unsupported_key(verify):
    pki = PKI(key_offset=360)
    root = pki.root("Ed Root", key="ed25519")
    leaf = pki.leaf(root, "ed-signed", key="p256")
    v = verdict(verify(leaf.pem, pem_bundle([root])))
    assert v["reason"] == "UNSUPPORTED_KEY"
    assert all(p["reason"] != "WEAK_SIGNATURE_HASH" for p in v["problems"])


def test_chain_ignored_names_only_what_the_truststore_lacks(verify, ca, good):
    run = verify(good.pem, pem_bundle([ca[2]]), chain=pem_bundle([ca[2], ca[1], ca[0]]))
    [f] = run.findings("CLIENT_CHAIN_IGNORED")
    assert f["evidence"]["add_to_truststore"] == ["CN=Client Intermediate 1", "CN=Client Root"]


def test_swapped_cert_and_key_is_one_clear_line(verify, ca, good):
    run = verify(good.key_pem(), pem_bundle(ca))
    assert run.rc == 2 and "swapped" in run.err


def test_encrypted_key_beside_the_cert_only_skips_the_key_check(verify, ca, good):
    run = verify(good.pem + good.key_pem(password=b"pw"), pem_bundle(ca))
    assert run.rc == 0
    assert verdict(run)["accepted"] is True
    assert next(c for c in run.doc["checks"] if c["id"] == "client.key")["status"] == "skip"


def test_json_truststore_is_source_and_certificates(verify, ca, good):
    doc = verify(good.pem, pem_bundle(ca)).doc
    assert doc["truststore"]["source"]["container"] == "PEM"
    assert [c["subject"] for c in doc["truststore"]["certificates"]] == [
        "CN=Client Root", "CN=Client Intermediate 1", "CN=Client Intermediate 2"]
