"""The pieces a report view is made of: rows, tables, trees and certificate details, grouped in
sections. Plain strings only: outside text is made safe by each renderer's one escaping function
(text: its style markers; Markdown: `md_text`; HTML: Jinja's finalize and autoescape), never
here. A `tone` is `ok`, `warn`, `bad` or `` (no judgement).

Every part says whether it belongs to the brief form of the report (`brief`): a terminal (the
text renderer) draws only those, Markdown and HTML draw every part. A certificate table beside a
chain tree of the same certificates, for example, is left to the long form."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

from mtls_doctor.model.frozen import frozen

#: the tones a row, a node or a table row can carry
TONES = ("ok", "warn", "bad", "")


def anchor_id(*words: object) -> str:
    """A stable HTML id made of our own words (`check-probe-tls`, `cert-truststore-3`)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", "-".join(str(w) for w in words)).strip("-").lower()


@frozen
class Row:
    """One fact: a label, its value, its tone; `link` is the anchor of what it names."""

    label: str
    value: str
    tone: str = ""
    link: str = ""


@dataclass
class Node:
    """One entry of a drawn tree (a certificate in a chain): `label` (the subject), `tag` (a
    short reference such as `#3`), `meta` (key, signature, validity), `note`, its `tone`, the
    anchor it `link`s to, and the nodes that hang below it."""

    label: str
    meta: str = ""
    tone: str = ""
    note: str = ""
    children: list[Node] = field(default_factory=list)
    tag: str = ""
    link: str = ""


@frozen
class TableRow:
    """One row of a table: its cells, its tone, the `anchor` id it carries (a certificate's,
    where the report draws that certificate) and the anchor its first cell `link`s to."""

    cells: tuple[str, ...]
    tone: str = ""
    anchor: str = ""
    link: str = ""


@frozen
class Table:
    """Columns and rows; `kind` says what the rows are (`certificates`: one certificate a row,
    with the columns of `CERT_COLUMNS`)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[TableRow, ...]
    kind: str = ""
    brief: bool = True


@frozen
class Facts:
    """A list of facts under an optional title."""

    title: str
    rows: Sequence[Row]
    brief: bool = True


@frozen
class Tree:
    """Chains drawn as trees, roots at the top."""

    title: str
    nodes: tuple[Node, ...]
    brief: bool = True


@frozen
class CertView:
    """One certificate of the report: where it belongs (`role`: served, client, client chain,
    truststore, file), its number there (#1 counts from 1), `openssl x509 -text`-style rows, its
    one-line summary and worst tone, and its stable anchor."""

    anchor: str
    role: str
    number: int
    heading: str
    subject: str
    location: str
    rows: Sequence[Row]  # a tuple, or `LazyRows`
    meta: str
    tone: str


class LazyRows(Sequence[Row]):
    """Rows made the first time they are read. A report of hundreds of certificates has a view
    of each (the TUI's viewer lists them, findings link to them) while a text report draws the
    rows of a few: making them all was a tenth of `verify-client`'s run on a big truststore."""

    __slots__ = ("_make", "_rows")

    def __init__(self, make: Callable[[], Iterable[Row]]) -> None:
        self._make: Callable[[], Iterable[Row]] | None = make
        self._rows: tuple[Row, ...] = ()

    def _made(self) -> tuple[Row, ...]:
        make = self._make
        if make is not None:  # two threads may both make them: the same rows either way
            self._rows, self._make = tuple(make()), None
        return self._rows

    @overload
    def __getitem__(self, index: int) -> Row: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Row, ...]: ...

    def __getitem__(self, index: int | slice) -> Row | tuple[Row, ...]:
        return self._made()[index]

    def __len__(self) -> int:
        return len(self._made())

    def __iter__(self) -> Iterator[Row]:
        return iter(self._made())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyRows | tuple):
            return self._made() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._made())

    def __repr__(self) -> str:
        return f"LazyRows({self._made()!r})"


@frozen
class Details:
    """A certificate drawn in full (its rows), under its heading."""

    cert: CertView
    brief: bool = True

    @property
    def title(self) -> str:
        """The certificate's heading (`Certificate #1`)."""
        return self.cert.heading


Part = Facts | Table | Tree | Details


@frozen
class Section:
    """A block of facts the report collected (the live connection, the custom domain, ...):
    its title, a one-line `lead` (what was reached, the verdict) with its tone, and its parts."""

    anchor: str
    title: str
    parts: tuple[Part, ...]
    lead: str = ""
    lead_tone: str = ""
