"""What `mtls-doctor traffic NAME` reports: the JSON payload `"traffic"`, as typed records.

Field names follow the ones the rest of the report uses, so that `--redact` knows them: `subject`
and `issuer` (distinguished names), `stage`, `api_id`, `message` (text from outside),
`log_group_arn` (an ARN). A client certificate's serial as the log gives it is `serial_number`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mtls_doctor.model.verdict import Verdict


@dataclass(frozen=True)
class StatusCount:
    """Requests of one HTTP status (`-`: the line gave none)."""

    status: str
    requests: int


@dataclass(frozen=True)
class StageTraffic:
    """One stage the domain sends requests to, its access logging, and what its log held.

    `logging`: `cloudwatch` (read), `off` (no access logging), `not_cloudwatch` (a destination
    CloudWatch Logs cannot read, such as Kinesis Data Firehose), `unknown` (the stage could not
    be read). `read`: how reading its log group went (`ok`, `capped`, or an attempt status)."""

    api_id: str
    api_type: str
    stage: str
    logging: str
    log_group_arn: str | None = None
    log_format: str | None = None
    format_kind: str | None = None
    #: the client certificate variables the format writes (`clientCertPem`, `subjectDN`, ...)
    cert_fields: tuple[str, ...] = ()
    #: the format writes `$context.error.message` (or its quoted form)
    logs_error_message: bool = False
    read: str = ""
    read_detail: str = ""
    events: int = 0
    unparsed: int = 0
    requests: int = 0
    refused: int = 0
    by_status: tuple[StatusCount, ...] = ()
    #: the log group is shared with these other stages: its events are counted once, here
    shared_with: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """`API/stage`."""
        return f"{self.api_id}/{self.stage}"


@dataclass(frozen=True)
class RefusalGroup:
    """Refused requests (status 400 or more) of one reason: the logged error message and
    response type, mapped to the finding and walkthrough that explain it (None: not one mtls-
    doctor recognises)."""

    status: str
    message: str | None
    response_type: str | None
    requests: int
    share: float
    stages: tuple[str, ...]
    #: the refs of the certificates refused this way, most requests first
    certificates: tuple[str, ...]
    finding: str | None
    walkthrough: str | None
    #: whether this is a refusal of the client certificate in the TLS layer
    mtls: bool = False


@dataclass(frozen=True)
class SeenCertificate:
    """A client certificate seen in the window: decoded from the logged PEM (`from_pem`), or as
    the log's fields name it; its traffic; and its predicted verdicts (None: not judged, and
    `not_judged` says why)."""

    #: a stable reference: the SHA-256 fingerprint, or `log-` and a hash of the logged names
    ref: str
    from_pem: bool
    subject: str
    issuer: str | None
    serial_number: str | None
    not_before: datetime | None
    not_after: datetime | None
    sha256_fingerprint: str | None
    requests: int
    refused: int
    share: float
    first_seen: datetime
    last_seen: datetime
    stages: tuple[str, ...]
    days_left: int | None = None
    verdict: Verdict | None = None
    candidate_verdict: Verdict | None = None
    not_judged: str = ""


@dataclass(frozen=True)
class Rehearsal:
    """`--truststore CANDIDATE`: every certificate seen, judged against the candidate bundle."""

    candidate: str
    #: accepted today (or, today unknown, seen accepted), refused by the candidate
    breaks: tuple[str, ...]
    #: refused today and by the candidate
    still_refused: tuple[str, ...]
    #: refused today, accepted by the candidate
    fixed: tuple[str, ...]
    #: no verdict could be predicted (no PEM in the log, ...)
    not_judged: tuple[str, ...]
    #: the share of the window's requests whose certificates the candidate refuses
    refused_share: float
    breaks_share: float


@dataclass(frozen=True)
class Traffic:
    """The payload of `traffic`: the window read, per stage, refusals by reason, every client
    certificate seen, the expiry radar and the rotation rehearsal."""

    domain_name: str
    region: str | None
    since: str
    window_start: datetime
    window_end: datetime
    max_events: int
    events: int
    requests: int
    refused: int
    stages: tuple[StageTraffic, ...]
    refusals: tuple[RefusalGroup, ...]
    clients: tuple[SeenCertificate, ...]
    #: the refs of the certificates that expire within --warn-days, most requests first
    expiring: tuple[str, ...]
    warn_days: int
    #: the truststore the verdicts of today are against (None: it could not be read)
    truststore: str | None
    rehearsal: Rehearsal | None = None
    #: distinct certificates beyond the ones tracked (a window with very many)
    untracked_certificates: int = 0
    #: requests whose line names no certificate
    requests_without_certificate: int = 0
