"""Settings, driven by the environment.

With nothing configured the project runs on SQLite, the in-memory channel layer and
django-q2's ORM broker. DATABASE_URL and REDIS_URL switch it to PostgreSQL and Redis.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")


def persistent_secret_key() -> str:
    """A random key kept in var/, so an unconfigured install never runs on a guessable key."""
    path = BASE_DIR / "var" / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or persistent_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_q",
    "helpdesk",
    "feedback",
    "statusfeed",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
ASGI_APPLICATION = "helpdesk.asgi.application"
WSGI_APPLICATION = None

AUTHENTICATION_BACKENDS = ["helpdesk.auth_backend.HelpdeskBackend"]

# Sessions read from the cache first: an agent's page does not pay a query for its session;
# from the database alone while the cache (Redis) cannot be reached (helpdesk/sessions.py).
SESSION_ENGINE = "helpdesk.sessions"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

# WAL and IMMEDIATE let the ASGI server and the task cluster share one SQLite file without
# "database is locked" under ordinary load: writers queue for up to `timeout` seconds.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    # A connection pool per process rather than persistent connections: under ASGI each
    # request thread would keep its own. DATABASE_POOL_MAX=0 turns the pool off (e.g. behind
    # PgBouncer in transaction mode).
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    engine = DATABASES["default"]["ENGINE"]
    pool_max = int(os.environ.get("DATABASE_POOL_MAX", "8"))
    if pool_max and engine.endswith("postgresql"):
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": pool_max,
            "timeout": 10,
        }
    elif engine.endswith("sqlite3"):
        DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# SQLite cannot enforce "one policy per scope" with NULLs; model validation still does.
SILENCED_SYSTEM_CHECKS = ["models.W047"]

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1500, "expiry": 30},
        }
    }
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    Q_BROKER = {"redis": REDIS_URL}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # A file cache is shared by the ASGI server and the task cluster, which is how the
    # health check sees the cluster's heartbeat without Redis.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("CACHE_DIR", str(BASE_DIR / "var" / "cache")),
        }
    }
    Q_BROKER = {"orm": "default"}

Q_CLUSTER = {
    "name": "helpdesk",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    "timeout": 120,
    "retry": 180,
    "catch_up": False,
    "label": "Tasks",
    **Q_BROKER,
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on a missing root
# Serve app static files straight from the apps too, so no collectstatic step is needed.
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "helpdesk.api.schema.HelpdeskAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # How many proxies in front of the servers append to X-Forwarded-For. 0: the throttles key
    # on the connecting address, so a client cannot pick its own by sending the header.
    "NUM_PROXIES": int(os.environ.get("NUM_PROXIES", "0")),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "DESCRIPTION": "Tickets, SLA clocks, intake and the public status feed.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `status` or `kind`; name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "PriorityEnum": "helpdesk.models.sla_policies.Priority",
        "TicketStatusEnum": "helpdesk.models.tickets.Status",
        "MessageKindEnum": "helpdesk.models.tickets.Message.Kind",
        "TicketEventKindEnum": "helpdesk.models.tickets.TicketEvent.Kind",
        "PublicIssueKindEnum": "statusfeed.models.PublicIssue.Kind",
        "PublicIssueStatusEnum": "statusfeed.models.PublicIssue.Status",
    },
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
if os.environ.get("EMAIL_URL"):
    # smtp://user:password@host:port, or smtp+tls:// for STARTTLS.
    email_url = urlsplit(os.environ["EMAIL_URL"])
    EMAIL_HOST = email_url.hostname or EMAIL_HOST
    EMAIL_PORT = email_url.port or EMAIL_PORT
    EMAIL_HOST_USER = unquote(email_url.username or "")
    EMAIL_HOST_PASSWORD = unquote(email_url.password or "")
    EMAIL_USE_TLS = email_url.scheme.endswith("+tls")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "helpdesk@localhost")
# Where links in emails and webhooks point: this site as its users reach it.
SITE_URL = os.environ.get("SITE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")

# Intake (feedback app): the public API's and form's rate per client address, the secret a
# mail relay sends to POST raw MIME, and the mailbox the IMAP poller reads (unset: no poller).
FEEDBACK_THROTTLE_RATE = os.environ.get("FEEDBACK_THROTTLE_RATE", "30/minute")
FEEDBACK_INBOUND_SECRET = os.environ.get("FEEDBACK_INBOUND_SECRET", "")
FEEDBACK_IMAP_HOST = os.environ.get("FEEDBACK_IMAP_HOST", "")
FEEDBACK_IMAP_PORT = int(os.environ.get("FEEDBACK_IMAP_PORT", "993"))
FEEDBACK_IMAP_SSL = env_bool("FEEDBACK_IMAP_SSL", True)
FEEDBACK_IMAP_USER = os.environ.get("FEEDBACK_IMAP_USER", "")
FEEDBACK_IMAP_PASSWORD = os.environ.get("FEEDBACK_IMAP_PASSWORD", "")
FEEDBACK_IMAP_FOLDER = os.environ.get("FEEDBACK_IMAP_FOLDER", "INBOX")

# Fractions of an SLA target at which a running clock is warned about.
SLA_WARNING_THRESHOLDS = [0.75, 0.9]

# Surveys after resolution (feedback.surveys; docs/metrics.md, "Satisfaction"): how long after
# resolution a ticket's survey is offered, how long it stays open, how long an answer may be
# changed, how often a contact is asked for NPS, how long nobody gets a second survey email,
# and the Satisfaction Index's weights ("csat=0.4,nps=0.4,ces=0.2").
SURVEY_DELAY = timedelta(minutes=int(os.environ.get("SURVEY_DELAY_MINUTES", "60")))
SURVEY_OPEN_FOR = timedelta(days=int(os.environ.get("SURVEY_OPEN_DAYS", "30")))
SURVEY_EDIT_WINDOW = timedelta(hours=int(os.environ.get("SURVEY_EDIT_HOURS", "48")))
SURVEY_NPS_INTERVAL = timedelta(days=int(os.environ.get("SURVEY_NPS_INTERVAL_DAYS", "90")))
SURVEY_QUIET_PERIOD = timedelta(days=int(os.environ.get("SURVEY_QUIET_DAYS", "14")))
SATISFACTION_INDEX_WEIGHTS = {
    name.strip(): float(weight)
    for name, _, weight in (
        item.partition("=")
        for item in env_list("SATISFACTION_INDEX_WEIGHTS", "csat=0.4,nps=0.4,ces=0.2")
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
