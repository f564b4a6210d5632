"""Issue 3, audit: the audit tables become append-only and hash-chained.

1. ``prev_hash``/``row_hash`` on ``CaseEvent`` and ``AccessEvent``; the chain of rows
   already there is computed in id order (``cases.audit_chain``), then both columns
   become unique (a forked chain cannot be stored).
2. ``AccessEvent.organisation`` (the actor's organisation) and a GIN index on
   ``case_ids`` (the access log of one case is a ``@>`` containment query).
3. A trigger refusing UPDATE and DELETE on both tables, for every database role.
   TRUNCATE is not refused: Django's ``flush`` (used between transactional tests)
   empties tables with TRUNCATE. See docs/adr/0004-audit-chain.md.
"""

import django.contrib.postgres.indexes
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLES = ("cases_caseevent", "cases_accessevent")

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION salvaguarda_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit rows are append-only'
        USING DETAIL = format('%s on %s refused', TG_OP, TG_TABLE_NAME);
END;
$$;
""" + "".join(
    f"""
CREATE TRIGGER {table}_append_only
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION salvaguarda_audit_append_only();
"""
    for table in TABLES
)

REVERSE_TRIGGER_SQL = "".join(
    f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};\n" for table in TABLES
) + "DROP FUNCTION IF EXISTS salvaguarda_audit_append_only();\n"


def chain_existing_rows(apps, schema_editor):
    """Compute the chain of the rows already there, in id order (before the trigger)."""
    from cases.audit_chain import FIELDS_BY_TABLE, GENESIS, compute_hash

    for model_name in ("CaseEvent", "AccessEvent"):
        model = apps.get_model("cases", model_name)
        fields = FIELDS_BY_TABLE[model._meta.db_table]
        prev = GENESIS
        for row in model.objects.order_by("id").iterator(chunk_size=2000):
            row.prev_hash = prev
            row.row_hash = compute_hash(prev, row, fields)
            model.objects.filter(pk=row.pk).update(prev_hash=row.prev_hash, row_hash=row.row_hash)
            prev = row.row_hash


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="accessevent",
            name="organisation",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="cases.organisation",
            ),
        ),
        migrations.AddField(
            model_name="accessevent",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="accessevent",
            name="row_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="caseevent",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="caseevent",
            name="row_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="accessevent",
            name="prev_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
        migrations.AlterField(
            model_name="accessevent",
            name="row_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="prev_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="row_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
        migrations.AlterField(
            model_name="accessevent",
            name="action",
            field=models.CharField(editable=False, max_length=40),
        ),
        migrations.AlterField(
            model_name="accessevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="accessevent",
            name="actor_role",
            field=models.CharField(blank=True, editable=False, max_length=100),
        ),
        migrations.AlterField(
            model_name="accessevent",
            name="case_ids",
            field=models.JSONField(blank=True, default=list, editable=False),
        ),
        migrations.AlterField(
            model_name="accessevent",
            name="channel",
            field=models.CharField(editable=False, max_length=10),
        ),
        migrations.AlterField(
            model_name="accessevent",
            name="ip",
            field=models.GenericIPAddressField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="accessevent",
            name="request_id",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="actor_role",
            field=models.CharField(blank=True, editable=False, max_length=20),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="case",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="cases.case",
            ),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="data",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="ip",
            field=models.GenericIPAddressField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="object_id",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="object_type",
            field=models.CharField(editable=False, max_length=40),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="request_id",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="school",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="cases.organisation",
            ),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="verb",
            field=models.CharField(editable=False, max_length=60),
        ),
        migrations.AddIndex(
            model_name="accessevent",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["case_ids"], name="accessevent_case_ids_gin"
            ),
        ),
        migrations.RunSQL(TRIGGER_SQL, REVERSE_TRIGGER_SQL),
    ]
