"""Checks behind /healthz: can we reach the database, the cache and the Celery broker?"""

import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from marketplace.celery import app


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def check_cache() -> str:
    key, value = f"healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise RuntimeError("value written to the cache could not be read back")
    cache.delete(key)
    return settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def check_broker() -> str:
    if app.conf.task_always_eager:
        return "in-process (no broker configured)"
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return urlsplit(settings.CELERY_BROKER_URL).scheme


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker}


def run_checks() -> tuple[bool, dict[str, dict[str, str]]]:
    results, healthy = {}, True
    for name, check in CHECKS.items():
        try:
            results[name] = {"status": "ok", "detail": check()}
        except Exception as exc:  # every failure is reported, none may stop the others being checked
            healthy = False
            results[name] = {"status": "error", "detail": f"{type(exc).__name__}: {exc}"[:300]}
    return healthy, results
