"""`mtls-doctor` commands: the re-checks a fix ends with. The parser is argparse: an option
value that starts with `-` is written `--opt=value`, and a positional one goes after `--`."""

from __future__ import annotations

from mtls_doctor.shell.core import Command


def _opt(flag: str, value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (f"{flag}={value}",) if value.startswith("-") else (flag, value)


def doctor(command: str, positional: str | None, *options: str) -> Command:
    """`mtls-doctor COMMAND [POSITIONAL] OPTIONS` (`-- POSITIONAL` last when it starts with
    `-`)."""
    if positional is None:
        return Command(("mtls-doctor", command, *options))
    if positional.startswith("-"):
        return Command(("mtls-doctor", command, *options, "--", positional))
    return Command(("mtls-doctor", command, positional, *options))


def probe(target: str, *, connect: str | None = None, cert: str | None = None,
          key: str | None = None) -> Command:
    """`mtls-doctor probe HOST:PORT [--connect ADDR] [--cert F --key F]`."""
    return doctor("probe", target, *_opt("--connect", connect), *_opt("--cert", cert),
                  *_opt("--key", key))


def domain(name: str, region: str | None = None, profile: str | None = None) -> Command:
    """`mtls-doctor domain NAME [--region R] [--profile P]`."""
    return doctor("domain", name, *_opt("--region", region), *_opt("--profile", profile))


def truststore(source: str) -> Command:
    """`mtls-doctor truststore SOURCE`."""
    return doctor("truststore", source)


def inspect(source: str, host: str | None = None) -> Command:
    """`mtls-doctor inspect FILE [--host NAME]`."""
    return doctor("inspect", source, *_opt("--host", host))


def verify_client(cert: str, truststore: str, key: str | None = None) -> Command:
    """`mtls-doctor verify-client --cert F [--key F] --truststore SOURCE`."""
    return doctor("verify-client", None, *_opt("--cert", cert), *_opt("--key", key),
                  *_opt("--truststore", truststore))
