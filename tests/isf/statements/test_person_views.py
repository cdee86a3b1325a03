import pytest
from django.urls import reverse

from marketplace.constants import Role
from tests.isf.statements.helpers import approved_invoice, contribute, day, release
from tests.marketplace.factories import UserFactory

pytestmark = pytest.mark.django_db


def url(person, **query):
    base = reverse("isf_people:statement", args=[person.pk])
    if query:
        from urllib.parse import urlencode

        base += "?" + urlencode(query)
    return base


@pytest.fixture
def funded(isf):
    release(isf, 100000, day(0))
    contribute(isf, 4000, day(1))
    approved_invoice(isf, [("Personal care", "10", 2400)], on=day(2))
    return isf


@pytest.fixture
def person_user(funded):
    user = UserFactory()
    funded.person.user = user
    funded.person.save(update_fields=["user"])
    return user


def test_the_person_sees_their_statement_in_plain_words(client, funded, person_user):
    client.force_login(person_user)
    page = client.get(url(funded.person))
    assert page.status_code == 200
    html = page.content.decode()
    for words in ("Money the council has put in", "£1,000.00", "Your contributions", "£40.00",
                  "Spent on your support, by item", "Personal care", "£240.00", "Balance held for you", "£800.00",
                  "format=csv", "format=pdf"):
        assert words in html, words


@pytest.mark.parametrize("who", ["representative", "officer", "broker"])
def test_their_representative_an_officer_and_their_broker_see_it(client, funded, council, make_member, who):
    person = funded.person
    if who == "representative":
        user = UserFactory()
        person.representative = user
        person.save(update_fields=["representative"])
    elif who == "officer":
        user = make_member(Role.FINANCE_OFFICER, council)
    else:
        user = make_member(Role.BROKER, person.broker_organisation)
    client.force_login(user)
    assert client.get(url(person)).status_code == 200


def test_a_broker_without_consent_is_told_it_does_not_exist(client, funded, make_member):
    person = funded.person
    person.consent_to_share = False
    person.save(update_fields=["consent_to_share"])
    client.force_login(make_member(Role.BROKER, person.broker_organisation))
    assert client.get(url(person)).status_code == 404


def test_another_person_and_provider_staff_get_not_found(client, funded, accepted, make_member):
    other = accepted()
    someone = UserFactory()
    other.person.user = someone
    other.person.save(update_fields=["user"])
    client.force_login(someone)
    assert client.get(url(funded.person)).status_code == 404
    client.force_login(make_member(Role.PROVIDER_STAFF, funded.provider))
    assert client.get(url(funded.person)).status_code == 404


def test_signing_in_is_needed(client, funded):
    response = client.get(url(funded.person))
    assert response.status_code == 302 and "login" in response["Location"]


def test_dates_narrow_the_statement_with_the_balance_brought_forward(client, funded, person_user):
    client.force_login(person_user)
    page = client.get(url(funded.person, start_day=day(1).day, start_month=day(1).month, start_year=day(1).year,
                          end_day=day(1).day, end_month=day(1).month, end_year=day(1).year))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="opening">£1,000.00' in html
    assert 'id="released">£0.00' in html and 'id="balance">£1,040.00' in html
    assert "Personal care" not in html


@pytest.mark.parametrize("query, message", [
    ({"start_day": "31", "start_month": "2", "start_year": "2026"}, "The start date must be a real date"),
    ({"start_day": "1", "start_month": "", "start_year": "2026"}, "The start date must include a month"),
    ({"start_day": "5", "start_month": "5", "start_year": "2026", "end_day": "1", "end_month": "5",
      "end_year": "2026"}, "The end date must be the same as or after the start date"),
])
def test_bad_dates_are_shown_in_an_error_summary(client, funded, person_user, query, message):
    client.force_login(person_user)
    page = client.get(url(funded.person, **query))
    assert page.status_code == 400
    html = page.content.decode()
    assert "There is a problem" in html and message in html and "<title>Error:" in html


def test_a_download_with_bad_dates_says_what_to_fix(client, funded, person_user):
    client.force_login(person_user)
    response = client.get(url(funded.person, format="csv", start_day="99", start_month="1", start_year="2026"))
    assert response.status_code == 400 and b"The start date must be a real date" in response.content


def test_downloads_are_attachments_of_the_right_type(client, funded, person_user):
    client.force_login(person_user)
    csv_response = client.get(url(funded.person, format="csv"))
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response["Content-Disposition"] == (
        f'attachment; filename="isf-statement-{funded.person.reference}-all.csv"')
    assert "800.00" in csv_response.content.decode()
    pdf_response = client.get(url(funded.person, format="pdf"))
    assert pdf_response["Content-Type"] == "application/pdf"
    assert pdf_response["Content-Disposition"].startswith('attachment; filename="isf-statement-')
    assert pdf_response.content.startswith(b"%PDF") and len(pdf_response.content) > 1000


def test_the_persons_record_links_to_the_statement(client, funded, person_user):
    client.force_login(person_user)
    page = client.get(reverse("brokerage:person", args=[funded.person.pk]))
    assert url(funded.person) in page.content.decode()


def test_direct_payments_paid_to_the_person_are_shown(client, funded, person_user):
    from tests.isf.statements.helpers import direct_payment

    direct_payment(funded.person, 25000, day(3))
    client.force_login(person_user)
    html = client.get(url(funded.person)).content.decode()
    assert "Direct payments paid to you" in html and "£250.00 in these dates" in html


PAY_BY_CARD = "Pay your contribution or add money by card"


def test_the_person_is_offered_card_payment_only_when_stripe_is_set_up(client, funded, person_user, settings,
                                                                       council, make_member):
    client.force_login(person_user)
    settings.STRIPE_SECRET_KEY = ""
    assert PAY_BY_CARD not in client.get(url(funded.person)).content.decode()

    settings.STRIPE_SECRET_KEY = "sk_test_statement"
    html = client.get(url(funded.person)).content.decode()
    assert PAY_BY_CARD in html and reverse("isf_people:card_pay", args=[funded.person.pk]) in html

    # An officer reads the statement but does not pay into the person's fund.
    client.force_login(make_member(Role.FINANCE_OFFICER, council))
    assert PAY_BY_CARD not in client.get(url(funded.person)).content.decode()
