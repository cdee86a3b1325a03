"""Scheduled brokerage jobs (Celery beat; each also a management command). Thin: each calls one
service, which is idempotent — running a job twice on a day changes nothing the second time."""

from celery import shared_task

from brokerage import services


@shared_task(name="brokerage.expire_negotiations")
def expire_negotiations() -> int:
    """Expire open price negotiations whose deadline has passed."""
    return services.negotiations_expire_overdue()


@shared_task(name="brokerage.close_package_requests")
def close_package_requests() -> int:
    """Close care package requests past their deadline: unanswered providers lapse, and a request
    with no offer is flagged to the council as a gap in the market."""
    return services.package_requests_close_overdue()


@shared_task(name="brokerage.notify_reviews_due")
def notify_reviews_due() -> int:
    """Tell brokers and officers which direct-payment financial reviews are due."""
    return services.dp_reviews_notify_due()
