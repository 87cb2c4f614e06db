"""The contract's JSON document.

`document` builds it from the typed report (`to_primitive` turns each value into JSON values)
and `render_json` writes it. Both are on the path of every `--format json` run, a truststore of
1,000 certificates included, so each has a fast path that changes nothing it produces:
`to_primitive` sends the values a report is made of (strings, numbers, tuples, dataclasses) first
to their branch and remembers each dataclass's reported fields; `dumps` writes exactly the bytes
`json.dumps(value, indent=2, ensure_ascii=True)` writes, building each container's text with one
`str.join` instead of the standard library's chain of generators (its C encoder cannot indent
before Python 3.13), and hands any value it does not know to `json.dumps` itself.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache
from json.encoder import encode_basestring_ascii
from math import isinf, isnan
from typing import Any

from mtls_doctor import __version__
from mtls_doctor.model.finding import Severity
from mtls_doctor.model.report import Report

SCHEMA = "mtls-doctor/v1"

#: values that are JSON as they are (exact types: a subclass, an enum member, takes the long way)
_PLAIN = frozenset({str, int, float, bool, type(None)})
#: each dataclass's reported field names, in order (None for a type that is not a dataclass)
_REPORTED: dict[type, tuple[str, ...] | None] = {}


def iso(dt: datetime) -> str:
    """`2026-11-29T19:00:00Z`."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _reported_fields(cls: type) -> tuple[str, ...] | None:
    """The names of `cls`'s fields a report shows (not those marked `metadata={"report":
    False}`), or None when `cls` is not a dataclass; worked out once per class."""
    try:
        return _REPORTED[cls]
    except KeyError:
        pass
    names = None
    if dataclasses.is_dataclass(cls):
        names = tuple(f.name for f in dataclasses.fields(cls) if f.metadata.get("report", True))
    _REPORTED[cls] = names
    return names


def to_primitive(obj: Any) -> Any:
    """Dataclasses, enums, datetimes and containers as JSON values (a dataclass field marked
    `metadata={"report": False}`, such as a truststore's raw bytes, stays out)."""
    cls = type(obj)
    if cls in _PLAIN:
        return obj
    if cls is tuple or cls is list:
        return [to_primitive(v) for v in obj]
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, datetime):
        return iso(obj)
    names = None if isinstance(obj, type) else _reported_fields(cls)
    if names is not None:
        return {name: to_primitive(getattr(obj, name)) for name in names}
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


def _typed_document(report: Report) -> dict[str, Any]:
    """The contract's JSON object with its values still typed (checks, findings, payload):
    what `document` makes plain and `render_json` writes in one pass."""
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "command": report.command,
        "tool_version": __version__,
        "generated_at": iso(report.generated_at),
        "checks": report.checks,
        "findings": report.findings,
        "summary": {
            "errors": report.count(Severity.ERROR),
            "warnings": report.count(Severity.WARNING),
            "info": report.count(Severity.INFO),
        },
    }
    doc.update(report.payload)
    return doc


def document(report: Report) -> dict[str, Any]:
    """The report as the contract's JSON object."""
    return {key: to_primitive(value) for key, value in _typed_document(report).items()}


class _NotPlain(Exception):
    """A value `_encode` leaves to `json.dumps` (a subclass, a non-JSON type)."""


#: the line break and indentation before an item at each depth (a deeper document, which no
#: report makes, is written by json.dumps)
_BREAK = tuple("\n" + "  " * depth for depth in range(64))
#: from Python 3.13 the standard library's C encoder indents too, faster than `_encode`
_C_INDENTS = sys.version_info >= (3, 13)


def _encode(value: Any, depth: int) -> str:
    """`value` (at `depth`) as `json.dumps(indent=2, ensure_ascii=True)` writes it."""
    cls = type(value)
    if cls is str:
        return encode_basestring_ascii(value)
    if cls is dict:
        if not value:
            return "{}"
        inner = _BREAK[depth + 1]
        # a key that is not a string makes encode_basestring_ascii raise TypeError: json.dumps
        # then decides (it converts numbers, True, False and None, and refuses the rest)
        items = [encode_basestring_ascii(k) + ": " + _encode(v, depth + 1)
                 for k, v in value.items()]
        return "{" + inner + ("," + inner).join(items) + _BREAK[depth] + "}"
    if cls is list or cls is tuple:
        if not value:
            return "[]"
        inner = _BREAK[depth + 1]
        items = [_encode(v, depth + 1) for v in value]
        return "[" + inner + ("," + inner).join(items) + _BREAK[depth] + "]"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if cls is int:
        return int.__repr__(value)
    if cls is float:
        if isnan(value):
            return "NaN"
        if isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return float.__repr__(value)
    raise _NotPlain


def dumps(value: Any) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=True)`, byte for byte, about twice as fast on
    the plain values `document` makes before Python 3.13 (whose own C encoder indents, and is
    used as it is); anything else is written by `json.dumps` itself (so it also fails as
    `json.dumps` does)."""
    if _C_INDENTS:
        return json.dumps(value, indent=2, ensure_ascii=True)
    try:
        return _encode(value, 0)
    except (_NotPlain, TypeError, IndexError):
        return json.dumps(value, indent=2, ensure_ascii=True)


#: each dataclass's reported fields as `(name, '"name": ')`, the key written once per class
_KEYS: dict[type, tuple[tuple[str, str], ...] | None] = {}


def _keys(cls: type) -> tuple[tuple[str, str], ...] | None:
    try:
        return _KEYS[cls]
    except KeyError:
        pass
    names = _reported_fields(cls)
    keys = None if names is None else tuple((n, encode_basestring_ascii(n) + ": ")
                                            for n in names)
    _KEYS[cls] = keys
    return keys


#: the JSON of the values most of a document is made of, by exact type, each written by a
#: function of C (no call of `_write` for them)
_ATOMS: dict[type, Callable[[Any], str]] = {
    str: encode_basestring_ascii,
    bool: {True: "true", False: "false"}.__getitem__,
    int: int.__repr__,
    type(None): {None: "null"}.__getitem__,
}


def _write(value: Any, depth: int) -> str:
    """`_encode(to_primitive(value), depth)` in one pass, without the intermediate document:
    the typed report's values written as they come. What `_encode` would refuse raises
    `_NotPlain` (the caller then takes the two-pass way, which decides as it always did)."""
    cls = type(value)
    atom = _ATOMS.get(cls)
    if atom is not None:
        return atom(value)
    if cls is tuple or cls is list:
        if not value:
            return "[]"
        inner = _BREAK[depth + 1]
        deeper = depth + 1
        return ("[" + inner + ("," + inner).join([
            a(v) if (a := _ATOMS.get(type(v))) is not None else _write(v, deeper)
            for v in value]) + _BREAK[depth] + "]")
    if cls is float:
        return _encode(value, depth)
    if isinstance(value, Enum):  # to_primitive's order: enums and datetimes before dataclasses
        return _encode(value.value, depth)
    if isinstance(value, datetime):
        return encode_basestring_ascii(_iso(value))
    keys = None if isinstance(value, type) else _keys(cls)
    if keys is not None:
        if not keys:
            return "{}"
        inner = _BREAK[depth + 1]
        deeper = depth + 1
        return ("{" + inner + ("," + inner).join([
            k + (a(v) if (a := _ATOMS.get(type(v := getattr(value, n)))) is not None
                 else _write(v, deeper))
            for n, k in keys]) + _BREAK[depth] + "}")
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        items = value.items()
        if not all(type(k) is str for k in value):
            items = {str(k): v for k, v in items}.items()  # as to_primitive names them
        inner = _BREAK[depth + 1]
        return ("{" + inner + ("," + inner).join([encode_basestring_ascii(str(k)) + ": "
                                                  + _write(v, depth + 1) for k, v in items])
                + _BREAK[depth] + "}")
    if isinstance(value, list | tuple | set | frozenset):
        return _write(list(value), depth)
    if isinstance(value, bytes):
        return encode_basestring_ascii(value.hex())
    raise _NotPlain


@lru_cache(maxsize=1024)
def _iso(dt: datetime) -> str:
    """`iso`, remembered: a report repeats the instant it was evaluated at, and a bundle's
    validity dates (an instant is equal to itself in any zone, and written in UTC)."""
    return iso(dt)


def render_json(report: Report) -> str:
    """One JSON object, indented, newline-terminated, ASCII only: every other character of a
    string, controls and bidi characters from outside text included, is a `\\u` escape, so the
    document cannot drive the terminal it is printed to. Written in one pass from the typed
    report (`_write`) where it can be; else `document` then `dumps`, which write the same."""
    if not _C_INDENTS:
        head = _typed_document(report)
        if all(type(k) is str for k in head):  # else json.dumps decides, as `dumps` lets it
            try:
                return _write(head, 0) + "\n"
            except (_NotPlain, TypeError, IndexError, RecursionError):
                pass
    return dumps(document(report)) + "\n"
