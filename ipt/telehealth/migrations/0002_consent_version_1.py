"""Version 1 of the telehealth consent, in plain language. Later versions are published by an admin."""

from django.db import migrations

TITLE = "Consent to therapy by video"

BODY = """\
This explains how therapy by video works at IPT Online, so that you can decide whether it is right for you. Please read it before your first video session. If anything is unclear, ask your therapist: you can sign later.

What video sessions are
Your sessions take place in your web browser, on a computer, tablet or phone with a camera and a microphone. You and your therapist see and hear each other, as in a meeting in person. You can also type short messages to each other during the session. The therapy is the same therapy you would have in person; only the room is different.

Privacy
The video and sound go directly between your device and your therapist's wherever possible, and are encrypted on the way. Only you and your therapist can join your session. We never record sessions: no video, no sound. Your therapist writes a session note, as they would after any session, and the messages you type during a session are kept with your record. Please do not record the session yourself without talking to your therapist first.
Your privacy also depends on where you are. Please join from a place where nobody can overhear you, and use headphones if you can. Your therapist will also be somewhere private.

What video therapy cannot do
IPT Online is not an emergency service, and it is not watched around the clock. If you are in danger or might harm yourself, call your local emergency number or go to the nearest emergency department. You will find crisis lines under "Crisis help" at the top of every page.
Technology can fail. If the call drops, stay where you are: the page tries to reconnect by itself. If it cannot, your therapist will call you on the phone number you gave when you joined. If you cannot be reached, your therapist may use the address you gave to get help to you, if they are worried about your safety.
That is why, at the start of every video session, you will be asked where you are (country, region and address) and for a phone number to call back. Your therapist needs this each time, because help in an emergency has to be sent to where you actually are, and because your therapist may only practise in the places where they are licensed.

Your rights
You can ask questions about video therapy at any time. You can ask to meet in another way if video does not suit you, and your therapist will talk through what is possible. You can see your record and ask for it to be corrected. Taking part in video sessions is your choice.

How to withdraw
You can withdraw this consent at any time, by telling your therapist or by writing to the practice. Withdrawing will not affect any other care you receive. Sessions that have already taken place and the notes about them remain part of your record, as the law requires.

By typing your name and ticking the box below, you say that you have read and understood this, and that you agree to have therapy sessions by video."""


def publish_version_1(apps, schema_editor):
    ConsentDocument = apps.get_model("telehealth", "ConsentDocument")
    if not ConsentDocument.objects.filter(version=1).exists():
        ConsentDocument.objects.create(version=1, title=TITLE, body=BODY)


def remove_version_1(apps, schema_editor):
    ConsentDocument = apps.get_model("telehealth", "ConsentDocument")
    ConsentDocument.objects.filter(version=1, signatures__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("telehealth", "0001_initial")]

    operations = [migrations.RunPython(publish_version_1, remove_version_1)]
