"""Rules that tie fields together, within one entry and across a merged section."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from carechain.errors import FieldInvalid, UnknownKind
from carechain.records.kinds import INCIDENT_TIMES, check_section, validate_body

T = "2024-05-01T14:32:00+01:00"
ORDER = (
    "times must be in order call_received ≤ mobile ≤ on_scene ≤ patient_contact ≤ "
    "left_scene ≤ at_hospital ≤ handover ≤ clear"
)


def refused(kind: str, data: object) -> FieldInvalid:
    """Return the FieldInvalid validate_body raises for `data`."""
    with pytest.raises(FieldInvalid) as info:
        validate_body(kind, data)
    return info.value


def section_refused(section: str, merged: dict[str, Any]) -> FieldInvalid:
    """Return the FieldInvalid check_section raises for `merged`."""
    with pytest.raises(FieldInvalid) as info:
        check_section(section, merged)
    return info.value


# --- incident times ---------------------------------------------------------------------


def test_times_out_of_order_in_one_entry_names_both() -> None:
    err = refused(
        "incident.recorded",
        {"mobile": "2024-05-01T10:07:00+01:00", "on_scene": "2024-05-01T10:05:00+01:00"},
    )
    assert err.field == "data.on_scene"
    assert err.rule == f"on_scene (10:05) is before mobile (10:07); {ORDER}"


def test_times_compared_as_instants_across_offsets() -> None:
    # 09:05Z is 10:05 in BST: before mobile at 10:07 BST.
    err = refused(
        "incident.recorded",
        {"mobile": "2024-05-01T10:07:00+01:00", "on_scene": "2024-05-01T09:05:00Z"},
    )
    assert err.rule.startswith("on_scene (10:05) is before mobile (10:07);")
    # 09:10Z is 10:10 BST: in order.
    assert validate_body(
        "incident.recorded",
        {"mobile": "2024-05-01T10:07:00+01:00", "on_scene": "2024-05-01T09:10:00Z"},
    )


def test_times_skip_gaps() -> None:
    err = refused(
        "incident.recorded",
        {"call_received": "2024-05-01T10:00:00+01:00", "clear": "2024-05-01T09:59:00+01:00"},
    )
    assert err.field == "data.clear"
    assert err.rule.startswith("clear (09:59) is before call_received (10:00);")


def test_times_across_midnight_show_dates() -> None:
    err = refused(
        "incident.recorded",
        {"call_received": "2024-05-01T23:58:00+01:00", "mobile": "2024-04-30T23:59:00+01:00"},
    )
    assert err.rule.startswith(
        "mobile (2024-04-30 23:59) is before call_received (2024-05-01 23:58)"
    )


def test_equal_times_allowed_and_full_sequence_valid() -> None:
    data = {name: f"2024-05-01T10:{i:02d}:00+01:00" for i, name in enumerate(INCIDENT_TIMES)}
    data["mobile"] = data["call_received"]
    assert validate_body("incident.recorded", data)


def test_merged_incident_times_checked_across_entries() -> None:
    first = validate_body("incident.recorded", {"mobile": "2024-05-01T10:07:00+01:00"})
    second = validate_body("incident.recorded", {"on_scene": "2024-05-01T10:05:00+01:00"})
    err = section_refused("incident", {**first, **second})
    assert err.field == "data.on_scene"
    assert err.rule == f"on_scene (10:05) is before mobile (10:07); {ORDER}"
    check_section("incident", {**first, "on_scene": "2024-05-01T09:20:00+00:00"})


def test_location_needs_both_coordinates() -> None:
    err = refused("incident.recorded", {"location": {"lat": 53.5}})
    assert (err.field, err.rule) == ("data.location.lon", "is required")


# --- observations ---------------------------------------------------------------------


def test_scale_2_without_target_refused() -> None:
    err = refused("observation.recorded", {"taken_at": T, "spo2": 90, "spo2_scale": 2})
    assert err.field == "data.spo2_scale"
    assert "88-92" in err.rule


def test_scale_2_with_other_target_refused() -> None:
    data = {"taken_at": T, "spo2": 90, "spo2_scale": 2, "spo2_target": "94-98"}
    assert refused("observation.recorded", data).field == "data.spo2_scale"


def test_scale_2_with_target_accepted() -> None:
    data = {"taken_at": T, "spo2": 90, "spo2_scale": 2, "spo2_target": "88-92"}
    assert validate_body("observation.recorded", data)["spo2_scale"] == 2


@pytest.mark.parametrize(("diastolic", "ok"), [(119, True), (120, False), (121, False)])
def test_diastolic_below_systolic(diastolic: int, ok: bool) -> None:
    data = {"taken_at": T, "systolic_bp": 120, "diastolic_bp": diastolic}
    if ok:
        assert validate_body("observation.recorded", data)
    else:
        err = refused("observation.recorded", data)
        assert err.field == "data.diastolic_bp"
        assert err.rule.startswith("must be lower than systolic_bp")


def test_diastolic_needs_systolic() -> None:
    err = refused("observation.recorded", {"taken_at": T, "diastolic_bp": 80})
    assert (err.field, err.rule) == ("data.diastolic_bp", "needs systolic_bp in the same entry")


@pytest.mark.parametrize("oxygen", [None, False])
@pytest.mark.parametrize(
    ("field", "value"), [("oxygen_flow_l_min", 2), ("oxygen_device", "nasal-cannula")]
)
def test_oxygen_details_only_on_oxygen(oxygen: bool | None, field: str, value: object) -> None:
    data: dict[str, Any] = {"taken_at": T, "spo2": 95, field: value}
    if oxygen is not None:
        data["oxygen"] = oxygen
    err = refused("observation.recorded", data)
    assert (err.field, err.rule) == (f"data.{field}", "is only recorded when oxygen is true")
    assert validate_body("observation.recorded", {**data, "oxygen": True})


@pytest.mark.parametrize(
    ("parts", "missing"),
    [
        ({"gcs_eye": 4}, "gcs_verbal"),
        ({"gcs_eye": 4, "gcs_verbal": 5}, "gcs_motor"),
        ({"gcs_motor": 6}, "gcs_eye"),
    ],
)
def test_gcs_all_or_none(parts: dict[str, int], missing: str) -> None:
    err = refused("observation.recorded", {"taken_at": T, **parts})
    assert err.field == f"data.{missing}"
    assert "all three" in err.rule


def test_observation_needs_a_measurement() -> None:
    for data in ({"taken_at": T}, {"taken_at": T, "spo2_target": "94-98"}):
        err = refused("observation.recorded", data)
        assert err.field == "data"
        assert "at least one measurement" in err.rule
    assert validate_body("observation.recorded", {"taken_at": T, "acvpu": "C"})


def test_twelve_lead_leads() -> None:
    ok = {"taken_at": T, "twelve_lead": {"st_elevation_leads": ["V1", "V9", "aVL", "V4R"]}}
    assert validate_body("observation.recorded", ok)
    bad = {"taken_at": T, "twelve_lead": {"st_elevation_leads": ["II", "V10"]}}
    assert refused("observation.recorded", bad).field == "data.twelve_lead.st_elevation_leads.1"
    twice = {"taken_at": T, "twelve_lead": {"st_elevation_leads": ["II", "II"]}}
    err = refused("observation.recorded", twice)
    assert (err.field, err.rule) == (
        "data.twelve_lead.st_elevation_leads",
        "must not list the same lead twice",
    )


# --- patient --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("9434765919", "9434765919"),
        ("943 476 5919", "9434765919"),
        (" 943 476 5919 ", "9434765919"),
        ("4010232137", "4010232137"),
        # first nine digits give remainder 0: check digit 11 becomes 0
        ("1000000060", "1000000060"),
    ],
)
def test_nhs_number_valid(value: str, stored: str) -> None:
    # A number given without its verification status has not been traced: 02.
    assert validate_body("patient.recorded", {"nhs_number": value}) == {
        "nhs_number": stored, "nhs_number_status": "02"}


def test_nhs_number_status_takes_exactly_the_uk_core_codes() -> None:
    from typing import get_args

    from carechain.clinical.nhs_number import VERIFICATION_STATUS
    from carechain.records.kinds._patient import NhsNumberStatus

    assert get_args(NhsNumberStatus) == tuple(VERIFICATION_STATUS)


@pytest.mark.parametrize("status", ["01", "02", "03", "04", "05", "06", "07", "08"])
def test_nhs_number_status_every_uk_core_code(status: str) -> None:
    body = {"nhs_number": "9434765919", "nhs_number_status": status}
    assert validate_body("patient.recorded", body) == body


@pytest.mark.parametrize(("body", "field"), [
    ({"nhs_number": "9434765919", "nhs_number_status": "09"}, "data.nhs_number_status"),
    ({"nhs_number": "9434765919", "nhs_number_status": 1}, "data.nhs_number_status"),
    ({"nhs_number_status": "01"}, "data.nhs_number"),  # a status of a number not given
    ({"nhs_number_status": "05"}, "data.nhs_number"),
])
def test_nhs_number_status_refused(body: dict[str, object], field: str) -> None:
    with pytest.raises(FieldInvalid) as err:
        validate_body("patient.recorded", body)
    assert err.value.field == field


@pytest.mark.parametrize("status", ["03", "04", "06", "07", "08"])
def test_nhs_number_status_without_a_number(status: str) -> None:
    assert validate_body("patient.recorded", {"nhs_number_status": status}) == {
        "nhs_number_status": status}


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("9434765918", "check digit should be 9, not 8"),
        ("9434765910", "check digit should be 9, not 0"),
        # first nine digits give check digit 10: no valid number starts with them
        ("1000000010", "check digit computes to 10: not a valid NHS number"),
        ("943476591", "must be 10 digits, not 9"),
        ("94347659190", "must be 10 digits, not 11"),
        ("943-476-5919", "must contain only digits and spaces"),
        ("94347659l9", "must contain only digits and spaces"),
        ("９４３４７６５９１９", "must contain only digits and spaces"),
        ("9434 765 919", "spaces are allowed only as 3-3-4 (e.g. 943 476 5919)"),
    ],
)
def test_nhs_number_invalid(value: str, rule: str) -> None:
    err = refused("patient.recorded", {"nhs_number": value})
    assert (err.field, err.rule) == ("data.nhs_number", rule)


def test_nhs_number_must_be_text() -> None:
    err = refused("patient.recorded", {"nhs_number": 9434765919})
    assert (err.field, err.rule) == ("data.nhs_number", "must be text")


def test_date_of_birth_rules() -> None:
    today = datetime.now(UTC).date()
    assert validate_body("patient.recorded", {"date_of_birth": today.isoformat()})
    future = (today + timedelta(days=2)).isoformat()
    err = refused("patient.recorded", {"date_of_birth": future})
    assert (err.field, err.rule) == ("data.date_of_birth", "must not be in the future")
    err = refused("patient.recorded", {"date_of_birth": "1899-12-31"})
    assert err.field == "data.date_of_birth"
    for bad in ("2001-02-30", "01/02/2001", "2001-02-03T00:00:00Z"):
        assert refused("patient.recorded", {"date_of_birth": bad}).field == "data.date_of_birth"


def test_date_of_birth_and_estimate_not_in_one_entry() -> None:
    err = refused("patient.recorded", {"date_of_birth": "1990-01-01", "estimated_age_years": 30})
    assert err.field == "data.estimated_age_years"
    # Across entries the known date of birth simply replaces the estimate.
    check_section("patient", {"date_of_birth": "1990-01-01", "estimated_age_years": 30})


def test_known_patient_needs_a_name_once_merged() -> None:
    assert validate_body("patient.recorded", {"unknown_patient": False}) == {
        "unknown_patient": False
    }
    err = section_refused("patient", {"unknown_patient": False, "sex": "male"})
    assert err.field == "data.family_name"
    check_section("patient", {"unknown_patient": False, "family_name": "Dent"})
    check_section("patient", {"unknown_patient": True, "sex": "male"})
    check_section("patient", {"sex": "male"})


@pytest.mark.parametrize(
    ("value", "stored"), [("sw1a1aa", "SW1A 1AA"), ("M1 1AE", "M1 1AE"), ("bl14aa", "BL1 4AA")]
)
def test_postcode_normalised(value: str, stored: str) -> None:
    assert validate_body("patient.recorded", {"postcode": value}) == {"postcode": stored}


@pytest.mark.parametrize("value", ["12345", "SW1A", "SW1A 1AAA", "Q1 1AA1"])
def test_postcode_refused(value: str) -> None:
    err = refused("patient.recorded", {"postcode": value})
    assert (err.field, err.rule) == ("data.postcode", "must be a UK postcode, e.g. SW1A 1AA")


def test_next_of_kin() -> None:
    err = refused("patient.recorded", {"next_of_kin": {}})
    assert err.field == "data.next_of_kin"
    err = refused("patient.recorded", {"next_of_kin": {"phone": "call me"}})
    assert err.field == "data.next_of_kin.phone"


# --- history --------------------------------------------------------------------------


def test_allergies_and_no_known_allergies_refused() -> None:
    data = {"allergies": [{"substance": "penicillin"}], "no_known_allergies": True}
    err = refused("history.recorded", data)
    assert err.field == "data.no_known_allergies"
    assert validate_body("history.recorded", {"allergies": [], "no_known_allergies": True})
    # across entries too
    err = section_refused("history", data)
    assert err.field == "data.no_known_allergies"


def test_allergy_needs_substance() -> None:
    err = refused("history.recorded", {"allergies": [{"reaction": "rash"}]})
    assert (err.field, err.rule) == ("data.allergies.0.substance", "is required")


def test_safeguarding_and_capacity() -> None:
    err = refused("history.recorded", {"safeguarding": {"concerns": True}})
    assert err.field == "data.safeguarding.details"
    err = refused("history.recorded", {"capacity": {"has_capacity": False}})
    assert err.field == "data.capacity.assessment"
    assert validate_body("history.recorded", {"safeguarding": {"concerns": False}})


def test_consent_choices() -> None:
    for value in ("given", "refused", "implied", "not-applicable"):
        assert validate_body("history.recorded", {"consent": value})
    assert refused("history.recorded", {"consent": "yes"}).field == "data.consent"


# --- disposition ----------------------------------------------------------------------

NOT_CONVEYED = {
    "outcome": "not-conveyed",
    "referral": "gp",
    "safety_netting": "Call 999 if pain returns",
    "decision_by": "p.jones",
}


def test_not_conveyed_needs_safety_netting_and_decision_by() -> None:
    assert validate_body("disposition.recorded", NOT_CONVEYED)
    for name in ("safety_netting", "decision_by"):
        data = {k: v for k, v in NOT_CONVEYED.items() if k != name}
        err = refused("disposition.recorded", data)
        assert (err.field, err.rule) == (f"data.{name}", "is required when outcome is not-conveyed")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hospital", "Royal Bolton"),
        ("hospital_node", "rbh"),
        ("eta", T),
        ("pre_alert", False),
        ("requirements", "resus"),
    ],
)
def test_not_conveyed_refuses_conveyance_fields(field: str, value: object) -> None:
    err = refused("disposition.recorded", {**NOT_CONVEYED, field: value})
    assert (err.field, err.rule) == (f"data.{field}", "is only recorded when outcome is conveyed")


@pytest.mark.parametrize("field", ["referral", "safety_netting", "decision_by"])
def test_conveyed_refuses_not_conveyed_fields(field: str) -> None:
    data = {"outcome": "conveyed", field: NOT_CONVEYED[field]}
    err = refused("disposition.recorded", data)
    assert err.field == f"data.{field}"


def test_pre_alert_category_rules() -> None:
    err = refused("disposition.recorded", {"pre_alert": True})
    assert err.field == "data.pre_alert_category"
    err = refused("disposition.recorded", {"pre_alert": False, "pre_alert_category": "stroke"})
    assert err.field == "data.pre_alert_category"
    assert validate_body(
        "disposition.recorded", {"pre_alert": True, "pre_alert_category": "stroke"}
    )


def test_merged_disposition_change_of_outcome() -> None:
    conveyed = validate_body("disposition.recorded", {"outcome": "conveyed", "hospital": "RBH"})
    change = validate_body("disposition.recorded", NOT_CONVEYED)
    err = section_refused("disposition", {**conveyed, **change})
    assert err.field == "data.hospital"
    # clearing the hospital with an explicit null makes the change consistent
    cleared = validate_body("disposition.recorded", {**NOT_CONVEYED, "hospital": None})
    check_section("disposition", {**conveyed, **cleared})


# --- sign-off and procedures ----------------------------------------------------------

SIGNED = {
    "clinician_name": "Pat Jones",
    "clinician_role": "paramedic",
    "registration": "PA123456",
    "signed_at": T,
    "declaration": True,
}


@pytest.mark.parametrize(
    ("registration", "ok"),
    [("PA123456", True), ("pa 12345", True), ("PA1234", False), ("XX123456", False)],
)
def test_paramedic_registration(registration: str, ok: bool) -> None:
    data = {**SIGNED, "registration": registration}
    if ok:
        out = validate_body("record.signed", data)
        assert out["registration"] == registration.replace(" ", "").upper()
    else:
        assert refused("record.signed", data).field == "data.registration"


def test_paramedic_needs_registration_technician_does_not() -> None:
    data = {k: v for k, v in SIGNED.items() if k != "registration"}
    assert refused("record.signed", data).field == "data.registration"
    assert validate_body("record.signed", {**data, "clinician_role": "technician"})


def test_declaration_must_be_true() -> None:
    err = refused("record.signed", {**SIGNED, "declaration": False})
    assert err.field == "data.declaration"


def test_other_procedure_needs_details() -> None:
    data = {"procedure": "other", "performed_at": T, "performed_by": "p.jones"}
    assert refused("procedure.performed", data).field == "data.details"
    assert validate_body("procedure.performed", {**data, "details": "Cervical collar"})


@pytest.mark.parametrize("staff", ["p jones", "", "x" * 65, "-x"])
def test_staff_ids(staff: str) -> None:
    data = {"procedure": "cpr", "performed_at": T, "performed_by": staff}
    assert refused("procedure.performed", data).field == "data.performed_by"


# --- check_section --------------------------------------------------------------------


def test_check_section_multi_sections_pass() -> None:
    check_section("observations", {})


def test_check_section_unknown_section() -> None:
    with pytest.raises(UnknownKind):
        check_section("no-such-section", {})


def test_check_section_refuses_bad_values() -> None:
    err = section_refused("patient", {"weight_kg": 400.0})
    assert err.field == "data.weight_kg"
