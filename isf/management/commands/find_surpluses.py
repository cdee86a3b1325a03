import datetime

from django.core.management import BaseCommand, CommandError

from isf.services import surpluses_find


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--date must be a date like 2026-04-06, not {text!r}") from None


class Command(BaseCommand):
    help = "Flag ISF funds holding more than their surplus rule allows (the scheduled job, run by hand)."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=str, default=None,
                            help="Look at the funds as they stood on this date (YYYY-MM-DD); today if not given.")

    def handle(self, *args, **options):
        on = _date(options["date"]) if options["date"] else None
        flags = surpluses_find(on=on)
        for flag in flags:
            self.stdout.write(str(flag))
        self.stdout.write(f"Flagged {len(flags)} surplus(es).")
