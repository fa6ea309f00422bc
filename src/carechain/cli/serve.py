"""`carechain serve`: run a node's HTTP API, with background sync and live follow."""

from __future__ import annotations

import gc
import signal
import ssl
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
import uvicorn

from carechain.accounts import AccountStore
from carechain.app import create_app
from carechain.backup.schedule import BackupScheduler, parse_interval
from carechain.cli._common import (
    CaBundleOpt,
    ClientCertOpt,
    ClientKeyOpt,
    DirOpt,
    SecretOpt,
    fail,
    handle,
    secret_or_prompt,
)
from carechain.clinical import load_formulary
from carechain.clinical.errors import ClinicalValueError
from carechain.config import Settings
from carechain.devices import MllpListener, Monitors, map_from
from carechain.errors import CarechainError
from carechain.lookup import HttpPds
from carechain.lookup.previous import PreviousCalls
from carechain.lookup.queue import LookupQueue
from carechain.node import Node
from carechain.operations import Door
from carechain.operations.door import open_accounts
from carechain.sync.loop import SyncLoop
from carechain.sync.tls import PeerTLS

if TYPE_CHECKING:
    from carechain.store.postgres import PgListener

__all__ = ["GRACE_S", "StoppingServer", "run_node", "serve"]

# How long a stopping server waits for requests still in flight before cancelling them.
GRACE_S = 3


class StoppingServer(uvicorn.Server):
    """A uvicorn server that, on SIGTERM or SIGINT, first ends every live stream and long
    poll (`on_exit`), so the node exits in seconds rather than when the last stream's
    five-minute lifetime is up."""

    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_exit = on_exit

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Wake the streams, then stop as uvicorn does."""
        self._on_exit()
        super().handle_exit(sig, frame)


def serve(
    dir: DirOpt,
    role: Annotated[
        str | None, typer.Option(help="Refuse to start unless the node has this role.")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8470,
    peer: Annotated[list[str] | None, typer.Option(help="A node to sync with (repeat).")] = None,
    live: Annotated[
        list[str] | None, typer.Option(help="A node whose live stream to follow (repeat).")
    ] = None,
    database: Annotated[
        str | None, typer.Option(help="Store URL, e.g. postgresql://… (hub, vault).")
    ] = None,
    read_replica: Annotated[
        str | None,
        typer.Option(help="A PostgreSQL streaming replica of --database to serve pull and live "
                     "reads from (hub).")
    ] = None,
    sync_interval: Annotated[float, typer.Option(help="Seconds between sync rounds.")] = 5.0,
    formulary: Annotated[
        Path | None, typer.Option(help="The trust's formulary (YAML or JSON).")
    ] = None,
    tls_cert: Annotated[Path | None, typer.Option(help="TLS certificate (PEM).")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
    tls_client_ca: Annotated[Path | None, typer.Option(
        help="Require every caller to present a certificate from this CA (mutual TLS; PEM).")
    ] = None,
    ca_bundle: CaBundleOpt = None,
    client_cert: ClientCertOpt = None,
    client_key: ClientKeyOpt = None,
    dev: Annotated[bool, typer.Option(help="Allow insecure settings on a test machine.")] = False,
    backup_every: Annotated[
        str | None, typer.Option(help="Take a backup this often, e.g. 6h, 30m, 1d.")
    ] = None,
    backup_dir: Annotated[
        Path | None, typer.Option(help="Where scheduled backups are written.")
    ] = None,
    backup_keep: Annotated[int, typer.Option(help="How many scheduled backups to keep.")] = 7,
    mllp_port: Annotated[int | None, typer.Option(
        help="Listen for monitors (IHE PCD-01, HL7 v2 over MLLP) on this port (crew nodes).")
    ] = None,
    mllp_host: Annotated[str, typer.Option(help="Address the MLLP listener binds.")] = (
        "127.0.0.1"),
    device_map: Annotated[Path | None, typer.Option(
        help="The trust's own table of monitor codes and units (YAML).")] = None,
    monitor_chunk: Annotated[float, typer.Option(
        help="Write each monitor's readings as one signed chunk this often, in seconds "
             "(0: each message's readings at once, so the hospital sees each live).")
    ] = 0.0,
    pds_url: Annotated[str | None, typer.Option(
        help="The NHS PDS FHIR API's base URL, for patient lookups (crew nodes).")] = None,
    pds_timeout: Annotated[float, typer.Option(
        help="Seconds a PDS lookup may take before it is queued.")] = 3.0,
    secret: SecretOpt = None,
) -> None:
    """Run the node's HTTP API (OpenAPI schema at /openapi.json)."""
    try:
        settings = Settings(
            data_dir=dir,
            host=host,
            port=port,
            peers=tuple(peer or ()),
            live=tuple(live or ()),
            database_url=database,
            read_replica_url=read_replica,
            sync_interval_s=sync_interval,
            formulary=formulary,
            tls_cert=tls_cert,
            tls_key=tls_key,
            tls_client_ca=tls_client_ca,
            ca_bundle=ca_bundle,
            client_cert=client_cert,
            client_key=client_key,
            dev=dev,
            backup_every_s=None if backup_every is None else parse_interval(backup_every),
            backup_dir=backup_dir,
            backup_keep=backup_keep,
            mllp_port=mllp_port,
            mllp_host=mllp_host,
            device_map=device_map,
            monitor_chunk_s=monitor_chunk,
            pds_url=pds_url,
            pds_timeout_s=pds_timeout,
        )
        PeerTLS(ca_bundle, client_cert, client_key).context()  # refuse unreadable files now
        chosen = load_formulary(formulary.read_text()) if formulary else None
        node = Node.open(
            dir,
            secret_or_prompt(secret, "operator secret"),
            store_url=settings.database_url,
            formulary=chosen,
        )
    except CarechainError as exc:
        handle(exc)
    except ClinicalValueError as exc:
        fail(f"formulary: {exc}")
    if role is not None and role != node.info.role:
        fail(f"this node's role is {node.info.role!r}, not {role!r}")
    if pds_url is not None and node.info.role != "crew":
        node.close()
        fail(f"--pds-url is for crew nodes; this node's role is {node.info.role!r}")
    if node.keys.key_id not in node.directory.certs:
        # A hub enrolled with its log empty (or re-keyed) before the rotation is imported:
        # served now, every node would refuse its heads as signed by an uncertified key.
        node.close()
        fail(
            "this node's key is not certified in its log: import its certificate first "
            "(`carechain node import`)"
        )
    run_node(node, settings)


def run_node(node: Node, settings: Settings) -> None:
    """Serve a node until interrupted, syncing in the background."""
    tls = PeerTLS(settings.ca_bundle, settings.client_cert, settings.client_key)
    loop = SyncLoop(node, settings.peers, settings.live, settings.sync_interval_s, tls=tls)
    listener = _listen_for_other_processes(node, settings)
    scheme = "https" if settings.tls_cert else "http"
    typer.echo(
        f"{node.info.role} node {node.info.name!r} on {scheme}://{settings.host}:{settings.port}"
    )
    accounts = open_accounts(settings.data_dir, node, settings.database_url)
    backups = None
    if settings.backup_every_s is not None and settings.backup_dir is not None:
        backups = BackupScheduler(node, settings.data_dir, settings.backup_dir,
                                  every_s=settings.backup_every_s, keep=settings.backup_keep)
        backups.start()
    else:
        BackupScheduler.unschedule(node)
    devices = _listen_for_monitors(node, accounts, settings)
    lookups, stop_previous = _lookups(node, settings)
    quieter_gc()
    loop.start()
    app = create_app(
        node,
        sync_loop=loop,
        accounts=accounts,
        read_replica=settings.read_replica_url,
        lookup_queue=lookups,
    )
    if devices is not None:
        app.state.monitors = devices.monitors
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        ws_per_message_deflate=False,  # entries are ciphertext: nothing to compress
        ssl_certfile=settings.tls_cert,
        ssl_keyfile=settings.tls_key,
        ssl_ca_certs=None if settings.tls_client_ca is None else str(settings.tls_client_ca),
        ssl_cert_reqs=ssl.CERT_REQUIRED if settings.tls_client_ca else ssl.CERT_NONE,
        timeout_graceful_shutdown=GRACE_S,
    )
    if threading.current_thread() is threading.main_thread():
        # uvicorn re-raises SIGTERM once it has stopped serving; as SystemExit the clean-up
        # below still runs (the default action would end the process before it).
        signal.signal(signal.SIGTERM, _terminated)
    try:
        StoppingServer(config, app.state.web.closing.close).run()
    finally:
        loop.stop()
        if backups is not None:
            backups.stop()
        if devices is not None:
            devices.stop()
        if lookups is not None:
            lookups.stop()
        if stop_previous is not None:
            stop_previous()
        accounts.close()
        if listener is not None:
            listener.stop()
        node.close()


def _listen_for_monitors(node: Node, accounts: AccountStore,
                         settings: Settings) -> MllpListener | None:
    """Start the MLLP listener for monitors when asked (crew nodes only)."""
    if settings.mllp_port is None:
        return None
    if node.info.role != "crew":
        fail(f"--mllp-port is for crew nodes; this node's role is {node.info.role!r}")
    try:
        table = map_from(settings.device_map)
    except (CarechainError, OSError) as exc:
        fail(f"device map: {exc}")
    monitors = Monitors(Door(node, accounts), chunk_s=settings.monitor_chunk_s)
    devices = MllpListener(monitors, table, host=settings.mllp_host,
                           port=settings.mllp_port)
    try:
        devices.start()
    except OSError as exc:
        fail(f"MLLP listener on {settings.mllp_host}:{settings.mllp_port}: {exc}")
    typer.echo(f"monitors (PCD-01 over MLLP) on {settings.mllp_host}:{devices.port}")
    return devices


def _lookups(node: Node, settings: Settings) -> tuple[LookupQueue | None,
                                                     Callable[[], None] | None]:
    """Start a crew node's PDS lookup retries, or a vault's answers to previous calls."""
    if node.info.role == "vault":
        return None, PreviousCalls(node).start(settings.sync_interval_s)
    if node.info.role != "crew":
        return None, None
    pds = None if settings.pds_url is None else HttpPds(
        settings.pds_url, timeout_s=settings.pds_timeout_s, max_wait_s=settings.pds_timeout_s)
    queue = LookupQueue(node, pds, retry_s=max(settings.sync_interval_s, 10.0))
    queue.start()
    return queue, None


def _terminated(sig: int, frame: FrameType | None) -> None:
    """Exit as a process ended by SIGTERM does (status 143), through `finally` blocks."""
    raise SystemExit(128 + sig)


def quieter_gc() -> None:
    """Tune Python's cyclic garbage collector for a long-running server.

    Everything loaded at start (the directory, the Merkle tree, the app) is moved out of the
    collector's sight (`gc.freeze`), and a young-generation pass runs every 50,000 net
    allocations instead of 700. Measured on a hub carrying 1,000 live streams, full
    collections over a thousand sockets' objects were a fifth of its CPU. Reference
    counting still frees nearly everything at once; only cycles wait a little longer.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def _listen_for_other_processes(node: Node, settings: Settings) -> PgListener | None:
    """Wake this process's live subscribers for entries stored by other hub processes."""
    url = settings.database_url
    if url is None or not url.startswith(("postgresql://", "postgres://")):
        return None
    from carechain.store.postgres import PgListener

    listener = PgListener(url)
    listener.start(node.notifier.notify)
    return listener
