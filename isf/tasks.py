"""Scheduled ISF jobs (Celery beat; each also a management command). Thin: each calls one
idempotent service, so running a job twice pays or flags nothing twice."""

from celery import shared_task

from isf import services
from isf.models import PaymentRun


@shared_task(name="isf.payment_run")
def payment_run() -> int:
    """Pay every active ISF contract and direct payment what is due for the coming period."""
    run = services.payment_run_scheduled()
    return run.payments_made


@shared_task(name="isf.payment_run_execute")
def payment_run_execute(run_id: int) -> int:
    """Run a payment run started from the console; running it again pays nothing twice."""
    run = services.payment_run_execute(run=PaymentRun.objects.get(pk=run_id))
    return run.payments_made


@shared_task(name="isf.find_surpluses")
def find_surpluses() -> int:
    """Flag contract funds holding more than the surplus rule allows."""
    return len(services.surpluses_find())
