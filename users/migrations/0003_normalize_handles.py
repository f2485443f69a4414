"""Store every handle in its normalized spelling (NFKC + casefold), the one sign-in looks up.

Handles were unique regardless of case already, so lower-casing cannot make two collide; a
collision would mean rows that bypassed that constraint, and the migration then stops, names
them and changes nothing: rename one of each pair (`manage.py shell`) and migrate again.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict

from django.db import migrations


def _normalized(handle: str) -> str:
    # As users.validators.normalize_handle was when this migration was written.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", handle).casefold())


def normalize_handles(apps, schema_editor) -> None:
    User = apps.get_model("users", "User")
    spellings = defaultdict(list)
    for user_id, handle in User.objects.values_list("id", "handle").iterator(chunk_size=5000):
        spellings[_normalized(handle)].append((user_id, handle))
    collisions = {normal: rows for normal, rows in spellings.items() if len(rows) > 1}
    if collisions:
        listed = "; ".join(
            f"{normal!r}: " + ", ".join(f"{handle!r} ({user_id})" for user_id, handle in rows)
            for normal, rows in sorted(collisions.items())
        )
        raise RuntimeError(
            f"These handles are one handle once normalized; rename all but one of each and migrate again: {listed}"
        )
    changed = [
        User(id=user_id, handle=normal)
        for normal, rows in spellings.items()
        for user_id, handle in rows
        if handle != normal
    ]
    User.objects.bulk_update(changed, ["handle"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("users", "0002_password_changed_at")]

    operations = [migrations.RunPython(normalize_handles, migrations.RunPython.noop)]
