"""Issue 7, denials leave a trace: ``DenialEvent``, the third audit chain.

A refused access to a record that exists (the "not yours" branch of the visibility
selectors) is recorded with who asked, for what, when and from where, against the
school whose record it was (``cases.denials``). Like ``CaseEvent`` and ``AccessEvent``
it is hash-chained (``cases.audit_chain.DENIAL_EVENT_FIELDS``) and append-only: the
trigger function of migration 0003 refuses UPDATE and DELETE on the new table too.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


TRIGGER_SQL = """
CREATE TRIGGER cases_denialevent_append_only
    BEFORE UPDATE OR DELETE ON cases_denialevent
    FOR EACH ROW EXECUTE FUNCTION salvaguarda_audit_append_only();
"""
REVERSE_TRIGGER_SQL = "DROP TRIGGER IF EXISTS cases_denialevent_append_only ON cases_denialevent;"


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_caseevent_school_optional"),
    ]

    operations = [
        migrations.CreateModel(
            name="DenialEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("prev_hash", models.CharField(editable=False, max_length=64, unique=True)),
                ("row_hash", models.CharField(editable=False, max_length=64, unique=True)),
                ("actor_username", models.CharField(blank=True, editable=False, max_length=150)),
                ("actor_role", models.CharField(blank=True, editable=False, max_length=100)),
                ("object_type", models.CharField(editable=False, max_length=40)),
                ("object_id", models.BigIntegerField(editable=False)),
                ("channel", models.CharField(editable=False, max_length=10)),
                ("method", models.CharField(editable=False, max_length=10)),
                ("path", models.CharField(editable=False, max_length=300)),
                (
                    "occurred_at",
                    models.DateTimeField(default=django.utils.timezone.now, editable=False),
                ),
                ("ip", models.GenericIPAddressField(blank=True, editable=False, null=True)),
                ("request_id", models.CharField(blank=True, editable=False, max_length=64)),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "actor_organisation",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="cases.organisation",
                    ),
                ),
                (
                    "school",
                    models.ForeignKey(
                        editable=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="cases.organisation",
                    ),
                ),
            ],
            options={
                "verbose_name": "denied access",
                "verbose_name_plural": "denied accesses",
                "ordering": ["occurred_at", "id"],
                "indexes": [
                    models.Index(fields=["school", "-id"], name="denialevent_school_id"),
                    models.Index(fields=["actor", "occurred_at"], name="denialevent_actor_time"),
                ],
            },
        ),
        migrations.RunSQL(TRIGGER_SQL, REVERSE_TRIGGER_SQL),
    ]
