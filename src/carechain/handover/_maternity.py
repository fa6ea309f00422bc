"""The handover's words for a pregnancy, a labour, a birth and a newborn.

A pregnant woman: 'pregnant 38+2 weeks, G3 P2'; her labour: 'contractions 4 in 10 min
lasting 60 s (14:20), membranes ruptured 13:10, meconium-stained liquor'; her blood loss
and any postpartum haemorrhage; each birth with the time and the baby's own record. A
newborn: 'newborn, born 14:32 (8 min ago); mother's record 1a2b3c4d' and the Apgar
scores. Everything is read from the record's maternity summary (`state["maternity"]`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from carechain.handover._read import mapping, number, text
from carechain.handover._words import clock, clock_and_relative, quantity, say

_PPH = {"minor": "minor PPH", "moderate": "major PPH", "severe": "major PPH"}


def _summary(state: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping(state.get("maternity"))


def short_id(record: object) -> str:
    """Return the first 8 characters of a record id, as the crew and hospital quote it."""
    return str(record)[:8]


def gestation(pregnancy: Mapping[str, Any]) -> str | None:
    """Return '38+2 weeks', or None when the gestation is not recorded."""
    weeks = number(pregnancy.get("gestation_weeks"))
    if weeks is None:
        return None
    days = number(pregnancy.get("gestation_days"))
    return f"{quantity(weeks)}+{quantity(days)} weeks" if days is not None else (
        f"{quantity(weeks)} weeks")


def gravida_para(pregnancy: Mapping[str, Any]) -> str | None:
    """Return 'G3 P2' (either alone when only one is recorded), or None."""
    gravida, para = number(pregnancy.get("gravida")), number(pregnancy.get("para"))
    words = [f"G{quantity(gravida)}" if gravida is not None else None,
             f"P{quantity(para)}" if para is not None else None]
    return " ".join(w for w in words if w) or None


def pregnancy(state: Mapping[str, Any]) -> str | None:
    """Return 'pregnant 38+2 weeks, G3 P2, twins expected, booked at X', or None."""
    found = mapping(_summary(state).get("pregnancy"))
    if not found:
        return None
    words = ["pregnant" + (f" {g}" if (g := gestation(found)) else "")]
    words += [gp for gp in (gravida_para(found),) if gp]
    babies = number(found.get("babies_expected"))
    if babies is not None and babies > 1:
        words.append("twins expected" if babies == 2 else f"{quantity(babies)} babies expected")
    unit = text(found.get("booked_unit"))
    if unit:
        words.append(f"booked at {unit}")
    complications = text(found.get("complications"))
    if complications:
        words.append(f"complications: {complications.rstrip('.')}")
    return ", ".join(words)


def labour(state: Mapping[str, Any], now: datetime) -> str | None:
    """Return the latest labour assessment as a crew says it, or None."""
    found = mapping(_summary(state).get("labour"))
    if not found:
        return None
    words = []
    count = number(found.get("contractions_per_10_min"))
    if count is not None:
        line = f"contractions {quantity(count)} in 10 min"
        seconds = number(found.get("contraction_duration_s"))
        if seconds is not None:
            line += f" lasting {quantity(seconds)} s"
        words.append(line + (f" ({c})" if (c := clock(found.get("assessed_at"), now)) else ""))
    membranes = text(found.get("membranes"))
    if membranes == "ruptured":
        at = clock(found.get("membranes_ruptured_at"), now)
        words.append("membranes ruptured" + (f" {at}" if at else ""))
        liquor = say(found.get("liquor"))
        if liquor:
            words.append(f"{liquor} liquor")
    elif membranes == "intact":
        words.append("membranes intact")
    part = text(found.get("presenting_part"))
    if part == "cord-visible":
        words.append("CORD VISIBLE")
    elif part in ("breech", "limb"):
        words.append(f"{part} presenting")
    words += [w for w, key in (("urge to push", "urge_to_push"), ("crowning", "crowning"))
              if found.get(key) is True]
    return "labour: " + ", ".join(words) if words else None


def blood_loss(state: Mapping[str, Any]) -> str | None:
    """Return 'estimated blood loss 1200 ml postpartum (major PPH)', or None."""
    found = mapping(_summary(state).get("blood_loss"))
    stages = mapping(found.get("stages"))
    if not stages:
        return None
    parts = [f"{quantity(ml)} ml {stage}" for stage in ("antepartum", "intrapartum",
                                                        "postpartum")
             if (ml := number(stages.get(stage))) is not None]
    line = "estimated blood loss " + ", ".join(parts)
    pph = _PPH.get(str(found.get("pph")))
    return line + (f" ({pph})" if pph else "")


def births(state: Mapping[str, Any], now: datetime) -> str | None:
    """Return each birth: 'baby born 14:32 (20 min ago), cephalic, cried at birth, placenta
    delivered 14:45; baby's record 1a2b3c4d'."""
    lines = []
    for birth in _summary(state).get("births") or []:
        found = mapping(birth)
        when = clock_and_relative(found.get("born_at"), now) or "time not recorded"
        words = [f"baby born {when}"]
        words += [w for w in (say(found.get("presentation")),) if w]
        breathing = text(found.get("breathing_at_birth"))
        if breathing:
            words.append({"crying": "cried at birth", "breathing": "breathing at birth",
                          "not-breathing": "NOT BREATHING at birth"}.get(breathing, breathing))
        if found.get("resuscitation") is True:
            words.append("newborn resuscitation given")
        if found.get("placenta_delivered") is True:
            at = clock(found.get("placenta_delivered_at"), now)
            words.append("placenta delivered" + (f" {at}" if at else ""))
        elif found.get("placenta_delivered") is False:
            words.append("placenta NOT delivered")
        record = text(found.get("baby_record"))
        line = ", ".join(words)
        lines.append(line + (f"; baby's record {short_id(record)}" if record else ""))
    return "; ".join(lines) or None


def _mother(state: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """Return the link to the mother's record, on a baby's record, or None."""
    links = (mapping(x) for x in _summary(state).get("links") or [])
    return next((x for x in links if x.get("relation") == "mother"), None)


def mother_link(state: Mapping[str, Any]) -> str | None:
    """Return "mother's record 1a2b3c4d" for a baby's record, or None."""
    found = _mother(state)
    return None if found is None else f"mother's record {short_id(found.get('record'))}"


def newborn(state: Mapping[str, Any], now: datetime) -> str | None:
    """Return 'newborn, born 14:32 (8 min ago)' for a baby's record (born when the link to
    its mother was written, at the birth), or None."""
    found = _mother(state)
    if found is None:
        return None
    when = clock_and_relative(found.get("linked_at"), now)
    return "newborn" + (f", born {when}" if when else "")


def apgar(state: Mapping[str, Any]) -> str | None:
    """Return 'Apgar 7 at 1 min, 9 at 5 min', or None."""
    scores = [mapping(s) for s in _summary(state).get("apgar") or []]
    if not scores:
        return None
    return "Apgar " + ", ".join(f"{quantity(s.get('total'))} at {quantity(s.get('minute'))} min"
                                for s in scores)


def maternity_card(state: Mapping[str, Any], now: datetime) -> dict[str, Any] | None:
    """Return what a hospital's patient card shows of a pregnancy, a birth or a newborn, in
    the handover's words, or None when the record holds none of them."""
    summary = _summary(state)
    if not summary:
        return None
    found = mapping(summary.get("pregnancy"))
    births_found = [
        {"record": text(b.get("baby_record")), "short": short_id(b.get("baby_record")),
         "words": births({"maternity": {"births": [b]}}, now)}
        for b in map(mapping, summary.get("births") or [])
    ]
    mother = _mother(state)
    return {
        "gestation": gestation(found),
        "obstetric": gravida_para(found),
        "booked_unit": text(found.get("booked_unit")),
        "complications": text(found.get("complications")),
        "labour": labour(state, now),
        "blood_loss": blood_loss(state),
        "births": births_found,
        "mother": None if mother is None else {"record": text(mother.get("record")),
                                               "short": short_id(mother.get("record")),
                                               "born": clock_and_relative(
                                                   mother.get("linked_at"), now)},
        "apgar": [{"minute": s.get("minute"), "total": s.get("total"), "band": say(s.get("band")),
                   "signs": s.get("signs")} for s in map(mapping, summary.get("apgar") or [])],
    }
