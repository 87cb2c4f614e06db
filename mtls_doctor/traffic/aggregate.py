"""Counting a window of access log lines: requests per stage and status, refusals per reason, and
each distinct client certificate with its traffic. A PEM is decoded once per distinct text (the
same partner sends the same certificate on every request), so the cost per line is a parse and
a few dictionary updates."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mtls_doctor.traffic import logformat as v
from mtls_doctor.traffic.certs import Decoded, Named, decode, named, normalise_pem
from mtls_doctor.traffic.logformat import LogFormat

#: distinct certificates followed; more are counted, not kept (a hostile or huge window)
MAX_CERTIFICATES = 5_000
#: distinct PEM texts remembered (each decoded once)
MAX_PEM_CACHE = 20_000
#: distinct refusal reasons kept; more are counted under one "other reasons" group
MAX_REASONS = 200


@dataclass
class CertTally:
    """One certificate's traffic."""

    key: str
    decoded: Decoded | None
    named: Named | None
    requests: int = 0
    refused: int = 0
    first_ms: int = 0
    last_ms: int = 0
    stages: set[str] = field(default_factory=set)


@dataclass
class StageTally:
    """One stage's (or shared log group's) counts."""

    events: int = 0
    unparsed: int = 0
    requests: int = 0
    refused: int = 0
    by_status: Counter[str] = field(default_factory=Counter)


@dataclass
class ReasonTally:
    """Refused requests of one (status, message, response type)."""

    requests: int = 0
    stages: set[str] = field(default_factory=set)
    certificates: Counter[str] = field(default_factory=Counter)


def status_of(text: str | None) -> str:
    """The status as three digits, or `-` when the line gave none that is one."""
    if text is not None and len(text) == 3 and text.isdigit():
        return text
    return "-"


class Tally:
    """Everything counted so far, over every stage read."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self.stages: dict[str, StageTally] = {}
        self.certs: dict[str, CertTally] = {}
        self.reasons: dict[tuple[str, str | None, str | None], ReasonTally] = {}
        self.other_reasons = ReasonTally()
        self.untracked = 0
        self.without_certificate = 0
        self._pem_keys: dict[str, str | None] = {}
        self._decoded: dict[str, Decoded] = {}

    def stage(self, label: str) -> StageTally:
        """The tally of a stage (made on first use)."""
        return self.stages.setdefault(label, StageTally())

    def _pem_key(self, raw: str) -> str | None:
        """The fingerprint of the certificate a logged PEM holds, decoded once per text."""
        if raw in self._pem_keys:
            return self._pem_keys[raw]
        key: str | None = None
        pem = normalise_pem(raw)
        if pem is not None:
            got = decode(pem, self.at)
            if got is not None:
                key = got.summary.sha256_fingerprint
                self._decoded.setdefault(key, got)
        if len(self._pem_keys) < MAX_PEM_CACHE:
            self._pem_keys[raw] = key
        return key

    def _certificate(self, values: dict[str, str | None]) -> CertTally | None:
        raw = values.get(v.PEM)
        key = self._pem_key(raw) if raw else None
        decoded = self._decoded.get(key) if key is not None else None
        who: Named | None = None
        if key is None:
            who = named(values)
            if who is None:
                return None
            key = "log-" + hashlib.sha256(who.key.encode("utf-8", "replace")).hexdigest()[:24]
        tally = self.certs.get(key)
        if tally is None:
            if len(self.certs) >= MAX_CERTIFICATES:
                self.untracked += 1
                return None
            tally = self.certs[key] = CertTally(key, decoded, who)
        return tally

    def add(self, label: str, fmt: LogFormat, line: str, timestamp_ms: int) -> None:
        """Count one log line of stage `label`, read with `fmt`."""
        st = self.stage(label)
        st.events += 1
        values = fmt.parse(line)
        if values is None:
            st.unparsed += 1
            return
        status = status_of(values.get(v.STATUS))
        refused = status != "-" and status >= "400"
        st.requests += 1
        st.by_status[status] += 1
        if refused:
            st.refused += 1
        cert = self._certificate(values)
        if cert is None:
            self.without_certificate += 1
        else:
            cert.requests += 1
            if refused:
                cert.refused += 1
            if not cert.first_ms or timestamp_ms < cert.first_ms:
                cert.first_ms = timestamp_ms
            cert.last_ms = max(cert.last_ms, timestamp_ms)
            cert.stages.add(label)
        if refused:
            message = values.get(v.MESSAGE) or values.get(v.MESSAGE_STRING)
            if message is not None and len(message) > 500:
                message = message[:500]
            reason_key = (status, message, values.get(v.RESPONSE_TYPE))
            reason = self.reasons.get(reason_key)
            if reason is None:
                reason = self.other_reasons if len(self.reasons) >= MAX_REASONS else \
                    self.reasons.setdefault(reason_key, ReasonTally())
            reason.requests += 1
            reason.stages.add(label)
            if cert is not None:
                reason.certificates[cert.key] += 1


def when(ms: int) -> datetime:
    """A CloudWatch timestamp (ms since the epoch) as a UTC instant."""
    return datetime.fromtimestamp(ms / 1000, UTC).replace(microsecond=0)
