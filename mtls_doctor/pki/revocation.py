"""Is the client certificate revoked? Its CRL and its OCSP answer, read and verified.

API Gateway never checks revocation ("API Gateway doesn't verify whether a certificate has been
revoked"): a revoked client certificate passes its handshake unless an authorizer refuses it.
`verify-client --revocation` therefore asks the certificate's own sources: the CRLs named by its
CRL distribution points (RFC 5280 4.2.1.13) and the OCSP responders named by its authority
information access (RFC 5280 4.2.2.1, RFC 6960). This module is pure: it finds the URLs and the
issuer, builds the OCSP request, and judges the bytes that `mtls_doctor.probe.fetch` brought
back. An answer counts only when it verifies:

- a CRL: issued under the issuer's name, signed by the issuer's key (which keyUsage must allow to
  sign CRLs), current (`thisUpdate` passed, `nextUpdate` not), no unknown critical extension, and
  covering end-entity certificates (no `onlyContainsCACerts`, no indirect or delta CRL). A
  verified CRL that lists the serial says revoked even when stale; one that does not list it says
  "not revoked" only when current and complete (no `onlySomeReasons`);
- an OCSP answer: `successful`, about this very certificate (serial and issuer hashes), signed
  by the issuer or by a responder certificate the issuer certified for id-kp-OCSPSigning (RFC
  6960 4.2.2.2) that is valid now, and current (`thisUpdate` passed, `nextUpdate` not).

Anything else is `unknown`, with the reason. Revocation is judged as of now (the answers are
today's), whatever `--at` says.
"""

from __future__ import annotations

from dataclasses import field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtendedKeyUsageOID,
    ExtensionOID,
)

from mtls_doctor.model.certificate import Position
from mtls_doctor.model.evidence import Attempt, Status
from mtls_doctor.model.frozen import frozen
from mtls_doctor.pki.describe import find_extension, key_usage, serial_hex
from mtls_doctor.pki.load import LoadedCert
from mtls_doctor.pki.quiet import quiet
from mtls_doctor.pki.signature import SignatureCheck, check_signature, names_chain

#: clock difference tolerated between this machine and a CRL issuer or OCSP responder
SKEW = timedelta(minutes=5)
#: URLs of each kind asked, at most (a certificate could name hundreds)
MAX_URLS = 3
_PSS = "1.2.840.113549.1.1.10"


class RevocationState(StrEnum):
    """What a source, or all of them together, says about the certificate."""

    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@frozen
class SourceAnswer:
    """What one source (`kind` `crl` or `ocsp`, at `url`) said, verified or not. `status` is
    how its reading went (`ok` when an answer was read and verified; else why not), `detail` one
    line."""

    kind: str
    url: str
    state: RevocationState
    detail: str
    status: Status = Status.OK
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    this_update: datetime | None = None
    next_update: datetime | None = None
    #: the CRL's encoding as fetched (`DER` or `PEM`), for the commands that re-check it
    encoding: str | None = None

    @property
    def label(self) -> str:
        """`the CRL at URL` / `the OCSP responder at URL`."""
        return f"the {'CRL' if self.kind == 'crl' else 'OCSP responder'} at {self.url}"


@frozen
class SourceUrl:
    """A revocation source the certificate names, of `kind` `crl` (CRL distribution point) or `ocsp`
    (AIA OCSP), its URL, and whether it is asked (only http(s) URLs, the first `MAX_URLS` of
    each kind; not `ldap:` or any other scheme)."""

    kind: str
    url: str
    asked: bool = True


@frozen
class RevocationResult:
    """The payload of `verify-client --revocation`: the decision, whose answers made it, and why
    nothing could be asked when nothing was (`note`)."""

    state: RevocationState
    serial: str
    issuer: str | None
    issuer_location: str | None
    sources: tuple[SourceUrl, ...] = ()
    answers: tuple[SourceAnswer, ...] = ()
    note: str = ""
    #: the issuer's position, for the commands that re-check (not in the report)
    issuer_position: Position | None = field(default=None, metadata={"report": False})

    def urls(self, kind: str) -> tuple[str, ...]:
        """The URLs of one kind (`crl`, `ocsp`) that are asked."""
        return tuple(s.url for s in self.sources if s.kind == kind and s.asked)

    @property
    def not_asked(self) -> tuple[str, ...]:
        """The URLs the certificate names that are not asked."""
        return tuple(s.url for s in self.sources if not s.asked)

    @property
    def deciding(self) -> tuple[SourceAnswer, ...]:
        """The answers that decided: those that said revoked, else those that said good."""
        return tuple(a for a in self.answers if a.state is self.state) \
            if self.state is not RevocationState.UNKNOWN else ()


def _is_http(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def revocation_urls(cert: x509.Certificate) -> tuple[SourceUrl, ...]:
    """The CRL distribution points' and the AIA OCSP entries' URIs (full names only; a CRL
    named relative to its issuer, or issued by another CRL issuer, is not asked)."""
    found: list[tuple[str, str]] = []
    ext = find_extension(cert, ExtensionOID.CRL_DISTRIBUTION_POINTS)
    if ext is not None and isinstance(ext.value, x509.CRLDistributionPoints):
        for point in ext.value:
            if point.crl_issuer:
                continue  # an indirect CRL: not what this tool reads
            found += [("crl", n.value) for n in point.full_name or ()
                      if isinstance(n, x509.UniformResourceIdentifier)]
    ext = find_extension(cert, ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
    if ext is not None and isinstance(ext.value, x509.AuthorityInformationAccess):
        found += [("ocsp", d.access_location.value) for d in ext.value
                  if d.access_method == AuthorityInformationAccessOID.OCSP
                  and isinstance(d.access_location, x509.UniformResourceIdentifier)]
    out: list[SourceUrl] = []
    asked = {"crl": 0, "ocsp": 0}
    for kind, url in dict.fromkeys(found):
        ask = _is_http(url) and asked[kind] < MAX_URLS
        asked[kind] += ask
        out.append(SourceUrl(kind, url, ask))
    return tuple(out)


def find_issuer(leaf: x509.Certificate, candidates: list[LoadedCert]) -> LoadedCert | None:
    """The certificate among `candidates` (the truststore, the chain the client sends) that
    issued `leaf`: its subject is the leaf's issuer and its key verifies the leaf's signature."""
    for lc in candidates:
        if lc.cert is not None and names_chain(leaf.issuer, lc.cert.subject) \
                and check_signature(leaf, lc.cert)[0] is SignatureCheck.OK:
            return lc
    return None


def ocsp_request(leaf: x509.Certificate, issuer: x509.Certificate) -> bytes:
    """The DER OCSP request for `leaf` (certificate id with SHA-1, as RFC 5019 responders
    expect; no nonce, which many responders do not support)."""
    builder = ocsp.OCSPRequestBuilder().add_certificate(leaf, issuer, hashes.SHA1())  # noqa: S303
    return builder.build().public_bytes(serialization.Encoding.DER)


def failed(kind: str, url: str, attempt: Attempt) -> SourceAnswer:
    """A source that could not be read (refused, timed out, HTTP error, too large); its
    `detail` is the attempt's reason without the URL the answer already names."""
    reason = attempt.reason or attempt.status.value.replace("_", " ")
    if reason.startswith(url) and len(reason) > len(url):
        reason = reason[len(url):].lstrip(":").strip()
    return SourceAnswer(kind, url, RevocationState.UNKNOWN, reason, attempt.status)


def _unknown(kind: str, url: str, detail: str, status: Status = Status.ERROR) -> SourceAnswer:
    return SourceAnswer(kind, url, RevocationState.UNKNOWN, detail, status)


def _when(dt: datetime | None) -> str:
    return "never" if dt is None else f"{dt:%Y-%m-%d %H:%M} UTC"


# -- CRL -------------------------------------------------------------------------------------------


def _load_crl(data: bytes) -> tuple[x509.CertificateRevocationList, str]:
    with quiet():
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_crl(data), "PEM"
        return x509.load_der_x509_crl(data), "DER"


def _crl_scope(crl: x509.CertificateRevocationList) -> tuple[str | None, bool]:
    """(why this CRL cannot speak for an end-entity certificate, or None; whether it covers
    only some revocation reasons)."""
    partial = False
    for ext in crl.extensions:
        value = ext.value
        if isinstance(value, x509.DeltaCRLIndicator):
            return "it is a delta CRL, which lists only changes since a base CRL", False
        if isinstance(value, x509.IssuingDistributionPoint):
            if value.only_contains_ca_certs or value.only_contains_attribute_certs:
                return "its issuingDistributionPoint says it covers no end-entity certificate", False
            if value.indirect_crl:
                return "it is an indirect CRL, which this tool does not read", False
            partial = value.only_some_reasons is not None
        elif isinstance(value, x509.UnrecognizedExtension) and ext.critical:
            return (f"it carries a critical extension this tool does not know "
                    f"({ext.oid.dotted_string}), so RFC 5280 forbids using it"), False
    return None, partial


def _crl_reason(entry: x509.RevokedCertificate) -> str | None:
    try:
        ext = entry.extensions.get_extension_for_class(x509.CRLReason)
    except Exception:  # noqa: BLE001 - absent or unreadable: the entry still revokes
        return None
    return ext.value.reason.value


def read_crl(url: str, data: bytes, leaf: x509.Certificate, issuer: x509.Certificate,
             now: datetime) -> SourceAnswer:
    """What the CRL fetched from `url` says about `leaf`, verified against `issuer`."""
    try:
        crl, encoding = _load_crl(data)
        scope, partial = _crl_scope(crl)
        this_update, next_update = crl.last_update_utc, crl.next_update_utc
    except Exception:  # noqa: BLE001 - whatever does not parse is a malformed answer
        return _unknown("crl", url, f"the {len(data)} bytes fetched do not parse as a CRL "
                        "(DER or PEM)", Status.MALFORMED)
    base = SourceAnswer("crl", url, RevocationState.UNKNOWN, "", Status.ERROR,
                        this_update=this_update, next_update=next_update, encoding=encoding)

    def unknown(detail: str) -> SourceAnswer:
        return replace(base, detail=detail)

    if not names_chain(crl.issuer, issuer.subject):
        return unknown(f"the CRL is issued by {crl.issuer.rfc4514_string()}, not by the "
                       f"certificate's issuer {issuer.subject.rfc4514_string()}")
    usage = key_usage(issuer)
    if usage is not None and "cRLSign" not in usage:
        return unknown("the issuer's keyUsage does not allow it to sign CRLs (no cRLSign)")
    try:
        signed = crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
    except (TypeError, ValueError, UnsupportedAlgorithm) as exc:
        return unknown(f"the CRL's signature cannot be checked ({exc})")
    if not signed:
        return unknown("the CRL's signature does not verify under the issuer's key (a CRL not "
                       "signed by the issuer proves nothing)")
    if scope is not None:
        return unknown(f"the CRL cannot be used: {scope}")
    entry = crl.get_revoked_certificate_by_serial_number(leaf.serial_number)
    stale = next_update is not None and next_update < now - SKEW
    if entry is not None:
        reason = _crl_reason(entry)
        note = f" (the CRL itself is stale: its next update was due {_when(next_update)})" \
            if stale else ""
        return replace(base, state=RevocationState.REVOKED, status=Status.OK,
                       detail=f"lists the serial as revoked on "
                              f"{_when(entry.revocation_date_utc)}"
                              + (f", reason {reason}" if reason else "") + note,
                       revoked_at=entry.revocation_date_utc, revocation_reason=reason)
    if this_update > now + SKEW:
        return unknown(f"the CRL is not valid yet: issued {_when(this_update)}, later than now "
                       "(check the clocks)")
    if next_update is None:
        return unknown("the CRL names no next update, so whether it is current cannot be told "
                       "(RFC 5280 5.1.2.5 requires one)")
    if stale:
        return unknown(f"the CRL is stale: its next update was due {_when(next_update)}, so a "
                       "newer revocation may be missing")
    if partial:
        return unknown("the CRL covers only some revocation reasons (onlySomeReasons), so its "
                       "silence decides nothing")
    return replace(base, state=RevocationState.GOOD, status=Status.OK,
                   detail=f"current, signed by the issuer, and the serial is not listed (issued "
                          f"{_when(this_update)}, next update {_when(next_update)})")


# -- OCSP ------------------------------------------------------------------------------------------


def _key_id(cert: x509.Certificate) -> bytes | None:
    """SHA-1 of the public key bits: the OCSP responder id by key (RFC 6960 4.2.1)."""
    try:
        return x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest
    except Exception:  # noqa: BLE001 - a key cryptography cannot read matches nothing
        return None


def _names_responder(resp: ocsp.OCSPResponse, cert: x509.Certificate) -> bool:
    if resp.responder_name is not None:
        return names_chain(resp.responder_name, cert.subject)
    key_hash = resp.responder_key_hash
    return key_hash is not None and key_hash == _key_id(cert)


def _signer(resp: ocsp.OCSPResponse, issuer: x509.Certificate,
            now: datetime) -> tuple[x509.Certificate | None, str]:
    """The certificate that may have signed the answer and who it is, or None and why no
    authorized responder signed it (RFC 6960 4.2.2.2)."""
    if _names_responder(resp, issuer):
        return issuer, "the issuing CA"
    for cert in resp.certificates:
        if not _names_responder(resp, cert):
            continue
        who = cert.subject.rfc4514_string()
        if not names_chain(cert.issuer, issuer.subject) or \
                check_signature(cert, issuer)[0] is not SignatureCheck.OK:
            return None, f"the responder {who} is not certified by the certificate's issuer"
        ext = find_extension(cert, ExtensionOID.EXTENDED_KEY_USAGE)
        if ext is None or not isinstance(ext.value, x509.ExtendedKeyUsage) or \
                ExtendedKeyUsageOID.OCSP_SIGNING not in ext.value:
            return None, f"the responder {who} is not authorized: its certificate lacks the " \
                         "id-kp-OCSPSigning extended key usage"
        if not cert.not_valid_before_utc - SKEW <= now <= cert.not_valid_after_utc + SKEW:
            return None, f"the responder certificate {who} is not valid now " \
                         f"(valid {_when(cert.not_valid_before_utc)} to " \
                         f"{_when(cert.not_valid_after_utc)})"
        return cert, f"the delegated responder {who}"
    return None, "the answer is signed neither by the issuing CA nor by a responder " \
                 "certificate that the answer carries"


def _verify(key: object, signature: bytes, data: bytes,
            hash_alg: hashes.HashAlgorithm | None, oid: str) -> None:
    """Raise InvalidSignature (or UnsupportedAlgorithm) unless `key` signed `data`."""
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        key.verify(signature, data)
    elif hash_alg is None:
        raise UnsupportedAlgorithm("the signature names no hash algorithm")
    elif isinstance(key, rsa.RSAPublicKey):
        pad: padding.AsymmetricPadding = (
            padding.PSS(padding.MGF1(hash_alg), padding.PSS.AUTO) if oid == _PSS
            else padding.PKCS1v15())
        key.verify(signature, data, pad, hash_alg)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, data, ec.ECDSA(hash_alg))
    elif isinstance(key, dsa.DSAPublicKey):
        key.verify(signature, data, hash_alg)
    else:
        raise UnsupportedAlgorithm(f"cannot verify with a {type(key).__name__}")


def _about(single: ocsp.OCSPSingleResponse, leaf: x509.Certificate,
           issuer: x509.Certificate) -> bool:
    """Whether this single answer's certificate id is `leaf`'s (same hashes, same serial)."""
    if single.serial_number != leaf.serial_number:
        return False
    try:
        mine = ocsp.OCSPRequestBuilder().add_certificate(
            leaf, issuer, single.hash_algorithm).build()
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return (mine.issuer_key_hash == single.issuer_key_hash
            and mine.issuer_name_hash == single.issuer_name_hash)


def read_ocsp(url: str, data: bytes, leaf: x509.Certificate, issuer: x509.Certificate,
              now: datetime) -> SourceAnswer:
    """What the OCSP answer fetched from `url` says about `leaf`, verified against `issuer`."""
    try:
        with quiet():
            resp = ocsp.load_der_ocsp_response(data)
        status = resp.response_status
    except Exception:  # noqa: BLE001 - whatever does not parse is a malformed answer
        return _unknown("ocsp", url, f"the {len(data)} bytes answered do not parse as an OCSP "
                        "response", Status.MALFORMED)
    if status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        name = status.name.lower().replace("_", " ")
        why = " (it does not answer for this CA)" \
            if status is ocsp.OCSPResponseStatus.UNAUTHORIZED else ""
        return _unknown("ocsp", url, f"the responder answered '{name}'{why}, not a status")
    try:
        single = next((s for s in resp.responses if _about(s, leaf, issuer)), None)
        signer, who = _signer(resp, issuer, now)
        signature, tbs = resp.signature, resp.tbs_response_bytes
        hash_alg, oid = resp.signature_hash_algorithm, resp.signature_algorithm_oid.dotted_string
    except Exception:  # noqa: BLE001 - a response cryptography cannot take apart is malformed
        return _unknown("ocsp", url, "the OCSP response cannot be read", Status.MALFORMED)
    if single is None:
        return _unknown("ocsp", url, "the answer is about other certificates, not this one")
    this_update, next_update = single.this_update_utc, single.next_update_utc
    base = SourceAnswer("ocsp", url, RevocationState.UNKNOWN, "", Status.ERROR,
                        this_update=this_update, next_update=next_update)

    def unknown(detail: str) -> SourceAnswer:
        return replace(base, detail=detail)

    if signer is None:
        return unknown(f"the answer cannot be trusted: {who}")
    try:
        _verify(signer.public_key(), signature, tbs, hash_alg, oid)
    except InvalidSignature:
        return unknown(f"the answer's signature does not verify under the key of {who}")
    except (UnsupportedAlgorithm, TypeError, ValueError) as exc:
        return unknown(f"the answer's signature cannot be checked ({exc})")
    if this_update > now + SKEW:
        return unknown(f"the answer is dated {_when(this_update)}, later than now (check the "
                       "clocks)")
    if next_update is not None and next_update < now - SKEW:
        return unknown(f"the answer is stale: valid until {_when(next_update)}")
    signed = f"signed by {who}"
    if single.certificate_status is ocsp.OCSPCertStatus.REVOKED:
        reason = single.revocation_reason.value if single.revocation_reason else None
        return replace(base, state=RevocationState.REVOKED, status=Status.OK,
                       detail=f"says revoked on "
                              f"{_when(single.revocation_time_utc)}"
                              + (f", reason {reason}" if reason else "") + f" ({signed})",
                       revoked_at=single.revocation_time_utc, revocation_reason=reason)
    if single.certificate_status is ocsp.OCSPCertStatus.UNKNOWN:
        return unknown(f"says 'unknown': the responder does not know this certificate "
                       f"({signed})")
    return replace(base, state=RevocationState.GOOD, status=Status.OK,
                   detail=f"says good ({signed}, produced "
                          f"{_when(resp.produced_at_utc)})")


# -- the decision ----------------------------------------------------------------------------------


def decide(answers: tuple[SourceAnswer, ...]) -> RevocationState:
    """Revoked when a verified source says so; else good when one says good; else unknown."""
    states = {a.state for a in answers}
    if RevocationState.REVOKED in states:
        return RevocationState.REVOKED
    if RevocationState.GOOD in states:
        return RevocationState.GOOD
    return RevocationState.UNKNOWN


def summary(result: RevocationResult) -> str:
    """One line: what each source said (or why none was asked)."""
    if not result.answers:
        return result.note
    return "; ".join(f"{a.label}: {a.detail}" for a in result.answers)


def revocation_attempt(result: RevocationResult) -> Attempt:
    """The evidence the `client.revocation` check needs: `ok` when a verified source decided,
    else the way the sources failed (the check is then `unknown`)."""
    if result.state is RevocationState.GOOD:
        return Attempt("revocation", Status.OK, "not revoked: " + summary(result))
    if result.state is RevocationState.REVOKED:
        return Attempt("revocation", Status.OK, "revoked: " + summary(result))
    statuses = {a.status for a in result.answers} - {Status.OK}
    status = statuses.pop() if len(statuses) == 1 else Status.ERROR
    return Attempt("revocation", status, summary(result))


def serial_of(cert: x509.Certificate) -> str:
    """The serial as the report shows it (even-length lower-case hex)."""
    return serial_hex(cert.serial_number)
