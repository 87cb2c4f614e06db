"""The small programs fixes also use: dig, nslookup, cat, awk, iconv, printf. A file name that
starts with `-` is passed as `./-name` (`core.path`)."""

from __future__ import annotations

from mtls_doctor.shell.core import Command, cmd, path


def dig_short(name: str) -> Command:
    """`dig +short NAME`: the addresses (and CNAME) a name resolves to."""
    return cmd("dig", "+short", name)


def nslookup(name: str) -> Command:
    """`nslookup NAME`."""
    return cmd("nslookup", name)


def concat(sources: tuple[str, ...], dest: str, *, append: bool = False) -> Command:
    """`cat SOURCES > DEST` (`>> DEST` with `append`)."""
    return cmd("cat", *(path(s) for s in sources), stdout=dest, append=append)


def pem_block(index: int, source: str, dest: str) -> Command:
    """Append the certificate block number `index` (from 1) of a PEM file to `dest`."""
    program = (f"/-----BEGIN (X509 |TRUSTED )?CERTIFICATE-----/{{n++}} n=={index}{{print}} "
               f"n=={index} && /-----END/{{exit}}")
    return cmd("awk", program, path(source), stdout=dest, append=True)


def utf16_to_ascii(source: str, dest: str) -> Command:
    """Re-encode a UTF-16 text file as ASCII."""
    return cmd("iconv", "-f", "UTF-16", "-t", "ASCII", path(source), stdout=dest)


def write_text(text: str, dest: str) -> Command:
    """`printf '%s\\n' TEXT > DEST`: a small file with one line."""
    return cmd("printf", "%s\\n", text, stdout=dest)


def grep(pattern: str, *, after: int = 0) -> Command:
    """`grep [-A N] -e PATTERN` (reads stdin, in a pipeline)."""
    return cmd("grep", *(("-A", str(after)) if after else ()), "-e", pattern)
