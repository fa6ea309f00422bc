"""QR codes that carry a record's signed entries, and the import that checks them.

    codes = record_codes(node, record)          # bytes of each code, "n of m"
    found = read_codes([pdf_or_image_bytes])    # from a PDF, photo or scan
    import_codes(hospital_node, found)          # all checked, all stored, or nothing
"""

from carechain.exports.qr._codes import CHUNK_BYTES, HEADER, join_codes
from carechain.exports.qr._import import Imported, import_codes, record_codes
from carechain.exports.qr._read import codes_in_image, codes_in_pdf, read_codes

__all__ = [
    "CHUNK_BYTES",
    "HEADER",
    "Imported",
    "codes_in_image",
    "codes_in_pdf",
    "import_codes",
    "join_codes",
    "label",
    "read_codes",
    "record_codes",
]


def label(code: bytes) -> str:
    """Return a code's "n of m" label."""
    _, _, n, total, _ = HEADER.unpack_from(code)
    return f"{n} of {total}"
