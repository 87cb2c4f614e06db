"""The pieces a report view is made of: rows, tables, trees and certificate details, grouped in
sections. Plain strings only: outside text is made safe by each renderer's one escaping function
(text: its style markers; Markdown: `md_text`; HTML: Jinja's finalize and autoescape), never
here. A `tone` is `ok`, `warn`, `bad` or `` (no judgement).

Every part says whether it belongs to the brief form of the report (`brief`): a terminal (the
text renderer) draws only those, Markdown and HTML draw every part. A certificate table beside a
chain tree of the same certificates, for example, is left to the long form."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: the tones a row, a node or a table row can carry
TONES = ("ok", "warn", "bad", "")


def anchor_id(*words: object) -> str:
    """A stable HTML id made of our own words (`check-probe-tls`, `cert-truststore-3`)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", "-".join(str(w) for w in words)).strip("-").lower()


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class TableRow:
    """One row of a table: its cells, its tone, the `anchor` id it carries (a certificate's,
    where the report draws that certificate) and the anchor its first cell `link`s to."""

    cells: tuple[str, ...]
    tone: str = ""
    anchor: str = ""
    link: str = ""


@dataclass(frozen=True)
class Table:
    """Columns and rows; `kind` says what the rows are (`certificates`: one certificate a row,
    with the columns of `CERT_COLUMNS`)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[TableRow, ...]
    kind: str = ""
    brief: bool = True


@dataclass(frozen=True)
class Facts:
    """A list of facts under an optional title."""

    title: str
    rows: tuple[Row, ...]
    brief: bool = True


@dataclass(frozen=True)
class Tree:
    """Chains drawn as trees, roots at the top."""

    title: str
    nodes: tuple[Node, ...]
    brief: bool = True


@dataclass(frozen=True)
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
    rows: tuple[Row, ...]
    meta: str
    tone: str


@dataclass(frozen=True)
class Details:
    """A certificate drawn in full (its rows), under its heading."""

    cert: CertView
    brief: bool = True

    @property
    def title(self) -> str:
        """The certificate's heading (`Certificate #1`)."""
        return self.cert.heading


Part = Facts | Table | Tree | Details


@dataclass(frozen=True)
class Section:
    """A block of facts the report collected (the live connection, the custom domain, ...):
    its title, a one-line `lead` (what was reached, the verdict) with its tone, and its parts."""

    anchor: str
    title: str
    parts: tuple[Part, ...]
    lead: str = ""
    lead_tone: str = ""
