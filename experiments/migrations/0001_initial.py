# The experiments' models, taken over from recommendations, whose 0006 renamed their tables to these
# names: the state is created without a database operation, and their content types (hence the
# permissions granted on them, and the admin's history) move from the app label recommendations to
# experiments.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MOVED = ["experiment", "experimentarm", "experimentchange", "impression", "outcome"]


def content_types_to(old_label: str, new_label: str):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        db = schema_editor.connection.alias
        for model in MOVED:
            old = ContentType.objects.using(db).filter(app_label=old_label, model=model).first()
            if old is None:
                continue  # a new database: post_migrate creates them
            # One under the new label only exists if post_migrate made it in between; it holds no grant
            # of its own (the model was not there before), so the old one, with the grants, replaces it.
            ContentType.objects.using(db).filter(app_label=new_label, model=model).delete()
            old.app_label = new_label
            old.save(update_fields=["app_label"])

    return move


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('plans', '0003_venue_kept_while_booked'),
        ('recommendations', '0006_experiments_move_out'),
        ('venues', '0002_interaction_user_venue_idx_covers_totals'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Experiment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.SlugField(help_text='What manage.py experiment_report takes.', max_length=60, unique=True)),
                        ('description', models.TextField(blank=True)),
                        ('status', models.CharField(choices=[('draft', 'Draft'), ('running', 'Running'), ('stopped', 'Stopped')], default='draft', max_length=10)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('started_at', models.DateTimeField(blank=True, null=True)),
                        ('stopped_at', models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        'ordering': ['-created_at'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'running')), fields=('status',), name='experiment_one_running'), models.CheckConstraint(condition=models.Q(('status__in', ['draft', 'running', 'stopped'])), name='experiment_status_valid')],
                    },
                ),
                migrations.CreateModel(
                    name='ExperimentChange',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('action', models.CharField(max_length=20)),
                        ('detail', models.JSONField(default=dict)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('experiment', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='changes', to='experiments.experiment')),
                        ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='Impression',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('recommendation_id', models.UUIDField(help_text='The answer it was part of.')),
                        ('rank', models.PositiveSmallIntegerField(help_text='1 for the first venue of the list.')),
                        ('ranker', models.CharField(max_length=30)),
                        ('model_version', models.PositiveIntegerField(blank=True, null=True)),
                        ('arm', models.CharField(blank=True, help_text="The experiment's arm the user was in.", max_length=30)),
                        ('created_at', models.DateTimeField(db_index=True)),
                        ('experiment', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='impressions', to='experiments.experiment')),
                        ('plan', models.ForeignKey(blank=True, help_text="Set for a plan's group suggestions.", null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='plans.plan')),
                        ('user', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('venue', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='venues.venue')),
                    ],
                    options={
                        'ordering': ['-created_at', 'recommendation_id', 'rank'],
                    },
                ),
                migrations.CreateModel(
                    name='Outcome',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('view', 'View'), ('interest', 'Interest'), ('like', 'Like'), ('plan', 'Plan')], max_length=10)),
                        ('sent_by_client', models.BooleanField(default=False, help_text='The client named the recommendation.')),
                        ('created_at', models.DateTimeField(db_index=True)),
                        ('impression', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='outcomes', to='experiments.impression')),
                    ],
                    options={
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='ExperimentArm',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.SlugField(max_length=30)),
                        ('ranker', models.CharField(choices=[('learned', 'learned (the active model, or the pinned version)'), ('formula', 'formula'), ('popularity', 'popularity'), ('distance', 'distance')], max_length=30)),
                        ('model_version', models.PositiveIntegerField(blank=True, help_text='For the learned ranker: serve this version instead of the active one.', null=True)),
                        ('share', models.PositiveIntegerField(default=50, help_text='Relative traffic share (weights, any scale).')),
                        ('is_control', models.BooleanField(default=False, help_text='The arm the others are compared with.')),
                        ('experiment', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='arms', to='experiments.experiment')),
                    ],
                    options={
                        'ordering': ['experiment', '-is_control', 'name'],
                        'constraints': [models.UniqueConstraint(fields=('experiment', 'name'), name='experiment_arm_unique_name'), models.UniqueConstraint(condition=models.Q(('is_control', True)), fields=('experiment',), name='experiment_one_control')],
                    },
                ),
                migrations.AddIndex(
                    model_name='impression',
                    index=models.Index(fields=['venue', 'created_at'], name='impression_venue_time_idx'),
                ),
                migrations.AddIndex(
                    model_name='impression',
                    index=models.Index(fields=['user', 'venue', 'created_at'], name='impression_user_venue_idx'),
                ),
            ],
        ),
        migrations.RunPython(
            content_types_to("recommendations", "experiments"),
            content_types_to("experiments", "recommendations"),
        ),
    ]
