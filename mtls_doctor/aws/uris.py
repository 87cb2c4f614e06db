"""Where a truststore is, as API Gateway names it (`s3://bucket/key`): pure, so that the AWS
reading (which imports botocore) and the rules (which import the certificate code) share it
without importing each other's libraries."""

from __future__ import annotations

import re
from urllib.parse import unquote


def split_s3_uri(uri: str) -> tuple[str, str] | None:
    """`s3://bucket/key` into (bucket, key), the key percent-decoded (`my%20ca.pem` is the
    object `my ca.pem`); None when it is not one."""
    m = re.match(r"^s3://([^/]+)/(.+)$", uri.strip())
    return (m.group(1), unquote(m.group(2))) if m else None
