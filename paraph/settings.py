"""Paraph's settings, read from environment variables.

Every variable is listed, with its default, in README.md ("Settings").
The embedded default (no variable set) needs nothing but Python: SQLite,
documents on the file system, a database-backed task queue, the local
sandboxes for SMS and e-mail. ``PARAPH_PRODUCTION=true`` switches to the
strict profile, which refuses to start without a secret key, allowed
hosts, a PostgreSQL database, Redis and HTTPS, naming what is missing.
"""

from __future__ import annotations

import os
import re
import secrets
import warnings
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from paraph.core.env import (
    Missing,
    env_bool,
    env_int,
    env_list,
    env_list_renamed,
    env_mandatory,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent
PRODUCTION = env_bool("PARAPH_PRODUCTION", False)
DATA_DIR = Path(env_str("PARAPH_DATA_DIR", str(BASE_DIR.parent / "var"))).resolve()
missing = Missing()

# --- Core -----------------------------------------------------------------

DEBUG = env_bool("PARAPH_DEBUG", False) and not PRODUCTION
SANDBOX = env_bool("PARAPH_SANDBOX", not PRODUCTION)
if PRODUCTION and SANDBOX:
    missing.append(
        "PARAPH_SANDBOX must be false in production (sandboxes fake SMS, e-mail and identities)"
    )


def _development_secret_key() -> str:
    """A random key kept in the data folder, so sessions survive a restart of
    ``make run``; production never comes here."""
    path = DATA_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    path.chmod(0o600)
    return key


SECRET_KEY = env_mandatory("PARAPH_SECRET_KEY", missing, when=PRODUCTION)
if PRODUCTION and SECRET_KEY and len(SECRET_KEY) < 50:
    missing.append("PARAPH_SECRET_KEY must be at least 50 characters long")
if not SECRET_KEY and not PRODUCTION:
    SECRET_KEY = _development_secret_key()

ALLOWED_HOSTS = env_list(
    "PARAPH_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    missing.append("PARAPH_ALLOWED_HOSTS is not set")

BASE_URL = env_str("PARAPH_BASE_URL", "" if PRODUCTION else "http://127.0.0.1:8000").rstrip("/")
if PRODUCTION and not BASE_URL.startswith("https://"):
    missing.append("PARAPH_BASE_URL must be an https:// address")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "paraph.core",
    "paraph.audit",
    "paraph.accounts",
    "paraph.notifications",
    "paraph.support",
    "paraph.companies",
    "paraph.scheduling",
    "paraph.identity",
    "paraph.signing",
    "paraph.senders",
    "paraph.contracts",
    "paraph.mandates",
    "paraph.adminbox",
    "paraph.api",
    "paraph.operations",
    # django-ninja's templates and static files: the API docs page then
    # loads Swagger UI from Paraph itself (the CSP allows no CDN).
    "ninja",
    "paraph.web",
]

MIDDLEWARE = [
    # Outermost: every log line of a request carries its id; /health/* and
    # /metrics answer before sessions, languages, host checks and redirects
    # (docs/operations.md), and every other request is counted and timed.
    "paraph.core.requestid.RequestIdMiddleware",
    "paraph.operations.middleware.OperationsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before the session lifetime check, which tells the person their session ended.
    "django.contrib.messages.middleware.MessageMiddleware",
    "paraph.accounts.middleware.SessionLifetimeMiddleware",
    "paraph.accounts.middleware.PersonLanguageMiddleware",
    # For whom the person acts (CO-3, CO-4), checked again on every request.
    "paraph.companies.middleware.ActingForMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A missing or altered document: its error page (paraph.core.storage).
    "paraph.web.middleware.DocumentUnavailableMiddleware",
]

ROOT_URLCONF = "paraph.urls"
WSGI_APPLICATION = "paraph.wsgi.application"
ASGI_APPLICATION = "paraph.asgi.application"
AUTH_USER_MODEL = "accounts.Person"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "adminbox:tasks"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "paraph.core.context_processors.platform",
                "paraph.support.context_processors.contact_centre",
                "paraph.identity.context_processors.identity_methods",
                "paraph.companies.middleware.acting",
            ],
        },
    },
]

# --- Database, cache, tasks -----------------------------------------------

DATABASE_URL = env_mandatory("DATABASE_URL", missing, when=PRODUCTION)
if PRODUCTION and DATABASE_URL and not DATABASE_URL.startswith(("postgres://", "postgresql://")):
    missing.append("DATABASE_URL must point at PostgreSQL in production")
_database_url = DATABASE_URL or f"sqlite:///{DATA_DIR / 'paraph.sqlite3'}"
# A request or task on PostgreSQL keeps its thread's connection for a minute
# (opening one costs a process on the server and several milliseconds: half
# of an adminbox page's time); a connection that broke while idle (a restart,
# a failover) is checked and replaced before it is used. SQLite opens a file.
DATABASES = {
    "default": dj_database_url.parse(
        _database_url,
        conn_max_age=env_int(
            "PARAPH_DB_CONN_MAX_AGE", 60 if _database_url.startswith("postgres") else 0
        ),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process and the task worker read while the other writes;
    # IMMEDIATE transactions take the write lock up front instead of failing on upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
_test_db_name = env_str("PARAPH_TEST_DB_NAME")
if _test_db_name and DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # Lets several test runs share one PostgreSQL server without colliding.
    DATABASES["default"]["TEST"] = {"NAME": _test_db_name}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_mandatory("REDIS_URL", missing, when=PRODUCTION)
# Every Redis key of this site starts with it (the cache's and RQ's), so
# several sites can share one Redis.
CACHE_PREFIX = env_str("PARAPH_CACHE_PREFIX", "paraph")
if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", CACHE_PREFIX):
    raise ImproperlyConfigured(
        "PARAPH_CACHE_PREFIX may hold only letters, digits and _ . : - (at most 64)"
    )
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_PREFIX,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Rate-limit counters must be shared by every web process: Redis when it is
# configured, otherwise a table in the database (never one process's memory).
RATELIMIT_BACKEND = env_str("PARAPH_RATELIMIT_BACKEND", "cache" if REDIS_URL else "database")

_task_backend = env_str("PARAPH_TASK_BACKEND", "rq" if PRODUCTION else "database")
# The task queues, most urgent first (ADR 25, docs/operations.md "Worker
# topology"): "interactive" carries what a person waits for on a page (log-in
# and verification codes); the others carry bulk work (messages, webhooks,
# batches and scheduled jobs). A worker takes from its queues in this order.
TASK_INTERACTIVE_QUEUE = "interactive"
TASK_QUEUES = [TASK_INTERACTIVE_QUEUE, "notifications", "webhooks", "default"]
# How many worker processes `paraph worker` starts for the interactive queue
# alone, next to the one that takes every queue: 0 runs one process, which
# still takes interactive tasks first but only between two bulk tasks.
WORKER_INTERACTIVE_PROCESSES = env_int("PARAPH_WORKER_INTERACTIVE_PROCESSES", 1)
if _task_backend == "database":
    TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": TASK_QUEUES,
        }
    }
elif _task_backend == "immediate":
    TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": []}
    }
elif _task_backend == "rq":
    # RQ reads its key prefix once, when it is first imported (after the
    # settings): its queues, jobs, registries and workers then all live under
    # "<PARAPH_CACHE_PREFIX>:rq:" (the core.W001 check says when it did not).
    os.environ["RQ_KEY_PREFIX"] = f"{CACHE_PREFIX}:rq"
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {name: {"URL": REDIS_URL or "redis://127.0.0.1:6379/0"} for name in TASK_QUEUES}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": TASK_QUEUES}}
else:
    raise ImproperlyConfigured("PARAPH_TASK_BACKEND must be database, rq or immediate")
# How long a worker (or an API request with an Idempotency-Key) holds the
# work it claimed: a message being sent, a webhook delivery, a bulk send (its
# lease renewed after each contract), a key being answered. When its process
# died, the work is taken up again once the lease ends (docs/operations.md,
# "Crash safety"). Longer than any one attempt may last.
WORK_LEASE_SECONDS = env_int("PARAPH_WORK_LEASE_SECONDS", 120)
# The database queue keeps a finished task's row (its arguments, its result or
# error) this many days, then a daily job deletes it: the table holds the
# recent work, not every task ever run.
TASK_RESULTS_KEEP_DAYS = env_int("PARAPH_TASK_RESULTS_KEEP_DAYS", 7)
# A bulk send is made by up to BATCH_PARALLELISM workers at once, each taking
# BATCH_CHUNK contracts at a time (docs/scaling.md). SQLite writes one
# transaction at a time: there one worker makes a batch.
BATCH_CHUNK = env_int("PARAPH_BATCH_CHUNK", 10)
BATCH_PARALLELISM = env_int(
    "PARAPH_BATCH_PARALLELISM",
    1 if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else 8,
)

# --- Files ----------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(env_str("PARAPH_MEDIA_ROOT", str(DATA_DIR / "media")))
# Where documents are kept (docs/operations.md, "Document storage"; ADR 21):
# the file system under MEDIA_ROOT (the embedded default) or an S3-compatible
# object store. Both are described here, so `paraph storage-migrate` can copy
# from one to the other whichever is in use.
DOCUMENT_STORAGE = env_str("PARAPH_STORAGE", "filesystem")
if DOCUMENT_STORAGE not in ("filesystem", "s3"):
    raise ImproperlyConfigured("PARAPH_STORAGE must be filesystem or s3")
DOCUMENT_STORAGES: dict[str, dict[str, Any]] = {
    "filesystem": {
        # under MEDIA_ROOT, read when first used (a test may move it)
        "BACKEND": "paraph.core.storage.FileSystemDocumentStorage",
    },
    "s3": {
        "BACKEND": "paraph.core.storage.S3DocumentStorage",
        "OPTIONS": {
            "bucket_name": env_mandatory(
                "PARAPH_S3_BUCKET", missing, when=DOCUMENT_STORAGE == "s3"
            ),
            "endpoint_url": env_str("PARAPH_S3_ENDPOINT_URL") or None,
            "access_key": env_str("PARAPH_S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("PARAPH_S3_SECRET_ACCESS_KEY") or None,
            "region_name": env_str("PARAPH_S3_REGION") or None,
            # a prefix inside the bucket ("" for its root)
            "location": env_str("PARAPH_S3_PREFIX"),
            "addressing_style": env_str("PARAPH_S3_ADDRESSING_STYLE", "path"),
            "signature_version": "s3v4",
            "file_overwrite": False,
            # a download larger than this goes through a temporary file, not memory
            "max_memory_size": 1024 * 1024,
        },
    },
}
STORAGES = {
    "default": DOCUMENT_STORAGES[DOCUMENT_STORAGE],
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("PARAPH_MAX_FORM_BYTES", 2_621_440)

# --- Languages ------------------------------------------------------------

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("nl", "Nederlands"), ("de", "Deutsch"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Brussels"
LANGUAGE_COOKIE_NAME = "paraph_language"
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Sessions and security ------------------------------------------------

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_NAME = "__Host-paraph_session" if PRODUCTION else "paraph_session"
SESSION_IDLE_SECONDS = env_int("PARAPH_SESSION_IDLE_MINUTES", 30) * 60
SESSION_ABSOLUTE_SECONDS = env_int("PARAPH_SESSION_ABSOLUTE_HOURS", 12) * 3600
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_NAME = "__Host-paraph_csrf" if PRODUCTION else "paraph_csrf"
CSRF_TRUSTED_ORIGINS = [BASE_URL] if BASE_URL else []
CSRF_FAILURE_VIEW = "paraph.web.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("PARAPH_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("PARAPH_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # "preload" only consents to the browsers' HTTPS-only list; an operator
    # who must not commit the whole domain to HTTPS turns it off.
    SECURE_HSTS_PRELOAD = env_bool("PARAPH_HSTS_PRELOAD", True)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    if env_bool("PARAPH_BEHIND_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The client address used by rate limits and the audit log: REMOTE_ADDR, or the
# right-most address a trusted proxy appended to X-Forwarded-For.
TRUSTED_PROXY_COUNT = env_int("PARAPH_TRUSTED_PROXY_COUNT", 0)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- One-time codes and lock-outs ----------------------------------------

CODE_DIGITS = env_int("PARAPH_CODE_DIGITS", 6)
CODE_TTL_SECONDS = env_int("PARAPH_CODE_TTL_SECONDS", 600)
CODE_MAX_TRIES = env_int("PARAPH_CODE_MAX_TRIES", 5)
CODE_RESEND_COOLDOWN_SECONDS = env_int("PARAPH_CODE_RESEND_COOLDOWN_SECONDS", 60)
LOGIN_LOCKOUT_FAILURES = env_int("PARAPH_LOGIN_LOCKOUT_FAILURES", 10)
LOGIN_LOCKOUT_SECONDS = env_int("PARAPH_LOGIN_LOCKOUT_MINUTES", 30) * 60

# --- Notifications --------------------------------------------------------

DEFAULT_FROM_EMAIL = env_str("PARAPH_FROM_EMAIL", "Paraph <no-reply@paraph.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
_email = env_str("PARAPH_EMAIL_BACKEND", "smtp" if PRODUCTION else "sandbox")
EMAIL_BACKEND = {
    "sandbox": "paraph.notifications.backends.SandboxEmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}.get(_email, _email)
if PRODUCTION and _email == "sandbox":
    missing.append("PARAPH_EMAIL_BACKEND must not be the sandbox in production")
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)

SMS_GATEWAY = env_str("PARAPH_SMS_GATEWAY", "http" if PRODUCTION else "sandbox")
if PRODUCTION and SMS_GATEWAY == "sandbox":
    missing.append("PARAPH_SMS_GATEWAY must not be the sandbox in production")
SMS_HTTP_URL = env_mandatory(
    "PARAPH_SMS_HTTP_URL", missing, when=PRODUCTION and SMS_GATEWAY == "http"
)
SMS_HTTP_AUTH_HEADER = env_str("PARAPH_SMS_HTTP_AUTH_HEADER")
SMS_HTTP_BODY_TEMPLATE = env_str(
    "PARAPH_SMS_HTTP_BODY_TEMPLATE", '{"to": "{to}", "from": "{sender}", "text": "{text}"}'
)
SMS_SENDER = env_str("PARAPH_SMS_SENDER", "Paraph")
SMS_HTTP_TIMEOUT = env_int("PARAPH_SMS_HTTP_TIMEOUT", 10)

# --- Identity providers (paraph.identity) ---------------------------------

# Which class serves each registration method: the sandbox implementations
# (offline, labelled as such on every page) or the real clients.
IDENTITY_PROVIDERS = {
    "itsme": env_str(
        "PARAPH_ITSME_PROVIDER",
        "paraph.identity.providers.itsme.ItsmeProvider"
        if PRODUCTION
        else "paraph.identity.providers.itsme.sandbox.SandboxItsmeProvider",
    ),
    "eid": env_str("PARAPH_EID_PROVIDER", "paraph.identity.providers.eid.EidProvider"),
    "idnow": env_str(
        "PARAPH_IDNOW_PROVIDER",
        "paraph.identity.providers.idnow.IdnowProvider"
        if PRODUCTION
        else "paraph.identity.providers.idnow.sandbox.SandboxIdnowProvider",
    ),
}

# The registration methods offered: one left out is offered on no page, its
# pages answer 404 and its settings are not needed (docs/operations.md).
IDENTITY_METHODS = env_list("PARAPH_IDENTITY_METHODS", ["itsme", "eid", "idnow"])
if not IDENTITY_METHODS or not set(IDENTITY_METHODS) <= {"itsme", "eid", "idnow"}:
    raise ImproperlyConfigured(
        "PARAPH_IDENTITY_METHODS takes one or more of itsme, eid, idnow, separated by commas"
    )

# The real itsme relying party (paraph.identity.providers.itsme): what itsme
# registered for Paraph, and where Paraph's own signing/encryption keys live.
_itsme_real = (
    "itsme" in IDENTITY_METHODS
    and IDENTITY_PROVIDERS["itsme"] == "paraph.identity.providers.itsme.ItsmeProvider"
)
ITSME_CLIENT_ID = env_mandatory("PARAPH_ITSME_CLIENT_ID", missing, when=PRODUCTION and _itsme_real)
ITSME_SERVICE_CODE = env_mandatory(
    "PARAPH_ITSME_SERVICE_CODE", missing, when=PRODUCTION and _itsme_real
)
ITSME_ISSUER = (
    env_mandatory("PARAPH_ITSME_ISSUER", missing, when=PRODUCTION and _itsme_real)
    or "https://idp.e2e.itsme.services/v2"
).rstrip("/")
ITSME_KEYS_FILE = env_mandatory(
    "PARAPH_ITSME_KEYS_FILE", missing, when=PRODUCTION and _itsme_real
) or str(DATA_DIR / "itsme" / "client-keys.json")
ITSME_REDIRECT_URI = env_mandatory(
    "PARAPH_ITSME_REDIRECT_URI", missing, when=PRODUCTION and _itsme_real
)
ITSME_TIMEOUT = env_int("PARAPH_ITSME_TIMEOUT", 10)
ITSME_KEY_GRACE_DAYS = env_int("PARAPH_ITSME_KEY_GRACE_DAYS", 7)

# The real IDnow client (paraph.identity.providers.idnow): the gateway, the
# company IDnow registered, its API key, and the secret IDnow's webhook
# presents (HTTP Basic password) so that nobody else can post results.
_idnow_real = (
    "idnow" in IDENTITY_METHODS
    and IDENTITY_PROVIDERS["idnow"] == "paraph.identity.providers.idnow.IdnowProvider"
)
IDNOW_GATEWAY_URL = env_mandatory(
    "PARAPH_IDNOW_GATEWAY_URL", missing, when=PRODUCTION and _idnow_real
).rstrip("/")
IDNOW_GO_URL = env_str("PARAPH_IDNOW_GO_URL").rstrip("/")
IDNOW_COMPANY_ID = env_mandatory(
    "PARAPH_IDNOW_COMPANY_ID", missing, when=PRODUCTION and _idnow_real
)
IDNOW_API_KEY = env_mandatory("PARAPH_IDNOW_API_KEY", missing, when=PRODUCTION and _idnow_real)
IDNOW_WEBHOOK_SECRET = env_mandatory(
    "PARAPH_IDNOW_WEBHOOK_SECRET", missing, when=PRODUCTION and _idnow_real
)
# The sandbox IDnow posts its results to the same webhook: with no secret
# configured, it and the webhook share one derived from the secret key.
IDNOW_SANDBOX_WEBHOOK_SECRET = SANDBOX and not IDNOW_WEBHOOK_SECRET
if PRODUCTION and _idnow_real and IDNOW_WEBHOOK_SECRET and len(IDNOW_WEBHOOK_SECRET) < 32:
    missing.append("PARAPH_IDNOW_WEBHOOK_SECRET must be at least 32 characters long")
IDNOW_TIMEOUT = env_int("PARAPH_IDNOW_TIMEOUT", 10)

# The eID card: one trust for logging in, registering and signing with it
# (paraph.identity.trust.EidTrust; docs/adr/0036-one-eid-trust.md).
# Certificate files (PEM or DER) of the Belgian eID roots and of the CAs
# whose cards are accepted (Citizen CA, Foreigner CA, ...), the certificate
# policies refused, and how the card's OCSP responder is asked at log-in.
# Without CAs, in sandbox mode, the sandbox's virtual cards
# (paraph.identity.providers.eid.sandbox, kept in EID_SANDBOX_DIR), their root and CA,
# whose OCSP responder is Paraph itself. The old names
# (PARAPH_EID_TRUSTED_CA_FILES, PARAPH_SIGNING_EID_CAS) are read for one
# more release when PARAPH_EID_CAS is unset, with a warning (core.W002).
DEPRECATED_SETTINGS: list[str] = []
EID_ROOTS = env_list("PARAPH_EID_ROOTS")
EID_CAS = env_list_renamed(
    "PARAPH_EID_CAS",
    ("PARAPH_EID_TRUSTED_CA_FILES", "PARAPH_SIGNING_EID_CAS"),
    DEPRECATED_SETTINGS,
)
if PRODUCTION and not EID_CAS:
    missing.append("PARAPH_EID_CAS is not set (the Belgian eID CAs)")
for _note in DEPRECATED_SETTINGS:
    warnings.warn(_note, FutureWarning, stacklevel=1)
EID_DISALLOWED_POLICIES = env_list("PARAPH_EID_DISALLOWED_POLICIES")
EID_OCSP_URL = env_str("PARAPH_EID_OCSP_URL")
EID_OCSP_TIMEOUT = env_int("PARAPH_EID_OCSP_TIMEOUT", 5)
EID_OCSP_MAX_AGE_SECONDS = env_int("PARAPH_EID_OCSP_MAX_AGE_SECONDS", 120)
EID_OCSP_NONCE = env_bool("PARAPH_EID_OCSP_NONCE", True)
EID_SANDBOX_DIR = DATA_DIR / "eid-sandbox"

# --- Companies (paraph.companies; docs/companies.md) ----------------------

# Where company data (names, legal form, address, establishments) comes from:
# a class following paraph.companies.providers.CompanyRegistry. The default
# reads the KBO/BCE open-data export loaded by `paraph import-kbo DIR`.
COMPANY_REGISTRY = env_str(
    "PARAPH_COMPANY_REGISTRY", "paraph.companies.providers.kbo.KboOpenDataRegistry"
)

# --- Contact centre (SU-2) ------------------------------------------------

CONTACT_PHONE = env_str("PARAPH_CONTACT_PHONE", "+32 2 664 13 60")
CONTACT_HOURS = env_str("PARAPH_CONTACT_HOURS", "mon-fri 08:00-16:45")
CONTACT_HOLIDAYS = env_list("PARAPH_CONTACT_HOLIDAYS")

# --- Signatures (paraph.signing; docs/adr/0006-signature-levels.md) -------

# PAdES level of every signature: B-T (time-stamped), B-LT or B-LTA.
SIGNING_LEVEL = env_str("PARAPH_SIGNING_LEVEL", "B-LTA")
SIGNING_MAX_PDF_BYTES = env_int("PARAPH_SIGNING_MAX_PDF_MB", 50) * 1024 * 1024
# Archive renewal (`paraph archive-renew`): a signed document gets a new
# document time-stamp this many days before its newest one's certificate ends.
SIGNING_ARCHIVE_RENEW_BEFORE_DAYS = env_int("PARAPH_SIGNING_ARCHIVE_RENEW_BEFORE_DAYS", 365)
# Where Paraph's seal and signing-CA keys live: "file" (PKCS#12) or "pkcs11".
SIGNING_KEY_STORE = env_str("PARAPH_SIGNING_KEY_STORE", "file")
SIGNING_SEAL_PKCS12 = env_mandatory(
    "PARAPH_SIGNING_SEAL_PKCS12", missing, when=PRODUCTION and SIGNING_KEY_STORE == "file"
)
SIGNING_SEAL_PKCS12_PASSWORD = env_str("PARAPH_SIGNING_SEAL_PKCS12_PASSWORD")
SIGNING_CA_PKCS12 = env_mandatory(
    "PARAPH_SIGNING_CA_PKCS12", missing, when=PRODUCTION and SIGNING_KEY_STORE == "file"
)
SIGNING_CA_PKCS12_PASSWORD = env_str("PARAPH_SIGNING_CA_PKCS12_PASSWORD")
SIGNING_PKCS11_MODULE = env_str("PARAPH_SIGNING_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so")
SIGNING_PKCS11_TOKEN = env_str("PARAPH_SIGNING_PKCS11_TOKEN")
SIGNING_PKCS11_PIN = env_str("PARAPH_SIGNING_PKCS11_PIN")
# Time-stamp authority: "sandbox" (in process, its certificate says so) or "http".
SIGNING_TSA = env_str("PARAPH_SIGNING_TSA", "http" if PRODUCTION else "sandbox")
if PRODUCTION and SIGNING_TSA == "sandbox":
    missing.append("PARAPH_SIGNING_TSA must not be the sandbox in production")
SIGNING_TSA_URL = env_mandatory("PARAPH_SIGNING_TSA_URL", missing, when=SIGNING_TSA == "http")
SIGNING_TSA_TIMEOUT = env_int("PARAPH_SIGNING_TSA_TIMEOUT", 10)
SIGNING_SANDBOX_TSA_PKCS12 = env_str("PARAPH_SIGNING_SANDBOX_TSA_PKCS12")
SIGNING_SANDBOX_TSA_PKCS12_PASSWORD = env_str("PARAPH_SIGNING_SANDBOX_TSA_PKCS12_PASSWORD")
# Trust is explicit, never the operating system's store: certificate files
# (PEM or DER) of Paraph's own roots and intermediate CAs (the signing CA).
# Signing also trusts the eID roots and CAs (EID_ROOTS, EID_CAS above); a
# Belgian root listed here as well, as before, does no harm.
SIGNING_TRUST_ROOTS = env_list("PARAPH_SIGNING_TRUST_ROOTS")
SIGNING_INTERMEDIATES = env_list("PARAPH_SIGNING_INTERMEDIATES")
if PRODUCTION and not SIGNING_TRUST_ROOTS:
    missing.append("PARAPH_SIGNING_TRUST_ROOTS is not set (Paraph's root)")
# The sandbox's virtual eID card reader (paraph.identity.providers.eid.sandbox), on
# every page that uses the card: log-in, registration, signing a contract or
# a mandate. By default on in sandbox mode while no real eID CA is configured
# (the only case where the virtual cards are trusted); never outside sandbox
# mode. Read by paraph.identity.providers.eid.sandbox.virtual_reader_enabled only.
EID_VIRTUAL_READER = SANDBOX and env_bool("PARAPH_EID_VIRTUAL_READER", not EID_CAS)
# The public verification (/verify/, paraph verify) also trusts these roots,
# for documents signed elsewhere: by default the Belgian eID roots shipped in
# paraph/signing/trust/belgium/ (CA2, CA3, CA4, CA6), so a PDF a citizen
# signed with an eID card anywhere is recognised. Empty: none. Signing never
# uses them.
SIGNING_VERIFY_EXTRA_ROOTS = env_list(
    "PARAPH_SIGNING_VERIFY_EXTRA_ROOTS",
    [
        str(BASE_DIR / "signing" / "trust" / "belgium" / f"belgium-root-ca{n}.pem")
        for n in (2, 3, 4, 6)
    ],
)
SIGNING_FETCH_REVOCATION = env_bool("PARAPH_SIGNING_FETCH_REVOCATION", True)
# OCSP answers and CRLs fetched while signing serve the next signatures for
# this many seconds (a batch asks each once); 0 asks for every document.
SIGNING_FETCHED_MAX_AGE_SECONDS = env_int("PARAPH_SIGNING_FETCHED_MAX_AGE_SECONDS", 60)
# The audit log's checkpoints (ADR 16): the module that seals and verifies
# them (statement_seal, statement_verify), and how many events one
# checkpoint numbers at most.
AUDIT_SEALER = env_str("PARAPH_AUDIT_SEALER", "paraph.signing.statements")
AUDIT_CHECKPOINT_MAX_EVENTS = env_int("PARAPH_AUDIT_CHECKPOINT_MAX_EVENTS", 50_000)
# Every task worker enqueues the scheduled jobs that are due (ADR 20), looking
# this often; 0 turns the schedule off (cron then runs the commands).
SCHEDULE_TICK_SECONDS = env_int("PARAPH_SCHEDULE_TICK_SECONDS", 15)
# A prepared eID signature must be finished within this time.
SIGNING_PREPARED_TTL_SECONDS = env_int("PARAPH_SIGNING_PREPARED_TTL_SECONDS", 600)

# --- Contracts, senders, API and webhooks (docs/contracts.md, docs/api.md) --

# Paraph's seal certifies each contract when it is created, with an empty
# signature field for the recipient (docs/contracts.md says why).
CONTRACT_SEAL = env_bool("PARAPH_CONTRACT_SEAL", True)
# How long the links of a contract e-mail (activate, open the contract) work.
CONTRACT_LINK_DAYS = env_int("PARAPH_CONTRACT_LINK_DAYS", 30)
CONTRACT_BULK_MAX = env_int("PARAPH_CONTRACT_BULK_MAX", 1000)
# Requests per minute per API key; JSON bodies (base64 PDFs) up to this size.
API_RATE_LIMIT_PER_MINUTE = env_int("PARAPH_API_RATE_LIMIT_PER_MINUTE", 600)
API_MAX_REQUEST_BYTES = env_int("PARAPH_API_MAX_REQUEST_MB", 100) * 1024 * 1024
# Each attempt to deliver a webhook gives up after this many seconds.
WEBHOOK_TIMEOUT_SECONDS = env_int("PARAPH_WEBHOOK_TIMEOUT_SECONDS", 5)
# Webhook endpoints on plain http:// and on loopback or private addresses
# (a sender's test receiver on this machine): the sandbox's default, refused
# in production, where every endpoint is https:// on a public address, pinned
# to the address it resolved to (no DNS rebinding to the inside).
WEBHOOK_ALLOW_LOCAL_ENDPOINTS = env_bool("PARAPH_WEBHOOK_ALLOW_LOCAL_ENDPOINTS", SANDBOX)
if PRODUCTION and WEBHOOK_ALLOW_LOCAL_ENDPOINTS:
    missing.append("PARAPH_WEBHOOK_ALLOW_LOCAL_ENDPOINTS must be false in production")

# --- Operations: health, metrics, logs (docs/operations.md) ----------------

# /health/ready is red when no task worker wrote its heartbeat for this long.
WORKER_SEEN_SECONDS = env_int("PARAPH_WORKER_SEEN_SECONDS", 120)
# The bearer token Prometheus presents at /metrics; unset: /metrics is 404.
METRICS_TOKEN = env_str("PARAPH_METRICS_TOKEN")
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    missing.append("PARAPH_METRICS_TOKEN must be at least 32 characters long")
# Take the request id from the X-Request-ID header (set by the proxy in
# front, which must replace the client's); otherwise Paraph makes one.
TRUST_REQUEST_ID = env_bool("PARAPH_TRUST_REQUEST_ID", False)

# --- Logging --------------------------------------------------------------

LOG_FORMAT = env_str("PARAPH_LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("PARAPH_LOG_FORMAT must be text or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "paraph.core.logs.RequestIdFilter"}},
    "formatters": {"json": {"()": "paraph.core.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": env_str("PARAPH_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint announces every step of every page it lays out at INFO.
        "weasyprint.progress": {"level": "WARNING"},
        # fontTools warns of every font table it leaves out of a subset.
        "fontTools": {"level": "ERROR"},
    },
}

PLATFORM_NAME = _("Paraph")

missing.check()
