"""Settings: one typed object, built once from the command line, passed in; never read
from the environment at import time. Insecure choices are refused outside `--dev`."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from carechain.errors import FieldInvalid

__all__ = ["Settings"]


@dataclass(frozen=True)
class Settings:
    """How one node runs."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8470
    peers: tuple[str, ...] = ()
    live: tuple[str, ...] = ()
    database_url: str | None = None
    read_replica_url: str | None = None
    sync_interval_s: float = 5.0
    formulary: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = None
    ca_bundle: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    dev: bool = False
    backup_every_s: float | None = None
    backup_dir: Path | None = None
    backup_keep: int = 7
    mllp_port: int | None = None
    mllp_host: str = "127.0.0.1"
    device_map: Path | None = None
    monitor_chunk_s: float = 0.0
    pds_url: str | None = None
    pds_timeout_s: float = 3.0

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise FieldInvalid("port", "must be between 1 and 65535")
        if not 0.2 <= self.sync_interval_s <= 3600:
            raise FieldInvalid("sync_interval_s", "must be between 0.2 and 3600 seconds")
        for url in self.peers + self.live:
            if not url.startswith(("http://", "https://")):
                raise FieldInvalid("peers", f"{url!r} must be an http:// or https:// URL")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise FieldInvalid("tls_cert", "give both --tls-cert and --tls-key, or neither")
        if self.tls_client_ca is not None and self.tls_cert is None:
            raise FieldInvalid("tls_client_ca", "asking callers for a certificate needs TLS: "
                               "give --tls-cert and --tls-key too")
        if (self.client_cert is None) != (self.client_key is None):
            raise FieldInvalid("client_cert",
                               "give both --client-cert and --client-key, or neither")
        if self.database_url is not None and not self.database_url.startswith(
            ("postgresql://", "postgres://", "sqlite:///")
        ):
            raise FieldInvalid("database_url", "must be a postgresql:// or sqlite:/// URL")
        if self.read_replica_url is not None and not (
            self.read_replica_url.startswith(("postgresql://", "postgres://"))
            and (self.database_url or "").startswith(("postgresql://", "postgres://"))
        ):
            raise FieldInvalid(
                "read_replica_url",
                "must be a postgresql:// URL, and needs --database on PostgreSQL too",
            )
        if (self.backup_every_s is None) != (self.backup_dir is None):
            raise FieldInvalid(
                "backup_every_s", "give both --backup-every and --backup-dir, or neither"
            )
        if self.backup_every_s is not None and not 1 <= self.backup_every_s <= 30 * 86_400:
            raise FieldInvalid("backup_every_s", "must be between 1 second and 30 days")
        if not 1 <= self.backup_keep <= 10_000:
            raise FieldInvalid("backup_keep", "must be between 1 and 10000")
        if self.mllp_port is not None and not 0 < self.mllp_port < 65536:
            raise FieldInvalid("mllp_port", "must be between 1 and 65535")
        if self.device_map is not None and self.mllp_port is None:
            raise FieldInvalid("device_map", "a device map is for the MLLP listener: "
                               "give --mllp-port too")
        if self.monitor_chunk_s != 0 and not 1 <= self.monitor_chunk_s <= 600:
            raise FieldInvalid("monitor_chunk_s", "must be 0 (at once) or 1 to 600 seconds")
        if self.pds_url is not None and not self.pds_url.startswith("https://") and not (
                self.dev or self.pds_url.startswith(("http://127.0.0.1", "http://localhost"))):
            raise FieldInvalid("pds_url", "must be an https:// URL (http:// only on this "
                                          "machine, or with --dev)")
        if not 0.2 <= self.pds_timeout_s <= 30:
            raise FieldInvalid("pds_timeout_s", "must be between 0.2 and 30 seconds")
        if not self.dev and not self.loopback and self.tls_cert is None:
            raise FieldInvalid(
                "host",
                f"listening on {self.host} without TLS is refused; give --tls-cert and "
                "--tls-key, listen on 127.0.0.1, or pass --dev on a test machine",
            )

    @property
    def loopback(self) -> bool:
        """Return whether the node listens only on this machine."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False
