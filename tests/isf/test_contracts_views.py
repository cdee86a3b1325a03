import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from isf.constants import ContractStatus
from isf.models import IsfContract
from isf.services import contract_accept
from marketplace.constants import Role
from tests.isf.factories_contracts import offered_contract
from tests.marketplace.factories import ProviderOrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(council, make_member):
    return make_member(Role.CONTRACT_OFFICER, council)


@pytest.fixture
def offered(officer):
    return offered_contract(officer)


@pytest.fixture
def staff(offered, make_member):
    return make_member(Role.PROVIDER_STAFF, offered.provider)


def list_url(org_id):
    return reverse("isf:contracts", kwargs={"org_id": org_id})


def detail_url(contract, org_id=None):
    return reverse("isf:contract", kwargs={"org_id": org_id or contract.provider_id, "contract_id": contract.pk})


# The provider portal ------------------------------------------------------------------------------

def test_the_organisation_page_links_to_the_contracts(client, offered, staff):
    client.force_login(staff)
    page = client.get(reverse("providers:organisation", args=[offered.provider_id]))
    assert list_url(offered.provider_id) in page.content.decode()


def test_the_list_shows_offers_first(client, officer, offered, staff):
    first = offered
    other = offered_contract(officer)
    IsfContract.objects.filter(pk=other.pk).update(provider=first.provider, listing=first.listing)
    contract_accept(contract=first, by=staff)
    client.force_login(staff)
    page = client.get(list_url(first.provider_id))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index(f"contract-{other.pk}") < html.index(f"contract-{first.pk}")
    assert first.reference in html


def test_the_agreement_shows_its_terms_in_plain_words(client, offered, staff):
    client.force_login(staff)
    page = client.get(detail_url(offered))
    assert page.status_code == 200
    html = page.content.decode()
    for words in (offered.person.first_name, offered.provider.name, "£384.00 a week in all",
                  "the person contributes £40.00", "the council pays £344.00", "Every 4 weeks, in advance",
                  "Up to 4 weeks' budget may be carried over", "Every 12 weeks the provider reports",
                  "Accept the contract", "Decline the contract"):
        assert words in html, words


def test_staff_accept_an_offer_in_the_portal(client, offered, staff):
    client.force_login(staff)
    response = client.post(detail_url(offered), {"action": "accept"})
    assert response.status_code == 302
    offered.refresh_from_db()
    assert offered.status == ContractStatus.ACTIVE and offered.accepted_by == staff


def test_declining_without_a_reason_shows_an_error_summary(client, offered, staff):
    client.force_login(staff)
    page = client.post(detail_url(offered), {"action": "decline", "decline-reason": ""})
    html = page.content.decode()
    assert "There is a problem" in html and "Enter why you are declining the contract" in html
    assert "<title>Error:" in html
    offered.refresh_from_db()
    assert offered.status == ContractStatus.OFFERED


def test_staff_decline_with_a_reason(client, offered, staff):
    client.force_login(staff)
    client.post(detail_url(offered), {"action": "decline", "decline-reason": "No capacity in that area"})
    offered.refresh_from_db()
    assert (offered.status, offered.ended_reason) == (ContractStatus.ENDED, "No capacity in that area")


def test_another_providers_contract_is_not_found(client, offered, make_member):
    other_org = ProviderOrganisationFactory()
    stranger = make_member(Role.PROVIDER_STAFF, other_org)
    client.force_login(stranger)
    assert client.get(detail_url(offered)).status_code == 404
    assert client.get(detail_url(offered, org_id=other_org.pk)).status_code == 404
    assert client.post(detail_url(offered, org_id=other_org.pk), {"action": "accept"}).status_code == 404
    assert client.get(list_url(offered.provider_id)).status_code == 404
    offered.refresh_from_db()
    assert offered.status == ContractStatus.OFFERED


def test_a_broker_has_no_portal_contract_pages(client, offered, make_member):
    broker = make_member(Role.BROKER, offered.person.broker_organisation)
    client.force_login(broker)
    assert client.get(list_url(offered.provider_id)).status_code == 403


def test_the_list_uses_a_constant_number_of_queries(client, officer, offered, staff):
    client.force_login(staff)
    client.get(list_url(offered.provider_id))
    with CaptureQueriesContext(connection) as one:
        client.get(list_url(offered.provider_id))
    for _ in range(3):
        extra = offered_contract(officer)
        IsfContract.objects.filter(pk=extra.pk).update(provider=offered.provider)
    with CaptureQueriesContext(connection) as four:
        page = client.get(list_url(offered.provider_id))
    assert page.content.decode().count('id="contract-') == 4
    assert len(four) == len(one)


# The council console ------------------------------------------------------------------------------

def console_url(contract=None):
    return reverse("isf_contract", args=[contract.pk]) if contract else reverse("isf_contracts")


@pytest.fixture
def finance(council, make_member):
    return make_member(Role.FINANCE_OFFICER, council)


def _admin_login(client, user):
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)


def test_officers_list_contracts_filtered_by_status_and_provider(client, officer, offered, staff):
    other = offered_contract(officer)
    contract_accept(contract=offered, by=staff)
    _admin_login(client, officer)
    html = client.get(console_url(), {"status": "active"}).content.decode()
    assert offered.reference in html and other.reference not in html
    html = client.get(console_url(), {"provider": other.provider_id}).content.decode()
    assert other.reference in html and offered.reference not in html


def test_an_officer_suspends_reinstates_and_ends_with_reasons(client, finance, offered, staff):
    contract_accept(contract=offered, by=staff)
    _admin_login(client, finance)
    page = client.get(console_url(offered))
    assert page.status_code == 200 and "Terms history" in page.content.decode()
    assert '<td id="fund-balance">£0.00</td>' in page.content.decode()
    assert client.post(console_url(offered), {"action": "suspend", "suspend-reason": "Late reports"}).status_code == 302
    offered.refresh_from_db()
    assert (offered.status, offered.suspended_reason) == (ContractStatus.SUSPENDED, "Late reports")
    client.post(console_url(offered), {"action": "reinstate", "reinstate-reason": "Reports in"})
    offered.refresh_from_db()
    assert offered.status == ContractStatus.ACTIVE
    client.post(console_url(offered), {"action": "end", "end-reason": "Moved away", "end-ends_on": ""})
    offered.refresh_from_db()
    assert (offered.status, offered.ended_reason) == (ContractStatus.ENDED, "Moved away")
    html = client.get(console_url(offered)).content.decode()
    assert "Late reports" in html and "Reports in" in html and "Moved away" in html


def test_the_console_refuses_a_missing_reason(client, officer, offered, staff):
    contract_accept(contract=offered, by=staff)
    _admin_login(client, officer)
    page = client.post(console_url(offered), {"action": "suspend", "suspend-reason": ""})
    assert page.status_code == 400
    assert "Enter why you are suspending the contract" in page.content.decode()
    offered.refresh_from_db()
    assert offered.status == ContractStatus.ACTIVE


def test_the_console_is_for_contract_and_finance_officers_only(client, offered, staff, make_member, council):
    editor = make_member(Role.CONTENT_EDITOR, council)
    for user in (editor, staff):
        _admin_login(client, user)
        assert client.get(console_url()).status_code in (302, 403)
        assert client.get(console_url(offered)).status_code in (302, 403)
        client.post(console_url(offered), {"action": "end", "end-reason": "No"})
    offered.refresh_from_db()
    assert offered.status == ContractStatus.OFFERED


def test_the_console_menu_shows_contracts_to_officers_only(rf, officer, staff):
    from isf.console import menu_items

    item = menu_items[0]()
    for user, shown in ((officer, True), (staff, False)):
        request = rf.get("/admin/")
        request.user = user
        assert item.is_shown(request) is shown
