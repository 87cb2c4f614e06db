"""Rules that need facts from more than one collector. Pure."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from mtls_doctor.model.catalog import make_finding
from mtls_doctor.model.domain import AcmCertificate, DomainFacts
from mtls_doctor.model.finding import Finding, Fix
from mtls_doctor.model.probe import Outcome, ProbeResult
from mtls_doctor.model.verdict import Verdict
from mtls_doctor.pki.hostname import name_covers
from mtls_doctor.probe.findings import ProbeInputs, verify_client_command
from mtls_doctor.probe.target import hostport
from mtls_doctor.shell import aws, openssl, render_all


def _hex(serial: str | None) -> str:
    return (serial or "").replace(":", "").lower().lstrip("0")


def _configured(domain: DomainFacts) -> AcmCertificate | None:
    return domain.certificates.get(domain.certificate_arn or "")


def names_host(names: Sequence[str], host: str) -> tuple[bool, bool]:
    """(a name is exactly `host`, a wildcard name covers `host`): how a certificate's names
    relate to the host, as the served-vs-configured rule reads them."""
    exact = any(n.lower() == host for n in names)
    wildcard = any(n.startswith("*.") and name_covers(n, host) for n in names)
    return exact, wildcard


def served_dns_names(probe: ProbeResult) -> list[str]:
    """The DNS names of the served leaf ([] when the server sent no certificate)."""
    if not probe.served_chain:
        return []
    return [s[4:] for s in probe.served_chain[0].sans if s.startswith("DNS:")]


@dataclass(frozen=True)
class ServedVsConfigured:
    """The served leaf against the domain's configured ACM certificate, as the rule below
    compares them (the walkthroughs read the same comparison). `same` is None when ACM gave no
    serial to compare."""

    served_names: tuple[str, ...]
    configured_names: tuple[str, ...]
    same: bool | None
    served_exact: bool
    served_wildcard: bool
    configured_exact: bool
    configured_wildcard: bool

    @property
    def fqdn_instead_of_wildcard(self) -> bool:
        """The served certificate names the exact host, the configured one only a wildcard."""
        return (self.served_exact and not self.served_wildcard and self.configured_wildcard
                and not self.configured_exact)


def compare_served(probe: ProbeResult, domain: DomainFacts) -> ServedVsConfigured | None:
    """The comparison, or None when the server sent no certificate or the domain's certificate
    was not read."""
    configured = _configured(domain)
    if not probe.served_chain or configured is None:
        return None
    leaf = probe.served_chain[0]
    served = served_dns_names(probe)
    acm = list(dict.fromkeys(n for n in (configured.domain_name, *configured.sans) if n))
    same = _hex(configured.serial) == _hex(leaf.serial) if configured.serial else None
    return ServedVsConfigured(tuple(served), tuple(acm), same, *names_host(served, probe.host),
                              *names_host(acm, probe.host))


def served_vs_configured(probe: ProbeResult, domain: DomainFacts) -> list[Finding]:
    """SERVER_FQDN_INSTEAD_OF_WILDCARD and SERVER_CERT_NOT_CONFIGURED_ONE."""
    configured = _configured(domain)
    seen = compare_served(probe, domain)
    if seen is None or configured is None:
        return []
    leaf = probe.served_chain[0]
    host = probe.host
    served_names = list(seen.served_names)
    acm_names = list(seen.configured_names)
    # the address the probe really connected to (the --connect one, or what the name resolved to)
    connect = probe.address or hostport(host, probe.port)
    replay = render_all((
        openssl.served_certificate(connect, probe.sni, "-subject", "-ext", "subjectAltName",
                                   "-serial"),
        aws.describe_certificate(configured.arn, domain.region,
                                 "Certificate.[Serial,DomainName,SubjectAlternativeNames]")))
    if seen.fqdn_instead_of_wildcard:
        return [make_finding(
            "SERVER_FQDN_INSTEAD_OF_WILDCARD",
            f"{host} serves its own FQDN certificate, but the domain is configured with a wildcard",
            f"The served certificate names {', '.join(served_names)}; the domain's ACM certificate "
            f"{configured.arn} is {', '.join(acm_names)}. The API Gateway guide describes this "
            "after a migration from an FQDN to a wildcard certificate: API Gateway may keep "
            "returning the FQDN one, and only AWS Support can fix it.",
            subject=leaf.subject, location=f"{host}:{probe.port}",
            evidence={"served": served_names, "configured": acm_names,
                      "served_serial": leaf.serial, "configured_serial": configured.serial},
            fix=Fix("Confirm with openssl s_client, then open an AWS Support case quoting both "
                    "certificates.", ("Capture the served certificate and the configured one.",),
                    replay))]
    if seen.same is False:
        return [make_finding(
            "SERVER_CERT_NOT_CONFIGURED_ONE",
            f"{host} serves a certificate that is not the domain's ACM certificate",
            f"Served: {leaf.subject} (serial {leaf.serial}); configured: {configured.subject} "
            f"(serial {configured.serial}, {configured.arn}). The name may point somewhere else, "
            "or the certificate was re-imported and the domain not updated.",
            subject=leaf.subject, location=f"{host}:{probe.port}",
            evidence={"served_serial": leaf.serial, "configured_serial": configured.serial,
                      "configured_arn": configured.arn},
            fix=Fix("Check where the name points and which certificate the domain uses.", (),
                    replay))]
    return []


def explain_unrequested(findings: Sequence[Finding], domain: DomainFacts | None) -> list[Finding]:
    """MTLS_NOT_REQUESTED while the domain has mTLS: say what that combination means."""
    if domain is None or domain.mtls is None:
        return list(findings)
    out = []
    for finding in findings:
        f = finding
        if f.id == "MTLS_NOT_REQUESTED":
            why = ("The custom domain does have mTLS (truststore "
                   f"{domain.mtls.truststore_uri}), so this endpoint is not the custom domain: "
                   "check where the name resolves (DOMAIN_DNS_ELSEWHERE), whether clients use "
                   "the default execute-api endpoint, or an edge distribution in front.")
            f = dataclasses.replace(f, detail=f"{f.detail} {why}")
        out.append(f)
    return out


def predicted_vs_live(findings: Sequence[Finding], verdict: Verdict | None,
                      probe: ProbeResult | None) -> list[Finding]:
    """Put the predicted verdict next to the live outcome, and say why they differ."""
    if verdict is None or probe is None or not probe.client_certificate.presented:
        return list(findings)
    live = probe.client_certificate.outcome
    out = []
    for finding in findings:
        f = finding
        if f.id in ("MTLS_CLIENT_CERT_REJECTED", "CLIENT_REJECTED"):
            note = ""
            if live is Outcome.REJECTED and verdict.accepted:
                note = (" The truststore mtls-doctor checked accepts this certificate, yet the "
                        "server refused it: the domain may use another truststore version (see "
                        "DOMAIN_TRUSTSTORE_STALE), or the request reached another endpoint.")
            elif live is Outcome.ACCEPTED and not verdict.accepted:
                note = (" The server accepted it although the truststore checked here rejects it "
                        "(the live endpoint uses a different truststore, or does not enforce "
                        "mTLS as API Gateway does).")
            f = dataclasses.replace(
                f, detail=f.detail + note,
                evidence={**f.evidence, "predicted": verdict.reason.value,
                          "live": live.value})
        out.append(f)
    return out


def name_truststore(findings: Sequence[Finding], inputs: ProbeInputs | None,
                    truststore: str | None) -> list[Finding]:
    """MTLS_CLIENT_CERT_REJECTED's verify-client command names the truststore the diagnosis
    judged the client against (--truststore, or the version the domain uses), not the
    placeholder the probe alone can give."""
    if inputs is None or truststore is None:
        return list(findings)
    placeholder = verify_client_command(inputs)
    known = verify_client_command(inputs, truststore)
    out = []
    for finding in findings:
        f = finding
        if (f.id == "MTLS_CLIENT_CERT_REJECTED" and f.fix is not None
                and placeholder in f.fix.commands):
            f = dataclasses.replace(f, fix=dataclasses.replace(f.fix, commands=tuple(
                known if c == placeholder else c for c in f.fix.commands)))
        out.append(f)
    return out


def dedupe(findings: Sequence[Finding]) -> list[Finding]:
    """One finding per (id, subject, location): collectors can see the same fault twice."""
    seen: set[tuple[str, str | None, str | None]] = set()
    out = []
    for f in findings:
        key = (f.id, f.subject, f.location)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
