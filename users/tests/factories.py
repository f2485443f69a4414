from __future__ import annotations

import factory

from users.models import User

PASSWORD = "correct horse battery"


class UserFactory(factory.django.DjangoModelFactory):
    """A user who can sign in with `PASSWORD` (pass password=None for an unusable one)."""

    class Meta:
        model = User

    handle = factory.Sequence(lambda n: f"user{n}")
    name = factory.LazyAttribute(lambda user: user.handle.title())
    age = 25
    home_lat = 40.7306
    home_lng = -73.9352

    @classmethod
    def _create(cls, model_class, *args, password=PASSWORD, **kwargs):
        return cls._get_manager(model_class).create_user(password=password, **kwargs)
