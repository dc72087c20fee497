"""Test settings: fast hashing, mail in memory, the same database engine as given."""

import os

from config.settings.base import *  # noqa: F403
from config.settings.base import BASE_DIR, DATABASES

SECRET_KEY = "test-only-not-secret"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / ".test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TIME_ZONE = "America/New_York"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so threads in the concurrency tests open their own
    # connections and queue on SQLite's write lock like real processes would.
    # One file per test run, so parallel runs on one machine do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}
DEMO_DATA_ALLOWED = True
# Serve static files from the apps' folders, as in development: no collectstatic before tests.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Outbox emails in EMAIL_DELIVERY=immediate are sent in the caller's thread after commit
# (tests of the background sender turn this back on).
EMAIL_IN_BACKGROUND = False
# The tests' receivers listen on 127.0.0.1 over plain http; the refusals are tested with this turned off.
WEBHOOKS_ALLOW_PRIVATE = True
WEBHOOKS_WORKER_THREADS = 1  # in the caller's thread, inside the test's transaction
