"""The broker's side of a price negotiation: the history of offers on a plan line, a counter-offer,
accepting the provider's offer, withdrawing; and asking a provider for a quote.

Pages read through the scope rules (another brokerage's person, plan, line or negotiation is a
404) and change things only through :mod:`brokerage.services`, which decide who may act. Whoever
may see the person may read the page; only the purchaser's side (the person's broker or a contract
officer) is offered the forms.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse

from brokerage import services
from brokerage.constants import NegotiationReason, NegotiationSide, NegotiationStatus
from brokerage.forms import add_service_errors
from brokerage.forms.negotiations import AcceptForm, OfferForm, QuoteRequestForm, WithdrawForm
from brokerage.models import Negotiation, Person, PlanLine, SupportPlan
from brokerage.selectors import people_visible_to
from brokerage.selectors.negotiations import awaiting, latest_offer, negotiations_for_line
from brokerage.views import _negotiation_actions
from brokerage.views._negotiation_actions import Action
from marketplace.scoping import get_visible_or_404

STATUS_TAGS = {
    NegotiationStatus.OPEN: "govuk-tag--blue",
    NegotiationStatus.AGREED: "govuk-tag--green",
    NegotiationStatus.DECLINED: "govuk-tag--red",
    NegotiationStatus.WITHDRAWN: "govuk-tag--grey",
    NegotiationStatus.EXPIRED: "govuk-tag--yellow",
}

BROKER_ACTIONS = {
    "offer": Action(OfferForm, _negotiation_actions.offer, "Your offer has been sent to the provider"),
    "accept": Action(AcceptForm, _negotiation_actions.accept, "Price agreed: the plan line now has the agreed price"),
    "withdraw": Action(WithdrawForm, _negotiation_actions.withdraw, "You have withdrawn from the negotiation"),
}


def _line_or_404(request, pk: int, plan_id: int, line_id: int) -> tuple[Person, SupportPlan, PlanLine]:
    person = get_visible_or_404(request.user, people_visible_to(request.user), pk=pk)
    plan = get_visible_or_404(request.user, SupportPlan.objects.filter(person=person), pk=plan_id)
    line = get_visible_or_404(request.user, PlanLine.objects.filter(plan=plan)
                              .select_related("listing__organisation", "listing__category"), pk=line_id)
    return person, plan, line


def plan_url(person: Person, plan: SupportPlan) -> str:
    """The plan's page, or the person's while the plan pages are not there."""
    try:
        return reverse("brokerage:plan", kwargs={"pk": person.pk, "plan_id": plan.pk})
    except NoReverseMatch:
        return reverse("brokerage:person", kwargs={"pk": person.pk})


def _negotiation_url(person, plan, line, negotiation) -> str:
    return reverse("brokerage:negotiation", kwargs={"pk": person.pk, "plan_id": plan.pk, "line_id": line.pk,
                                                    "negotiation_id": negotiation.pk})


@login_required
def negotiation_detail(request, pk: int, plan_id: int, line_id: int, negotiation_id: int):
    person, plan, line = _line_or_404(request, pk, plan_id, line_id)
    negotiation = get_visible_or_404(request.user, negotiations_for_line(Negotiation.objects.all(), line),
                                     pk=negotiation_id)
    purchaser = services.negotiation_side_of(negotiation, request.user) == NegotiationSide.PURCHASER
    here = _negotiation_url(person, plan, line, negotiation)
    outcome = _negotiation_actions.handle(request, negotiation, here, BROKER_ACTIONS)
    if outcome.response is not None:
        return outcome.response
    forms = outcome.forms
    latest = latest_offer(negotiation)
    is_open = negotiation.status == NegotiationStatus.OPEN
    return render(request, "brokerage/negotiations/detail.html", {
        "person": person,
        "plan": plan,
        "line": line,
        "negotiation": negotiation,
        "tag_class": STATUS_TAGS.get(negotiation.status, ""),
        "offers": list(negotiation.offers.all()),
        "latest": latest,
        "awaiting": awaiting(negotiation),
        "can_act": purchaser and is_open,
        "can_accept": purchaser and is_open and latest is not None and latest.side == NegotiationSide.PROVIDER,
        "offer_form": forms["offer"],
        "accept_form": forms["accept"],
        "withdraw_form": forms["withdraw"],
        "error_form": outcome.error_form,
        "plan_url": plan_url(person, plan),
    })


@login_required
def negotiation_request_quote(request, pk: int, plan_id: int, line_id: int):
    """Ask the line's provider to quote: opens a negotiation in which the provider offers first."""
    person, plan, line = _line_or_404(request, pk, plan_id, line_id)
    form = QuoteRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        already = Negotiation.objects.filter(line=line, status=NegotiationStatus.OPEN).exists()
        try:
            negotiation = services.negotiation_open(line=line, by=request.user,
                                                    reason=NegotiationReason.QUOTE_REQUESTED,
                                                    note=form.cleaned_data["note"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if already:
                messages.info(request, "The price of this service is already being negotiated")
            else:
                messages.success(request, "The provider has been asked for a quote")
            return redirect(_negotiation_url(person, plan, line, negotiation))
    return render(request, "brokerage/negotiations/quote.html", {
        "person": person, "plan": plan, "line": line, "form": form, "plan_url": plan_url(person, plan),
    })


LINE = "<int:pk>/plans/<int:plan_id>/lines/<int:line_id>/"

urlpatterns = [
    path(f"{LINE}negotiations/<int:negotiation_id>/", negotiation_detail, name="negotiation"),
    path(f"{LINE}quote/", negotiation_request_quote, name="negotiation_request_quote"),
]
