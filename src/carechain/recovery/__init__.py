"""Recovery of a lost or distrusted hub: its log rebuilt from the survivors, leaf for leaf,
and a report of what came back and what the survivors' heads prove."""

from carechain.recovery.rebuild import BATCH, Progress, SurvivorsDisagree, rebuild_hub
from carechain.recovery.report import HeadCheck, Missing, RebuildReport
from carechain.recovery.sources import Survivor, open_survivor

__all__ = [
    "BATCH",
    "HeadCheck",
    "Missing",
    "Progress",
    "RebuildReport",
    "Survivor",
    "SurvivorsDisagree",
    "open_survivor",
    "rebuild_hub",
]
