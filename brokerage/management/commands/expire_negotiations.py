from django.core.management import BaseCommand

from brokerage.services import negotiations_expire_overdue


class Command(BaseCommand):
    help = "Expire open price negotiations past their deadline (the daily job, run by hand)."

    def handle(self, *args, **options):
        self.stdout.write(f"Expired {negotiations_expire_overdue()} negotiation(s).")
