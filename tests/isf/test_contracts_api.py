"""ISF contracts through /api/v1/isf-contracts/: scoped reads with terms and weekly amounts, and
POST actions for the provider's answer and the council's decisions."""

import pytest

from isf.constants import ContractStatus
from marketplace.constants import Role
from tests.isf.factories_contracts import offered_contract
from tests.marketplace.factories import ProviderOrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/isf-contracts/"


def post(client, path, data=None):
    return client.post(path, data or {}, content_type="application/json")


def action(contract, name):
    return f"{API}{contract.pk}/{name}/"


@pytest.fixture
def officer(council, make_member):
    return make_member(Role.CONTRACT_OFFICER, council)


@pytest.fixture
def offered(officer):
    return offered_contract(officer)


@pytest.fixture
def staff(offered, make_member):
    return make_member(Role.PROVIDER_STAFF, offered.provider)


def test_the_provider_reads_its_contract_with_terms_and_weekly_amounts(client, offered, staff):
    client.force_login(staff)
    body = client.get(f"{API}{offered.pk}/").json()
    assert body["reference"] == offered.reference and body["status"] == "offered"
    assert body["weekly"] == {"gross_pence": 38400, "contribution_pence": 4000, "net_pence": 34400}
    assert [row["weekly_pence"] for row in body["terms"]] == [38400]
    assert (body["payment_weeks"], body["surplus_carry_weeks"]) == (4, 4)
    assert [row["id"] for row in client.get(API).json()["results"]] == [offered.pk]


def test_who_sees_a_contract(client, offered, officer, make_member):
    person = offered.person
    person.user = UserFactory()
    person.representative = UserFactory()
    person.save(update_fields=["user", "representative"])
    broker = make_member(Role.BROKER, person.broker_organisation)
    for user in (officer, person.user, person.representative, broker):
        client.force_login(user)
        assert client.get(f"{API}{offered.pk}/").status_code == 200, user
    stranger = make_member(Role.PROVIDER_STAFF, ProviderOrganisationFactory())
    client.force_login(stranger)
    assert client.get(f"{API}{offered.pk}/").status_code == 404
    assert client.get(API).json()["results"] == []


def test_a_broker_sees_nothing_without_the_persons_consent(client, offered, make_member):
    broker = make_member(Role.BROKER, offered.person.broker_organisation)
    offered.person.consent_to_share = False
    offered.person.save(update_fields=["consent_to_share"])
    client.force_login(broker)
    assert client.get(f"{API}{offered.pk}/").status_code == 404


def test_the_provider_accepts_and_another_provider_cannot(client, offered, staff, make_member):
    stranger = make_member(Role.PROVIDER_STAFF, ProviderOrganisationFactory())
    client.force_login(stranger)
    assert post(client, action(offered, "accept")).status_code == 404
    client.force_login(staff)
    response = post(client, action(offered, "accept"))
    assert response.status_code == 200 and response.json()["status"] == "active"


def test_a_broker_who_sees_the_contract_cannot_accept_it(client, offered, make_member):
    broker = make_member(Role.BROKER, offered.person.broker_organisation)
    client.force_login(broker)
    assert post(client, action(offered, "accept")).status_code == 403
    offered.refresh_from_db()
    assert offered.status == ContractStatus.OFFERED


def test_declining_needs_a_reason(client, offered, staff):
    client.force_login(staff)
    assert post(client, action(offered, "decline")).status_code == 400
    response = post(client, action(offered, "decline"), {"reason": "We are full"})
    assert response.json()["status"] == "ended" and response.json()["ended_reason"] == "We are full"


def test_officers_suspend_reinstate_and_end(client, offered, staff, officer):
    client.force_login(staff)
    post(client, action(offered, "accept"))
    assert post(client, action(offered, "suspend"), {"reason": "No"}).status_code == 403
    client.force_login(officer)
    assert post(client, action(offered, "suspend"), {"reason": "Checking"}).json()["status"] == "suspended"
    assert post(client, action(offered, "reinstate"), {"reason": "Fine"}).json()["status"] == "active"
    body = post(client, action(offered, "end"), {"reason": "Moved", "ends_on": offered.starts_on.isoformat()}).json()
    assert (body["status"], body["ends_on"]) == ("ended", offered.starts_on.isoformat())


def test_a_move_the_lifecycle_does_not_allow_is_a_conflict(client, offered, officer):
    client.force_login(officer)
    assert post(client, action(offered, "reinstate"), {"reason": "Fine"}).status_code == 409


def test_the_actions_are_in_the_schema(client, officer):
    client.force_login(officer)
    schema = client.get("/api/v1/schema/").content.decode()
    for name in ("accept", "decline", "suspend", "reinstate", "end"):
        assert f"/api/v1/isf-contracts/{{id}}/{name}/" in schema


def test_contract_terms_are_seen_by_whoever_sees_the_contract(offered, staff, officer, make_member):
    from isf.models import ContractTerms
    from marketplace.scoping import visible_to

    stranger = make_member(Role.PROVIDER_STAFF, ProviderOrganisationFactory())
    terms = offered.terms.get()
    assert list(visible_to(staff, ContractTerms)) == [terms]
    assert list(visible_to(officer, ContractTerms)) == [terms]
    assert not visible_to(stranger, ContractTerms).exists()



def test_the_contract_list_reads_a_constant_number_of_queries(client, offered, officer,
                                                              django_assert_max_num_queries):
    """However many contracts there are, the list (each with its weekly amounts) costs the same."""
    client.force_login(officer)
    with django_assert_max_num_queries(20) as one:
        assert client.get("/api/v1/isf-contracts/").json()["count"] == 1
    for _ in range(4):
        offered_contract(officer)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get("/api/v1/isf-contracts/").json()["count"] == 5
