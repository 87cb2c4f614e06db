"""Name resolution and TCP connection under the command's one deadline, and the waits that
every probe step shares: each wait is cut into slices of at most POLL seconds, so that a deadline
that is cancelled (the TUI quit mid-run) ends a blocked step within one slice."""

from __future__ import annotations

import errno
import select
import socket
import threading
from collections.abc import Callable

from mtls_doctor.deadline import Deadline
from mtls_doctor.model.frozen import frozen
from mtls_doctor.model.probe import ErrorKind
from mtls_doctor.probe.target import hostport, is_ip

#: the longest a single wait blocks before it looks at the deadline again (seconds)
POLL = 0.2


class StepFailed(Exception):
    """A probe step failed; carries the contract's error kind and where it happened."""

    def __init__(self, kind: ErrorKind, message: str, step: str, alert: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.step = step
        self.alert = alert


def step_timeout(step: str, deadline: Deadline, what: str = "") -> StepFailed:
    """`step` ran out of time: the run was cancelled, or the deadline passed (`what` says what
    was being waited for; without it, the step found no time left when it started)."""
    if deadline.cancelled:
        return StepFailed(ErrorKind.TIMEOUT, f"the run was cancelled during the {step}", step)
    if not what:
        return StepFailed(ErrorKind.TIMEOUT, f"no time left for the {step}: the "
                          f"{deadline.seconds:g} s deadline set by --timeout had passed", step)
    return StepFailed(ErrorKind.TIMEOUT, f"{what} within the {deadline.seconds:g} s deadline set "
                      "by --timeout", step)


def wait_ready(sock: socket.socket, deadline: Deadline, *, write: bool = False,
               cap: float | None = None) -> bool:
    """Wait until `sock` can be read (or written, or has an error to report); False when the
    deadline (or `cap` seconds, whichever comes first) passed or the deadline was cancelled."""
    end = None if cap is None else Deadline(cap)
    while True:
        left = deadline.left() if end is None else min(deadline.left(), end.left())
        if left <= 0:
            return False
        if _ready(sock, write, min(left, POLL)):
            return True


def _ready(sock: socket.socket, write: bool, seconds: float) -> bool:
    if hasattr(select, "poll"):  # no FD_SETSIZE limit
        poller = select.poll()
        poller.register(sock, select.POLLOUT if write else select.POLLIN)
        return bool(poller.poll(seconds * 1000))
    readable, writable, _ = select.select([] if write else [sock], [sock] if write else [], [],
                                          seconds)
    return bool(writable if write else readable)


def _in_thread(work: Callable[[], None], deadline: Deadline) -> bool:
    """Run `work` in a daemon thread (getaddrinfo has no timeout of its own); True when it ended
    before the deadline. A lookup still running then is abandoned, never waited for."""
    thread = threading.Thread(target=work, name="mtls-doctor-dns", daemon=True)
    thread.start()
    while thread.is_alive():
        left = deadline.left()
        if left <= 0:
            return False
        thread.join(min(left, POLL))
    return True


@frozen
class Address:
    """One resolved address."""

    family: int
    sockaddr: tuple[str, int] | tuple[str, int, int, int]

    @property
    def text(self) -> str:
        """`127.0.0.1:443` or `[::1]:443`."""
        return hostport(self.sockaddr[0], self.sockaddr[1])


def resolve(host: str, port: int, deadline: Deadline) -> list[Address]:
    """Every address of `host`, within what is left of `deadline`."""
    if deadline.left() <= 0:
        raise step_timeout("dns", deadline)
    result: list[Address] = []
    failure: list[BaseException] = []

    def work(flags: int = 0) -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=flags)
        except (OSError, UnicodeError) as exc:
            failure.append(exc)
            return
        seen = set()
        for family, _, _, _, sockaddr in infos:
            if family in (socket.AF_INET, socket.AF_INET6) and sockaddr not in seen:
                seen.add(sockaddr)
                result.append(Address(family, sockaddr))  # type: ignore[arg-type]

    if is_ip(host):
        work(socket.AI_NUMERICHOST)  # an address literal: no lookup that could hang, no thread
    elif not _in_thread(work, deadline):
        raise step_timeout("dns", deadline, f"{host} did not resolve")
    if failure:
        exc = failure[0]
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise StepFailed(ErrorKind.DNS, f"cannot resolve {host}: {reason}", "dns")
    if not result:
        raise StepFailed(ErrorKind.DNS, f"{host} has no IPv4 or IPv6 address", "dns")
    return result


#: addresses tried before giving up, so that the whole probe stays bounded
MAX_ATTEMPTS = 3


def connect(addresses: list[Address], deadline: Deadline) -> tuple[socket.socket, Address]:
    """Connect to the first address that answers, in order (at most MAX_ATTEMPTS of them), all
    within what is left of `deadline`: an attempt that hangs gets its share of the time left
    (half of it when two addresses remain), so that the next address is still tried."""
    tried = addresses[:MAX_ATTEMPTS]
    last: StepFailed | None = None
    for i, addr in enumerate(tried):
        if deadline.left() <= 0:
            if last is not None and last.kind is ErrorKind.TIMEOUT:
                break  # the attempt before used up the time: report its timeout
            raise step_timeout("connect", deadline)
        try:
            sock = socket.socket(addr.family, socket.SOCK_STREAM)
        except OSError as exc:  # e.g. no IPv6 on this machine
            last = StepFailed(ErrorKind.REFUSED, f"cannot open a socket for {addr.text}: "
                              f"{exc.strerror}", "connect")
            continue
        sock.setblocking(False)
        share = deadline.left() / (len(tried) - i)
        try:
            _connect_one(sock, addr, deadline, share)
        except StepFailed as exc:
            sock.close()
            last = exc
            continue
        return sock, addr
    assert last is not None
    raise last


def _connect_one(sock: socket.socket, addr: Address, deadline: Deadline, cap: float) -> None:
    code = sock.connect_ex(addr.sockaddr)
    if code in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN):
        if not wait_ready(sock, deadline, write=True, cap=cap):
            if deadline.cancelled:
                raise step_timeout("connect", deadline)
            raise StepFailed(ErrorKind.TIMEOUT, f"no answer from {addr.text} within {cap:.3g} s "
                             f"of the {deadline.seconds:g} s deadline set by --timeout (filtered "
                             "port or host down)", "connect")
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


@frozen
class DnsAnswer:
    """A name's canonical name (the end of its CNAME chain), aliases and IPv4 addresses."""

    canonical: str | None
    aliases: tuple[str, ...]
    addresses: tuple[str, ...]
    #: the resolver gave no answer in time (then the rest is empty): not "does not resolve"
    timed_out: bool = False


def lookup(name: str, timeout: float | Deadline) -> DnsAnswer | None:
    """Resolve `name` with its CNAME chain within `timeout` seconds (or what is left of a
    deadline); None when it does not resolve, an answer that `timed_out` when the resolver
    said nothing in time."""
    deadline = timeout if isinstance(timeout, Deadline) else Deadline(timeout)
    answer: list[DnsAnswer] = []

    def work() -> None:
        try:
            canonical, aliases, addresses = socket.gethostbyname_ex(name)
        except (OSError, UnicodeError):
            return
        answer.append(DnsAnswer(canonical.rstrip(".").lower(),
                                tuple(a.rstrip(".").lower() for a in aliases), tuple(addresses)))

    if not _in_thread(work, deadline):
        return DnsAnswer(None, (), (), timed_out=True)
    return answer[0] if answer else None
