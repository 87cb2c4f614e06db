"""The fixes findings carry: steps and commands to copy, filled in with the real file names."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID

from mtls_doctor.model.certificate import Container, Position
from mtls_doctor.model.finding import Fix
from mtls_doctor.pki.describe import find_extension

#: placeholders for values only the AWS side knows; `diagnose` fills in the real ones
BUCKET_KEY = "s3://<bucket>/<key>"
DOMAIN = "<domain-name>"
_PATCH_VERSION = "op=replace,path=/mutualTlsAuthentication/truststoreVersion,value=<new-version-id>"


def q(text: str) -> str:
    """Quote a file name for a shell command."""
    return shlex.quote(text)


@dataclass(frozen=True)
class UploadTarget:
    """Where the truststore really lives, when it is known (the `domain` command): the fix
    commands then name the real bucket, key, version, domain and region."""

    bucket: str
    key: str
    version: str | None
    domain: str
    region: str | None
    api_type: str = "rest"

    def _region(self) -> str:
        return f" --region {self.region}" if self.region else ""

    def download_command(self, dest: str) -> str:
        """Fetch the version the domain uses."""
        version = f" --version-id {q(self.version)}" if self.version else ""
        return f"aws s3api get-object --bucket {q(self.bucket)} --key {q(self.key)}{version} {q(dest)}"

    def update_command(self) -> str:
        """Point the domain at the newest version (`<new-version-id>` is for the user to fill;
        quoted, so that a shell never reads `<` as a redirection)."""
        if self.api_type == "http":
            mtls = (f"TruststoreUri=s3://{self.bucket}/{self.key},"
                    "TruststoreVersion=<new-version-id>")
            return (f"aws apigatewayv2 update-domain-name --domain-name {q(self.domain)} "
                    f"--mutual-tls-authentication {q(mtls)}{self._region()}")
        return (f"aws apigateway update-domain-name --domain-name {q(self.domain)} "
                f"--patch-operations {q(_PATCH_VERSION)}{self._region()}")


def upload_steps(source: str, target: UploadTarget | None = None
                 ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Steps and commands to publish a corrected truststore and make API Gateway read it.

    API Gateway reads the truststore only when the domain is created or updated, so a new S3
    object version does nothing until the domain points at it.
    """
    steps = (
        f"Upload the corrected {source} to the truststore's S3 location (versioning on).",
        "Point the custom domain at the new object version: API Gateway reads the truststore "
        "only when the domain is updated.",
    )
    if target is None:
        return steps, (
            f"aws s3 cp {q(source)} {q(BUCKET_KEY)}",
            "aws s3api list-object-versions --bucket '<bucket>' --prefix '<key>' --max-items 1",
            f"aws apigateway update-domain-name --domain-name {q(DOMAIN)} --patch-operations "
            f"{q(_PATCH_VERSION)}",
        )
    return steps, (
        f"aws s3 cp {q(source)} s3://{target.bucket}/{target.key}{target._region()}",
        f"aws s3api list-object-versions --bucket {q(target.bucket)} --prefix {q(target.key)} "
        "--query 'Versions[?IsLatest].VersionId' --output text",
        target.update_command(),
    )


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
    return f"openssl storeutl -noout -text -certs {q(source)}"


def certs_only_command(source: str, container: Container) -> str:
    """Rewrite a file as a clean PEM bundle of its certificates only."""
    out = q(clean_copy_name(source))
    src = q(source)
    if container is Container.PKCS12:
        return f"openssl pkcs12 -in {src} -nokeys -out {out}"
    if container is Container.PKCS7_DER:
        return f"openssl pkcs7 -inform DER -in {src} -print_certs -out {out}"
    if container is Container.PKCS7_PEM:
        return f"openssl pkcs7 -in {src} -print_certs -out {out}"
    if container is Container.DER:
        return f"openssl x509 -inform DER -in {src} -out {out}"
    if container is Container.BASE64:
        return f"base64 -d {src} | openssl x509 -inform DER -out {out}"
    return f"openssl crl2pkcs7 -nocrl -certfile {src} | openssl pkcs7 -print_certs -out {out}"


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


def append_cert_command(position: Position, dest: str) -> str:
    """Append certificate #index of a file to `dest` (a PEM bundle)."""
    src = q(position.source)
    if position.container in (Container.PEM, Container.BASE64):
        n = position.index + 1
        return (f"awk '/-----BEGIN (X509 |TRUSTED )?CERTIFICATE-----/{{n++}} n=={n}{{print}} "
                f"n=={n} && /-----END/{{exit}}' {src} >> {q(dest)}")
    convert = certs_only_command(position.source, position.container)
    return f"{convert}  # then copy certificate #{position.index + 1} into {dest}"


def pem_file_for(subject: str) -> str:
    """A file name for a certificate, from its CN: `CN=Partner Root CA,O=X` -> `partner-root-ca.pem`."""
    cn = next((part[3:] for part in subject.split(",") if part.startswith("CN=")), subject)
    slug = "-".join("".join(c if c.isalnum() else " " for c in cn.lower()).split())
    return f"{slug or 'ca'}.pem"
