"""A deterministic diagnose report for TUI tests and snapshots: `fixed_report()`.

Every byte of it is fixed: the certificates are built from fixed EC keys (`derive_private_key`)
with deterministic ECDSA signatures, fixed serials and validity around the fixed instant `AT`; the
probe's answer, the custom domain as AWS describes it and the client's files are fixed facts; the
collectors' timings are fixed. The report itself is made by the real pipeline
(`run_diagnosis`: the probe's, domain's and client's rules, the cross-collector rules), with only
the collectors' outside world replaced: `run_probe` answers with the fixed `ProbeResult`, the
domain lookup with the fixed `DomainFacts`, and the client's files are read from memory.

What it holds (the demo lab's faults, and more): several error, warning and info findings,
findings with walkthroughs and fix commands (SERVER_FQDN_INSTEAD_OF_WILDCARD, CLIENT_REJECTED,
...), a domain with two base path mappings (their stages' access logs, their authorizers), a
truststore (with `certificates=N`, N more CA certificates in it: a big truststore for
benchmarks), a check that could not be decided (`domain.dns`, the resolver timed out: `?`).
It is the pipeline's answer to fixed facts: when the rules change, so does the report (and the
snapshots drawn from it are refreshed).

Use:

    app = fixed_app()                       # MtlsDoctorApp(report=fixed_report())
    async with app.run_test(size=(80, 24)) as pilot:
        await show(pilot)                   # the report is on the dashboard

or `snap_compare(fixed_app(), terminal_size=(80, 24), run_before=show)`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any
from unittest import mock

from cryptography.hazmat.primitives.asymmetric import ec

from mtls_doctor.demo.lab import Issued
from mtls_doctor.demo.lab import issue as lab_issue
from mtls_doctor.diagnose.run import CollectorRun, DiagnoseOptions, run_diagnosis
from mtls_doctor.model.domain import (
    AcmCertificate,
    Authorizers,
    DomainFacts,
    Mapping,
    Mtls,
    Stage,
    TruststoreObject,
)
from mtls_doctor.model.evidence import Attempt, Status
from mtls_doctor.model.finding import Check, CheckStatus
from mtls_doctor.model.probe import (
    ClientAuth,
    ClientCertificate,
    ErrorKind,
    Outcome,
    ProbeError,
    ProbeResult,
)
from mtls_doctor.model.report import Report
from mtls_doctor.source import SourceData

#: the instant the report was made and is evaluated at
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
HOST = "api.example.test"
WILDCARD = "*.example.test"
ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0f0e0d0c-fixed-4b0b-9a51-000000000001"
ADDRESS = "192.0.2.10:443"
#: the client's files as the options name them (read from memory, never from disk)
CLIENT_CERT = "client.pem"
CLIENT_KEY = "client.key"
#: each collector's fixed duration, seconds
SECONDS = {"probe": 1.42, "domain": 0.61, "truststore": 0.05, "verify-client": 0.02}


def issue(n: int, cn: str, issuer: Issued | None, *, ca: bool, sans: tuple[str, ...] = (),
          client: bool = False, key: ec.EllipticCurvePrivateKey | None = None) -> Issued:
    """A certificate numbered `n` (its serial, and its key's seed unless `key` is given), valid
    from 60 days before `AT`, signed deterministically: the demo lab's certificates, fixed."""
    return lab_issue(cn, issuer, ca=ca, sans=sans, client=client,
                     key=key or ec.derive_private_key(0x5EED0000 + n, ec.SECP256R1()),
                     serial=0x1000 + n, organization="Example Corp", deterministic=True,
                     not_before=AT - timedelta(days=60),
                     not_after=AT + timedelta(days=3650 if ca else 300))


@dataclasses.dataclass(frozen=True)
class Pki:
    """The fixed certificates: the company's root and issuing CA, the server's FQDN and wildcard
    certificates, a partner's root and issuing CA, the partner's client certificate."""

    root: Issued
    issuing: Issued
    fqdn: Issued
    wildcard: Issued
    partner_root: Issued
    partner: Issued
    client: Issued


@functools.cache
def pki() -> Pki:
    """The fixed certificates (built once per process)."""
    root = issue(1, "Example Root CA", None, ca=True)
    issuing = issue(2, "Example Issuing CA", root, ca=True)
    partner_root = issue(5, "Partner Root CA", None, ca=True)
    partner = issue(6, "Partner Issuing CA", partner_root, ca=True)
    return Pki(root, issuing,
               issue(3, HOST, issuing, ca=False, sans=(HOST,)),
               issue(4, WILDCARD, issuing, ca=False, sans=(WILDCARD,)),
               partner_root, partner,
               issue(7, "sensor-17.partner.example", partner, ca=False,
                     sans=("sensor-17.partner.example",), client=True))


@functools.cache
def bulk_cas(count: int) -> bytes:
    """`count` more CA certificates under the company's root, as one PEM bundle (they share one
    key: building a thousand takes a fraction of a second)."""
    p = pki()
    key = ec.derive_private_key(0x5EED9999, ec.SECP256R1())
    return b"".join(issue(100 + i, f"Example Team CA {i + 1:04d}", p.root, ca=True, key=key).pem()
                    for i in range(count))


def truststore_pem(certificates: int | None = None) -> bytes:
    """The truststore in S3: the company's root, the partner's issuing CA without its root, a
    SHA-1 legacy root (the demo lab's), and `certificates` more CAs."""
    p = pki()
    legacy = resources.files("mtls_doctor.demo").joinpath("data/legacy-sha1-root.pem")
    return p.root.pem() + p.partner.pem() + legacy.read_bytes() + bulk_cas(certificates or 0)


def domain_facts(certificates: int | None = None) -> DomainFacts:
    """The custom domain as AWS describes it: REGIONAL REST, mTLS on with a stale truststore
    version that API Gateway warns about, a wildcard ACM certificate, one base path mapping
    whose API still answers on execute-api, and a DNS lookup that timed out."""
    p = pki()
    wildcard = p.wildcard.cert
    serial = ":".join(f"{b:02x}" for b in wildcard.serial_number.to_bytes(20, "big"))
    acm = AcmCertificate(ARN, "ISSUED", "AMAZON_ISSUED", wildcard.subject.rfc4514_string(),
                         p.issuing.cert.subject.rfc4514_string(), WILDCARD, (WILDCARD,),
                         AT - timedelta(days=60), AT + timedelta(days=300), serial=serial)
    calls = ("apigateway.GetDomainName", "acm.DescribeCertificate", "s3.GetObject",
             "apigateway.GetBasePathMappings")
    collected = ("domain", "certificate", "issuer_conflicts", "truststore_object",
                 "truststore_versions", "mappings", "mapped_apis")
    return DomainFacts(
        name=HOST, region="eu-west-1", region_source="option", found=True,
        api_type="rest", endpoint_type="REGIONAL", status="AVAILABLE",
        security_policy="TLS_1_2", certificate_arn=ARN,
        regional_domain_name="d-fixed00000.execute-api.eu-west-1.amazonaws.com",
        mtls=Mtls("s3://example-truststores/prod/truststore.pem", "v1-fixed",
                  ("Certificate CN=Demo Legacy Root CA (SHA-1) uses an insecure signature "
                   "algorithm",)),
        mappings=(Mapping("a1b2c3d4e5", "prod", "(none)", False, "orders-api", "rest"),
                  Mapping("f6g7h8i9j0", "v2", "inventory", True, "inventory-api", "rest")),
        mappings_read=True, certificates={ARN: acm},
        stages=(Stage("a1b2c3d4e5", "rest", "prod", access_log_destination=(
                    "arn:aws:logs:eu-west-1:123456789012:log-group:orders-access"),
                      access_log_format='{"requestId":"$context.requestId"}'),
                Stage("f6g7h8i9j0", "rest", "v2")),
        authorizers=(Authorizers("a1b2c3d4e5", "rest", False, ("TOKEN: legacy-token",)),
                     Authorizers("f6g7h8i9j0", "rest", True, ("REQUEST: cert-check",))),
        truststore_object=TruststoreObject("example-truststores", "prod/truststore.pem",
                                           "Enabled", "v2-fixed", "v1-fixed",
                                           content=truststore_pem(certificates)),
        attempts=(*(Attempt(call, Status.OK) for call in calls),
                  *(Attempt("apigateway.GetDomainName", Status.REGION_NOT_ENABLED,
                            "opt-in region not enabled", region=region)
                    for region in ("ap-east-1", "me-south-1"))),
        evidence={**{fact: Attempt(fact, Status.OK) for fact in _domain_facts_needed()},
                  **{fact: Attempt(fact, Status.OK) for fact in collected},
                  "ownership_certificate": Attempt("ownership_certificate", Status.SKIPPED,
                                                   "none configured"),
                  "dns": Attempt("dns.resolve", Status.TIMED_OUT,
                                 "the resolver did not answer within 2 s")})


def _domain_facts_needed() -> set[str]:
    """Every fact the domain's checks need (each is collected in the fixed world, unless
    `domain_facts` says otherwise)."""
    from mtls_doctor.model.checks import checks_of

    return {fact for spec in checks_of("domain") for fact in spec.needs}


def probe_result() -> ProbeResult:
    """What the probe saw: TLS 1.3, the FQDN certificate and the issuing CA served, the client
    certificate refused with `unknown_ca`."""
    from mtls_doctor.pki.hostname import match_hostname
    from mtls_doctor.pki.server import chain_shape
    from mtls_doctor.probe.run import _describe_chain

    p = pki()
    chain = [p.fqdn.cert, p.issuing.cert]
    client = p.client.cert
    return ProbeResult(
        host=HOST, port=443, address=ADDRESS, sni=HOST, addresses=(ADDRESS,),
        tls_version="TLSv1.3", cipher="TLS_AES_256_GCM_SHA384",
        served_chain=_describe_chain(chain, AT), chain=chain_shape(chain, HOST, AT, ()),
        hostname_match=match_hostname(chain[0], HOST),
        client_auth=ClientAuth(True, None, (p.root.cert.subject.rfc4514_string(),)),
        client_certificate=ClientCertificate(True, Outcome.REJECTED, "unknown_ca",
                                             client.subject.rfc4514_string(),
                                             client.issuer.rfc4514_string()),
        error=ProbeError(ErrorKind.TLS_ALERT, "tlsv1 alert unknown ca", "response", "unknown_ca"),
        timings_ms={"dns": 12.0, "connect": 31.5, "handshake": 88.2, "total": 140.3})


def fixed_options() -> DiagnoseOptions:
    """The options the fixed report answers: HOST with the partner's client certificate and
    key (`client.pem`, `client.key`)."""
    return DiagnoseOptions(host=HOST, at=AT, now=AT, cert=CLIENT_CERT, key=CLIENT_KEY,
                           region="eu-west-1", timeout=30.0)


@contextmanager
def offline_world(certificates: int | None = None) -> Iterator[None]:
    """`run_diagnosis` with the fixed outside world: the probe, the domain lookup and the
    client's files answered from the fixed facts (nothing leaves the process)."""
    p = pki()
    files = {CLIENT_CERT: p.client.pem(), CLIENT_KEY: p.client.key_pem()}
    facts = domain_facts(certificates)
    result = probe_result()

    def read_source(spec: str, what: str) -> SourceData:
        return SourceData(spec, files[spec])

    def run_probe(*args: Any, **kwargs: Any) -> ProbeResult:
        return result

    def collect_or_load(*args: Any, **kwargs: Any) -> DomainFacts:
        return facts

    with mock.patch("mtls_doctor.commands.common.read_source", read_source), \
            mock.patch("mtls_doctor.commands.probe.run_probe", run_probe), \
            mock.patch("mtls_doctor.commands.probe.system_roots", lambda: []), \
            mock.patch("mtls_doctor.commands.domain.collect_or_load", collect_or_load):
        yield


def _fixed_times(report: Report) -> Report:
    """The collectors' timings made fixed (in their attempts and their `collect.*` checks)."""
    attempts = [dataclasses.replace(a, seconds=SECONDS[a.name])
                if a.name in SECONDS and a.status != "skipped" else a
                for a in report.payload.get("attempts") or ()
                if isinstance(a, CollectorRun)]
    by_name = {a.name: a for a in attempts}

    def fixed(check: Check) -> Check:
        a = by_name.get(check.id.removeprefix("collect."))
        if not check.id.startswith("collect.") or a is None:
            return check
        return dataclasses.replace(check, detail=f"{a.summary} ({a.seconds:.2f} s)")

    return dataclasses.replace(report, checks=tuple(fixed(c) for c in report.checks),
                               payload={**report.payload, "attempts": attempts})


def fixed_report(*, certificates: int | None = None) -> Report:
    """The fixed diagnose report (see the module's docstring); with `certificates`, that many
    more CA certificates in the domain's truststore."""
    with offline_world(certificates):
        report = run_diagnosis(fixed_options())
    return _fixed_times(report)


def fixed_app(report: Report | None = None, **kwargs: Any) -> Any:
    """An `MtlsDoctorApp` that starts with `report` (default: `fixed_report()`) already delivered:
    no diagnosis runs. `kwargs` go to the app (e.g. `options=fixed_options()`)."""
    from mtls_doctor.tui.app import MtlsDoctorApp

    return MtlsDoctorApp(report=report if report is not None else fixed_report(), **kwargs)


async def show(pilot: Any, report: Report | None = None) -> None:
    """Wait until the app's report is on the dashboard. With `report`, deliver it first as the
    current run's result (as a finished run would: walkthroughs are told, the dashboard redrawn).
    Usable as `run_before` of `snap_compare`."""
    app = pilot.app
    if report is not None:
        app.deliver(report)
    for _ in range(200):
        await pilot.pause()
        if app.report is not None and app.dashboard.report is app.report:
            break
    await pilot.pause()


def drive_fixed(test: Callable[[Any, Any], Awaitable[None]], *,
                size: tuple[int, int] = (80, 24), report: Report | None = None) -> Any:
    """The app with the fixed report (or `report`) on screen, nothing running, driven by
    `test(app, pilot)`; the app afterwards."""
    async def main() -> Any:
        app = fixed_app(report)
        async with app.run_test(size=size) as pilot:
            await show(pilot)
            await test(app, pilot)
        return app
    return asyncio.run(main())


async def finding_on_screen(pilot: Any, finding_id: str) -> Any:
    """Select `finding_id` on the dashboard, open it on its screen and wait for its
    certificates (drawn a refresh after the screen opens); the FindingScreen."""
    from mtls_doctor.tui.screens import FindingScreen
    from mtls_doctor.tui.widgets import FindingPane

    app = pilot.app
    assert app.dashboard.findings_list.select_id(finding_id), finding_id
    await pilot.press("enter")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, FindingScreen)
    pane = screen.query_one(FindingPane)
    for _ in range(100):
        if pane.extras_drawn is screen.finding:
            break
        await pilot.pause(0.01)
    assert pane.extras_drawn is screen.finding
    return screen


def undecided_checks(report: Report) -> list[Check]:
    """The checks of `report` that could not be decided (`?`)."""
    return [c for c in report.checks if c.status is CheckStatus.UNKNOWN]


__all__ = ["AT", "HOST", "domain_facts", "drive_fixed", "finding_on_screen", "fixed_app",
           "fixed_options",
           "fixed_report", "pki", "probe_result", "show", "truststore_pem"]
