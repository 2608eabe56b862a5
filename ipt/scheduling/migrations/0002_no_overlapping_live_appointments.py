"""PostgreSQL: no two live appointments of one therapist may overlap (btree_gist exclusion).

Not a model constraint because SQLite has no such thing; there booking serialises writes
(IMMEDIATE transactions) and checks for overlap inside the transaction.
"""

from django.db import migrations

LIVE = "('proposed', 'booked', 'arrived')"

CREATE = f"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE scheduling_appointment ADD CONSTRAINT appointment_no_overlap
    EXCLUDE USING gist (therapist_id WITH =, tstzrange("start", "end", '[)') WITH &&)
    WHERE (status IN {LIVE});
"""
DROP = "ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appointment_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
