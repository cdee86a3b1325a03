import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from marketplace.celery import app
from marketplace.tasks import ping

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_healthz_reports_database_cache_and_broker(client):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(check["status"] == "ok" for check in body["checks"].values())
    assert body["checks"]["database"]["detail"] == ("postgresql" if settings.DATABASE_URL else "sqlite")
    assert body["checks"]["cache"]["detail"] == ("RedisCache" if settings.REDIS_URL else "LocMemCache")
    expected_broker = "redis" if settings.REDIS_URL else "in-process (no broker configured)"
    assert body["checks"]["broker"]["detail"] == expected_broker


def test_healthz_is_503_and_names_the_cache_when_it_is_unreachable(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["cache"]["status"] == "error"
    assert checks["database"]["status"] == "ok"


def test_healthz_is_503_when_the_broker_is_unreachable(client, monkeypatch):
    from celery import Celery

    from marketplace import health

    unreachable = Celery("unreachable", broker="redis://127.0.0.1:1/0", set_as_current=False)
    monkeypatch.setattr(health, "app", unreachable)
    monkeypatch.setattr(settings, "CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    broker = response.json()["checks"]["broker"]
    assert broker["status"] == "error"
    assert "Connection refused" in broker["detail"] or "Error" in broker["detail"]


def test_ping_task_runs_where_the_configuration_says():
    """Embedded: in process. With REDIS_URL: through the real Redis broker to a real worker process."""
    if app.conf.task_always_eager:
        assert ping.delay().get(timeout=5) == "pong"
        return
    queue = f"test-{uuid.uuid4().hex}"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "marketplace", "worker", "--pool=solo", "-Q", queue,
         "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        result = ping.apply_async(queue=queue)
        assert result.get(timeout=60) == "pong"
        assert result.successful()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
