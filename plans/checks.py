"""Start-up check: the configured booking provider can be imported."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string


@register()
def booking_provider_check(app_configs, **kwargs) -> list[Error]:
    path = settings.LUNA_BOOKING_PROVIDER
    try:
        import_string(path)
    except ImportError as exc:
        return [
            Error(
                f"LUNA_BOOKING_PROVIDER={path!r} cannot be imported: {exc}",
                hint="Use a dotted path to a provider class, e.g. plans.providers.MockProvider.",
                id="plans.E001",
            )
        ]
    return []
