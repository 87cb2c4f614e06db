"""Where input bytes come from: a local file, standard input, or `s3://bucket/key[?versionId=V]`.
Every reader returns the same `SourceData`, so the PKI code never knows the difference."""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass
from urllib.parse import urlsplit

from mtls_doctor.errors import InputError

#: certificate files are kilobytes; a bigger input is almost surely the wrong file
MAX_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class SourceData:
    """The bytes of one input and the name reports use for it."""

    name: str
    data: bytes


def read_file(path: str, what: str = "file") -> SourceData:
    """Read a local file, refusing directories, devices and oversized files with a clear line."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{what} {path!r} does not exist") from None
    except OSError as exc:
        raise InputError(f"cannot read {what} {path!r}: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{what} {path!r} is a directory; give the certificate file inside it")
    if not stat.S_ISREG(st.st_mode) and not stat.S_ISFIFO(st.st_mode):
        raise InputError(f"{what} {path!r} is not a regular file")
    if st.st_size > MAX_BYTES:
        raise InputError(
            f"{what} {path!r} is {st.st_size / 1048576:.1f} MiB; certificate files are a few "
            f"kilobytes (limit {MAX_BYTES // 1048576} MiB): is it the right file?"
        )
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read {what} {path!r}: {exc.strerror}") from None
    if len(data) > MAX_BYTES:
        raise InputError(f"{what} {path!r} is larger than {MAX_BYTES // 1048576} MiB")
    return SourceData(path, data)


def read_source(spec: str, what: str = "file") -> SourceData:
    """Read a file path or `-` (standard input). `s3://` sources are read by the AWS package
    (commands.common.read_input chooses); anything else with a scheme is refused here."""
    parts = urlsplit(spec)
    if parts.scheme and len(parts.scheme) > 1 and "://" in spec:
        raise InputError(f"{what} {spec!r}: unsupported scheme {parts.scheme}://")
    if spec == "-":
        data = sys.stdin.buffer.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise InputError(f"{what} on standard input is larger than {MAX_BYTES // 1048576} MiB")
        return SourceData("<stdin>", data)
    return read_file(spec, what)
