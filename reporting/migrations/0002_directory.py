"""Loaded the platform and authority directory; since issue 10 the directory's fields
changed, so the load moved to ``0005_directory_as_data`` (this step does nothing, as
the historical models here lack the new fields)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0001_initial"),
        ("cases", "0001_initial"),
    ]

    operations = []
