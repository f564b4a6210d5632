"""Load the platform and authority directory (see ``reporting/directory.py``)."""

from django.db import migrations

from reporting.directory import load_directory


def load(apps, schema_editor):
    load_directory(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0001_initial"),
        ("cases", "0001_initial"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
