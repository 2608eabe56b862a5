"""Default crisis resources; practice admins edit them on the crisis-lines page."""

import uuid

from django.db import migrations

EU_EMERGENCY = ["AT", "BE", "DE", "DK", "ES", "FI", "FR", "IE", "IT", "NL", "PL", "PT", "SE"]

CRISIS = [
    # country, name, phone, text, url, notes, priority
    ("US", "988 Suicide & Crisis Lifeline", "988", "988", "https://988lifeline.org", "Call or text, any time.", 10),
    ("GB", "Samaritans", "116 123", "", "https://www.samaritans.org", "Free, any time.", 10),
    ("IE", "Samaritans", "116 123", "", "https://www.samaritans.ie", "Free, any time.", 10),
    ("CA", "9-8-8 Suicide Crisis Helpline", "988", "988", "https://988.ca", "Call or text, any time.", 10),
    ("AU", "Lifeline", "13 11 14", "0477 13 11 14", "https://www.lifeline.org.au", "Any time.", 10),
]
EMERGENCY = [
    ("US", "Emergency services", "911"),
    ("CA", "Emergency services", "911"),
    ("GB", "Emergency services", "999"),
    ("AU", "Emergency services", "000"),
] + [(code, "Emergency services", "112") for code in EU_EMERGENCY]


def seed(apps, schema_editor):
    CrisisLine = apps.get_model("safety", "CrisisLine")
    rows = [
        CrisisLine(
            id=uuid.uuid4(),
            kind="crisis",
            country=country,
            name=name,
            phone=phone,
            text=text,
            url=url,
            notes=notes,
            priority=priority,
        )
        for country, name, phone, text, url, notes, priority in CRISIS
    ]
    rows += [
        CrisisLine(
            id=uuid.uuid4(),
            kind="emergency",
            country=country,
            name=name,
            phone=phone,
            notes="If you are in danger now.",
            priority=50,
        )
        for country, name, phone in EMERGENCY
    ]
    rows.append(
        CrisisLine(
            id=uuid.uuid4(),
            kind="fallback",
            country="",
            name="Your local emergency number",
            notes="Call your local emergency number or go to the nearest emergency department.",
            priority=100,
        )
    )
    CrisisLine.objects.bulk_create(rows)


def unseed(apps, schema_editor):
    apps.get_model("safety", "CrisisLine").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("safety", "0002_crisis_lines_and_safety_plan")]

    operations = [migrations.RunPython(seed, unseed)]
