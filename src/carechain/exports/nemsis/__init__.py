"""NEMSIS 3.5.1 EMSDataSet export, and its validator (XSD and national Schematron).

    xml = build_ems_dataset([state], Agency(...))
    result = validate(xml)        # result.ok, result.errors
"""

from carechain.exports.nemsis._build import Agency, build_ems_dataset
from carechain.exports.nemsis.validate import Validation, validate

__all__ = ["Agency", "Validation", "build_ems_dataset", "validate"]
