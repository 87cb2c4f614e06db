"""cryptography's warnings about a certificate, kept off stderr from any thread.

`warnings.catch_warnings` swaps process-wide state (the filter list, `showwarning`) and puts the
saved state back on exit. Two threads in such blocks at once undo each other: the first to leave
restores filters the second still relies on, so a warning escapes to stderr (or, under pytest's
`error` filter, becomes an exception). The diagnosis parses certificates in several threads (the
probe's trust roots, the truststore, the client certificate), so every block here holds one lock
(re-entrant: a recording block may call a quiet one).
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.RLock()


@contextmanager
def quiet() -> Iterator[None]:
    """Every warning ignored inside the block (cryptography's about serial 0 roots, BER input)."""
    with _LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@contextmanager
def recorded() -> Iterator[list[warnings.WarningMessage]]:
    """Every warning raised inside the block collected into the list yielded, none shown."""
    with _LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
