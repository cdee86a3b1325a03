import pytest

from marketplace.constants import Role
from tests.brokerage.factories import PersonFactory
from tests.marketplace.factories import PASSWORD, BrokerOrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_broker_signs_in_sees_their_people_and_not_another_brokerages(live_server, page, check_accessible,
                                                                        make_member):
    mine, theirs = BrokerOrganisationFactory(name="Alpha Brokerage"), BrokerOrganisationFactory()
    broker = make_member(Role.BROKER, mine, username="alex")
    alice = PersonFactory(broker_organisation=mine, first_name="Alice", last_name="Ashby")
    bob = PersonFactory(broker_organisation=theirs, first_name="Bob", last_name="Brown")

    page.goto(live_server.url + "/people/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill(broker.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/people/")
    assert page.get_by_role("link", name="Alice Ashby").is_visible()
    assert page.get_by_text("Bob Brown").count() == 0
    check_accessible(page, "people-list")

    page.get_by_role("link", name="Alice Ashby").click()
    assert page.locator("h1").inner_text() == "Alice Ashby"
    check_accessible(page, "person-detail")

    response = page.goto(f"{live_server.url}/people/{bob.pk}/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    check_accessible(page, "not-found")

    page.goto(live_server.url + "/accounts/")
    assert page.get_by_text("Broker, Alpha Brokerage").is_visible()
    check_accessible(page, "account")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(live_server.url + "/")
    assert page.get_by_role("link", name="Sign in").is_visible()
