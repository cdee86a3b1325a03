"""Settings for Mixed Market, read from the environment (see README, "Configuration").

With nothing set the site runs embedded: SQLite, local-memory cache, Celery tasks run in process,
payments written to a file. Setting ``DATABASE_URL`` and ``REDIS_URL`` switches on PostgreSQL,
Redis (cache and Celery broker) and real workers. ``DEBUG=false`` is production: then every
setting a public deployment needs must be present and well-formed, or start-up stops.
"""

from pathlib import Path

from celery.schedules import crontab

from marketplace.env import DEVELOPMENT_SECRET_KEY, ConfigError, Env, database_from_url, redis_url

env = Env()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.str("VAR_DIR") or BASE_DIR / "var")

DEBUG = env.bool("DEBUG", default=True)
PRODUCTION = not DEBUG

# --- Secrets and hosts -------------------------------------------------------------------------

SECRET_KEY = env.str("SECRET_KEY") or DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
SITE_URL = env.str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
COUNCIL_NAME = env.str("COUNCIL_NAME")

# --- Services ----------------------------------------------------------------------------------

DATABASE_URL = env.str("DATABASE_URL")
REDIS_URL = redis_url(env.str("REDIS_URL")) if env.str("REDIS_URL") else ""

if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded database lives here
    DATABASES = {
        "default": {
            "ENGINE": "marketplace.db.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"},
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Our SQLite engine keeps the audit log's triggers intact across test flushes.
    DATABASES["default"]["ENGINE"] = "marketplace.db.sqlite3"
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME") or None}

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", "mixedmarket"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery --------------------------------------------------------------------------------------
# Embedded: no broker, tasks run in the calling process. With Redis: a real broker and workers.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Europe/London"
CELERY_BEAT_SCHEDULE = {
    "expire-lapsed-accreditations": {"task": "providers.expire_lapsed_accreditations",
                                     "schedule": crontab(hour=1, minute=15)},
    "send-expiry-reminders": {"task": "providers.send_expiry_reminders", "schedule": crontab(hour=7, minute=0)},
    "expire-negotiations": {"task": "brokerage.expire_negotiations", "schedule": crontab(hour=0, minute=30)},
    "close-package-requests": {"task": "brokerage.close_package_requests", "schedule": crontab(hour=0, minute=45)},
    "list-direct-payment-reviews-due": {"task": "brokerage.notify_reviews_due", "schedule": crontab(hour=7, minute=30)},
    "dispatch-pending-events": {"task": "marketplace.dispatch_pending_events", "schedule": crontab(minute="*/5")},
    # Daily: pays each contract's next period when it falls due (a week ahead); repeats pay nothing twice.
    "isf-payment-run": {"task": "isf.payment_run", "schedule": crontab(hour=5, minute=0)},
    "isf-find-surpluses": {"task": "isf.find_surpluses", "schedule": crontab(hour=6, minute=0)},
}

# --- Email ---------------------------------------------------------------------------------------
# Without EMAIL_HOST, messages are written to the log (console) instead of being sent.
_EMAIL_HOST = env.str("EMAIL_HOST")
if _EMAIL_HOST:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": {
        "host": _EMAIL_HOST,
        "port": env.int("EMAIL_PORT", 587),
        "username": env.str("EMAIL_HOST_USER") or None,
        "password": env.str("EMAIL_HOST_PASSWORD") or None,
        "use_tls": env.bool("EMAIL_USE_TLS", default=True),
        "timeout": 20,
    }}}
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "Mixed Market <no-reply@mixedmarket.invalid>")

# --- Stripe ------------------------------------------------------------------------------------
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env.str("STRIPE_API_BASE")  # a local fake server in tests; unset means Stripe's own
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY")  # pk_…, for the card form in the browser
STRIPE_JS_URL = env.str("STRIPE_JS_URL", "https://js.stripe.com/v3/")
STRIPE_TIMEOUT_SECONDS = env.int("STRIPE_TIMEOUT_SECONDS", 10)
if STRIPE_SECRET_KEY and not STRIPE_SECRET_KEY.startswith(("sk_", "rk_")):
    raise ConfigError("STRIPE_SECRET_KEY must be a Stripe secret key (sk_… or rk_…)")
if STRIPE_WEBHOOK_SECRET and not STRIPE_WEBHOOK_SECRET.startswith("whsec_"):
    raise ConfigError("STRIPE_WEBHOOK_SECRET must be a Stripe webhook signing secret (whsec_…)")
if STRIPE_SECRET_KEY and not STRIPE_WEBHOOK_SECRET:
    raise ConfigError("STRIPE_WEBHOOK_SECRET is required when STRIPE_SECRET_KEY is set")
PAYMENT_GATEWAY = "stripe" if STRIPE_SECRET_KEY else "file"

# --- Production guard --------------------------------------------------------------------------

if PRODUCTION:
    if not env.str("SECRET_KEY"):
        raise ConfigError("SECRET_KEY is required when DEBUG is false")
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ConfigError("SECRET_KEY must be a random string of at least 50 characters")
    if not ALLOWED_HOSTS:
        raise ConfigError("ALLOWED_HOSTS is required when DEBUG is false (comma-separated host names)")
    if not DATABASE_URL or DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ConfigError("DATABASE_URL must point at PostgreSQL when DEBUG is false")
    if not REDIS_URL:
        raise ConfigError("REDIS_URL is required when DEBUG is false")
    if not _EMAIL_HOST:
        raise ConfigError("EMAIL_HOST is required when DEBUG is false (the SMTP server that sends reminders)")
    if not SITE_URL.startswith("https://"):
        raise ConfigError("SITE_URL must be an https:// address when DEBUG is false")

# --- Applications ------------------------------------------------------------------------------

INSTALLED_APPS = [
    "marketplace",
    "providers",
    "brokerage",
    "isf",
    "cms",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Wagtail's database search backend uses PostgreSQL full-text search when it is there.
    INSTALLED_APPS.append("django.contrib.postgres")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

if PRODUCTION:
    # gunicorn serves the collected, hashed static files itself; in development runserver does.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"
AUTH_USER_MODEL = "marketplace.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "marketplace" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "marketplace.context_processors.site",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "account"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files -----------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT") or VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
PAYMENT_FILES_DIR = VAR_DIR / "payment-files"

# --- Wagtail -----------------------------------------------------------------------------------

WAGTAIL_SITE_NAME = "Mixed Market"
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "rtf", "txt", "xlsx"]
WAGTAIL_I18N_ENABLED = False
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- API ---------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "marketplace.pagination.CappedPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "marketplace.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Mixed Market API",
    "DESCRIPTION": "The council's adult social care market: directory, plans, contracts and payments.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "PREPROCESSING_HOOKS": ["marketplace.api.schema.only_api_v1"],
    # People and services share the client groups; one name for the enum in the schema.
    "ENUM_NAME_OVERRIDES": {
        "ClientGroupEnum": "marketplace.constants.ClientGroup",
        "RateUnitEnum": "providers.constants.RateUnit",
        "TransitionKindEnum": "brokerage.constants.TransitionKind",
        "PackageRequestStatusEnum": "brokerage.constants.PackageRequestStatus",
        "PackageResponseStatusEnum": "brokerage.constants.PackageResponseStatus",
        "PlanStatusEnum": "brokerage.constants.PlanStatus",
        "FinancialRiskEnum": "brokerage.constants.FinancialRisk",
    },
    # The docs page's scripts and styles come from drf-spectacular-sidecar's static files, never
    # a CDN: nothing outside the server need be reachable (council networks often block CDNs).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security ----------------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 8
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = [SITE_URL]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "WARNING")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
