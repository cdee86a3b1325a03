"""The dashboards' pages: who may see them, the tables and charts, the filters and the CSV files."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from brokerage.constants import DeploymentRoute, PlanStatus
from brokerage.models import SupportPlan
from cms.insight.filters import add_months, first_of_month
from cms.insight.views import BY_SLUG, SECTIONS, figure_slug
from marketplace.constants import Role
from tests.brokerage.factories import PersonFactory, plan_ready

pytestmark = pytest.mark.django_db
URL = "/admin/insight/"


@pytest.fixture
def officer(council, make_member):
    return make_member(Role.CONTRACT_OFFICER, council)


@pytest.fixture
def someone_with_a_budget():
    plan = plan_ready(person=PersonFactory())
    plan.lines.update(route=DeploymentRoute.DIRECT_PAYMENT)
    SupportPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.APPROVED,
                                                  decided_at=timezone.now() - datetime.timedelta(days=40),
                                                  starts_on=timezone.localdate() - datetime.timedelta(days=40))
    return plan.person


def test_an_officer_sees_the_self_directed_support_figures(client, officer, someone_with_a_budget):
    client.force_login(officer)
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Self-directed support" in page and "NI130" in page and "ASCOF 3D" in page
    assert "<svg" in page and 'role="img"' in page
    this_month = first_of_month(timezone.localdate())
    # One person with a budget and nobody else: 100% on every measure this month.
    assert f"<th scope=\"row\">{this_month:%B %Y}</th><td>100.0%</td><td>100.0%</td><td>100.0%</td><td>30.0%</td>" in page
    assert page.count('<tr><th scope="row">') == 12 + 12  # twelve months in each of the two tables


@pytest.mark.parametrize("role", [Role.PROVIDER_STAFF, Role.BROKER])
def test_providers_and_brokers_are_refused(client, make_member, provider_org, role):
    from tests.marketplace.factories import BrokerOrganisationFactory

    organisation = provider_org if role == Role.PROVIDER_STAFF else BrokerOrganisationFactory()
    client.force_login(make_member(role, organisation))
    assert client.get(URL).status_code in (302, 403)
    assert client.get(f"{URL}self-directed-support/self-directed-support.csv").status_code in (302, 403)


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_an_unknown_dashboard_or_figure_is_not_found(client, officer):
    client.force_login(officer)
    assert client.get(f"{URL}nothing/").status_code == 404
    assert client.get(f"{URL}self-directed-support/nothing.csv").status_code == 404


def test_the_filters_narrow_the_period_and_bad_ones_say_why(client, officer):
    client.force_login(officer)
    this_month = first_of_month(timezone.localdate())
    start = add_months(this_month, -2)
    page = client.get(URL, {"start": f"{start:%Y-%m}", "end": f"{this_month:%Y-%m}"}).content.decode()
    assert f"{start:%B %Y} to {this_month:%B %Y}" in page
    assert page.count('<tr><th scope="row">') == 3 + 3
    bad = client.get(URL, {"start": "last spring", "end": f"{add_months(this_month, 1):%Y-%m}",
                           "client_group": "aliens"})
    assert bad.status_code == 200
    text = bad.content.decode()
    assert "Enter a month as year and month, like 2026-04" in text
    assert "Select a valid choice" in text
    # The default period is shown instead.
    assert f"{add_months(this_month, -11):%B %Y} to {this_month:%B %Y}" in text
    late = client.get(URL, {"end": f"{add_months(this_month, 1):%Y-%m}"}).content.decode()
    assert "The period cannot end after this month" in late


def test_each_figure_downloads_as_csv(client, officer, someone_with_a_budget):
    client.force_login(officer)
    this_month = first_of_month(timezone.localdate())
    response = client.get(f"{URL}self-directed-support/self-directed-support.csv",
                          {"start": f"{this_month:%Y-%m}", "end": f"{this_month:%Y-%m}"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f'self-directed-support-{this_month:%Y-%m}-to-{this_month:%Y-%m}.csv' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["Month", "NI130 (%)", "ADASS (%)", "ASCOF 3D (%)", "Target (%)"]
    assert rows[1][:6] == [f"{this_month:%Y-%m}", "100.0", "100.0", "100.0", "30", "1"]


def test_the_page_takes_the_same_queries_however_many_people(client, officer, someone_with_a_budget):
    client.force_login(officer)
    client.get(URL)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    before = count()
    for _ in range(4):
        plan = plan_ready(person=PersonFactory())
        SupportPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.APPROVED, decided_at=timezone.now(),
                                                      starts_on=timezone.localdate())
    assert count() == before


ALL_FIGURES = [(section.slug, figure_slug(function)) for section in SECTIONS for function in section.figures]


@pytest.mark.parametrize("section", [section.slug for section in SECTIONS])
def test_every_dashboard_renders_its_figures(client, officer, someone_with_a_budget, section):
    client.force_login(officer)
    response = client.get(f"{URL}{section}/")
    assert response.status_code == 200
    page = response.content.decode()
    for function in BY_SLUG[section].figures:
        assert f'href="{URL}{section}/{figure_slug(function)}.csv?' in page


@pytest.mark.parametrize(("section", "figure"), ALL_FIGURES)
def test_every_figure_downloads(client, officer, someone_with_a_budget, section, figure):
    client.force_login(officer)
    response = client.get(f"{URL}{section}/{figure}.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows and all(len(row) == len(rows[0]) for row in rows)
