"""Luna's one settings module, driven by the environment (see README, Configuration)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from luna.env import env_bool, env_cache, env_database, env_list, env_number, env_rate, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent

if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

LUNA_ENV = env_str("LUNA_ENV", "development").lower()
if LUNA_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"LUNA_ENV={LUNA_ENV!r}: use 'development' or 'production'.")
PRODUCTION = LUNA_ENV == "production"

if PRODUCTION:
    missing = [name for name in ("SECRET_KEY", "ALLOWED_HOSTS") if not env_str(name)]
    if missing:
        raise ImproperlyConfigured(f"LUNA_ENV=production needs {' and '.join(missing)} in the environment.")
    SECRET_KEY = env_str("SECRET_KEY")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
else:
    SECRET_KEY = env_str("SECRET_KEY", "django-insecure-luna-development-only-key")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "testserver"])

DEBUG = env_bool("DEBUG", default=not PRODUCTION)

INSTALLED_APPS = [
    "ops",  # first: its admin index (the dashboard) overrides the admin's own
    "users.apps.LunaAdminConfig",  # django.contrib.admin with the sign-in limits on its login
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "users",
    "venues",
    "social",
    "plans",
    "experiments",
    "recommendations",
    "evaluation",
    "world",
]

MIDDLEWARE = [
    "luna.middleware.RequestLogMiddleware",
    "luna.middleware.BodySizeLimitMiddleware",
    "luna.middleware.JsonErrorPageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "luna.urls"
# JSON to API clients, Django's page to browsers, as the error handlers in luna/urls.py.
CSRF_FAILURE_VIEW = "luna.api.views.csrf_failure"
WSGI_APPLICATION = "luna.wsgi.application"
ASGI_APPLICATION = "luna.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "luna" / "templates"],  # the front page (luna is not an app)
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {"default": env_database("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several gunicorn workers share one file: take the write lock up front and
    # wait for it instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env_number("CONN_MAX_AGE", 60, int, minimum=0))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options.setdefault("connect_timeout", 5)
    # A request waiting on a row lock, or a statement running long, gives up well before
    # gunicorn's worker timeout would kill it: the client gets a JSON 503 with Retry-After.
    _options.setdefault(
        "options",
        f"-c lock_timeout={env_number('LUNA_DB_LOCK_TIMEOUT_MS', 5000, int, minimum=1)}"
        f" -c statement_timeout={env_number('LUNA_DB_STATEMENT_TIMEOUT_MS', 20000, int, minimum=1)}"
        # The server's default (4) prices a random page as if read from a spinning disk, so reads
        # of a few hundred rows hash a whole table (a group's friends: the users table) instead
        # of looking each row up; 1.1 is the usual figure for SSDs and cached data.
        f" -c random_page_cost={env_number('LUNA_DB_RANDOM_PAGE_COST', 1.1, float, minimum=0)}",
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "users.User"
# Sessions are credentials: the table keeps a digest of each key, as users.models.Token does of API keys.
SESSION_ENGINE = "users.sessions"

# Throttle counters and the recommendation catalogue's generation live here, so every
# process must see the same cache: by default a folder in the project that all gunicorn
# workers of one machine share; Redis (CACHE_URL=redis://...) with several machines.
# The folder holds a counter per signed-in user and limit (and a day's impressions count), and past
# MAX_ENTRIES files Django deletes a third of them at random: Django's 300 let 500 users' counters
# push out the catalogue's mark (a 3 s reload of 100,000 venues, on a request) and the counters
# themselves (a limit forgotten). Each write lists the folder, which stays cheap at this size.
CACHES = {
    "default": env_cache("CACHE_URL")
    or {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": BASE_DIR / ".cache" / "django",
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("handle", "name")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files (served by whitenoise, also under gunicorn) -------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}
# Outside production, serve straight from the apps when collectstatic has not run.
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- REST API -------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "users.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON for clients (the first: what */* and application/json get); DRF's browsable API for a
    # browser (Accept: text/html, or ?format=api), signed in with the admin's session.
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["luna.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "luna.api.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "luna.api.exceptions.exception_handler",
    "VIEW_DESCRIPTION_FUNCTION": "luna.api.views.view_description",
    "COERCE_DECIMAL_TO_STRING": False,
    "DEFAULT_THROTTLE_RATES": {
        "signup": env_rate("LUNA_THROTTLE_SIGNUP", "30/hour"),
        "token": env_rate("LUNA_THROTTLE_TOKEN", "20/minute"),
        "interactions": env_rate("LUNA_THROTTLE_INTERACTIONS", "120/minute"),
        # Per signed-in user: venue and people recommendations and a plan's group suggestions.
        "recommendations": env_rate("LUNA_THROTTLE_RECOMMENDATIONS", "60/minute"),
        "plans": env_rate("LUNA_THROTTLE_PLANS", "30/hour"),
    },
    # Throttles count per client address: the socket's peer unless proxies are declared,
    # then the right-most address of X-Forwarded-For that none of them added. A client can
    # put anything in that header, so it is ignored when no proxy is declared.
    "NUM_PROXIES": env_number("LUNA_TRUSTED_PROXIES", 0, int, minimum=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Luna API",
    "DESCRIPTION": (
        "Venue and friend recommendations, plans and bookings. "
        "Authenticate with `Authorization: Token <key>` (get a key from `POST /auth/token/`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's Authorize dialog asks for the token only; the admin's session cookie still works
    # (the browsable API and Swagger UI use it), it just is not a scheme to fill in.
    "AUTHENTICATION_WHITELIST": ["users.authentication.TokenAuthentication"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "luna.api.schema.omittable_fields_are_not_required",
        "luna.api.schema.bodyless_writes_refuse_a_body",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "HealthStatusEnum": ["healthy", "unhealthy"],
        "PlanStatusEnum": "plans.models.Plan.Status",
        "ParticipantStatusEnum": "plans.models.PlanParticipant.Status",
        "InvitationAnswerEnum": ["accepted", "declined"],
        "BookingStatusEnum": "plans.models.Booking.Status",
    },
}

# --- Recommendations ------------------------------------------------------
# The reference design's weights; tune here without touching the API.
LUNA_RECO = {
    "SPATIAL_DECAY_PER_KM": 0.3,
    "VENUE_WEIGHTS": {"spatial": 0.4, "preference": 0.4, "popularity": 0.2},
    "PREFERENCE_PER_POSITIVE": 0.5,
    "PREFERENCE_DWELL_SECONDS": 300.0,
    "PEOPLE_WEIGHTS": {"strength": 0.6, "direct": 0.25, "category": 0.15},
    "CATEGORY_PER_POSITIVE": 0.3,
    "CATEGORY_DWELL_SECONDS": 600.0,
    # People to invite to a plan: the people score plus this x the share of the plan's members they know.
    "PLAN_CONNECTION_WEIGHT": 0.2,
    # Longest time a process may serve popularity that misses a deletion or an
    # out-of-order commit made through another process (seconds); those need a full
    # reload (about 1 s of CPU at 100,000 venues). New interactions and new, edited
    # or deleted venues show up in the next request anyway.
    "CACHE_STALENESS_SECONDS": env_number("LUNA_RECO_CACHE_SECONDS", 60.0, float, minimum=0),
    # Reload in a background thread once half of that has passed, so no request waits for it.
    "REFRESH_IN_BACKGROUND": env_bool("LUNA_RECO_REFRESH_IN_BACKGROUND", default=True),
}

# Failed sign-ins per handle (whatever the address) before that handle is refused for the window.
LUNA_SIGNIN_FAILURES_PER_HANDLE = env_number("LUNA_SIGNIN_FAILURES_PER_HANDLE", 10, int, minimum=1)
LUNA_SIGNIN_FAILURE_WINDOW_SECONDS = env_number("LUNA_SIGNIN_FAILURE_WINDOW_SECONDS", 900, int, minimum=1)

# GET /metrics for a scraper: `Authorization: Bearer <this>` (staff's sessions need no token). Unset: staff only.
LUNA_METRICS_TOKEN = env_str("LUNA_METRICS_TOKEN", "")

# --- Plans ----------------------------------------------------------------
# How far ahead a plan may start.
LUNA_PLAN_HORIZON_DAYS = env_number("LUNA_PLAN_HORIZON_DAYS", 730, int, minimum=1)
# How many people one plan may invite besides its organizer (staff included): a group's suggestions
# cost time per member.
LUNA_PLAN_MAX_INVITEES = env_number("LUNA_PLAN_MAX_INVITEES", 20, int, minimum=1)

# The learned ranker's configuration over its defaults (ranking.learned.DEFAULTS).
LUNA_RANKER: dict = {}

# --- Experiments ----------------------------------------------------------
# Record what every venue recommendation showed (the impressions experiments are measured on).
LUNA_RECORD_IMPRESSIONS = env_bool("LUNA_RECORD_IMPRESSIONS", default=True)
# Each process writes what was shown in one insert when it holds this many rows or its oldest has waited
# this many seconds (experiments.impressions); 0 seconds: at the end of every request instead.
LUNA_IMPRESSIONS_BATCH_ROWS = env_number("LUNA_IMPRESSIONS_BATCH_ROWS", 1_000, int, minimum=1)
LUNA_IMPRESSIONS_FLUSH_SECONDS = env_number("LUNA_IMPRESSIONS_FLUSH_SECONDS", 1.0, float, minimum=0)
# An interaction or plan this long after a venue was shown counts as that recommendation's outcome.
LUNA_ATTRIBUTION_WINDOW_HOURS = env_number("LUNA_ATTRIBUTION_WINDOW_HOURS", 24.0, float, minimum=0.01)
# Impressions (and their outcomes) older than this are deleted by prune_impressions / the periodic task.
LUNA_IMPRESSIONS_KEEP_DAYS = env_number("LUNA_IMPRESSIONS_KEEP_DAYS", 90, int, minimum=1)
# At most this many impressions are stored per user per (UTC) day; beyond, answers are served unrecorded.
LUNA_IMPRESSIONS_PER_USER_PER_DAY = env_number("LUNA_IMPRESSIONS_PER_USER_PER_DAY", 2_000, int, minimum=1)
# The experiment report names no winner before every arm has this many users.
LUNA_EXPERIMENT_MIN_USERS = env_number("LUNA_EXPERIMENT_MIN_USERS", 100, int, minimum=2)

# --- Candidate lists (recommendations.candidates) ---------------------------
# Each user's best venues kept per ranker (0: none kept, every request ranks every venue).
LUNA_CANDIDATES = env_number("LUNA_CANDIDATES", 300, int, minimum=0)
# A kept list older than this is not served (others' likes and friends' visits show within it).
LUNA_CANDIDATES_MAX_AGE = env_number("LUNA_CANDIDATES_MAX_AGE", 300.0, float, minimum=0)
# Users whose lists one refresh task ranks again (Celery beat queues as many tasks as are due).
LUNA_CANDIDATES_BATCH = env_number("LUNA_CANDIDATES_BATCH", 500, int, minimum=1)

# --- Booking agent --------------------------------------------------------
LUNA_BOOKING_PROVIDER = env_str("LUNA_BOOKING_PROVIDER", "plans.providers.MockProvider")
LUNA_BOOKING_TIMEOUT_SECONDS = env_number("LUNA_BOOKING_TIMEOUT_SECONDS", 10.0, float, minimum=0.1)
LUNA_BOOKING_MAX_ATTEMPTS = env_number("LUNA_BOOKING_MAX_ATTEMPTS", 5, int, minimum=1)
# On a worker, a provider error is retried after this many seconds, doubling each time.
LUNA_BOOKING_RETRY_BACKOFF_SECONDS = env_number("LUNA_BOOKING_RETRY_BACKOFF_SECONDS", 2.0, float, minimum=0)

# --- Task queue (optional) ------------------------------------------------
# With a broker (Redis), the booking agent runs on Celery workers; without one
# it runs in the web process right after the commit.
CELERY_BROKER_URL = env_url("CELERY_BROKER_URL")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that hands a booking to the queue waits at most about this long for a broker that
# is down; the booking then stays pending for the sweep below.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
# Celery beat (`make worker` runs one inside the worker) sweeps up bookings left pending or failed.
LUNA_BOOKING_SWEEP_SECONDS = env_number("LUNA_BOOKING_SWEEP_SECONDS", 60.0, float, minimum=1)
# ...and retrains the learned ranker (daily by default; without a broker, run train_ranker from cron).
LUNA_RETRAIN_SECONDS = env_number("LUNA_RETRAIN_SECONDS", 86400.0, float, minimum=60)
CELERY_BEAT_SCHEDULE = {
    "sweep-bookings": {"task": "plans.sweep_bookings", "schedule": LUNA_BOOKING_SWEEP_SECONDS},
    "retrain-ranker": {"task": "recommendations.retrain_ranker", "schedule": LUNA_RETRAIN_SECONDS},
    "prune-impressions": {"task": "experiments.prune_impressions", "schedule": 86400.0},
    # Lists past half their bound, or ranked by another model or over other venues, ranked again.
    "refresh-candidates": {
        "task": "recommendations.refresh_candidates",
        "schedule": max(LUNA_CANDIDATES_MAX_AGE / 4, 1),
    },
}
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-task leaves the message for another
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# --- Security (production) ------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("LUNA_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_number("LUNA_HSTS_SECONDS", 31536000, int, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("LUNA_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("LUNA_HSTS_PRELOAD", default=True)
    if env_bool("LUNA_BEHIND_PROXY", default=False):
        # Only behind a proxy that sets this header itself; otherwise clients could forge it.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# --- Requests -------------------------------------------------------------
# Bodies over this size are refused with 413 before they are read.
LUNA_MAX_REQUEST_BYTES = env_number("LUNA_MAX_REQUEST_BYTES", 1_048_576, int, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = LUNA_MAX_REQUEST_BYTES
# The admin's CSV import (world's Data page) takes files up to this size instead; they are streamed
# to temporary files, never held in memory (its view sets TemporaryFileUploadHandler), and kept in
# LUNA_DATA_UPLOAD_DIR between a dry run and its confirmation. The view refuses larger bodies itself,
# with a page saying so: BodySizeLimitMiddleware leaves the paths below to it.
LUNA_DATA_UPLOAD_MAX_BYTES = env_number("LUNA_DATA_UPLOAD_MAX_BYTES", 200 * 1024 * 1024, int, minimum=1024)
LUNA_UPLOAD_PATHS = ("/admin/data/import/",)
LUNA_DATA_UPLOAD_DIR = env_str("LUNA_DATA_UPLOAD_DIR", str(Path(tempfile.gettempdir()) / "luna-data-uploads"))
# A load of the Data page that shows no progress for this long is marked failed (its process died).
LUNA_DATA_JOB_STALE_SECONDS = env_number("LUNA_DATA_JOB_STALE_SECONDS", 900, int, minimum=10)
# One structured line per request (method, path, status, duration, request id).
LUNA_REQUEST_LOG = env_bool("LUNA_REQUEST_LOG", default=PRODUCTION)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "luna.log.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json" if PRODUCTION else "plain"},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Each request is logged once, by gunicorn's access log or Luna's request log: django.request's
    # warning for every 4xx would say it a second time. Its errors (a 500's traceback) stay.
    "loggers": {"django.request": {"level": "ERROR"}},
}
