"""The Celery app. Embedded default: tasks run in process; with REDIS_URL: Redis broker and workers."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

from marketplace.env import check_settings_or_exit  # noqa: E402

check_settings_or_exit()

app = Celery("marketplace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
