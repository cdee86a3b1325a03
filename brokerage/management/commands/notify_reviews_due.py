from django.core.management import BaseCommand

from brokerage.services import dp_reviews_notify_due


class Command(BaseCommand):
    help = "Email the direct-payment reviews due within 14 days or overdue (the daily job, run by hand)."

    def handle(self, *args, **options):
        self.stdout.write(f"Listed {dp_reviews_notify_due()} review(s) due.")
