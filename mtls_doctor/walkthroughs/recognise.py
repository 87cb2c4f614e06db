"""Recognise a pasted error, status or finding id and name the walkthrough that explains it.

`recognise(text)` looks, case-insensitively and anywhere in the text, for:

- every finding id of the catalog (ids without a walkthrough are recognised with walkthrough None);
- the domain status names (PENDING_CERTIFICATE_REIMPORT and PENDING_OWNERSHIP_VERIFICATION
  anywhere; FAILED, UPDATING, PENDING and AVAILABLE, which are ordinary words too, in capitals, after
  `status`, or as the whole text; AVAILABLE is recognised as the healthy state);
- the BadRequestException texts create/update-domain-name (and CloudFormation, Terraform, CDK,
  which pass them on) give for mutual TLS: the issuer conflict (with its subject), a missing or
  invalid ownership verification certificate, a truststore API Gateway cannot read;
- API Gateway's access-denied reasons ("Could not find issuer for certificate", "Client cert using
  an insecure Signature Algorithm", "self signed certificate");
- the server refusing the *client's* certificate: TLS alerts as curl, openssl, Python, Java
  (`Received fatal alert: certificate_unknown`), Node (`ERR_SSL_TLSV1_ALERT_UNKNOWN_CA`), Go
  (`remote error: tls: unknown certificate authority`) and .NET (`the remote party sent a TLS
  alert: 'UnknownCA'`) print them, `SSL alert number 48`, resets;
- the client refusing the *server's* certificate: OpenSSL's verify errors (`certificate verify
  failed`, `SSL certificate problem`), Go's `x509:` errors, Java's PKIX and host name errors,
  Node's codes (`SELF_SIGNED_CERT_IN_CHAIN`, `ERR_TLS_CERT_ALTNAME_INVALID`, ...), .NET's
  `RemoteCertificate*`; these go to `wrong-certificate`, never to `client-rejected`;
- curl's client-side load errors (`curl: (58) could not load PEM client certificate`): the
  certificate was never sent, and the fix is in the local files;
- 403 answers (`HTTP/1.1 403`, `403 Forbidden`, `{"message":"Forbidden"}`, a bare 403, "Missing
  Authentication Token", authorizer and resource-policy denials), API Gateway's response headers
  (`x-amzn-ErrorType`, `x-amz-apigw-id`, `x-amzn-RequestId`), nginx's client-certificate 400s;
- truststoreWarnings texts ("Certificate CN=... has expired") and a few plain requests (disable
  mTLS, update the truststore, default execute-api endpoint).

Each hit implies facts the walkthrough's questions read (see `trees.FACTS`) and may name values
that are not tree facts: placeholders (`host`, `domain`, `cert_file`, `key_file`) and details
(`served_names`, `subject`, ...). Hits are grouped per walkthrough, the facts of a group merged
(the more specific hit wins a conflict), and the groups returned best first. A few hints (a bare
alert name, a generic handshake exception) are dropped when the text says, more precisely, that
the client refused the server's certificate. Unknown text gives [].

`recognise_all(text)` returns the same groups as `Recognition`s, with the values and the fact
whose question a walk may start at (a finding whose fix does not depend on the questions before
that one, a curl load error for which the question about the server's alert is moot). The patterns
live in `walkthroughs.texts`; this module adds the finding ids and groups the hits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mtls_doctor.model.catalog import CATALOG
from mtls_doctor.walkthroughs.model import Match
from mtls_doctor.walkthroughs.texts import ALERTS, CERT_ALERTS, Hit
from mtls_doctor.walkthroughs.texts import hits as text_hits

__all__ = ["ALERTS", "CERT_ALERTS", "FINDING_ENTRY", "FINDING_FACTS", "Recognition", "recognise",
           "recognise_all"]

#: facts a finding id implies: what its rule's preconditions guarantee (aws/findings.py,
#: probe/findings.py, diagnose/rules.py, pki/*.py), for the walk that follows. Only facts of the
#: finding's own tree; a lower bound (`truststore_error_count: 1`) where the rule says "at least one"
FINDING_FACTS: Mapping[str, Mapping[str, Any]] = {
    "DOMAIN_STATUS_PENDING_CERTIFICATE_REIMPORT": {"status": "PENDING_CERTIFICATE_REIMPORT"},
    "DOMAIN_STATUS_PENDING_OWNERSHIP_VERIFICATION": {"status": "PENDING_OWNERSHIP_VERIFICATION"},
    "DOMAIN_STATUS_FAILED": {"status": "FAILED"},
    "DOMAIN_STATUS_UPDATING": {"status": "UPDATING"},
    "DOMAIN_STATUS_PENDING": {"status": "PENDING"},
    # mTLS on, an IMPORTED or PRIVATE certificate (which of the two is not said), no ARN
    "DOMAIN_OWNERSHIP_CERT_MISSING": {"ownership_cert_present": False},
    "DOMAIN_OWNERSHIP_CERT_INVALID": {"ownership_cert_present": True, "ownership_cert_valid": False},
    "DOMAIN_OWNERSHIP_CERT_IN_USE": {"ownership_cert_present": True},
    "DOMAIN_CERT_NOT_ISSUED": {"domain_cert_issued": False},
    # the rule's branch after `status != "ISSUED"`
    "DOMAIN_CERT_EXPIRES_SOON": {"domain_cert_issued": True, "domain_cert_expires_soon": True},
    # the conflicting certificates come from this account's ACM list
    "DOMAIN_ISSUER_CONFLICT": {"conflicting_cert_in_account": True},
    "DOMAIN_MTLS_DISABLED": {"mtls_enabled": False},
    # only with a truststore, and a policy that is not TLS_1_2 (which one is not said)
    "DOMAIN_SECURITY_POLICY_INCOMPATIBLE": {"mtls_enabled": True, "security_policy": "not TLS_1_2"},
    "DOMAIN_EXECUTE_API_ENABLED": {"execute_api_enabled": True},
    "DOMAIN_DNS_ELSEWHERE": {"dns_points_to_domain": False},
    "DOMAIN_TRUSTSTORE_WARNING": {"truststore_warning_count": 1},
    "DOMAIN_TRUSTSTORE_STALE": {"truststore_stale": True},
    "DOMAIN_TRUSTSTORE_UNREADABLE": {"truststore_readable": False},
    "DOMAIN_TRUSTSTORE_VERSIONING_OFF": {"versioning_enabled": False},
    # the truststore lint: these are errors, so the lint reports at least one
    "TRUSTSTORE_NOT_PEM": {"truststore_error_count": 1},
    "TRUSTSTORE_EMPTY": {"truststore_error_count": 1},
    "TRUSTSTORE_EXPIRED": {"warning_kind": "expired", "truststore_error_count": 1},
    "TRUSTSTORE_NOT_YET_VALID": {"warning_kind": "not_yet_valid", "truststore_error_count": 1},
    "TRUSTSTORE_WEAK_SIGNATURE_HASH": {"warning_kind": "weak_signature", "truststore_error_count": 1},
    "TRUSTSTORE_WEAK_RSA_KEY": {"warning_kind": "weak_key", "truststore_error_count": 1},
    "TRUSTSTORE_UNSUPPORTED_KEY": {"warning_kind": "weak_key", "truststore_error_count": 1},
    "TRUSTSTORE_MISSING_ISSUER": {"warning_kind": "missing_issuer", "truststore_error_count": 1},
    "TRUSTSTORE_CHAIN_TOO_LONG": {"warning_kind": "chain_too_long", "truststore_error_count": 1},
    # a bad signature or a pathLenConstraint broken is none of the tree's named kinds
    "TRUSTSTORE_BAD_SIGNATURE": {"warning_kind": "other", "truststore_error_count": 1},
    "TRUSTSTORE_PATH_LEN_EXCEEDED": {"warning_kind": "other", "truststore_error_count": 1},
    "TRUSTSTORE_NOT_CA": {"warning_kind": "not_ca"},  # a warning or an error: the count is not said
    "CERT_NONSTANDARD": {"warning_kind": "other"},
    "CLIENT_KEY_MISMATCH": {"client_key_matches": False},
    # only for ISSUER_NOT_IN_TRUSTSTORE verdicts
    "CLIENT_CHAIN_IGNORED": {"client_issuer_in_truststore": False},
    "MTLS_CLIENT_CERT_REJECTED": {"client_cert_presented": True},
    "MTLS_NOT_REQUESTED": {"client_cert_requested": False},
    # served names the exact host (so it covers it) and not the wildcard; configured names only
    # the wildcard (so the served one is not it)
    "SERVER_FQDN_INSTEAD_OF_WILDCARD": {"configured_cert_is_wildcard": True, "served_cert_is_fqdn": True,
                                        "served_is_configured": False, "served_cert_covers_host": True},
    "SERVER_CERT_NOT_CONFIGURED_ONE": {"served_is_configured": False},
    # a certificate that named the host exactly would cover it
    "SERVER_HOSTNAME_MISMATCH": {"served_cert_covers_host": False, "served_cert_is_fqdn": False},
    "SERVER_CERT_EXPIRED": {"served_cert_expired": True},
    "SERVER_CHAIN_INCOMPLETE": {"served_chain_complete": False},
    # reported only when the chain is complete and in order
    "SERVER_CERT_UNTRUSTED": {"served_cert_trusted": False, "served_chain_complete": True},
    # an HTTP answer: the handshake went through
    "HTTP_FORBIDDEN": {"alert": "none", "http_status": 403},
}

#: where a finding's walk starts: at the first question that reads this fact, when the finding's
#: own fix is the one that question leads to whatever the questions before it answer (an open
#: execute-api endpoint, or DNS that leads elsewhere, is fixed the same way on any domain); the
#: others start at the tree's start
FINDING_ENTRY: Mapping[str, str] = {
    "DOMAIN_EXECUTE_API_ENABLED": "execute_api_enabled",
    "DOMAIN_DNS_ELSEWHERE": "dns_points_to_domain",
}


@dataclass(frozen=True)
class Recognition:
    """One walkthrough a text points to: the `Match`; `values` the text names that are not tree
    facts (placeholders such as `host`, `domain`, `cert_file`, and details such as `served_names`,
    `subject`); `entry`, the fact whose first question the walk starts at (None: the tree's
    start)."""

    match: Match
    values: Mapping[str, Any] = field(default_factory=dict, hash=False)
    entry: str | None = None


#: every finding id of the catalog, as a word (`_` counts as part of it), in any letter case
_FINDING_ID = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(
    re.escape(i) for i in sorted(CATALOG, key=len, reverse=True)) + r")(?![A-Za-z0-9_])", re.IGNORECASE)


def _finding_id(m: re.Match[str], _text: str) -> Hit:
    finding = m.group(1).upper()
    return Hit(CATALOG[finding].walkthrough, "finding", 100, m.start(), m.group(1),
                dict(FINDING_FACTS.get(finding, {})), finding, entry=FINDING_ENTRY.get(finding))


def _finding_hits(text: str) -> list[Hit]:
    """The finding ids in the text: the most specific thing a text can say."""
    if "_" not in text:
        return []
    return [_finding_id(m, text) for m in _FINDING_ID.finditer(text)]


def recognise_all(text: str) -> list[Recognition]:
    """What `text` is about, best first: one Recognition per walkthrough (and one per finding id
    that has no walkthrough), with the facts and values the text implies. [] when nothing is
    recognised."""
    groups: dict[str, list[Hit]] = {}
    for hit in [*_finding_hits(text), *text_hits(text)]:
        key = hit.walkthrough if hit.walkthrough is not None else f"finding:{hit.finding}"
        groups.setdefault(key, []).append(hit)
    ranked: list[tuple[int, int, Recognition]] = []
    for group in groups.values():
        group.sort(key=lambda h: (-h.priority, h.start))
        best = group[0]
        facts: dict[str, Any] = {}
        values: dict[str, Any] = {}
        for hit in reversed(group):  # the best hit is applied last, so it wins a conflict
            facts.update(hit.facts)
            values.update(hit.values)
        finding = next((h.finding for h in group if h.finding), None)
        match = Match(best.walkthrough, best.matched, facts, finding, best.kind)
        ranked.append((-best.priority, best.start, Recognition(match, values, best.entry)))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [r for _, _, r in ranked]


def recognise(text: str) -> list[Match]:
    """What `text` is about, best first: one Match per walkthrough (and one per finding id that has
    no walkthrough), with the facts the text implies. [] when nothing is recognised."""
    return [r.match for r in recognise_all(text)]
