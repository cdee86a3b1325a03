import pytest
from django.urls import reverse

from marketplace.constants import Role
from tests.brokerage.factories import PersonFactory
from tests.marketplace.factories import BrokerOrganisationFactory

pytestmark = pytest.mark.django_db


def test_people_list_needs_sign_in(client):
    response = client.get(reverse("brokerage:people"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_people_list_query_count_does_not_grow_with_people(client, make_member, django_assert_num_queries):
    brokerage = BrokerOrganisationFactory()
    client.force_login(make_member(Role.BROKER, brokerage))
    PersonFactory.create_batch(3, broker_organisation=brokerage)
    with django_assert_num_queries(5):
        assert client.get(reverse("brokerage:people")).status_code == 200
    PersonFactory.create_batch(40, broker_organisation=brokerage)
    with django_assert_num_queries(5):
        response = client.get(reverse("brokerage:people"))
    assert response.context["page"].paginator.count == 43


def test_a_page_number_past_the_end_shows_the_last_page(client, make_member):
    brokerage = BrokerOrganisationFactory()
    client.force_login(make_member(Role.BROKER, brokerage))
    PersonFactory.create_batch(2, broker_organisation=brokerage)
    response = client.get(reverse("brokerage:people"), {"page": "999"})
    assert response.status_code == 200
    assert response.context["page"].number == 1
