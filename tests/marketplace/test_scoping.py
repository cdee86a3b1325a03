"""One way of scoping what a user may see: another organisation's objects are not found."""

import pytest
from django.urls import reverse

from brokerage.models import Person
from marketplace.constants import Role
from marketplace.models import AuditEvent, Membership
from marketplace.scoping import NoScopeRule, visible_to
from tests.brokerage.factories import PersonFactory
from tests.marketplace.factories import BrokerOrganisationFactory, UserFactory
from tests.providers.factories import AccreditationApprovedFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_brokerages(make_member):
    broker_a, broker_b = BrokerOrganisationFactory(name="Alpha Brokerage"), BrokerOrganisationFactory(name="Beta Brokerage")
    return {
        "user_a": make_member(Role.BROKER, broker_a),
        "user_b": make_member(Role.BROKER, broker_b),
        "person_a": PersonFactory(broker_organisation=broker_a, first_name="Alice"),
        "person_b": PersonFactory(broker_organisation=broker_b, first_name="Bob"),
    }


def test_a_model_without_a_scope_rule_cannot_be_read_through_the_scoped_path():
    with pytest.raises(NoScopeRule):
        visible_to(UserFactory(), AuditEvent)


def test_broker_sees_only_the_people_who_chose_their_organisation(two_brokerages):
    seen = visible_to(two_brokerages["user_a"], Person)
    assert list(seen) == [two_brokerages["person_a"]]


def test_broker_does_not_see_a_person_who_has_not_consented(make_member):
    broker = BrokerOrganisationFactory()
    user = make_member(Role.BROKER, broker)
    PersonFactory(broker_organisation=broker, consent_to_share=False)
    assert not visible_to(user, Person).exists()


def test_provider_staff_and_anonymous_users_see_no_ones_record(two_brokerages, make_member, provider_org):
    from django.contrib.auth.models import AnonymousUser

    provider_user = make_member(Role.PROVIDER_STAFF, provider_org)
    assert not visible_to(provider_user, Person).exists()
    assert not visible_to(AnonymousUser(), Person).exists()


def test_council_officers_see_everyone(two_brokerages, make_member, council):
    officer = make_member(Role.CONTRACT_OFFICER, council)
    assert set(visible_to(officer, Person)) == {two_brokerages["person_a"], two_brokerages["person_b"]}


def test_a_person_sees_themselves_and_a_representative_the_person_they_act_for():
    person_user, representative = UserFactory(), UserFactory()
    me = PersonFactory(user=person_user)
    mum = PersonFactory(representative=representative)
    PersonFactory()
    assert list(visible_to(person_user, Person)) == [me]
    assert list(visible_to(representative, Person)) == [mum]


def test_person_page_of_another_brokerage_is_not_found(client, two_brokerages):
    client.force_login(two_brokerages["user_a"])
    own = client.get(reverse("brokerage:person", args=[two_brokerages["person_a"].pk]))
    other = client.get(reverse("brokerage:person", args=[two_brokerages["person_b"].pk]))
    assert own.status_code == 200
    assert "Alice" in own.text
    assert other.status_code == 404
    assert "Bob" not in other.text


def test_people_list_shows_only_own_brokerages_people(client, two_brokerages):
    client.force_login(two_brokerages["user_a"])
    page = client.get(reverse("brokerage:people"))
    assert "Alice" in page.text
    assert "Bob" not in page.text


def test_api_person_of_another_brokerage_is_404_and_absent_from_the_list(client, two_brokerages):
    client.force_login(two_brokerages["user_a"])
    own = client.get(f"/api/v1/people/{two_brokerages['person_a'].pk}/")
    other = client.get(f"/api/v1/people/{two_brokerages['person_b'].pk}/")
    listing = client.get("/api/v1/people/")
    assert own.status_code == 200
    assert own.json()["first_name"] == "Alice"
    assert other.status_code == 404
    assert other.json() == {"detail": "No Person matches the given query."}
    assert [row["first_name"] for row in listing.json()["results"]] == ["Alice"]


def test_api_people_needs_sign_in(client, two_brokerages):
    response = client.get("/api/v1/people/")
    assert response.status_code == 403
    assert "credentials" in response.json()["detail"]


def test_organisation_not_approved_is_hidden_from_the_public_but_not_from_its_staff(client, make_member):
    approved = AccreditationApprovedFactory().organisation
    pending = BrokerOrganisationFactory(name="Pending Brokerage")
    staff = make_member(Role.BROKER, pending)

    public_ids = {row["id"] for row in client.get("/api/v1/organisations/").json()["results"]}
    assert approved.pk in public_ids and pending.pk not in public_ids
    assert client.get(f"/api/v1/organisations/{pending.pk}/").status_code == 404

    client.force_login(staff)
    assert client.get(f"/api/v1/organisations/{pending.pk}/").status_code == 200


def test_membership_rule_limits_provider_admins_to_their_organisation(make_member, provider_org):
    from tests.marketplace.factories import ProviderOrganisationFactory

    other = ProviderOrganisationFactory()
    admin = make_member(Role.PROVIDER_ADMIN, provider_org)
    colleague = make_member(Role.PROVIDER_STAFF, provider_org)
    make_member(Role.PROVIDER_STAFF, other)
    seen = {m.user for m in visible_to(admin, Membership)}
    assert seen == {admin, colleague}
