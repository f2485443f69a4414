# An outcome's kind is one of the interaction types, or a plan (Outcome.Kind), checked by the database too.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('experiments', '0001_initial'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='outcome',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['view', 'interest', 'like', 'plan'])), name='outcome_kind_valid'),
        ),
    ]
