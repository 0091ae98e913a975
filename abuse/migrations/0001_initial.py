# RateCount, moved here from referrals: the model's state only. Its table, referrals_ratecount,
# was created by referrals 0002 and is kept as it is, rows and all.

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("referrals", "0003_reader_language"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RateCount",
                    fields=[
                        (
                            "key",
                            models.CharField(max_length=200, primary_key=True, serialize=False),
                        ),
                        ("count", models.PositiveIntegerField(default=0)),
                        ("expires", models.BigIntegerField(db_index=True)),
                    ],
                    options={"db_table": "referrals_ratecount"},
                ),
            ],
            database_operations=[],
        ),
    ]
