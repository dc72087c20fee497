"""gunicorn reads this file from the folder it starts in (README's command runs in the project's folder).

Its own lines (listening, booting a worker, a worker timing out) are written in the portal's log format:
with ``LOG_FORMAT=json`` (the production settings' default) one JSON object per line, as every line of a
request is, so a log collector reads gunicorn's lines as it reads the portal's. Only logging is set here;
every other option is on README's command line.
"""

import os

_production = os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.production").endswith(".production")
_format = os.environ.get("LOG_FORMAT") or ("json" if _production else "text")

if _format == "json":
    _handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "filters": ["context"],
        "formatter": "json",
    }
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "core.logs.ContextFilter"}},
        "formatters": {"json": {"()": "core.logs.json_formatter"}},
        "handlers": {"json": _handler},
        "root": {"level": "INFO", "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["json"], "propagate": False},
        },
    }
