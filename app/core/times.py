"""Times from outside (an imported chat's dates) kept within what every platform can show.

A chat dated year 1, or 9999-12-31 east of UTC, has no local time on this machine: Python's
`datetime.fromtimestamp` raises for it (and Windows' C library refuses anything before 1970 or
after 3000), and one such chat made `chats list` fail for every chat. Imported times are
clamped to `EARLIEST`..`LATEST`, and every local time the app shows goes through
`local_datetime`, which clamps too, so a bad value already in a history shows as a date at the
edge of the range instead of failing.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

EARLIEST = 86_400.0  # 1970-01-02 UTC: after the epoch in every time zone
LATEST = 32_503_593_600.0  # 2999-12-31 UTC: Windows' localtime ends with the year 3000


def clamp_time(timestamp: float) -> float:
    """`timestamp` moved into `EARLIEST`..`LATEST` (NaN becomes `EARLIEST`)."""
    if math.isnan(timestamp):
        return EARLIEST
    return min(max(timestamp, EARLIEST), LATEST)


def local_datetime(timestamp: float) -> datetime:
    """The local time of `timestamp`, clamped into the range every platform can show."""
    return datetime.fromtimestamp(clamp_time(timestamp))


def utc_datetime(timestamp: float) -> datetime:
    return datetime.fromtimestamp(clamp_time(timestamp), tz=timezone.utc)
