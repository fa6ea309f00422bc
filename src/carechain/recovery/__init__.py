"""Recovery of a lost or distrusted hub: its log rebuilt from the survivors, leaf for leaf,
with a report of what came back and what the survivors' heads prove; and independent
verification of a hub's log by anyone holding the trust's public root key, with a signed
report."""

from carechain.recovery.independent import HeadVerdict, LogVerdict, verify_log
from carechain.recovery.rebuild import BATCH, Progress, SurvivorsDisagree, rebuild_hub
from carechain.recovery.report import HeadCheck, Missing, RebuildReport
from carechain.recovery.signed import check_signed_report, load_or_make_key, sign_report
from carechain.recovery.sources import Survivor, held_heads, node_location, open_survivor

__all__ = [
    "BATCH",
    "HeadCheck",
    "HeadVerdict",
    "LogVerdict",
    "Missing",
    "Progress",
    "RebuildReport",
    "Survivor",
    "SurvivorsDisagree",
    "check_signed_report",
    "held_heads",
    "load_or_make_key",
    "node_location",
    "open_survivor",
    "rebuild_hub",
    "sign_report",
    "verify_log",
]
