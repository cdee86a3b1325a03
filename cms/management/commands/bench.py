"""Times the main pages against a seeded database: ``make bench`` (seed at --scale, then measure).

Figures are wall-clock milliseconds through Django's test client (no network), median and 95th
percentile over ``--repeat`` requests after one warm-up, with the number of SQL queries per request.
"""

import io
import statistics
import time
from decimal import Decimal

from django.core.management import BaseCommand, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from marketplace.models import User
from providers.selectors import public_listings

DIRECTORY = "/find-support/"
# Text and three filters, as a person narrowing a search would type them.
SEARCH = "q=dementia&category=homecare&postcode=E8+1AB&has_capacity=on"


def _compare_path() -> str:
    references = public_listings().filter(category__slug="homecare").order_by("pk").values_list(
        "reference", flat=True)[:4]
    return f"{DIRECTORY}compare/?" + "&".join(f"compare={reference}" for reference in references)


def _demo_budget_path() -> str:
    from brokerage.models import PersonalBudget

    budget = PersonalBudget.objects.filter(person__user__username="person").order_by("-pk").first()
    return f"/people/{budget.person_id}/budgets/{budget.pk}/"


def _demo_person_path() -> str:
    from brokerage.models import Person

    return f"/people/{Person.objects.get(user__username='person').pk}/"


def _demo_plan_path() -> str:
    from brokerage.models import SupportPlan

    plan = SupportPlan.objects.filter(person__user__username="person").order_by("-version").first()
    return f"/people/{plan.person_id}/plans/{plan.pk}/"


def _demo_review_path() -> str:
    from brokerage.models import SupportPlan

    return f"/admin/plans/{SupportPlan.objects.filter(status='submitted').order_by('pk').first().pk}/"


def _demo_negotiations_path() -> str:
    from marketplace.models import Membership

    return f"/portal/{Membership.objects.get(user__username='provider').organisation_id}/negotiations/"


def _demo_provider_path(suffix: str):
    def path() -> str:
        from marketplace.models import Membership

        return f"/portal/{Membership.objects.get(user__username='provider').organisation_id}/{suffix}"

    return path


def _demo_statement_path() -> str:
    return _demo_person_path() + "isf/"


def _demo_invoice_review_path() -> str:
    from isf.models import Invoice

    return f"/admin/invoices/{Invoice.objects.order_by('pk').first().pk}/"


def _demo_run_path() -> str:
    from isf.models import PaymentRun

    return f"/admin/payment-runs/{PaymentRun.objects.order_by('pk').first().pk}/"


def _my_support_path() -> str:
    from brokerage.models import Person

    return f"/my-support/{Person.objects.get(user__username='person').pk}/"


PAGES = [
    ("home page", None, "/"),
    ("directory search: text + 3 filters", None, f"{DIRECTORY}?{SEARCH}"),
    ("directory search: filters, by price", None, f"{DIRECTORY}?category=homecare&postcode=E8&sort=price"),
    ("directory compare of 4", None, _compare_path),
    ("Open Referral /services", None, "/openreferral/services?search=dementia&per_page=20"),
    ("API: services, text + 3 filters", None, f"/api/v1/services/?{SEARCH}"),
    ("API: services", None, "/api/v1/services/"),
    ("advice index", None, "/advice/"),
    ("health check", None, "/healthz"),
    ("API: organisations", None, "/api/v1/organisations/"),
    ("people list (broker)", "broker", "/people/"),
    ("API: people (broker)", "broker", "/api/v1/people/"),
    ("people list (contract officer)", "contracts", "/people/"),
    ("person page (broker)", "broker", _demo_person_path),
    ("budget: how it was worked out (person)", "person", _demo_budget_path),
    ("support plan page (broker)", "broker", _demo_plan_path),
    ("API: support plans (broker)", "broker", "/api/v1/support-plans/"),
    ("sign-off queue (contract officer)", "contracts", "/admin/plans/"),
    ("sign-off review (contract officer)", "contracts", _demo_review_path),
    ("price negotiations (provider)", "provider", _demo_negotiations_path),
    ("ISF contracts (provider)", "provider", _demo_provider_path("contracts/")),
    ("ISF invoices (provider)", "provider", _demo_provider_path("invoices/")),
    ("ISF statement (provider)", "provider", _demo_provider_path("statement/")),
    ("ISF statement (person)", "person", _demo_statement_path),
    ("ISF invoices queue (finance)", "finance", "/admin/invoices/"),
    ("ISF invoice review (finance)", "finance", _demo_invoice_review_path),
    ("payment runs (finance)", "finance", "/admin/payment-runs/"),
    ("payment run (finance)", "finance", _demo_run_path),
    ("API: ISF invoices (provider)", "provider", "/api/v1/isf-invoices/"),
    ("dashboard: self-directed support (contract officer)", "contracts", "/admin/insight/"),
    ("dashboard: money (contract officer)", "contracts", "/admin/insight/money/"),
    ("dashboard: work waiting (contract officer)", "contracts", "/admin/insight/work/"),
    ("dashboard: market coverage (contract officer)", "contracts", "/admin/insight/market/"),
    ("your support (person)", "person", _my_support_path),
    ("site search", None, "/search/?q=personal+budget"),
]


class Command(BaseCommand):
    help = "Seed demo data at a scale and time the main pages."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=Decimal, default=Decimal(10))
        parser.add_argument("--repeat", type=int, default=20)
        parser.add_argument("--skip-seed", action="store_true")
        parser.add_argument("--isf-contracts", type=int, default=10_000,
                            help="Contracts in the payment-run benchmark (0 skips it).")
        parser.add_argument("--invoice-lines", type=int, default=10_000,
                            help="Invoice lines in the validation benchmark (0 skips it).")

    def handle(self, *args, scale, repeat, skip_seed, isf_contracts, invoice_lines, **options):
        if not skip_seed:
            started = time.perf_counter()
            call_command("seed_demo", "--scale", str(scale), stdout=io.StringIO(), stderr=io.StringIO())
            self.stdout.write(f"seed_demo --scale {scale}: {time.perf_counter() - started:.1f} s")
        self.stdout.write(f"database: {connection.vendor}")
        self.stdout.write(f"{'page':52} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
        for label, username, path in PAGES:
            path = path() if callable(path) else path
            client = Client(HTTP_HOST="localhost")
            if username:
                client.force_login(User.objects.get(username=username))
            client.get(path)
            timings, queries = [], 0
            for _ in range(repeat):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(path)
                    timings.append((time.perf_counter() - started) * 1000)
                queries = len(captured.captured_queries)
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code}")
            timings.sort()
            p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
            self.stdout.write(f"{label:52} {statistics.median(timings):10.1f} {p95:8.1f} {queries:8d}")
        # Imported here: they build their own rows, and only the benchmark needs them.
        from cms.benchmarks import invoices, payment_run

        if isf_contracts:
            payment_run.run(self.stdout, contracts=isf_contracts)
        if invoice_lines:
            invoices.run(self.stdout, lines=invoice_lines)
