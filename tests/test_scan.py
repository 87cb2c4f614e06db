"""`mtls-doctor scan` against moto's server mode: 3 accounts (one whose role cannot be assumed),
4 regions (one throttling every listing), 40 domains in mixed states. The scan finds every
domain it can reach and says, for the account and the region it could not read, that their
domains are unknown, never that there are none."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import moto.settings
import pytest

from mtls_doctor.aws import collect
from mtls_doctor.commands.scan import run_scan_command
from mtls_doctor.model.finding import CheckStatus
from mtls_doctor.model.report import Report
from mtls_doctor.report.json import document
from mtls_doctor.report.junit import render_junit
from tests.aws_faults import FaultProxy
from tests.conftest import Run
from tests.fleet_lab import GOOD, LOCKED, OTHER, REGIONS, FleetLab, Placed, deny_assume_role, role_arn
from tests.test_domain import Dns, _reset, clean_aws_env, moto_endpoint

__all__ = ["moto_endpoint"]

pytestmark = pytest.mark.timeout(180)

THROTTLED = "ap-southeast-2"
REACHABLE = tuple(r for r in REGIONS if r != THROTTLED)
ROLES = [role_arn(a) for a in (GOOD, OTHER, LOCKED)]


@pytest.fixture(scope="module")
def fleet(moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[FleetLab, FaultProxy, list[Placed], Path]]:
    """40 reachable domains over 2 accounts and 3 regions, plus domains the scan cannot reach
    (in the throttled region, and in the account whose role is refused)."""
    _reset(moto_endpoint)
    saved = moto.settings.ACM_VALIDATION_WAIT
    moto.settings.ACM_VALIDATION_WAIT = -1  # requested certificates are ISSUED at once
    lab = FleetLab(moto_endpoint)
    reachable = lab.fleet(40, (GOOD, OTHER), REACHABLE)
    lab.fleet(2, (GOOD,), (THROTTLED,), prefix="hidden")
    lab.fleet(2, (LOCKED,), ("us-east-1",), prefix="locked")
    proxy = FaultProxy(moto_endpoint).start()
    deny_assume_role(proxy, LOCKED)
    for service in ("apigateway", "apigatewayv2"):
        proxy.fail(service, "GetDomainNames", "throttled", region=THROTTLED)
    # a throttle that adaptive retries ride out: the first two listings in eu-west-1
    proxy.fail("apigatewayv2", "GetDomainNames", "throttled", region="eu-west-1", times=2)
    try:
        yield lab, proxy, reachable, tmp_path_factory.mktemp("scan")
    finally:
        proxy.stop()
        moto.settings.ACM_VALIDATION_WAIT = saved


@pytest.fixture
def env(fleet: tuple[FleetLab, FaultProxy, list[Placed], Path], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> FaultProxy:
    proxy = fleet[1]
    clean_aws_env(monkeypatch, tmp_path, proxy.url)
    monkeypatch.setattr(collect, "lookup", Dns().lookup)
    return proxy


@pytest.fixture(scope="module")
def scanned(fleet: tuple[FleetLab, FaultProxy, list[Placed], Path]) -> Report:
    """One scan of the whole fleet (module-wide: it is the expensive part)."""
    with pytest.MonkeyPatch.context() as mp:
        clean_aws_env(mp, fleet[3], fleet[1].url)
        mp.setattr(collect, "lookup", Dns().lookup)
        now = datetime.now(UTC).replace(microsecond=0)
        return run_scan_command(at=now, now=now, regions=",".join(REGIONS), role_arns=ROLES,
                                external_id="fleet-scan-id", timeout=120,
                                save=str(fleet[3] / "scan.json"))


def rows(report: Report) -> list[Any]:
    return list(report.payload["scan"].rows)


def test_the_scan_finds_every_reachable_domain(scanned: Report,
                                               fleet: tuple[FleetLab, Any, list[Placed], Path]
                                               ) -> None:
    got = {(r.account, r.region, r.name) for r in rows(scanned)}
    want = {(p.account, p.region, p.name) for p in fleet[2]}
    assert len(want) == 40
    assert got == want
    assert all(r.diagnosed for r in rows(scanned))


def test_the_refused_account_is_a_finding_of_that_account(scanned: Report) -> None:
    accounts = {a.label: a for a in scanned.payload["scan"].accounts}
    assert set(accounts) == {GOOD, OTHER, LOCKED}
    assert accounts[GOOD].reached and accounts[OTHER].reached
    locked = accounts[LOCKED]
    assert not locked.reached and locked.attempt.status.value == "denied"
    finding = next(f for f in scanned.findings if f.evidence.get("account") == LOCKED)
    assert finding.id == "AWS_ACCESS_DENIED"
    assert "unknown (not absent)" in finding.detail
    assert not any(r.account == LOCKED for r in rows(scanned))
    check = next(c for c in scanned.checks if c.id == "scan.accounts")
    assert check.status is CheckStatus.UNKNOWN and LOCKED in check.detail


def test_the_throttled_region_is_unknown_never_empty(scanned: Report) -> None:
    regions = [r for r in scanned.payload["scan"].regions if r.region == THROTTLED]
    assert {r.account for r in regions} == {GOOD, OTHER}
    assert all(not r.listed and r.domains == 0 for r in regions)
    found = [f for f in scanned.findings if f.evidence.get("region") == THROTTLED
             and "domain" not in f.evidence]
    assert {f.id for f in found} == {"AWS_THROTTLED"}
    assert {f.evidence["account"] for f in found} == {GOOD, OTHER}
    assert all("unknown (not absent)" in f.detail for f in found)
    check = next(c for c in scanned.checks if c.id == "scan.regions")
    assert check.status is CheckStatus.UNKNOWN and THROTTLED in check.detail
    assert scanned.exit_code == 1


def test_a_throttle_that_retries_ride_out_is_no_finding(scanned: Report) -> None:
    west = [r for r in scanned.payload["scan"].regions if r.region == "eu-west-1"]
    assert all(r.listed for r in west) and sum(r.domains for r in west) > 0


def test_rows_show_every_truststore_state(scanned: Report) -> None:
    assert len({r.name for r in rows(scanned)}) == 40
    assert {"current", "stale", "unpinned", "off"} <= {r.truststore for r in rows(scanned)}
    for row in rows(scanned):
        assert row.mtls is not None and row.status is not None


def test_each_row_is_its_domain_report(scanned: Report,
                                       fleet: tuple[FleetLab, Any, list[Placed], Path]) -> None:
    kinds = {p.name: p.kind for p in fleet[2]}
    reports = {d.name: d.report for d in scanned.payload["domains"]}
    table = {r.name: r for r in rows(scanned)}
    for name, kind in kinds.items():
        ids = {f.id for f in reports[name].findings}
        row = table[name]
        assert row.errors == sum(f.severity.value == "error" for f in reports[name].findings)
        if kind == "stale":
            assert "DOMAIN_TRUSTSTORE_STALE" in ids and row.truststore == "stale"
        if kind == "unpinned":
            assert "DOMAIN_TRUSTSTORE_UNPINNED" in ids and row.truststore == "unpinned"
        if kind in ("off", "rest"):
            assert "DOMAIN_MTLS_DISABLED" in ids and row.mtls is False
        if kind == "policy":
            assert "DOMAIN_SECURITY_POLICY_INCOMPATIBLE" in ids
        if kind == "failed":
            assert "DOMAIN_STATUS_FAILED" in ids and row.status == "FAILED"
        if kind == "pinned":
            assert row.truststore == "current" and row.mtls is True
        if kind == "expiring":
            assert row.earliest_ca_expiry is not None


def test_the_calendar_holds_the_expiring_truststore_cas(scanned: Report,
                                                        fleet: tuple[FleetLab, Any, list[Placed],
                                                                     Path]) -> None:
    expiring = {p.name for p in fleet[2] if p.kind == "expiring"}
    cal = scanned.payload["scan"].calendar
    cas = {e.domain for e in cal if e.kind == "truststore_ca"}
    assert cas == expiring
    assert all(0 <= e.days_left <= 90 for e in cal)
    assert [e.not_after for e in cal] == sorted(e.not_after for e in cal)


def test_the_json_document(scanned: Report) -> None:
    doc = json.loads(json.dumps(document(scanned)))
    assert doc["command"] == "scan"
    assert len(doc["scan"]["rows"]) == 40
    assert len(doc["domains"]) == 40
    assert doc["domains"][0]["report"]["command"] == "domain"
    assert "fleet-scan-id" not in json.dumps(doc)  # the external id is never written


def test_junit_one_suite_per_account_region(scanned: Report) -> None:
    xml = render_junit(scanned)
    root = ET.fromstring(xml)  # noqa: S314
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert {f"{a}/{r}" for a in (GOOD, OTHER) for r in REGIONS} <= set(suites)
    assert f"{LOCKED}/*" in suites
    cases = [c for s in suites.values() for c in s.findall("testcase")
             if c.get("name", "").endswith(".fleet.test")]
    assert len(cases) == 40
    throttled = suites[f"{GOOD}/{THROTTLED}"].find("testcase")
    assert throttled is not None and throttled.find("error") is not None
    failed = [c for c in cases if c.find("failure") is not None]
    assert failed and all(c.find("failure").get("type") for c in failed)  # type: ignore[union-attr]
    assert int(root.get("tests", "0")) == sum(int(s.get("tests", "0")) for s in suites.values())


def test_the_saved_scan_replays_the_same_report(scanned: Report,
                                                fleet: tuple[FleetLab, Any, list[Placed], Path]
                                                ) -> None:
    again = run_scan_command(at=scanned.generated_at, now=scanned.generated_at,
                             snapshot=str(fleet[3] / "scan.json"))
    assert document(again) == document(scanned)


def test_the_cli(env: FaultProxy, cli: Callable[..., Run], tmp_path: Path) -> None:
    out = tmp_path / "scan.xml"
    run = cli("scan", "--regions", "us-east-1", "--role-arn", role_arn(GOOD), "--format",
              "junit", "-o", str(out), "--timeout", "60", json_out=False)
    assert run.rc == 1, run.err
    root = ET.fromstring(out.read_text())  # noqa: S314
    assert root.tag == "testsuites"
    run = cli("scan", "--regions", "us-east-1", "--role-arn", role_arn(GOOD))
    assert run.doc["command"] == "scan" and run.doc["scan"]["rows"]


@pytest.mark.parametrize(("args", "message"), [
    (("--regions", "mars-1"), "not a region"),
    (("--role-arn", "arn:aws:iam::12:role/x"), "not an IAM role ARN"),
    (("--role-arn", role_arn(GOOD), "--organization-role", "x"), "not both"),
])
def test_bad_options_are_exit_2(env: FaultProxy, cli: Callable[..., Run],
                                args: tuple[str, ...], message: str) -> None:
    run = cli("scan", *args)
    assert run.rc == 2 and message in run.err and "Traceback" not in run.err



@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_every_format_renders_the_scan(scanned: Report, fmt: str) -> None:
    from mtls_doctor.report import render

    out = render(scanned, fmt, color=False)
    assert "AWS_THROTTLED" in out and "AWS_ACCESS_DENIED" in out


def test_organization_role_scans_every_active_account(env: FaultProxy, moto_endpoint: str) -> None:
    import boto3

    org = boto3.client("organizations", region_name="us-east-1", endpoint_url=moto_endpoint,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    org.create_organization(FeatureSet="ALL")
    org.create_account(Email="fleet@example.com", AccountName="fleet member")
    listed = {a["Id"] for a in org.list_accounts()["Accounts"]}
    now = datetime.now(UTC).replace(microsecond=0)
    report = run_scan_command(at=now, now=now, regions="us-east-1", organization_role="mtls-scan",
                              timeout=60)
    accounts = report.payload["scan"].accounts
    assert {a.account_id for a in accounts} == listed
    assert all(a.reached and a.source == "organization" for a in accounts)
    assert all(a.role_arn.endswith(":role/mtls-scan") for a in accounts)
    assert {r.account_id for r in report.payload["scan"].regions} == listed


# --- --redact: a scan shared in a ticket names no account, domain, bucket or role -----------------

#: the lab's account ids are the redactor's own placeholders (111111111111, ...): the replay
#: below gives the accounts ids no placeholder has
RENAMED = {GOOD: "404040404041", OTHER: "515151515152", LOCKED: "626262626263"}


@pytest.fixture(scope="module")
def renamed(scanned: Report, fleet: tuple[FleetLab, Any, list[Placed], Path]) -> Report:
    """The saved scan with every account id renamed, replayed (no AWS)."""
    text = (fleet[3] / "scan.json").read_text()
    for old, new in RENAMED.items():
        text = text.replace(old, new)
    path = fleet[3] / "renamed.json"
    path.write_text(text)
    return run_scan_command(at=scanned.generated_at, now=scanned.generated_at,
                            snapshot=str(path))


def _secrets(report: Report, fleet: tuple[FleetLab, Any, list[Placed], Path]) -> set[str]:
    """Every value of the scan that identifies someone: account ids, domain names, buckets
    (they hold the account id too), the role's name, certificate ARNs' ids."""
    names = {r.name for r in report.payload["scan"].rows}
    assert len(names) == 40
    buckets = {f"ts-{new}-{r}" for new in RENAMED.values() for r in REGIONS}
    return {*RENAMED.values(), *names, *buckets, "mtls-scan"}


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html", "junit"])
def test_a_redacted_scan_names_no_account_domain_bucket_or_role(
        renamed: Report, fleet: tuple[FleetLab, Any, list[Placed], Path], fmt: str) -> None:
    from mtls_doctor.report import render
    from mtls_doctor.report.redact import redact_report

    plain = render_junit(renamed) if fmt == "junit" else render(renamed, fmt)
    secrets = _secrets(renamed, fleet)
    assert RENAMED[GOOD] in plain and any(name in plain for name in secrets - set(RENAMED.values()))
    redacted = redact_report(renamed)
    out = render_junit(redacted) if fmt == "junit" else render(redacted, fmt)
    leaked = sorted(s for s in secrets if s.lower() in out.lower())
    assert not leaked, leaked
    assert "fleet-scan-id" not in out
    # what the reader needs stays: regions, finding ids, states
    assert "ap-southeast-2" in out and "AWS_THROTTLED" in out


def test_redacted_scan_keeps_its_shape(renamed: Report) -> None:
    from mtls_doctor.report.redact import redact_report

    redacted = redact_report(renamed)
    doc = json.loads(json.dumps(document(redacted)))
    rows = doc["scan"]["rows"]
    assert len({r["name"] for r in rows}) == 40  # every domain its own placeholder
    assert all(r["name"].endswith(".example") for r in rows)
    accounts = {a["account_id"] for a in doc["scan"]["accounts"]}
    assert len(accounts) == 3 and not accounts & set(RENAMED.values())
    # the same domain has the same placeholder in its row, its report and its findings
    reports = {d["name"]: d["report"] for d in doc["domains"]}
    for row in rows:
        assert reports[row["name"]]["payload"]["domain"]["name"] == row["name"]
    assert redacted.exit_code == renamed.exit_code
    # our own words stay readable: truststore states, how accounts were reached, ARN types
    assert {"current", "stale", "unpinned", "off"} <= {r["truststore"] for r in rows}
    assert {a["source"] for a in doc["scan"]["accounts"]} == {"role"}
    assert all(":role/resource-" in a["role_arn"] for a in doc["scan"]["accounts"])
    locations = [f["location"] for f in doc["findings"]]
    assert all(loc.startswith("account ") for loc in locations), locations[:3]


def test_the_cli_redacts_a_replayed_scan(renamed: Report, cli: Callable[..., Run],
                                         fleet: tuple[FleetLab, Any, list[Placed], Path]) -> None:
    run = cli("scan", "--aws-snapshot", str(fleet[3] / "renamed.json"), "--redact",
              "--format", "junit", json_out=False)
    assert run.rc == 1, run.err
    leaked = sorted(s for s in _secrets(renamed, fleet) if s.lower() in run.out.lower())
    assert not leaked, leaked
    assert ET.fromstring(run.out).tag == "testsuites"  # noqa: S314


# --- account-wide listings are made once per scan, for every domain of the region ------------------

def _scan_one_region(proxy_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    from mtls_doctor.deadline import Deadline
    from mtls_doctor.fleet.scan import ScanOptions, collect_scan

    clean_aws_env(monkeypatch, tmp_path, proxy_url)
    monkeypatch.setattr(collect, "lookup", Dns().lookup)
    return collect_scan(ScanOptions(regions=("us-east-1",), role_arns=(role_arn(GOOD),)),
                        Deadline(60))


def test_one_acm_listing_per_region_for_all_its_domains(
        fleet: tuple[FleetLab, Any, list[Placed], Path], moto_endpoint: str,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    here = [p for p in fleet[2] if (p.account, p.region) == (GOOD, "us-east-1")]
    with FaultProxy(moto_endpoint) as proxy:
        facts = _scan_one_region(proxy.url, monkeypatch, tmp_path)
        listed = proxy.seen("acm", "ListCertificates")
    read = [f for _, f in facts.domains if f is not None]
    assert len(read) == len(here) >= 4
    assert [s.region for s in listed] == ["us-east-1"]  # one call, not one per domain
    for f in read:  # and each domain's record holds the attempt its conflicts search used
        assert f.evidence["issuer_conflicts"].status.value == "ok"
        assert [a.call for a in f.attempts].count("acm.ListCertificates") == 1


def test_one_versions_listing_per_bucket_for_all_its_truststores(
        fleet: tuple[FleetLab, Any, list[Placed], Path], moto_endpoint: str,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with FaultProxy(moto_endpoint) as proxy:
        facts = _scan_one_region(proxy.url, monkeypatch, tmp_path)
        listed = proxy.seen("s3", "ListObjectVersions")
    stores = [f for _, f in facts.domains if f is not None and f.truststore_object is not None]
    assert len(stores) >= 3
    assert len({f.truststore_object.bucket for f in stores}) == len(listed) == 1
    for f in stores:  # each domain's record holds the listing its versions came from
        assert f.evidence["truststore_versions"].status.value == "ok"
        assert [a.call for a in f.attempts].count("s3.ListObjectVersions") == 1
        assert f.truststore_object.latest_version is not None


def test_a_failed_shared_listing_fails_every_domain_that_needed_it(
        fleet: tuple[FleetLab, Any, list[Placed], Path], moto_endpoint: str,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with FaultProxy(moto_endpoint) as proxy:
        proxy.fail("acm", "ListCertificates", "denied", region="us-east-1")
        facts = _scan_one_region(proxy.url, monkeypatch, tmp_path)
        listed = proxy.seen("acm", "ListCertificates")
    read = [f for _, f in facts.domains if f is not None]
    assert read and len(listed) == 1
    for f in read:  # never an empty list: the refusal, in every domain's facts
        fact = f.evidence["issuer_conflicts"]
        assert fact.status.value == "denied" and fact.call == "acm.ListCertificates"
        assert fact in f.attempts


def test_a_refused_bucket_listing_is_no_domain_s_failure(
        fleet: tuple[FleetLab, Any, list[Placed], Path], moto_endpoint: str,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A policy may let the scan list each truststore's own key and not the bucket under their
    common prefix: each domain then lists its own, and reads as `domain` would read it."""
    from mtls_doctor.aws.s3truststore import BUCKET_PAGE

    with FaultProxy(moto_endpoint) as proxy:
        proxy.fail("s3", "ListObjectVersions", "denied", query={"max-keys": str(BUCKET_PAGE)})
        facts = _scan_one_region(proxy.url, monkeypatch, tmp_path)
        refused = proxy.seen("s3", "ListObjectVersions", faulted=True)
        listed = proxy.seen("s3", "ListObjectVersions")
    stores = [f for _, f in facts.domains if f is not None and f.truststore_object is not None]
    assert stores and len(refused) == 1 and len(listed) == 1 + len(stores)
    for f in stores:
        assert f.evidence["truststore_versions"].status.value == "ok"
        assert not [a for a in f.attempts if a.failed]  # no AWS_ACCESS_DENIED for the bucket
        assert f.truststore_object.latest_version is not None


def test_a_refused_versions_listing_leaves_every_truststore_undecided(
        fleet: tuple[FleetLab, Any, list[Placed], Path], moto_endpoint: str,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with FaultProxy(moto_endpoint) as proxy:
        proxy.fail("s3", "ListObjectVersions", "denied")
        facts = _scan_one_region(proxy.url, monkeypatch, tmp_path)
    stores = [f for _, f in facts.domains if f is not None and f.truststore_object is not None]
    assert stores
    for f in stores:  # each domain's own refusal, never "no versions"
        fact = f.evidence["truststore_versions"]
        assert fact.status.value == "denied" and fact.call == "s3.ListObjectVersions"
        assert fact in f.attempts


def test_a_scan_with_no_account_to_scan_passes_nothing() -> None:
    """An organization listing that answered with no ACTIVE account: nothing was scanned, so
    neither 'every account was reached' nor 'every region was listed' can pass."""
    from mtls_doctor.fleet.assemble import _checks
    from mtls_doctor.fleet.scan import ScanFacts
    from mtls_doctor.model.evidence import ok

    checks = {c.id: c for c in _checks(ScanFacts(organization=ok("organizations.ListAccounts")),
                                       [], 0)}
    assert checks["scan.accounts"].status is CheckStatus.UNKNOWN, checks["scan.accounts"]
    assert checks["scan.regions"].status is CheckStatus.UNKNOWN
