"""A demo conversation for `seed_demo` (demo data only): Pat asks about moving the next session,
the therapist answers. Running it again adds nothing (the messages' client ids are fixed)."""

import uuid

from ipt.accounts.models import CareTeam, User
from ipt.messaging import actions
from ipt.messaging.models import Message, Thread

SUBJECT = "Next week's session"
CONVERSATION = [
    (
        "patient@demo.test",
        "Hello, could we move next week's session to the afternoon? Sam and I have a viewing.",
    ),
    ("therapist@demo.test", "Yes, that works. I have opened Thursday at 15:00 on the Appointments page."),
    ("patient@demo.test", "Thank you, I have booked it."),
]


def seed_messages(users: dict[str, User]) -> None:
    team = CareTeam.objects.filter(patient=users.get("patient@demo.test")).first()
    if team is None:
        return
    thread = Thread.objects.filter(care_team=team).first()
    for number, (email, body) in enumerate(CONVERSATION):
        client_id = uuid.uuid5(uuid.NAMESPACE_URL, f"ipt-demo-message-{number}")
        if Message.objects.filter(client_id=client_id).exists():
            continue
        author = users[email]
        if thread is None:
            thread = actions.start_thread(
                author=author, care_team=team, subject=SUBJECT, body=body, client_id=client_id
            )
        else:
            actions.send_message(sender=author, thread=thread, client_id=client_id, body=body)
