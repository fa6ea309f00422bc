"""The closed sets of values the entry kinds accept (`Literal` types), for the forms that
offer them: a form built from these never offers a value the schema refuses."""

from carechain.records.kinds._arrest import (
    Aetiology,
    ArrestEvent,
    ArrestLocation,
    ArrestRhythm,
    RoleCriterion,
    Witnessed,
)
from carechain.records.kinds._capacity import (
    Conclusion,
    LeftWith,
    ReferralService,
    Refused,
    SafeguardingFor,
    SignatureFormat,
    Signed,
    Signer,
)
from carechain.records.kinds._care import DoseUnit, Procedure, Route
from carechain.records.kinds._history import Consent, Severity
from carechain.records.kinds._maternity import (
    ApgarMinute,
    ApgarSign,
    BirthPresentation,
    BreathingAtBirth,
    Liquor,
    LossStage,
    Membranes,
    Presentation,
)
from carechain.records.kinds._observation import (
    Acvpu,
    EcgRhythm,
    Lead,
    OxygenDevice,
    RespiratoryDistress,
    Spo2Target,
)
from carechain.records.kinds._outcome import ImpressionCategory, PreAlertCategory, Referral
from carechain.records.kinds._patient import Sex
from carechain.records.kinds._record import ClinicianRole
from carechain.records.kinds._support import (
    AccessRoute,
    AirwayConfirmation,
    AirwayDevice,
    Co2Unit,
    Ventilation,
)
from carechain.records.kinds._survey import AirwayStatus, FindingStatus, HaemorrhageStatus
from carechain.records.kinds._trauma import (
    Destination,
    HaemorrhageMethod,
    Immobilisation,
    InjurySeverity,
    InjuryType,
    Mechanism,
    Region,
    RtcType,
    TriageCriterion,
    View,
)

__all__ = [
    "AccessRoute",
    "Acvpu",
    "Aetiology",
    "AirwayConfirmation",
    "AirwayDevice",
    "AirwayStatus",
    "ApgarMinute",
    "ApgarSign",
    "ArrestEvent",
    "ArrestLocation",
    "ArrestRhythm",
    "BirthPresentation",
    "BreathingAtBirth",
    "ClinicianRole",
    "Co2Unit",
    "Conclusion",
    "Consent",
    "Destination",
    "DoseUnit",
    "EcgRhythm",
    "FindingStatus",
    "HaemorrhageMethod",
    "HaemorrhageStatus",
    "Immobilisation",
    "ImpressionCategory",
    "InjurySeverity",
    "InjuryType",
    "Lead",
    "LeftWith",
    "Liquor",
    "LossStage",
    "Mechanism",
    "Membranes",
    "OxygenDevice",
    "PreAlertCategory",
    "Presentation",
    "Procedure",
    "Referral",
    "ReferralService",
    "Refused",
    "Region",
    "RespiratoryDistress",
    "RoleCriterion",
    "Route",
    "RtcType",
    "SafeguardingFor",
    "Severity",
    "Sex",
    "SignatureFormat",
    "Signed",
    "Signer",
    "Spo2Target",
    "TriageCriterion",
    "Ventilation",
    "View",
    "Witnessed",
]
