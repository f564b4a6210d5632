from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0004_referral_delivery_in_outbox"),
    ]

    operations = [
        migrations.RenameField("legalbasis", "name", "name_en"),
        migrations.RenameField("legalbasis", "citation", "citation_en"),
    ]
