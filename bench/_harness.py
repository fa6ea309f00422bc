"""Shared plumbing for the benchmarks: ports, a hub in its own process, pouchdb-server,
sekmet-fhir, fresh PostgreSQL schemas, light node identities, a small HTTP/1.1 client and
percentiles.

Nothing here is part of carechain; every server it starts listens on 127.0.0.1 only and is
stopped by the context manager that started it, also on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from carechain.entries import Entry
from carechain.node import Node
from carechain.node.home import NodeInfo
from carechain.store import Store, Stored
from carechain.testing import Trust
from carechain.trust import NodeKeys
from carechain.trust.authority import certify
from carechain.trust.certificate import CertRequest

BENCH = Path(__file__).resolve().parent
PEERS = BENCH / ".peers"
POUCHDB_BIN = PEERS / "node_modules" / ".bin" / "pouchdb-server"
SECRET = "operator-secret"  # carechain.testing.make_node's default
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
ORG = "Example Ambulance Service NHS Trust"
HOST = "127.0.0.1"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def scratch_dir(prefix: str, *, memory: bool = False) -> Path:
    """Return a new temporary directory (in /dev/shm when `memory` and it exists)."""
    base = "/dev/shm" if memory and Path("/dev/shm").is_dir() else None
    return Path(tempfile.mkdtemp(prefix=prefix, dir=base))


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s:\n{_tail(log)}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process this module started (and its process group), by its id."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


@dataclass
class Served:
    """A server process on 127.0.0.1."""

    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid


@contextlib.contextmanager
def hub_process(node_dir: Path, *, database: str | None = None,
                log_dir: Path | None = None) -> Iterator[Served]:
    """Run `python -m carechain serve` for the node in node_dir on a free port."""
    port = free_port()
    cmd = [sys.executable, "-m", "carechain", "serve", "--dir", str(node_dir),
           "--host", HOST, "--port", str(port)]
    if database:
        cmd += ["--database", database]
    env = {**os.environ, "CARECHAIN_SECRET": SECRET}
    log = (log_dir or node_dir) / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        url = f"http://{HOST}:{port}"
        _wait_http(f"{url}/health", proc, log, 60)
        yield Served(proc, url, log)
    finally:
        _stop(proc)


def ensure_pouchdb_server() -> Path:
    """Install pouchdb-server into bench/.peers (git-ignored) if it is not there."""
    if not POUCHDB_BIN.exists():
        if shutil.which("npm") is None:
            raise RuntimeError("npm is needed to install pouchdb-server")
        print("installing pouchdb-server into bench/.peers (once; takes a few minutes) …",
              flush=True)
        subprocess.run(["npm", "install", "--prefix", str(PEERS), "--no-audit", "--no-fund",
                        "pouchdb-server"], check=True, stdout=subprocess.DEVNULL)
    return POUCHDB_BIN


@contextlib.contextmanager
def pouchdb_process(data_dir: Path, *, in_memory: bool = False) -> Iterator[Served]:
    """Run pouchdb-server on a free port with its LevelDB under data_dir."""
    binary = ensure_pouchdb_server()
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    cmd = [str(binary), "--host", HOST, "--port", str(port), "--config",
           str(data_dir / "config.json"), "--no-stdout-logs"]
    cmd += ["--in-memory"] if in_memory else ["--dir", str(data_dir)]
    log = data_dir / "pouchdb-server.out"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=data_dir, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        url = f"http://{HOST}:{port}"
        _wait_http(f"{url}/", proc, log, 60)
        yield Served(proc, url, log)
    finally:
        _stop(proc)


SEKMET_VERSION = "0.1.1"
SEKMET_VENV = PEERS / "sekmet-venv"


def ensure_sekmet() -> Path:
    """Install sekmet-fhir into its own virtualenv in bench/.peers (git-ignored) if it is not
    there (its dependencies never touch the project's environment); return its command."""
    binary = SEKMET_VENV / "bin" / "sekmet"
    if not binary.exists():
        print(f"installing sekmet-fhir {SEKMET_VERSION} into bench/.peers (once) …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(SEKMET_VENV)], check=True)
        subprocess.run([str(SEKMET_VENV / "bin" / "pip"), "install", "--quiet",
                        f"sekmet-fhir=={SEKMET_VERSION}"], check=True)
    return binary


@contextlib.contextmanager
def sekmet_process(data_dir: Path, *, token: str) -> Iterator[Served]:
    """Run sekmet-fhir's FHIR server on a free port, data under data_dir, accepting one static
    bearer token; inbound validation, its simulator and its traffic log off (its own advice
    for load runs), so it serves reads as fast as it can."""
    binary = ensure_sekmet()
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir / "settings.yaml"
    config.write_text(
        f"base_url: http://{HOST}:{port}/fhir\nhost: {HOST}\nport: {port}\n"
        f"data_dir: {data_dir}\nown_private_key_path: {data_dir / 'sekmet_private.pem'}\n"
        f"server_auth: {{types: [bearer], tokens: [{token}]}}\n"
        "validation: {inbound: 'off'}\nsimulator: {enabled: false}\nlog_inbound: false\n"
    )
    cmd = [str(binary), "serve", "--config", str(config), "--host", HOST, "--port", str(port)]
    log = data_dir / "sekmet.out"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=data_dir, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        url = f"http://{HOST}:{port}"
        _wait_http(f"{url}/fhir/metadata", proc, log, 90)
        yield Served(proc, url, log)
    finally:
        _stop(proc)


@contextlib.contextmanager
def pg_schema(base_url: str) -> Iterator[str]:
    """Create a fresh schema and yield a store URL selecting it; drop it afterwards."""
    from carechain.store.postgres import create_schema, drop_schema

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    sep = "&" if "?" in base_url else "?"
    url = f"{base_url}{sep}options=-csearch_path%3D{schema}"
    create_schema(url)
    try:
        yield url
    finally:
        drop_schema(url)


# --- light identities ----------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """A certified node key pair without a node directory (for simulated peers)."""

    name: str
    role: str
    keys: NodeKeys
    cert_entry: Entry


def certified(trust: Trust, *, name: str, role: str) -> Identity:
    """Return fresh keys certified by the trust for a role."""
    keys = NodeKeys.generate()
    body = {"name": name, "role": role, "org": ORG, "sig_key": keys.sign_public,
            "box_key": keys.box_public}
    from carechain.entries import canonical

    request = CertRequest(signature=keys.sign(canonical.encode(body)), **body)  # type: ignore[arg-type]
    _, entry = certify(trust.root, request, not_before_ms=int(time.time() * 1000) - 60_000,
                       days=30)
    return Identity(name, role, keys, entry)


def light_node(trust: Trust, ident: Identity, store: Store, directory: Sequence[Entry]) -> Node:
    """Return a Node for an identity over the given store, knowing the given certificates."""
    info = NodeInfo(name=ident.name, role=ident.role, org=ORG, root_public=trust.root.public.hex())
    node = Node(info=info, keys=ident.keys, store=store)
    node.ingest([ident.cert_entry, *directory])
    return node


class RecordCache:
    """A Store wrapper that answers `record()` from memory (the log is append-only).

    Used only to *generate* load quickly: `Node.append` reads the whole record three
    times per entry (see docs/benchmarks.md), which a benchmark that writes thousands of
    entries a second into long records cannot afford. Entries written through it are the
    same as without it; every other call goes to the real store.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._records: dict[bytes, list[Stored]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def record(self, record: bytes) -> list[Stored]:
        cached = self._records.get(record)
        if cached is None:
            cached = self._records[record] = self._store.record(record)
        return list(cached)

    def append(
        self, entries: Sequence[Entry], meta: Sequence[tuple[str, bytes]] = ()
    ) -> list[tuple[int, bool]]:
        out = self._store.append(entries, meta)
        for entry, (seq, new) in zip(entries, out, strict=True):
            cached = self._records.get(entry.header.record)
            if new and cached is not None:
                cached.append(Stored(seq, entry))
        return out


# --- a small HTTP/1.1 client (asyncio streams, keep-alive) -----------------------------


class HttpConnection:
    """One keep-alive HTTP/1.1 connection: cheap enough to simulate many devices at once."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"",
                      headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """Send one request and return (status, body); retry once on a stale keep-alive."""
        reused = self._writer is not None
        try:
            return await self._request(method, path, body, headers)
        except (ConnectionError, asyncio.IncompleteReadError):
            await self.close()
            if not reused:
                raise
            return await self._request(method, path, body, headers)

    async def _request(self, method: str, path: str, body: bytes,
                       headers: dict[str, str] | None) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length, chunked, close = 0, False, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            key = name.strip().lower()
            if key == b"content-length":
                length = int(value)
            elif key == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif key == b"connection" and value.strip().lower() == b"close":
                close = True
        if chunked:
            data = bytearray()
            while True:
                size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
                data += await self._reader.readexactly(size + 2)
                if size == 0:
                    break
                del data[-2:]
            payload = bytes(data)
        else:
            payload = await self._reader.readexactly(length)
        if close:
            await self.close()
        return status, payload

    async def close(self) -> None:
        """Close the connection."""
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(Exception):
                await self._writer.wait_closed()
        self._reader = self._writer = None


# --- figures -----------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Return the p-th percentile (nearest rank) of already sorted values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summary_ms(values_s: Sequence[float]) -> dict[str, float]:
    """Return n, p50, p95, p99 and max of latencies given in seconds, in milliseconds."""
    v = sorted(x * 1000 for x in values_s)
    return {"n": len(v), "p50": percentile(v, 50), "p95": percentile(v, 95),
            "p99": percentile(v, 99), "max": v[-1] if v else math.nan}


def fmt_summary(s: dict[str, float]) -> str:
    """Return a latency summary as one line."""
    return (f"n={int(s['n'])}  p50={s['p50']:.1f} ms  p95={s['p95']:.1f} ms  "
            f"p99={s['p99']:.1f} ms  max={s['max']:.1f} ms")


def cpu_seconds(pid: int, *, system_only: bool = False) -> float:
    """Return the CPU time (user + system, all threads) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[12]) if system_only else int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    """Return the 1, 5 and 15-minute load averages (other work skews every figure)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def machine() -> str:
    """Return a one-line description of this machine and how busy it is."""
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (f"{os.cpu_count()} CPUs ({cpu}), Python {sys.version.split()[0]}, "
            f"load average {load_average()}")
