"""The truststore object in S3, as API Gateway would meet it: the bucket's versioning, every
version of the key (delete markers included), and the bytes of the version the domain uses.
The three calls go at once. In a fleet scan, each is asked once for all the domains of an
account and region that need it (`aws.fleet.Listings`): the versioning once per bucket, the
versions of all their truststores in one listing per bucket, an object version once."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from mtls_doctor.aws.base import Collector
from mtls_doctor.aws.calls import Aws, spawn
from mtls_doctor.aws.fleet import Listings
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


#: entries (versions and delete markers) in the one page of a scan's listing of a bucket
BUCKET_PAGE = 1000


def bucket_versions(c: Any, bucket: str, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The versions of each of `keys` (sorted) in `bucket` from one ListObjectVersions page
    under their common prefix, for the keys that page holds in full: all of them, unless it is
    truncated, then those before its NextKeyMarker (S3 lists keys in order; the marker's key
    may go on in the next page). A key left out is listed on its own (`versions_of`), so a
    bucket that holds much more than truststores costs one page more, never a crawl."""
    prefix = os.path.commonprefix(list(keys))  # noqa: RUF071 - a key prefix, not a path's
    page = c.list_object_versions(Bucket=bucket, Prefix=prefix, MaxKeys=BUCKET_PAGE)
    if page.get("IsTruncated"):
        marker = page.get("NextKeyMarker")
        keys = [k for k in keys if marker is not None and k < str(marker)]
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in keys}
    for v in [*page.get("Versions", []),
              *({**m, "IsDeleteMarker": True} for m in page.get("DeleteMarkers", []))]:
        if v.get("Key") in out:
            out[v["Key"]].append(v)
    return out


def _versions(aws: Aws, shared: Listings | None, region: str, bucket: str, key: str
              ) -> tuple[list[dict[str, Any]] | None, Attempt]:
    """Every version of the key: from the scan's one listing of the bucket when the key is one
    of several truststores it was told of there and that listing holds it in full, else
    listed on its own. The bucket listing is recorded only by the domains whose versions
    come from it: when it fails (a policy may allow listing each key's own prefix and not
    their common one), each domain lists its own key, and its own answer is its fact."""
    def own() -> tuple[list[dict[str, Any]] | None, Attempt]:
        return aws.attempt("s3", region, "ListObjectVersions", "s3:ListBucketVersions",
                           lambda s3: versions_of(s3, bucket, key))

    def alone() -> tuple[list[dict[str, Any]] | None, Attempt]:
        # the domains of a scan that use the same key list it once
        return own() if shared is None else shared.get(
            aws, "s3", region, "ListObjectVersions", "s3:ListBucketVersions", own,
            f"{bucket}/{key}")

    keys = shared.truststore_keys(region, bucket) if shared is not None else ()
    if shared is None or key not in keys or len(keys) < 2:
        return alone()
    # in flight in this domain's record while it waits, so that a deadline names the call
    mark = aws.expect("s3.ListObjectVersions", "s3:ListBucketVersions", region)
    listing, attempt = shared.get(
        aws, "s3", region, "ListObjectVersions", "s3:ListBucketVersions",
        lambda: aws.quietly("s3", region, "ListObjectVersions", "s3:ListBucketVersions",
                            lambda s3: bucket_versions(s3, bucket, keys)), bucket, record=False)
    if listing is not None and key in listing:
        kept = aws.arrived(mark, attempt)  # cut short by `settle` meanwhile: that record stands
        return (listing[key] if kept.status is attempt.status else None), kept
    cut = aws.forget(mark)
    return (None, cut) if cut is not None else alone()


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
    versions_f = spawn(_versions, aws, shared, region, bucket, key)
    get_args = {"Bucket": bucket, "Key": key}
    if mtls.truststore_version:
        get_args["VersionId"] = mtls.truststore_version

    def get(s3: Any) -> tuple[bytes, Any, Any]:
        obj = s3.get_object(**get_args)
        return obj["Body"].read(MAX_BYTES), obj.get("VersionId"), obj.get("LastModified")

    action = "s3:GetObjectVersion" if mtls.truststore_version else "s3:GetObject"

    def ask_object() -> tuple[tuple[bytes, Any, Any] | None, Attempt]:
        return aws.attempt("s3", region, "GetObject", action, get)

    # domains of a scan that use the same object version read it once
    got, got_a = ask_object() if shared is None else shared.get(
        aws, "s3", region, "GetObject", action, ask_object,
        f"{bucket}/{key}?versionId={mtls.truststore_version or ''}")
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
