"""``manage.py seed_demo``: fill the database with a believable council's demo data."""

import time
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from cms import demo_data


def _scale(value: str) -> Decimal:
    try:
        scale = Decimal(value)
    except InvalidOperation:
        raise CommandError(f"--scale must be a number, not {value!r}") from None
    if not scale.is_finite() or scale <= 0:
        raise CommandError("--scale must be greater than 0")
    return scale


class Command(BaseCommand):
    help = (
        "Create demo data for a believable council: approved providers and brokers with services and "
        "rate cards, people, advice pages and a demo user for every role. Deterministic from --seed; "
        "running it again adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=demo_data.DEFAULT_SEED,
                            help=f"Random seed; the same seed gives the same data (default {demo_data.DEFAULT_SEED}).")
        parser.add_argument("--scale", type=_scale, default=Decimal(1),
                            help="Multiply every count (1 = 300 providers, 40 brokers, 2,000 people).")
        parser.add_argument("--no-progress", action="store_true", help="Do not show progress bars.")

    def handle(self, *args, seed, scale, no_progress, **options):
        started = time.monotonic()
        try:
            result = demo_data.seed(seed=seed, scale=scale, progress=not no_progress)
        except demo_data.DemoDataError as error:
            raise CommandError(str(error)) from error
        elapsed = time.monotonic() - started

        created = ", ".join(f"{count:,} {what.replace('_', ' ')}" for what, count in result.created.items())
        if result.changed:
            self.stdout.write(self.style.SUCCESS(
                f"Demo data for {result.council.name} (seed {seed}, scale {scale}) in {elapsed:.1f}s."))
            self.stdout.write(f"Created {created}.")
            if result.updated["users"]:
                self.stdout.write(f"Reset the password of {result.updated['users']} demo user(s).")
        else:
            self.stdout.write(f"Demo data already in place (seed {seed}, scale {scale}); nothing to add.")

        self.stdout.write("")
        self.stdout.write(f"Every demo user's password is: {demo_data.DEMO_PASSWORD}")
        self.stdout.write("")
        rows = [("Role", "Username", "Password", "Start at")] + [
            (user.label, user.username, demo_data.DEMO_PASSWORD, user.start) for user in demo_data.DEMO_USERS
        ]
        widths = [max(len(row[column]) for row in rows) for column in range(4)]
        for number, row in enumerate(rows):
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
            if number == 0:
                self.stdout.write("  ".join("-" * width for width in widths))
