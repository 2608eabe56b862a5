"""Channel-layer wake-ups for open thread sockets, sent after the transaction commits.

They carry ids only: a socket that hears ``messaging.new`` reads the messages after the last id it
sent from the database, so a wake-up the layer drops (past its capacity) loses nothing.
"""

from ipt.accounts.realtime import user_group
from ipt.lib import live


def thread_group(thread_id) -> str:
    return f"messaging.thread.{thread_id}"


def _send(group: str, event: dict) -> None:
    live.group_send(group, event)  # a layer that is down loses the wake-up, never the message


def message_stored(thread_id, message_id: int, recipient_ids) -> None:
    _send(thread_group(thread_id), {"type": "messaging.new", "id": message_id})
    for user_id in recipient_ids:
        _send(user_group(user_id), {"type": "notify", "kind": "message"})


def thread_read(thread_id, user_id, up_to: int) -> None:
    _send(thread_group(thread_id), {"type": "messaging.read", "user": str(user_id), "up_to": up_to})
