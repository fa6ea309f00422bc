"""NEMSIS 3.5.1 code values for carechain's fields (enumerations of the EMSDataSet XSDs)."""

from __future__ import annotations

NOT_APPLICABLE = "7701001"  # NV: the element does not apply to this record (a UK record)
NOT_RECORDED = "7701003"  # NV: carechain holds no value for it
NO_KNOWN_DRUG_ALLERGY = "8801013"  # PN
NONE_REPORTED = "8801015"  # PN

YES, NO = "9923003", "9923001"  # YesNoValues

SEX = {"female": "9919001", "male": "9919003", "unknown": "9919005", "other": "9919005"}
AVPU = {"A": "3326001", "C": "3326003", "V": "3326003", "P": "3326005", "U": "3326007"}
ROUTES = {
    "IV": "9927023", "IO": "9927021", "IM": "9927015", "SC": "9927045", "PO": "9927035",
    "SL": "9927047", "buccal": "9927003", "IN": "9927017", "neb": "9927071",
    "inhaled": "9927009", "PR": "9927043", "topical": "9927049",
}
DOSE_UNITS = {
    "mg": "3706021", "mcg": "3706015", "g": "3706001", "ml": "3706025", "units": "3706049",
    "L/min": "3706035", "puffs": "3706043", "drops": "3706033", "mmol": "3706029",
    "sprays": "3706029", "tablets": "3706029",
}
RHYTHMS = {
    "sinus-rhythm": "9901047", "sinus-tachycardia": "9901049", "sinus-bradycardia": "9901045",
    "sinus-arrhythmia": "9901043", "atrial-fibrillation": "9901007",
    "atrial-flutter": "9901009", "svt": "9901059", "junctional": "9901019",
    "first-degree-heart-block": "9901011", "second-degree-heart-block-type-1": "9901013",
    "second-degree-heart-block-type-2": "9901015", "third-degree-heart-block": "9901017",
    "paced": "9901033", "vt": "9901069", "vf": "9901067", "asystole": "9901003",
    "pea": "9901035", "other": "9901031",
}
# STEMI territory (carechain.clinical.stemi) -> the NEMSIS STEMI rhythm finding.
STEMI_TERRITORY = {
    "inferior": "9901053", "anterior": "9901051", "lateral": "9901055",
    "posterior": "9901057", "septal": "9901058",
}
PRE_ALERT = {
    "stemi": "4224013", "stroke": "4224015", "trauma": "4224017", "sepsis": "4224019",
    "cardiac-arrest": "4224005", "other": "4224009",
}
# Dispatch complaint is free text in carechain; the impression category picks the reason.
DISPATCH_REASON = {
    "cardiac-chest-pain": "2301021", "non-cardiac-chest-pain": "2301021", "stemi": "2301021",
    "arrhythmia": "2301041", "cardiac-arrest": "2301019", "stroke": "2301067",
    "seizure": "2301025", "sepsis": "2301061", "respiratory": "2301013",
    "anaphylaxis": "2301003", "diabetic-emergency": "2301027",
    "overdose-poisoning": "2301053", "abdominal": "2301001", "obstetric": "2301057",
    "fall": "2301033", "trauma": "2301073", "mental-health": "2301059", "other": "2301051",
}
# Impression category -> ICD-10-CM code for the provider's primary impression.
IMPRESSION_ICD10 = {
    "cardiac-chest-pain": "R07.9", "non-cardiac-chest-pain": "R07.89", "stemi": "I21.3",
    "arrhythmia": "I49.9", "cardiac-arrest": "I46.9", "stroke": "I63.9", "seizure": "R56.9",
    "sepsis": "A41.9", "respiratory": "R06.00", "anaphylaxis": "T78.2XXA",
    "overdose-poisoning": "T50.901A", "abdominal": "R10.9", "trauma": "T14.90XA",
    "mental-health": "F99",
}
# Procedure choice -> SNOMED CT procedure code (eProcedures.03 is SNOMED CT). Only codes
# checked against SNOMED CT are listed; any other procedure is sent as Not Recorded and
# named in the narrative, for a trust's terminology team to extend.
PROCEDURES = {"airway-ett": "112798008", "cpr": "89666000"}
# Signing clinician's role -> eCrew.02 member level.
CREW_LEVEL = {
    "paramedic": "9925007", "specialist-paramedic": "9925007", "advanced-paramedic": "9925033",
    "technician": "9925005", "emergency-care-assistant": "9925003",
    "student-paramedic": "9925031", "nurse": "9925043", "doctor": "9925027",
    "other": "9925023",
}
CAREGIVER_LEVEL = {
    "9925007": "9905007", "9925033": "9905031", "9925005": "9905005", "9925003": "9905003",
    "9925031": "9905029", "9925043": "9905041", "9925027": "9905025", "9925023": "9905019",
}
MEDICATION_CODE_RXNORM = "9924003"  # CodeType: RxNorm
# Formulary drug name -> RxNorm ingredient (RXCUI): NEMSIS codes medications in RxNorm.
RXNORM = {
    "adrenaline": "3992", "amiodarone": "703", "aspirin": "1191",
    "glyceryl trinitrate": "4917", "morphine": "7052", "paracetamol": "161",
    "ondansetron": "26225", "salbutamol": "435", "ipratropium bromide": "7213",
    "naloxone": "7242", "benzylpenicillin": "7980", "glucagon": "4832", "ibuprofen": "5640",
    "tranexamic acid": "10691", "oxygen": "7806",
}

# eArrest (cardiac arrest, the Utstein elements), from the enumerations of eArrest_v3.xsd.
# Utstein "medical" is NEMSIS's presumed cardiac cause; "unknown" is not recorded.
AETIOLOGY = {
    "medical": "3002001", "trauma": "3002015", "drug-overdose": "3002005",
    "drowning": "3002003", "electrocution": "3002007", "asphyxia": "3002013",
}
# An arrest the ambulance crew witnessed is witnessed by a healthcare provider.
WITNESSED = {"unwitnessed": "3004001", "bystander": "3004007", "ambulance-crew": "3004005"}
FIRST_RHYTHM = {
    "asystole": "3011001", "pea": "3011005", "aed-non-shockable": "3011007",
    "aed-shockable": "3011009", "vf": "3011011", "pvt": "3011013",
}
ARREST_END = {"rosc": "3018007", "resuscitation-stopped": "3018003",
              "life-extinct": "3018003"}
# eArrest.16: the reason resuscitation stopped, first match wins: a DNACPR or ReSPECT form
# (DNR), the ROLE signs of death (Obvious Signs of Death), a senior clinician's decision
# (Medical Control Order), the JRCALC termination criteria (Protocol/Policy Requirements
# Completed).
STOPPED_BECAUSE: tuple[tuple[str, frozenset[str]], ...] = (
    ("3016001", frozenset({"valid-dnacpr-or-respect"})),
    ("3016005", frozenset({"massive-cranial-destruction", "hemicorporectomy", "decomposition",
                           "incineration", "hypostasis", "rigor-mortis"})),
    ("3016003", frozenset({"senior-clinician-decision"})),
    ("3016009", frozenset({"asystole-after-20-minutes-als", "no-reversible-causes"})),
)
# eInjury.02 mechanism (Blunt, Burn, Other, Penetrating).
MECHANISM = {"rtc": "2902001", "fall": "2902001", "crush": "2902001", "assault": "2902001",
             "penetrating": "2902007", "blast": "2902005", "other": "2902005"}
# eInjury.03, high risk for serious injury (2021 national field triage guidelines, as
# NEMSIS 3.5.1 lists them): only the criteria that say the same thing. GCS 13 or less has
# no current equivalent (its code is deprecated) and goes in the narrative; systolic BP
# below 90 is coded for ages 10 to 64 only, as its code says.
HIGH_RISK = {
    "amputation-proximal-to-wrist-or-ankle": "2903001",
    "crushed-degloved-or-mangled-limb": "2903003",
    "chest-wall-deformity-or-flail": "2903005",
    "open-or-depressed-skull-fracture": "2903009",
    "suspected-pelvic-fracture": "2903013",
    "penetrating-head-neck-torso-or-proximal-limb": "2903015",
    "two-or-more-proximal-long-bone-fractures": "2903021",
    "respiratory-rate-below-10-or-above-29": "2903037",
    "new-paralysis": "2903039",
}
# eInjury.04, moderate risk: a fall over 6 m is over 10 ft; a high-energy RTC and the
# clinician's judgement are the crew's judgement.
MODERATE_RISK = {
    "fall-over-6-metres": "2904031", "burns-with-trauma": "2904027",
    "high-energy-rtc": "2904023", "clinician-judgement": "2904023",
}
# eAirway.03 device being confirmed, eAirway.04 how.
AIRWAY_DEVICE = {"ett": "4003003", "lma": "4003011", "igel": "4003013", "surgical": "4003001"}
CONFIRMATION = {
    "waveform-capnography": "4004019", "colorimetric": "4004005", "auscultation": "4004001",
    "chest-rise": "4004021", "visualised": "4004017",
}
