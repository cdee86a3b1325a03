from celery import shared_task


@shared_task(name="marketplace.ping")
def ping() -> str:
    """Answers "pong": a worker that returns it is consuming from the broker."""
    return "pong"
