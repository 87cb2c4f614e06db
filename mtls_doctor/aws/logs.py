"""CloudWatch Logs: the access log events of a stage's log group, read with FilterLogEvents
through its paginator, one page per call, each call an `Attempt` (`Aws.attempt`), bounded by the
command's deadline and by a number of events. What was not read is said, never filled in: a page
that fails or a deadline that comes ends the reading, and `LogRead` says how far it got."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from mtls_doctor.aws.calls import Aws, Malformed
from mtls_doctor.model.evidence import Attempt, Status

#: FilterLogEvents' largest page (the API's own maximum)
PAGE_LIMIT = 10_000


@dataclass(frozen=True)
class LogGroup:
    """A CloudWatch Logs log group named by an access log destination ARN."""

    name: str
    region: str | None
    arn: str


def log_group_of(destination: str | None) -> LogGroup | None:
    """The log group of `arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]`; None for any other
    destination (a Kinesis Data Firehose stream, which CloudWatch Logs cannot read)."""
    parts = (destination or "").split(":", 6)
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "logs" or parts[5] != "log-group":
        return None
    name = parts[6]
    if name.endswith(":*"):
        name = name[:-2]
    if not name:
        return None
    return LogGroup(name, parts[3] or None, destination or "")


@dataclass(frozen=True)
class LogRead:
    """How the reading of one log group went: events handed on, pages read, whether the window
    was read to its end, and the attempt that ended it early (a failed call, the deadline) or
    the last page's."""

    group: LogGroup
    events: int
    pages: int
    #: every event of the window was read
    complete: bool
    #: the reading stopped at --max-events with more events left
    capped: bool
    attempt: Attempt
    #: the timestamp (ms) of the last event read, to say how far the window was read
    last_timestamp: int | None = None


def _pages(client: Any, group: LogGroup, start_ms: int, end_ms: int) -> Iterator[dict[str, Any]]:
    paginator = client.get_paginator("filter_log_events")
    return iter(paginator.paginate(logGroupName=group.name, startTime=start_ms, endTime=end_ms,
                                   PaginationConfig={"PageSize": PAGE_LIMIT}))


def read_events(aws: Aws, group: LogGroup, start_ms: int, end_ms: int, max_events: int,
                sink: Callable[[str, int], None]) -> LogRead:
    """Hand every event of `group` between `start_ms` and `end_ms` to `sink(message,
    timestamp_ms)`, page by page, until the window ends, `max_events` events were handed on,
    the deadline comes or a call fails."""
    region = group.region
    pages: Iterator[dict[str, Any]] | None = None
    events = count = 0
    last: int | None = None
    attempt = Attempt("logs.FilterLogEvents", Status.OK, "", "logs:FilterLogEvents", "", region)

    def next_page(client: Any) -> dict[str, Any] | None:
        nonlocal pages
        if pages is None:
            pages = _pages(client, group, start_ms, end_ms)
        page = next(pages, None)
        if page is not None and not isinstance(page.get("events", []), list):
            raise Malformed("FilterLogEvents answered events that are not a list")
        return page

    while True:
        page, attempt = aws.attempt("logs", region, "FilterLogEvents", "logs:FilterLogEvents",
                                    next_page)
        if attempt.failed:
            return LogRead(group, events, count, False, False, attempt, last)
        if page is None:
            return LogRead(group, events, count, True, False, attempt, last)
        count += 1
        batch = page.get("events") or []
        for event in batch:
            if events >= max_events:
                return LogRead(group, events, count, False, True, attempt, last)
            if not isinstance(event, dict):
                continue
            message, stamp = event.get("message"), event.get("timestamp")
            if not isinstance(message, str) or not isinstance(stamp, int):
                continue
            sink(message, stamp)
            events += 1
            last = stamp
        if events >= max_events and page.get("nextToken"):
            return LogRead(group, events, count, False, True, attempt, last)
