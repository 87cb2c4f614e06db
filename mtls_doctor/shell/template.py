"""Command templates: the walkthrough trees write their commands as text in a small subset of sh,
with `{placeholder}`s, and `parse` reads one into argv templates (once: it is cached). `fill`
then puts the values in and gives a `Command` or a `Pipeline` for `core.render`. A value is
never parsed: it cannot add an argument, an operator or an expansion, whatever it holds.

The subset: words separated by blanks; `'...'` (literal), `"..."` (literal but for `\\"` and
`\\\\`; no `$` or backquote), `\\c` outside quotes; the operators `|`, `<`, `>`, `>>` and `2>`
(each redirection followed by its file). Anything else sh would act on (`;`, `&`, `(`, `)`, `$`,
backquotes, a newline) is refused. In a word, `{name}` is a placeholder and `{{`/`}}` are
literal braces. A word that is a JSON array or object (`'[{"op":"replace",...}]'`) is a JSON
template: placeholders are filled inside its strings and the document is written back with
`json.dumps`, so a value can hold quotes and backslashes without breaking it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import field
from functools import cache
from typing import Any

from mtls_doctor.model.frozen import frozen
from mtls_doctor.shell.core import Command, Pipeline, Shell

#: `{{` / `}}` (literal braces) or a `{placeholder}`
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")

_REFUSED = set(";&()$`\n\r")
_BLANK = " \t"


class TemplateError(ValueError):
    """A command template outside the supported subset of sh."""


def fill_text(template: str, value: Callable[[str], str]) -> str:
    """`template` with each `{name}` replaced by `value(name)` and `{{`/`}}` unescaped."""
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        return m.group(0)[0] if name is None else value(name)
    return PLACEHOLDER.sub(sub, template)


def _fill_json(doc: Any, value: Callable[[str], str]) -> Any:
    if isinstance(doc, str):
        return fill_text(doc, value)
    if isinstance(doc, list):
        return [_fill_json(x, value) for x in doc]
    if isinstance(doc, dict):
        return {k: _fill_json(v, value) for k, v in doc.items()}
    return doc


def _placeholders_json(doc: Any) -> list[str]:
    if isinstance(doc, str):
        return [m.group(1) for m in PLACEHOLDER.finditer(doc) if m.group(1)]
    if isinstance(doc, list):
        return [n for x in doc for n in _placeholders_json(x)]
    if isinstance(doc, dict):
        return [n for x in doc.values() for n in _placeholders_json(x)]
    return []


@frozen
class WordTemplate:
    """One argument (or file name) with placeholders; `doc` is set for a JSON word."""

    text: str
    doc: Any = field(default=None, compare=False, hash=False)

    def fill(self, value: Callable[[str], str]) -> str:
        if self.doc is not None:
            return json.dumps(_fill_json(self.doc, value), separators=(",", ":"))
        return fill_text(self.text, value)

    def placeholders(self) -> list[str]:
        if self.doc is not None:
            return _placeholders_json(self.doc)
        return [m.group(1) for m in PLACEHOLDER.finditer(self.text) if m.group(1)]


def _word(text: str) -> WordTemplate:
    if text[:1] in ("[", "{"):
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
        if isinstance(doc, list | dict):
            return WordTemplate(text, doc)
    return WordTemplate(text)


@frozen
class CommandTemplate:
    """A command with placeholders: the program (a literal), its arguments, redirections."""

    program: str
    args: tuple[WordTemplate, ...]
    stdin: WordTemplate | None = None
    stdout: WordTemplate | None = None
    append: bool = False
    stderr: WordTemplate | None = None

    def words(self) -> list[WordTemplate]:
        return [*self.args, *(w for w in (self.stdin, self.stdout, self.stderr) if w is not None)]

    def fill(self, value: Callable[[str], str]) -> Command:
        def f(w: WordTemplate | None) -> str | None:
            return None if w is None else w.fill(value)
        return Command((self.program, *(a.fill(value) for a in self.args)), stdin=f(self.stdin),
                       stdout=f(self.stdout), append=self.append, stderr=f(self.stderr))


@frozen
class Template:
    """A parsed command template: one command, or a pipeline of them."""

    commands: tuple[CommandTemplate, ...]

    @property
    def programs(self) -> tuple[str, ...]:
        """The program of each command, in order."""
        return tuple(c.program for c in self.commands)

    def placeholders(self) -> list[str]:
        """Every placeholder name, in order."""
        return [n for c in self.commands for w in c.words() for n in w.placeholders()]

    def fill(self, value: Callable[[str], str]) -> Shell:
        """The command with each `{name}` replaced by `value(name)`, ready for `render`."""
        filled = tuple(c.fill(value) for c in self.commands)
        return filled[0] if len(filled) == 1 else Pipeline(filled)


def _tokens(text: str) -> list[tuple[str, str]]:
    """(`word`, text) and (`op`, operator) tokens."""
    out: list[tuple[str, str]] = []
    buf: list[str] = []
    raw: list[str] = []  # the word as written, to tell `2>` from `2 >`
    started = False
    i, n = 0, len(text)

    def flush() -> None:
        nonlocal started
        if started:
            out.append(("word", "".join(buf)))
        buf.clear()
        raw.clear()
        started = False

    while i < n:
        c = text[i]
        if c in _BLANK:
            flush()
            i += 1
        elif c == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise TemplateError(f"unbalanced ' in {text!r}")
            buf.append(text[i + 1:end])
            raw.append(text[i:end + 1])
            started = True
            i = end + 1
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                ch = text[i]
                if ch in "$`":
                    raise TemplateError(f"{ch!r} inside double quotes in {text!r}")
                if ch == "\\" and i + 1 < n and text[i + 1] in '"\\':
                    i += 1
                    ch = text[i]
                buf.append(ch)
                i += 1
            if i >= n:
                raise TemplateError(f'unbalanced " in {text!r}')
            raw.append('"..."')
            started = True
            i += 1
        elif c == "\\":
            if i + 1 >= n or text[i + 1] in "\n\r":
                raise TemplateError(f"a trailing backslash in {text!r}")
            buf.append(text[i + 1])
            raw.append(text[i:i + 2])
            started = True
            i += 2
        elif c == "|":
            flush()
            out.append(("op", "|"))
            i += 1
        elif c in "<>":
            if c == ">" and "".join(raw) == "2":
                buf.clear()
                raw.clear()
                started = False
                op = "2>"
            else:
                flush()
                op = c
            if c == ">" and op == ">" and text[i + 1:i + 2] == ">":
                op = ">>"
                i += 1
            out.append(("op", op))
            i += 1
        elif c in _REFUSED:
            raise TemplateError(f"{c!r} is not supported in a command template ({text!r})")
        else:
            buf.append(c)
            raw.append(c)
            started = True
            i += 1
    flush()
    return out


def _command(tokens: list[tuple[str, str]], text: str) -> CommandTemplate:
    words: list[WordTemplate] = []
    redirect: dict[str, WordTemplate] = {}
    append = False
    it = iter(tokens)
    for kind, value in it:
        if kind == "word":
            words.append(_word(value))
            continue
        target = next(it, None)
        if target is None or target[0] != "word":
            raise TemplateError(f"{value} without a file in {text!r}")
        slot = {"<": "stdin", ">": "stdout", ">>": "stdout", "2>": "stderr"}[value]
        if slot in redirect:
            raise TemplateError(f"two redirections of {slot} in {text!r}")
        redirect[slot] = WordTemplate(target[1])
        append = append or value == ">>"
    if not words:
        raise TemplateError(f"an empty command in {text!r}")
    program = words[0].text
    if words[0].doc is not None or PLACEHOLDER.search(program) or not re.fullmatch(
            r"[A-Za-z0-9][A-Za-z0-9._+-]*", program):
        raise TemplateError(f"a command starts with a program name, not {program!r}")
    return CommandTemplate(program, tuple(words[1:]), redirect.get("stdin"),
                           redirect.get("stdout"), append, redirect.get("stderr"))


@cache
def parse(text: str) -> Template:
    """Read a command template (`TemplateError` when it leaves the supported subset)."""
    tokens = _tokens(text)
    commands: list[list[tuple[str, str]]] = [[]]
    for token in tokens:
        if token == ("op", "|"):
            commands.append([])
        else:
            commands[-1].append(token)
    return Template(tuple(_command(c, text) for c in commands))
