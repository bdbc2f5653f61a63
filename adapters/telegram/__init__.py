"""The Telegram adapter (python-telegram-bot v22)."""

import os

# Opt in to PTB's timedelta-valued time fields (RetryAfter.retry_after, timeouts) before any
# submodule imports telegram; the int-valued ones warn on every access.
os.environ.setdefault("PTB_TIMEDELTA", "true")
