"""TLS identities: a cluster CA derived from the cluster secret, and one certificate per node.

Every node holds the cluster secret, so every node can derive the CA's private key
(deterministically, with HKDF) and sign its own certificate: the invite token is the only secret a
device needs. Peers verify each other's certificates against the CA (both directions: the server
requests client certificates, and the client verifies the server), so a machine without the token
cannot pose as a node or read the traffic. A certificate's common name is the node id.
"""

from __future__ import annotations

import datetime as dt
import logging
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from dlbs.config import write_atomic
from dlbs.core.keys import derive

log = logging.getLogger(__name__)

_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _ca_key(secret: bytes) -> ec.EllipticCurvePrivateKey:
    scalar = int.from_bytes(derive(secret, b"cluster-ca-key", 48), "big") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def _ca_cert(secret: bytes, cluster_id: str) -> x509.Certificate:
    key = _ca_key(secret)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"dlbs cluster {cluster_id}")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(int(cluster_id[:30], 16) or 1)
        .not_valid_before(_EPOCH)
        .not_valid_after(_EPOCH + dt.timedelta(days=365 * 100))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def _spki(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    cert: Path
    key: Path

    @classmethod
    def in_dir(cls, root: Path) -> TlsFiles:
        return cls(root / "cluster-ca.crt", root / "node.crt", root / "node.key")


def ensure_tls(root: Path, secret: bytes, cluster_id: str, node_id: str) -> TlsFiles:
    """Write the CA certificate and this node's key and certificate unless they are current."""
    files = TlsFiles.in_dir(root)
    ca_key = _ca_key(secret)
    ca_pub = _spki(ca_key.public_key())
    if files.ca.exists() and files.cert.exists() and files.key.exists():
        try:
            cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
            ca = x509.load_pem_x509_certificate(files.ca.read_bytes())
            cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
            same_ca = _spki(ca.public_key()) == ca_pub  # type: ignore[arg-type]
            if same_ca and cn == node_id and cert.issuer == ca.subject:
                return files
        except (ValueError, IndexError, OSError):
            pass
        log.info("renewing TLS identity (cluster or node id changed)")
    ca = _ca_cert(secret, cluster_id)
    node_key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, node_id)]))
        .issuer_name(ca.subject)
        .public_key(node_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
        .not_valid_after(dt.datetime.now(dt.UTC) + dt.timedelta(days=365 * 50))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(f"{node_id}.dlbs")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    write_atomic(files.key, node_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()), mode=0o600)
    write_atomic(files.cert, cert.public_bytes(serialization.Encoding.PEM))
    write_atomic(files.ca, ca.public_bytes(serialization.Encoding.PEM))
    log.info("created TLS identity for node %s", node_id)
    return files


def server_context(files: TlsFiles) -> ssl.SSLContext:
    """Server side: present our certificate; verify a client certificate when one is offered.

    Client certificates are optional at the TLS layer so that `/health` stays open to anyone;
    every other route also requires the cluster credential inside TLS.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(files.cert), str(files.key))
    ctx.load_verify_locations(cafile=str(files.ca))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    return ctx


def client_context(files: TlsFiles) -> ssl.SSLContext:
    """Client side: trust only the cluster CA (not the system store) and present our certificate.

    Host names are not checked (peers are dialled by IP on a LAN); identity is the node id in the
    certificate, which the cluster CA vouches for.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cafile=str(files.ca))
    ctx.load_cert_chain(str(files.cert), str(files.key))
    return ctx
