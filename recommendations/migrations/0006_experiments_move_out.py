# The experiments' models move to the experiments app (its 0001 takes them over): their tables are
# renamed to experiments_* here, rows, ids, indexes and constraints kept, and the models leave this
# app's state without a database operation.

from django.db import migrations

MOVED = ["experiment", "experimentarm", "experimentchange", "impression", "outcome"]


class Migration(migrations.Migration):

    dependencies = [
        ('recommendations', '0005_help_texts_without_markup'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name=name, table=f"experiments_{name}") for name in MOVED
            ],
            state_operations=[
                migrations.RemoveField(
                    model_name='experimentchange',
                    name='experiment',
                ),
                migrations.RemoveField(
                    model_name='impression',
                    name='experiment',
                ),
                migrations.RemoveField(
                    model_name='experimentchange',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='impression',
                    name='plan',
                ),
                migrations.RemoveField(
                    model_name='impression',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='impression',
                    name='venue',
                ),
                migrations.RemoveField(
                    model_name='outcome',
                    name='impression',
                ),
                migrations.DeleteModel(
                    name='ExperimentArm',
                ),
                migrations.DeleteModel(
                    name='Experiment',
                ),
                migrations.DeleteModel(
                    name='ExperimentChange',
                ),
                migrations.DeleteModel(
                    name='Impression',
                ),
                migrations.DeleteModel(
                    name='Outcome',
                ),
            ],
        ),
    ]
