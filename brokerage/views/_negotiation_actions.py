"""The forms on a negotiation's page and what posting one of them does, for both sides of the
negotiation: the broker's page and the provider's portal page differ only in which actions they
offer and what they tell the user afterwards."""

from dataclasses import dataclass
from typing import Callable

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect

from brokerage import services
from brokerage.forms import add_service_errors
from brokerage.forms.negotiations import OFFER_FIELDS
from brokerage.models import Negotiation
from marketplace.transitions import InvalidTransition


@dataclass(frozen=True)
class Action:
    form: type[django_forms.Form]
    perform: Callable[..., object]
    done: str


def offer(*, negotiation: Negotiation, by, data: dict) -> None:
    services.negotiation_offer(negotiation=negotiation, by=by, price_pence=data["price"], note=data["note"])


def accept(*, negotiation: Negotiation, by, data: dict) -> None:
    services.negotiation_accept(negotiation=negotiation, by=by, note=data["note"])


def withdraw(*, negotiation: Negotiation, by, data: dict) -> None:
    services.negotiation_withdraw(negotiation=negotiation, by=by, reason=data["reason"])


def decline(*, negotiation: Negotiation, by, data: dict) -> None:
    services.negotiation_decline(negotiation=negotiation, by=by, reason=data["reason"])


@dataclass
class Outcome:
    forms: dict[str, django_forms.Form]
    error_form: django_forms.Form | None = None
    response: HttpResponse | None = None


def handle(request, negotiation: Negotiation, here: str, actions: dict[str, Action]) -> Outcome:
    """The page's forms (prefixed, so several on one page have distinct field ids), with the posted
    one bound; after a POST that succeeds, or that the negotiation's state refuses, a redirect back
    to ``here``."""
    forms = {name: action.form(prefix=name) for name, action in actions.items()}
    if request.method != "POST":
        return Outcome(forms)
    name = request.POST.get("action")
    if name not in actions:
        messages.error(request, "Choose what to do")
        return Outcome(forms, response=redirect(here))
    action = actions[name]
    form = forms[name] = action.form(request.POST, prefix=name)
    if form.is_valid():
        try:
            action.perform(negotiation=negotiation, by=request.user, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error, rename=OFFER_FIELDS)
        except InvalidTransition:
            messages.error(request, "This negotiation has ended, so nothing more can be done with it")
            return Outcome(forms, response=redirect(here))
        else:
            messages.success(request, action.done)
            return Outcome(forms, response=redirect(here))
    return Outcome(forms, error_form=form)
