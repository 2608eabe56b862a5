"""The actor's and the patient's own indexes go: the (actor, -at) and (patient, -at) indexes serve
their lookups, and every page view's audit row wrote a page of each (issue 7). Dropped by name, the
same on SQLite and PostgreSQL, so SQLite does not copy the whole table to change the field."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEXES = {
    "actor": "audit_auditevent_actor_id_270bb4b7",
    "patient": "audit_auditevent_patient_id_82c45eaf",
}


def _field() -> models.ForeignKey:
    return models.ForeignKey(
        blank=True,
        db_index=False,
        null=True,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to=settings.AUTH_USER_MODEL,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="auditevent", name=name, field=_field()) for name in INDEXES
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{index}"',
                    reverse_sql=f'CREATE INDEX "{index}" ON "audit_auditevent" ("{name}_id")',
                )
                for name, index in INDEXES.items()
            ],
        )
    ]
