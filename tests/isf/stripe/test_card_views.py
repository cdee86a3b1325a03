"""The card payment pages: who may reach them, what the form asks, and what the pay page says."""

import re

import pytest
from django.urls import reverse

from isf.constants import CardPaymentPurpose, CardPaymentStatus
from isf.models import CardPayment
from isf.services import card_payment_succeeded, contract_accept
from marketplace.constants import Role
from tests.isf.factories_contracts import offered_contract
from tests.isf.stripe.test_card_payments import pay_with_test_card
from tests.marketplace.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(council, make_member):
    """An active ISF from an approved plan: £40 a week of the person's contribution."""
    officer = make_member(Role.CONTRACT_OFFICER, council)
    offered = offered_contract(officer)
    return contract_accept(contract=offered, by=make_member(Role.PROVIDER_STAFF, offered.provider))


@pytest.fixture
def person(contract):
    return contract.person


@pytest.fixture
def payer(person, client):
    user = UserFactory()
    person.user = user
    person.save(update_fields=["user"])
    client.force_login(user)
    return user


def start_url(person) -> str:
    return reverse("isf_people:card_pay", kwargs={"person_id": person.pk})


def form_data(chosen, page_html: str, **changes) -> dict:
    token = re.search(r'name="token" value="([^"]+)"', page_html).group(1)
    return {"contract": chosen.pk, "purpose": CardPaymentPurpose.CONTRIBUTION, "amount": "160.00",
            "token": token} | changes


def test_the_form_is_prefilled_with_four_weeks_of_the_contribution(client, on_localstripe, contract, payer):
    response = client.get(start_url(contract.person))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="amount" value="160.00"' in html
    assert contract.reference in html
    assert "Your contribution for four weeks" in html


def test_paying_goes_to_the_pay_page_with_the_card_form(client, on_localstripe, contract, payer):
    page = client.get(start_url(contract.person)).content.decode()

    response = client.post(start_url(contract.person), form_data(contract, page, amount="42.50"))

    card_payment = CardPayment.objects.get()
    assert card_payment.amount_pence == 4_250
    pay_url = reverse("isf_people:card_payment", kwargs={"person_id": contract.person.pk,
                                                         "card_payment_id": card_payment.pk})
    assert response.status_code == 302
    assert response["Location"] == pay_url
    pay_page = client.get(pay_url).content.decode()
    assert "Pay £42.50 by card" in pay_page
    assert f'src="{on_localstripe}/js.stripe.com/v3/"' in pay_page
    assert f'data-client-secret="{card_payment.payment_intent_id}_secret_' in pay_page
    assert 'data-publishable-key="pk_test_mixedmarket"' in pay_page


def test_posting_the_same_form_twice_makes_one_payment(client, on_localstripe, contract, payer):
    data = form_data(contract, client.get(start_url(contract.person)).content.decode())

    first = client.post(start_url(contract.person), data)
    second = client.post(start_url(contract.person), data)

    assert first["Location"] == second["Location"]
    assert CardPayment.objects.count() == 1


@pytest.mark.parametrize("amount, message", [
    ("", "Enter the amount you are paying"),
    ("ten", "Enter the amount as a number, like 24.50"),
    ("10.005", "Enter the amount in pounds and pence, like 24.50"),
    ("0", "Enter an amount more than £0"),
    ("5000.01", "Enter an amount of £5,000.00 or less"),
])
def test_a_wrong_amount_is_shown_with_what_to_fix(client, on_localstripe, contract, payer, amount, message):
    data = form_data(contract, client.get(start_url(contract.person)).content.decode(), amount=amount)

    response = client.post(start_url(contract.person), data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Error: " in html
    assert "There is a problem" in html
    assert f'<a href="#id_amount">{message}</a>' in html
    assert CardPayment.objects.count() == 0


def test_a_contract_that_is_not_the_persons_is_refused_on_the_form(client, on_localstripe, contract, payer,
                                                                   other_contract):
    data = form_data(contract, client.get(start_url(contract.person)).content.decode(), contract=other_contract.pk)

    response = client.post(start_url(contract.person), data)

    assert response.status_code == 200
    assert "Choose one of your funds" in response.content.decode()
    assert CardPayment.objects.count() == 0


def test_another_persons_page_is_not_found(client, on_localstripe, payer, other_contract):
    assert client.get(start_url(other_contract.person)).status_code == 404
    assert client.post(start_url(other_contract.person), {}).status_code == 404


def test_another_persons_card_payment_is_not_found_under_your_own_page(client, on_localstripe, contract, payer,
                                                                      other_contract):
    theirs = CardPayment.objects.create(person=other_contract.person, contract=other_contract, amount_pence=100,
                                        purpose=CardPaymentPurpose.TOP_UP, idempotency_key="card:theirs",
                                        started_by=UserFactory())

    response = client.get(reverse("isf_people:card_payment", kwargs={"person_id": contract.person.pk,
                                                                     "card_payment_id": theirs.pk}))

    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, person):
    response = client.get(start_url(person))

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_council_officer_may_see_the_person_but_not_pay(client, on_localstripe, contract, council, make_member):
    client.force_login(make_member(Role.FINANCE_OFFICER, council))
    data = {"contract": contract.pk, "purpose": CardPaymentPurpose.CONTRIBUTION, "amount": "10.00",
            "token": "0b6f4a10-8c1e-4f7e-9a43-6d2f8f1e9c11"}

    assert client.get(start_url(contract.person)).status_code == 403
    assert client.post(start_url(contract.person), data).status_code == 403
    assert CardPayment.objects.count() == 0


def test_a_representative_can_pay(client, on_localstripe, contract, person):
    representative = UserFactory()
    person.representative = representative
    person.save(update_fields=["representative"])
    client.force_login(representative)
    data = form_data(contract, client.get(start_url(person)).content.decode())

    assert client.post(start_url(person), data).status_code == 302
    assert CardPayment.objects.get().started_by == representative


def test_without_stripe_the_page_says_card_payments_are_not_available(client, settings, contract, payer):
    settings.STRIPE_SECRET_KEY = ""

    response = client.get(start_url(contract.person))

    html = response.content.decode()
    assert "Card payments are not available" in html
    assert reverse("brokerage:person", args=[contract.person.pk]) in html


def test_the_pay_page_says_when_the_payment_is_taken_and_when_it_failed(client, on_localstripe, contract, payer):
    data = form_data(contract, client.get(start_url(contract.person)).content.decode())
    pay_url = client.post(start_url(contract.person), data)["Location"]
    card_payment = CardPayment.objects.get()

    pay_with_test_card(on_localstripe, card_payment.payment_intent_id)
    taken = client.get(pay_url).content.decode()
    assert "We have your payment of £160.00. It shows on your statement once the card payment is confirmed." in taken
    assert "card-payment-form" not in taken

    card_payment_succeeded(payment_intent_id=card_payment.payment_intent_id, amount_pence=16_000, event_id="evt_p")
    assert "We have your payment of £160.00" in client.get(pay_url).content.decode()

    CardPayment.objects.filter(pk=card_payment.pk).update(status=CardPaymentStatus.FAILED,
                                                          failure_reason="Your card was declined.")
    failed = client.get(pay_url).content.decode()
    assert "Your payment did not go through: Your card was declined." in failed
