"""Recognise a pasted error, status or finding id and name the walkthrough that explains it.

`recognise(text)` looks, case-insensitively and anywhere in the text, for:

- every finding id of the catalog (ids without a walkthrough are recognised with walkthrough None);
- the domain status names (PENDING_CERTIFICATE_REIMPORT and PENDING_OWNERSHIP_VERIFICATION
  anywhere; FAILED, UPDATING, PENDING and AVAILABLE, which are ordinary words too, in capitals, after
  `status`, or as the whole text; AVAILABLE is recognised as the healthy state);
- "The certificate subject ... conflicts with an existing certificate from a different issuer";
- API Gateway's access-denied reasons ("Could not find issuer for certificate", "Client cert using
  an insecure Signature Algorithm", "self signed certificate");
- TLS alerts by name as curl, openssl, Python and Java print them (`tlsv1 alert unknown ca`,
  `[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED]`, `Received fatal alert: certificate_unknown`,
  `SSL alert number 48`), `javax.net.ssl.SSLHandshakeException`, a reset;
- a client's verdict on the server certificate (`certificate verify failed`, `SSL certificate
  problem`, `PKIX path building failed`, host name mismatches, `certificate has expired`);
- 403 answers (`HTTP/1.1 403`, `403 Forbidden`, `{"message":"Forbidden"}`, a bare 403, "Missing
  Authentication Token", authorizer and resource-policy denials), nginx's client-certificate 400s;
- truststoreWarnings texts ("Certificate CN=... has expired") and a few plain requests (disable
  mTLS, update the truststore, default execute-api endpoint).

Each hit implies facts the walkthrough's questions read (see `trees.FACTS`). Hits are grouped per
walkthrough, the facts of a group merged (the more specific hit wins a conflict), and the groups
returned best first. Unknown text gives [].
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mtls_doctor.model.catalog import CATALOG
from mtls_doctor.walkthroughs.model import Match

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

#: facts a finding id implies (what its rule saw), for the walk that follows
FINDING_FACTS: Mapping[str, Mapping[str, Any]] = {
    "DOMAIN_STATUS_PENDING_CERTIFICATE_REIMPORT": {"status": "PENDING_CERTIFICATE_REIMPORT"},
    "DOMAIN_STATUS_PENDING_OWNERSHIP_VERIFICATION": {"status": "PENDING_OWNERSHIP_VERIFICATION"},
    "DOMAIN_STATUS_FAILED": {"status": "FAILED"},
    "DOMAIN_STATUS_UPDATING": {"status": "UPDATING"},
    "DOMAIN_STATUS_PENDING": {"status": "PENDING"},
    "DOMAIN_OWNERSHIP_CERT_MISSING": {"ownership_cert_present": False},
    "DOMAIN_OWNERSHIP_CERT_INVALID": {"ownership_cert_present": True, "ownership_cert_valid": False},
    "DOMAIN_CERT_NOT_ISSUED": {"domain_cert_issued": False},
    "DOMAIN_CERT_EXPIRES_SOON": {"domain_cert_expires_soon": True},
    "DOMAIN_ISSUER_CONFLICT": {"conflicting_cert_in_account": True},
    "DOMAIN_MTLS_DISABLED": {"mtls_enabled": False},
    "DOMAIN_EXECUTE_API_ENABLED": {"execute_api_enabled": True},
    "DOMAIN_DNS_ELSEWHERE": {"dns_points_to_domain": False},
    "DOMAIN_TRUSTSTORE_WARNING": {"truststore_warning_count": 1},
    "DOMAIN_TRUSTSTORE_STALE": {"truststore_stale": True},
    "DOMAIN_TRUSTSTORE_UNREADABLE": {"truststore_readable": False},
    "DOMAIN_TRUSTSTORE_VERSIONING_OFF": {"versioning_enabled": False},
    "TRUSTSTORE_EXPIRED": {"warning_kind": "expired"},
    "TRUSTSTORE_NOT_YET_VALID": {"warning_kind": "not_yet_valid"},
    "TRUSTSTORE_WEAK_SIGNATURE_HASH": {"warning_kind": "weak_signature"},
    "TRUSTSTORE_WEAK_RSA_KEY": {"warning_kind": "weak_key"},
    "TRUSTSTORE_UNSUPPORTED_KEY": {"warning_kind": "weak_key"},
    "TRUSTSTORE_MISSING_ISSUER": {"warning_kind": "missing_issuer"},
    "TRUSTSTORE_CHAIN_TOO_LONG": {"warning_kind": "chain_too_long"},
    "TRUSTSTORE_NOT_CA": {"warning_kind": "not_ca"},
    "CLIENT_KEY_MISMATCH": {"client_key_matches": False},
    "MTLS_NOT_REQUESTED": {"client_cert_requested": False},
    "SERVER_FQDN_INSTEAD_OF_WILDCARD": {"configured_cert_is_wildcard": True, "served_cert_is_fqdn": True},
    "SERVER_CERT_NOT_CONFIGURED_ONE": {"served_is_configured": False},
    "SERVER_HOSTNAME_MISMATCH": {"served_cert_covers_host": False},
    "SERVER_CERT_EXPIRED": {"served_cert_expired": True},
    "SERVER_CHAIN_INCOMPLETE": {"served_chain_complete": False},
    "SERVER_CERT_UNTRUSTED": {"served_cert_trusted": False},
    "HTTP_FORBIDDEN": {"alert": "none", "http_status": 403},
}


@dataclass(frozen=True)
class _Hit:
    walkthrough: str | None
    kind: str
    priority: int
    start: int
    matched: str
    facts: Mapping[str, Any]
    finding: str | None


def _access_denied(reason: str, **facts: Any) -> dict[str, Any]:
    """Facts of an API Gateway access-denied reason: the handshake went through with a certificate
    (so the key matched), and the request got 403 for `reason`."""
    return {"alert": "none", "http_status": 403, "forbidden_reason": reason,
            "client_cert_presented": True, "client_key_matches": True, **facts}


#: the client-side verification of the *server* certificate failed (curl, Python, Java)
_SERVER_VERIFY = re.compile(r"certificate verify failed|SSL certificate problem|PKIX path building failed|"
                            r"unable to find valid certification path|unable to get local issuer", _I)

Builder = Callable[[re.Match[str], str], "_Hit | None"]


def _hit(walkthrough: str | None, kind: str, priority: int, facts: Mapping[str, Any] | None = None,
         finding: str | None = None) -> Builder:
    def build(m: re.Match[str], _text: str) -> _Hit:
        return _Hit(walkthrough, kind, priority, m.start(), " ".join(m.group(0).split()),
                    dict(facts or {}), finding)
    return build


def _finding_id(m: re.Match[str], _text: str) -> _Hit:
    finding = m.group(1).upper()
    return _Hit(CATALOG[finding].walkthrough, "finding", 100, m.start(), m.group(1),
                dict(FINDING_FACTS.get(finding, {})), finding)


def _status(m: re.Match[str], _text: str) -> _Hit:
    status = "_".join(m.group("status").upper().split())
    if status == "AVAILABLE":
        return _Hit("domain-status", "status", 20, m.start("status"), m.group("status"),
                    {"status": status}, None)
    return _Hit("domain-status", "status", 90, m.start("status"), m.group("status"), {"status": status},
                f"DOMAIN_STATUS_{status}")


def _issuer_conflict(m: re.Match[str], _text: str) -> _Hit:
    return _Hit("issuer-conflict", "aws-error", 95, m.start(), " ".join(m.group(0).split()),
                {}, "DOMAIN_ISSUER_CONFLICT")


def _alert(m: re.Match[str], _text: str) -> _Hit:
    name = "_".join(re.split(r"[\s_]+", m.group("name").lower()))
    return _alert_hit(name, m.start(), m.group(0))


def _alert_number(m: re.Match[str], _text: str) -> _Hit | None:
    name = _BY_NUMBER.get(int(m.group("number")))
    return None if name is None else _alert_hit(name, m.start(), m.group(0))


def _alert_hit(name: str, start: int, matched: str, priority: int = 75) -> _Hit:
    facts: dict[str, Any] = {"alert": name}
    if name == "certificate_required":
        facts["client_cert_presented"] = False
        finding = "MTLS_NO_CLIENT_CERT_GIVEN"
    elif name in CERT_ALERTS:
        finding = "MTLS_CLIENT_CERT_REJECTED"
    else:
        finding = "PROBE_HANDSHAKE_FAILED"
    return _Hit("client-rejected", "tls-alert", priority, start, matched.strip(), facts, finding)


def _bare_alert(m: re.Match[str], _text: str) -> _Hit:
    name = "_".join(re.split(r"[\s_]+", m.group(1).lower()))
    return _alert_hit(name, m.start(), m.group(0), priority=60)


def _has_expired(m: re.Match[str], text: str) -> _Hit:
    """`certificate has expired` is OpenSSL's verify error: about the server's certificate when a
    client printed it (next to "certificate verify failed"), about the client's in API Gateway's log."""
    if _SERVER_VERIFY.search(text):
        return _Hit("wrong-certificate", "verify-error", 82, m.start(), m.group(0),
                    {"served_cert_expired": True}, "SERVER_CERT_EXPIRED")
    return _Hit("client-rejected", "access-denied", 65, m.start(), m.group(0),
                _access_denied("certificate_expired", client_expired=True), "CLIENT_REJECTED")


def _self_signed(m: re.Match[str], text: str) -> _Hit:
    """`self signed certificate` is one of API Gateway's access-denied reasons for the client
    certificate, and also OpenSSL's verify error when a client checks the server."""
    if _SERVER_VERIFY.search(text):
        return _Hit("wrong-certificate", "verify-error", 81, m.start(), m.group(0),
                    {"served_cert_trusted": False}, "SERVER_CERT_UNTRUSTED")
    return _Hit("client-rejected", "access-denied", 85, m.start(), m.group(0),
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


def _truststore_warning(m: re.Match[str], _text: str) -> _Hit:
    return _Hit("truststore-warnings", "truststore-warning", 78, m.start(), m.group(0).strip(" \"'[,("),
                {"truststore_warning_count": 1, "warning_kind": _warning_kind(m.group("what"))},
                "DOMAIN_TRUSTSTORE_WARNING")


def _alternation(names: list[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


def _spaced(name: str) -> str:
    return r"[\s_]+".join(name.split("_"))


_FORBIDDEN_403 = {"alert": "none", "http_status": 403}
_RULES: tuple[tuple[re.Pattern[str], Builder], ...] = (
    # finding ids: the most specific thing a text can say
    (re.compile(_B + f"({_alternation(list(CATALOG))})" + _E, _I), _finding_id),
    # AWS errors and statuses
    (re.compile(r"certificate\s+subject\s+.{0,300}?conflicts\s+with\s+an\s+existing\s+certificate\s+"
                r"from\s+a\s+different\s+issuer", _I | re.DOTALL), _issuer_conflict),
    (re.compile(r"conflicts\s+with\s+an\s+existing\s+certificate\s+from\s+a\s+different\s+issuer", _I),
     _issuer_conflict),
    (re.compile(_B + r"(?P<status>pending[\s_]+certificate[\s_]+reimport|pending[\s_]+ownership[\s_]+"
                r"verification)" + _E, _I), _status),
    (re.compile(_B + r"(?P<status>FAILED|UPDATING|PENDING|AVAILABLE)" + _E), _status),
    (re.compile(r"status[\"']?\s*[:=]?\s*[\"']?(?P<status>failed|updating|pending|available)" + _E, _I),
     _status),
    (re.compile(r"\A\s*(?P<status>failed|updating|pending|available)\s*\Z", _I), _status),
    (re.compile(r"ownershipVerificationCertificate(?:Arn)?", _I), _hit("domain-status", "aws-setting", 45)),
    # API Gateway's access-denied reasons (access log)
    (re.compile(r"could\s+not\s+find\s+issuer\s+for\s+certificate", _I),
     _hit("client-rejected", "access-denied", 88,
          _access_denied("issuer_not_found", client_issuer_in_truststore=False), "CLIENT_REJECTED")),
    (re.compile(r"client\s+cert\s+using\s+an\s+insecure\s+signature\s+algorithm", _I),
     _hit("client-rejected", "access-denied", 88,
          _access_denied("insecure_signature_algorithm", client_weak_algorithm=True), "CLIENT_REJECTED")),
    (re.compile(r"self[\s-]signed\s+certificate", _I), _self_signed),
    # the client's verdict on the server certificate
    (_SERVER_VERIFY, _hit("wrong-certificate", "verify-error", 80, {"served_cert_trusted": False},
                          "SERVER_CERT_UNTRUSTED")),
    (re.compile(r"certificate\s+has\s+expired", _I), _has_expired),
    (re.compile(r"no\s+alternative\s+certificate\s+subject\s+name\s+matches|hostname\s+mismatch|"
                r"no\s+subject\s+alternative\s+(?:DNS\s+)?names?\s+match|doesn't\s+match\s+any\s+of\s+the\s+"
                r"subject\s+alternative\s+names", _I),
     _hit("wrong-certificate", "verify-error", 80, {"served_cert_covers_host": False},
          "SERVER_HOSTNAME_MISMATCH")),
    # TLS alerts
    (re.compile(r"(?:(?:ssl|tls)v\d+[\s_])?alert[\s_:]+(?P<name>" + "|".join(_spaced(a) for a in
                sorted(ALERTS, key=len, reverse=True)) + ")" + _E, _I), _alert),
    (re.compile(r"alert\s+number\s+(?P<number>\d{1,3})\b", _I), _alert_number),
    (re.compile(_B + "(" + "|".join(_spaced(a) for a in _BARE_ALERTS) + ")" + _E, _I), _bare_alert),
    (re.compile(r"(?:javax\.net\.ssl\.)?SSLHandshakeException", _I),
     _hit("client-rejected", "tls-error", 50, None, "PROBE_HANDSHAKE_FAILED")),
    (re.compile(r"handshake\s+failed|SSL_connect|SSL_ERROR_SSL", _I),
     _hit("client-rejected", "tls-error", 32, None, "PROBE_HANDSHAKE_FAILED")),
    (re.compile(r"connection\s+reset\s+by\s+peer|ECONNRESET|SSL_ERROR_SYSCALL", _I),
     _hit("client-rejected", "tls-error", 30, None, "PROBE_CONNECTION_RESET")),
    (re.compile(r"No\s+client\s+certificate\s+CA\s+names\s+sent", _I),
     _hit("mtls-not-enforced", "tls-output", 65, {"client_cert_requested": False}, "MTLS_NOT_REQUESTED")),
    # HTTP answers
    (re.compile(r"No\s+required\s+SSL\s+certificate\s+was\s+sent", _I),
     _hit("client-rejected", "http", 70, {"alert": "none", "client_cert_presented": False},
          "MTLS_NO_CLIENT_CERT_GIVEN")),
    (re.compile(r"The\s+SSL\s+certificate\s+error", _I),
     _hit("client-rejected", "http", 70, {"alert": "none", "client_cert_presented": True},
          "MTLS_CLIENT_CERT_REJECTED")),
    (re.compile(r"Missing\s+Authentication\s+Token", _I),
     _hit("client-rejected", "http", 72,
          {**_FORBIDDEN_403, "forbidden_reason": "missing_authentication_token"}, "HTTP_FORBIDDEN")),
    (re.compile(r"User\s+is\s+not\s+authorized\s+to\s+access\s+this\s+resource", _I),
     _hit("client-rejected", "http", 72, {**_FORBIDDEN_403, "forbidden_reason": "authorizer"},
          "HTTP_FORBIDDEN")),
    (re.compile(r"with\s+an\s+explicit\s+deny|not\s+authorized\s+to\s+perform:\s*execute-api:Invoke", _I),
     _hit("client-rejected", "http", 72, {**_FORBIDDEN_403, "forbidden_reason": "resource_policy"},
          "HTTP_FORBIDDEN")),
    (re.compile(r"[\"']message[\"']\s*:\s*[\"']Forbidden[\"']", _I),
     _hit("client-rejected", "http", 46, {**_FORBIDDEN_403, "forbidden_reason": "forbidden"},
          "HTTP_FORBIDDEN")),
    (re.compile(r"HTTP/\d(?:\.\d)?\s+403" + _E, _I),
     _hit("client-rejected", "http", 45, _FORBIDDEN_403, "HTTP_FORBIDDEN")),
    (re.compile(r"\bForbidden\b", _I),
     _hit("client-rejected", "http", 40, {**_FORBIDDEN_403, "forbidden_reason": "forbidden"},
          "HTTP_FORBIDDEN")),
    (re.compile(r"(?<![\w.:/-])403(?![\w.])"), _hit("client-rejected", "http", 35, _FORBIDDEN_403,
                                                    "HTTP_FORBIDDEN")),
    # truststore warnings: "Certificate <subject> has expired" at the start of a line or string
    (re.compile(r"(?:^|[\"'\[,(])\s*Certificate\s+(?!(?:has|is)\s)(?P<subject>[^\n\"']{1,300}?)\s*:?\s+"
                r"(?P<what>(?:has|is)\s+expired|expired|is\s+not\s+(?:yet\s+valid|valid\s+yet)|"
                r"not\s+yet\s+valid|(?:has|uses|is\s+using)\s+an?\s+(?:unsupported|insecure|weak|invalid)"
                r"[^\n\"']*|unsupported[^\n\"']*|is\s+not\s+a\s+CA[^\n\"']*|is\s+invalid[^\n\"']*)",
                _I | re.MULTILINE), _truststore_warning),
    (re.compile(r"truststore\s*warnings?", _I), _hit("truststore-warnings", "aws-setting", 60,
                                                      {"truststore_warning_count": 1},
                                                      "DOMAIN_TRUSTSTORE_WARNING")),
    # plain requests
    (re.compile(r"(?:disable|turn\s+off|switch\s+off|deactivate|remove)\s+(?:the\s+)?(?:mutual[\s-]+tls|"
                r"mtls)\b", _I), _hit("disable-mtls", "request", 55)),
    (re.compile(r"/mutualTlsAuthentication/truststoreUri'?,\s*value=(?:''|\"\")", _I),
     _hit("disable-mtls", "request", 56)),
    (re.compile(r"(?:update|rotate|replace|renew|upload)\s+(?:the\s+|a\s+new\s+)?trust\s*store\b|"
                r"truststoreVersion", _I), _hit("truststore-update", "request", 50)),
    (re.compile(r"disableExecuteApiEndpoint|(?:default\s+)?execute-api\s+endpoint", _I),
     _hit("mtls-not-enforced", "request", 50)),
    (re.compile(r"\bfqdn\b.{0,80}\bwildcard\b|\bwildcard\b.{0,80}\bfqdn\b", _I | re.DOTALL),
     _hit("wrong-certificate", "request", 55)),
)


def _hits(text: str) -> list[_Hit]:
    out: list[_Hit] = []
    for pattern, build in _RULES:
        for m in pattern.finditer(text):
            hit = build(m, text)
            if hit is not None:
                out.append(hit)
    return out


def recognise(text: str) -> list[Match]:
    """What `text` is about, best first: one Match per walkthrough (and one per finding id that has
    no walkthrough), with the facts the text implies. [] when nothing is recognised."""
    groups: dict[str, list[_Hit]] = {}
    for hit in _hits(text):
        key = hit.walkthrough if hit.walkthrough is not None else f"finding:{hit.finding}"
        groups.setdefault(key, []).append(hit)
    ranked: list[tuple[int, int, Match]] = []
    for hits in groups.values():
        hits.sort(key=lambda h: (-h.priority, h.start))
        best = hits[0]
        facts: dict[str, Any] = {}
        for hit in reversed(hits):  # the best hit is applied last, so it wins a conflict
            facts.update(hit.facts)
        finding = next((h.finding for h in hits if h.finding), None)
        ranked.append((-best.priority, best.start,
                       Match(best.walkthrough, best.matched, facts, finding, best.kind)))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [m for _, _, m in ranked]
