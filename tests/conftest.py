"""Settings every test shares."""

from __future__ import annotations

import os

# PTB 22 warns when it builds RetryAfter unless this opt-in is set, and warnings are errors here.
os.environ.setdefault("PTB_TIMEDELTA", "1")
