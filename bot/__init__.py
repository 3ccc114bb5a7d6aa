"""Vanguard: the group chat-bot of a road-maintenance Party branch."""

import os

# python-telegram-bot 22 warns on every integer `retry_after` unless this is set; we decide
# once, for the whole process, to receive `datetime.timedelta` values.
os.environ.setdefault("PTB_TIMEDELTA", "true")

__version__ = "0.1.0"
