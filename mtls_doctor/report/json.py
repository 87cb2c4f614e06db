"""The contract's JSON document."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from mtls_doctor import __version__
from mtls_doctor.model.finding import Severity
from mtls_doctor.model.report import Report

SCHEMA = "mtls-doctor/v1"


def iso(dt: datetime) -> str:
    """`2026-11-29T19:00:00Z`."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_primitive(obj: Any) -> Any:
    """Dataclasses, enums, datetimes and containers as JSON values (a dataclass field marked
    `metadata={"report": False}`, such as a truststore's raw bytes, stays out)."""
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, datetime):
        return iso(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_primitive(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                if f.metadata.get("report", True)}
    if isinstance(obj, Mapping):
        return {str(k): to_primitive(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_primitive(v) for v in obj]
    if isinstance(obj, bytes):
        return obj.hex()
    return obj


def as_mapping(obj: Any) -> Mapping[str, Any] | None:
    """A typed payload (a dataclass) or a mapping as a mapping of JSON values; None otherwise."""
    if isinstance(obj, Mapping) or (dataclasses.is_dataclass(obj) and not isinstance(obj, type)):
        value = to_primitive(obj)
        return value if isinstance(value, Mapping) else None
    return None


def document(report: Report) -> dict[str, Any]:
    """The report as the contract's JSON object."""
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "command": report.command,
        "tool_version": __version__,
        "generated_at": iso(report.generated_at),
        "checks": to_primitive(report.checks),
        "findings": to_primitive(report.findings),
        "summary": {
            "errors": report.count(Severity.ERROR),
            "warnings": report.count(Severity.WARNING),
            "info": report.count(Severity.INFO),
        },
    }
    for key, value in report.payload.items():
        doc[key] = to_primitive(value)
    return doc


def render_json(report: Report) -> str:
    """One JSON object, indented, newline-terminated, ASCII only: every other character of a
    string, controls and bidi characters from outside text included, is a `\\u` escape, so the
    document cannot drive the terminal it is printed to."""
    return json.dumps(document(report), indent=2, ensure_ascii=True) + "\n"
