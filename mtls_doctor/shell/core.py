"""The shape of a printed shell command, and the one function that renders it for POSIX sh.

A command is an argv list (`Command`): the program, then its arguments, each one string, plus
optional redirections of stdin, stdout and stderr to files. A `Pipeline` joins commands with `|`.
`render` quotes every argument and every redirection target on its own (`shlex.quote`: a value
that is not made only of `A-Za-z0-9@%+=:,./_-` goes in single quotes), so that whatever a value
holds (`;`, `$(...)`, backticks, quotes, newlines, `*`, `~`, `<new-version-id>`) it reaches the
program as one literal argument. No value is ever parsed as shell syntax: the only shell syntax in
a rendered line is the `|`, `<`, `>`, `>>` and `2>` that the structure itself asks for, and the
`"${NAME}"` of an `Env` part (a name checked against `[A-Za-z_][A-Za-z0-9_]*`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable

from mtls_doctor.model.frozen import frozen

_PROGRAM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@frozen
class Env:
    """An environment variable the shell expands inside an argument (`"${NAME}"`): how a
    password reaches a program that takes it only on its command line, without being printed."""

    name: str

    def __post_init__(self) -> None:
        if not self.valid(self.name):
            raise ValueError(f"not an environment variable name: {self.name!r}")

    @staticmethod
    def valid(name: str | None) -> bool:
        """Whether `name` can be written as `${name}` (POSIX: letters, digits, `_`)."""
        return bool(name) and _ENV_NAME.fullmatch(name or "") is not None


@frozen
class Word:
    """One argument made of literal text and `Env` references, e.g. `client.p12:"${PASS}"`."""

    parts: tuple[str | Env, ...]


#: one argument: literal text (the usual case) or a `Word` with an environment reference
Arg = str | Word


@frozen
class Command:
    """One program run: `argv[0]` is the program (a plain name, never a value from outside),
    the rest its arguments; `stdin` is read from a file (`< FILE`), `stdout` written to one
    (`> FILE`, or `>> FILE` with `append`), `stderr` too (`2> FILE`)."""

    argv: tuple[Arg, ...]
    stdin: str | None = None
    stdout: str | None = None
    append: bool = False
    stderr: str | None = None

    def __post_init__(self) -> None:
        program = self.argv[0] if self.argv else None
        if not isinstance(program, str) or not _PROGRAM.fullmatch(program):
            raise ValueError(f"a command starts with a program name, not {program!r}")

    @property
    def program(self) -> str:
        """The program's name."""
        return str(self.argv[0])

    def __or__(self, other: Command | Pipeline) -> Pipeline:
        """`a | b`: this command's output into the next one."""
        rest = other.commands if isinstance(other, Pipeline) else (other,)
        return Pipeline((self, *rest))


@frozen
class Pipeline:
    """Commands joined by `|`, each reading the output of the one before."""

    commands: tuple[Command, ...]

    def __post_init__(self) -> None:
        if not self.commands:
            raise ValueError("an empty pipeline")

    def __or__(self, other: Command | Pipeline) -> Pipeline:
        rest = other.commands if isinstance(other, Pipeline) else (other,)
        return Pipeline((*self.commands, *rest))


#: what `render` takes: one command, or a pipeline of them
Shell = Command | Pipeline


def cmd(program: str, *args: Arg, stdin: str | None = None, stdout: str | None = None,
        append: bool = False, stderr: str | None = None) -> Command:
    """`Command((program, *args), ...)`, spelled shorter."""
    return Command((program, *args), stdin=stdin, stdout=stdout, append=append, stderr=stderr)


def path(name: str) -> str:
    """A file name as a positional argument: `./-x` for one that starts with `-`, so that no
    program takes it for an option."""
    return f"./{name}" if name.startswith("-") else name


def quote(text: str) -> str:
    """One literal argument for sh (`shlex.quote`); NUL, which no argv can carry, is dropped."""
    return shlex.quote(text.replace("\0", ""))


def _word(arg: Arg) -> str:
    if isinstance(arg, str):
        return quote(arg)
    out = [f'"${{{p.name}}}"' if isinstance(p, Env) else quote(p) for p in arg.parts
           if not (isinstance(p, str) and not p)]
    return "".join(out) or "''"


def _command(c: Command) -> str:
    words = [c.program, *(_word(a) for a in c.argv[1:])]
    if c.stdin is not None:
        words.append("<" + quote(c.stdin))
    if c.stdout is not None:
        words.append((">> " if c.append else "> ") + quote(c.stdout))
    if c.stderr is not None:
        words.append("2>" + quote(c.stderr))
    return " ".join(words)


def render(shell: Shell) -> str:
    """The command as one line of POSIX sh, every argument and file name quoted on its own."""
    if isinstance(shell, Pipeline):
        return " | ".join(_command(c) for c in shell.commands)
    return _command(shell)


def render_all(shells: Iterable[Shell]) -> tuple[str, ...]:
    """`render` of each, in order (what `Fix.commands` holds)."""
    return tuple(render(s) for s in shells)
