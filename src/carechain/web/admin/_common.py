"""What the admin console's pages share: their guards (and the shared form wording)."""

from __future__ import annotations

from typing import Annotated

from carechain.web.shared.session import Viewer, require
from carechain.web.shared.wording import STAFF_ID, STAFF_ID_RULE, field_message

__all__ = ["STAFF_ID", "STAFF_ID_RULE", "AccountManager", "NodeAdmin", "field_message"]

NodeAdmin = Annotated[Viewer, require("node.admin")]
AccountManager = Annotated[Viewer, require("account.manage")]
