"""report/json.py's fast paths write the very document the standard library would.

`to_primitive` is compared with the plain recursive definition it replaced, and `dumps` with
`json.dumps(value, indent=2, ensure_ascii=True)`, byte for byte: on whole reports (the demo's
diagnosis, which carries every payload: probe, domain, truststore, verdict; a truststore; a
hostile probe answer) and on the values at the edges of JSON (escapes, numbers, empty containers,
keys that are not strings, types JSON does not know).
"""

from __future__ import annotations

import dataclasses
import json
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from enum import Enum, IntEnum, StrEnum
from pathlib import Path
from typing import Any

import pytest

from mtls_doctor.commands.truststore import run_truststore
from mtls_doctor.diagnose.demo import run_demo
from mtls_doctor.model.report import Report
from mtls_doctor.report.json import document, dumps, iso, render_json, to_primitive
from mtls_doctor.report.redact import redact_report
from tests.pki_factory import NOW, PKI, pem_bundle


def reference_primitive(obj: Any) -> Any:
    """`to_primitive` as it was first written: the definition the fast path must keep."""
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, datetime):
        return iso(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: reference_primitive(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                if f.metadata.get("report", True)}
    if isinstance(obj, Mapping):
        return {str(k): reference_primitive(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [reference_primitive(v) for v in obj]
    if isinstance(obj, bytes):
        return obj.hex()
    return obj


def standard(value: Any) -> str:
    """What the document was written with before: the standard library's indenting encoder."""
    return json.dumps(value, indent=2, ensure_ascii=True)


def same_document(report: Report) -> None:
    """The report's document, typed values and written bytes, as the reference makes them."""
    doc = document(report)
    for key, value in report.payload.items():
        assert doc[key] == reference_primitive(value), key
    assert [doc["checks"], doc["findings"]] == reference_primitive([report.checks,
                                                                    report.findings])
    assert render_json(report) == standard(doc) + "\n"
    assert list(doc) == list(json.loads(render_json(report)))  # the keys' order too


@pytest.fixture(scope="module")
def demo() -> Report:
    now = datetime.now(UTC).replace(microsecond=0)
    return run_demo(at=now, now=now)


def test_every_payload_of_the_demo(demo: Report) -> None:
    assert {"probe", "domain", "truststore", "verdict"} <= set(demo.payload)
    same_document(demo)
    same_document(redact_report(demo))


def test_a_truststore(pki: PKI, tmp_path: Path) -> None:
    root, ica = pki.chain(2, prefix="Json")
    certs = [root, ica, pki.root("Json Expired", expired=True), pki.root("Json SHA-1", hash="sha1"),
             pki.v1_root("Json V1"), pki.leaf(ica, "json.example.com")]
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(pem_bundle(certs) + b"-----BEGIN CERTIFICATE-----\nnot base64\n"
                       b"-----END CERTIFICATE-----\n")
    report = run_truststore(str(bundle), at=NOW, now=NOW)
    assert len(document(report)["certificates"]) >= 6 and report.findings
    same_document(report)


def test_a_hostile_probe_answer() -> None:
    from tests.test_report_export import hostile_probe_report

    same_document(hostile_probe_report())


class Colour(StrEnum):
    RED = "red"


class Level(IntEnum):
    HIGH = 3


class Plain(Enum):
    TUPLE = (1, "a")


@dataclasses.dataclass(frozen=True)
class Inner:
    when: datetime
    raw: bytes = dataclasses.field(default=b"\x00\xff", metadata={"report": False})
    tags: frozenset[str] = frozenset({"x"})


@dataclasses.dataclass(frozen=True)
class Outer:
    colour: Colour
    level: Level
    plain: Plain
    inner: Inner
    items: tuple[Inner, ...]
    table: Mapping[Any, Any]
    blob: bytes
    kind: type = int


def test_to_primitive_on_every_kind_of_value() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    value = Outer(Colour.RED, Level.HIGH, Plain.TUPLE, Inner(when), (Inner(when), Inner(NOW)),
                  {1: [when, b"ab"], Colour.RED: {"nested": (1, 2.5, None, True)},
                   None: OrderedDict(b=1, a=2)}, b"\x01\x02")
    values: list[Any] = [value, [value, {value.inner}], (), {}, "text", 7, 2.5, None, False,
                         Inner, Colour.RED, {"k": frozenset()}, OrderedDict(z=value.inner)]
    for obj in values:
        assert to_primitive(obj) == reference_primitive(obj)
        assert type(to_primitive(obj)) is type(reference_primitive(obj))
    assert to_primitive(value)["inner"] == {"when": "2026-01-02T01:04:05Z", "tags": ["x"]}


EDGE_VALUES: list[Any] = [
    {},
    [],
    "",
    0,
    -1,
    10**40,
    True,
    False,
    None,
    0.0,
    -0.0,
    1.5,
    1e-07,
    1e308,
    float("nan"),
    float("inf"),
    float("-inf"),
    "quote \" backslash \\ slash / tab \t newline \n nul \x00 esc \x1b del \x7f",
    "bidi \u202e zero width \u200b line sep \u2028 bom \ufeff non-BMP \U0001f512 é",
    "lone surrogate \ud800",
    {"a": {}, "b": [], "c": [{}], "d": [[]], "e": {"f": {"g": [1, [2, [3, {}]]]}}},
    [1, "two", 3.0, None, True, [False, {"x": [None]}]],
    (1, (2, ("three",))),
    {"order": 1, "kept": 2, "as": 3, "given": 4},
    {"\u202e": "key escaped too", "\x1b[31m": 1},
]

#: values the fast path hands on to json.dumps: they must come out the same all the same
HANDED_ON: list[Any] = [
    {1: "int key", 2.5: "float key", None: "null key"},
    {False: "bool key", "after": [True]},
    {"outer": {3: "a nested int key"}},
    OrderedDict(b=1, a=2),
    {"sub": Colour.RED},
    {"int enum": Level.HIGH},
    [Level.HIGH, 1.0],
    {"deep": json.loads("[" * 80 + "]" * 80)},
]


@pytest.mark.parametrize("value", EDGE_VALUES + HANDED_ON)
def test_dumps_writes_what_json_dumps_writes(value: Any) -> None:
    assert dumps(value) == standard(value)
    assert dumps(value).isascii()


@pytest.mark.parametrize("value", [{"bytes": b"x"}, [object()], {("tuple", "key"): 1}, {1, 2}])
def test_dumps_refuses_what_json_dumps_refuses(value: Any) -> None:
    with pytest.raises(TypeError) as expected:
        standard(value)
    with pytest.raises(TypeError) as refused:
        dumps(value)
    assert str(refused.value) == str(expected.value)


class Word(str):
    """A str subclass: to_primitive leaves it as it is, and json.dumps writes it as a string."""


def test_render_json_in_one_pass_writes_what_two_passes_write() -> None:
    """`render_json` writes the typed report directly; every kind of value (and one it hands
    on, a str subclass) comes out as `dumps(document(...))` writes it."""
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    value = Outer(Colour.RED, Level.HIGH, Plain.TUPLE, Inner(when), (Inner(when), Inner(NOW)),
                  {1: [when, b"ab"], Colour.RED: {"nested": (1, 2.5, None, True)},
                   None: OrderedDict(b=1, a=2), "1": "same key as 1 once named"},
                  b"\x01\x02")
    payloads: list[dict[str, Any]] = [
        {"value": value, "list": [value.inner, {value.inner}], "empty": ((), {}, [], ""),
         "numbers": (0, -1, 10**40, 1.5, float("nan"), float("-inf")), "set": frozenset({3})},
        {"word": Word("a word"), "nested": {"deeper": [Word("b")]}},
        {"schema": "a payload key the document already has"},
    ]
    written = 0
    for payload in payloads:
        report = Report("truststore", NOW, (), (), payload)
        try:
            expected = dumps(document(report)) + "\n"
        except TypeError as exc:  # Outer.kind is a type: neither way can write it
            with pytest.raises(TypeError) as refused:
                render_json(report)
            assert str(refused.value) == str(exc)
            continue
        assert render_json(report) == expected
        written += 1
    # and with a value of each kind that both ways can write
    fine = {"outer": dataclasses.asdict(value) | {"kind": "int"}, "inner": value.inner,
            "enums": [Colour.RED, Level.HIGH, Plain.TUPLE], "table": value.table}
    report = Report("truststore", NOW, (), (), fine)
    assert render_json(report) == dumps(document(report)) + "\n"
    assert written == 2
