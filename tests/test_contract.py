"""The catalog of finding ids, the contract in ../shared/CONTRACT.md and docs/findings.md say the
same thing: the same ids, severities and walkthroughs, and the same verdict reasons."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mtls_doctor.model.catalog import CATALOG, WALKTHROUGHS
from mtls_doctor.model.verdict import VerdictReason

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT.parent / "shared" / "CONTRACT.md"
DOCS = ROOT / "docs" / "findings.md"
#: ids this project added beyond the contract (it may grow, never silently change)
EXTENSIONS = {"TRUSTSTORE_PATH_LEN_EXCEEDED", "TRUSTSTORE_PEM_ENCODING",
              # `traffic NAME` (issue 12): not in the contract yet
              "TRAFFIC_REFUSALS", "TRAFFIC_CLIENT_REJECTED", "TRAFFIC_ROTATION_BREAKS_CLIENT",
              "TRAFFIC_CLIENT_EXPIRES_SOON", "TRAFFIC_CERTS_NOT_JUDGED", "TRAFFIC_WINDOW_PARTIAL",
              "TRAFFIC_LOG_LINES_UNPARSED", "TRAFFIC_LOGS_UNREADABLE",
              # `iac PATH` (issue 18): not in the contract yet
              "IAC_TRUSTSTORE_UNPINNED", "IAC_TRUSTSTORE_VERSION_NOT_LINKED",
              "IAC_OWNERSHIP_CERT_MISSING", "IAC_NOT_REGIONAL", "IAC_SECURITY_POLICY_INCOMPATIBLE",
              "IAC_EXECUTE_API_ENABLED", "IAC_ACCESS_LOGS_MISSING", "IAC_ACCESS_LOG_FORMAT_INCOMPLETE",
              "IAC_DOMAIN_REPLACED", "IAC_VALUE_UNRESOLVED", "IAC_TEMPLATE_UNREADABLE", "IAC_DRIFT"}
ID = re.compile(r"`([A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+)`")


def contract_text() -> str:
    if not CONTRACT.exists():
        pytest.skip("../shared/CONTRACT.md is not beside this checkout")
    return CONTRACT.read_text(encoding="utf-8")


def contract_ids() -> dict[str, str]:
    """id -> default severity, from the contract's `## Finding ids` section.

    A line may define several ids (`A`, `B` error; `C` warning (...), `D` info: ...): each id
    takes the first severity word after it; an id named again later, in prose, keeps its first
    severity."""
    text = contract_text()
    section = text.split("## Finding ids", 1)[1].split("## Walkthrough ids", 1)[0]
    out: dict[str, str] = {}
    token = re.compile(r"`([A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+)`|\b(error|warning|info)\b")
    for line in section.splitlines():
        if not line.startswith("- "):
            continue
        pending: list[str] = []
        for m in token.finditer(line):
            if m.group(1):
                pending.append(m.group(1))
                continue
            for i in pending:
                out.setdefault(i, m.group(2))
            pending = []
    return out


def test_catalog_holds_exactly_the_contract_ids_with_their_severities():
    ids = contract_ids()
    assert len(ids) > 50
    assert set(CATALOG) - EXTENSIONS == set(ids)
    for i, severity in ids.items():
        assert CATALOG[i].severity.value == severity, i


def test_verdict_reasons_match_the_contract():
    text = contract_text()
    section = text.split("Verdict reasons (`verdict.reason`):", 1)[1].split("\n\n", 1)[0]
    assert {r.value for r in VerdictReason} == set(re.findall(r"`([A-Z_]+)`", section))


def test_walkthroughs_match_the_contract():
    text = contract_text()
    section = text.split("## Walkthrough ids", 1)[1].split("\n\n", 2)[1]
    assert set(WALKTHROUGHS) == set(re.findall(r"`([a-z-]+)`", section))
    assert {s.walkthrough for s in CATALOG.values()} - {None} <= set(WALKTHROUGHS)


def test_docs_list_every_id_once_with_severity_and_walkthrough():
    rows: dict[str, tuple[str, str]] = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 6 or not ID.fullmatch(cells[0]):
            continue
        finding_id = cells[0].strip("`")
        assert finding_id not in rows, f"{finding_id} listed twice"
        rows[finding_id] = (cells[1], cells[2])
        assert cells[3] and cells[4] and cells[5], f"{finding_id}: meaning, fix and source needed"
    assert set(rows) == set(CATALOG)
    for finding_id, (severity, walkthrough) in rows.items():
        spec = CATALOG[finding_id]
        assert severity == spec.severity.value, finding_id
        assert walkthrough == (spec.walkthrough or "—"), finding_id


def test_docs_mark_assumptions():
    text = DOCS.read_text(encoding="utf-8")
    assert text.count("**assumed**") >= 4
    assert "intermediates" in text and "truststore alone" in text


def test_every_id_the_code_emits_is_catalogued():
    """make_finding refuses unknown ids at run time; this catches them before."""
    used: set[str] = set()
    for path in (ROOT / "mtls_doctor").rglob("*.py"):
        used |= set(re.findall(r'make_finding\(\s*"([A-Z_0-9]+)"', path.read_text()))
        used |= set(re.findall(r'self\.add\(\s*"([A-Z_0-9]+)"', path.read_text()))
    assert used, "the scan found no finding ids: the pattern is stale"
    assert used <= set(CATALOG)
