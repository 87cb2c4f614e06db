"""`mtls-doctor iac PATH`: the mutual TLS mistakes of API Gateway custom domains in Terraform
plans and states, CloudFormation/SAM templates and CDK's synthesized templates, before they
deploy; with `--compare`, the drift between each template and its live domain.

PATH is a file (it must be one of those, else exit 2) or a folder, walked for them (a file in
it that looks like a template but does not parse is `IAC_TEMPLATE_UNREADABLE`)."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from mtls_doctor.deadline import Deadline
from mtls_doctor.errors import InputError
from mtls_doctor.iac.load import NotATemplate, Parsed, Unreadable, discover, parse
from mtls_doctor.iac.model import IacPayload, IacTemplate
from mtls_doctor.iac.rules import judge
from mtls_doctor.model.catalog import make_finding
from mtls_doctor.model.checks import checks_of, derive_checks
from mtls_doctor.model.evidence import Attempt, Status, ok, skipped
from mtls_doctor.model.finding import Finding, Fix
from mtls_doctor.model.report import Report

_NOT_A_TEMPLATE = ("is neither a Terraform plan or state in JSON (terraform show -json) nor a "
                   "CloudFormation, SAM or CDK template (a mapping with Resources)")


def read_template(parsed: Parsed) -> IacTemplate:
    """The model of one parsed file, by its kind."""
    if parsed.kind.startswith("terraform"):
        from mtls_doctor.iac.terraform import read_terraform

        return read_terraform(parsed)
    from mtls_doctor.iac.cfn import read_cfn

    return read_cfn(parsed)


def load_templates(path: str) -> tuple[list[IacTemplate], list[str], list[tuple[str, str]]]:
    """(templates, files passed over, (file, why) of files that do not parse). A single file
    that is not a readable template, or a folder without any, is bad input."""
    files = discover(path)
    single = not os.path.isdir(path)
    templates: list[IacTemplate] = []
    skipped_files: list[str] = []
    unreadable: list[tuple[str, str]] = []
    for file in files:
        try:
            parsed = parse(file)
        except NotATemplate:
            if single:
                raise InputError(f"{file} {_NOT_A_TEMPLATE}") from None
            skipped_files.append(file)
            continue
        except Unreadable as exc:
            if single:
                raise InputError(f"{file} does not parse: {exc}") from None
            unreadable.append((file, str(exc)))
            continue
        templates.append(read_template(parsed))
    if not templates and not unreadable:
        raise InputError(f"no Terraform plan or state JSON, nor CloudFormation, SAM or CDK "
                         f"template under {path} ({len(files)} JSON/YAML file(s) looked at)")
    return templates, skipped_files, unreadable


def _unreadable_finding(file: str, why: str) -> Finding:
    return make_finding(
        "IAC_TEMPLATE_UNREADABLE", f"{file} looks like a template but does not parse",
        f"{file}: {why}. Nothing in it was checked.", location=file,
        evidence={"file": file, "error": why},
        fix=Fix("Fix the file so that it parses (cfn-lint and `terraform show -json` say "
                "where), or keep it out of PATH."))


def run_iac(path: str, *, now: datetime, compare: bool = False, region: str | None = None,
            profile: str | None = None, timeout: float = 30.0,
            deadline: Deadline | None = None) -> Report:
    """Read every template under PATH and report its custom domains' mutual TLS mistakes;
    with `compare`, also the drift from the live domains (read as `domain` reads them), whose
    certificates also settle the ownership check where a template does not say how its
    certificate was issued."""
    templates, passed_over, unreadable = load_templates(path)
    result = None
    if compare:  # first: the live domains settle what the templates do not say
        from mtls_doctor.iac.drift import compare_live

        result = compare_live(templates, region=region, profile=profile,
                              deadline=deadline or Deadline(timeout))
    judged = judge(templates, live=result.certificates if result is not None else None)
    findings: list[Finding] = [*(_unreadable_finding(f, why) for f, why in unreadable),
                               *judged.findings]
    evidence: dict[str, Attempt] = dict(judged.facts)
    evidence["files"] = ok("iac.files", f"{len(templates)} template(s) read") if not unreadable \
        else Attempt("iac.files", Status.ERROR, f"{len(unreadable)} file(s) do not parse")
    evidence["plan"] = ok("iac.plan") if any(t.kind == "terraform-plan" for t in templates) \
        else skipped("iac.plan", "no Terraform plan among the files")
    drift: tuple[Any, ...] = ()
    if result is not None:
        findings += result.findings
        evidence.update(result.evidence)
        drift = tuple(result.drift)
    else:
        evidence["live"] = skipped("iac.live", "no --compare")
        evidence["aws"] = skipped("iac.aws", "no --compare: no AWS call made")
    payload = IacPayload(path, tuple(templates), tuple(passed_over),
                         tuple(f for f, _ in unreadable), tuple(judged.unresolved), compare,
                         drift)
    return Report(command="iac", generated_at=now,
                  checks=derive_checks(checks_of("iac"), findings, evidence),
                  findings=tuple(findings), payload={"iac": payload})
