"""What a finished report decides about the facts the walkthrough trees read (`trees.FACTS`) and
the values their commands need (`trees.PLACEHOLDERS`). Pure: no textual, no I/O.

`report_facts` sets a fact only from evidence that was collected: a probe step that was reached,
an AWS call whose attempt answered (`model.evidence`), a rule that ran on such facts. A fact
whose call failed, was denied, throttled or never made is left out, so that the walkthrough asks
the question instead of guessing. Where a rule already decides a fact, the fact is read from the
rule (its finding, or the comparison it makes: `diagnose.rules.compare_served`), never derived a
second time.

`walk_facts` adds, for one finding's walkthrough, the files and options the run was given and
what the finding itself establishes, and fills the placeholders the run knows (`domain`, `host`,
`port`, `authority`, `connect`, `region`, the truststore's bucket, key and version, ...).
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from collections.abc import Iterable, Mapping
from typing import Any

from mtls_doctor.model.certificate import CertSummary
from mtls_doctor.model.checks import CHECKS
from mtls_doctor.model.domain import DomainFacts
from mtls_doctor.model.evidence import Attempt, Status
from mtls_doctor.model.finding import CheckStatus, Finding, Severity
from mtls_doctor.model.probe import ErrorKind, HttpAnswer, ProbeResult
from mtls_doctor.model.report import Report
from mtls_doctor.model.verdict import Verdict, VerdictReason
from mtls_doctor.walkthroughs.recognise import recognise

_EXPIRED = {VerdictReason.EXPIRED, VerdictReason.NOT_YET_VALID}
_WEAK = {VerdictReason.WEAK_SIGNATURE_HASH, VerdictReason.WEAK_KEY, VerdictReason.UNSUPPORTED_KEY}

#: API Gateway's `x-amzn-ErrorType` names that tell what a 403 is (AccessDeniedException is
#: either an authorizer or a resource policy: the body tells which)
_ERROR_TYPES = {"forbiddenexception": "forbidden",
                "missingauthenticationtokenexception": "missing_authentication_token"}

#: the checks whose findings are the truststore lint's (`truststore_error_count`)
_LINT_CHECKS = tuple(c for c in CHECKS if c.id == "domain.truststore_content"
                     or c.id.startswith("truststore."))

#: the files and options of the run a walkthrough may use (`walk_facts(known=...)`)
KNOWN_KEYS = ("cert_file", "key_file", "chain_file", "truststore_file", "connect")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _ids(report: Report) -> set[str]:
    return {f.id for f in report.findings}


def _answered(facts: DomainFacts, name: str) -> Attempt | None:
    """The attempt that collected the fact `name`, when it answered (ok or not found)."""
    attempt = facts.evidence.get(name)
    return attempt if attempt is not None and attempt.answered else None


# --- the live connection ---------------------------------------------------------------------------

def _forbidden_reason(http: HttpAnswer) -> str | None:
    """What a 403 says: a specific reason its body names, else what `x-amzn-ErrorType` names,
    else the body's generic "Forbidden"; None when neither says anything recognisable."""
    said = [str(m.facts["forbidden_reason"]) for m in recognise(http.body)
            if m.facts.get("forbidden_reason")]
    specific = [r for r in said if r != "forbidden"]
    if specific:
        return specific[0]
    errortype = http.headers.get("x-amzn-errortype", "").split(":", 1)[0].strip().lower()
    return _ERROR_TYPES.get(errortype) or (said[0] if said else None)


def _served_facts(probe: ProbeResult, domain: DomainFacts | None) -> dict[str, Any]:
    """The served leaf by itself, and against the domain's configured certificate: the
    comparison the served-vs-configured rule makes."""
    from mtls_doctor.diagnose.rules import compare_served, names_host, served_dns_names

    exact, wildcard = names_host(served_dns_names(probe), probe.host)
    facts: dict[str, Any] = {"served_cert_is_fqdn": exact and not wildcard}
    seen = compare_served(probe, domain) if domain is not None and domain.found else None
    if seen is not None:
        facts["configured_cert_is_wildcard"] = (seen.configured_wildcard
                                                and not seen.configured_exact)
        facts["served_is_configured"] = seen.same
    return facts


def _probe_facts(probe: ProbeResult, domain: DomainFacts | None) -> dict[str, Any]:
    facts: dict[str, Any] = {"host": probe.host, "port": probe.port,
                             "tls_version": probe.tls_version}
    error = probe.error
    if error is not None and error.kind is ErrorKind.TLS_ALERT:
        facts["alert"] = error.alert or probe.client_certificate.alert
    elif probe.client_certificate.alert:
        facts["alert"] = probe.client_certificate.alert
    elif error is None and probe.tls_version is not None:
        facts["alert"] = "none"  # the handshake went through
    facts["client_cert_requested"] = probe.client_auth.requested
    if probe.tls_version is not None:
        facts["client_cert_presented"] = probe.client_certificate.presented
        # the probe loads its files before it connects (a file it cannot load is exit 2)
        facts["client_load_failed"] = False
    if probe.client_certificate.presented:
        # the probe presents a certificate only with its own key, and the handshake proved it
        facts["client_key_matches"] = True
    if probe.http is not None:
        facts["http_status"] = probe.http.status
        if probe.http.status == 403:
            facts["forbidden_reason"] = _forbidden_reason(probe.http)
    if probe.served_chain:
        leaf = probe.served_chain[0]
        facts["served_names"] = list(leaf.sans)
        if leaf.validity is not None:
            facts["served_cert_expired"] = leaf.validity.status == "expired"
        facts.update(_served_facts(probe, domain))
    if probe.hostname_match is not None:
        facts["served_cert_covers_host"] = probe.hostname_match.matches
    if probe.chain is not None:
        facts["served_chain_complete"] = probe.chain.complete
        facts["served_cert_trusted"] = probe.chain.trusted
    return facts


# --- the domain in AWS -----------------------------------------------------------------------------

def _s3(uri: str) -> tuple[str, str] | None:
    m = re.match(r"^s3://([^/]+)/(.+)$", uri.strip())
    return (m.group(1), m.group(2)) if m else None


def _certificate_facts(d: DomainFacts, report: Report) -> dict[str, Any]:
    """The domain's ACM certificate and its ownership verification certificate."""
    facts: dict[str, Any] = {}
    ids = _ids(report)
    cert = d.certificates.get(d.certificate_arn or "")
    read = _answered(d, "certificate")
    if cert is not None:
        facts["certificate_type"] = cert.type
        if cert.status:
            issued = cert.status.upper() == "ISSUED"
            facts["domain_cert_issued"] = issued
            if issued and cert.not_after is not None:  # the rule judges expiry of issued ones
                facts["domain_cert_expires_soon"] = "DOMAIN_CERT_EXPIRES_SOON" in ids
        names = list(dict.fromkeys(n for n in (cert.domain_name, *cert.sans) if n))
        if names:  # as the PENDING_CERTIFICATE_REIMPORT and served-vs-configured rules read them
            from mtls_doctor.aws.findings import covers
            from mtls_doctor.diagnose.rules import names_host

            facts["cert_covers_domain"] = covers(names, d.name)
            exact, wildcard = names_host(names, d.name)
            facts["configured_cert_is_wildcard"] = wildcard and not exact
    elif d.certificate_arn and read is not None and read.status is Status.NOT_FOUND:
        facts["domain_cert_issued"] = False  # ACM has no such certificate
    own_arn = d.ownership_verification_certificate_arn
    own_read = _answered(d, "ownership_certificate")
    if own_arn and (own_arn in d.certificates
                    or (own_read is not None and own_read.status is Status.NOT_FOUND)):
        # the ownership rule judged it (ISSUED, unexpired, ACM-issued, covers the name)
        facts["ownership_cert_valid"] = "DOMAIN_OWNERSHIP_CERT_INVALID" not in ids
    if d.issuer_conflicts and _answered(d, "issuer_conflicts") is not None:
        # only a conflict seen is a fact: none found next to the domain's certificate says
        # nothing about the certificate an error message names
        facts["conflicting_cert_in_account"] = True
    return facts


def _truststore_facts(d: DomainFacts) -> dict[str, Any]:
    """Where the truststore is, which version the domain uses, and what S3 says about it."""
    facts: dict[str, Any] = {}
    mtls = d.mtls if d.mtls is not None and d.mtls.truststore_uri else None
    if mtls is not None:
        where = _s3(mtls.truststore_uri)
        if where is not None:
            facts.update(bucket=where[0], key=where[1])
        facts["version"] = mtls.truststore_version
    read = _answered(d, "truststore_object")
    if read is not None:
        facts["truststore_readable"] = read.status is Status.OK
    ts = d.truststore_object
    if ts is None:
        return facts
    facts.update(bucket=ts.bucket, key=ts.key, version=ts.configured_version or facts.get("version"))
    if _answered(d, "truststore_versions") is not None:
        latest, configured = ts.latest_version, ts.configured_version
        facts["new_version"] = latest
        if latest and configured:
            facts["truststore_stale"] = latest != configured
        if ts.versioning and ts.versioning != "unknown":
            facts["versioning_enabled"] = ts.versioning == "Enabled"
    return facts


def _mapping_facts(d: DomainFacts, report: Report) -> dict[str, Any]:
    """The mapped APIs: whether one still answers on execute-api, and which one to name."""
    facts: dict[str, Any] = {}
    targets: list[Any] = list(d.mappings) if d.mappings_read else []
    rules_read = getattr(d, "routing_rules_read", False)
    targets += list(getattr(d, "routing_rules", ())) if rules_read else []
    open_ = [t for t in targets if t.execute_api_endpoint_disabled is False]
    chosen = (open_ or targets or [None])[0]
    if chosen is not None:
        facts.update(api_id=chosen.api_id, stage=chosen.stage)
    uses_rules = (getattr(d, "routing_mode", None) or "").upper().startswith("ROUTING_RULE")
    if open_ or "DOMAIN_EXECUTE_API_ENABLED" in _ids(report):
        facts["execute_api_enabled"] = True
    elif (d.mappings_read and (rules_read or not uses_rules)
          and all(t.execute_api_endpoint_disabled is True for t in targets)):
        facts["execute_api_enabled"] = False
    return facts


def _dns_facts(d: DomainFacts, report: Report) -> dict[str, Any]:
    """Whether the host name leads to the domain's regional domain name: the DNS rule's finding
    says no; a CNAME to the regional name or a shared address says yes."""
    attempt = d.evidence.get("dns")
    if attempt is None or attempt.status is not Status.OK:
        return {}
    if "DOMAIN_DNS_ELSEWHERE" in _ids(report):
        return {"dns_points_to_domain": False}
    regional = (d.regional_domain_name or "").lower().rstrip(".")
    canonical = (d.dns_canonical or "").lower().rstrip(".")
    if regional and d.dns_addresses and (
            canonical == regional or set(d.dns_addresses) & set(d.regional_addresses)):
        return {"dns_points_to_domain": True}
    return {}


def _domain_facts(d: DomainFacts, report: Report) -> dict[str, Any]:
    facts: dict[str, Any] = {"domain": d.name, "region": d.region}
    if not d.found:
        return facts
    facts.update(status=d.status, endpoint_type=d.endpoint_type,
                 security_policy=d.security_policy, api_type=d.api_type,
                 certificate_arn=d.certificate_arn)
    mtls = d.mtls
    facts["mtls_enabled"] = bool(mtls is not None and mtls.truststore_uri)
    if mtls is not None and mtls.truststore_uri:
        facts["truststore_warning_count"] = len(mtls.truststore_warnings)
    ownership = d.ownership_verification_certificate_arn
    facts["ownership_cert_present"] = bool(ownership)
    facts["ownership_arn"] = ownership
    for part in (_certificate_facts(d, report), _truststore_facts(d), _mapping_facts(d, report),
                 _dns_facts(d, report)):
        facts.update(part)
    return facts


# --- the truststore lint and the client certificate ------------------------------------------------

def _lint_facts(report: Report, warnings: Iterable[str]) -> dict[str, Any]:
    """The lint's error count (when a lint ran and was decided) and what the first truststore
    warning, else the first lint error, is about."""
    facts: dict[str, Any] = {}
    ran = {c.id for c in report.checks
           if c.status not in (CheckStatus.UNKNOWN, CheckStatus.SKIP)}
    specs = [s for s in _LINT_CHECKS if s.id in ran]
    errors = [f for f in report.findings
              if f.severity is Severity.ERROR and any(s.owns(f) for s in specs)]
    if specs:
        facts["truststore_error_count"] = len(errors)
    first = next(iter(warnings), None) or (errors[0].id if errors else None)
    if first is not None:
        kinds = [m.facts["warning_kind"] for m in recognise(first) if m.facts.get("warning_kind")]
        facts["warning_kind"] = kinds[0] if kinds else "other"
    return facts


def _verdict_facts(verdict: Verdict) -> dict[str, Any]:
    reasons = {p.reason for p in verdict.problems} | ({verdict.reason} if not verdict.accepted
                                                      else set())
    facts: dict[str, Any] = {"verdict_reason": str(verdict.reason)}
    if VerdictReason.MALFORMED in reasons:
        return facts
    facts["client_issuer_in_truststore"] = VerdictReason.ISSUER_NOT_IN_TRUSTSTORE not in reasons
    facts["client_expired"] = bool(reasons & _EXPIRED)
    facts["client_weak_algorithm"] = bool(reasons & _WEAK)
    return facts


def _key_facts(report: Report) -> dict[str, Any]:
    """Whether the key belongs to the certificate: a mismatch found, or the key check passed."""
    if "CLIENT_KEY_MISMATCH" in _ids(report):
        return {"client_key_matches": False}
    if any(c.id == "client.key" and c.status is CheckStatus.PASS for c in report.checks):
        return {"client_key_matches": True}
    return {}


def report_facts(report: Report | None) -> dict[str, Any]:
    """The walkthrough facts (and fix placeholders) the report decides; None left out."""
    facts: dict[str, Any] = {}
    if report is None:
        return facts
    payload = report.payload
    probe = payload.get("probe")
    probe = probe if isinstance(probe, ProbeResult) else None
    domain = payload.get("domain")
    domain = domain if isinstance(domain, DomainFacts) else None
    warnings: tuple[str, ...] = ()
    if domain is not None:
        facts.update(_domain_facts(domain, report))
        if domain.found and domain.mtls is not None and domain.mtls.truststore_uri:
            warnings = domain.mtls.truststore_warnings
    if probe is not None:
        # the probe's comparison of the served leaf (with the host it called) wins
        facts.update(_probe_facts(probe, domain))
        if domain is not None:
            facts["domain"] = domain.name
        elif not _is_ip(probe.host):
            facts["domain"] = probe.host  # the custom domain's name is the host's
    facts.update(_lint_facts(report, warnings))
    verdict = payload.get("verdict")
    if isinstance(verdict, Verdict):
        facts.update(_verdict_facts(verdict))
    client = payload.get("client_certificate")
    if isinstance(client, CertSummary):
        facts["client_self_signed"] = client.self_signed
    key = _key_facts(report)
    if key.get("client_key_matches") is False or "client_key_matches" not in facts:
        facts.update(key)
    return {k: v for k, v in facts.items() if v is not None}


# --- one finding's walkthrough ---------------------------------------------------------------------

def _connect(value: str, port: Any) -> str:
    """--connect ADDR[:PORT] as `openssl s_client -connect` and `curl --connect-to` need it:
    with the port (the host's, as the probe used it, when the option gave none)."""
    from mtls_doctor.errors import InputError
    from mtls_doctor.probe.target import hostport, split_host_port

    if port is None:
        return value
    try:
        addr, addr_port, _ = split_host_port(value, int(port), "--connect")
    except (InputError, ValueError):
        return value
    return hostport(addr, addr_port)


def _setdefault(facts: dict[str, Any], values: Iterable[tuple[str, Any]]) -> None:
    """Add each value that is not None where the facts hold none yet (earlier sources win)."""
    for key, value in values:
        if value is not None and value != "" and facts.get(key) is None:
            facts[key] = value


def walk_facts(finding: Finding | None, report: Report | None,
               known: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """Facts for a finding's walkthrough, earlier sources winning: what the report decides
    (`report_facts`), the files and options the run was given (`known`: `KNOWN_KEYS`), what
    the finding's id implies for its walkthrough, and the finding's scalar evidence. The
    placeholders the run knows are filled: `authority` from the probe, `connect` from
    --connect (with the probe's port when it gave none) else the authority, `truststore_file`
    from the S3 key's file name when no local copy was given. None values are dropped."""
    facts = report_facts(report)
    given = dict(known or {})
    if given.get("connect"):
        given["connect"] = _connect(str(given["connect"]), facts.get("port"))
    if str(given.get("truststore_file") or "").lower().startswith("s3://"):
        given.pop("truststore_file")  # not a local copy: the commands download one
    _setdefault(facts, given.items())
    if finding is not None:
        for match in recognise(finding.id) if finding.walkthrough else ():
            if match.walkthrough == finding.walkthrough:
                _setdefault(facts, match.facts.items())
        _setdefault(facts, ((k, v) for k, v in finding.evidence.items()
                            if isinstance(v, str | int | bool)))
    if facts.get("host") is not None and isinstance(facts.get("port"), int):
        from mtls_doctor.probe.target import hostport

        _setdefault(facts, [("authority", hostport(str(facts["host"]), facts["port"]))])
    _setdefault(facts, [("connect", facts.get("authority"))])
    if facts.get("bucket") and facts.get("key"):
        _setdefault(facts, [("truststore_file", posixpath.basename(str(facts["key"])) or None)])
    return {k: v for k, v in facts.items() if v is not None}
