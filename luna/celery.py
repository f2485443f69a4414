"""The Celery app: configured from Django settings (`CELERY_*`), tasks found in each app's tasks.py.

Start a worker with `celery -A luna.celery worker`; it is only needed when
CELERY_BROKER_URL is set.
"""

from __future__ import annotations

import os

from celery import Celery

from luna.env import settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luna.settings")
settings_or_exit()

app = Celery("luna")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
