"""One env-driven settings module.

SQLite (WAL) when nothing is set; PostgreSQL from ``DATABASE_URL``. Helpers are strict: a boolean
variable that is neither true nor false is an error, not a silent default.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from jingwu.geo import basemaps

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("JINGWU_VAR_DIR", BASE_DIR / "var"))
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)


def env(name: str, default: str = "") -> str:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = env(name, "true" if default else "false").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envnetworks(name: str) -> tuple[str, ...]:
    """A comma list of IP addresses and CIDR networks, each checked here so that a typo stops the start."""
    entries = tuple(e.strip() for e in env(name).split(",") if e.strip())
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {entry!r} is not an IP address or network") from exc
    return entries


def envint(name: str, default: int) -> int:
    value = env(name, str(default))
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from exc


DEBUG = envbool("JINGWU_DEBUG", False)
SECRET_KEY = env("JINGWU_SECRET_KEY", "insecure-demo-key-change-me-in-production")
if not DEBUG and SECRET_KEY.startswith("insecure") and envbool("JINGWU_PRODUCTION", False):
    raise ImproperlyConfigured("Set JINGWU_SECRET_KEY in production")
PRODUCTION = envbool("JINGWU_PRODUCTION", False)
ALLOWED_HOSTS = [h for h in env("JINGWU_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env("JINGWU_CSRF_TRUSTED_ORIGINS").split(",") if o]

INSTALLED_APPS = [
    "jingwu.adminsite.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "jingwu.audit",
    "jingwu.workcal",
    "jingwu.geo",
    "jingwu.org",
    "jingwu.cases",
    "jingwu.open311",
    "jingwu.web",
    "jingwu.notify",
    "jingwu.safety",
    "jingwu.iot",
    "jingwu.patrols",
    "jingwu.petitions",
    "jingwu.supervision",
    "jingwu.registry",
    "jingwu.stats",
    "jingwu.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "jingwu.middleware.RejectNul",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "jingwu.web.language.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "jingwu.audit.middleware.RequestContextMiddleware",
    "jingwu.web.session.SessionRules",
    # Last, as django-axes asks: it turns a locked-out sign-in into its lockout response.
    "axes.middleware.AxesMiddleware",
]

# Login throttling (等保 2.0: 登录失败处理) by django-axes: after JINGWU_LOGIN_FAILURES wrong passwords for one
# account, that account is locked for JINGWU_LOCKOUT_MINUTES on every sign-in path (pages, /api/auth/token,
# /admin/), the right password included. Locked by account rather than by address: grid workers often share
# one village's NAT address, and an attacker rotates addresses.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "jingwu.org.separation.PasswordBackend",
    # Admin permissions come from the administrator roles (三员分立), not from groups or per-user grants.
    "jingwu.org.separation.RoleBackend",
]
AXES_FAILURE_LIMIT = envint("JINGWU_LOGIN_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("JINGWU_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 warns that locking by account alone lets one client try many accounts. Locking by address as well
# would lock out a whole village office behind one NAT address after five typos; per-account lockout plus
# the password policy is the trade 等保 asks for, and failed sign-ins are in the axes log for the auditor.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "jingwu.org.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "jingwu.audit.middleware.client_ip"
AXES_VERBOSE = False
# Second factor (django-otp, TOTP as RFC 6238: any authenticator app). Optional for everyone; required for
# the roles listed here, who are sent to enrol after signing in. Failed codes slow the device down
# (django-otp's throttling: 1 s, doubling after each failure).
OTP_TOTP_ISSUER = env("JINGWU_OTP_ISSUER", "智慧精武")
# The security administrator may remove a person's device, never read its secret (which would clone it).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
JINGWU_OTP_ROLES = frozenset(r.strip() for r in env("JINGWU_OTP_ROLES").split(",") if r.strip())

ROOT_URLCONF = "jingwu.urls"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"
WSGI_APPLICATION = "jingwu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "jingwu" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# SQLite by default: one-command start for a town. IMMEDIATE transactions stop two writers from
# deadlocking on a read-to-write lock upgrade; WAL lets readers go on while one writes.
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=envint("JINGWU_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("JINGWU_SQLITE_PATH", str(VAR_DIR / "jingwu.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
            # A file, not memory, for the test database: the browser tests' live server answers requests on
            # several threads, and an in-memory database would make them share one connection.
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
        }
    }
# A read replica (PostgreSQL streaming replication) for heavy read-only work: the statistics report and the
# list exports the task worker builds read from it, explicitly (jingwu/dbrouter.py); everything else, and every
# write, stays on the primary, so a request reads what it has just written. Tests treat it as a mirror of
# default: no second test database.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=envint("JINGWU_CONN_MAX_AGE", 60), conn_health_checks=True
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["jingwu.dbrouter.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_REDIS = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env("REDIS_URL")}
CACHES = {
    "default": _REDIS if env("REDIS_URL") else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # What every process must see alike (version stamps of per-process copies): Redis, or else the database,
    # never per-process memory. The table is made by a migration (audit/0002).
    "shared": _REDIS
    if env("REDIS_URL")
    else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "jingwu_shared_cache"},
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "jingwu.org.passwords.CharacterClassesValidator"},
]
SESSION_COOKIE_AGE = envint("JINGWU_SESSION_SECONDS", 30 * 60)
# Saved when a person acts or when ``web.session`` renews it, not on every poll of a screen left open.
SESSION_SAVE_EVERY_REQUEST = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "jingwu" / "locale"]
TIME_ZONE = env("JINGWU_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Front-end libraries come from npm (package-lock.json) and are served from their dist folders.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    (prefix, NODE_MODULES / folder)
    for prefix, folder in [
        ("htmx", "htmx.org/dist"),
        ("leaflet", "leaflet/dist"),
        ("markercluster", "leaflet.markercluster/dist"),
        ("echarts", "echarts/dist"),
        # Tabler (Bootstrap 5) for the staff pages, and its icon font; only the built CSS and JS are served.
        ("tabler/css", "@tabler/core/dist/css"),
        ("tabler/js", "@tabler/core/dist/js"),
        ("tabler-icons", "@tabler/icons-webfont/dist"),
        # Geoman: drawing and editing grid boundaries on a map in the admin.
        ("geoman", "@geoman-io/leaflet-geoman-free/dist"),
        # WeUI, the WeChat design system, for the phone and citizen pages.
        ("weui", "weui/dist"),
        # The signature drawn on the screen at an inspection.
        ("signature_pad", "signature_pad/dist"),
    ]
    if (NODE_MODULES / folder).exists()
]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("JINGWU_MEDIA_ROOT", str(VAR_DIR / "media")))
# Photos and other uploads: a folder (MEDIA_ROOT) by default; an S3-compatible bucket (MinIO, 阿里云 OSS, 腾讯云
# COS, Amazon S3) when JINGWU_S3_BUCKET is set, so that several app nodes share them. Either way they stay
# private: the app serves them through its own views after checking who asks, so objects carry no public ACL,
# and any URL the backend makes (the admin's file links) is signed and short-lived.
JINGWU_S3_BUCKET = env("JINGWU_S3_BUCKET")
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if JINGWU_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": JINGWU_S3_BUCKET,
            "endpoint_url": env("JINGWU_S3_ENDPOINT_URL") or None,
            "access_key": env("JINGWU_S3_ACCESS_KEY") or None,
            "secret_key": env("JINGWU_S3_SECRET_KEY") or None,
            "region_name": env("JINGWU_S3_REGION") or None,
            # A prefix inside the bucket, so that one bucket can hold several installations.
            "location": env("JINGWU_S3_PREFIX"),
            # MinIO and most on-premises stores want path-style addresses (no bucket name in the host).
            "addressing_style": env("JINGWU_S3_ADDRESSING_STYLE", "path"),
            "signature_version": "s3v4",
            "default_acl": None,  # no ACL header: objects are as private as the bucket (never public-read)
            "querystring_auth": True,
            "querystring_expire": 300,
            # A name taken gets another name, as on the filesystem: nothing uploaded replaces another's file.
            "file_overwrite": False,
        },
    }
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("JINGWU_LOG_LEVEL", "WARNING")},
}

# --- Jingwu ---------------------------------------------------------------------------------------
# Administrative codes: Xiqing District of Tianjin (GB/T 2260) and the township's 3-digit code.
JINGWU_DISTRICT_CODE = env("JINGWU_DISTRICT_CODE", "120111")
JINGWU_TOWNSHIP_CODE = env("JINGWU_TOWNSHIP_CODE", "103")
# Working day: comma-separated HH:MM-HH:MM periods. The default is 8 working hours, so that
# 1 工作日 = 8 工作时 as the national practice counts it.
JINGWU_WORK_SCHEDULE = env("JINGWU_WORK_SCHEDULE", "08:30-12:00,13:00-17:30")
# Stage limits, in working minutes, for the states before and after handling (DOMAIN §3).
JINGWU_STAGE_LIMITS = {
    "reported": envint("JINGWU_LIMIT_ACCEPT_MIN", 30),
    "verifying": envint("JINGWU_LIMIT_VERIFY_MIN", 60),
    "to_file": envint("JINGWU_LIMIT_FILE_MIN", 30),
    "to_dispatch": envint("JINGWU_LIMIT_DISPATCH_MIN", 30),
    "returned": envint("JINGWU_LIMIT_REDISPATCH_MIN", 60),
    "to_check": envint("JINGWU_LIMIT_CHECK_MIN", 60),
    "to_close": envint("JINGWU_LIMIT_CLOSE_MIN", 30),
}
# Duplicate suggestion: same category, open, within this distance and time window.
JINGWU_DUPLICATE_METRES = envint("JINGWU_DUPLICATE_METRES", 100)
JINGWU_DUPLICATE_HOURS = envint("JINGWU_DUPLICATE_HOURS", 72)
JINGWU_MAX_PHOTO_BYTES = envint("JINGWU_MAX_PHOTO_BYTES", 10 * 1024 * 1024)
# Phones shrink photos before they queue them (weak signal): the long side in pixels and the JPEG quality
# (0–100); and cap what waits in a phone's outbox.
JINGWU_PHOTO_LONG_SIDE = envint("JINGWU_PHOTO_LONG_SIDE", 1920)
JINGWU_PHOTO_QUALITY = envint("JINGWU_PHOTO_QUALITY", 80)
JINGWU_OUTBOX_MB = envint("JINGWU_OUTBOX_MB", 50)
# Patrols (docs/patrols.md): a stretch of river within JINGWU_PATROL_REACH_M of the track counts as patrolled, a
# part of a grid within JINGWU_PATROL_GRID_REACH_M of it (a street's width either side); a move faster than
# JINGWU_PATROL_MAX_KMH is a GPS jump; a point farther than JINGWU_PATROL_OUTSIDE_M from the target is outside it.
JINGWU_PATROL_REACH_M = envint("JINGWU_PATROL_REACH_M", 50)
JINGWU_PATROL_GRID_REACH_M = envint("JINGWU_PATROL_GRID_REACH_M", 100)
JINGWU_PATROL_MAX_KMH = envint("JINGWU_PATROL_MAX_KMH", 120)
JINGWU_PATROL_OUTSIDE_M = envint("JINGWU_PATROL_OUTSIDE_M", 500)
# Supervision (docs/supervision.md): units are reminded JINGWU_TASK_REMIND_DAYS days before a task's deadline; a
# late task's 督办 rises a level every JINGWU_TASK_ESCALATE_DAYS days (leaders told from level 2); a target whose
# figure lags the share of the year it covers by more than JINGWU_TARGET_TOLERANCE_PCT points is 滞后. Tasks read
# from a report go to JINGWU_TASK_DEFAULT_UNIT (a department code or name) when the reader suggests no unit.
JINGWU_TASK_REMIND_DAYS = envint("JINGWU_TASK_REMIND_DAYS", 3)
JINGWU_TASK_ESCALATE_DAYS = envint("JINGWU_TASK_ESCALATE_DAYS", 5)
JINGWU_TARGET_TOLERANCE_PCT = envint("JINGWU_TARGET_TOLERANCE_PCT", 5)
JINGWU_TASK_DEFAULT_UNIT = env("JINGWU_TASK_DEFAULT_UNIT", "党政办公室")
# Decoded size limit: 50 megapixels takes any phone's full-resolution photo (8160×6120) and stops
# decompression bombs; Pillow's own guard (an error at twice its limit) is set to the same figure.
JINGWU_MAX_PHOTO_PIXELS = envint("JINGWU_MAX_PHOTO_PIXELS", 50_000_000)
JINGWU_CASE_PREFIX = env("JINGWU_CASE_PREFIX", "JW")
# Base maps (geo/basemaps.py): JINGWU_BASEMAP = local | tianditu | gaode | xyz; by default 天地图 when
# JINGWU_TIANDITU_KEY is set, an XYZ/WMTS-REST server when JINGWU_TILE_URL is (a Leaflet template; its datum in
# JINGWU_TILE_CRS, wgs84 or gcj02), else the town's own vector base map (roads, rivers, landmarks).
JINGWU_BASEMAP = env("JINGWU_BASEMAP", "")
JINGWU_TIANDITU_KEY = env("JINGWU_TIANDITU_KEY", "")
JINGWU_TILE_URL = env("JINGWU_TILE_URL", "")
JINGWU_TILE_IMAGERY_URL = env("JINGWU_TILE_IMAGERY_URL", "")
JINGWU_TILE_LABELS_URL = env("JINGWU_TILE_LABELS_URL", "")
JINGWU_TILE_CRS = env("JINGWU_TILE_CRS", "wgs84")
JINGWU_TILE_ATTRIBUTION = env("JINGWU_TILE_ATTRIBUTION", "")
JINGWU_TILE_SUBDOMAINS = env("JINGWU_TILE_SUBDOMAINS", "")
JINGWU_BASEMAP_LAYERS = basemaps.layers(
    JINGWU_BASEMAP,
    tianditu_key=JINGWU_TIANDITU_KEY,
    tile_url=JINGWU_TILE_URL,
    imagery_url=JINGWU_TILE_IMAGERY_URL,
    labels_url=JINGWU_TILE_LABELS_URL,
    subdomains=JINGWU_TILE_SUBDOMAINS,
    crs=JINGWU_TILE_CRS,
    attribution=JINGWU_TILE_ATTRIBUTION,
)
# The key of the audit trail's seals (audit/seal.py). Keep it from the database's administrators; by default
# it is derived from the secret key.
JINGWU_AUDIT_KEY = env("JINGWU_AUDIT_KEY") or hashlib.sha256(f"audit:{SECRET_KEY}".encode()).hexdigest()
# The key of the keyed digests that let sealed values be searched (lib/idcard.keyed: the registry's names, ID
# numbers and phones). Set it on its own so that the secret key can change without the digests; after changing
# this one, `jingwu rekey-registry` recomputes them. By default it is derived from the secret key.
JINGWU_INDEX_KEY = env("JINGWU_INDEX_KEY") or hashlib.sha256(f"index:{SECRET_KEY}".encode()).hexdigest()
# Keys of personal data at rest (lib/crypto.py): comma-separated Fernet keys, the newest first. Production must
# set its own; elsewhere one is derived from the secret key.
JINGWU_DATA_KEYS = [k.strip() for k in env("JINGWU_DATA_KEYS").split(",") if k.strip()]
if not JINGWU_DATA_KEYS:
    if PRODUCTION:
        raise ImproperlyConfigured("Set JINGWU_DATA_KEYS in production (`jingwu rotate-data-keys --new-key` makes one)")
    JINGWU_DATA_KEYS = [base64.urlsafe_b64encode(hashlib.sha256(f"data:{SECRET_KEY}".encode()).digest()).decode()]
# Reporters' contact details are erased this many days after a case closes (PIPL: kept no longer than needed).
JINGWU_PERSONAL_DATA_DAYS = envint("JINGWU_PERSONAL_DATA_DAYS", 3 * 365)
# A list export longer than this is built by the task worker (我的导出) instead of while the person waits.
JINGWU_EXPORT_SYNC_ROWS = envint("JINGWU_EXPORT_SYNC_ROWS", 5000)
# The evaluation's weights (docs/stats.md): JSON, subject → indicator → weight; a subject left out keeps the
# shipped default scheme.
JINGWU_EVALUATION = json.loads(os.environ.get("JINGWU_EVALUATION", "") or "{}")
# The leader overview and the big screen's figures are computed at most once in this many seconds (per
# language, and per viewer for the screen) and shared by every node through the shared cache: a city's year of
# cases takes about a second to count, and every leader's page and wall asks for it. 0 computes every time.
JINGWU_FIGURES_CACHE_SECONDS = envint("JINGWU_FIGURES_CACHE_SECONDS", 30)
# An Excel import of more rows than this is done by the task worker, its progress shown on a page.
JINGWU_IMPORT_SYNC_ROWS = envint("JINGWU_IMPORT_SYNC_ROWS", 300)
# The scheduler's warning before a deadline (working or continuous, as the case runs).
JINGWU_WARN_BEFORE_MIN = envint("JINGWU_WARN_BEFORE_MIN", 30)

# --- notifications (notify/): in-app always; e-mail, Web Push and SMS when set up -----------------------
# The site's address for links in e-mail and push messages.
JINGWU_SITE_URL = env("JINGWU_SITE_URL", "http://127.0.0.1:8000")
# Which channels each event goes on: a JSON object, event → list of channels (notify/rules.py has the events
# and the defaults), e.g. {"escalated": ["inapp", "sms"]}.
JINGWU_NOTIFY_RULES = json.loads(env("JINGWU_NOTIFY_RULES", "{}"))
JINGWU_NOTIFY_EMAIL = envbool("JINGWU_NOTIFY_EMAIL", False)
EMAIL_HOST = env("JINGWU_EMAIL_HOST", "localhost")
EMAIL_PORT = envint("JINGWU_EMAIL_PORT", 25)
EMAIL_HOST_USER = env("JINGWU_EMAIL_USER")
EMAIL_HOST_PASSWORD = env("JINGWU_EMAIL_PASSWORD")
EMAIL_USE_TLS = envbool("JINGWU_EMAIL_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("JINGWU_EMAIL_FROM", "jingwu@localhost")
# Web Push (VAPID, RFC 8292): `jingwu vapid-keys` makes a pair.
JINGWU_VAPID_PRIVATE_KEY = env("JINGWU_VAPID_PRIVATE_KEY")
JINGWU_VAPID_PUBLIC_KEY = env("JINGWU_VAPID_PUBLIC_KEY")
JINGWU_VAPID_SUBJECT = env("JINGWU_VAPID_SUBJECT", "mailto:admin@localhost")
# Push services: the browsers' own are known (notify/views.py); others by host name, comma-separated. An
# intranet one over plain HTTP (or a test's) must be allowed explicitly.
JINGWU_PUSH_HOSTS = [h.strip().lower() for h in env("JINGWU_PUSH_HOSTS").split(",") if h.strip()]
JINGWU_PUSH_ALLOW_PRIVATE = envbool("JINGWU_PUSH_ALLOW_PRIVATE", False)
# SMS (notify/sms.py): aliyun or tencent, with the account's keys, signature name and template.
JINGWU_SMS_PROVIDER = env("JINGWU_SMS_PROVIDER")
JINGWU_SMS_KEY_ID = env("JINGWU_SMS_KEY_ID")
JINGWU_SMS_KEY_SECRET = env("JINGWU_SMS_KEY_SECRET")
JINGWU_SMS_SIGN_NAME = env("JINGWU_SMS_SIGN_NAME", "智慧精武")
JINGWU_SMS_TEMPLATE = env("JINGWU_SMS_TEMPLATE")
JINGWU_SMS_APP_ID = env("JINGWU_SMS_APP_ID")
JINGWU_SMS_ENDPOINT = env("JINGWU_SMS_ENDPOINT")

# `jingwu serve` migrates and collects static files before it starts gunicorn, as one machine wants; app nodes
# that share a database set these to false and leave it to the release's single migrate (docs/deployment.md).
JINGWU_SERVE_MIGRATE = envbool("JINGWU_SERVE_MIGRATE", True)
JINGWU_SERVE_COLLECTSTATIC = envbool("JINGWU_SERVE_COLLECTSTATIC", True)

# --- transport security, from the environment (check --deploy is clean with JINGWU_PRODUCTION=true) ------
# JINGWU_HTTPS: the site is reached over TLS (directly, or through a proxy: set JINGWU_BEHIND_PROXY so that
# its X-Forwarded-Proto header is believed). Production assumes HTTPS unless told otherwise.
JINGWU_HTTPS = envbool("JINGWU_HTTPS", PRODUCTION)
if envbool("JINGWU_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# JINGWU_TRUSTED_PROXIES: the reverse proxies (addresses, networks) whose X-Forwarded-For is believed, for the
# client's address in the audit trail, the throttles and the sign-in log (audit/middleware.py, client_ip).
# Empty: the address is the connection's own, as a client could forge the header.
JINGWU_TRUSTED_PROXIES = envnetworks("JINGWU_TRUSTED_PROXIES")
SECURE_SSL_REDIRECT = envbool("JINGWU_SSL_REDIRECT", JINGWU_HTTPS)
SESSION_COOKIE_SECURE = envbool("JINGWU_SECURE_COOKIES", JINGWU_HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = envint("JINGWU_HSTS_SECONDS", 365 * 24 * 3600 if JINGWU_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("JINGWU_HSTS_SUBDOMAINS", JINGWU_HTTPS)
SECURE_HSTS_PRELOAD = envbool("JINGWU_HSTS_PRELOAD", JINGWU_HTTPS)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


# Content-Security-Policy (django-csp): scripts only from this site or with the page's nonce; images also
# from the configured tile server. The interactive API docs (Swagger UI) carry inline scripts of their own.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *basemaps.hosts(JINGWU_BASEMAP_LAYERS)],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
