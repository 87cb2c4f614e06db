"""What clients, servers and AWS print, read as facts: the patterns behind `recognise`.

Each rule is a pattern, a builder that turns a match into a `Hit` (the walkthrough it points to,
the facts it establishes, the values it names, the finding it corresponds to), and needles: lower
case words every match contains, so that a rule runs only on a text that holds one of them. The
sources of the texts are given beside their rules: crypto/tls's alert names (Go), OpenSSL's and
curl's messages (lib/vtls/openssl.c), Node's `tls.checkServerIdentity`, .NET's `TlsAlertMessage`
and `SslPolicyErrors`, Java's JSSE, API Gateway's developer guide and knowledge-center articles,
and the BadRequestException texts IaC tools pass on (cited where used).

Which way a refusal goes is the point of most rules: the server refusing the client's certificate
(a TLS alert it sent) is `client-rejected`; the client refusing the server's certificate (a
verify error, a name mismatch) is `wrong-certificate`. A few hints (a bare alert name, a generic
handshake exception) are `weak`: `hits` drops them when the text says, more precisely, that the
client refused the server's certificate or could not load its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from mtls_doctor.safe import safe_text

_I = re.IGNORECASE
_B = r"(?<![A-Za-z0-9_])"  # token boundaries that treat `_` as part of a word (finding ids, statuses)
_E = r"(?![A-Za-z0-9_])"

#: TLS alert names (RFC 8446 6, RFC 5246 7.2) and their numbers
ALERTS: Mapping[str, int] = {
    "close_notify": 0, "unexpected_message": 10, "bad_record_mac": 20, "decryption_failed": 21,
    "record_overflow": 22, "decompression_failure": 30, "handshake_failure": 40, "no_certificate": 41,
    "bad_certificate": 42, "unsupported_certificate": 43, "certificate_revoked": 44,
    "certificate_expired": 45, "certificate_unknown": 46, "illegal_parameter": 47, "unknown_ca": 48,
    "access_denied": 49, "decode_error": 50, "decrypt_error": 51, "export_restriction": 60,
    "protocol_version": 70, "insufficient_security": 71, "internal_error": 80,
    "inappropriate_fallback": 86, "user_canceled": 90, "no_renegotiation": 100,
    "missing_extension": 109, "unsupported_extension": 110, "certificate_unobtainable": 111,
    "unrecognized_name": 112, "bad_certificate_status_response": 113, "bad_certificate_hash_value": 114,
    "unknown_psk_identity": 115, "certificate_required": 116, "no_application_protocol": 120,
}
_BY_NUMBER = {n: name for name, n in ALERTS.items()}

#: alerts a server sends about the client certificate
CERT_ALERTS = frozenset({"unknown_ca", "bad_certificate", "certificate_unknown", "unsupported_certificate",
                         "certificate_revoked", "certificate_expired", "access_denied", "decrypt_error",
                         "no_certificate"})

#: alert names also recognised without the word "alert" (bare, with spaces or underscores)
_BARE_ALERTS = ("unknown_ca", "certificate_required", "handshake_failure", "certificate_expired",
                "bad_certificate", "certificate_unknown", "certificate_revoked", "unsupported_certificate")

#: Go's names of the alerts (crypto/tls alert.go `alertText`), printed as `remote error: tls: NAME`
GO_ALERTS: Mapping[str, str] = {
    "unknown certificate authority": "unknown_ca", "bad certificate": "bad_certificate",
    "unsupported certificate": "unsupported_certificate", "revoked certificate": "certificate_revoked",
    "expired certificate": "certificate_expired", "unknown certificate": "certificate_unknown",
    "certificate required": "certificate_required", "handshake failure": "handshake_failure",
    "access denied": "access_denied", "error decrypting message": "decrypt_error",
    "protocol version not supported": "protocol_version", "internal error": "internal_error",
    "illegal parameter": "illegal_parameter", "unrecognized name": "unrecognized_name",
    "insufficient security level": "insufficient_security", "error decoding message": "decode_error",
    "no application protocol": "no_application_protocol", "missing extension": "missing_extension",
}

#: .NET's names (System.Net.Security.TlsAlertMessage) where the snake_case of the name is not
#: the RFC's; the others (UnknownCA aside) are the RFC name in CamelCase
_DOTNET_ALERTS: Mapping[str, str] = {
    "unknownca": "unknown_ca", "unsupportedcert": "unsupported_certificate",
    "decompressionfail": "decompression_failure", "insuffientsecurity": "insufficient_security",
    "unsupportedext": "unsupported_extension", "badrecordmac": "bad_record_mac",
}


@dataclass(frozen=True)
class Hit:
    """One thing a rule found: where (`start`, `matched`), what it points to and implies; `entry`
    is the fact whose question a walk may start at; `weak` marks a hint (see the module)."""

    walkthrough: str | None
    kind: str
    priority: int
    start: int
    matched: str
    facts: Mapping[str, Any]
    finding: str | None
    values: Mapping[str, Any] = field(default_factory=dict)
    entry: str | None = None
    #: only a hint: dropped when the text says the client refused the server's certificate
    weak: bool = False


def _access_denied(reason: str, **facts: Any) -> dict[str, Any]:
    """Facts of an API Gateway access-denied reason: the handshake went through with a certificate
    (so the key matched), and the request got 403 for `reason`."""
    return {"alert": "none", "http_status": 403, "forbidden_reason": reason,
            "client_cert_presented": True, "client_key_matches": True, **facts}


#: the client verified the *server's* certificate and refused it (which way the text goes, not
#: why): OpenSSL's verify errors (curl, Python, openssl s_client, Node), Java's PKIX and
#: CertPath errors, Go's x509 errors, Node's codes, .NET's policy errors
_REFUSED_SERVER = re.compile(
    r"certificate verify failed|SSL certificate problem|PKIX path (?:building|validation) failed|"
    r"unable to find valid certification path|unable to get local issuer|"
    r"unable to verify the first certificate|x509: certificate|tls: failed to verify certificate|"
    r"SunCertPathBuilderException|CertPathValidatorException|CertificateExpiredException|"
    + _B + r"(?:SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|"
    r"UNABLE_TO_GET_ISSUER_CERT(?:_LOCALLY)?|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|"
    r"ERR_TLS_CERT_ALTNAME_INVALID|CERT_UNTRUSTED|RemoteCertificateChainErrors|"
    r"RemoteCertificateNameMismatch)" + _E + r"|remote certificate is invalid|"
    r"verify error:num=\d+|Verify return code: [1-9]\d*", _I)

#: ... because no path to a trusted root could be built: the served chain is not trusted
_UNTRUSTED = re.compile(
    r"unable to get local issuer|unable to get issuer certificate|unable to verify the first "
    r"certificate|unable to find valid certification path|PKIX path building failed|"
    r"SunCertPathBuilderException|certificate signed by unknown authority|certificate not trusted|"
    + _B + r"(?:SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|"
    r"UNABLE_TO_GET_ISSUER_CERT(?:_LOCALLY)?|CERT_UNTRUSTED|RemoteCertificateChainErrors)" + _E, _I)

Builder = Callable[[re.Match[str], str], "Hit | None"]


@lru_cache(maxsize=4)
def _refused_server(text: str) -> bool:
    """Whether the text says the client refused the server's certificate (once per text: a
    phrase repeated all over a long text must not search it again each time)."""
    return _REFUSED_SERVER.search(text) is not None


def _squash(text: str) -> str:
    return " ".join(text.split())


def _hit(walkthrough: str | None, kind: str, priority: int, facts: Mapping[str, Any] | None = None,
         finding: str | None = None, *, entry: str | None = None, weak: bool = False) -> Builder:
    def build(m: re.Match[str], _text: str) -> Hit:
        return Hit(walkthrough, kind, priority, m.start(), _squash(m.group(0)), dict(facts or {}),
                    finding, entry=entry, weak=weak)
    return build


# --- values named in the text ---------------------------------------------------------------------

_HOST = re.compile(r"[A-Za-z0-9*_-](?:[A-Za-z0-9*._-]{0,252})|\[?[0-9A-Fa-f:.]{2,45}\]?")
_FILE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]{0,398}[\x21-\x7e])?")  # printable ASCII


def _host(value: str | None) -> str | None:
    """A host name or address as the text gives it, or None when it does not look like one (a
    value taken from pasted text goes into commands and the report: nothing else is kept)."""
    if not value:
        return None
    v = value.strip().strip("'\"`<>()").rstrip(".,;")
    return v if _HOST.fullmatch(v) else None


def _file(value: str | None) -> str | None:
    v = (value or "").strip().strip("'\"").rstrip(",;")
    return v if _FILE.fullmatch(v) and v != "(memory blob)" else None


def _names(text: str) -> list[str]:
    """Host names in a list as clients print it (`a, b`, `DNS:a, DNS:b, IP Address:1.2.3.4`)."""
    out: list[str] = []
    for part in re.split(r",\s*", text):
        name = _host(re.sub(r"^(?:DNS|IP(?:\s*Address)?):", "", part.strip(), flags=_I))
        if name and name not in out:
            out.append(name)
    return out


def _served(host: str | None, names: list[str] | None = None) -> dict[str, Any]:
    """The values of a host name mismatch: the host asked for, the names the certificate has."""
    values: dict[str, Any] = {}
    if _host(host):
        values["host"] = _host(host)
    if names:
        values["served_names"] = names
        values["served_wildcard"] = any(n.startswith("*.") for n in names)
    return values


_MISMATCH = {"served_cert_covers_host": False, "served_cert_is_fqdn": False}


def _group(m: re.Match[str], prefix: str) -> str | None:
    """The first group whose name starts with `prefix` that took part in the match."""
    return next((v for k, v in m.groupdict().items() if k.startswith(prefix) and v), None)


def _mismatch(m: re.Match[str], _text: str) -> Hit:
    """A host name mismatch: the served certificate does not cover the host, so it does not name
    it exactly either; the `host*` and `names` groups (when the pattern has them) give the values."""
    names = _group(m, "names")
    return Hit("wrong-certificate", "verify-error", 84, m.start(), _squash(m.group(0)), dict(_MISMATCH),
                "SERVER_HOSTNAME_MISMATCH", values=_served(_group(m, "host"), _names(names or "")))


def _go_expired(m: re.Match[str], _text: str) -> Hit:
    """Go: `x509: certificate has expired or is not yet valid: current time T is after|before T2`
    (without the detail it may be either)."""
    when = (m.group("when") or "").lower()
    facts = {"served_cert_expired": when == "after"} if when else {}
    return Hit("wrong-certificate", "verify-error", 83, m.start(), _squash(m.group(0)), facts,
                "SERVER_CERT_EXPIRED" if when == "after" else None)


def _load_error(m: re.Match[str], _text: str) -> Hit:
    """curl could not load the client certificate or key: nothing was sent, so the question about
    the server's alert is moot (the walk starts at whether a certificate was sent) and the files
    are at fault (the `cert*`/`key` groups name them when curl does)."""
    values = {k: v for k, v in (("cert_file", _file(_group(m, "cert"))),
                                 ("key_file", _file(_group(m, "key")))) if v}
    return Hit("client-rejected", "client-load", 86, m.start(), _squash(m.group(0)),
                {"client_cert_presented": False, "client_load_failed": True}, None, values=values,
                entry="client_cert_presented")


def _load_mismatch(m: re.Match[str], _text: str) -> Hit:
    """curl: the key does not belong to the certificate (it stops before sending either)."""
    values = {"cert_file": f} if (f := _file(_group(m, "cert"))) else {}
    return Hit("client-rejected", "client-load", 87, m.start(), _squash(m.group(0)),
                {"client_cert_presented": False, "client_key_matches": False}, "CLIENT_KEY_MISMATCH",
                values=values, entry="client_key_matches")


# --- builders ------------------------------------------------------------------------------------

def _status(m: re.Match[str], _text: str) -> Hit:
    status = "_".join(m.group("status").upper().split())
    if status == "AVAILABLE":
        return Hit("domain-status", "status", 20, m.start("status"), m.group("status"),
                    {"status": status}, None)
    return Hit("domain-status", "status", 90, m.start("status"), m.group("status"), {"status": status},
                f"DOMAIN_STATUS_{status}")


def _subject_values(subject: str) -> dict[str, Any]:
    """The subject an issuer-conflict message names: the subject, whether its name is a wildcard,
    and the domain when the name is a plain host name."""
    subject = subject.strip().strip("<>\"'").strip()
    if not subject or len(subject) > 300 or safe_text(subject) != subject:
        return {}
    cn = re.search(r"(?:^|[,/]\s*)CN\s*=\s*([^,/+]+)", subject, _I)
    name = (cn.group(1) if cn else subject).strip()
    values: dict[str, Any] = {"subject": subject}
    if _host(name) and "." in name:
        values["subject_wildcard"] = name.startswith("*.")
        if not name.startswith("*."):
            values["domain"] = name
    return values


_SUBJECT = re.compile(r"certificate\s+subject\s+", _I)


def _issuer_conflict(m: re.Match[str], text: str) -> Hit:
    """The issuer conflict, with the subject it names ("The certificate subject <S> conflicts
    ..."): the nearest `certificate subject` at most 300 characters before (looked for from the
    phrase backwards, so that a text full of `certificate subject` costs no more than any other)."""
    before = text[max(0, m.start() - 340):m.start()]
    subject = None
    start = m.start()
    for found in _SUBJECT.finditer(before):
        subject, start = before[found.end():], m.start() - len(before) + found.start()
    if subject is not None and len(subject) > 300:
        subject, start = None, m.start()
    return Hit("issuer-conflict", "aws-error", 95, start, _squash(text[start:m.end()]), {},
                "DOMAIN_ISSUER_CONFLICT", values=_subject_values(subject) if subject else {})


_UNREADABLE = re.compile(
    r"access\s*denied|not\s+authori[sz]ed|forbidden|NoSuch(?:Key|Bucket|Version)|does\s*n[o']t\s+exist|"
    r"not\s+(?:be\s+)?found|(?:could|can)\s*n[o']t\s+(?:be\s+)?(?:read|access|retriev|download|find|found|"
    r"get|load)|cannot\s+(?:be\s+)?(?:read|access|retriev|download|find|get|load)|unable\s+to\s+(?:read|"
    r"access|retrieve|download|find|get|load)|failed\s+to\s+(?:read|access|retrieve|download|get|load)", _I)
_OWNERSHIP_MISSING = re.compile(r"missing|required|must\s+(?:be\s+)?(?:provide|specif|set)|"
                                r"not\s+(?:provided|specified|set)", _I)
_OWNERSHIP_INVALID = re.compile(r"invalid|expired|not\s+(?:valid|issued|eligible|found)|"
                                r"does\s*n[o']t\s+(?:cover|match|exist)|PENDING_VALIDATION", _I)


def _bad_request(m: re.Match[str], text: str) -> Hit | None:
    """A BadRequestException line (create/update-domain-name, or CloudFormation, Terraform, CDK
    passing it on) about the truststore or the ownership verification certificate. Wordings
    beyond the ones cited below are not published, so only what any wording must mean is read: a
    truststore that is "not found" / "access denied" / "cannot be read" is one API Gateway cannot
    read; an ownership certificate that is "missing" / "required" is absent, an "invalid" /
    "expired" one is there and not valid."""
    start = m.start("key")
    end = text.find("\n", m.end())
    line = text[m.start():end if end >= 0 else len(text)]
    matched = _squash(text[start:end if end >= 0 else len(text)])[:300].strip()
    if re.search(r"trust\s*store", line, _I):
        if _UNREADABLE.search(line):
            return Hit("truststore-update", "aws-error", 92, start, matched,
                        {"truststore_readable": False}, "DOMAIN_TRUSTSTORE_UNREADABLE")
        return Hit("truststore-update", "aws-error", 70, start, matched, {}, None)
    if re.search(r"ownership\s*verification|ownershipVerification", line, _I):
        # "BadRequestException: Missing ownershipVerificationCertificate." (hashicorp/
        # terraform-provider-aws#35741, update-domain-name adding mTLS to an imported certificate)
        if _OWNERSHIP_MISSING.search(line):
            return Hit("domain-status", "aws-error", 92, start, matched,
                        {"ownership_cert_present": False}, "DOMAIN_OWNERSHIP_CERT_MISSING")
        if _OWNERSHIP_INVALID.search(line):
            return Hit("domain-status", "aws-error", 92, start, matched,
                        {"ownership_cert_present": True, "ownership_cert_valid": False},
                        "DOMAIN_OWNERSHIP_CERT_INVALID")
    return None


def _alert_hit(name: str, start: int, matched: str, priority: int = 75, *, weak: bool = False) -> Hit:
    facts: dict[str, Any] = {"alert": name}
    if name == "certificate_required":
        # the server's alert: the client connected, so it did load its files (or had none)
        facts["client_cert_presented"] = False
        facts["client_load_failed"] = False
        finding = "MTLS_NO_CLIENT_CERT_GIVEN"
    elif name in CERT_ALERTS:
        finding = "MTLS_CLIENT_CERT_REJECTED"
    else:
        finding = "PROBE_HANDSHAKE_FAILED"
    return Hit("client-rejected", "tls-alert", priority, start, _squash(matched), facts, finding, weak=weak)


def _alert(m: re.Match[str], _text: str) -> Hit:
    name = "_".join(re.split(r"[\s_]+", m.group("name").lower()))
    return _alert_hit(name, m.start(), m.group(0))


def _alert_number(m: re.Match[str], _text: str) -> Hit | None:
    name = _BY_NUMBER.get(int(m.group("number")))
    return None if name is None else _alert_hit(name, m.start(), m.group(0))


def _sent_here(m: re.Match[str], text: str) -> bool:
    """Go's `local error: tls: NAME`: an alert this side sent, not the server's verdict."""
    return bool(re.search(r"local\s+error:\s*(?:tls:\s*)?$", text[max(0, m.start() - 30):m.start()], _I))


def _bare_alert(m: re.Match[str], text: str) -> Hit | None:
    if _sent_here(m, text):
        return None
    name = "_".join(re.split(r"[\s_]+", m.group(1).lower()))
    return _alert_hit(name, m.start(), m.group(0), priority=60, weak=True)


def _go_alert(m: re.Match[str], text: str) -> Hit | None:
    """Go's `remote error: tls: NAME` (the server's alert); without `remote error:` a hint."""
    if _sent_here(m, text):
        return None
    name = GO_ALERTS[" ".join(m.group("name").lower().split())]
    remote = bool(m.group("remote"))
    return _alert_hit(name, m.start(), m.group(0), priority=76 if remote else 62, weak=not remote)


def _dotnet_alert(m: re.Match[str], _text: str) -> Hit | None:
    """.NET: `Authentication failed because the remote party sent a TLS alert: 'UnknownCA'` (a
    name of TlsAlertMessage, or the number when .NET has no name for it)."""
    raw = m.group("name")
    if raw.isdigit():
        name = _BY_NUMBER.get(int(raw))
    else:
        name = _DOTNET_ALERTS.get(raw.lower()) or re.sub(r"(?<!^)(?=[A-Z])", "_", raw).lower()
    if name is None or name not in ALERTS:
        return None
    return _alert_hit(name, m.start(), m.group(0), priority=76)


def _has_expired(m: re.Match[str], text: str) -> Hit:
    """`certificate has expired` is OpenSSL's verify error: about the server's certificate when a
    client printed it (next to "certificate verify failed", a Node or Go code), about the client's
    in API Gateway's log."""
    if _refused_server(text) and not _after_reason(m, text):
        return Hit("wrong-certificate", "verify-error", 82, m.start(), m.group(0),
                    {"served_cert_expired": True}, "SERVER_CERT_EXPIRED")
    return Hit("client-rejected", "access-denied", 65, m.start(), m.group(0),
                _access_denied("certificate_expired", client_expired=True), "CLIENT_REJECTED")


def _after_reason(m: re.Match[str], text: str) -> bool:
    """The phrase follows `Reason:`: API Gateway's access log line ("Access denied. Reason: ...")."""
    return bool(re.search(r"Reason:\s*$", text[max(0, m.start() - 20):m.start()], _I))


def _self_signed(m: re.Match[str], text: str) -> Hit:
    """`self signed certificate` is one of API Gateway's access-denied reasons for the client
    certificate, and also OpenSSL's verify error when a client checks the server (`... in
    certificate chain` is only ever the latter)."""
    if not _after_reason(m, text) and (m.group("chain") or _refused_server(text)):
        return Hit("wrong-certificate", "verify-error", 81, m.start(), _squash(m.group(0)),
                    {"served_cert_trusted": False}, "SERVER_CERT_UNTRUSTED")
    return Hit("client-rejected", "access-denied", 85, m.start(), _squash(m.group(0)),
                _access_denied("self_signed", client_issuer_in_truststore=False, client_self_signed=True),
                "CLIENT_REJECTED")


def _warning_kind(what: str) -> str:
    what = what.lower()
    if "expire" in what:
        return "expired"
    if "not yet valid" in what or "not valid yet" in what:
        return "not_yet_valid"
    if "signature" in what or "hash" in what or "digest" in what:
        return "weak_signature"
    if "key" in what:
        return "weak_key"
    if "issuer" in what or "chain" in what:
        return "chain_too_long" if "long" in what or "length" in what else "missing_issuer"
    if " ca" in f" {what}" or "basic constraints" in what or "basicconstraints" in what:
        return "not_ca"
    return "other"


def _truststore_warning(m: re.Match[str], _text: str) -> Hit:
    return Hit("truststore-warnings", "truststore-warning", 78, m.start(), m.group(0).strip(" \"'[,("),
                {"truststore_warning_count": 1, "warning_kind": _warning_kind(m.group("what"))},
                "DOMAIN_TRUSTSTORE_WARNING")


_STATUS_LINE = re.compile(r"^\W{0,3}HTTP/\d(?:\.\d)?\s+(\d{3})" + _E, _I | re.MULTILINE)


@lru_cache(maxsize=4)
def _http_status(text: str) -> int | None:
    """The status of the first HTTP status line of the text (once per text)."""
    status = _STATUS_LINE.search(text)
    return int(status.group(1)) if status else None


def _apigw_header(m: re.Match[str], text: str) -> Hit:
    """An API Gateway response header: an HTTP answer came, so the handshake went through; the
    status line, when pasted with it, gives the status."""
    facts: dict[str, Any] = {"alert": "none"}
    status = _http_status(text)
    if status is not None:
        facts["http_status"] = status
    return Hit("client-rejected", "http-header", 25, m.start(), _squash(m.group(0)), facts, None)


def _alternation(names: list[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


def _spaced(name: str) -> str:
    return r"[\s_]+".join(name.split("_"))


_FORBIDDEN_403 = {"alert": "none", "http_status": 403}
_TRUSTED_NOT = {"served_cert_trusted": False}
_Q = r"['\"‘’]?"  # an optional quote around a name
#: (pattern, builder, needles): a rule runs only on a text that holds one of its needles (lower
#: case words every match of it contains), so that a long text costs a few substring searches
#: for most rules rather than a scan by each pattern
RULES: tuple[tuple[re.Pattern[str], Builder, tuple[str, ...]], ...] = (
    # AWS errors and statuses. "The certificate subject <certSubject> conflicts with an existing
    # certificate from a different issuer." (API Gateway developer guide, "Troubleshooting domain
    # name conflicts"; re:Post knowledge center api-gateway-mtls-certificate-subject, also without
    # the subject)
    (re.compile(r"conflicts\s+with\s+an\s+existing\s+certificate\s+from\s+a\s+different\s+issuer", _I),
     _issuer_conflict, ("conflicts",)),
    # once per line, from the line's start to its first keyword (linear, however long the line)
    (re.compile(r"^[^\n]*?(?P<key>BadRequestException|Status\s*Code:\s*400)", _I | re.MULTILINE),
     _bad_request, ("badrequestexception", "code")),
    (re.compile(_B + r"(?P<status>pending[\s_]+certificate[\s_]+reimport|pending[\s_]+ownership[\s_]+"
                r"verification)" + _E, _I), _status, ("pending",)),
    (re.compile(_B + r"(?P<status>FAILED|UPDATING|PENDING|AVAILABLE)" + _E), _status,
     ("failed", "updating", "pending", "available")),
    (re.compile(r"status[\"']?\s*[:=]?\s*[\"']?(?P<status>failed|updating|pending|available)" + _E, _I),
     _status, ("status",)),
    (re.compile(r"\A\s*(?P<status>failed|updating|pending|available)\s*\Z", _I), _status,
     ("failed", "updating", "pending", "available")),
    # "BadRequestException: Missing ownershipVerificationCertificate." (hashicorp/
    # terraform-provider-aws#35741: update-domain-name adding mTLS to a domain with an imported
    # certificate)
    (re.compile(r"Missing\s+ownershipVerificationCertificate", _I),
     _hit("domain-status", "aws-error", 92, {"ownership_cert_present": False},
          "DOMAIN_OWNERSHIP_CERT_MISSING"), ("ownershipverificationcertificate",)),
    (re.compile(r"ownershipVerificationCertificate(?:Arn)?", _I), _hit("domain-status", "aws-setting", 45),
     ("ownershipverificationcertificate",)),
    # API Gateway's access-denied reasons (access log; knowledge center api-gateway-mutual-tls-403-errors)
    (re.compile(r"could\s+not\s+find\s+issuer\s+for\s+certificate", _I),
     _hit("client-rejected", "access-denied", 88,
          _access_denied("issuer_not_found", client_issuer_in_truststore=False), "CLIENT_REJECTED"),
     ("issuer",)),
    (re.compile(r"client\s+cert\s+using\s+an\s+insecure\s+signature\s+algorithm", _I),
     _hit("client-rejected", "access-denied", 88,
          _access_denied("insecure_signature_algorithm", client_weak_algorithm=True), "CLIENT_REJECTED"),
     ("insecure",)),
    (re.compile(r"self[\s-]signed\s+certificate(?P<chain>\s+in\s+(?:the\s+)?certificate\s+chain)?", _I),
     _self_signed, ("signed",)),
    # curl's client-side load errors (lib/vtls/openssl.c): the certificate is never sent
    (re.compile(r"could\s+not\s+load\s+(?:PEM|ASN1|PKCS12|P12)\s+client\s+certificate(?:\s+from\s+"
                r"(?P<cert>[^\s,]+))?|could\s+not\s+parse\s+PKCS12\s+file|unable\s+to\s+set\s+certificate\s+"
                r"file|unable\s+to\s+use\s+client\s+certificate|problem\s+with\s+the\s+local\s+(?:SSL\s+|"
                r"client\s+)+certificate|unable\s+to\s+set\s+private\s+key\s+file:?\s*'?(?P<key>[^'\n]*)'?|"
                r"unable\s+to\s+use\s+private\s+key\s+from\s+PKCS12\s+file\s+'(?P<cert2>[^'\n]*)'", _I),
     _load_error, ("could", "unable", "problem")),
    (re.compile(r"private\s+key\s+does\s+not\s+match\s+the\s+certificate\s+public\s+key|private\s+key\s+"
                r"from\s+PKCS12\s+file\s+'(?P<cert>[^'\n]*)'\s+does\s+not\s+match", _I), _load_mismatch,
     ("private",)),
    # the client's verdict on the server certificate (it refused the server, not the other way)
    (_UNTRUSTED, _hit("wrong-certificate", "verify-error", 81, _TRUSTED_NOT, "SERVER_CERT_UNTRUSTED"),
     ("unable", "pkix", "suncertpath", "authority", "trusted", "self_signed", "depth_zero", "chainerrors")),
    (_REFUSED_SERVER, _hit("wrong-certificate", "verify-error", 79),
     ("verify", "problem", "pkix", "unable", "x509", "certpath", "expiredexception", "self_signed",
      "depth_zero", "cert_", "remotecertificate", "remote certificate")),
    (re.compile(r"certificate\s+has\s+expired(?!\s+or\s+is\s+not\s+yet\s+valid)", _I), _has_expired,
     ("expired",)),
    (re.compile(_B + r"CERT_HAS_EXPIRED" + _E + r"|CertificateExpiredException"),
     _hit("wrong-certificate", "verify-error", 83, {"served_cert_expired": True}, "SERVER_CERT_EXPIRED"),
     ("expired",)),
    (re.compile(r"x509: certificate has expired or is not yet valid(?::\s*current time \S+ is "
                r"(?P<when>after|before))?", _I), _go_expired, ("x509",)),
    (re.compile(r"x509: certificate is valid for (?P<names>[^\n]{1,2000}?),? not (?P<host>[^\s\"',)]+)", _I),
     _mismatch, ("x509",)),
    (re.compile(r"x509: certificate is not valid for any names, but wanted to match (?P<host>[^\s\"',)]+)|"
                r"x509: cannot validate certificate for (?P<host2>\S+) because it doesn't contain any IP "
                r"SANs|"
                r"x509: certificate relies on legacy Common Name field", _I), _mismatch, ("x509",)),
    # Node (tls.checkServerIdentity): "Hostname/IP does not match certificate's altnames: Host: H.
    # is not in the cert's altnames: DNS:a, DNS:b" (older: "doesn't match")
    (re.compile(r"Hostname/IP does(?: not|n't) match certificate's altnames:?\s*(?:\"?(?:Host|IP):\s*"
                r"(?P<host>[^\s\"]+?)\.?\s+is not (?:in )?(?:the )?cert's (?:altnames|list|CN):\s*"
                r"(?P<names>[^\n\"]*))?", _I), _mismatch, ("hostname/ip",)),
    # curl, Python, Java, openssl, .NET host name errors
    (re.compile(r"certificate\s+subject\s+name\s+'(?P<names>[^'\n]+)'\s+does\s+not\s+match\s+target\s+host\s*"
                r"name\s+'(?P<host>[^'\n]+)'|no\s+alternative\s+certificate\s+subject\s+name\s+matches"
                r"(?:\s+target\s+host\s*name\s+'(?P<host2>[^'\n]+)')?", _I), _mismatch, ("subject",)),
    (re.compile(r"(?:hostname|IP address)\s+mismatch(?:,\s+certificate\s+is\s+not\s+valid\s+for\s+"
                r"'(?P<host>[^'\n]+)')?|no\s+subject\s+alternative\s+(?:DNS\s+)?names?\s+matching\s+"
                r"(?:IP\s+address\s+)?(?P<host2>\S+)\s+found|no\s+subject\s+alternative\s+(?:DNS\s+)?names?\s+"
                r"match|no\s+name\s+matching\s+(?P<host3>\S+)\s+found|doesn't\s+match\s+any\s+of\s+the\s+subject"
                r"\s+alternative\s+names|subjectAltName\s+does\s+not\s+match\s+(?P<host4>\S+)|"
                r"RemoteCertificateNameMismatch", _I), _mismatch,
     ("mismatch", "alternative", "matching", "subjectaltname")),
    (re.compile(r"The remote certificate was rejected by the provided RemoteCertificateValidationCallback",
                _I), _hit("wrong-certificate", "verify-error", 70), ("validationcallback",)),
    # TLS alerts the server sent about the client certificate
    (re.compile(r"(?:(?:ssl|tls)v\d+[\s_])?alert[\s_:]+(?P<name>" + "|".join(_spaced(a) for a in
                sorted(ALERTS, key=len, reverse=True)) + ")" + _E, _I), _alert, ("alert",)),
    (re.compile(r"alert\s+number\s+(?P<number>\d{1,3})\b", _I), _alert_number, ("alert",)),
    (re.compile(r"(?P<remote>remote\s+error:\s*)?" + _B + r"tls:\s*(?P<name>" + _alternation(list(GO_ALERTS))
                + r")" + _E, _I), _go_alert, ("tls:",)),
    (re.compile(r"remote\s+party\s+sent\s+a\s+TLS\s+alert:\s*" + _Q + r"(?P<name>[A-Za-z]+|\d{1,3})" + _Q,
                _I), _dotnet_alert, ("alert",)),
    (re.compile(_B + "(" + "|".join(_spaced(a) for a in _BARE_ALERTS) + ")" + _E, _I), _bare_alert,
     ("unknown", "required", "failure", "expired", "certificate", "revoked")),
    (re.compile(r"(?:javax\.net\.ssl\.)?SSLHandshakeException", _I),
     _hit("client-rejected", "tls-error", 50, None, "PROBE_HANDSHAKE_FAILED", weak=True),
     ("sslhandshakeexception",)),
    (re.compile(r"handshake\s+failed|SSL_connect|SSL_ERROR_SSL|The\s+SSL\s+connection\s+could\s+not\s+be\s+"
                r"established|Authentication\s+failed,\s+see\s+inner\s+exception", _I),
     _hit("client-rejected", "tls-error", 32, None, "PROBE_HANDSHAKE_FAILED", weak=True),
     ("handshake", "ssl_", "connection", "authentication")),
    (re.compile(r"connection\s+reset\s+by\s+peer|ECONNRESET|SSL_ERROR_SYSCALL|remote\s+party\s+has\s+closed"
                r"\s+the\s+transport\s+stream|forcibly\s+closed\s+by\s+the\s+remote\s+host", _I),
     _hit("client-rejected", "tls-error", 30, None, "PROBE_CONNECTION_RESET"),
     ("reset", "syscall", "closed")),
    (re.compile(r"No\s+client\s+certificate\s+CA\s+names\s+sent", _I),
     _hit("mtls-not-enforced", "tls-output", 65, {"client_cert_requested": False}, "MTLS_NOT_REQUESTED"),
     ("names",)),
    # HTTP answers
    (re.compile(r"No\s+required\s+SSL\s+certificate\s+was\s+sent", _I),
     _hit("client-rejected", "http", 70, {"alert": "none", "client_cert_presented": False,
                                          "client_load_failed": False},
          "MTLS_NO_CLIENT_CERT_GIVEN"), ("required",)),
    (re.compile(r"The\s+SSL\s+certificate\s+error", _I),
     _hit("client-rejected", "http", 70, {"alert": "none", "client_cert_presented": True},
          "MTLS_CLIENT_CERT_REJECTED"), ("error",)),
    (re.compile(r"Missing\s+Authentication\s+Token", _I),
     _hit("client-rejected", "http", 72,
          {**_FORBIDDEN_403, "forbidden_reason": "missing_authentication_token"}, "HTTP_FORBIDDEN"),
     ("token",)),
    (re.compile(r"User\s+is\s+not\s+authorized\s+to\s+access\s+this\s+resource", _I),
     _hit("client-rejected", "http", 72, {**_FORBIDDEN_403, "forbidden_reason": "authorizer"},
          "HTTP_FORBIDDEN"), ("authorized",)),
    (re.compile(r"with\s+an\s+explicit\s+deny|not\s+authorized\s+to\s+perform:\s*execute-api:Invoke", _I),
     _hit("client-rejected", "http", 72, {**_FORBIDDEN_403, "forbidden_reason": "resource_policy"},
          "HTTP_FORBIDDEN"), ("deny", "authorized")),
    # API Gateway's error type header (curl -i / -v): the 403 types it sends
    (re.compile(r"x-amzn-ErrorType:\s*MissingAuthenticationTokenException", _I),
     _hit("client-rejected", "http", 71,
          {**_FORBIDDEN_403, "forbidden_reason": "missing_authentication_token"}, "HTTP_FORBIDDEN"),
     ("errortype",)),
    (re.compile(r"x-amzn-ErrorType:\s*ForbiddenException", _I),
     _hit("client-rejected", "http", 47, {**_FORBIDDEN_403, "forbidden_reason": "forbidden"},
          "HTTP_FORBIDDEN"), ("errortype",)),
    (re.compile(r"x-amzn-ErrorType:\s*AccessDeniedException", _I),  # an authorizer or a resource policy
     _hit("client-rejected", "http", 46, _FORBIDDEN_403, "HTTP_FORBIDDEN"), ("errortype",)),
    (re.compile(r"x-amz-apigw-id:\s*\S+|x-amzn-RequestId:\s*\S+", _I), _apigw_header,
     ("x-amz-apigw-id", "x-amzn-requestid")),
    (re.compile(r"[\"']message[\"']\s*:\s*[\"']Forbidden[\"']", _I),
     _hit("client-rejected", "http", 46, {**_FORBIDDEN_403, "forbidden_reason": "forbidden"},
          "HTTP_FORBIDDEN"), ("forbidden",)),
    (re.compile(r"HTTP/\d(?:\.\d)?\s+403" + _E, _I),
     _hit("client-rejected", "http", 45, _FORBIDDEN_403, "HTTP_FORBIDDEN"), ("403",)),
    (re.compile(r"\bForbidden\b", _I),
     _hit("client-rejected", "http", 40, {**_FORBIDDEN_403, "forbidden_reason": "forbidden"},
          "HTTP_FORBIDDEN"), ("forbidden",)),
    (re.compile(r"(?<![\w.:/-])403(?![\w.])"), _hit("client-rejected", "http", 35, _FORBIDDEN_403,
                                                    "HTTP_FORBIDDEN"), ("403",)),
    # truststore warnings: "Certificate <subject> has expired" at the start of a line or string
    (re.compile(r"(?:^|[\"'\[,(])\s*Certificate\s+(?!(?:has|is)\s)(?P<subject>[^\n\"']{1,300}?)\s*:?\s+"
                r"(?P<what>(?:has|is)\s+expired|expired|is\s+not\s+(?:yet\s+valid|valid\s+yet)|"
                r"not\s+yet\s+valid|(?:has|uses|is\s+using)\s+an?\s+(?:unsupported|insecure|weak|invalid)"
                r"[^\n\"']*|unsupported[^\n\"']*|is\s+not\s+a\s+CA[^\n\"']*|is\s+invalid[^\n\"']*)",
                _I | re.MULTILINE), _truststore_warning, ("certificate",)),
    (re.compile(r"truststore\s*warnings?", _I), _hit("truststore-warnings", "aws-setting", 60,
                                                      {"truststore_warning_count": 1},
                                                      "DOMAIN_TRUSTSTORE_WARNING"), ("warning",)),
    # plain requests
    (re.compile(r"(?:disable|turn\s+off|switch\s+off|deactivate|remove)\s+(?:the\s+)?(?:mutual[\s-]+tls|"
                r"mtls)\b", _I), _hit("disable-mtls", "request", 55), ("mtls", "mutual")),
    (re.compile(r"/mutualTlsAuthentication/truststoreUri'?,\s*value=(?:''|\"\")", _I),
     _hit("disable-mtls", "request", 56), ("truststoreuri",)),
    (re.compile(r"(?:update|rotate|replace|renew|upload)\s+(?:the\s+|a\s+new\s+)?trust\s*store\b|"
                r"truststoreVersion", _I), _hit("truststore-update", "request", 50), ("trust",)),
    (re.compile(r"disableExecuteApiEndpoint|(?:default\s+)?execute-api\s+endpoint", _I),
     _hit("mtls-not-enforced", "request", 50), ("execute",)),
    (re.compile(r"\bfqdn\b.{0,80}\bwildcard\b|\bwildcard\b.{0,80}\bfqdn\b", _I | re.DOTALL),
     _hit("wrong-certificate", "request", 55), ("fqdn",)),
)


def hits(text: str) -> list[Hit]:
    """Every hit of every rule in `text` (the weak ones dropped where the text says more)."""
    out: list[Hit] = []
    low = text.lower()
    for pattern, build, needles in RULES:
        if not any(n in low for n in needles):
            continue
        for m in pattern.finditer(text):
            hit = build(m, text)
            if hit is not None:
                out.append(hit)
    # a bare alert name or a generic handshake exception next to the client's refusal of the
    # server certificate (or a local load error) is that refusal's by-product, not the server's
    # verdict on the client certificate
    if any(h.kind in ("verify-error", "client-load") for h in out):
        out = [h for h in out if not h.weak]
    return out
