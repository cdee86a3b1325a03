"""Paying into an ISF by card, under /people/<person_id>/isf/pay/: the person (or their
representative) chooses the fund, says whether it is their contribution or a top-up, and pays on
the next page with Stripe's card form. The payment reaches the ledger only when Stripe's signed
webhook says it succeeded.

Someone who may not see the person gets 404; someone who may see them but not pay for them (a
council officer, a broker) gets 403. Without Stripe set up, the pages say card payments are not
available.
"""

import uuid

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse

import brokerage.selectors  # noqa: F401  (registers who may see a person)
from brokerage.models import Person
from isf import services, stripe_client
from isf.constants import CardPaymentPurpose, CardPaymentStatus, ContractStatus
from isf.models import CardPayment, IsfContract
from isf.selectors.contracts import current_terms, weekly_amounts, with_terms
from marketplace.money import MoneyError, format_pence, to_pence, to_pounds
from marketplace.scoping import get_visible_or_404

# The prefilled amount: one four-weekly period of the person's contribution, matching how often
# the council releases the fund.
PREFILL_WEEKS = 4


class CardPaymentForm(forms.Form):
    contract = forms.TypedChoiceField(
        label="Which Individual Service Fund are you paying into?", coerce=int, widget=forms.RadioSelect,
        error_messages={"required": "Choose which fund you are paying into",
                        "invalid_choice": "Choose one of your funds"})
    purpose = forms.ChoiceField(
        label="What are you paying?", choices=CardPaymentPurpose.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose whether this is your contribution or a top-up",
                        "invalid_choice": "Choose whether this is your contribution or a top-up"})
    amount = forms.CharField(
        label="Amount, in pounds", max_length=20,
        help_text="Up to £5,000. We have filled in four weeks of your contribution; you can change it.",
        error_messages={"required": "Enter the amount you are paying",
                        "max_length": "Enter the amount in pounds and pence, like 24.50"})
    token = forms.UUIDField(widget=forms.HiddenInput,
                            error_messages={"required": "The form has expired: open the payment page again",
                                            "invalid": "The form has expired: open the payment page again"})

    def __init__(self, *args, contracts: list[IsfContract], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].choices = [
            (contract.pk, f"{contract.listing.title} from {contract.provider.name} ({contract.reference})")
            for contract in contracts]

    def clean_amount(self) -> int:
        try:
            return to_pence(self.cleaned_data["amount"])
        except MoneyError as error:
            raise ValidationError(str(error)) from None


def _payer_person(request, person_id: int) -> Person:
    """The person, if the user may see them (else 404) and pay for them (else 403)."""
    person = get_visible_or_404(request.user, Person.objects.all(), pk=person_id)
    if not services.may_pay_for(request.user, person):
        raise PermissionDenied("Only the person or their representative can pay into their fund.")
    return person


def _four_weeks(contract: IsfContract) -> int:
    terms = current_terms(contract)
    return weekly_amounts(terms).contribution_pence * PREFILL_WEEKS if terms is not None else 0


def _apply_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
def pay_start(request, person_id: int):
    person = _payer_person(request, person_id)
    if not stripe_client.is_configured():
        return render(request, "isf/card/unavailable.html", {"person": person})
    contracts = list(with_terms(IsfContract.objects.filter(person=person, status=ContractStatus.ACTIVE))
                     .order_by("starts_on", "pk"))
    due = [(contract, _four_weeks(contract)) for contract in contracts]
    if request.method == "POST":
        form = CardPaymentForm(request.POST, contracts=contracts)
        if form.is_valid():
            data = form.cleaned_data
            chosen = next(contract for contract in contracts if contract.pk == data["contract"])
            try:
                card_payment = services.card_payment_start(
                    person=person, contract=chosen, purpose=data["purpose"], amount_pence=data["amount"],
                    by=request.user, token=data["token"])
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                return redirect(reverse("isf_people:card_payment", kwargs={
                    "person_id": person.pk, "card_payment_id": card_payment.pk}))
    else:
        first = due[0][1] if due else 0
        form = CardPaymentForm(contracts=contracts, initial={
            "contract": contracts[0].pk if len(contracts) == 1 else None,
            "purpose": CardPaymentPurpose.CONTRIBUTION,
            "amount": to_pounds(first) if first else "", "token": uuid.uuid4()})
    return render(request, "isf/card/start.html", {
        "person": person, "form": form, "contracts": contracts,
        "due": [(contract, format_pence(amount)) for contract, amount in due],
    })


@login_required
def pay_page(request, person_id: int, card_payment_id: int):
    person = _payer_person(request, person_id)
    try:
        card_payment = (CardPayment.objects.select_related("contract", "contract__provider", "contract__listing")
                        .get(pk=card_payment_id, person=person))
    except CardPayment.DoesNotExist:
        raise Http404("Not found") from None
    context = {"person": person, "card_payment": card_payment, "amount": format_pence(card_payment.amount_pence),
               "configured": stripe_client.is_configured(), "client_secret": "", "stripe_says_paid": False,
               "problem": ""}
    if (context["configured"] and card_payment.status == CardPaymentStatus.STARTED
            and card_payment.payment_intent_id):
        try:
            intent = stripe_client.retrieve_payment_intent(card_payment.payment_intent_id)
        except (stripe_client.StripeUnavailable, stripe_client.StripeRefused):
            context["problem"] = "Card payments are not answering just now. Refresh this page in a few minutes."
        else:
            # Stripe has taken the money but its webhook has not reached us yet.
            context["stripe_says_paid"] = intent.status in ("succeeded", "processing")
            context["client_secret"] = intent.client_secret
    context.update(stripe_js_url=settings.STRIPE_JS_URL, publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
                   succeeded=card_payment.status == CardPaymentStatus.SUCCEEDED or context["stripe_says_paid"],
                   failed=card_payment.status == CardPaymentStatus.FAILED)
    return render(request, "isf/card/pay.html", context)


urlpatterns = [
    path("<int:person_id>/isf/pay/", pay_start, name="card_pay"),
    path("<int:person_id>/isf/pay/<int:card_payment_id>/", pay_page, name="card_payment"),
]
