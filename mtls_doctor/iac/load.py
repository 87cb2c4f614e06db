"""Find the templates under PATH, read them (16 MiB each at most, like every input) and tell
what each is: a Terraform plan or state (`terraform show -json`), a CloudFormation template, a
SAM template (its `Transform`) or a CDK-synthesized one (`aws:cdk:path` metadata, `cdk.out`).

CloudFormation YAML is read with cfn-lint's decoder, which knows the short intrinsic tags
(`!Ref`, `!Sub`, `!GetAtt`, ...) and keeps each node's line; JSON templates go through its JSON
decoder for the same lines. cfn-lint is the optional `iac` extra: without it a CloudFormation
file is bad input (exit 2) with the line that says what to install. Terraform's JSON needs only
the standard library."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mtls_doctor.errors import InputError
from mtls_doctor.source import read_file

#: file names a directory walk looks at
_SUFFIXES = (".json", ".yaml", ".yml", ".template")
#: directories a walk never enters
_SKIP_DIRS = frozenset({"node_modules", "__pycache__", ".git", ".terraform", ".venv", "venv",
                        ".aws-sam", "asset-output"})
#: a walk stops after this many candidate files, and this deep
MAX_FILES = 2000
MAX_DEPTH = 8
_YAML_TEMPLATE = re.compile(r"^(Resources|AWSTemplateFormatVersion|Transform)\s*:", re.MULTILINE)
_NEEDS_EXTRA = ("reading CloudFormation, SAM and CDK templates needs the optional `iac` extra "
                "(cfn-lint's decoder, which knows !Ref, !Sub, !GetAtt): "
                "pip install 'mtls-doctor[iac]'")


class NotATemplate(Exception):
    """The file parses, but is not a template or plan this command reads."""


class Unreadable(Exception):
    """The file looks like a template but does not parse; the message says where."""


@dataclass(frozen=True)
class Parsed:
    """One file read: its kind (`terraform-plan`, `terraform-state`, `cloudformation`, `sam`,
    `cdk`), the document, and whether it was JSON."""

    file: str
    kind: str
    doc: dict[str, Any]
    json_source: bool


def child(node: Any, step: str | int) -> Any:
    """`node[step]`: a list's item by index or a mapping's value by key; None when `node` is
    not that kind of node or has no such item (a malformed document is read as far as it
    goes)."""
    if isinstance(step, int):
        return node[step] if isinstance(node, list) and len(node) > step else None
    return node.get(step) if isinstance(node, Mapping) else None


def node_at(node: Any, *path: str | int) -> Any:
    """The node at `path` (keys and list indexes), or None."""
    for step in path:
        node = child(node, step)
    return node


def discover(path: str) -> list[str]:
    """PATH itself when it is a file; else the candidate files under it, in a stable order,
    hidden and dependency folders left out. A missing PATH is bad input."""
    if not os.path.lexists(path):
        raise InputError(f"{path!r} does not exist")
    if not os.path.isdir(path):
        return [path]
    found = sorted(_walk(path, 0))
    if len(found) > MAX_FILES:
        raise InputError(f"{path!r} holds more than {MAX_FILES} JSON/YAML files: give the "
                         "plan file, the template or the cdk.out folder")
    return found


def _walk(top: str, depth: int) -> Iterator[str]:
    if depth > MAX_DEPTH:
        return
    try:
        entries = sorted(os.scandir(top), key=lambda e: e.name)
    except OSError as exc:
        raise InputError(f"cannot read the folder {top!r}: {exc.strerror}") from None
    count = 0
    for e in entries:
        if e.is_symlink():
            continue  # a link may lead out of PATH, or round in a loop
        if e.is_dir():
            if e.name in _SKIP_DIRS or e.name.startswith("."):
                continue
            yield from _walk(e.path, depth + 1)
        elif e.is_file() and e.name.lower().endswith(_SUFFIXES):
            count += 1
            if count > MAX_FILES:
                yield e.path
                return
            yield e.path


def _is_terraform(doc: Any) -> str | None:
    if not isinstance(doc, dict) or "format_version" not in doc:
        return None
    if "planned_values" in doc or "resource_changes" in doc:
        return "terraform-plan"
    if "values" in doc:
        return "terraform-state"
    return None


def _cfn_kind(file: str, doc: dict[str, Any]) -> str:
    transform = doc.get("Transform")
    transforms = transform if isinstance(transform, list) else [transform]
    if any(isinstance(t, str) and t.startswith("AWS::Serverless") for t in transforms):
        return "sam"
    if file.endswith(".template.json") and f"cdk.out{os.sep}" in file:
        return "cdk"
    resources = doc.get("Resources")
    if isinstance(resources, dict):
        for r in resources.values():
            meta = r.get("Metadata") if isinstance(r, dict) else None
            if isinstance(meta, dict) and "aws:cdk:path" in meta:
                return "cdk"
    params = doc.get("Parameters")
    if isinstance(params, dict) and "BootstrapVersion" in params:
        return "cdk"
    return "cloudformation"


def _cfnlint() -> Any:
    try:
        from cfnlint.decode import cfn_json, cfn_yaml
    except ImportError:
        raise InputError(_NEEDS_EXTRA) from None
    return cfn_json, cfn_yaml


def _where(exc: BaseException) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None and getattr(mark, "line", None) is not None:
        return f"line {mark.line + 1}: "
    line = getattr(exc, "lineno", None)
    return f"line {line}: " if isinstance(line, int) else ""


def _why(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    text = str(getattr(exc, "problem", None) or exc).splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _check_resources(file: str, doc: Any) -> None:
    if not isinstance(doc, dict) or "Resources" not in doc:
        raise NotATemplate(file)
    if not isinstance(doc["Resources"], dict):
        raise Unreadable("its Resources is not a mapping of logical ids to resources")


def parse(file: str) -> Parsed:
    """Read and recognise one file. Bad input (missing, a FIFO, over 16 MiB) is `InputError`;
    a file that does not parse is `Unreadable`; one that parses but is no template is
    `NotATemplate`."""
    data = read_file(file, "template").data
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"not UTF-8 text (byte {exc.start})") from None
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise Unreadable(f"{_where(exc)}not valid JSON: {_why(exc)}") from None
        tf = _is_terraform(doc)
        if tf is not None:
            return Parsed(file, tf, doc, True)
        _check_resources(file, doc)
        cfn_json, _ = _cfnlint()
        try:
            doc = cfn_json.loads(text)
        except (Exception, RecursionError) as exc:  # noqa: BLE001 - any decoder error: unreadable
            raise Unreadable(f"{_where(exc)}{_why(exc)}") from None
        return Parsed(file, _cfn_kind(file, doc), doc, True)
    if not _YAML_TEMPLATE.search(text):
        raise NotATemplate(file)
    _, cfn_yaml = _cfnlint()
    try:
        doc = cfn_yaml.loads(text, file)
    except (Exception, RecursionError) as exc:  # noqa: BLE001 - any decoder error: unreadable
        raise Unreadable(f"{_where(exc)}{_why(exc)}") from None
    _check_resources(file, doc)
    return Parsed(file, _cfn_kind(file, doc), doc, False)
