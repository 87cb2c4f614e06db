"""The iac report as JUnit testsuites (`report/junit.py` writes them): one testsuite per template
file, one testcase per resource the checks judge (each custom domain, API and stage, in the
file's order, and any other resource a finding names, such as a mapping whose API is not in the
file). A resource's error findings fail it, a value that does not resolve statically is an
`error` (its check is `unknown`), warnings and notes go to its `system-out`. A file that does
not parse is a testsuite whose one testcase (`parses`) is an error; with `--compare`, the
`AWS (--compare)` testsuite's testcase says whether every live domain could be read."""

from __future__ import annotations

from mtls_doctor.iac.model import (
    IacApi,
    IacCertificate,
    IacDomain,
    IacMapping,
    IacObject,
    IacPayload,
    IacStage,
    IacTemplate,
)
from mtls_doctor.model.finding import Finding, Severity
from mtls_doctor.model.report import Report
from mtls_doctor.report.junit import Case, Suite, Suites, undecided_checks

#: the testsuite of the AWS calls `--compare` makes
AWS_SUITE = "AWS (--compare)"
_LIVE_CHECKS = ("iac.drift", "iac.aws")


def _resources(t: IacTemplate) -> list[tuple[str, str, str]]:
    """(address, classname, name) of each resource of the file that may get a testcase, the
    judged ones (domains, APIs, stages) first."""
    out: list[tuple[str, str, str]] = []
    for d in t.domains:
        name = d.where.address
        if d.domain_name is not None and d.domain_name.known:
            name += f" ({d.domain_name.text()})"
        out.append((d.where.address, d.resource_type, name))
    others: list[IacApi | IacStage | IacMapping | IacObject | IacCertificate] = [
        *t.apis, *t.stages, *t.mappings, *t.objects, *t.certificates]
    for r in others:
        kind = getattr(r, "resource_type", "") or type(r).__name__.removeprefix("Iac")
        out.append((r.where.address, kind, r.where.address))
    return out


def _file_suite(suites: Suites, t: IacTemplate, mine: list[Finding]) -> None:
    suite = suites(t.file)
    known: dict[str, tuple[str, str]] = {}
    for address, classname, name in _resources(t):  # SAM: the API, its stage share an address
        known.setdefault(address, (classname, name))
    judged: list[IacDomain | IacApi | IacStage] = [*t.domains, *t.apis, *t.stages]
    for r in judged:  # every judged resource has its case, even when it passes
        suite.case(*known[r.where.address])
    for f in mine:
        address = str(f.evidence.get("address") or "")
        classname, name = known.get(address, (t.tool, address or t.file))
        _place(suite.case(classname, name), f)


def _place(case: Case, f: Finding) -> None:
    if f.id == "IAC_VALUE_UNRESOLVED":  # its check is `unknown`: the case was not decided
        case.undecided.append(f"{f.title}: {f.detail}")
        case.undecided_are = "value(s)"
    else:
        case.add(f)


def iac_suites(report: Report) -> list[Suite]:
    """The testsuites of an iac report."""
    p = report.payload.get("iac")
    if not isinstance(p, IacPayload):
        raise ValueError("not an iac report")
    suites = Suites()
    by_file: dict[str, list[Finding]] = {}
    loose: list[Finding] = []
    for f in report.findings:
        file = f.evidence.get("file")
        if isinstance(file, str) and f.id != "IAC_TEMPLATE_UNREADABLE":
            by_file.setdefault(file, []).append(f)
        elif f.id != "IAC_TEMPLATE_UNREADABLE":
            loose.append(f)
    for t in p.templates:
        _file_suite(suites, t, by_file.pop(t.file, []))
    for f in report.findings:
        if f.id == "IAC_TEMPLATE_UNREADABLE":
            suites(str(f.evidence.get("file") or f.location)).case("file", "parses").errors \
                .append(f)
    for file, rest in by_file.items():  # a file of no template (should not happen): still said
        for f in rest:
            _place(suites(file).case("file", str(f.evidence.get("address") or file)), f)
    if p.compared:
        case = suites(AWS_SUITE).case("aws", "live domains read")
        for f in loose:
            (case.errors if f.severity is Severity.ERROR else case.notes).append(f)
        case.undecided += undecided_checks(c for c in report.checks if c.id in _LIVE_CHECKS)
    elif loose:
        for f in loose:
            _place(suites(p.path).case("iac", "other findings"), f)
    return suites.all()
