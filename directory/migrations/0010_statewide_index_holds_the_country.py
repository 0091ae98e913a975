# The statewide block tests the country too: with it in the index, the block reads no table row.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0009_words_stored_on_postgresql'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='organization',
            name='org_statewide',
        ),
        migrations.AddIndex(
            model_name='organization',
            index=models.Index(fields=['status', 'coverage', 'country', 'state', 'name'], name='org_statewide'),
        ),
    ]
