"""API Gateway access log lines, read with the format the stage itself is configured with.

A stage's `accessLogSettings.format` (REST) or `AccessLogSettings.Format` (HTTP) is a template:
literal text with `$context.*` variables that API Gateway replaces with their values, `-` for a
value it does not have. A template that starts with `{` is JSON (each value a string holding
variables, or a bare variable such as `"status": $context.status`); anything else (CLF, CSV,
XML) is text.

`LogFormat.compile(template)` derives the parser from the template, never from a guess:

- JSON: the template is read as JSON (bare variables quoted first), giving each variable's path;
  a line is parsed as JSON and each path read. A value that mixes text and variables is split
  like a text format.
- text: the template is literal pieces and variables; a line must start with the first piece and
  end with the last. Where a value holds the text that follows it in the template (a DN with a
  space in a space-separated format), more than one split may fit: the line is split once from
  the left (each piece at its first possible place) and once from the right (each at its last);
  a value is taken only where both splits agree, so every value read is the one any reading of
  the line gives. A value the two splits disagree on is not taken (None): nothing is guessed.
  Both splits are linear in the line's length, however hostile the line.

`parse(line)` returns {variable: value or None} for every variable of the template, or None when
the line does not fit the template at all.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: a variable of an access log template (`$context.identity.clientCert.subjectDN`)
VARIABLE = re.compile(r"\$(?:context|stageVariables)\.[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*")

STATUS = "$context.status"
MESSAGE = "$context.error.message"
MESSAGE_STRING = "$context.error.messageString"
RESPONSE_TYPE = "$context.error.responseType"
STAGE = "$context.stage"
API_ID = "$context.apiId"
_CERT = "$context.identity.clientCert."
PEM = _CERT + "clientCertPem"
SUBJECT = _CERT + "subjectDN"
ISSUER = _CERT + "issuerDN"
SERIAL = _CERT + "serialNumber"
NOT_BEFORE = _CERT + "validity.notBefore"
NOT_AFTER = _CERT + "validity.notAfter"
#: the client certificate's variables API Gateway offers in access logs
CERT_VARIABLES = (PEM, SUBJECT, ISSUER, SERIAL, NOT_BEFORE, NOT_AFTER)
#: the longest line read; a longer one is not parsed (CloudWatch events are at most 256 KiB)
MAX_LINE = 262_144


def _pieces(template: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(literals, variables): literals[i] comes before variables[i]; one literal more than
    variables (the text after the last variable, maybe empty)."""
    literals: list[str] = []
    variables: list[str] = []
    pos = 0
    for m in VARIABLE.finditer(template):
        literals.append(template[pos:m.start()])
        variables.append(m.group(0))
        pos = m.end()
    literals.append(template[pos:])
    return tuple(literals), tuple(variables)


def _value(text: str) -> str | None:
    """A logged value, or None for API Gateway's `-` (no value) and an empty one."""
    v = text.strip()
    return None if v in ("", "-") else v


@dataclass(frozen=True)
class TextTemplate:
    """Literal pieces around variables; `split` reads a string written with it."""

    literals: tuple[str, ...]
    variables: tuple[str, ...]

    @property
    def single(self) -> str | None:
        """The variable, when the template is that one variable and nothing else."""
        if len(self.variables) == 1 and self.literals == ("", ""):
            return self.variables[0]
        return None

    @classmethod
    def of(cls, template: str) -> TextTemplate:
        """The template's pieces."""
        literals, variables = _pieces(template)
        return cls(literals, variables)

    def split(self, text: str) -> dict[str, str | None] | None:
        """Each variable's value where every split of `text` agrees on it; None when `text`
        does not fit the template."""
        lits, n = self.literals, len(self.variables)
        if not text.startswith(lits[0]) or len(text) < len(lits[0]) + len(lits[-1]):
            return None
        end = len(text) - len(lits[-1])
        if not text.endswith(lits[-1]):
            return None
        if n == 0:
            return {} if end == len(lits[0]) else None
        # from the left: each inner literal at its first place
        left: list[int] = []  # start of literal i (1..n-1)
        pos = len(lits[0])
        for lit in lits[1:n]:
            at = text.find(lit, pos, end)
            if at < 0:
                return None
            left.append(at)
            pos = at + len(lit)
        # from the right: each inner literal at its last place
        right: list[int] = [0] * (n - 1)
        stop = end
        for i in range(n - 1, 0, -1):
            lit = lits[i]
            at = text.rfind(lit, len(lits[0]), stop)
            if at < 0:
                return None
            right[i - 1] = at
            stop = at
        out: dict[str, str | None] = {}
        starts_l = [len(lits[0])] + [left[i] + len(lits[i + 1]) for i in range(n - 1)]
        starts_r = [len(lits[0])] + [right[i] + len(lits[i + 1]) for i in range(n - 1)]
        ends_l, ends_r = [*left, end], [*right, end]
        for i, var in enumerate(self.variables):
            sure = starts_l[i] == starts_r[i] and ends_l[i] == ends_r[i]
            value = _value(text[starts_l[i]:ends_l[i]]) if sure else None
            if var in out and out[var] != value:
                value = None  # the same variable twice with two values: neither is sure
            out[var] = value
        return out


def _quote_bare(template: str) -> str:
    """The JSON template with every variable outside a string put in quotes."""
    out: list[str] = []
    in_string = escaped = False
    i = 0
    while i < len(template):
        ch = template[i]
        if in_string:
            out.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            i += 1
            continue
        if ch == '"':
            in_string = True
            out.append(ch)
            i += 1
            continue
        m = VARIABLE.match(template, i)
        if m:
            out.append(json.dumps(m.group(0)))
            i = m.end()
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _paths(doc: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    """Every string value of a JSON template with its path of keys."""
    if isinstance(doc, Mapping):
        out: list[tuple[tuple[str, ...], str]] = []
        for k, v in doc.items():
            out += _paths(v, (*prefix, str(k)))
        return out
    if isinstance(doc, str) and VARIABLE.search(doc):
        return [(prefix, doc)]
    return []


@dataclass(frozen=True)
class LogFormat:
    """The parser of one access log template (`kind`: json or text)."""

    template: str
    kind: str
    variables: frozenset[str]
    text: TextTemplate | None = None
    #: JSON: (path of keys, the template of that value)
    fields: tuple[tuple[tuple[str, ...], TextTemplate], ...] = field(default=())

    @classmethod
    def compile(cls, template: str) -> LogFormat:
        """The parser for `template`; a template that starts with `{` but is not JSON is read
        as text (API Gateway writes it as it is)."""
        if template.lstrip().startswith("{"):
            try:
                doc = json.loads(_quote_bare(template))
            except ValueError:
                doc = None
            if isinstance(doc, Mapping):
                fields = tuple((p, TextTemplate.of(v)) for p, v in _paths(doc))
                return cls(template, "json", frozenset(v for _, t in fields for v in t.variables),
                           fields=fields)
        text = TextTemplate.of(template.rstrip("\n"))
        return cls(template, "text", frozenset(text.variables), text=text)

    @functools.cached_property
    def _plan(self) -> tuple[tuple[tuple[str, ...], str | None, TextTemplate], ...]:
        """JSON: each field's path, its variable when it is only that, and its template."""
        return tuple((path, tmpl.single, tmpl) for path, tmpl in self.fields)

    def has(self, variable: str) -> bool:
        """Whether the template writes `variable`."""
        return variable in self.variables

    def parse(self, line: str) -> dict[str, str | None] | None:
        """Each variable's value in `line` (None: not logged, `-`, or not sure), or None when
        the line does not fit the template."""
        if len(line) > MAX_LINE:
            return None
        if self.text is not None:
            return self.text.split(line.rstrip("\r\n"))
        try:
            doc = json.loads(line)
        except (ValueError, RecursionError):
            return None
        if not isinstance(doc, dict):
            return None
        out: dict[str, str | None] = {}
        for path, var, tmpl in self._plan:
            node: Any = doc
            for key in path:
                node = node.get(key) if isinstance(node, dict) else None
            if var is not None and var not in out:  # the usual `"key": "$context.x"`
                if isinstance(node, str):
                    text = node.strip()
                    out[var] = None if text in ("", "-") else text
                else:
                    out[var] = (None if node is None or isinstance(node, dict | list)
                                else json.dumps(node))
                continue
            split = None
            if node is not None and not isinstance(node, dict | list):
                split = tmpl.split(node if isinstance(node, str) else json.dumps(node))
            got = split if split is not None else {v: None for v in tmpl.variables}
            for name, value in got.items():
                out[name] = None if name in out and out[name] != value else value
        return out
