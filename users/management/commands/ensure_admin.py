"""Make sure a staff account exists so the admin can be opened on a fresh install."""

from __future__ import annotations

import secrets

from django.core.management.base import BaseCommand

from users.models import User
from users.validators import normalize_handle


class Command(BaseCommand):
    help = "Create the staff account HANDLE (default: admin) with a fresh random password, once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--handle", default="admin")

    def handle(self, *args, handle: str, **options) -> None:
        if User.objects.filter(handle=normalize_handle(handle)).exists():
            self.stdout.write(
                f"Staff account '{handle}' already exists (its password was printed when it was created); "
                f"to set a new one: .venv/bin/python manage.py changepassword {handle}"
            )
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(handle, password, name="Luna administrator")
        self.stdout.write(self.style.SUCCESS(f"Created staff account '{handle}' with password: {password}"))
        self.stdout.write("This password is shown only now; keep it.")
