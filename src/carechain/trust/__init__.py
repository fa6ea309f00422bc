"""Trust and identity: the root, node certificates, revocations, secrets at rest (DESIGN §5)."""

from carechain.trust.certificate import ROLES, Certificate, CertRequest
from carechain.trust.directory import (
    DIRECTORY_RECORD,
    Directory,
    certificate_entry,
    revocation_entry,
)
from carechain.trust.keys import NodeKeys, RootKey
from carechain.trust.keystore import KdfCost, open_file, seal_file

__all__ = [
    "DIRECTORY_RECORD",
    "ROLES",
    "CertRequest",
    "Certificate",
    "Directory",
    "KdfCost",
    "NodeKeys",
    "RootKey",
    "certificate_entry",
    "open_file",
    "revocation_entry",
    "seal_file",
]
