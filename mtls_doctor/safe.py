"""Safe output: outside text made harmless for any output stream, and report files that never
land on an input.

Outside text is whatever the tool did not write itself: certificate names, SANs and extension
values, server answers, AWS fields and snapshot contents, file names, host names, error messages
that quote any of those. Such text can hold characters that drive a terminal (ESC and the C1
CSI `\\x9b` start escape sequences: OSC 52 sets the clipboard), forge lines (newline, CR, U+2028),
or make what is read differ from what is there (bidi overrides, zero-width characters). Every
renderer passes outside text through `safe_text` at its output boundary, once; the tool's own
layout (its newlines, indentation, the ANSI colours it adds for a terminal) is not outside text
and stays as it is.

The rules (`safe_text`):

- every C0 control (tab, newline and CR included), DEL and every C1 control is shown as `\\xNN`;
- every other "format" character (Unicode category Cf: the bidi controls U+061C, U+200E, U+200F,
  U+202A-U+202E, U+2066-U+2069, the zero-width U+200B-U+200D, U+2060, U+FEFF, soft hyphen, tag
  characters, ...), the line and paragraph separators U+2028/U+2029 and lone surrogates (a file
  name's undecodable bytes) are shown as `\\uNNNN` (or `\\UNNNNNNNN` above U+FFFF);
- everything else, backslashes included, is kept as it is (so `CN=\\<b\\>` stays readable).

Lists of names (`safe_names`): an entry that holds the separator, a double quote or a backslash,
is empty or starts or ends with a blank is shown double-quoted, its `"` and `\\` backslash-escaped,
so that a name such as `CN=a, CN=b` cannot pose as two entries.

Report files (`check_output`, `write_report`): `-o FILE` and the TUI export refuse a FILE that is
a symbolic link (whatever it points at: the link is not followed, as with O_NOFOLLOW), a FIFO, a
socket or a directory, one that is one of the command's existing inputs (the same file, through
a symbolic link or a hard link: compared by device and inode), and one that resolves to the
same path as another output (`--save`). The write re-checks on the open file itself.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from mtls_doctor.errors import InputError

#: characters escaped whatever their Unicode category says (the contract's list, so that an older
#: or newer Unicode database cannot drop one)
_ALWAYS = (
    "\x00-\x1f\x7f-\x9f"            # C0 (tab, LF, CR included), DEL, C1
    "\u061c\u200b-\u200f"           # Arabic letter mark, zero-width space/non-joiner/joiner, LRM, RLM
    "\u2028-\u202e"                 # line / paragraph separators, bidi embeddings and overrides
    "\u2060-\u2069"                 # word joiner, invisible operators, bidi isolates
    "\ufeff"                        # zero-width no-break space (BOM)
    "\ud800-\udfff"                 # lone surrogates: undecodable bytes of a file name
)
_ALWAYS_RE = re.compile(f"[{_ALWAYS}]")
#: anything but printable ASCII: looked at one by one (most of it is harmless, such as `→` or
#: accented letters)
_NON_ASCII = re.compile(r"[^\x20-\x7e]")
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _escape(ch: str) -> str:
    n = ord(ch)
    if n < 0x100:
        return f"\\x{n:02x}"
    if n < 0x10000:
        return f"\\u{n:04x}"
    return f"\\U{n:08x}"


def _maybe(m: re.Match[str]) -> str:
    ch = m.group()
    if _ALWAYS_RE.match(ch) or unicodedata.category(ch) in _ESCAPED_CATEGORIES:
        return _escape(ch)
    return ch


def safe_text(value: object) -> str:
    """Outside text as it may be written to any output stream: controls, bidi and zero-width
    characters, line separators and lone surrogates escaped (`\\x1b`, `\\u202e`). Idempotent:
    what it returns passes through it unchanged. `None` is the empty string."""
    text = "" if value is None else str(value)
    if text.isascii() and text.isprintable():
        return text
    return _NON_ASCII.sub(_maybe, text)


def _quoted(name: str, specials: str) -> bool:
    return (not name or name != name.strip() or any(c in name for c in specials))


def safe_name(name: object, sep: str = ", ") -> str:
    """One entry of a list of names joined with `sep`, quoted when it could be read as more
    than one entry (see `safe_names`), and made safe."""
    text = "" if name is None else str(name)
    specials = '"\\' + (sep.strip() or sep)
    if _quoted(text, specials):
        text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return safe_text(text)


def safe_names(names: Iterable[object], sep: str = ", ") -> str:
    """Outside names (SANs, acceptable CA names, addresses, a certificate path) joined with
    `sep` so that none can pose as two: an entry holding the separator's mark (`,` for `", "`,
    `→` for `" → "`), a double quote or a backslash, an empty one or one with blanks at either
    end is double-quoted with `"` and `\\` backslash-escaped; every entry is made safe."""
    return sep.join(safe_name(n, sep) for n in names)


# -- report files ------------------------------------------------------------------------------


def _is_local(name: str) -> bool:
    return bool(name) and name != "-" and "://" not in name


def _stat(path: str, *, follow: bool = True) -> os.stat_result | None:
    try:
        return os.stat(path, follow_symlinks=follow)
    except (OSError, ValueError):
        return None


def _shown(path: object) -> str:
    return safe_text(path)


def check_output(output: str, inputs: Sequence[str], *, outputs: Sequence[str] = (),
                 option: str = "-o") -> None:
    """Refuse (InputError, exit 2) to write a report to `output` when it is a symbolic link, a
    directory, a FIFO or a socket, one of the existing `inputs` (the same file by device and
    inode, so also through a symbolic link or a hard link), or the same path as one of the other
    `outputs` (`--save`)."""
    if not output:
        raise InputError(f"{option}: no file name given")
    shown = _shown(output)
    own = _stat(output, follow=False)
    if own is not None and stat.S_ISLNK(own.st_mode):
        raise InputError(f"{option} {shown} is a symbolic link; the report is never written "
                         "through one (give the file it points to)")
    if own is not None and stat.S_ISDIR(own.st_mode):
        raise InputError(f"{option} {shown} is a directory")
    if own is not None and (stat.S_ISFIFO(own.st_mode) or stat.S_ISSOCK(own.st_mode)):
        raise InputError(f"{option} {shown} is a FIFO or socket, not a file")
    real = os.path.realpath(output)
    for other in outputs:
        if other and _is_local(other) and os.path.realpath(other) == real:
            raise InputError(f"{option} {shown} is also where --save writes; give two files")
    for name in inputs:
        if not _is_local(name):
            continue
        target = _stat(name)
        if target is None:
            continue
        same = os.path.realpath(name) == real or (
            own is not None and (own.st_dev, own.st_ino) == (target.st_dev, target.st_ino))
        if same:
            raise InputError(f"{option} {shown} is also an input file ({_shown(name)}); "
                             "write the report elsewhere")


def write_report(output: str | Path, text: str, inputs: Sequence[str], *,
                 outputs: Sequence[str] = (), option: str = "-o") -> None:
    """Write the report to `output` after `check_output`, without following a symbolic link
    (O_NOFOLLOW) and with the check repeated on the opened file itself (it may have been
    replaced since): the file is truncated only once it is known not to be an input. Raises
    InputError when refused, OSError when the write fails."""
    path = os.fspath(output)
    check_output(path, inputs, outputs=outputs, option=option)
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_NONBLOCK", 0), 0o666)
    except OSError as exc:
        if os.path.islink(path):
            check_output(path, inputs, outputs=outputs, option=option)  # says why
        raise exc from None
    try:
        st = os.fstat(fd)
        inodes = {(s.st_dev, s.st_ino) for s in (_stat(n) for n in inputs if _is_local(n))
                  if s is not None}
        if (st.st_dev, st.st_ino) in inodes:
            raise InputError(f"{option} {_shown(path)} is also an input file; write the report "
                             "elsewhere")
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISCHR(st.st_mode)):
            raise InputError(f"{option} {_shown(path)} is not a regular file")
        if stat.S_ISREG(st.st_mode):
            os.ftruncate(fd, 0)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        fh = os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace")
    except BaseException:
        os.close(fd)
        raise
    with fh:
        fh.write(text)


__all__ = ["check_output", "safe_name", "safe_names", "safe_text", "write_report"]
