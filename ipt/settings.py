"""One settings file, configured from the environment.

Development (the default) works with no configuration: SQLite, an in-memory channel layer and
secrets generated once into a git-ignored file. ``IPT_ENV=production`` turns on secure defaults
and refuses to start without the secrets it needs.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from ipt.lib.env import env, env_bool, env_list, local_secret

BASE_DIR = Path(__file__).resolve().parent.parent
IPT_ENV = env("IPT_ENV", "development")
PRODUCTION = IPT_ENV == "production"
DEBUG = env_bool("DEBUG", not PRODUCTION)


def _required_secret(name: str) -> str:
    value = env(name, "")
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set when IPT_ENV=production.")
    return local_secret(BASE_DIR / ".local-secrets.json", name)


SECRET_KEY = _required_secret("SECRET_KEY")
# Comma-separated Fernet keys, newest first: the first encrypts, all decrypt.
FIELD_ENCRYPTION_KEYS = env_list(_required_secret("FIELD_ENCRYPTION_KEYS"))

ALLOWED_HOSTS = env_list(env("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver"))
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when IPT_ENV=production.")
CSRF_TRUSTED_ORIGINS = env_list(env("CSRF_TRUSTED_ORIGINS", ""))
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Directory of clinic-supplied instrument definition files (docs/instrument-definitions.md).
IPT_INSTRUMENT_DIR = env("IPT_INSTRUMENT_DIR", "")
# Telehealth: reminders before each appointment (minutes), the call's opening window, ICE servers.
IPT_REMINDER_OFFSETS_MINUTES = [int(m) for m in env_list(env("IPT_REMINDER_OFFSETS_MINUTES", "1440,60"))]
IPT_CALL_OPENS_MINUTES_BEFORE = int(env("IPT_CALL_OPENS_MINUTES_BEFORE", "15"))
# The rendered caseload table is also dropped on every change; this bounds what only time changes
# (a questionnaire falling due).
IPT_CASELOAD_CACHE_SECONDS = int(env("IPT_CASELOAD_CACHE_SECONDS", "60"))
IPT_CALL_CLOSES_MINUTES_AFTER = int(env("IPT_CALL_CLOSES_MINUTES_AFTER", "60"))
IPT_STUN_URLS = env_list(env("IPT_STUN_URLS", ""))
IPT_TURN_URLS = env_list(env("IPT_TURN_URLS", ""))
IPT_TURN_SECRET = env("IPT_TURN_SECRET", "")  # coturn static-auth-secret (REST API credentials)
IPT_TURN_TTL_SECONDS = int(env("IPT_TURN_TTL_SECONDS", str(4 * 60 * 60)))
# Secure messages: the longest message, and attachments per file and per message.
IPT_MESSAGE_MAX_CHARS = int(env("IPT_MESSAGE_MAX_CHARS", "5000"))
IPT_MESSAGE_ATTACHMENT_MAX_BYTES = int(env("IPT_MESSAGE_ATTACHMENT_MAX_BYTES", str(5 * 1024 * 1024)))
IPT_MESSAGE_ATTACHMENTS_MAX = int(env("IPT_MESSAGE_ATTACHMENTS_MAX", "3"))
# Unacknowledged risk alerts escalate to the therapist's supervisor after this many minutes.
IPT_ALERT_ESCALATE_AFTER_MINUTES = int(env("IPT_ALERT_ESCALATE_AFTER_MINUTES", "60"))
# Emergency (break-glass) access: how long a grant lasts, the shortest reason, how long the
# patient's therapist sees the notice on their home page.
IPT_BREAK_GLASS_MINUTES = int(env("IPT_BREAK_GLASS_MINUTES", "60"))
IPT_BREAK_GLASS_MIN_REASON = int(env("IPT_BREAK_GLASS_MIN_REASON", "20"))
IPT_BREAK_GLASS_NOTICE_DAYS = int(env("IPT_BREAK_GLASS_NOTICE_DAYS", "14"))
# The benchmark's baseline (make bench): a bare "hello" view at /bench/hello, routed only when set.
IPT_BENCH_HELLO = env_bool("IPT_BENCH_HELLO", False)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "ninja",  # serves Swagger UI from our own static files (the CSP allows no CDN)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "ipt.audit",
    "ipt.accounts",
    "ipt.care",
    "ipt.visits",
    "ipt.measures",
    "ipt.safety",
    "ipt.scheduling",
    "ipt.telehealth",
    "ipt.practice",
    "ipt.messaging",
    "ipt.interop",
    "ipt.breakglass",
    "ipt.benchmarking",  # manage.py seed_bench: the benchmark data set
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Outside sessions and auth (they read the database): a request that failed on an unreachable
    # database gets a clean 503 (R5).
    "ipt.lib.outage.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ipt.accounts.middleware.LoginRequiredMiddleware",
    "ipt.accounts.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "ipt.accounts.middleware.SessionTimeoutMiddleware",
    "ipt.accounts.middleware.RequireMFAMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ipt.urls"
ASGI_APPLICATION = "ipt.asgi.application"
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
                "ipt.accounts.context_processors.session_limits",
                "ipt.lib.live.live_status",
            ],
            # {% url %} with its answers remembered (ipt/lib/url_tag.py).
            "builtins": ["ipt.lib.url_tag", "ipt.lib.shell_tag"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"), conn_max_age=60
    )
}
# After a database restart a reused connection is found dead before a request uses it (R5).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable server fails a request in seconds instead of hanging it.
    connect_timeout = int(env("DATABASE_CONNECT_TIMEOUT", "5"))
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = connect_timeout
    # Parameters bound by the server, so psycopg prepares a statement a connection runs often (its
    # fifth time) and PostgreSQL stops parsing and planning it on every page: the same two cores
    # served about 9 % more pages (issue 7, P2).
    # (Django turns psycopg's preparing off for external poolers such as pgbouncer; ours is in-process.)
    if env_bool("DATABASE_SERVER_SIDE_BINDING", True):
        DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=5)
    # A pool of connections per process (psycopg-pool): under ASGI each request runs in a thread of
    # its own, so persistent connections (CONN_MAX_AGE) are never reused and every request opened
    # a new connection (Django ticket #33497, issue 7). Pooled connections are returned at the end
    # of each request (CONN_MAX_AGE must be 0) and checked before reuse (CONN_HEALTH_CHECKS); a
    # request waits at most the connect timeout for one, then gets the clean 503 (R5). The pool
    # stops retrying a lost connection after the connect timeout too: its retries back off (1, 2,
    # 4 ... s), so after a long outage the first requests would wait for the next retry; without
    # one under way a request that finds the pool empty connects at once.
    if env_bool("DATABASE_POOL", True):
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": int(env("DATABASE_POOL_MIN_SIZE", "2")),
            "max_size": int(env("DATABASE_POOL_MAX_SIZE", "10")),
            "timeout": connect_timeout,
            "reconnect_timeout": connect_timeout,
        }
SQLITE_CHECKPOINT_PAGES = 10_000
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Serialise write transactions: select_for_update() does nothing on SQLite.
    # WAL: readers do not wait for the writer, and with synchronous=NORMAL a commit appends to the
    # log without an fsync (the log is synced at checkpoints): every page writes an audit row, and
    # a commit took about 30 ms with the rollback journal and synchronous=FULL (issue 7). A power
    # cut may lose the last commits, never corrupt the file.
    # Writers queue on locks that wake them instead of sleeping in SQLite's busy handler.
    # The log is copied back into the file (and synced) when it passes 10,000 pages (about 40 MB),
    # not SQLite's 1,000: the commit that does it holds the write lock meanwhile, and each audit row
    # rewrites a dozen pages, so at 1,000 a page view in a hundred stalled every writer, up to 259 ms,
    # copying the same hot pages again and again. At 10,000 the 10,000-patient bench's pages cost 4.1
    # ms of CPU instead of 5.5 and their p95 fell from 81-93 to 56-77 ms (issue 7, P2).
    DATABASES["default"]["ENGINE"] = "ipt.lib.sqlite"
    # Tests: in memory, as for Django's own engine (pytest-django recognises only that one's name).
    DATABASES["default"].setdefault("TEST", {"NAME": ":memory:"})
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            f"PRAGMA wal_autocheckpoint={SQLITE_CHECKPOINT_PAGES}"
        ),
    }
    # Kept by the threads that serve requests (ipt/lib/http_queue.py): a new connection cost about
    # 3 ms, most of it reading the schema.
    DATABASES["default"]["CONN_MAX_AGE"] = int(env("DATABASE_CONN_MAX_AGE", "600"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Threads per worker process that run Django's page views (GET, HEAD ...), those that run requests
# that change something (POST ...), and those that run the slow views (PDFs, marked @slow); other
# requests wait their turn (ipt/lib/http_queue.py).
# One of each: Python runs one thread of a process at a time, so more only helps while requests wait
# on a database on another machine (docs/deployment.md).
IPT_HTTP_CONCURRENCY = int(env("IPT_HTTP_CONCURRENCY", "1"))
IPT_HTTP_WRITE_THREADS = int(env("IPT_HTTP_WRITE_THREADS", "1"))
IPT_HTTP_SLOW_THREADS = int(env("IPT_HTTP_SLOW_THREADS", "1"))

REDIS_URL = env("REDIS_URL", "")
REDIS_PREFIX = env("REDIS_PREFIX", "ipt")
# Pages say "live features are paused" when the channel layer does not answer a PING within
# IPT_LIVE_CHECK_TIMEOUT seconds; checked at most every IPT_LIVE_CHECK_SECONDS per process.
IPT_LIVE_CHECK_SECONDS = float(env("IPT_LIVE_CHECK_SECONDS", "5"))
IPT_LIVE_CHECK_TIMEOUT = float(env("IPT_LIVE_CHECK_TIMEOUT", "0.5"))
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # channels_redis's layer, with a receive that ends when it is cancelled (see there).
            "BACKEND": "ipt.lib.channel_layer.RedisChannelLayer",
            # redis-py 8 defaults socket_timeout to 5 s, the length of channels_redis's blocking
            # pop: every idle consumer would crash with TimeoutError after 5 s. Wait longer.
            "CONFIG": {
                # Redis-py's pool raises (not waits) past max_connections: hundreds of sockets
                # leaving their groups at once need more than its default.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15, "max_connections": 1000}],
                "prefix": f"{REDIS_PREFIX}:asgi",
                # Every consumer of a process shares one inbox key, and its capacity (default 100)
                # counts all their waiting events: 500 call sockets joining at once overflowed it.
                "capacity": 1000,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
            # Not a new pool (and Redis connection) per request (see there).
            "OPTIONS": {"pool_class": "ipt.lib.redis_pool.ProcessConnectionPool"},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background tasks (reminders, emails): stored in the database and run by `manage.py db_worker`;
# with REDIS_URL (or IPT_TASKS_BACKEND=rq) in Redis and run by
# `manage.py rqworker --job-class django_tasks_rq.Job --with-scheduler`.
IPT_TASKS_BACKEND = env("IPT_TASKS_BACKEND", "rq" if REDIS_URL else "database")
if IPT_TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0"}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Accounts, passwords and sessions
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "ipt.accounts.backends.UserBackend",
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Flash messages may name people: keep them server-side, not in a readable signed cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60
INVITATION_VALID_DAYS = 7

IDLE_LOGOFF_STAFF = timedelta(minutes=15)
IDLE_LOGOFF_PATIENT = timedelta(minutes=30)
ABSOLUTE_LOGOFF = timedelta(hours=12)
IDLE_WARNING_BEFORE = timedelta(minutes=2)
# Django's database sessions, read without the ORM's query building (every request).
SESSION_ENGINE = "ipt.accounts.session_store"
SESSION_COOKIE_AGE = int(ABSOLUTE_LOGOFF.total_seconds())
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# At most 10 failures in a row per account, then a 15-minute cool-off: 40 tries an hour at most.
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "ipt.accounts.views.locked_out"
AXES_VERBOSE = False
# Lockout is per account on purpose (a clinic shares one IP behind NAT); axes warns otherwise.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

OTP_TOTP_ISSUER = "IPT Online"
OTP_TOTP_THROTTLE_FACTOR = 1

# Email
# Development prints mail to the console unless EMAIL_BACKEND says otherwise.
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(env("EMAIL_PORT", "1025"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "IPT Online <no-reply@ipt.invalid>")

# Static files, language, time
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Security headers
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}
