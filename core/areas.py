"""Where a customer is: an address in the countryside (村, 乡, 屯, 组, 队; not a 小区's 组) gets the 95598 rural
arrival time. One rule for the form that decides whether to ask and for the ticket clock."""
from __future__ import annotations

import re

_RURAL_ADDRESS = re.compile(r"村|乡|屯|[^小]组|队")


def is_rural_address(address: str | None) -> bool:
    return bool(_RURAL_ADDRESS.search(address or ""))
