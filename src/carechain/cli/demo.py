"""`carechain demo`: the whole chain on one machine, on SQLite, with a patient to follow.

A hub, two crew nodes, a hospital and a vault, with a trust, certificates and demo
accounts; a chest-pain case documented on one crew with a STEMI pre-alert to the hospital,
and a simulated monitor streaming a deteriorating patient's vital signs into it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from carechain.demo import chest_pain_stemi
from carechain.demo.chain import DEMO_PEOPLE, DEMO_SECRET, DemoChain
from carechain.demo.monitor import MONITOR_APP, Monitor
from carechain.demo.previous import ask_for_previous_calls, earlier_call, wait_for_vault
from carechain.devices import MllpListener, default_map
from carechain.exports.fhir import resource_id
from carechain.operations import Actor, Door, records
from carechain.operations.devices import Monitors

__all__ = ["demo"]

PORTS = {
    "crew-ambulance-412": 8470,
    "hub": 8471,
    "crew-ambulance-217": 8472,
    "hospital-essex-cardiothoracic": 8473,
    "vault-records": 8474,
}
HOSPITAL = "hospital-essex-cardiothoracic"
MLLP_PORT = 2575  # the first crew's monitor listener
PATHS = {"crew": "/crew", "hospital": "/hospital", "hub": "/admin", "vault": "/admin"}


def _document(chain: DemoChain) -> bytes:
    """Play the chest-pain case on the first crew, addressed to the hospital, through the
    door as its paramedic (each entry checked and audited as if typed on the tablet)."""
    site = chain.nodes["crew-ambulance-412"]
    crew = site.node
    door = Door(crew, site.accounts)
    person = site.accounts.person("P100234")
    assert person is not None
    paramedic = Actor.person(person, "cli")
    deadline = time.monotonic() + 30
    while not [c for c in crew.directory.nodes("hospital") if c.name == HOSPITAL]:
        if time.monotonic() > deadline:
            raise typer.Exit(1)
        time.sleep(0.1)  # the crew learns of the hospital through the hub
    case = chest_pain_stemi()
    with door.unit() as uow:
        record, _ = records.open_record(door, paramedic, uow, data=case.opened)
    # The case's last timed step is 29 minutes after the call: start it 30 minutes ago so
    # that no observation or time is in the future (a future set would become "latest").
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    for kind, data in case.at(base):
        if kind == "disposition.recorded":
            data = {
                **data,
                "hospital_node": HOSPITAL,
                "eta": (base + timedelta(minutes=55)).isoformat(),
            }
        with door.unit() as uow:
            records.append(door, paramedic, uow, record=record, kind=kind, data=data)
    return record


def _previous_call(chain: DemoChain, record: bytes) -> None:
    """The patient's earlier call on the other crew, and the first crew's request for it."""
    patient = dict(next(d for k, d in chest_pain_stemi().steps if k == "patient.recorded"))
    earlier = earlier_call(chain, patient)
    there = ask_for_previous_calls(chain, record, earlier)
    typer.echo(f"previous call {earlier.hex()} (crew-ambulance-217, three weeks ago) "
               + ("is on crew-ambulance-412: see the record's 'Patient lookup and previous "
                  "calls' page" if there else "was asked for; it reaches crew-ambulance-412 "
                  "when the vault has answered"))


def _listen(chain: DemoChain, record: bytes, port: int) -> MllpListener:
    """Start the first crew's monitor listener and attach the demo monitor to the record,
    as its paramedic would on the device."""
    site = chain.nodes["crew-ambulance-412"]
    # Each message's readings written at once, as `serve` does by default: the hospital's
    # chart moves with every reading while someone watches the demo.
    monitors = Monitors(Door(site.node, site.accounts), chunk_s=0.0)
    listener = MllpListener(monitors, default_map(), port=port)
    listener.start()
    if site.app is not None:
        site.app.state.monitors = monitors  # the crew app's Monitor page lists it
    person = site.accounts.person("P100234")
    assert person is not None
    monitors.attach(Actor.person(person, "web"), record, MONITOR_APP)
    return listener


def _print_logins(chain: DemoChain) -> None:
    for name, (role, people) in DEMO_PEOPLE.items():
        n = chain.nodes[name]
        typer.secho(f"{role:9} {name:32} {n.url}{PATHS[role]}", bold=True)
        for p in people:
            kind = "PIN" if role == "crew" else "password"
            line = f"    {p.role:13} staff id {p.staff_id:8} {kind} {p.secret!r}"
            if p.staff_id in n.totp:
                line += f"  + TOTP secret {n.totp[p.staff_id]} (any authenticator app)"
            typer.echo(line)


def demo(
    dir: Annotated[Path, typer.Option("--dir", help="Where the demo keeps its nodes.")] = Path(
        "var/demo"
    ),
    once: Annotated[
        bool,
        typer.Option(
            help="Wait until the hospital has the patient and some monitor readings, print it, "
            "and stop."
        ),
    ] = False,
    random_ports: Annotated[
        bool, typer.Option(help="Use free ports instead of 8470-8474.")
    ] = False,
) -> None:
    """Start a hub, two crews, a hospital and a vault on SQLite, and a patient to follow."""
    chain = DemoChain(dir, ports={} if random_ports else PORTS,
                      announce=lambda text: typer.secho(text, bold=True))
    typer.echo(f"starting the chain in {dir} …")
    chain.start()
    monitor = listener = None
    try:
        wait_for_vault(chain, "crew-ambulance-412")  # its records are the vault's too
        record = _document(chain)
        _previous_call(chain, record)
        listener = _listen(chain, record, 0 if random_ports else MLLP_PORT)
        site = chain.nodes["crew-ambulance-412"]
        monitor = Monitor(("127.0.0.1", listener.port), site.node, record, "P100234")
        monitor.start()
        typer.echo("")
        _print_logins(chain)
        typer.echo("")
        typer.echo(
            f"patient record {record.hex()}: documented on crew-ambulance-412 with a "
            f"STEMI pre-alert to {HOSPITAL}; a monitor attached to it sends vital signs "
            f"every second (IHE PCD-01 over MLLP to 127.0.0.1:{listener.port})."
        )
        typer.echo("Open the crew app and the hospital dashboard to follow the patient.")
        typer.echo(
            f"To see an outage, stop the hub from its admin console ({chain.nodes['hub'].url}"
            "/admin, 'Demo: a hub outage'): it comes back by itself."
        )
        typer.echo(
            f"Every node's operator secret is {DEMO_SECRET!r}: with the demo stopped, run a "
            f"node by hand with `carechain serve --dir {dir}/<node> --secret {DEMO_SECRET}`."
        )
        crew_dir = Path(dir) / "crew-ambulance-412"
        for fmt, out in (("fhir", "record.json"), ("nemsis", "ems.xml"), ("pdf", "handover.pdf")):
            typer.echo(f"  export: CARECHAIN_SECRET={DEMO_SECRET!r} carechain export {fmt} "
                       f"--dir {crew_dir} --staff-id P100234 --record {record.hex()} --out {out}")
        hospital_dir = Path(dir) / HOSPITAL
        document = resource_id(record.hex(), "document")
        typer.echo(f"  FHIR API: CARECHAIN_SECRET={DEMO_SECRET!r} carechain token issue --dir "
                   f"{hospital_dir} --name 'FHIR client' --staff ED4411 --expires 12h")
        typer.echo(f"            curl -H 'Authorization: Bearer <token>' "
                   f"{chain.nodes[HOSPITAL].url}/fhir/Bundle/{document}")
        hospital = chain.nodes[HOSPITAL].node
        if once:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if len(_vitals(hospital, record)) >= 3:
                    break
                time.sleep(0.2)
            frames = _vitals(hospital, record)
            typer.echo(
                f"hospital has the record with {len(frames)} monitor readings; latest "
                f"HR {frames[-1]['heart_rate'] if frames else '-'}"
            )
            if len(frames) < 3:
                raise typer.Exit(1)
            return
        typer.echo("Press Ctrl-C to stop.")
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        if monitor is not None:
            monitor.stop()
        if listener is not None:
            listener.stop()
        chain.stop()


def _vitals(node: object, record: bytes) -> list[dict[str, object]]:
    from carechain.errors import CarechainError
    from carechain.node import Node

    assert isinstance(node, Node)
    try:
        return list(node.state(record)["items"].get("vitals", []))
    except CarechainError:
        return []
