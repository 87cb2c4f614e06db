"""`s3://bucket/key[?versionId=V]` as an input source (truststores), read with boto3."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from mtls_doctor.aws.calls import Aws
from mtls_doctor.deadline import Deadline
from mtls_doctor.errors import InputError
from mtls_doctor.model.evidence import Status
from mtls_doctor.source import MAX_BYTES, SourceData


def read_s3(spec: str, what: str, profile: str | None, region: str | None,
            timeout: float = 30.0) -> SourceData:
    """The object's bytes; any failure is one clear line (exit 2)."""
    parts = urlsplit(spec)
    bucket, key = parts.netloc, parts.path.lstrip("/")
    version = parse_qs(parts.query).get("versionId", [None])[0]
    if not bucket or not key:
        raise InputError(f"{what} {spec!r}: expected s3://bucket/key[?versionId=V]")
    aws = Aws(profile, Deadline(timeout))
    args = {"Bucket": bucket, "Key": key, **({"VersionId": version} if version else {})}

    def get(c: object) -> bytes:
        obj = c.get_object(**args)  # type: ignore[attr-defined]
        data: bytes = obj["Body"].read(MAX_BYTES + 1)
        return data

    data, attempt = aws.attempt("s3", region, "GetObject",
                                "s3:GetObjectVersion" if version else "s3:GetObject", get)
    if data is None:
        hint = {Status.DENIED: f" (the caller needs {attempt.action} on the object)",
                Status.NO_CREDENTIALS: " (no usable AWS credentials: set AWS_PROFILE or use "
                                       "--profile)"}.get(attempt.status, "")
        raise InputError(f"cannot read {spec}: {attempt.reason or attempt.status.value}{hint}")
    if len(data) > MAX_BYTES:
        raise InputError(f"{spec} is larger than {MAX_BYTES // 1048576} MiB")
    name = f"s3://{bucket}/{key}" + (f"?versionId={version}" if version else "")
    return SourceData(name, data)
