"""Settings for Dispatch 112, read from the environment.

With nothing set the project runs on an embedded default (SQLite, in-memory
channel layer, Celery tasks run in process). `DATABASE_URL` and `REDIS_URL`
switch to PostgreSQL (psycopg 3) and Redis (channels-redis, Celery broker).
`DEBUG=0` is production mode and must pass `check --deploy`.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from dispatch.connections import celery_broker, channel_layer_host, database_from_url, sentinels_from_env

BASE_DIR = Path(__file__).resolve().parent.parent
DOMAIN_DATA_DIR = BASE_DIR / "dispatch" / "data"


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG=0")
    SECRET_KEY = "dev-only-insecure-key-dispatch112-do-not-use-in-production"

# Reverse proxies (IP addresses or CIDR networks) whose X-Forwarded-For / X-Forwarded-Proto are
# believed (dispatch.middleware.TrustedProxyMiddleware); from any other peer they are ignored.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "agencies",
    "dispatch",
    "reports",
    "calls",
    "hazards",
    "displays",
    "push",
]

MIDDLEWARE = [
    "dispatch.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dispatch.middleware.DatabaseUnavailableMiddleware",
    "dispatch.audit.AuditAddressMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dispatch.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "displays.middleware.WallDeviceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "dispatch.middleware.PartialRefreshMiddleware",
    "dispatch.accounts.IdleTimeoutMiddleware",
    "dispatch.accounts.OTPRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dispatch.middleware.SecurityHeadersMiddleware",
    "axes.middleware.AxesMiddleware",
    "dispatch.api_errors.ApiBodyLimitMiddleware",
]

ROOT_URLCONF = "dispatch.urls"
ASGI_APPLICATION = "dispatch.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dispatch.context_processors.roles",
                "dispatch.context_processors.alarms",
                "dispatch.context_processors.map_tiles",
            ],
        },
    },
]

# Database: PostgreSQL through psycopg 3 when DATABASE_URL is set, else SQLite.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    # Several hosts (a primary and its standbys) are kept as libpq lists: dispatch/connections.py.
    DATABASES = {"default": database_from_url(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 3))
    if env_str("DB_SESSION_OPTIONS"):
        DATABASES["default"]["OPTIONS"]["options"] = env_str("DB_SESSION_OPTIONS")
    # DB_SERVER_SIDE_BINDING (on by default): parameters travel apart from the SQL text, and psycopg
    # prepares a statement once a connection has run it 5 times (its prepare_threshold). PostgreSQL
    # then plans each hot statement once per pooled connection instead of on every request
    # (measured in docs/scaling.md). Turn it off only behind a pooler that cannot carry prepared
    # statements (PgBouncer before 1.21, or without max_prepared_statements).
    if env_bool("DB_SERVER_SIDE_BINDING", True):
        DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = env_int("DB_PREPARE_THRESHOLD", 5)
    # DB_POOL (on by default): one psycopg pool per process (Django 5.2), so the connection count is bounded by
    # processes x DB_POOL_MAX_SIZE however many threads serve requests. Pools exclude persistent connections.
    if env_bool("DB_POOL", True):
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": env_int("DB_POOL_MIN_SIZE", 2),
            "max_size": env_int("DB_POOL_MAX_SIZE", 10),
            "timeout": env_int("DB_POOL_TIMEOUT", 3),
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Requests that one web process serves at once besides new calls, claims of ringing calls and
# health probes, which never wait behind them (dispatch/asgi_handler.py). 0 turns the limit off.
WEB_OTHER_REQUESTS = env_int("WEB_OTHER_REQUESTS", 2)

# Redis: channel layer and Celery broker. Embedded default: in memory, in process.
# One server (REDIS_URL), or the master that Sentinel names (REDIS_SENTINELS "host:port,...",
# REDIS_SENTINEL_MASTER, REDIS_DB): channel layer, Celery and the event publisher follow a failover.
REDIS_URL = env_str("REDIS_URL")
REDIS_SENTINELS = env_str("REDIS_SENTINELS")
REDIS_SENTINEL_MASTER = env_str("REDIS_SENTINEL_MASTER")
REDIS_SENTINEL = sentinels_from_env(REDIS_SENTINELS, REDIS_SENTINEL_MASTER, db=env_int("REDIS_DB", 0))
USING_REDIS = bool(REDIS_URL or REDIS_SENTINEL)
if USING_REDIS:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [channel_layer_host(REDIS_URL, REDIS_SENTINEL)], "prefix": env_str("CHANNEL_PREFIX", "d112")},
        }
    }
    CELERY_BROKER_URL, _broker_options = celery_broker(REDIS_URL, REDIS_SENTINEL)
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_SOFT_TIME_LIMIT = 45
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A publish to a dead or hung broker gives up within about a second instead of waiting (forever,
# on a hung connection, by default): what the task would do is already a row the sweep picks up.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 300, "socket_timeout": 1, "socket_connect_timeout": 1,
                                   **(_broker_options if USING_REDIS else {})}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 0}
# Beat makes a new broker connection after a send fails (a Redis failover): dispatch/beat.py.
CELERY_BEAT_SCHEDULER = "dispatch.beat:ReconnectingScheduler"
# Through Sentinel, each publish opens its own broker connection: a pooled one could still point at the
# master that just died, and without a retry (above) kombu would keep using its closed channel.
if REDIS_SENTINEL is not None:
    CELERY_BROKER_POOL_LIMIT = 0
# Sweep period for escalations, notifications, the daily digest and other timers that must not be lost.
SWEEP_SECONDS = env_int("SWEEP_SECONDS", 5)
CELERY_BEAT_SCHEDULE = {
    "sweep": {"task": "dispatch.tasks.sweep", "schedule": timedelta(seconds=SWEEP_SECONDS)},
    # The reports' roll-up of ended days (reports/rollups.py): yesterday soon after midnight, a
    # past day changed later soon after the change. Reports also build what is missing themselves.
    "report-rollups": {"task": "reports.tasks.report_rollups", "schedule": timedelta(minutes=10)},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "dispatch.accounts.UsernameInPasswordValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# Indonesian page on the form, JSON 429 on the API (dispatch/accounts.py).
AXES_LOCKOUT_CALLABLE = "dispatch.accounts.lockout_response"
# The lockout counts per client address as TrustedProxyMiddleware set it, never from headers itself.
AXES_CLIENT_IP_CALLABLE = "dispatch.middleware.request_address"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# The idle timeout per role (30/15 min) is enforced by dispatch.accounts.IdleTimeoutMiddleware,
# which audits and closes sockets; the cookie itself outlives a shift so it never expires first.
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "dispatch.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "dispatch.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Dispatch 112 API",
    "DESCRIPTION": "Calls, incidents, dispatches and live events of the Kota Bengkulu 112 call centre.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema and its docs are for logged-in users and API clients only (the page: dispatch/urls.py).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

# Notification channel for duty officers: "log" (default) or "telegram".
NOTIFY_BACKEND = env_str("NOTIFY_BACKEND", "log")
TELEGRAM_BOT_TOKEN = env_str("TELEGRAM_BOT_TOKEN")
TELEGRAM_API_BASE = env_str("TELEGRAM_API_BASE", "https://api.telegram.org")

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# SMTP for the supervisors' daily digest (with EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend).
EMAIL_HOST = env_str("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "112@bengkulukota.go.id")

# Call intake limits.
CALL_NOTES_MAX_LENGTH = 4000
# A colleague's call being handled that nobody has changed for this long (no edit of its notes or
# place, no take-over; counted from its answer before the first) was most likely left (a crashed
# browser, a break, the end of a shift): the call desk offers it to be taken over, and
# calls.services.call_take_over refuses an operator's take-over before then (a supervisor's is at once).
CALL_TAKE_OVER_AFTER_SECONDS = env_int("CALL_TAKE_OVER_AFTER_SECONDS", 600)
# The call desk fills in the suggested incident type only from this confidence on (measured on the
# dev notes, docs/triage.md; calls.triage.PREFILL_THRESHOLD); below it the operator picks a candidate.
TRIAGE_PREFILL_THRESHOLD = float(env_str("TRIAGE_PREFILL_THRESHOLD", "0.3"))
# Street-map tiles under the kelurahan outlines: a URL template with {z}, {x}, {y} (and {s} for
# subdomains), and the credit shown on the map. Unset, the maps draw the outlines alone
# (development and the tests have no internet); docker-compose.yml sets OpenStreetMap's tiles.
MAP_TILE_URL = env_str("MAP_TILE_URL").strip()
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION").strip()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^health/"]

# After escalation to supervisors, how long until the agency's duty officer is notified.
ESCALATION_OFFICER_SECONDS = env_int("ESCALATION_OFFICER_SECONDS", 120)
# Run the sweep inside the web process (the embedded default has no Celery beat).
EMBEDDED_SCHEDULER = env_bool("EMBEDDED_SCHEDULER", False)
# Otherwise each web process sweeps itself while no task sweep has finished for this long (Redis, beat or
# the worker down), so escalations never stop; 0 turns the stand-in off.
SWEEP_FALLBACK_SECONDS = env_int("SWEEP_FALLBACK_SECONDS", 30)
# Ghost-call call-back deadline.
CALLBACK_MINUTES = env_int("CALLBACK_MINUTES", 5)
# A P1 incident still not dispatched this long after it opened sounds an alarm on the floor screens
# and the sweep raises one `alert` of kind `p1_undispatched` for it.
P1_UNDISPATCHED_ALARM_SECONDS = env_int("P1_UNDISPATCHED_ALARM_SECONDS", 60)
# An AML location is matched to the call from the same number within this many minutes.
AML_MATCH_MINUTES = env_int("AML_MATCH_MINUTES", 10)

# Hazard alerts (hazards app): BMKG JSON feed or CAP URLs polled every HAZARD_POLL_SECONDS, the CAP
# senders accepted, and how long a feed quake (which carries no expiry) keeps disaster mode on.
HAZARD_FEED_URLS = env_list("HAZARD_FEED_URLS")
HAZARD_POLL_SECONDS = env_int("HAZARD_POLL_SECONDS", 60)
HAZARD_FEED_TIMEOUT_SECONDS = env_int("HAZARD_FEED_TIMEOUT_SECONDS", 10)
HAZARD_CAP_SENDERS = env_list("HAZARD_CAP_SENDERS", "BMKG")
HAZARD_FEED_EXPIRES_HOURS = env_int("HAZARD_FEED_EXPIRES_HOURS", 6)
CELERY_BEAT_SCHEDULE["hazard-feeds"] = {"task": "hazards.tasks.poll_feeds", "schedule": timedelta(seconds=HAZARD_POLL_SECONDS)}

# Streets named in the notes looked up on a Nominatim-compatible geocoder (agencies/geocoder.py): its base
# URL (http or https; empty turns the lookup off), the User-Agent that identifies this deployment to it
# (Nominatim's usage policy requires one with a contact), and how long the desk waits for an answer.
GEOCODER_URL = env_str("GEOCODER_URL").strip()
GEOCODER_USER_AGENT = env_str(
    "GEOCODER_USER_AGENT", "Dispatch112-KotaBengkulu/1.0 (+contact set by the operator of the deployment)"
)
GEOCODER_TIMEOUT_SECONDS = env_int("GEOCODER_TIMEOUT_SECONDS", 2)

# UU PDP 27/2022: caller numbers whose last call is older than this are pseudonymised
# by `manage.py pseudonymise_callers` (agencies/retention.py).
RETENTION_DAYS = env_int("RETENTION_DAYS", 365)


# Web Push (VAPID) to agency staff phones for a new or escalated dispatch; off unless all three are set.
# Keys: base64url, the private key as its raw 32 bytes (e.g. from `vapid --gen` / py_vapid).
WEBPUSH_VAPID_PUBLIC_KEY = env_str("WEBPUSH_VAPID_PUBLIC_KEY")
WEBPUSH_VAPID_PRIVATE_KEY = env_str("WEBPUSH_VAPID_PRIVATE_KEY")
WEBPUSH_VAPID_SUBJECT = env_str("WEBPUSH_VAPID_SUBJECT")  # mailto:... or https://...
# Push endpoints must be https on public addresses; loopback (http too) only in development and tests.
WEBPUSH_ALLOW_LOOPBACK = DEBUG
# API token lifetimes in seconds, per role (dispatch/tokens.py): a shift or so on the floor and for agency
# staff, short for supervisors and admins (their token stands in for a TOTP check), long for integration
# accounts, whose keys are rotated with `manage.py rotate_token USER`.
TOKEN_TTL_SECONDS = {
    "operator": env_int("TOKEN_TTL_OPERATOR_SECONDS", 12 * 3600),
    "agency": env_int("TOKEN_TTL_AGENCY_SECONDS", 12 * 3600),
    "supervisor": env_int("TOKEN_TTL_SUPERVISOR_SECONDS", 3600),
    "admin": env_int("TOKEN_TTL_ADMIN_SECONDS", 3600),
    "pbx": env_int("TOKEN_TTL_INTEGRATION_SECONDS", 90 * 86400),
    "feed": env_int("TOKEN_TTL_INTEGRATION_SECONDS", 90 * 86400),
}
# How long the previous key of an integration account keeps working after `rotate_token`.
TOKEN_ROTATION_GRACE_SECONDS = env_int("TOKEN_ROTATION_GRACE_SECONDS", 3600)
# How often an open live socket re-checks its session or token (idle timeout, expiry, revocation).
LIVE_RECHECK_SECONDS = env_int("LIVE_RECHECK_SECONDS", 20)
# A live event whose keys do not match its type (dispatch/event_types.py) raises; off (production),
# it is logged and goes out as it is: a broadcast never fails a request.
EVENTS_STRICT = env_bool("EVENTS_STRICT", DEBUG)
