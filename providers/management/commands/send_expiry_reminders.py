from django.core.management import BaseCommand

from providers.services import expiry_reminders_send


class Command(BaseCommand):
    help = "Remind organisations 60, 30 and 7 days before evidence or an approval expires (the daily job)."

    def handle(self, *args, **options):
        self.stdout.write(f"Sent {expiry_reminders_send()} reminder(s).")
