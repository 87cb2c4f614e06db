"""Would API Gateway accept this client certificate, and if not, exactly why?

API Gateway's semantics (developer guide, "Invoking an API with mutual TLS"): it looks up the
client certificate's issuer in the truststore and needs the issuer and the whole chain up to a
root in the truststore. So the path is built from the truststore alone, with its self-signed
certificates as the only anchors. Whether it also uses intermediates the client sends is not
stated by AWS; mtls-doctor *assumes* it does not (see docs/findings.md), and says when the sent
intermediates would have completed the path (`CLIENT_CHAIN_IGNORED`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from mtls_doctor.model.catalog import make_finding
from mtls_doctor.model.certificate import CertSummary, Container
from mtls_doctor.model.finding import Finding, Fix
from mtls_doctor.model.frozen import frozen
from mtls_doctor.model.verdict import PathProblem, Verdict, VerdictReason
from mtls_doctor.pki.chain import Node, Path, SignatureCache, find_paths
from mtls_doctor.pki.fixes import UploadTarget, append_cert_commands, pem_file_for, upload_steps
from mtls_doctor.pki.keys import key_matches
from mtls_doctor.pki.load import LoadedFile
from mtls_doctor.pki.truststore import nodes_of

_CLIENT_EKU_OK = {"clientAuth", "anyExtendedKeyUsage"}


@frozen
class ClientFiles:
    """The client's side: its certificate file, intermediates it sends, and optionally its key."""

    cert: LoadedFile
    chain: LoadedFile | None = None
    key: PrivateKeyTypes | None = None
    key_source: str | None = None


@frozen
class ClientResult:
    """The verdict, the client certificate decoded, and the findings."""

    verdict: Verdict
    leaf: CertSummary | None
    sent: tuple[CertSummary, ...]
    findings: tuple[Finding, ...]
    truststore: tuple[CertSummary, ...] = ()


def _problems(path: Path) -> tuple[PathProblem, ...]:
    ordered = sorted(path.issues, key=lambda i: i.reason.rank)
    return tuple(PathProblem(i.reason, i.node.summary.subject, i.node.summary.location, i.detail,
                             i.missing) for i in ordered)


def _verdict(path: Path | None, leaf: CertSummary) -> Verdict:
    if path is None:
        return Verdict(False, VerdictReason.OTHER, (leaf.subject,), "no path could be built")
    subjects = tuple(n.summary.subject for n in path.nodes)
    primary = path.primary()
    if primary is None:
        return Verdict(True, VerdictReason.OK, subjects,
                       "the path ends at a self-signed root of the truststore; signatures, "
                       "validity, CA constraints and algorithms all pass")
    others = len(path.issues) - 1
    more = f" (and {others} more problem{'s' if others > 1 else ''})" if others else ""
    return Verdict(False, primary.reason, subjects, primary.detail + more, _problems(path))


def _publishing(truststore: str, target: UploadTarget | None
                ) -> tuple[str, tuple[str, ...], Callable[..., tuple[str, ...]], tuple[str, ...]]:
    """Where a truststore fix edits (the file itself, or the S3 version downloaded first to
    truststore.pem), the download command, the steps in order around the edit (download, the
    edit's steps, publish), and the commands that publish the edit."""
    work = "truststore.pem" if target is not None else truststore
    up_steps, publish = upload_steps(work, target)
    get = () if target is None else (
        f"Download the truststore version the domain uses to {work}.",)

    def steps(*edit: str) -> tuple[str, ...]:
        return (*get, *edit, *up_steps)

    fetch = () if target is None else (target.download_command(work),)
    return work, fetch, steps, publish


def _reject_fix(v: Verdict, files: ClientFiles, truststore: str,
                target: UploadTarget | None = None) -> Fix:
    from mtls_doctor.shell import curl, doctor, openssl, render, tools  # only for a rejection

    cert_file = files.cert.source
    p12 = files.cert.container is Container.PKCS12
    # the truststore as it is: the file given, or the version the domain uses
    current = target.source if target is not None else truststore
    work, fetch, steps, publish = _publishing(truststore, target)
    host = target.domain if target is not None else "<domain-name>"
    live = render(curl.request(f"https://{host}/", cert=cert_file,
                               key=files.key_source or "<client-key.pem>", p12=p12))
    # a client-side fix is checked against the truststore as it is; a truststore fix against
    # the edited copy before it is published, then live
    retest = (render(doctor.verify_client(cert_file, current)), live)
    check_edit = render(doctor.verify_client(cert_file, work))
    new_key = render(openssl.new_key_and_csr("client.key", "client.csr", "/CN=<client-name>"))
    r = v.reason
    if r is VerdictReason.ISSUER_NOT_IN_TRUSTSTORE:
        missing = (v.problems[0].missing if v.problems else None) or "the issuing CA"
        return Fix("Put the client certificate's issuing CA, and every CA above it up to the "
                   "root, into the truststore (or issue the client from a CA already there).",
                   steps(f"Get the certificate of the missing CA ({missing}) from its owner, "
                         "check its fingerprint out of band, and append it (PEM) to the "
                         "truststore bundle."),
                   (*fetch, render(tools.concat((pem_file_for(missing),), work, append=True)),
                    check_edit, *publish, live))
    if r is VerdictReason.BAD_SIGNATURE:
        return Fix("The CA certificate in the truststore has the right name but not the key that "
                   "signed the client certificate: put the real issuing CA in the truststore, or "
                   "re-issue the client certificate from the CA that is there.",
                   ("Compare the client's authority key id with the CA's subject key id.",
                    *steps("Put the CA certificate that signed the client in place of the one "
                           "that only has its name.")),
                   (render(openssl.x509("-noout", "-ext", "authorityKeyIdentifier",
                                        infile=cert_file)),
                    *fetch, check_edit, *publish, live))
    if r in (VerdictReason.EXPIRED, VerdictReason.NOT_YET_VALID):
        return Fix("Renew the certificate that is out of its validity period (see the detail), "
                   "and check the clocks of the machines that issued it.", (),
                   (render(openssl.x509("-noout", "-dates", infile=cert_file)), *retest))
    if r in (VerdictReason.WEAK_SIGNATURE_HASH, VerdictReason.WEAK_KEY,
             VerdictReason.UNSUPPORTED_KEY):
        return Fix("Re-issue the offending certificate with SHA-256 or stronger and an RSA-2048+, "
                   "ECDSA P-256 or P-384 key.", ("Make a new key and CSR, have the CA sign it with "
                                                 "SHA-256.",),
                   (new_key, *retest))
    if r is VerdictReason.CHAIN_TOO_LONG:
        return Fix("Issue the client from a CA at most three levels below the root; API Gateway "
                   "allows four CA certificates on a path.", (), retest)
    if r is VerdictReason.ISSUER_NOT_CA:
        return Fix("A certificate on the path is not allowed to issue (basicConstraints, keyUsage "
                   "keyCertSign or pathLenConstraint): replace it with the real CA certificate.",
                   steps("Replace that certificate with the real CA certificate."),
                   (*fetch, check_edit, *publish, live))
    return Fix("Replace the client certificate with a well-formed X.509 certificate from your CA.",
               (), (render(openssl.x509("-noout", "-text", infile=cert_file)), *retest))


def key_mismatch(cert: str, key: str, subject: str, consequence: str) -> Finding:
    """CLIENT_KEY_MISMATCH: the key in `key` is not the private half of `cert`'s public key."""
    from mtls_doctor.shell import openssl, render_all

    return make_finding(
        "CLIENT_KEY_MISMATCH", "the private key does not belong to the client certificate",
        f"The public key in {cert} is not the public half of the key in {key}; {consequence}.",
        subject=subject, location=key,
        fix=Fix("Use the key that was generated with this certificate's CSR.", (),
                render_all((openssl.cert_pubkey_digest(cert), openssl.key_pubkey_digest(key)))))


def _sent_nodes(files: ClientFiles, at: datetime, cert_nodes: list[Node]) -> list[Node]:
    """Intermediates the client sends: extra certificates of --cert (`cert_nodes`, its usable
    certificates, already described), and --chain."""
    nodes = cert_nodes[1:] if files.cert.certificates[0].ok else list(cert_nodes)
    if files.chain is not None:
        nodes += nodes_of(files.chain, at, trusted=False, label="sent by the client")[1]
    return nodes


def _malformed_issuer(v: Verdict, leaf: x509.Certificate, truststore: LoadedFile) -> Verdict:
    """"Not in the truststore" when the issuer is there but cannot be parsed misleads: an entry
    that does not parse yet carries the issuer's name (its DER bytes) is named in the detail."""
    wanted = leaf.issuer.public_bytes()
    broken = [lc for lc in truststore.certificates if not lc.ok and wanted in lc.der]
    if not broken or not v.problems:
        return v
    lc = broken[0]
    note = (f"; the truststore does hold a certificate named {leaf.issuer.rfc4514_string()} "
            f"({lc.position.describe()}), but it cannot be parsed ({lc.error or 'malformed'}), "
            "so API Gateway cannot use it either: replace that entry with a well-formed copy")
    first = dataclasses.replace(v.problems[0], detail=v.problems[0].detail + note)
    return dataclasses.replace(v, detail=v.detail + note, problems=(first, *v.problems[1:]))


def verify_client(files: ClientFiles, truststore: LoadedFile, at: datetime,
                  warn_days: int = 30, target: UploadTarget | None = None) -> ClientResult:
    """The verdict and findings for one client certificate against one truststore (`target`:
    where that truststore is published, so that fixes name the real bucket and domain)."""
    cert_summaries, cert_nodes = nodes_of(files.cert, at, trusted=False, label="sent by the client")
    ts_summaries, pool = nodes_of(truststore, at, trusted=True)
    findings: list[Finding] = []
    ts_name = truststore.source
    if not cert_summaries or files.cert.certificates[0].cert is None or cert_summaries[0].malformed:
        why = cert_summaries[0].malformed if cert_summaries else "no certificate found in the file"
        v = Verdict(False, VerdictReason.MALFORMED, (), f"{files.cert.source}: {why}")
        findings.append(make_finding(
            "CLIENT_REJECTED", "API Gateway would reject the client certificate: MALFORMED",
            v.detail, location=files.cert.source,
            evidence={"reason": v.reason.value}, fix=_reject_fix(v, files, ts_name, target)))
        return ClientResult(v, cert_summaries[0] if cert_summaries else None,
                            tuple(cert_summaries[1:]), tuple(findings), tuple(ts_summaries))
    leaf_lc, leaf_s = files.cert.certificates[0], cert_summaries[0]
    assert leaf_lc.cert is not None
    trusted_keys = {n.key for n in pool}
    leaf = Node(leaf_s, leaf_lc.cert, trusted=leaf_s.sha256_fingerprint in trusted_keys,
                label="client certificate")
    cache = SignatureCache()
    paths = find_paths(leaf, pool, cache)
    best = paths[0] if paths else None
    verdict = _verdict(best, leaf_s)
    if verdict.reason is VerdictReason.ISSUER_NOT_IN_TRUSTSTORE:
        verdict = _malformed_issuer(verdict, leaf_lc.cert, truststore)
    # what the client sends beyond its certificate, less what the truststore already holds
    sent_all = _sent_nodes(files, at, cert_nodes)
    sent = [n for n in sent_all if n.key not in trusted_keys]
    if not verdict.accepted:
        findings.append(make_finding(
            "CLIENT_REJECTED",
            f"API Gateway would reject the client certificate: {verdict.reason.value}",
            verdict.detail, subject=leaf_s.subject, location=leaf_s.location,
            evidence={"reason": verdict.reason.value, "path": list(verdict.path),
                      "problems": [p.detail for p in verdict.problems]},
            fix=_reject_fix(verdict, files, ts_name, target)))
    if verdict.reason is VerdictReason.ISSUER_NOT_IN_TRUSTSTORE and sent:
        # what if the certificates the client sends were in the truststore?
        as_if_trusted = [dataclasses.replace(n, trusted=True) for n in sent]
        with_sent = find_paths(leaf, [*pool, *as_if_trusted], cache)
        if with_sent and with_sent[0].complete:
            sent_keys = {n.key for n in sent}
            missing = [n for n in with_sent[0].nodes[1:] if n.key in sent_keys]
            names = ", ".join(f"{n.summary.subject} ({n.summary.location})" for n in missing)
            still = with_sent[0].primary()
            outcome = "would be accepted" if still is None else f"would still fail: {still.detail}"
            work, fetch, steps, publish = _publishing(ts_name, target)
            findings.append(make_finding(
                "CLIENT_CHAIN_IGNORED",
                f"the client sends {len(missing)} CA certificate(s) missing from the truststore",
                f"The client sends {names}, which would complete the path, but API Gateway builds "
                f"the path from the truststore alone. With them in the truststore the certificate "
                f"{outcome}. Add a CA only after checking its fingerprint with its owner: a "
                "client can send any certificate.",
                subject=leaf_s.subject, location=leaf_s.location,
                evidence={"add_to_truststore": [n.summary.subject for n in missing],
                          "fingerprints": [n.summary.sha256_fingerprint for n in missing]},
                fix=Fix("Add the CA certificate(s) the client sends to the truststore.",
                        steps("Check each fingerprint with the CA's owner, then append it "
                              "to the truststore bundle."),
                        (*fetch, *(c for n in missing if n.position
                                   for c in append_cert_commands(n.position, work)),
                         *publish))))
    if files.key is not None and not key_matches(leaf_lc.cert, files.key):
        findings.append(key_mismatch(files.cert.source, files.key_source or files.cert.source,
                                     leaf_s.subject, "a TLS client would fail its CertificateVerify"))
    eku = leaf_s.extended_key_usage
    if eku is not None and not _CLIENT_EKU_OK & set(eku):
        from mtls_doctor.shell import openssl, render_all, tools

        findings.append(make_finding(
            "CLIENT_NO_CLIENT_AUTH_EKU", "the client certificate is not marked for client auth",
            f"Its extendedKeyUsage is {', '.join(eku)}, without clientAuth. API Gateway does not "
            "document an EKU check, but most TLS servers and clients refuse such a certificate.",
            subject=leaf_s.subject, location=leaf_s.location, evidence={"eku": list(eku)},
            fix=Fix("Re-issue the certificate with extendedKeyUsage = clientAuth.",
                    ("Write the extension to a file, then have the CA sign the CSR with it.",),
                    render_all((tools.write_text("extendedKeyUsage=clientAuth", "client-eku.cnf"),
                                openssl.openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.pem",
                                                "-CAkey", "ca.key", "-sha256", "-days", "365",
                                                "-extfile", "client-eku.cnf", "-out",
                                                "client.pem"))))))
    validity = leaf_s.validity
    if validity is not None and validity.status == "valid" and validity.days_left <= warn_days:
        from mtls_doctor.shell import openssl, render

        findings.append(make_finding(
            "CLIENT_EXPIRES_SOON", f"the client certificate expires in {validity.days_left} days",
            f"It is valid until {leaf_s.not_after:%Y-%m-%d %H:%M} UTC.",
            subject=leaf_s.subject, location=leaf_s.location,
            evidence={"days_left": validity.days_left, "not_after": leaf_s.not_after},
            fix=Fix("Renew the client certificate before it expires.", (),
                    (render(openssl.x509("-noout", "-enddate", infile=files.cert.source)),))))
    return ClientResult(verdict, leaf_s, tuple(n.summary for n in sent_all), tuple(findings),
                        tuple(ts_summaries))
