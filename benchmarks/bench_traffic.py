"""Time reading and judging 100,000 access log events against just paging them out, and print
the ratio.

The cost `traffic` adds to reading a log group is parsing each line with the stage's format,
counting it, and predicting a verdict for each client certificate. Verdicts are cached per
distinct certificate (its SHA-256 fingerprint) and a logged PEM is decoded once per distinct
text, so judging must not dominate: the issue's target is under 2x the time of paging alone.

Set-up: moto's server mode on loopback holds one log group with 100,000 events in a JSON access
log format that carries the client certificate's PEM, subject, issuer, serial and validity, the
status and the error message, from 8 partners (one refused, one expired). Measured, median of
`--runs`:

  * paging: boto3's FilterLogEvents paginator over the window, every event touched, nothing else;
  * read and judged: `aws.logs.read_events` (one `Aws.attempt` per page) feeding the `Tally`,
    then `build_traffic` with today's truststore and a candidate bundle (both judges).

This script prints; it asserts nothing.

Run from the repository root: python benchmarks/bench_traffic.py [--events N] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mtls_doctor.aws.calls import Aws
from mtls_doctor.aws.logs import LogGroup, read_events
from mtls_doctor.deadline import Deadline
from mtls_doctor.pki.load import load_certificates
from mtls_doctor.traffic.aggregate import Tally
from mtls_doctor.traffic.build import Window, build_traffic
from mtls_doctor.traffic.judge import Judge
from mtls_doctor.traffic.logformat import LogFormat
from mtls_doctor.traffic.model import StageTraffic
from tests.pki_factory import PKI, pem_bundle

REGION = "us-east-1"
GROUP = "bench-access"
FORMAT = json.dumps({
    "requestId": "$context.requestId", "status": "$context.status",
    "error": "$context.error.message", "responseType": "$context.error.responseType",
    "pem": "$context.identity.clientCert.clientCertPem",
    "subject": "$context.identity.clientCert.subjectDN",
    "issuer": "$context.identity.clientCert.issuerDN",
    "serial": "$context.identity.clientCert.serialNumber",
    "notAfter": "$context.identity.clientCert.validity.notAfter"})


def _lines(n: int, now: datetime) -> tuple[list[str], bytes, bytes]:
    pki = PKI(now, key_offset=1500)
    ca_a, ca_b, other = (pki.chain(2, prefix=p) for p in ("Bench A", "Bench B", "Bench X"))
    clients = [pki.leaf(ca_a[-1] if i % 2 else ca_b[-1], f"partner-{i}", sans=())
               for i in range(6)]
    clients.append(pki.leaf(ca_b[-1], "expired", sans=(), expired=True))
    clients.append(pki.leaf(other[-1], "stranger", sans=()))
    lines = []
    for i in range(n):
        c = clients[i % len(clients)]
        refused = c.cert.subject.rfc4514_string().endswith(("stranger", "expired"))
        x = c.cert
        lines.append(json.dumps({
            "requestId": f"req-{i:08d}", "status": "403" if refused else "200",
            "error": "Access denied. Reason: Could not find issuer for certificate"
            if refused else "-", "responseType": "ACCESS_DENIED" if refused else "-",
            "pem": c.pem.decode(), "subject": x.subject.rfc4514_string(),
            "issuer": x.issuer.rfc4514_string(), "serial": format(x.serial_number, "X"),
            "notAfter": x.not_valid_after_utc.strftime("%b %d %H:%M:%S %Y GMT")}))
    return lines, pem_bundle([*ca_a, *ca_b]), pem_bundle(ca_b)


def _fill(client: Any, lines: list[str], start_ms: int) -> None:
    client.create_log_group(logGroupName=GROUP)
    client.create_log_stream(logGroupName=GROUP, logStreamName="s")
    for i in range(0, len(lines), 5000):
        client.put_log_events(logGroupName=GROUP, logStreamName="s", logEvents=[
            {"timestamp": start_ms + i + j, "message": m}
            for j, m in enumerate(lines[i:i + 5000])])


def _page_only(client: Any, start_ms: int, end_ms: int) -> int:
    n = 0
    for page in client.get_paginator("filter_log_events").paginate(
            logGroupName=GROUP, startTime=start_ms, endTime=end_ms,
            PaginationConfig={"PageSize": 10_000}):
        for event in page.get("events", []):
            n += len(event["message"]) > 0
    return n


def _read_and_judge(now: datetime, start_ms: int, end_ms: int, today: bytes,
                    candidate: bytes) -> tuple[int, int]:
    fmt = LogFormat.compile(FORMAT)
    tally = Tally(now)
    aws = Aws(None, Deadline(600))
    got = read_events(aws, LogGroup(GROUP, REGION, f"arn:aws:logs:{REGION}:1:log-group:{GROUP}"),
                      start_ms, end_ms, 10_000_000,
                      lambda m, t: tally.add("api/prod", fmt, m, t))
    stage = StageTraffic("api", "http", "prod", "cloudwatch", format_kind="json",
                         cert_fields=("clientCertPem",))
    window = Window("bench.example", REGION, "24h", now - timedelta(days=1), now, 10_000_000, 30)
    traffic = build_traffic(window, tally, [stage], at=now,
                            today=Judge(load_certificates(today, "today.pem"), now),
                            candidate=Judge(load_certificates(candidate, "candidate.pem"), now),
                            truststore="today.pem", candidate_name="candidate.pem")
    return got.events, len(traffic.clients)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    endpoint = f"http://127.0.0.1:{port}"
    for k, val in {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
                   "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION,
                   "AWS_EC2_METADATA_DISABLED": "true"}.items():
        os.environ[k] = val
    try:
        now = datetime.now(UTC).replace(microsecond=0)
        start_ms = int((now - timedelta(hours=3)).timestamp() * 1000)
        end_ms = int(now.timestamp() * 1000)
        client = boto3.client("logs", region_name=REGION)
        lines, today, candidate = _lines(args.events, now)
        _fill(client, lines, start_ms)
        paged, judged = [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            n = _page_only(client, start_ms, end_ms)
            paged.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            m, clients = _read_and_judge(now, start_ms, end_ms, today, candidate)
            judged.append(time.perf_counter() - t0)
            assert n == m == args.events, (n, m)
        p, j = statistics.median(paged), statistics.median(judged)
        print(f"events: {args.events}, distinct certificates: {clients}, runs: {args.runs}")
        print(f"paging only (boto3 paginator):        {p:7.2f} s")
        print(f"read, parsed, counted and judged:     {j:7.2f} s")
        print(f"ratio: {j / p:.2f}x (target < 2x)")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
