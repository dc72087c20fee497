"""Development on a laptop: debug on, a throwaway key, emails in a folder."""

from config.settings.base import *  # noqa: F403
from config.settings.base import BASE_DIR, LOGGING, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-dev-only-not-secret-5b1f0c3e9a7d")
if not env("EMAIL_URL", default=""):
    # A newcomer opens sent mail as files in ./sent-emails/.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = BASE_DIR / "sent-emails"
DEMO_DATA_ALLOWED = True
# A receiver on this laptop (http://127.0.0.1:…) may hear the events.
WEBHOOKS_ALLOW_PRIVATE = env.bool("WEBHOOKS_ALLOW_PRIVATE", default=True)
# runserver prints every request itself (the portal's own request line, kept for gunicorn, would say it twice),
# and the reloader's "Watching for file changes" line, printed twice, tells a newcomer nothing.
LOGGING["loggers"] = {"core.requests": {"level": "WARNING"}, "django.utils.autoreload": {"level": "WARNING"}}
