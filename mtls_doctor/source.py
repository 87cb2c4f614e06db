"""Where input bytes come from: a local file, standard input, or `s3://bucket/key[?versionId=V]`.
Every reader returns the same `SourceData`, so the PKI code never knows the difference."""

from __future__ import annotations

import os
import stat
import sys
from urllib.parse import urlsplit

from mtls_doctor.errors import InputError
from mtls_doctor.model.frozen import frozen

#: certificate files are kilobytes; a bigger input is almost surely the wrong file
MAX_BYTES = 16 * 1024 * 1024


@frozen
class SourceData:
    """The bytes of one input and the name reports use for it."""

    name: str
    data: bytes


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory; give the certificate file inside it"
    if stat.S_ISFIFO(mode):
        return ("a named pipe (FIFO), which can block forever; give a regular file, or pipe the "
                "data into '-' (standard input)")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a file"
    return "not a regular file"


def _too_big(what: str, path: str, size: int) -> InputError:
    return InputError(
        f"{what} {path!r} is {size / 1048576:.1f} MiB; certificate files are a few kilobytes "
        f"(limit {MAX_BYTES // 1048576} MiB): is it the right file?"
    )


def read_file(path: str, what: str = "file") -> SourceData:
    """Read a local file, refusing directories, FIFOs, devices, sockets and files over 16 MiB
    with a clear line, before anything could block or fill memory: the path is checked with
    `os.stat`, opened without blocking (a FIFO swapped in meanwhile cannot hang the open), and
    the opened file checked again with `fstat`."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{what} {path!r} does not exist") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise InputError(f"cannot read {what} {path!r}: {getattr(exc, 'strerror', None) or exc}"
                         ) from None
    kind = _kind(st.st_mode)
    if kind is not None:
        raise InputError(f"{what} {path!r} is {kind}")
    if st.st_size > MAX_BYTES:
        raise _too_big(what, path, st.st_size)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(f"cannot read {what} {path!r}: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        kind = _kind(st.st_mode)
        if kind is not None:
            raise InputError(f"{what} {path!r} is {kind}")
        if st.st_size > MAX_BYTES:
            raise _too_big(what, path, st.st_size)
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, min(1 << 20, MAX_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise InputError(f"cannot read {what} {path!r}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if size > MAX_BYTES:  # it grew after the checks
        raise InputError(f"{what} {path!r} is larger than {MAX_BYTES // 1048576} MiB")
    return SourceData(path, b"".join(chunks))


def read_source(spec: str, what: str = "file") -> SourceData:
    """Read a file path or `-` (standard input). `s3://` sources are read by the AWS package
    (commands.common.read_input chooses); anything else with a scheme is refused here."""
    parts = urlsplit(spec)
    if parts.scheme and len(parts.scheme) > 1 and "://" in spec:
        raise InputError(f"{what} {spec!r}: unsupported scheme {parts.scheme}://")
    if spec == "-":
        # a terminal or a pipe: read as it comes, never more than the limit allows
        data = sys.stdin.buffer.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise InputError(f"{what} on standard input is larger than {MAX_BYTES // 1048576} MiB")
        return SourceData("<stdin>", data)
    return read_file(spec, what)
