"""JUnit XML, because CI systems draw it, for every report with a natural grouping:

- `scan`: one testsuite per account/region, one testcase per custom domain and per listing
  (`custom domains listed`), and one per account that could not be reached (`account reached`)
  and for an organization whose accounts could not be listed (`accounts listed`);
- `iac`: one testsuite per template file, one testcase per resource the checks judge (each
  custom domain, API and stage, and any other resource a finding names), a testsuite for a file
  that does not parse, and with `--compare` a testcase for the AWS calls.

A testcase gets a `failure` per error finding (and per warning with `scan --fail-on warning`),
an `error` when it could not be run or decided (its checks `unknown`, a value that does not
resolve, a call that failed), `skipped` for what does not apply (an opt-in region not enabled);
warnings that do not fail it and notes go to its `system-out`. So a document with no failure
and no error is a run that exits 0.

Each command's grouping (`fleet/junit.py`, `iac/junit.py`, beside the payload they read) builds
plain `Suite`s and `Case`s; one writer here turns them into XML.
Every value from outside is made safe (`safe_text`) and XML-escaped by ElementTree; the document
is ASCII."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from mtls_doctor.model.finding import Check, CheckStatus, Finding, Severity
from mtls_doctor.model.report import Report
from mtls_doctor.report.json import iso
from mtls_doctor.safe import safe_text


@dataclass
class Case:
    """One testcase: what failed it, what kept it from being decided, what was skipped."""

    classname: str
    name: str
    #: findings that fail it (`failure`)
    failures: list[Finding] = field(default_factory=list)
    #: findings that say it could not be run (`error`)
    errors: list[Finding] = field(default_factory=list)
    #: what could not be decided, one line each (one `error` of type `unknown`), and what
    #: those lines are (`check(s)`, `value(s)`)
    undecided: list[str] = field(default_factory=list)
    undecided_are: str = "check(s)"
    #: why it did not run, when nothing else is said (`error`)
    missing: str | None = None
    #: why it does not apply (`skipped`)
    skipped: list[str] = field(default_factory=list)
    #: findings that neither fail nor stop it (`system-out`)
    notes: list[Finding] = field(default_factory=list)

    def add(self, finding: Finding, *, warnings_fail: bool = False) -> None:
        """A finding by its severity: an error fails the case, a warning fails it only when
        warnings do, anything else is a note."""
        if finding.severity is Severity.ERROR or (warnings_fail
                                                  and finding.severity is Severity.WARNING):
            self.failures.append(finding)
        else:
            self.notes.append(finding)


@dataclass
class Suite:
    """One testsuite: a name and its cases, in order."""

    name: str
    cases: list[Case] = field(default_factory=list)

    def case(self, classname: str, name: str) -> Case:
        """The case of this name, added at the end when new."""
        for c in self.cases:
            if (c.classname, c.name) == (classname, name):
                return c
        made = Case(classname, name)
        self.cases.append(made)
        return made


class Suites:
    """The testsuites of one document, by name, in the order they were first named."""

    def __init__(self) -> None:
        self._suites: dict[str, Suite] = {}

    def __call__(self, name: str) -> Suite:
        """The suite of this name, added at the end when new."""
        if name not in self._suites:
            self._suites[name] = Suite(name)
        return self._suites[name]

    def all(self) -> list[Suite]:
        """Every suite, in order."""
        return list(self._suites.values())


def undecided_checks(checks: Iterable[Check]) -> list[str]:
    """`id: detail` of each check that could not be decided."""
    return [f"{c.id}: {c.detail}" for c in checks if c.status is CheckStatus.UNKNOWN]


# -- the writer ------------------------------------------------------------------------------


def _s(value: object) -> str:
    return safe_text(str(value))


def _lines(lines: Iterable[str]) -> str:
    """Lines of text, each made safe on its own (a newline inside one is escaped), joined by
    the document's own newlines."""
    return "\n".join(_s(line) for line in lines)


def _finding(case: ET.Element, tag: str, finding: Finding) -> None:
    el = ET.SubElement(case, tag, {"type": _s(finding.id), "message": _s(finding.title)})
    lines = [finding.detail]
    if finding.location:
        lines.append(f"where: {finding.location}")
    if finding.fix is not None:
        lines.append(f"fix: {finding.fix.summary}")
        lines.extend(f"  {s}" for s in finding.fix.steps)
        lines.extend(f"  $ {c}" for c in finding.fix.commands)
    el.text = _lines(lines)


def _case(parent: ET.Element, case: Case) -> None:
    el = ET.SubElement(parent, "testcase", {"classname": _s(case.classname),
                                            "name": _s(case.name)})
    for reason in case.skipped:
        ET.SubElement(el, "skipped", {"message": _s(reason)})
    for f in case.failures:
        _finding(el, "failure", f)
    for f in case.errors:
        _finding(el, "error", f)
    if case.undecided and not case.failures:
        un = ET.SubElement(el, "error", {"type": "unknown", "message": _s(
            f"{len(case.undecided)} {case.undecided_are} could not be decided")})
        un.text = _lines(case.undecided)
    if case.missing and el.find("error") is None and not case.failures:
        ET.SubElement(el, "error", {"message": _s(case.missing)})
    if case.notes:
        out = ET.SubElement(el, "system-out")
        out.text = _lines(f"{f.severity.value}: {f.id}: {f.title}" for f in case.notes)


def _counts(suite: ET.Element, cases: Iterable[ET.Element]) -> None:
    items = list(cases)
    suite.set("tests", str(len(items)))
    suite.set("failures", str(sum(1 for c in items if c.find("failure") is not None)))
    suite.set("errors", str(sum(1 for c in items if c.find("error") is not None
                                and c.find("failure") is None)))
    suite.set("skipped", str(sum(1 for c in items if c.find("skipped") is not None)))


def _fails(suites: Iterable[Suite]) -> bool:
    return any(c.failures or c.errors or c.undecided or c.missing
               for s in suites for c in s.cases)


def write_junit(title: str, report: Report, suites: Iterable[Suite]) -> str:
    """The suites as one JUnit XML document (ASCII, every value escaped). A report that exits
    1 always fails the document: if no case of the grouping says why, a case of the command's
    own (`the report passes`) carries its error findings and undecided checks."""
    stamp = iso(report.generated_at)
    suites = list(suites)
    if report.exit_code != 0 and not _fails(suites):
        case = Case(report.command, "the report passes",
                    [f for f in report.findings if f.severity is Severity.ERROR],
                    undecided=undecided_checks(report.checks),
                    missing=f"the report exits {report.exit_code}")
        suites.append(Suite(report.command, [case]))
    root = ET.Element("testsuites", {"name": _s(title), "timestamp": stamp})
    for suite in suites:
        el = ET.SubElement(root, "testsuite", {"name": _s(suite.name), "timestamp": stamp})
        for case in suite.cases:
            _case(el, case)
        _counts(el, el.findall("testcase"))
    _counts(root, root.iter("testcase"))
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body.encode(
        "ascii", "xmlcharrefreplace").decode("ascii") + "\n"


# -- the groupings, by command -------------------------------------------------------------------


def _groupings() -> dict[str, Callable[[Report], list[Suite]]]:
    """Each command's grouping lives beside its payload (as its view sections do)."""
    from mtls_doctor.fleet.junit import scan_suites
    from mtls_doctor.iac.junit import iac_suites

    return {"scan": scan_suites, "iac": iac_suites}


def junit_commands() -> tuple[str, ...]:
    """The commands whose reports have a JUnit grouping."""
    return tuple(_groupings())


def render_junit(report: Report) -> str:
    """The report as a JUnit XML document; ValueError for a command without a grouping."""
    grouping = _groupings().get(report.command)
    if grouping is None:
        raise ValueError(f"JUnit XML is written for {' and '.join(junit_commands())} reports, "
                         f"not {report.command}")
    return write_junit(f"mtls-doctor {report.command}", report, grouping(report))
