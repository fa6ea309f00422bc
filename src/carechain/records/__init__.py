"""Records: typed entry bodies, the fold into clinical state, amendments and conflicts."""

from carechain.records.state import build_state

__all__ = ["build_state"]
