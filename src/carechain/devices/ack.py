"""HL7 v2 acknowledgements (original mode): `AA`, `AE` with its reason, `AR`.

MSA-3 carries the reason as text; an ERR segment carries it again with HL7 table 0357's
error code and a severity (`E` refused, `W` a warning on an accepted message, such as the
codes the mapping table does not know).
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["ack"]

# HL7 table 0357: 207 application internal error, 200 unsupported message type,
# 100 segment sequence error, 103 table value not found.
_ERR = {"AR": "207^Application internal error^HL70357", "AE": "103^Table value not found^HL70357"}


def _clean(text: str) -> str:
    """Make text safe inside one HL7 field (no delimiters, no segment breaks)."""
    for ch in "|^~\\&\r\n":
        text = text.replace(ch, " ")
    return text[:200]


def ack(code: str, control_id: str, *, reason: str = "", warnings: list[str] | None = None,
        receiving_app: str = "", receiving_facility: str = "") -> bytes:
    """Return the ACK for a message with control id `control_id` (empty when unreadable)."""
    now = datetime.now(UTC).strftime("%Y%m%d%H%M%S+0000")
    ours = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    segments = [
        f"MSH|^~\\&|CARECHAIN|CARECHAIN|{receiving_app}|{receiving_facility}|{now}||"
        f"ACK^R01^ACK|{ours}|P|2.6",
        f"MSA|{code}|{_clean(control_id)}" + (f"|{_clean(reason)}" if reason else ""),
    ]
    if code != "AA" and reason:
        segments.append(f"ERR|||{_ERR.get(code, _ERR['AE'])}|E||||{_clean(reason)}")
    for warning in warnings or []:
        segments.append(f"ERR|||103^Table value not found^HL70357|W||||"
                        f"{_clean('not mapped, not stored: ' + warning)}")
    return ("\r".join(segments) + "\r").encode("utf-8")
