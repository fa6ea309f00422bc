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
