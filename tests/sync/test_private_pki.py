"""Sync over the trust's own PKI: `serve --tls-client-ca` demands a client certificate, and
`sync --ca-bundle --client-cert --client-key` checks the hub against the private CA and
shows its own; without either, the connection is refused before any request is made."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from carechain.testing import Trust, make_node
from tests.sync.test_postgres_hub import _port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "operator-secret"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    path.with_suffix(".pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    path.with_suffix(".key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))


def _pki(folder: Path) -> None:
    """Write a private CA, a server certificate for 127.0.0.1 and a client certificate."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("trust CA")).issuer_name(_name("trust CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                       False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    _write(folder / "ca", ca, ca_key)
    for name, usage, san in (
        ("server", ExtendedKeyUsageOID.SERVER_AUTH,
         x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])),
        ("client", ExtendedKeyUsageOID.CLIENT_AUTH,
         x509.SubjectAlternativeName([x509.DNSName("crew-1.trust.example")])),
    ):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(ca.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(san, critical=False)
                .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    ca_key.public_key()), critical=False)
                .sign(ca_key, hashes.SHA256()))
        _write(folder / name, cert, key)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CARECHAIN_SECRET": SECRET}
    return subprocess.run([sys.executable, "-m", "carechain", *args], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_mutual_tls_with_the_trusts_own_ca(tmp_path: Path, trust: Trust) -> None:
    pki = tmp_path / "pki"
    pki.mkdir()
    _pki(pki)
    make_node(tmp_path / "hub", trust, role="hub", name="hub", secret=SECRET).close()
    make_node(tmp_path / "crew", trust, name="crew-1", secret=SECRET).close()
    port = _port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CARECHAIN_SECRET": SECRET}
    log = (tmp_path / "hub.log").open("wb")
    hub = subprocess.Popen(
        [sys.executable, "-m", "carechain", "serve", "--dir", str(tmp_path / "hub"),
         "--port", str(port), "--tls-cert", str(pki / "server.pem"),
         "--tls-key", str(pki / "server.key"), "--tls-client-ca", str(pki / "ca.pem")],
        env=env, stdout=subprocess.DEVNULL, stderr=log)
    url = f"https://127.0.0.1:{port}"
    client = (str(pki / "client.pem"), str(pki / "client.key"))
    with_cert = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    with_cert.load_cert_chain(*client)
    without_cert = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with httpx.Client(verify=with_cert) as probe:
                    if probe.get(url + "/health").status_code == 200:
                        break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "hub.log").read_text()
            time.sleep(0.2)
        # No client certificate: the handshake fails before any HTTP request is read.
        with pytest.raises(httpx.HTTPError), httpx.Client(verify=without_cert) as bare:
            bare.get(url + "/health")
        crew = ["sync", "--dir", str(tmp_path / "crew"), "--peer", url]
        untrusted = _run(*crew)  # the system's authorities do not know the trust's CA
        assert untrusted.returncode == 1 and "unreachable" in untrusted.stderr
        no_cert = _run(*crew, "--ca-bundle", str(pki / "ca.pem"))
        assert no_cert.returncode == 1
        done = _run(*crew, "--ca-bundle", str(pki / "ca.pem"), "--client-cert", client[0],
                    "--client-key", client[1])
        assert done.returncode == 0, done.stderr
        assert "hub (hub)" in done.stdout
    finally:
        hub.terminate()
        hub.wait(30)
