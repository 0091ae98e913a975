# The blocks read in name order end their indexes with the id: PostgreSQL then reads them in
# their exact order (name, id) and stops at the limit, instead of reading a name's groups whole.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0011_cause_points'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='organization',
            name='org_national',
        ),
        migrations.RemoveIndex(
            model_name='organization',
            name='org_coverage_name',
        ),
        migrations.RemoveIndex(
            model_name='organization',
            name='org_statewide',
        ),
        migrations.AddIndex(
            model_name='organization',
            index=models.Index(fields=['status', 'coverage', 'country', 'state', 'name', 'id'], name='org_statewide'),
        ),
        migrations.AddIndex(
            model_name='organization',
            index=models.Index(fields=['status', 'coverage', 'country', 'name', 'id'], name='org_national'),
        ),
        migrations.AddIndex(
            model_name='organization',
            index=models.Index(fields=['status', 'coverage', 'name', 'id'], name='org_coverage_name'),
        ),
    ]
