import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from brokerage.constants import DeploymentRoute
from isf import services
from isf.models import PayeeAccount
from marketplace.constants import Role
from marketplace.models import AuditEvent
from tests.brokerage.factories import PersonFactory
from tests.brokerage.factories_signoff import approved_plan
from tests.marketplace.factories import ProviderOrganisationFactory

pytestmark = pytest.mark.django_db

GOOD = {"holder_name": "Acme Care Ltd", "sort_code": "401276", "account_number": "12345678"}


@pytest.fixture
def provider():
    return ProviderOrganisationFactory()


@pytest.fixture
def admin(provider, make_member):
    return make_member(Role.PROVIDER_ADMIN, provider)


@pytest.fixture
def finance(council, make_member):
    return make_member(Role.FINANCE_OFFICER, council)


@pytest.mark.parametrize("typed", ["401276", "40-12-76", "40 12 76", " 40-12 76 "])
def test_a_sort_code_is_stored_as_six_digits_however_it_is_typed(provider, admin, typed):
    account = services.payee_account_save(by=admin, organisation=provider, **(GOOD | {"sort_code": typed}))
    assert account.sort_code == "401276"


@pytest.mark.parametrize("field, value, message", [
    ("sort_code", "4012", "Enter a valid sort code like 309430"),
    ("sort_code", "40-12-7X", "Enter a valid sort code like 309430"),
    ("account_number", "1234567", "it must be 8 digits long"),
    ("account_number", "", "Enter an account number"),
    ("holder_name", "  ", "Enter the name on the account"),
    ("stripe_account_id", "sk_test_123", "starting acct_"),
])
def test_bad_details_are_refused_with_the_reason(provider, admin, field, value, message):
    with pytest.raises(ValidationError) as refused:
        services.payee_account_save(by=admin, organisation=provider, **(GOOD | {field: value}))
    assert message in refused.value.message_dict[field][0]
    assert not PayeeAccount.objects.exists()


def test_the_audit_log_keeps_only_the_last_four_digits(provider, admin):
    services.payee_account_save(by=admin, organisation=provider, **GOOD)
    services.payee_account_save(by=admin, organisation=provider, **(GOOD | {"account_number": "87654321"}))
    events = list(AuditEvent.objects.filter(verb="payeeaccount.saved").order_by("pk"))
    assert len(events) == 2
    assert events[0].after["sort_code"] == "**1276" and events[0].after["account_number"] == "****5678"
    assert events[1].before["account_number"] == "****5678" and events[1].after["account_number"] == "****4321"
    text = repr([(event.before, event.after) for event in events])
    assert "12345678" not in text and "87654321" not in text and "401276" not in text
    assert PayeeAccount.objects.count() == 1


def test_only_the_providers_admin_or_a_finance_officer_sets_its_account(provider, make_member, finance, council):
    someone_elses_admin = make_member(Role.PROVIDER_ADMIN, ProviderOrganisationFactory())
    for user in (make_member(Role.PROVIDER_STAFF, provider), someone_elses_admin,
                 make_member(Role.CONTRACT_OFFICER, council)):
        with pytest.raises(PermissionDenied):
            services.payee_account_save(by=user, organisation=provider, **GOOD)
    assert services.payee_account_save(by=finance, organisation=provider, **GOOD).organisation == provider


def test_a_persons_account_is_set_by_council_officers_only(finance, admin, council, make_member):
    person = PersonFactory()
    with pytest.raises(PermissionDenied):
        services.payee_account_save(by=admin, person=person, **GOOD)
    account = services.payee_account_save(by=make_member(Role.CONTRACT_OFFICER, council), person=person,
                                          managed_by="A named trustee: Jo Bloggs", **GOOD)
    assert account.person == person and account.managed_by == "A named trustee: Jo Bloggs"


def test_exactly_one_owner(provider, finance):
    with pytest.raises(ValueError):
        services.payee_account_save(by=finance, organisation=provider, person=PersonFactory(), **GOOD)
    with pytest.raises(ValueError):
        services.payee_account_save(by=finance, **GOOD)


# The console ------------------------------------------------------------------------------------

@pytest.fixture
def direct_payment_person():
    plan = approved_plan()
    plan.lines.update(route=DeploymentRoute.DIRECT_PAYMENT)
    return plan.person


def test_the_console_lists_people_with_direct_payments_and_whether_their_account_is_recorded(
        client, finance, direct_payment_person):
    managed = approved_plan()
    assert managed.lines.exclude(route=DeploymentRoute.DIRECT_PAYMENT).exists()
    client.force_login(finance)
    html = client.get(reverse("isf_payees")).content.decode()
    assert f"person-{direct_payment_person.pk}" in html and "Not recorded" in html
    assert f"person-{managed.person.pk}" not in html


def test_a_finance_officer_records_who_manages_a_persons_account(client, finance, direct_payment_person):
    client.force_login(finance)
    url = reverse("isf_payee_person", args=[direct_payment_person.pk])
    response = client.post(url, {"manager": "trustee", "manager_name": "", **GOOD})
    assert response.status_code == 400 and "Enter the trustee&#x27;s name" in response.content.decode()
    typed = GOOD | {"sort_code": "40-12-76"}
    response = client.post(url, {"manager": "trustee", "manager_name": "Jo Bloggs", **typed})
    assert response.status_code == 302
    account = PayeeAccount.objects.get(person=direct_payment_person)
    assert account.managed_by == "A named trustee: Jo Bloggs" and account.sort_code == "401276"
    html = client.get(reverse("isf_payees")).content.decode()
    assert "****5678" in html and "12345678" not in html


def test_bad_details_in_the_console_are_all_listed(client, finance, direct_payment_person):
    client.force_login(finance)
    url = reverse("isf_payee_person", args=[direct_payment_person.pk])
    response = client.post(url, {"manager": "person", "holder_name": "", "sort_code": "12", "account_number": "x"})
    html = response.content.decode()
    assert response.status_code == 400
    for words in ("Enter the name on the account", "Enter a valid sort code", "it must be 8 digits long"):
        assert words in html, words
    assert not PayeeAccount.objects.exists()


def test_a_contract_officer_sees_the_console_but_cannot_change_an_account(client, council, make_member,
                                                                       direct_payment_person):
    client.force_login(make_member(Role.CONTRACT_OFFICER, council))
    url = reverse("isf_payee_person", args=[direct_payment_person.pk])
    assert client.get(url).status_code == 200
    # Wagtail answers a refused console request by sending the user back to the dashboard.
    assert client.post(url, {"manager": "person", **GOOD}).status_code in (302, 403)
    assert not PayeeAccount.objects.exists()


def test_provider_staff_cannot_open_the_console_pages(client, admin, direct_payment_person):
    client.force_login(admin)
    assert client.get(reverse("isf_payee_person", args=[direct_payment_person.pk])).status_code in (302, 403)
