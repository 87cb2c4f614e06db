"""The truststore object in S3, as API Gateway would meet it: the bucket's versioning, every
version of the key (delete markers included), and the bytes of the version the domain uses.
The three calls go at once."""

from __future__ import annotations

from typing import Any

from mtls_doctor.aws.base import Collector
from mtls_doctor.aws.calls import spawn
from mtls_doctor.aws.uris import split_s3_uri
from mtls_doctor.model.domain import Mtls, TruststoreObject
from mtls_doctor.model.evidence import Attempt, Status, ok
from mtls_doctor.source import MAX_BYTES

#: at most this many pages of object versions (1,000 each) are read for the truststore's key
MAX_VERSION_PAGES = 10


def versions_of(c: Any, bucket: str, key: str, page_size: int | None = None
                ) -> list[dict[str, Any]]:
    """Every version of exactly `key`, delete markers included (flagged `IsDeleteMarker`),
    through botocore's paginator (`page_size`: S3's MaxKeys, 1,000 when None); S3 lists keys in
    order, so the pages stop as soon as a later key shows up (or after MAX_VERSION_PAGES)."""
    out: list[dict[str, Any]] = []
    config = {"PaginationConfig": {"PageSize": page_size}} if page_size else {}
    pages = c.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key, **config)
    for n, page in enumerate(pages, 1):
        entries = [*page.get("Versions", []),
                   *({**m, "IsDeleteMarker": True} for m in page.get("DeleteMarkers", []))]
        out += [v for v in entries if v.get("Key") == key]
        if n >= MAX_VERSION_PAGES or any(str(v.get("Key", "")) > key for v in entries):
            break  # past the key: the rest are other keys that start like it
    return out


def read_truststore(c: Collector, region: str, mtls: Mtls) -> TruststoreObject | None:
    """Versioning, versions and content of the domain's truststore object; `truststore_object`
    and `truststore_versions` go into the evidence."""
    where = split_s3_uri(mtls.truststore_uri)
    if where is None:
        bad = Attempt("s3.GetObject", Status.NOT_FOUND,
                      f"{mtls.truststore_uri} is not s3://bucket/key", "s3:GetObject",
                      "InvalidUri", region)
        c.evidence["truststore_object"] = c.aws.record(bad)
        c.evidence["truststore_versions"] = bad
        return None
    bucket, key = where
    aws = c.aws

    def ask_versioning() -> tuple[dict[str, Any] | None, Attempt]:
        return aws.attempt("s3", region, "GetBucketVersioning", "s3:GetBucketVersioning",
                           lambda s3: s3.get_bucket_versioning(Bucket=bucket))

    # the fleet scan asks once per bucket, whatever the number of domains whose truststore
    # is in it (`aws.fleet.Listings`)
    shared = getattr(c, "listings", None)
    versioning_f = spawn(ask_versioning) if shared is None else spawn(
        shared.get, aws, "s3", region, "GetBucketVersioning", "s3:GetBucketVersioning",
        ask_versioning, bucket)
    versions_f = spawn(aws.attempt, "s3", region, "ListObjectVersions",
                       "s3:ListBucketVersions", lambda s3: versions_of(s3, bucket, key))
    get_args = {"Bucket": bucket, "Key": key}
    if mtls.truststore_version:
        get_args["VersionId"] = mtls.truststore_version

    def get(s3: Any) -> tuple[bytes, Any, Any]:
        obj = s3.get_object(**get_args)
        return obj["Body"].read(MAX_BYTES), obj.get("VersionId"), obj.get("LastModified")

    action = "s3:GetObjectVersion" if mtls.truststore_version else "s3:GetObject"
    got, got_a = aws.attempt("s3", region, "GetObject", action, get)
    versioning, versioning_a = c.wait(versioning_f, "truststore_versions") or (None, None)
    versions, versions_a = c.wait(versions_f, "truststore_versions") or (None, None)
    c.evidence["truststore_object"] = got_a
    failed = next((a for a in (versioning_a, versions_a) if a is not None and a.failed), None)
    if failed is not None:
        c.evidence["truststore_versions"] = failed
    elif versioning_a is not None and versions_a is not None:
        c.evidence["truststore_versions"] = ok("s3.ListObjectVersions", region)
    latest = latest_modified = configured_modified = marker = None
    for v in versions or []:
        if v.get("IsLatest"):
            if v.get("IsDeleteMarker"):
                marker = v.get("VersionId")
            else:
                latest, latest_modified = v.get("VersionId"), v.get("LastModified")
        if mtls.truststore_version and v.get("VersionId") == mtls.truststore_version:
            configured_modified = v.get("LastModified")
    status = None
    if versioning is not None:
        status = versioning.get("Status") or "Never"
    content = got[0] if got else None
    if got and configured_modified is None and mtls.truststore_version:
        configured_modified = got[2]
    if got and not mtls.truststore_version and marker is None:
        # unpinned: what was read is the latest, which may not be the one in use
        latest = latest or got[1]
        latest_modified = latest_modified or got[2]
    return TruststoreObject(bucket, key, status or "unknown", latest, mtls.truststore_version,
                            latest_modified, configured_modified, content,
                            latest_delete_marker=marker)
