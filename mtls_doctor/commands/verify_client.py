"""`mtls-doctor verify-client`: would API Gateway accept this client certificate? With
`--revocation`, also: has its CA revoked it (which API Gateway never checks)?"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from mtls_doctor.commands.common import ClientInput, load_client, load_input, source_info
from mtls_doctor.deadline import Deadline
from mtls_doctor.model.catalog import make_finding
from mtls_doctor.model.certificate import Container
from mtls_doctor.model.checks import checks_of, derive_checks
from mtls_doctor.model.evidence import Attempt, Status, ok, skipped
from mtls_doctor.model.finding import Finding, Fix
from mtls_doctor.model.frozen import frozen
from mtls_doctor.model.report import Report
from mtls_doctor.pki.client import ClientFiles, ClientResult, verify_client
from mtls_doctor.pki.fixes import UploadTarget, append_cert_commands, ca_issuers_urls
from mtls_doctor.pki.load import LoadedFile
from mtls_doctor.safe import safe_names

if TYPE_CHECKING:  # pki.revocation (and cryptography's OCSP) loads only for --revocation
    from mtls_doctor.pki.revocation import RevocationResult, SourceAnswer

#: what the findings say about API Gateway and revocation (its guide: "API Gateway doesn't
#: verify whether a certificate has been revoked")
NOT_CHECKED = ("API Gateway itself does not check revocation: it accepts a revoked client "
               "certificate in the TLS handshake, and only an authorizer that checks the "
               "certificate API Gateway passes on (a Lambda authorizer) can refuse it.")


@frozen
class Revocation:
    """What `--revocation` found: the decision and its findings."""

    result: RevocationResult
    findings: tuple[Finding, ...]


def run_verify_client(cert: str, truststore: str, *, at: datetime, now: datetime,
                      key: str | None = None, chain: str | None = None,
                      password: bytes | None = None, warn_days: int = 30,
                      profile: str | None = None, region: str | None = None,
                      revocation: bool = False, deadline: Deadline | None = None) -> Report:
    """The verdict for `cert` against `truststore`, with the key check when a key is at hand,
    and with `revocation` its CRL and OCSP answers, fetched within `deadline`."""
    client = load_client(cert, key, password, key_required=False)
    ts_file = load_input(truststore, "truststore", password, profile=profile, region=region)
    chain_file = load_input(chain, "chain file", password) if chain else None
    revoked = None
    if revocation:
        result = check_revocation(client.file, ts_file, chain_file, deadline or Deadline(30.0),
                                  now)
        revoked = Revocation(result, revocation_findings(result, client.file, ts_file.source))
    return verdict_report(client, ts_file, chain_file, at=at, now=now, warn_days=warn_days,
                          revocation=revoked)


def verdict_report(client: ClientInput, ts_file: LoadedFile, chain_file: LoadedFile | None, *,
                   at: datetime, now: datetime, warn_days: int = 30,
                   target: UploadTarget | None = None,
                   revocation: Revocation | None = None) -> Report:
    """The verify-client report from files already read."""
    files = ClientFiles(client.file, chain_file, client.key, client.key_source)
    result = verify_client(files, ts_file, at, warn_days, target)
    return client_report(result, ts_file, has_key=client.key is not None, at=at, now=now,
                         revocation=revocation)


def client_report(result: ClientResult, ts_file: LoadedFile, *, has_key: bool, at: datetime,
                  now: datetime, revocation: Revocation | None = None) -> Report:
    """The verdict's findings, checks and payload (diagnose passes the domain's truststore)."""
    asked = skipped("revocation", "not asked for (verify-client --revocation)")
    if revocation is not None:
        from mtls_doctor.pki.revocation import revocation_attempt

        asked = revocation_attempt(revocation.result)
    evidence = {"key": ok("key") if has_key else skipped("key", "no private key given (--key)"),
                "revocation": asked}
    findings = result.findings + (revocation.findings if revocation is not None else ())
    payload: dict[str, object] = {
        "verdict": result.verdict,
        "client_certificate": result.leaf,
        "sent_chain": result.sent,
        "truststore": {"source": source_info(ts_file, at), "certificates": result.truststore},
    }
    if revocation is not None:
        payload["revocation"] = revocation.result
    return Report(
        command="verify-client",
        generated_at=now,
        checks=derive_checks(checks_of("client"), findings, evidence),
        findings=findings,
        payload=payload,
    )


# -- collecting: the CRLs and OCSP answers, fetched at once ------------------------------------------


def check_revocation(cert_file: LoadedFile, ts_file: LoadedFile, chain_file: LoadedFile | None,
                     deadline: Deadline, now: datetime) -> RevocationResult:
    """Ask every CRL and OCSP URL of the client certificate at once, within `deadline`, and
    judge the answers against its issuer (found in the truststore, `--chain` or `--cert`)."""
    from mtls_doctor.pki.revocation import (
        RevocationResult,
        RevocationState,
        decide,
        failed,
        find_issuer,
        ocsp_request,
        read_crl,
        read_ocsp,
        revocation_urls,
        serial_of,
    )
    from mtls_doctor.probe.fetch import MAX_CRL, MAX_OCSP, fetch  # urllib loads only here

    leaf_lc = cert_file.certificates[0] if cert_file.certificates else None
    if leaf_lc is None or leaf_lc.cert is None:
        return RevocationResult(RevocationState.UNKNOWN, "", None, None,
                                note="the client certificate does not parse, so its CRL and "
                                     "OCSP URLs cannot be read")
    leaf = leaf_lc.cert
    candidates = [*ts_file.good, *(chain_file.good if chain_file else ()),
                  *cert_file.good[1:], leaf_lc]
    issuer_lc = find_issuer(leaf, candidates)
    sources = revocation_urls(leaf)
    base = RevocationResult(
        RevocationState.UNKNOWN, serial_of(leaf),
        issuer_lc.cert.subject.rfc4514_string() if issuer_lc and issuer_lc.cert else None,
        issuer_lc.position.describe() if issuer_lc else None, sources,
        issuer_position=issuer_lc.position if issuer_lc else None)
    if not any(s.asked for s in sources):
        others = (f" that can be fetched (only http and https are; not asked: "
                  f"{safe_names(base.not_asked)})") if base.not_asked else ""
        return replace(base, note="the certificate names no CRL distribution point and no OCSP "
                                  f"responder{others}")
    if issuer_lc is None or issuer_lc.cert is None:
        return replace(base, note=f"its issuer {leaf.issuer.rfc4514_string()} is in neither the "
                                  "truststore nor the certificates the client sends, so no CRL "
                                  "or OCSP answer can be verified (give the issuing CA with "
                                  "--chain)")
    issuer = issuer_lc.cert

    def crl(url: str) -> SourceAnswer:
        got = fetch(url, deadline, call="crl.fetch", max_bytes=MAX_CRL,
                    headers={"Accept": "application/pkix-crl, */*"})
        return failed("crl", url, got.attempt) if got.body is None else \
            read_crl(url, got.body, leaf, issuer, now)

    def ask(url: str) -> SourceAnswer:
        try:
            request = ocsp_request(leaf, issuer)
        except (ValueError, TypeError) as exc:
            return failed("ocsp", url, Attempt("ocsp.query", Status.ERROR,
                                               f"no OCSP request can be built ({exc})"))
        got = fetch(url, deadline, call="ocsp.query", max_bytes=MAX_OCSP, body=request,
                    headers={"Content-Type": "application/ocsp-request",
                             "Accept": "application/ocsp-response"})
        return failed("ocsp", url, got.attempt) if got.body is None else \
            read_ocsp(url, got.body, leaf, issuer, now)

    jobs: list[Callable[[], SourceAnswer]] = [
        *(lambda u=u: crl(u) for u in base.urls("crl")),
        *(lambda u=u: ask(u) for u in base.urls("ocsp"))]
    from concurrent.futures import ThreadPoolExecutor  # only --revocation asks in parallel

    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="mtls-doctor-rev") as pool:
        answers = tuple(pool.map(lambda job: job(), jobs))
    return replace(base, state=decide(answers), answers=answers)


# -- findings and their fixes -------------------------------------------------------------------------


def _recheck(result: RevocationResult, cert_file: LoadedFile,
             truststore: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Steps and commands that ask the same CRLs and OCSP responders with curl and openssl."""
    from mtls_doctor.shell import curl, openssl, render, render_all, tools

    steps: list[str] = []
    commands: list[str] = []
    cert = cert_file.source
    position = cert_file.certificates[0].position if cert_file.certificates else None
    if position is not None and (position.container not in (Container.PEM, Container.DER)
                                 or "://" in cert):
        commands += append_cert_commands(position, "client-cert.pem")
        cert = "client-cert.pem"
    issuer = "issuer.pem"
    where = result.issuer_position
    if where is not None and "://" not in where.source:
        commands += append_cert_commands(where, issuer)
    elif result.issuer is not None:
        steps.append(f"Save the issuing CA's certificate ({result.issuer}, "
                     f"{result.issuer_location}) as {issuer}.")
    cafile = truststore if "://" not in truststore else "truststore.pem"
    if cafile != truststore:
        steps.append(f"Download the truststore ({truststore}) to {cafile}.")
    encodings = {a.url: a.encoding for a in result.answers if a.kind == "crl"}
    crls = result.urls("crl")
    for i, url in enumerate(crls, 1):
        form = encodings.get(url) or "DER"
        out = f"crl{'-' + str(i) if len(crls) > 1 else ''}.{form.lower()}"
        commands += render_all((
            curl.download(url, out),
            openssl.openssl("crl", "-inform", form, "-in", out, "-CAfile", issuer, "-noout",
                            "-lastupdate", "-nextupdate"),
            openssl.openssl("crl", "-inform", form, "-in", out, "-noout", "-text")
            | tools.grep(f"Serial Number: {result.serial.upper()}", after=3)))
    for url in result.urls("ocsp"):
        commands.append(render(openssl.openssl("ocsp", "-issuer", issuer, "-cert", cert, "-url",
                                               url, "-CAfile", cafile, "-resp_text")))
    if crls or result.urls("ocsp"):
        steps.append("Ask the same sources by hand: `openssl crl` prints `verify OK` for a CRL "
                     "signed by the issuer and its dates, the grep shows the serial's entry if it "
                     "is listed; `openssl ocsp` prints the status it was given.")
    return tuple(steps), tuple(commands)


def _verify_again(cert_file: LoadedFile, truststore: str, *extra: str) -> str:
    from mtls_doctor.shell import Command, doctor, render

    c = doctor.verify_client(cert_file.source, truststore)
    return render(Command((*c.argv, *extra, "--revocation")))


def _revoked(result: RevocationResult, cert_file: LoadedFile, truststore: str,
             subject: str | None, location: str | None, evidence: dict[str, object]) -> Finding:
    from mtls_doctor.pki.revocation import RevocationState
    from mtls_doctor.shell import openssl, render

    said = result.deciding
    kinds = " and ".join(dict.fromkeys("CRL" if a.kind == "crl" else "OCSP" for a in said))
    others = [a for a in result.answers if a.state is not RevocationState.REVOKED]
    also = (" Also: " + "; ".join(f"{a.label}: {a.detail}" for a in others) + ".") if others else ""
    from mtls_doctor.report.certs import colon_hex  # only here: its models cost start-up

    steps, commands = _recheck(result, cert_file, truststore)
    first = said[0]
    return make_finding(
        "CLIENT_REVOKED", f"the client certificate is revoked ({kinds})",
        f"Its CA revoked the certificate (serial {colon_hex(result.serial)}): "
        + "; ".join(f"{a.label}: {a.detail}" for a in said) + f".{also} {NOT_CHECKED}",
        subject=subject, location=location,
        evidence={**evidence, "revoked_at": first.revoked_at,
                  "revocation_reason": first.revocation_reason},
        fix=Fix("Stop using this certificate: issue the client a new certificate with a new key. "
                "API Gateway keeps accepting the revoked one unless an authorizer refuses it.",
                ("Make a new key and CSR for the client and have the CA sign it; install both on "
                 "the client.",
                 "If revoked certificates must be refused, add a Lambda authorizer that checks "
                 "the client certificate API Gateway passes on against the CRL or OCSP "
                 "responder: API Gateway does not.", *steps),
                (render(openssl.new_key_and_csr("client.key", "client.csr", "/CN=<client-name>")),
                 *commands, _verify_again(cert_file, truststore))))


def _unknown(result: RevocationResult, cert_file: LoadedFile, truststore: str,
             subject: str | None, location: str | None, evidence: dict[str, object]) -> Finding:
    from mtls_doctor.shell import curl, openssl, render

    cert = cert_file.source
    if result.answers:
        why = "; ".join(f"{a.label}: {a.detail}" for a in result.answers)
        steps, commands = _recheck(result, cert_file, truststore)
        fix = Fix("Find out from the CA whether the certificate is revoked: ask its CRL and OCSP "
                  "responder by hand (commands below), fix what stops them answering, or ask "
                  "the CA.", steps, (*commands, _verify_again(cert_file, truststore)))
    elif result.issuer is None and result.serial and any(s.asked for s in result.sources):
        why = result.note
        fetch_ca = tuple(render(curl.download(u, "issuer.crt")) for u in
                         ca_issuers_urls(cert_file.certificates[0].cert))
        fix = Fix("Give the certificate's issuing CA with --chain (its certificate, PEM), so that "
                  "the CRL's and the OCSP answer's signatures can be checked.",
                  ("See which CA issued the certificate; get that CA's certificate from its owner "
                   "(or from the certificate's caIssuers URL), check its fingerprint, save it as "
                   "issuer.pem and run again with --chain issuer.pem.",),
                  (render(openssl.x509("-noout", "-issuer", infile=cert)), *fetch_ca,
                   _verify_again(cert_file, truststore, "--chain", "issuer.pem")))
    else:
        why = result.note
        fix = Fix("Ask the certificate's CA how it publishes revocation; a certificate that names "
                  "no http(s) CRL or OCSP URL can only be checked against a CRL the CA hands "
                  "out.", ("Look at the certificate's crlDistributionPoints and "
                           "authorityInfoAccess extensions.",),
                  (render(openssl.x509("-noout", "-ext",
                                       "crlDistributionPoints,authorityInfoAccess",
                                       infile=cert)),))
    return make_finding(
        "CLIENT_REVOCATION_UNKNOWN", "whether the client certificate is revoked could not be told",
        f"No CRL or OCSP answer that verifies decided it: {why}. {NOT_CHECKED}",
        subject=subject, location=location, evidence=evidence, fix=fix)


def revocation_findings(result: RevocationResult, cert_file: LoadedFile,
                        truststore: str) -> tuple[Finding, ...]:
    """CLIENT_REVOKED when a verified source says revoked; CLIENT_REVOCATION_UNKNOWN when no
    verified source decided; nothing when one said good (the check passes, naming it)."""
    from mtls_doctor.pki.revocation import RevocationState

    if result.state is RevocationState.GOOD:
        return ()
    leaf = cert_file.certificates[0] if cert_file.certificates else None
    subject = leaf.cert.subject.rfc4514_string() if leaf is not None and leaf.cert else None
    location = leaf.position.describe() if leaf is not None else cert_file.source
    evidence: dict[str, object] = {
        "serial": result.serial, "issuer": result.issuer,
        "sources": [{"kind": a.kind, "url": a.url, "state": a.state.value,
                     "detail": a.detail, "revoked_at": a.revoked_at,
                     "revocation_reason": a.revocation_reason} for a in result.answers],
        "not_asked": [{"kind": s.kind, "url": s.url} for s in result.sources if not s.asked]}
    if result.state is RevocationState.REVOKED:
        return (_revoked(result, cert_file, truststore, subject, location, evidence),)
    return (_unknown(result, cert_file, truststore, subject, location, evidence),)
