from django.core.management import BaseCommand

from marketplace.events import dispatch_pending


class Command(BaseCommand):
    help = "Run domain events whose handlers failed or never ran (the five-minute job, run by hand)."

    def handle(self, *args, **options):
        self.stdout.write(f"Dispatched {dispatch_pending()} event(s).")
