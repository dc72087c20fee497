"""Settings shared by every environment.

Everything a deployment may change is read from the environment through one
``env``; README.md lists every variable. Policy numbers default to the store's
published Return & Refund Policy (see docs/rules.md) and are never literals elsewhere.
"""

import logging
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def env_url(name: str, default: str) -> str:
    """The URL in ``name``, or ``default`` when it is unset or empty (``CACHE_URL=`` means no cache URL)."""
    return env(name, default="") or default


DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "axes",
    "anymail",
    "accounts",
    "returns",
]

# The security headers come next, so every response gets them: the HTTPS redirect and the
# plain-text refusals of the middleware below included.
MIDDLEWARE = [
    # First: every log line of the request carries its id, echoed in X-Request-ID (core/logs.py).
    "core.logs.RequestLogMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # /healthz, /readyz and /metrics, before the HTTPS redirect and the Host check (returns/web/probes.py).
    "returns.web.probes.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "returns.web.middleware.RejectUnstorableInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Sets the device cookie a sign-in earned (accounts/devices.py).
    "accounts.devices.DeviceCookieMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Last, as django-axes asks: turns a paused sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "returns.web.context_processors.store",
            ],
        },
    },
    {
        # Plain-text email (subjects and bodies) is not HTML: nothing is escaped, so "O'Brien" stays O'Brien.
        # Used only by name (render_to_string(..., using="text")); pages always get the escaping engine above.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False, "context_processors": []},
    },
]

# A SQLite file in the project folder is the newcomer's default; production
# sets DATABASE_URL to PostgreSQL.
DATABASES = {"default": env.db_url_config(env_url("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of
    # both reading stale data and one failing half-way (R4, R12 on SQLite).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # JIT compiles a query when its estimated total cost is high, which a LIMIT 50 over a big table
    # often is: hundreds of ms of compiling for a page that reads 50 rows (see bench/admin.py).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# django-axes' backend first: a paused sign-in is refused before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.backends.EmailBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# The store's time zone: "days" in the policy are calendar dates here.
TIME_ZONE = env("TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Photos are private: no MEDIA_URL is served; a view checks who may see each file.
MEDIA_URL = "/media-not-served/"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Photos in an S3-compatible bucket (django-storages) when AWS_STORAGE_BUCKET_NAME is set, so
# every app host sees them. Objects get no ACL (the bucket's private default); the photo view
# checks who asks, then streams the file or (PHOTO_SERVING=redirect) sends a URL signed for
# PHOTO_URL_MAX_AGE seconds. Credentials come from boto3's usual places (AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY, or an instance role).
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
PHOTO_SERVING = env("PHOTO_SERVING", default="stream")
PHOTO_URL_MAX_AGE = env.int("PHOTO_URL_MAX_AGE", default=60)


def s3_photo_storage(bucket: str) -> dict:
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "addressing_style": env("AWS_S3_ADDRESSING_STYLE", default=None),
            "signature_version": "s3v4",
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": PHOTO_URL_MAX_AGE,
            "file_overwrite": False,
            "object_parameters": {"ContentType": "image/jpeg", "CacheControl": "private, max-age=3600"},
        },
    }


def bucket_origin(options: dict) -> str:
    """Where the storage's signed photo URLs point (scheme and host), for the CSP's ``img-src``.

    Asked of botocore with the storage's own endpoint, region and addressing style, so it is the
    host django-storages will sign for: the endpoint, or the bucket's virtual host or path-style
    host on AWS (botocore chooses, e.g. path style for a bucket name with dots). No credentials
    are needed: nothing is signed here.
    """
    if options.get("custom_domain"):
        return f"{options.get('url_protocol', 'https:')}//{options['custom_domain']}"
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    config = Config(signature_version=UNSIGNED, s3={"addressing_style": options.get("addressing_style")})
    client = boto3.session.Session().client(
        "s3", endpoint_url=options.get("endpoint_url"), region_name=options.get("region_name"), config=config
    )
    url = client.generate_presigned_url("get_object", Params={"Bucket": options["bucket_name"], "Key": "photo.jpg"})
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def photo_image_sources(photo_storage: dict, photo_serving: str) -> list[str]:
    """Where pages load photos from besides the portal: the bucket, only when photos redirect to it."""
    if photo_serving == "redirect" and photo_storage["BACKEND"] == "storages.backends.s3.S3Storage":
        return [bucket_origin(photo_storage["OPTIONS"])]
    return []


if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = s3_photo_storage(AWS_STORAGE_BUCKET_NAME)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Security headers on every response, customer pages and admin alike (django-csp,
# django-permissions-policy). Scripts and styles come only from our static files: no
# inline <script>, <style> or style="" anywhere (the admin's own templates have none).
# Images come from the portal, and with PHOTO_SERVING=redirect from the photo bucket's origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *photo_image_sources(STORAGES["default"], PHOTO_SERVING)],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
# The photo input may use the camera (on phones it offers to take the photo); nothing
# else the browser can reach is used.
PERMISSIONS_POLICY = {
    "camera": ["self"],
    "geolocation": [],
    "microphone": [],
    "payment": [],
    "usb": [],
    "browsing-topics": [],
}

# Email: EMAIL_URL such as smtp+tls://user:pass@smtp.example.com:587
vars().update(env.email_url_config(env_url("EMAIL_URL", "consolemail://")))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Alotrop Returns <support@alotrop.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
STAFF_NOTIFICATION_EMAIL = env("STAFF_NOTIFICATION_EMAIL", default="support@alotrop.com")
# "immediate": send right after the change commits (and retry later if that fails);
# "worker": leave it to `manage.py send_notifications --loop` (production).
EMAIL_DELIVERY = env("EMAIL_DELIVERY", default="immediate")
# With "immediate", send on a background thread after the response (False only in tests).
EMAIL_IN_BACKGROUND = env.bool("EMAIL_IN_BACKGROUND", default=True)
# Seconds any one step of an SMTP conversation may take before the attempt fails (and is retried).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=8)
# A worker claims an email for this long before sending it; if it dies mid-send, the email
# is retried only after this (so a slow send is never sent twice by two workers).
NOTIFICATION_LEASE_SECONDS = env.int("NOTIFICATION_LEASE_SECONDS", default=300)
# Sending through a provider: EMAIL_PROVIDER=postmark sends with django-anymail's Postmark backend (its delivery
# and bounce webhooks then update each email's row); "smtp" (the default) keeps EMAIL_URL's backend.
EMAIL_PROVIDER = env("EMAIL_PROVIDER", default="smtp")
if EMAIL_PROVIDER == "postmark":
    EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
ANYMAIL = {
    # user:password for the providers' webhooks (inbound mail, delivery news), given to the provider in the URL.
    "WEBHOOK_SECRET": env("ANYMAIL_WEBHOOK_SECRET", default=""),
    "POSTMARK_SERVER_TOKEN": env("POSTMARK_SERVER_TOKEN", default=""),
    "POSTMARK_API_URL": env("POSTMARK_API_URL", default="https://api.postmarkapp.com/"),
    "REQUESTS_TIMEOUT": env.int("EMAIL_TIMEOUT", default=10),
}
# The largest inbound email (with its attachments) the webhook reads; bigger ones get a 413.
INBOUND_EMAIL_MAX_BYTES = env.int("INBOUND_EMAIL_MAX_BYTES", default=30 * 1024 * 1024)
# A return's conversation: customer messages per return per hour (from the page; replies by email are not counted).
MESSAGES_PER_HOUR = env.int("MESSAGES_PER_HOUR", default=10)
# Replies by email: every email about a return says Reply-To <local>+<token>@<domain> built from this address
# (e.g. returns@reply.alotrop.com); the inbound webhook reads the token back. Empty: no Reply-To.
REPLY_TO_ADDRESS = env("REPLY_TO_ADDRESS", default="")
# How long a link emailed to a guest (no account) keeps opening their order.
GUEST_LINK_MAX_AGE = env.int("GUEST_LINK_MAX_AGE", default=60 * 60 * 24 * 30)

# The store.
STORE_NAME = env("STORE_NAME", default="Alotrop")
STORE_URL = env("STORE_URL", default="https://alotrop.com")
STORE_SUPPORT_EMAIL = env("STORE_SUPPORT_EMAIL", default="support@alotrop.com")
STORE_RETURN_ADDRESS = env(
    "STORE_RETURN_ADDRESS",
    default="Alotrop Returns, 100 Warehouse Way, Newark, NJ 07102, USA",
)
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

# The policy (docs/rules.md). Defaults are the published policy's numbers.
RETURN_WINDOW_DAYS = env.int("RETURN_WINDOW_DAYS", default=28)
SHIP_BY_DAYS = env.int("SHIP_BY_DAYS", default=28)
SHIP_BY_REMINDER_DAYS = env.int("SHIP_BY_REMINDER_DAYS", default=7)
FREE_SHIPPING_RETURN_FEE = Decimal(env("FREE_SHIPPING_RETURN_FEE", default="9.99"))
REFUND_BUSINESS_DAYS_MIN = env.int("REFUND_BUSINESS_DAYS_MIN", default=5)
REFUND_BUSINESS_DAYS_MAX = env.int("REFUND_BUSINESS_DAYS_MAX", default=10)

# Approved at once (returns/domain/risk.py): "off" (staff review every request), "standard" (requests
# whose lines all have standard reasons), "all" (fault claims with their photos too). A risk
# rule holds a request for staff instead: a refund above AUTO_APPROVE_MAX_REFUND, more than
# AUTO_APPROVE_MAX_RETURNS_90_DAYS requests from the same email in 90 days, or an email on the
# block list (kept in the admin).
AUTO_APPROVE = env("AUTO_APPROVE", default="standard")
if AUTO_APPROVE not in ("off", "standard", "all"):
    raise ImproperlyConfigured(f"AUTO_APPROVE must be off, standard or all, not {AUTO_APPROVE!r}.")
AUTO_APPROVE_MAX_REFUND = Decimal(env("AUTO_APPROVE_MAX_REFUND", default="200.00"))
AUTO_APPROVE_MAX_RETURNS_90_DAYS = env.int("AUTO_APPROVE_MAX_RETURNS_90_DAYS", default=3)
# How soon staff usually review a return that waits for them, as the customer is told ("usually within one
# business day" for 24).
REVIEW_TARGET_HOURS = env.int("REVIEW_TARGET_HOURS", default=24)
if REVIEW_TARGET_HOURS < 1:
    raise ImproperlyConfigured(f"REVIEW_TARGET_HOURS must be at least 1, not {REVIEW_TARGET_HOURS}.")
# What happens to an item received but not accepted at inspection (told on the return's page and
# in the email): "hold" it UNACCEPTED_ITEM_HOLD_DAYS for the customer to ask for it back, then
# recycle or donate it; "send_back" at the store's cost; or "dispose".
UNACCEPTED_ITEM = env("UNACCEPTED_ITEM", default="hold")
if UNACCEPTED_ITEM not in ("hold", "send_back", "dispose"):
    raise ImproperlyConfigured(f"UNACCEPTED_ITEM must be hold, send_back or dispose, not {UNACCEPTED_ITEM!r}.")
UNACCEPTED_ITEM_HOLD_DAYS = env.int("UNACCEPTED_ITEM_HOLD_DAYS", default=30)

# Django's system checks to leave out, by id (e.g. returns.W002 on a deployment with one host: README).
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])

# seed_demo makes accounts with a known password: only where this is True.
DEMO_DATA_ALLOWED = False


def logging_config(log_format: str) -> dict:
    """Every line to stderr with its request id or outbox row id (core/logs.py); ``json``: one JSON object a line."""
    if log_format not in ("text", "json"):
        raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {log_format!r}.")
    # Python's warnings (a library's deprecation, a missing folder) become log lines too, in the same format.
    logging.captureWarnings(log_format == "json")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "core.logs.ContextFilter"}},
        "formatters": {
            "json": {"()": "core.logs.json_formatter"},
            "text": {"format": "{asctime} {levelname} {name} [{request_id}] {message}", "style": "{"},
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["context"], "formatter": log_format}},
        "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    }


# "text" for people at a terminal; "json" (production's default) for a log collector.
LOG_FORMAT = env("LOG_FORMAT", default="text")
LOGGING = logging_config(LOG_FORMAT)

# Errors to Sentry (sentry-sdk) when set, with email addresses and request bodies scrubbed (core/errors.py).
SENTRY_DSN = env("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", default="production")
if SENTRY_DSN:
    from core.errors import sentry_init

    sentry_init(SENTRY_DSN, environment=SENTRY_ENVIRONMENT)

# /readyz fails when a due email, refund or event has waited longer than this many seconds for its worker
# (0: the outboxes are not checked). /metrics answers only with "Authorization: Bearer <METRICS_TOKEN>",
# and not at all while it is empty.
READYZ_OUTBOX_MAX_AGE = env.int("READYZ_OUTBOX_MAX_AGE", default=60 * 60)
METRICS_TOKEN = env("METRICS_TOKEN", default="")

# Customer accounts and guest links
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "returns:orders"
LOGOUT_REDIRECT_URL = "home"
# GUEST_LINK_MAX_AGE (how long a guest link opens its order) is set with the email settings above.
# How long a guest link or code keeps an order open in one browser session, at most.
GUEST_SESSION_MAX_AGE = env.int("GUEST_SESSION_MAX_AGE", default=60 * 60 * 24)
# The 6-digit code in the guest email: seconds it works, and tries before a new one is needed.
GUEST_CODE_MAX_AGE = env.int("GUEST_CODE_MAX_AGE", default=10 * 60)
GUEST_CODE_TRIES = env.int("GUEST_CODE_TRIES", default=5)
# How long the link that verifies a new account's email address works.
EMAIL_VERIFICATION_MAX_AGE = env.int("EMAIL_VERIFICATION_MAX_AGE", default=60 * 60 * 24 * 3)
# Emails with a link (guest link, sign-up, verification, password reset) per hour (accounts/throttle.py).
# Per client and address pair, and a ceiling per client sized for customers behind one shared
# address (an office, a carrier's NAT): over them, that client waits for the next hour. Per
# email address, whoever asks: over it, one link a minute to that address (it only slows, so
# strangers cannot use up its owner's links); the owner's known browser is never held up.
GUEST_LINK_RATE_PER_ADDRESS = env.int("GUEST_LINK_RATE_PER_ADDRESS", default=5)
GUEST_LINK_RATE_PER_CLIENT_AND_ADDRESS = env.int("GUEST_LINK_RATE_PER_CLIENT_AND_ADDRESS", default=3)
GUEST_LINK_RATE_PER_CLIENT = env.int("GUEST_LINK_RATE_PER_CLIENT", default=100)
# Reverse proxies in front of the app: the client is the Nth address from the right of
# X-Forwarded-For. 0 trusts REMOTE_ADDR (no proxy, or a proxy that rewrites it).
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
# A shared cache; Redis in production: CACHE_URL=redis://host:6379/0. Without one, the
# throttles count in the database (THROTTLE_STORE=database), shared by every process.
CACHE_URL = env("CACHE_URL", default="")
CACHES = {"default": env.cache_url_config(env_url("CACHE_URL", "locmemcache://"))}
THROTTLE_STORE = env("THROTTLE_STORE", default="cache" if CACHE_URL else "database")
# The table core.counter counts in with THROTTLE_STORE=database (core is not an app: it holds no model).
THROTTLE_COUNT_MODEL = "accounts.ThrottleCount"

# Sign-in lockout (django-axes, accounts/lockout.py), for staff and customers alike, counted in
# the database so every process and host sees the same counts. A browser that has signed in to
# an account carries a device cookie (accounts/devices.py) and is judged by its own failures:
# LOGIN_FAILURE_LIMIT_PER_DEVICE within LOGIN_LOCKOUT_MINUTES pause that browser alone. Every
# other browser counts towards the account: LOGIN_FAILURE_LIMIT wrong passwords within
# LOGIN_LOCKOUT_MINUTES, from anywhere, pause the account for unknown browsers only; a client
# address (an IPv6 /64) after LOGIN_FAILURE_LIMIT_PER_CLIENT across any accounts. A pause ends
# when that time has passed since the failures, when staff delete them in the admin (Axes >
# Access attempts, superusers), or, for an account, with a password reset or
# `manage.py axes_reset_username`.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
LOGIN_FAILURE_LIMIT_PER_CLIENT = env.int("LOGIN_FAILURE_LIMIT_PER_CLIENT", default=30)
LOGIN_FAILURE_LIMIT_PER_DEVICE = env.int("LOGIN_FAILURE_LIMIT_PER_DEVICE", default=5)
# Seconds a device cookie lasts (renewed at every sign-in on that browser).
LOGIN_DEVICE_COOKIE_MAX_AGE = env.int("LOGIN_DEVICE_COOKIE_MAX_AGE", default=60 * 60 * 24 * 365)
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_FAILURE_LIMIT = "accounts.lockout.failure_limit"
AXES_COOLOFF_TIME = "accounts.lockout.cool_off"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.lockout.username"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# A right password forgets that account's failures (not the client's others: see LockoutHandler).
AXES_RESET_ON_SUCCESS = True
# Tries while paused do not push the end of the pause further away.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# No log of every sign-in (addresses kept for ever); accounts/admin.py lists the attempts.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False
# No "AXES: BEGIN" banner at every start (it lands in every manage.py command's output, cron mail
# included); lockouts are still logged as warnings.
AXES_VERBOSE = False

# Customer photos (R7): every upload is decoded and re-encoded; these bound the work and the storage.
PHOTO_MAX_BYTES = env.int("PHOTO_MAX_BYTES", default=10 * 1024 * 1024)
PHOTO_MAX_COUNT = env.int("PHOTO_MAX_COUNT", default=8)
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=40_000_000)
PHOTO_MAX_DIMENSION = env.int("PHOTO_MAX_DIMENSION", default=2560)
PHOTO_THUMBNAIL_SIZE = env.int("PHOTO_THUMBNAIL_SIZE", default=320)
# Photos upload as they are picked and wait this long (seconds) for the form to be sent;
# `manage.py sweep_photos` (cron) deletes them after that.
PENDING_PHOTO_MAX_AGE = env.int("PENDING_PHOTO_MAX_AGE", default=24 * 60 * 60)
# Pending photos take at most this many bytes in all (photos and thumbnails, whoever sent them): past it
# uploads pause (503 with Retry-After) until returns are sent or the sweep removes old ones, and the admin
# index says so. One customer (the order's email: an account, or a guest link's order) may have at most
# PENDING_PHOTOS_PER_CUSTOMER pending photos at once.
PENDING_PHOTO_MAX_BYTES = env.int("PENDING_PHOTO_MAX_BYTES", default=2 * 1024 * 1024 * 1024)
PENDING_PHOTOS_PER_CUSTOMER = env.int("PENDING_PHOTOS_PER_CUSTOMER", default=40)
# Photos one client (address, and browser session) may upload per hour; counted like the other limits (THROTTLE_STORE).
PHOTO_UPLOADS_PER_HOUR = env.int("PHOTO_UPLOADS_PER_HOUR", default=60)
# Photos decoded at once per process, and how long (seconds) an upload waits for a turn
# before the customer is asked to try again. Bounds CPU and memory whatever arrives.
PHOTO_DECODES_PER_PROCESS = env.int("PHOTO_DECODES_PER_PROCESS", default=1)
PHOTO_DECODE_WAIT = env.float("PHOTO_DECODE_WAIT", default=20.0)

# Refunds: "manual" (customer service pays in the processor's dashboard and pastes the
# reference), "stripe" (the portal asks Stripe's Refunds API) or "shopify" (refundCreate inside Shopify,
# for orders that came from Shopify; see README, Integrations).
REFUND_PROVIDER = env("REFUND_PROVIDER", default="manual")
# With a provider: the end of an inspection that leaves money due sends the refund at once.
AUTO_REFUND = env.bool("AUTO_REFUND", default=False)
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
STRIPE_TIMEOUT = env.float("STRIPE_TIMEOUT", default=20.0)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=1)
STRIPE_CLICK_TIMEOUT = env.float("STRIPE_CLICK_TIMEOUT", default=5.0)
# REFUND_PROVIDER=shopify: the store's *.myshopify.com domain, a custom app's Admin API token (write_orders),
# the Admin API version (2026-01 or later: refundCreate's @idempotent), the location restocked items go back to
# (its id, gid://shopify/Location/… or the number), and a base URL instead of https://<domain> (tests' stand-in).
SHOPIFY_SHOP_DOMAIN = env("SHOPIFY_SHOP_DOMAIN", default="")
SHOPIFY_ADMIN_ACCESS_TOKEN = env("SHOPIFY_ADMIN_ACCESS_TOKEN", default="")
SHOPIFY_API_VERSION = env("SHOPIFY_API_VERSION", default="2026-10")
SHOPIFY_RESTOCK_LOCATION_ID = env("SHOPIFY_RESTOCK_LOCATION_ID", default="")
SHOPIFY_API_BASE = env("SHOPIFY_API_BASE", default="")
# Seconds a call to Shopify may take: the worker's, and a staff click's (the worker finishes what a click could not).
SHOPIFY_TIMEOUT = env.float("SHOPIFY_TIMEOUT", default=20.0)
SHOPIFY_CLICK_TIMEOUT = env.float("SHOPIFY_CLICK_TIMEOUT", default=5.0)
# How long a webhook's delivery id is remembered to answer a redelivery (Shopify retries for 48 hours,
# Stripe for 3 days); `manage.py sweep_webhooks` forgets older ones.
WEBHOOK_DELIVERY_KEEP_DAYS = env.int("WEBHOOK_DELIVERY_KEEP_DAYS", default=30)

# Events out to the store's own systems (README, "Events out"): signed POSTs from `manage.py deliver_webhooks`.
# Only https:// to public addresses unless WEBHOOKS_ALLOW_PRIVATE (a store's internal systems, tests).
WEBHOOKS_ALLOW_PRIVATE = env.bool("WEBHOOKS_ALLOW_PRIVATE", default=False)
WEBHOOKS_TIMEOUT = env.float("WEBHOOKS_TIMEOUT", default=10.0)
WEBHOOKS_RETRY_HOURS = env.int("WEBHOOKS_RETRY_HOURS", default=72)
WEBHOOKS_WORKER_THREADS = env.int("WEBHOOKS_WORKER_THREADS", default=4)
WEBHOOKS_SECRET_OVERLAP_HOURS = env.int("WEBHOOKS_SECRET_OVERLAP_HOURS", default=24)
# The returns API (README, "API"): wrong API keys one client address may send in a clock hour; past it, that
# address is answered 429 until the hour ends, before any key is looked up (counted like the other limits).
API_KEY_FAILURES_PER_CLIENT = env.int("API_KEY_FAILURES_PER_CLIENT", default=30)

# Retention (returns/services/retention.py, the scheduler's daily job), in days; 0 keeps that kind for ever.
# Email bodies (the rows stay), sign-in attempt rows, and the photos of returns closed that long ago.
EMAIL_BODY_KEEP_DAYS = env.int("EMAIL_BODY_KEEP_DAYS", default=90)
ACCESS_ATTEMPT_KEEP_DAYS = env.int("ACCESS_ATTEMPT_KEEP_DAYS", default=30)
PHOTO_KEEP_DAYS = env.int("PHOTO_KEEP_DAYS", default=730)

# Where run_scheduled keeps its job locks on SQLite (PostgreSQL's are advisory locks); empty: beside the database.
SCHEDULER_LOCK_DIR = env("SCHEDULER_LOCK_DIR", default="")

# The store's signed orders webhook (POST /api/v1/orders; README, Integrations). Off without a secret.
ORDER_WEBHOOK_SECRET = env("ORDER_WEBHOOK_SECRET", default="")
ORDER_WEBHOOK_MAX_BYTES = env.int("ORDER_WEBHOOK_MAX_BYTES", default=1024 * 1024)
ORDER_WEBHOOK_MAX_ORDERS = env.int("ORDER_WEBHOOK_MAX_ORDERS", default=500)
# Also accept the first signature, "<t>.<raw body>", which does not cover X-Alotrop-Delivery: only while
# the store's sender moves to "<t>.<delivery id>.<raw body>". Off: a request can't be re-sent under a new id.
ORDER_WEBHOOK_ACCEPT_UNSIGNED_DELIVERY_ID = env.bool("ORDER_WEBHOOK_ACCEPT_UNSIGNED_DELIVERY_ID", default=False)

# Shopify's order webhooks (POST /api/v1/shopify/webhooks; README, Integrations). Off without a secret.
# Bodies are limited by ORDER_WEBHOOK_MAX_BYTES too.
SHOPIFY_WEBHOOK_SECRET = env("SHOPIFY_WEBHOOK_SECRET", default="")
SHOPIFY_FINAL_SALE_TAG = env("SHOPIFY_FINAL_SALE_TAG", default="final-sale")
SHOPIFY_PERSONALIZED_PROPERTY = env("SHOPIFY_PERSONALIZED_PROPERTY", default="Personalization")
