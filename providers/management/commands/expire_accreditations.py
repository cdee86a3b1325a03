from django.core.management import BaseCommand

from providers.services import accreditations_expire_lapsed


class Command(BaseCommand):
    help = "Expire accreditations whose approval period has ended (the daily job, run by hand)."

    def handle(self, *args, **options):
        self.stdout.write(f"Expired {accreditations_expire_lapsed()} accreditation(s).")
