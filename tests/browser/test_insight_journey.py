"""The council's dashboards in Chromium, with axe on every page: a contract officer reads each of
the four sections (tables and charts), narrows them to one client group over three months,
downloads a figure as a CSV file, and mistypes a month."""

import datetime
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone

from brokerage.constants import DeploymentRoute, FinancialRisk, PlanStatus, ServiceSetting, ServiceTerm
from brokerage.models import ArrangedService, SupportPlan
from cms.insight.filters import MONTH_HINT, add_months, first_of_month
from isf import services as isf_services
from isf.constants import PaymentStatus, RunTrigger
from isf.models import Payment
from marketplace.constants import ClientGroup, Role
from providers.constants import CapacityUnit
from tests.brokerage.factories import PersonFactory, approved_listing, plan_ready
from tests.brokerage.factories_oversight import approved_plan, due_review
from tests.brokerage.factories_signoff import set_cost
from tests.browser.conftest import axe_violations
from tests.isf.payments.factories import paid_contract
from tests.marketplace.factories import PASSWORD, CouncilFactory, UserFactory
from tests.providers.factories import AreaFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Each section's title, a figure the data set gives rows, and the figure drawn as a chart (the
# market coverage figures are tables by type of support and area, with no chart).
SECTIONS = {
    "self-directed-support": ("Self-directed support", "self-directed-support", "self-directed-support"),
    "money": ("Money", "deployment-mix", "deployment-mix"),
    "work": ("Work waiting", "approvals-waiting", "reviews-overdue"),
    "market": ("Market coverage", "coverage-by-category", None),
}


def sign_in(page, user):
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def screenshots(tmp_path) -> Path:
    folder = Path(os.environ["SCREENSHOT_DIR"]) if os.environ.get("SCREENSHOT_DIR") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def accessible(page, folder: Path, name: str) -> Path:
    """A full-page screenshot kept as ``name``.png, then zero WCAG 2.2 A/AA violations."""
    shot = folder / f"{name}.png"
    # Wagtail's admin scrolls its content inside a panel as tall as the window, so a full-page
    # screenshot alone stops at the fold: the window is made as tall as the content for the shot.
    viewport = page.viewport_size
    height = page.evaluate("() => Math.max(...[document.documentElement, ...document.querySelectorAll('body *')]"
                           ".map(element => element.scrollHeight))")
    page.set_viewport_size({"width": viewport["width"], "height": min(max(height, viewport["height"]), 20000)})
    page.screenshot(path=str(shot), full_page=True)
    page.set_viewport_size(viewport)
    violations = axe_violations(page)
    assert violations == [], f"{name}: {violations}"
    return shot


def market_and_people():
    """A small council's market and caseload, so every dashboard has rows and a chart:

    - an approved provider with a published homecare service covering E8 (10 hours free);
    - an older person in E8 whose plan (direct payments and a council-managed line) started four
      months ago, with a full financial review 40 days overdue;
    - someone with a learning disability in N16 whose plan, started two months ago, is an
      Individual Service Fund;
    - someone the council arranges community home care for, without a budget;
    - a plan submitted five days ago and waiting for sign-off;
    - an ISF contract whose fund the nightly payment run has paid.
    """
    today = timezone.localdate()
    e8 = AreaFactory(code="E8", name="Hackney")
    AreaFactory(code="N16", name="Stoke Newington")
    card = approved_listing(capacity_available=10, capacity_unit=CapacityUnit.HOURS)
    card.listing.areas.set([e8])

    older = PersonFactory(client_group=ClientGroup.OLDER_PERSON, postcode="E8 3QP")
    plan = approved_plan(person=older, starts_on=today - datetime.timedelta(days=120),
                         financial_risk=FinancialRisk.MEDIUM)
    due_review(plan=plan, due_on=today - datetime.timedelta(days=40), risk=FinancialRisk.MEDIUM)

    learning = PersonFactory(client_group=ClientGroup.LEARNING_DISABILITY, postcode="N16 7AB")
    isf = approved_plan(person=learning, starts_on=today - datetime.timedelta(days=60), direct_payment=False)
    isf.lines.update(route=DeploymentRoute.INDIVIDUAL_SERVICE_FUND)

    ArrangedService.objects.create(person=PersonFactory(), description="Home care under the block contract",
                                   setting=ServiceSetting.COMMUNITY, term=ServiceTerm.LONG_TERM,
                                   starts_on=today - datetime.timedelta(days=200), recorded_by=UserFactory())

    waiting = set_cost(plan_ready(person=PersonFactory(reference="WAIT1")), 38400)
    SupportPlan.objects.filter(pk=waiting.pk).update(
        status=PlanStatus.SUBMITTED, submitted_by=waiting.created_by,
        submitted_at=timezone.now() - datetime.timedelta(days=5))

    paid_contract()
    isf_services.payment_run_execute(run=isf_services.payment_run_start(by=None, trigger=RunTrigger.COMMAND))
    assert Payment.objects.filter(status=PaymentStatus.SENT).exists()


def table_rows(page, slug: str) -> list[str]:
    return page.locator(f"#{slug}-table tbody tr").all_inner_texts()


def column(page, slug: str, header: str) -> list[str]:
    """The cells under ``header`` in figure ``slug``'s table, top to bottom."""
    table = page.locator(f"#{slug}-table")
    index = table.locator("thead th").all_inner_texts().index(header)
    return [row.locator("th, td").nth(index).inner_text() for row in table.locator("tbody tr").all()]


def test_an_officer_reads_filters_and_downloads_the_dashboards(live_server, page, make_member, screenshots):
    market_and_people()
    officer = make_member(Role.CONTRACT_OFFICER, CouncilFactory(), username="olu")
    this_month = first_of_month(timezone.localdate())
    base = f"{live_server.url}/admin/insight"

    page.goto(f"{base}/")
    page.wait_for_url("**/admin/login/**")
    accessible(page, screenshots, "insight-sign-in")
    sign_in(page, officer)
    page.wait_for_url("**/admin/insight/")

    # Every section: its tables, a chart drawn beside them, and nothing axe objects to.
    for slug, (title, filled, charted) in SECTIONS.items():
        page.goto(f"{base}/{slug}/")
        assert page.get_by_role("link", name=title, exact=True).get_attribute("aria-current") == "page"
        tables = page.locator("table.listing")
        assert tables.count() >= 1
        assert all(tables.nth(index).is_visible() for index in range(tables.count()))
        assert table_rows(page, filled), f"{slug}: {filled} has no rows"
        if charted:
            chart = page.locator(f"#{charted} svg[role='img']")
            assert chart.is_visible()
            assert chart.get_attribute("aria-label").endswith("The same figures are in the table.")
            assert chart.bounding_box()["height"] > 100
        shot = accessible(page, screenshots, f"insight-{slug}")
        assert shot.exists() and shot.stat().st_size > 0

    # The work waiting: the plan submitted five days ago and the review 40 days overdue.
    page.goto(f"{base}/work/")
    assert column(page, "approvals-oldest", "Case reference") == ["WAIT1"]
    assert column(page, "approvals-oldest", "Days waiting") == ["5"]
    assert column(page, "reviews-overdue-list", "Days overdue") == ["40"]
    assert column(page, "reviews-overdue", "Medium risk") == ["0", "1", "0"]

    # One client group over three months, through the form.
    page.goto(f"{base}/self-directed-support/")
    showing = page.locator("#showing")
    assert showing.inner_text() == (f"Showing: {add_months(this_month, -11):%B %Y} to {this_month:%B %Y}.")
    everyone = table_rows(page, "self-directed-support")
    assert len(everyone) == 12
    assert column(page, "self-directed-support", "NI130: all clients and carers")[-1] == "4"
    start = add_months(this_month, -2)
    page.get_by_label("From (month)").fill(f"{start:%Y-%m}")
    page.get_by_label("To (month)").fill(f"{this_month:%Y-%m}")
    page.get_by_label("Client group").select_option(label="Learning disability")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r".*client_group=learning_disability.*"))
    assert showing.inner_text() == f"Showing: {start:%B %Y} to {this_month:%B %Y}, learning disability."
    narrowed = table_rows(page, "self-directed-support")
    assert [row.split("\t")[0] for row in narrowed] == [f"{add_months(start, n):%B %Y}" for n in range(3)]
    # This month: the older person, the person with a learning disability, the person whose
    # fund was paid and the person with an arranged service are clients; only the second remains.
    assert column(page, "self-directed-support", "NI130: all clients and carers")[-1] == "1"
    assert narrowed != everyone[-3:]
    # The other sections keep the filters.
    page.get_by_role("link", name="Money", exact=True).click()
    page.wait_for_url(re.compile(r".*/admin/insight/money/\?.*client_group=learning_disability.*"))
    assert showing.inner_text() == f"Showing: {start:%B %Y} to {this_month:%B %Y}, learning disability."
    assert len(table_rows(page, "deployment-mix")) == 3
    accessible(page, screenshots, "insight-money-filtered")

    # A figure as a CSV file, under the same filters.
    link = page.get_by_role("link", name="Download “Deployment mix by route” as a CSV file")
    href = link.get_attribute("href")
    assert href.startswith("/admin/insight/money/deployment-mix.csv?") and "client_group=learning_disability" in href
    response = page.request.get(f"{live_server.url}{href}")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text().splitlines()
    assert lines[0].startswith("Month,") and len(lines) == 1 + 3

    # A month that cannot be read says so, and the default period is shown instead.
    page.goto(f"{base}/self-directed-support/")
    page.get_by_label("From (month)").fill("last spring")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r".*start=last\+spring.*"))
    summary = page.get_by_role("alert")
    assert summary.get_by_role("heading", name="Some filters could not be applied").is_visible()
    problem = summary.get_by_role("link", name=f"From (month): {MONTH_HINT}")
    assert problem.is_visible()
    field = page.get_by_label("From (month)")
    assert field.input_value() == "last spring"
    assert page.locator("#filters").get_by_text(MONTH_HINT).is_visible()
    assert showing.inner_text() == f"Showing: {add_months(this_month, -11):%B %Y} to {this_month:%B %Y}."
    assert len(table_rows(page, "self-directed-support")) == 12
    shot = accessible(page, screenshots, "insight-bad-month")
    assert shot.stat().st_size > 0
    problem.click()
    assert page.evaluate("document.activeElement.id") == field.get_attribute("id")


def test_a_filtered_link_opens_filtered_after_signing_in(live_server, page, make_member, screenshots):
    """A bookmarked link to this month's money for people with a learning disability: after
    signing in the officer sees that person's Individual Service Fund and none of the older
    person's direct payments or council-managed line."""
    market_and_people()
    officer = make_member(Role.CONTRACT_OFFICER, CouncilFactory(), username="olu")
    this_month = first_of_month(timezone.localdate())
    page.goto(f"{live_server.url}/admin/insight/money/?start={this_month:%Y-%m}&end={this_month:%Y-%m}"
              f"&client_group=learning_disability")
    sign_in(page, officer)
    page.wait_for_url(re.compile(r".*/admin/insight/money/\?.*client_group=learning_disability.*"))
    assert page.locator("#showing").inner_text() == f"Showing: {this_month:%B %Y}, learning disability."
    assert page.get_by_label("Client group").input_value() == "learning_disability"
    mix = page.locator("#deployment-mix-table")
    headers = mix.locator("thead th").all_inner_texts()
    rows = mix.locator("tbody tr")
    assert rows.count() == 1
    by_header = dict(zip(headers, rows.first.locator("th, td").all_inner_texts(), strict=True))
    # 16 hours a week at £24.00, the learning-disability plan's one line.
    assert by_header["Individual Service Fund"] == "£384.00"
    assert by_header["Direct payment"] == "£0.00"
    assert by_header["Council-managed budget"] == "£0.00"
    accessible(page, screenshots, "insight-money-bookmarked")
