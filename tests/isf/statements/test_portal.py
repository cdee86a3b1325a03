import pytest
from django.urls import reverse

from isf.models import PayeeAccount
from marketplace.constants import Role
from marketplace.models import AuditEvent
from tests.isf.statements.helpers import approved_invoice, day, payment, payment_run, release, remittance

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(isf, make_member):
    return make_member(Role.PROVIDER_STAFF, isf.provider)


@pytest.fixture
def admin(isf, make_member):
    return make_member(Role.PROVIDER_ADMIN, isf.provider)


@pytest.fixture
def advice(isf):
    release(isf, 50000, day(0))
    run = payment_run(day(7))
    advice = remittance(isf.provider, run, total=34400)
    payment(isf, 34400, run=run, period_start=day(8), remittance=advice)
    invoice = approved_invoice(isf, [("Personal care", "5", 2400)], on=day(6), number="=CMD|calc")
    type(invoice).objects.filter(pk=invoice.pk).update(remittance=advice)
    return advice


def test_the_provider_statement_shows_contracts_invoices_payments_and_remittances(client, isf, staff, advice):
    client.force_login(staff)
    page = client.get(reverse("isf:statement", args=[isf.provider_id]))
    assert page.status_code == 200
    html = page.content.decode()
    for words in (isf.reference, isf.person.first_name, "=CMD|calc", "£120.00", 'id="received">£344.00',
                  'id="held">£724.00', advice.reference, "format=pdf"):
        assert words in html, words


def test_the_provider_statement_downloads(client, isf, staff, advice):
    client.force_login(staff)
    response = client.get(reverse("isf:statement", args=[isf.provider_id]) + "?format=csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "'=CMD|calc" in response.content.decode()
    response = client.get(reverse("isf:statement", args=[isf.provider_id]) + "?format=pdf")
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")


def test_a_remittance_lists_the_payments_and_invoices_settled(client, isf, staff, advice):
    client.force_login(staff)
    listing = client.get(reverse("isf:remittances", args=[isf.provider_id]))
    assert advice.reference in listing.content.decode()
    page = client.get(reverse("isf:remittance", args=[isf.provider_id, advice.pk]))
    html = page.content.decode()
    assert 'id="payments-total">£344.00' in html and 'id="invoices-total">£120.00' in html
    response = client.get(reverse("isf:remittance", args=[isf.provider_id, advice.pk]) + "?format=csv")
    assert response["Content-Disposition"] == f'attachment; filename="remittance-{advice.reference}.csv"'
    response = client.get(reverse("isf:remittance", args=[isf.provider_id, advice.pk]) + "?format=pdf")
    assert response.content.startswith(b"%PDF")


def test_another_providers_remittance_is_not_found(client, isf, advice, accepted, make_member):
    other = accepted()
    other_staff = make_member(Role.PROVIDER_STAFF, other.provider)
    client.force_login(other_staff)
    assert client.get(reverse("isf:remittance", args=[other.provider_id, advice.pk])).status_code == 404
    assert client.get(reverse("isf:remittance", args=[isf.provider_id, advice.pk])).status_code == 404
    assert client.get(reverse("isf:statement", args=[isf.provider_id])).status_code == 404


def test_someone_without_a_provider_role_is_refused(client, isf, council, make_member):
    client.force_login(make_member(Role.BROKER, isf.person.broker_organisation))
    assert client.get(reverse("isf:statement", args=[isf.provider_id])).status_code == 403


def bank_url(isf):
    return reverse("isf:bank_details", args=[isf.provider_id])


def test_an_administrator_records_bank_details_and_sees_them_masked(client, isf, admin):
    client.force_login(admin)
    response = client.post(bank_url(isf), {"holder_name": "Acme Care Ltd", "sort_code": "40 12 76",
                                           "account_number": "12345678", "stripe_account_id": "acct_1Abc"})
    assert response.status_code == 302
    account = PayeeAccount.objects.get(organisation=isf.provider)
    assert (account.sort_code, account.account_number, account.stripe_account_id) == ("401276", "12345678",
                                                                                       "acct_1Abc")
    html = client.get(bank_url(isf)).content.decode()
    assert "**1276" in html and "****5678" in html and "12345678" not in html and "401276" not in html


def test_staff_see_the_details_read_only_and_cannot_change_them(client, isf, admin, staff):
    client.force_login(admin)
    client.post(bank_url(isf), {"holder_name": "Acme Care Ltd", "sort_code": "309430", "account_number": "00733445"})
    client.force_login(staff)
    page = client.get(bank_url(isf))
    assert page.status_code == 200
    html = page.content.decode()
    assert "****3445" in html and "Save bank details" not in html
    response = client.post(bank_url(isf), {"holder_name": "Thief", "sort_code": "111111", "account_number": "22222222"})
    assert response.status_code == 403
    assert PayeeAccount.objects.get(organisation=isf.provider).holder_name == "Acme Care Ltd"


def test_bad_bank_details_are_shown_gov_uk_style_and_nothing_is_saved(client, isf, admin):
    client.force_login(admin)
    events = AuditEvent.objects.count()
    response = client.post(bank_url(isf), {"holder_name": "", "sort_code": "30-94", "account_number": "1234",
                                           "stripe_account_id": "sk_live_nope"})
    assert response.status_code == 400
    html = response.content.decode()
    for words in ("There is a problem", "Enter the name on the account", "Enter a valid sort code like 309430",
                  "it must be 8 digits long", "starting acct_", 'href="#id_sort_code"', "<title>Error:"):
        assert words in html, words
    assert not PayeeAccount.objects.exists() and AuditEvent.objects.count() == events


def test_another_providers_bank_details_are_not_found(client, isf, accepted, make_member):
    other = accepted()
    client.force_login(make_member(Role.PROVIDER_ADMIN, other.provider))
    assert client.get(bank_url(isf)).status_code == 404
    assert client.post(bank_url(isf), {"holder_name": "X", "sort_code": "309430",
                                       "account_number": "00733445"}).status_code == 404


def test_the_organisation_page_links_to_the_statement_and_bank_details(client, isf, staff):
    client.force_login(staff)
    html = client.get(reverse("providers:organisation", args=[isf.provider_id])).content.decode()
    assert reverse("isf:statement", args=[isf.provider_id]) in html and bank_url(isf) in html
