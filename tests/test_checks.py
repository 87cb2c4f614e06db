"""The one table of checks, and how a check's status follows from the evidence: no check passes
on a fact that was not collected, whatever the findings say."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mtls_doctor.model.catalog import CATALOG, RESERVED, make_finding
from mtls_doctor.model.checks import CHECKS, check, checks_of, derive_checks
from mtls_doctor.model.evidence import Attempt, Status
from mtls_doctor.model.finding import CheckStatus, Severity

#: ids that fail no check on purpose: a timeout makes the checks of its step unknown instead
UNOWNED = {"PROBE_TIMEOUT",
           # a value a template does not resolve: the check that needed it is unknown instead
           "IAC_VALUE_UNRESOLVED"}


def test_check_ids_are_unique_and_each_names_its_family():
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids))
    families = {i.partition(".")[0] for i in ids}
    assert families == {"inspect", "truststore", "client", "probe", "domain", "diagnose",
                        "traffic", "iac"}
    assert sum(len(checks_of(f)) for f in families) == len(CHECKS)


def test_every_finding_id_counts_against_some_check():
    owned = {i for c in CHECKS for i in c.finding_ids}
    assert owned <= set(CATALOG)
    assert set(CATALOG) - RESERVED - UNOWNED <= owned


def test_within_a_family_a_finding_counts_against_one_check():
    for family in ("inspect", "truststore", "client", "domain", "diagnose"):
        seen: dict[str, str] = {}
        for c in checks_of(family):
            for i in c.finding_ids:
                assert i not in seen, (i, seen.get(i), c.id)
                seen[i] = c.id


SPEC = check("x.y", "a check", "DOMAIN_NO_MAPPINGS", needs=("a", "b"))
STATUSES = st.sampled_from(list(Status))


@given(a=STATUSES, b=STATUSES, finding=st.sampled_from([None, "error", "warning", "info"]))
def test_status_follows_the_evidence(a, b, finding):
    evidence = {"a": Attempt("a", a, "why a"), "b": Attempt("b", b, "why b")}
    findings = [] if finding is None else [make_finding("DOMAIN_NO_MAPPINGS", "t", "d",
                                                        severity=Severity(finding))]
    [got] = derive_checks([SPEC], findings, evidence)
    failed = a.failed or b.failed
    if finding == "error":
        assert got.status is CheckStatus.FAIL
    elif failed:
        assert got.status is CheckStatus.UNKNOWN
        assert "why a" in got.detail or "why b" in got.detail
    elif finding == "warning":
        assert got.status is CheckStatus.WARN
    elif a is Status.SKIPPED and b is Status.SKIPPED:
        assert got.status is CheckStatus.SKIP and got.detail == "why a"
    else:
        assert got.status is CheckStatus.PASS
    assert got.status is not CheckStatus.PASS or not failed


def test_a_fact_never_recorded_is_unknown_not_pass():
    [got] = derive_checks([SPEC], [], {"a": Attempt("a", Status.OK)})
    assert got.status is CheckStatus.UNKNOWN and "never collected" in got.detail
