"""The fixes findings carry: steps and commands to copy, filled in with the real file names.

Every command is built by `mtls_doctor.shell` (argv lists, rendered with each argument quoted);
the functions here return the rendered lines that `Fix.commands` holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID

from mtls_doctor.model.certificate import Container, Position
from mtls_doctor.model.finding import Fix
from mtls_doctor.model.frozen import frozen
from mtls_doctor.pki.describe import find_extension

if TYPE_CHECKING:  # the command builders load when a fix is written, not for every verdict
    from mtls_doctor.model.domain import DomainFacts
    from mtls_doctor.shell import aws

#: placeholders for values only the AWS side knows; `diagnose` and `domain` fill in the real ones
BUCKET = "<bucket>"
KEY = "<key>"
DOMAIN = "<domain-name>"


@frozen
class UploadTarget:
    """Where the truststore really lives, when it is known (the `domain` command): the fix
    commands then name the real bucket, key, version, domain and region (and, for an HTTP API
    domain, whose update sends its whole configuration, its certificates)."""

    bucket: str
    key: str
    version: str | None
    domain: str
    region: str | None
    api_type: str = "rest"
    certificate_arn: str | None = None
    ownership_arn: str | None = None

    @classmethod
    def of(cls, facts: DomainFacts) -> UploadTarget | None:
        """The target of a domain whose truststore object was found (None otherwise)."""
        ts = facts.truststore_object
        if ts is None:
            return None
        return cls(ts.bucket, ts.key, ts.configured_version, facts.name, facts.region,
                   facts.api_type or "rest", facts.certificate_arn,
                   facts.ownership_verification_certificate_arn)

    @property
    def source(self) -> str:
        """The version the domain uses as an `s3://bucket/key?versionId=V` source."""
        version = f"?versionId={self.version}" if self.version else ""
        return f"s3://{self.bucket}/{self.key}{version}"

    @property
    def ref(self) -> aws.Domain:
        """The domain as the `aws` commands address it."""
        from mtls_doctor.shell import aws

        return aws.Domain(self.domain, self.region, self.api_type, self.certificate_arn,
                          self.ownership_arn)

    def download_command(self, dest: str) -> str:
        """Fetch the version the domain uses to the local file `dest`."""
        from mtls_doctor.shell import aws, render

        return render(aws.get_object(self.bucket, self.key, self.version, dest, self.region))

    def upload_command(self, source: str) -> str:
        """Upload `source` as a new version of the object; it prints the new version id."""
        from mtls_doctor.shell import aws, render

        return render(aws.put_object(self.bucket, self.key, source, self.region))

    def update_command(self, version: str | None = None) -> str:
        """Point the domain at `version` (by default `<new-version-id>`, quoted: for the user
        to fill in with what the upload printed)."""
        from mtls_doctor.shell import aws, render

        return render(aws.set_truststore_version(self.ref, self.bucket, self.key,
                                                 aws.NEW_VERSION if version is None else version))


#: the target when nothing is known of the AWS side: placeholders, quoted like any value
UNKNOWN_TARGET = UploadTarget(BUCKET, KEY, None, DOMAIN, None)


def upload_steps(source: str, target: UploadTarget | None = None
                 ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Steps and commands to publish a corrected truststore and make API Gateway read it.

    API Gateway reads the truststore only when the domain is created or updated, so a new S3
    object version does nothing until the domain points at it: the upload prints the new
    version id, and the update names it as `<new-version-id>` (never the version that was the
    latest before the upload).
    """
    from mtls_doctor.shell.aws import NEW_VERSION

    steps = (
        f"Upload the corrected {source} to the truststore's S3 location (versioning on): "
        "put-object prints the new version id.",
        f"Point the custom domain at that version (put it in place of {NEW_VERSION}): API "
        "Gateway reads the truststore only when the domain is updated.",
    )
    t = target or UNKNOWN_TARGET
    return steps, (t.upload_command(source), t.update_command())


def with_upload(summary: str, steps: tuple[str, ...], commands: tuple[str, ...],
                source: str, target: UploadTarget | None = None) -> Fix:
    """A fix whose last steps publish the corrected truststore (first fetching it from S3 when
    the bundle lives there)."""
    up_steps, up_commands = upload_steps(source, target)
    if target is not None:
        fetch = target.download_command(source)
        steps = (f"Download the truststore version the domain uses to {source}.", *steps)
        commands = (fetch, *commands)
    return Fix(summary, steps + up_steps, commands + up_commands)


def list_certs_command(source: str) -> str:
    """Decode every certificate of a PEM bundle with openssl alone (`openssl x509` reads one)."""
    from mtls_doctor.shell import openssl, render

    return render(openssl.list_certs(source))


def certs_only_command(source: str, container: Container) -> str:
    """Rewrite a file as a clean PEM bundle of its certificates only."""
    from mtls_doctor.shell import openssl, render

    return render(openssl.certs_only(source, container, clean_copy_name(source)))


def clean_copy_name(source: str) -> str:
    """`truststore.p12` -> `truststore.certs.pem`: where a certificates-only copy is written."""
    stem = source.rsplit("/", 1)[-1]
    base = stem.rsplit(".", 1)[0] if "." in stem else stem
    return f"{base}.certs.pem"


def ca_issuers_urls(cert: x509.Certificate | None) -> list[str]:
    """The certificate's AIA caIssuers URLs: where its issuer's certificate can be downloaded."""
    if cert is None:
        return []
    ext = find_extension(cert, ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
    if ext is None or not isinstance(ext.value, x509.AuthorityInformationAccess):
        return []
    return [
        d.access_location.value
        for d in ext.value
        if d.access_method == AuthorityInformationAccessOID.CA_ISSUERS
        and isinstance(d.access_location, x509.UniformResourceIdentifier)
    ]


def append_cert_commands(position: Position, dest: str) -> tuple[str, ...]:
    """Append certificate #index of a file to `dest` (a PEM bundle); a file of another kind is
    first rewritten as PEM, and the certificate taken from that copy."""
    from mtls_doctor.shell import render, tools

    source = position.source
    if position.container not in (Container.PEM, Container.BASE64):
        convert = certs_only_command(source, position.container)
        source = clean_copy_name(source)
        return convert, render(tools.pem_block(position.index + 1, source, dest))
    return (render(tools.pem_block(position.index + 1, source, dest)),)


def pem_file_for(subject: str) -> str:
    """A file name for a certificate, from its CN: `CN=Partner Root CA,O=X` -> `partner-root-ca.pem`."""
    cn = next((part[3:] for part in subject.split(",") if part.startswith("CN=")), subject)
    slug = "-".join("".join(c if c.isalnum() else " " for c in cn.lower()).split())
    return f"{slug or 'ca'}.pem"
