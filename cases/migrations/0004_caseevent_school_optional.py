"""Account changes of users in no organisation get a place in the audit chain.

``CaseEvent.school`` becomes nullable (``accounts.services``: an operator's flags, groups,
permissions, password or second factor, for an account with no membership). PostgreSQL
runs ``ALTER COLUMN ... DROP NOT NULL``: a catalogue change that rewrites no row, so the
append-only trigger (row-level, ``BEFORE UPDATE OR DELETE``) is not fired and the hashes
of the rows already there are untouched (``cases.audit_chain`` hashes ``school_id``,
``null`` for the new rows). Reversing it fails once such a row exists: audit rows are
never updated or deleted.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_audit_chain"),
    ]

    operations = [
        migrations.AlterField(
            model_name="caseevent",
            name="school",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="cases.organisation",
            ),
        ),
    ]
