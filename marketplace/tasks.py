from celery import shared_task


@shared_task(name="marketplace.ping")
def ping() -> str:
    """Answers "pong": a worker that returns it is consuming from the broker."""
    return "pong"


@shared_task(name="marketplace.dispatch_pending_events")
def dispatch_pending_events() -> int:
    """Run domain events whose handlers failed or never ran."""
    from marketplace import events

    return events.dispatch_pending()
