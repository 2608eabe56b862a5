"""When the therapist reads messages: their working hours from their availability (scheduling).

Outside them a patient's message gets one automatic reply that says when it will be read and
points to crisis resources, because nobody watches the inbox around the clock.
"""

from datetime import datetime, timedelta

from ipt.accounts.models import User
from ipt.scheduling.slots import working_blocks, zone_of

# How far ahead to look for the next opening (a fortnight covers holidays of normal length).
LOOKAHEAD_DAYS = 14


def is_open(therapist: User, instant: datetime) -> bool:
    day = instant.astimezone(zone_of(therapist)).date()
    return any(start <= instant < end for start, end in working_blocks(therapist, day))


def next_opening(therapist: User, instant: datetime) -> datetime | None:
    """The start of the next working block after ``instant`` (None: none in the next fortnight)."""
    day = instant.astimezone(zone_of(therapist)).date()
    for offset in range(LOOKAHEAD_DAYS + 1):
        for start, _end in working_blocks(therapist, day + timedelta(days=offset)):
            if start > instant:
                return start
    return None
