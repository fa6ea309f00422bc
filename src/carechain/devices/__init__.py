"""Devices on the crew network: patient monitors speaking IHE PCD-01 (HL7 v2 over MLLP).

    monitors = Monitors(door)
    listener = MllpListener(monitors, default_map(), port=2575)
    listener.start()
    monitors.attach(actor, record, "PAT_DEVICE_PHILIPS_C")   # the crew's choice

See docs/devices.md for the listener, the mapping table and the ACK rules.
"""

from carechain.devices.ack import ack
from carechain.devices.listener import MllpListener, frame
from carechain.devices.mapping import DeviceMap, default_map, load_map, map_from
from carechain.devices.pcd01 import Refused, Report, parse_report
from carechain.operations.devices import Attachment, Heard, Monitors

__all__ = [
    "Attachment",
    "DeviceMap",
    "Heard",
    "MllpListener",
    "Monitors",
    "Refused",
    "Report",
    "ack",
    "default_map",
    "frame",
    "load_map",
    "map_from",
    "parse_report",
]
