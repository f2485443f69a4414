"""WSGI entry point (gunicorn luna.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from luna.env import settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luna.settings")
settings_or_exit()
application = get_wsgi_application()
