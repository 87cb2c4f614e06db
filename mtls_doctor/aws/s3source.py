"""`s3://bucket/key[?versionId=V]` as an input source (truststores), read with boto3."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from mtls_doctor.aws.calls import Aws
from mtls_doctor.deadline import Deadline
from mtls_doctor.errors import InputError
from mtls_doctor.model.evidence import Status
from mtls_doctor.shell.aws import s3_uri as aws_s3_uri
from mtls_doctor.source import MAX_BYTES, SourceData


def read_s3(spec: str, what: str, profile: str | None, region: str | None,
            timeout: float = 30.0) -> SourceData:
    """The object's bytes; any failure is one clear line (exit 2)."""
    parts = urlsplit(spec)
    bucket, key = parts.netloc, unquote(parts.path.lstrip("/"))  # `my%20ca.pem`: `my ca.pem`
    version = parse_qs(parts.query).get("versionId", [None])[0]
    if not bucket or not key:
        raise InputError(f"{what} {spec!r}: expected s3://bucket/key[?versionId=V]")
    aws = Aws(profile, Deadline(timeout))
    args = {"Bucket": bucket, "Key": key, **({"VersionId": version} if version else {})}

    def get(c: object) -> tuple[int, bytes]:
        obj = c.get_object(**args)  # type: ignore[attr-defined]
        size = obj.get("ContentLength")
        if isinstance(size, int) and size > MAX_BYTES:  # refused without downloading it
            obj["Body"].close()
            return size, b""
        data: bytes = obj["Body"].read(MAX_BYTES + 1)
        return len(data), data

    got, attempt = aws.attempt("s3", region, "GetObject",
                               "s3:GetObjectVersion" if version else "s3:GetObject", get)
    if got is None:
        hint = {Status.DENIED: f" (the caller needs {attempt.action} on the object)",
                Status.NO_CREDENTIALS: " (no usable AWS credentials: set AWS_PROFILE or use "
                                       "--profile)"}.get(attempt.status, "")
        raise InputError(f"cannot read {spec}: {attempt.reason or attempt.status.value}{hint}")
    size, data = got
    if size > MAX_BYTES:
        raise InputError(f"{what} {spec} is {size / 1048576:.1f} MiB; certificate files are a few "
                         f"kilobytes (limit {MAX_BYTES // 1048576} MiB): is it the right object?")
    name = aws_s3_uri(bucket, key) + (f"?versionId={version}" if version else "")
    return SourceData(name, data)
