"""API keys stored as their SHA-256 (users.Token) instead of in clear (DRF's authtoken_token).

Every key DRF stored is moved over as its digest, so it keeps signing in; then DRF's table, whose
rows were working credentials, is dropped, with its migration records (rest_framework.authtoken
is no longer installed).
"""

import datetime
import hashlib

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.utils.dateparse import parse_datetime

DRF_TABLE = "authtoken_token"


def _aware(created) -> datetime.datetime:
    if isinstance(created, str):  # SQLite hands raw columns back as text
        created = parse_datetime(created)
    if created.tzinfo is None:
        created = created.replace(tzinfo=datetime.timezone.utc)  # stored in UTC (USE_TZ)
    return created


def move_drf_keys(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if DRF_TABLE not in connection.introspection.table_names():
        return
    Token = apps.get_model("users", "Token")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {DRF_TABLE}")
        rows = cursor.fetchall()
    Token.objects.bulk_create(
        [
            Token(
                digest=hashlib.sha256(key.encode()).hexdigest(),
                prefix=key[:8],
                user_id=user_id,
                created_at=_aware(created),
            )
            for key, user_id, created in rows
        ],
        batch_size=1000,
    )
    schema_editor.execute(f"DROP TABLE {DRF_TABLE}")
    schema_editor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0003_normalize_handles"),
    ]

    operations = [
        migrations.CreateModel(
            name="Token",
            fields=[
                ("digest", models.CharField(editable=False, max_length=64, primary_key=True, serialize=False)),
                (
                    "prefix",
                    models.CharField(
                        editable=False, help_text="The key's first characters, to tell keys apart.", max_length=8
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="tokens", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["user", "-created_at"], name="token_user_newest")],
            },
        ),
        # Keys cannot be put back in clear: going back leaves them signed out.
        migrations.RunPython(move_drf_keys, migrations.RunPython.noop),
    ]
