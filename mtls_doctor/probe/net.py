"""Name resolution and TCP connection, each bounded by a deadline."""

from __future__ import annotations

import errno
import select
import socket
import threading
import time
from dataclasses import dataclass

from mtls_doctor.model.probe import ErrorKind
from mtls_doctor.probe.target import hostport


class StepFailed(Exception):
    """A probe step failed; carries the contract's error kind and where it happened."""

    def __init__(self, kind: ErrorKind, message: str, step: str, alert: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.step = step
        self.alert = alert


class Deadline:
    """A point in time; `left()` is what remains of it (never negative)."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds until the deadline."""
        return max(0.0, self.end - time.monotonic())


@dataclass(frozen=True)
class Address:
    """One resolved address."""

    family: int
    sockaddr: tuple[str, int] | tuple[str, int, int, int]

    @property
    def text(self) -> str:
        """`127.0.0.1:443` or `[::1]:443`."""
        return hostport(self.sockaddr[0], self.sockaddr[1])


def resolve(host: str, port: int, timeout: float) -> list[Address]:
    """Every address of `host` (getaddrinfo has no timeout of its own: it runs in a thread)."""
    result: list[Address] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            failure.append(exc)
            return
        seen = set()
        for family, _, _, _, sockaddr in infos:
            if family in (socket.AF_INET, socket.AF_INET6) and sockaddr not in seen:
                seen.add(sockaddr)
                result.append(Address(family, sockaddr))  # type: ignore[arg-type]

    thread = threading.Thread(target=work, name="mtls-doctor-dns", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise StepFailed(ErrorKind.TIMEOUT, f"resolving {host} took longer than {timeout:g} s", "dns")
    if failure:
        exc = failure[0]
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise StepFailed(ErrorKind.DNS, f"cannot resolve {host}: {reason}", "dns")
    if not result:
        raise StepFailed(ErrorKind.DNS, f"{host} has no IPv4 or IPv6 address", "dns")
    return result


#: addresses tried before giving up, so that the whole probe stays bounded
MAX_ATTEMPTS = 3


def connect(addresses: list[Address], timeout: float) -> tuple[socket.socket, Address]:
    """Connect to the first address that answers, in order (at most MAX_ATTEMPTS of them);
    each attempt gets `timeout`."""
    last: StepFailed | None = None
    for addr in addresses[:MAX_ATTEMPTS]:
        try:
            sock = socket.socket(addr.family, socket.SOCK_STREAM)
        except OSError as exc:  # e.g. no IPv6 on this machine
            last = StepFailed(ErrorKind.REFUSED, f"cannot open a socket for {addr.text}: "
                              f"{exc.strerror}", "connect")
            continue
        sock.setblocking(False)
        try:
            code = sock.connect_ex(addr.sockaddr)
            if code in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN):
                _, writable, _ = select.select([], [sock], [], timeout)
                if not writable:
                    raise StepFailed(ErrorKind.TIMEOUT, f"no answer from {addr.text} within "
                                     f"{timeout:g} s (filtered port or host down)", "connect")
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code == errno.ECONNREFUSED:
                raise StepFailed(ErrorKind.REFUSED, f"{addr.text} refused the connection "
                                 "(nothing listens on that port)", "connect")
            if code in (errno.ENETUNREACH, errno.EHOSTUNREACH):
                raise StepFailed(ErrorKind.REFUSED, f"{addr.text} is unreachable from here "
                                 f"({errno.errorcode[code]}: no route)", "connect")
            if code:
                raise StepFailed(ErrorKind.TIMEOUT if code == errno.ETIMEDOUT else ErrorKind.REFUSED,
                                 f"cannot connect to {addr.text}: {errno.errorcode.get(code, code)}",
                                 "connect")
        except StepFailed as exc:
            sock.close()
            last = exc
            continue
        return sock, addr
    assert last is not None
    raise last


@dataclass(frozen=True)
class DnsAnswer:
    """A name's canonical name (the end of its CNAME chain), aliases and IPv4 addresses."""

    canonical: str | None
    aliases: tuple[str, ...]
    addresses: tuple[str, ...]


def lookup(name: str, timeout: float) -> DnsAnswer | None:
    """Resolve `name` with its CNAME chain, within `timeout`; None when it does not resolve."""
    answer: list[DnsAnswer] = []

    def work() -> None:
        try:
            canonical, aliases, addresses = socket.gethostbyname_ex(name)
        except (OSError, UnicodeError):
            return
        answer.append(DnsAnswer(canonical.rstrip(".").lower(),
                                tuple(a.rstrip(".").lower() for a in aliases), tuple(addresses)))

    thread = threading.Thread(target=work, name="mtls-doctor-dns", daemon=True)
    thread.start()
    thread.join(timeout)
    return answer[0] if answer else None
