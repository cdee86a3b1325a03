"""The council's brokerage settings: contract officers change them in the console; nobody else can."""

import pytest
from django.urls import reverse

from brokerage.models import BrokerageSettings
from marketplace.constants import Role

pytestmark = pytest.mark.django_db

def edit_url():
    """The console's edit page for the one settings row (Wagtail redirects the bare URL to it)."""
    return reverse("wagtailsettings:edit", args=["brokerage", "brokeragesettings", BrokerageSettings.load().pk])


def form(**changes):
    return {"tolerance_percent": 10, "quality_weight_percent": 60, "negotiation_days": 10,
            "package_request_days": 5, "self_directed_support_target_percent": 30} | changes


def test_a_contract_officer_sets_the_tolerance_used_by_every_plan(client, officer):
    client.force_login(officer)
    assert client.get(edit_url()).status_code == 200
    response = client.post(edit_url(), form(tolerance_percent=15))
    assert response.status_code == 302
    assert BrokerageSettings.load().tolerance_percent == 15


def test_a_tolerance_over_100_per_cent_is_refused_and_nothing_changes(client, officer):
    client.force_login(officer)
    response = client.post(edit_url(), form(tolerance_percent=150))
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 100" in response.text
    assert BrokerageSettings.load().tolerance_percent == 10


@pytest.mark.parametrize("role", [Role.FINANCE_OFFICER, Role.CONTENT_EDITOR])
def test_other_council_staff_cannot_change_the_settings(client, council, make_member, role):
    client.force_login(make_member(role, council))
    response = client.post(edit_url(), form(tolerance_percent=50))
    assert response.status_code in (302, 403)
    assert BrokerageSettings.load().tolerance_percent == 10


def test_a_broker_cannot_reach_the_settings(client, broker):
    client.force_login(broker)
    response = client.post(edit_url(), form(tolerance_percent=50))
    assert response.status_code in (302, 403)
    assert BrokerageSettings.load().tolerance_percent == 10


def test_a_contract_officer_sets_the_self_directed_support_target(client, officer):
    client.force_login(officer)
    assert client.post(edit_url(), form(self_directed_support_target_percent=40)).status_code == 302
    assert BrokerageSettings.load().self_directed_support_target_percent == 40
    refused = client.post(edit_url(), form(self_directed_support_target_percent=101))
    assert refused.status_code == 200 and BrokerageSettings.load().self_directed_support_target_percent == 40
