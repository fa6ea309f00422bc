"""`carechain demo`: the whole chain on one machine, on SQLite, with a patient to follow.

A hub, two crew nodes, a hospital and a vault, with a trust, certificates and demo
accounts. The CAD sends two incidents to the hub's webhook; each is offered to its crew
over the live connection and accepted there, and the record opens prefilled: a
chest-pain case with a 12-lead ECG and a STEMI pre-alert that carries it, a simulated
monitor streaming a deteriorating patient's vital signs into it over MLLP; and a cyclist
with an open femur fracture, a tourniquet and a major-trauma pre-alert on the second crew.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from carechain.demo import chest_pain_stemi
from carechain.demo.chain import DEMO_PEOPLE, DEMO_SECRET, DemoChain
from carechain.demo.ecg import simulated_stemi_dicom
from carechain.demo.monitor import MONITOR_APP, Monitor
from carechain.demo.previous import ask_for_previous_calls, earlier_call, wait_for_vault
from carechain.demo.story import Job, play_job
from carechain.demo.trauma_case import cyclist_femur_tourniquet
from carechain.devices import MllpListener, default_map
from carechain.exports.fhir import resource_id
from carechain.operations import Actor, Door
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


def _jobs() -> list[Job]:
    """The demo's two jobs: the STEMI on the first crew, with its 12-lead, and the trauma
    on the second, both to the demo's hospital."""
    return [
        Job(chest_pain_stemi("P100234"), "crew-ambulance-412", "P100234", HOSPITAL,
            ecg=simulated_stemi_dicom()),
        Job(cyclist_femur_tourniquet("P100981"), "crew-ambulance-217", "P100981", HOSPITAL),
    ]


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
            help="Wait until the hospital has both patients, some monitor readings and the "
            "12-lead the STEMI pre-alert carries, print it, and stop."
        ),
    ] = False,
    random_ports: Annotated[
        bool, typer.Option(help="Use free ports instead of 8470-8474.")
    ] = False,
) -> None:
    """Start a hub, two crews, a hospital and a vault on SQLite, and two dispatched patients
    to follow."""
    chain = DemoChain(dir, ports={} if random_ports else PORTS,
                      announce=lambda text: typer.secho(text, bold=True))
    typer.echo(f"starting the chain in {dir} …")
    chain.start()
    monitor = listener = None
    try:
        for crew in ("crew-ambulance-412", "crew-ambulance-217"):
            wait_for_vault(chain, crew)  # the records they open are the vault's too
        # The cases' last timed steps are under 30 minutes after the call: start them 30
        # minutes ago so that no observation or time is in the future.
        base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
        record, trauma = (play_job(chain, job, base) for job in _jobs())
        _previous_call(chain, record)
        listener = _listen(chain, record, 0 if random_ports else MLLP_PORT)
        site = chain.nodes["crew-ambulance-412"]
        monitor = Monitor(("127.0.0.1", listener.port), site.node, record, "P100234")
        monitor.start()
        typer.echo("")
        _print_logins(chain)
        typer.echo("")
        typer.echo(
            f"patient record {record.hex()}: dispatched to crew-ambulance-412, accepted "
            f"there and documented, with a 12-lead ECG and a STEMI pre-alert carrying it to "
            f"{HOSPITAL}; a monitor attached to it sends vital signs every second (IHE "
            f"PCD-01 over MLLP to 127.0.0.1:{listener.port})."
        )
        typer.echo(
            f"patient record {trauma.hex()}: dispatched to crew-ambulance-217: a cyclist with "
            f"an open femur fracture, a tourniquet, injuries on the body map and a "
            f"major-trauma pre-alert."
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
                if _arrived(hospital, record, trauma):
                    break
                time.sleep(0.2)
            frames = _vitals(hospital, record)
            typer.echo(
                f"hospital has the record with {len(frames)} monitor readings; latest "
                f"HR {frames[-1]['heart_rate'] if frames else '-'}; its STEMI pre-alert "
                f"carries a 12-lead: {_pre_alert_ecg(hospital, record) is not None}; the "
                f"trauma record arrived: {_pre_alert_ecg(hospital, trauma, 'trauma')}"
            )
            if not _arrived(hospital, record, trauma):
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


def _arrived(hospital: object, record: bytes, trauma: bytes) -> bool:
    """Whether the hospital has the STEMI record with monitor readings and the 12-lead its
    pre-alert names, and the trauma record with its pre-alert."""
    return (len(_vitals(hospital, record)) >= 3
            and _pre_alert_ecg(hospital, record) is not None
            and _pre_alert_ecg(hospital, trauma, "trauma") is not None)


def _pre_alert_ecg(node: object, record: bytes, category: str = "stemi") -> object:
    """The pre-alert's ECG (for a STEMI) or its category (any other), as the node has it."""
    from carechain.errors import CarechainError
    from carechain.node import Node

    assert isinstance(node, Node)
    try:
        disposition = node.state(record)["sections"].get("disposition", {})
    except CarechainError:
        return None
    if disposition.get("pre_alert_category") != category:
        return None
    return disposition.get("pre_alert_ecg") if category == "stemi" else category


def _vitals(node: object, record: bytes) -> list[dict[str, object]]:
    from carechain.errors import CarechainError
    from carechain.node import Node

    assert isinstance(node, Node)
    try:
        return list(node.state(record)["items"].get("vitals", []))
    except CarechainError:
        return []
