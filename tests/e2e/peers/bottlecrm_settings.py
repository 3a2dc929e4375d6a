"""Django settings for the BottleCRM (``django-crm``) end-to-end peer.

Imported by BottleCRM's own venv as the top-level module ``bottlecrm_settings`` (the
peer scripts put this folder on ``PYTHONPATH``), never by the project's venv. Upstream
targets PostgreSQL, Redis and Celery workers; here everything is local: one SQLite
file, eager Celery with in-memory broker, a local-memory cache.

Environment (set by :mod:`tests.e2e.peers.bottlecrm`):
    BOTTLECRM_DB: path of the SQLite database file.
    BOTTLECRM_MEDIA: folder for uploads (default: next to the database).
"""

import os
from pathlib import Path

# Read by crm.settings at import time: set them first.
os.environ.setdefault("ENV_TYPE", "dev")
os.environ.setdefault("DEBUG", "True")
# Mail goes nowhere (crm.settings builds MAILERS from this variable).
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault(
    "SECRET_KEY", "crmsync-e2e-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz"
)

from crm.settings import *  # noqa: E402, F403

_DB = Path(os.environ.get("BOTTLECRM_DB", "bottlecrm.sqlite3")).resolve()

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(_DB),
        "OPTIONS": {"timeout": 30},
    }
}
CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = False
MEDIA_ROOT = os.environ.get("BOTTLECRM_MEDIA", str(_DB.parent / "media"))
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# Superuser creation in the seed script; speed over strength for a throwaway database.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
