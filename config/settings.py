"""Settings for the dispute desk, read once from the environment (django-environ).

Every variable has a development-safe default; `.env.example` documents them all.
With DEBUG=False the production values (SECRET_KEY, ALLOWED_HOSTS) must be given.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
    # ".localhost" lets pl.localhost, cz.localhost, … reach the market of their name (MARKET_HOSTS).
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[".localhost", "127.0.0.1", "[::1]", "testserver"])
else:
    # Production fails loudly when these are missing.
    SECRET_KEY = env.str("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "core.apps.DeskAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_q",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "orders",
    "discussions",
    "buyers",
    "api",
    # Last: its post_migrate handlers run after every other app's permissions exist.
    "core",
]

MIDDLEWARE = [
    # First: answers /health/ and /metrics before any other (no host check, HTTPS redirect,
    # session or sign-in), and counts every request and its latency (OPS-05).
    "core.ops.OpsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: pages get the Content-Security-Policy, static files do not need it.
    "csp.middleware.CSPMiddleware",
    "api.middleware.TraceIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Permissions-Policy; no-store for signed-in users (SAFE-10). After the session.
    "core.middleware.SecurityHeadersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns locked-out sign-ins into a clear page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "core.context_processors.navigation",
                "discussions.context_processors.notifications",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# SQLite is the embedded default; DATABASE_URL=postgres://… switches to PostgreSQL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Two processes (web + qcluster) write to one file: take the write lock at BEGIN
    # and wait for it instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Django's PostgreSQL backend reading timestamps with psycopg's C loader (issue 13).
    DATABASES["default"]["ENGINE"] = "core.postgresql"
    # Persistent connections (per-request ones cost ~40 % of throughput), checked before
    # each request reuses them: a connection PostgreSQL or PgBouncer dropped (a restart) is
    # replaced instead of failing the request. A server that does not answer fails after
    # connect_timeout seconds instead of holding the worker.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    # Issue 13: parameters bound by the server, and a query run 5 times on a connection
    # prepared there, so that PostgreSQL plans it once instead of on every run. Planning
    # was a third to a half of the hot pages' database time (the mediators' queue: 2.2 ms
    # of planning for 1.4 ms of execution). Django leaves psycopg's prepare_threshold at
    # None (never prepare) unless it is set. A query whose generic plan would be worse (a
    # LIMIT taken as a parameter) keeps being planned per run: PostgreSQL's plan_cache_mode
    # "auto" compares the two. PREPARED_STATEMENTS=false turns both off.
    if env.bool("PREPARED_STATEMENTS", default=True):
        DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", True)
        DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)
# OPS-02: behind PgBouncer in transaction pooling mode each transaction may run on another
# server connection, so nothing may outlive a transaction on one: no server-side cursors
# (QuerySet.iterator() would declare a cursor WITH HOLD in one transaction and fetch in
# the next) and no server-side prepared statements (psycopg prepares a query it has run
# prepare_threshold times, 5 by default, and would then EXECUTE a statement another
# server connection never saw). The code keeps no other session-level state: no advisory
# locks, SET statements, LISTEN or temporary tables; Django's own SET TIME ZONE at
# connect is a parameter PgBouncer tracks and restores per client. The
# connection to PgBouncer is kept (CONN_MAX_AGE) and health-checked: it is cheap to hold
# and PgBouncer pools the server side.
PGBOUNCER_TRANSACTION_POOLING = env.bool("PGBOUNCER_TRANSACTION_POOLING", default=False)
if PGBOUNCER_TRANSACTION_POOLING and DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend whose get_user also reads the seller account (one query per request).
    "orders.backends.AccountModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Sign-in rate limit (SEC-04): lock a username+IP pair, never a username alone
# (anyone could lock a victim out), and let the lock expire.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_VERBOSE = False
# SAFE-07: the client's address, for the lock. Behind N reverse proxies every request comes
# from the last proxy, and each proxy appends the address it saw to X-Forwarded-For: the
# client is the N-th address from the right (django-ipware counts the proxies named in the
# header, hence N - 1; not strict, so entries a client made up on the left are skipped).
# With no trusted proxy the header is the client's own word and only REMOTE_ADDR counts.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT > 0:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1
    AXES_IPWARE_PROXY_ORDER = "left-most"
    IPWARE_STRICT = False
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

LANGUAGE_CODE = "pl"
LANGUAGES = [
    ("pl", _("Polish")),
    ("en", _("English")),
    ("cs", _("Czech")),
    ("sk", _("Slovak")),
    ("hu", _("Hungarian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The language switch's cookie: read by the server only, sent on same-site requests
# (Secure in production, below).
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True

# The market (SPEC §0) a request is on: the market switch (a cookie) if the user chose
# one, else the host name (each market's own domain, or a host of MARKET_HOSTS), else
# DEFAULT_MARKET. It sets the default language (I18N-01) and which offers are listed.
DEFAULT_MARKET = env.str("DEFAULT_MARKET", default="PL")
MARKET_HOSTS = env.dict(
    "MARKET_HOSTS",
    default={"pl.localhost": "PL", "cz.localhost": "CZ", "sk.localhost": "SK", "hu.localhost": "HU"},
)
MARKET_COOKIE_NAME = "market"
MARKET_SITE_URLS = env.dict("MARKET_SITE_URLS", default={})
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
TIME_ZONE = "Europe/Warsaw"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# OPS-01: every upload (attachments, API uploads, evidence and its thumbnails, the add
# wizard's staged pictures) goes through the "default" storage: the local disk at
# MEDIA_ROOT, or an S3-compatible object store (AWS S3, MinIO, Ceph RGW, …) shared by every
# node when AWS_STORAGE_BUCKET_NAME is set. Objects are private: no ACL is sent (the
# bucket's default, private; buckets with ACLs disabled refuse any other), nothing is
# public, and the files are streamed by the access-checking views, never linked to.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    from botocore.config import Config as BotoConfig

    _endpoint = env.str("AWS_S3_ENDPOINT_URL", default="") or None
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": _endpoint,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="us-east-1"),
            "signature_version": "s3v4",
            # MinIO, Ceph RGW and moto at an address of their own answer path-style URLs.
            "addressing_style": "path" if _endpoint else None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 60,
            # Names are generated (uuid); never replace an object that exists.
            "file_overwrite": False,
            # A file read for a response is spooled to a temporary file beyond 2 MB.
            "max_memory_size": 2 * 1024 * 1024,
            "client_config": BotoConfig(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3}),
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            # Both keep each file's URL once computed (issue 13).
            "core.static_storage.PlainStorage" if DEBUG else "core.static_storage.ManifestStorage"
        )
    },
}
# Uploads are private: they live outside any public URL and are served by views
# that check access (SEC-02).
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "private_media")

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Allegro Dyskusje <no-reply@localhost>")
# The SMTP server, for django.core.mail.backends.smtp.EmailBackend (Django's defaults).
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
# SAFE-05: mail is never lost. Seconds the SMTP client waits for the server at each step
# (Django's default is forever: one hanging server would hold the outbox worker).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# Minutes to wait before each retry of a notification the server refused or did not
# answer: growing, so that there are at least 6 tries over at least 24 hours; after the
# last the row is FAILED and listed for mediators, who can send it again.
NOTIFICATION_RETRY_DELAYS = [
    timedelta(minutes=minutes)
    for minutes in env.list("NOTIFICATION_RETRY_MINUTES", cast=int, default=[1, 5, 30, 120, 480, 1440])
]
if (
    len(NOTIFICATION_RETRY_DELAYS) < 5
    or sorted(set(NOTIFICATION_RETRY_DELAYS)) != NOTIFICATION_RETRY_DELAYS
    or sum(NOTIFICATION_RETRY_DELAYS, timedelta()) < timedelta(hours=24)
):
    raise ImproperlyConfigured("NOTIFICATION_RETRY_MINUTES: at least 5 growing delays adding up to 24 hours or more.")
# A row still SENDING this long after its claim was left by a worker that died mid-send
# and is taken up again: longer than any live send (a few SMTP steps of EMAIL_TIMEOUT)
# and than django-q2's task timeout (240 s), after which a worker is killed.
NOTIFICATION_SENDING_TIMEOUT = timedelta(minutes=env.int("NOTIFICATION_SENDING_TIMEOUT_MINUTES", default=15))

# Where parcels are tracked (ORD-06): a dotted path to a TrackingProvider subclass.
TRACKING_PROVIDER = env.str("TRACKING_PROVIDER", default="orders.tracking.SimulatedTrackingProvider")

# MED-09: seller accounts with this many open UNRESOLVED Discussions are flagged in the
# mediators' queue; blocking stays a mediator's decision.
SELLER_UNRESOLVED_THRESHOLD = env.int("SELLER_UNRESOLVED_THRESHOLD", default=5)

# --- Seller API (API-01): the marketplace's public REST API shape ------------------
# Served under this path, so a client generated from the marketplace's OpenAPI document
# works with its server URL set to <host>/<API_BASE_PATH>.
API_BASE_PATH = env.str("API_BASE_PATH", default="api").strip("/")
# Rate limit (SAFE-13, DRF rate syntax "<n>/<second|minute|hour|day>"): requests per seller
# account, whichever of its tokens they carry, and per client address for requests without a
# valid token (the address as the sign-in lock sees it, behind TRUSTED_PROXY_COUNT proxies).
# Counted in the default cache: shared by every worker with Redis (REDIS_URL), per worker
# process without it. api.throttling.
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="9000/minute")
API_ANONYMOUS_RATE_LIMIT = env.str("API_ANONYMOUS_RATE_LIMIT", default="600/minute")
# Rendered issues kept per process for /sale/issues (api.issue_cache); 0 turns it off.
API_ISSUE_CACHE_SIZE = env.int("API_ISSUE_CACHE_SIZE", default=20000)
# Attachments uploaded through the API (declared, then PUT to the one-time URL).
API_ATTACHMENT_MAX_BYTES = env.int("API_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)

API_SCOPES = {
    "allegro:api:disputes": _("Read and answer your Discussions"),
    "allegro:api:orders:read": _("Read your commission refund applications"),
    "allegro:api:orders:write": _("File and cancel commission refund applications"),
}


def _pkce_required(client_id):
    """PKCE for public clients, optional for confidential ones (API-05; api.oauth)."""
    from api.oauth import pkce_required

    return pkce_required(client_id)


OAUTH2_PROVIDER = {
    "SCOPES": API_SCOPES,
    "DEFAULT_SCOPES": list(API_SCOPES),
    "PKCE_REQUIRED": _pkce_required,
    # The OAuth 2.0 Security BCP (RFC 9700) throughout: no implicit or password grants,
    # only S256 code challenges, tokens only in the Authorization header, `iss` in the
    # authorization response, tokens stored hashed, and a reused refresh token revokes
    # its whole family. Insecure redirect settings fail `check --deploy` in production.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": not DEBUG,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    # As the marketplace: 12-hour access tokens, refresh tokens valid for 3 months and
    # replaced at each use.
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("API_ACCESS_TOKEN_SECONDS", default=12 * 3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": 90 * 24 * 3600,
    "ROTATE_REFRESH_TOKEN": True,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 300,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"] if DEBUG else ["https"],
    "REQUEST_APPROVAL_PROMPT": "force",
    # Reads no form fields from a body an API endpoint reads itself (SAFE-09); hands
    # oauthlib the token endpoint's query-string parameters as its body (API-05).
    "OAUTH2_BACKEND_CLASS": "api.auth.OAuthLibCore",
    # The device flow (RFC 8628, API-05): the device code's state decided by our
    # validator (api.oauth); the toolkit's pre-token hook would fail on an unknown code.
    "OAUTH2_VALIDATOR_CLASS": "api.oauth.SellerOAuth2Validator",
    "OAUTH_PRE_TOKEN_VALIDATION": [],
    "DEVICE_FLOW_INTERVAL": 5,
}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["oauth2_provider.contrib.rest_framework.OAuth2Authentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.policy.SellerTokenHasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.SellerAccountRateThrottle"],
    # JSON bodies within a size and a depth bound (SAFE-09); forms as DRF reads them.
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.policy.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Allegro Dyskusje — seller API",
    "DESCRIPTION": (
        "Post-purchase issues (Discussions) and commission refund claims, in the shape of the "
        "marketplace's public REST API (/sale/issues, /order/refund-claims)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The description and its reference are public: no token is read (SAFE-09: a body
    # sent to them was read as one and could fail while the page was rendered).
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": rf"/{API_BASE_PATH}",
    "SCHEMA_PATH_PREFIX_TRIM": True,
    "SERVERS": [{"url": f"/{API_BASE_PATH}"}],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every status an operation can return, the OAuth2 flows, our extensions marked
    # (API-04, api.schema).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.postprocess"],
}

# Absolute address of the site, for links in e-mails.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# django-q2. The ORM broker by default; Redis when REDIS_URL is set. A sweep must end
# well inside `timeout`, and `retry` is larger than `timeout` so a running task is never
# delivered a second time.
REDIS_URL = env.str("REDIS_URL", default="")
Q_CLUSTER = {
    "name": "disputes",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 240,
    "retry": 300,
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "recycle": 500,
    "max_rss": 256 * 1024,
    "save_limit": 1000,
    "label": "Django Q2",
    "sync": env.bool("Q_SYNC", default=False),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 2

# Rate limits, sessions and the versioned caches (core.versioned) are kept in this cache:
# Redis when REDIS_URL is set (shared by every web worker and node, OPS-02), else each
# process's memory. A Redis that does not answer fails a request within seconds instead
# of holding its worker.
CACHES = {
    "default": (
        {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Sessions are read from the cache and written through to the database (issue 13: no
# session query per page); with the per-process memory cache a miss falls back to the
# database, so several processes still share every session. With Redis (OPS-02) the
# database copy is what survives a Redis restart (Redis may keep nothing on disk): nobody
# is signed out and no add wizard loses its state; a pure cache session would.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# OPS-05: GET /health/ (for the load balancer) and GET /metrics (Prometheus text format,
# core.ops). /metrics answers only clients from these addresses or networks, as the
# sign-in lock identifies the client (behind TRUSTED_PROXY_COUNT proxies the address a
# proxy saw, so a request through the load balancer counts as its client's, not the
# balancer's private address). Under gunicorn with several workers set
# PROMETHEUS_MULTIPROC_DIR to an empty directory per node (config/gunicorn.py empties it at
# start): each worker writes its counts there and /metrics adds them up.
METRICS_ALLOWED_IPS = env.list(
    "METRICS_ALLOWED_IPS",
    default=["127.0.0.0/8", "::1", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
)
try:
    for _network in METRICS_ALLOWED_IPS:
        ipaddress.ip_network(_network.strip(), strict=False)
except ValueError as error:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {error}") from None
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
if PROMETHEUS_MULTIPROC_DIR:
    # prometheus_client reads it from the environment when it is imported.
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", PROMETHEUS_MULTIPROC_DIR)

# SAFE-10: the Content-Security-Policy of every page (django-csp). Scripts and styles only
# from our own static files: no inline script, style element or style attribute, no
# eval. A page that must run an inline script marks it with request.csp_nonce (the
# Swagger UI's start-up script); the nonce is in the header only on such a page.
# Images may be data: URLs (the Swagger UI's stylesheet has some). No form-action: the
# market switch and the OAuth consent redirect to other hosts after a POST.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    },
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # SAFE-10: every cookie Secure and SameSite (the messages cookie follows the session's;
    # the market cookie is Secure on HTTPS requests).
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SESSION_COOKIE_SAMESITE = "Lax"
    CSRF_COOKIE_SAMESITE = "Lax"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
