# The rate-limit counter moved to the abuse app; its table stays as it is.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0003_reader_language"),
        ("abuse", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="RateCount")],
            database_operations=[],
        ),
    ]
