"""Load the directory as data (``reporting/directory.py``): authorities and services,
legal bases in Spanish and English with their status and sources, platforms with the
laws they answer under, and the victims' own removal routes."""

from django.db import migrations

from reporting.directory import load_directory


def load(apps, schema_editor):
    load_directory(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0006_issue10_models"),
        ("cases", "0009_directory_fields"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
