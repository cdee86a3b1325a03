"""``manage.py payment_run [--date YYYY-MM-DD] [--gateway file|stripe]``: run a payment run now,
printing its progress and summary. Running it again pays nothing twice."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from isf import services
from isf.constants import Gateway, RunTrigger
from marketplace.money import format_pence


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must be a date like 2026-11-23, not {value!r}") from None


class Command(BaseCommand):
    help = "Pay every active ISF contract and direct payment what is due for the coming period."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=_date, default=None, help="The run date (today by default).")
        parser.add_argument("--gateway", choices=Gateway.values, default=None,
                            help="How ISF releases are paid (the configured gateway by default).")

    def handle(self, *args, date=None, gateway=None, **options):
        run = services.payment_run_start(by=None, trigger=RunTrigger.COMMAND, run_on=date, gateway=gateway)
        self.stdout.write(f"Payment run {run.reference}: {run.to_check} contracts and people to check, "
                          f"periods starting by {run.covers_until:%-d %B %Y}")

        def progress(current):
            self.stdout.write(f"  checked {current.checked} of {current.to_check}")

        run = services.payment_run_execute(run=run, on_progress=progress)
        self.stdout.write(f"Payments made: {run.payments_made}, total {format_pence(run.total_pence)}")
        for failure in run.failures:
            self.stdout.write(f"Not sent: {failure['key']} to {failure['payee']}: {failure['reason']}")
        self.stdout.write(self.style.SUCCESS(f"Payment run {run.reference} completed"))
