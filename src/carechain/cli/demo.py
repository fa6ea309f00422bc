"""`carechain demo`: a trust and a crew node on SQLite, a patient case played through the API."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import httpx
import typer
import uvicorn

from carechain.api import create_app
from carechain.demo import chest_pain_stemi, play_case, render_state
from carechain.node import Node, NodeHome
from carechain.testing import make_node, make_trust

__all__ = ["demo"]

DEMO_SECRET = "demo-only-secret"


def _crew(root: Path) -> Node:
    crew_dir = root / "crew"
    if NodeHome(crew_dir).info_file.exists():
        return Node.open(crew_dir, DEMO_SECRET)
    trust = make_trust(root / "trust", DEMO_SECRET)
    vault = make_node(root / "vault", trust, role="vault", name="vault-records",
                      secret=DEMO_SECRET)
    crew = make_node(crew_dir, trust, role="crew", name="crew-ambulance-412", secret=DEMO_SECRET)
    crew.ingest([s.entry for s in vault.store.since(0, 100)])
    vault.close()
    return crew


def demo(
    dir: Annotated[Path, typer.Option("--dir", help="Where the demo keeps its nodes.")] = Path(
        "var/demo"
    ),
    port: Annotated[int, typer.Option(help="Port of the crew node's API.")] = 8470,
    once: Annotated[bool, typer.Option(help="Play the case, print it, and stop.")] = False,
) -> None:
    """Start a crew node on SQLite and document a realistic chest-pain case through its API."""
    node = _crew(dir)
    server = uvicorn.Server(uvicorn.Config(create_app(node), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise typer.Exit(1)
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    typer.echo(f"crew node {node.info.name!r} ({node.info.org}) on {url}  (API docs: {url}/docs)")
    with httpx.Client(base_url=url, timeout=10) as client:
        base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
        record = play_case(client, chest_pain_stemi(), base=base, user="P100234")
        typer.echo(render_state(client.get(f"/records/{record}").json()))
        verified = client.get(f"/records/{record}/verify").json()
        typer.echo(f"verify: {'every entry verifies' if verified['ok'] else verified['findings']}")
        typer.echo(f"record: {url}/records/{record}   history: {url}/records/{record}/history")
    if not once:
        typer.echo("the crew node keeps running; press Ctrl-C to stop")
        try:
            while thread.is_alive():
                thread.join(0.5)
        except KeyboardInterrupt:
            pass
    server.should_exit = True
    thread.join(5)
    node.close()
