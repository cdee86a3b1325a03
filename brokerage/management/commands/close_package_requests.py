from django.core.management import BaseCommand

from brokerage.services import package_requests_close_overdue


class Command(BaseCommand):
    help = ("Close care package requests past their deadline and flag those with no offer as market gaps "
            "(the daily job, run by hand).")

    def handle(self, *args, **options):
        self.stdout.write(f"Closed {package_requests_close_overdue()} care package request(s).")
