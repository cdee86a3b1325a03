"""The provider's side of price negotiations, in the provider portal: the negotiations with the
organisation (open ones first) and, for one, the offers so far with a form to counter-offer,
accept the broker's offer or decline to negotiate.

Only the provider's staff and administrators reach these pages (a user with no provider role is
refused; another organisation's pages, and another organisation's negotiations, are not found).
The pages show the service, how much of it, the route, the prices, the offers, the deadline and
the person's postcode district — never the person's name, reference or date of birth.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse

from brokerage.constants import NegotiationSide, NegotiationStatus
from brokerage.forms.negotiations import AcceptForm, DeclineForm, OfferForm
from brokerage.models import Negotiation
from brokerage.selectors.negotiations import awaiting, district, for_provider, latest_offer
from brokerage.views import _negotiation_actions
from brokerage.views._negotiation_actions import Action
from brokerage.views.negotiations import STATUS_TAGS
from marketplace.models import Organisation
from marketplace.scoping import visible_to
from providers.portal import portal_organisation_or_404
from providers.selectors import portal_listing_organisation_ids

PROVIDER_ACTIONS = {
    "offer": Action(OfferForm, _negotiation_actions.offer, "Your offer has been sent to the broker"),
    "accept": Action(AcceptForm, _negotiation_actions.accept, "Price agreed"),
    "decline": Action(DeclineForm, _negotiation_actions.decline, "You have declined to negotiate"),
}


def _provider_or_404(request, org_id: int) -> Organisation:
    """The user's own provider organisation: 403 for someone with no provider role anywhere, 404
    for any other organisation (a broker's portal role is not enough: brokers do not negotiate for
    a provider)."""
    return portal_organisation_or_404(org_id, portal_listing_organisation_ids(request.user))


def _decorate(negotiation: Negotiation) -> Negotiation:
    negotiation.latest = latest_offer(negotiation)
    negotiation.district = district(negotiation.person_postcode)
    negotiation.tag_class = STATUS_TAGS.get(negotiation.status, "")
    negotiation.our_turn = awaiting(negotiation) == NegotiationSide.PROVIDER
    return negotiation


@login_required
def negotiation_list(request, org_id: int):
    organisation = _provider_or_404(request, org_id)
    queryset = for_provider(visible_to(request.user, Negotiation), organisation)
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    negotiations = [_decorate(negotiation) for negotiation in page]
    return render(request, "brokerage/portal/negotiation_list.html", {
        "organisation": organisation, "page": page, "negotiations": negotiations,
    })


@login_required
def negotiation_detail(request, org_id: int, negotiation_id: int):
    organisation = _provider_or_404(request, org_id)
    try:
        negotiation = for_provider(visible_to(request.user, Negotiation), organisation).get(pk=negotiation_id)
    except Negotiation.DoesNotExist:
        raise Http404("Not found") from None
    _decorate(negotiation)
    here = reverse("brokerage_portal:negotiation", kwargs={"org_id": organisation.pk,
                                                           "negotiation_id": negotiation.pk})
    outcome = _negotiation_actions.handle(request, negotiation, here, PROVIDER_ACTIONS)
    if outcome.response is not None:
        return outcome.response
    forms = outcome.forms
    line = negotiation.line
    is_open = negotiation.status == NegotiationStatus.OPEN
    latest = negotiation.latest
    return render(request, "brokerage/portal/negotiation_detail.html", {
        "organisation": organisation,
        "negotiation": negotiation,
        "line": line,
        "offers": list(negotiation.offers.all()),
        "latest": latest,
        "can_act": is_open,
        "can_accept": is_open and latest is not None and latest.side == NegotiationSide.PURCHASER,
        "offer_form": forms["offer"],
        "accept_form": forms["accept"],
        "decline_form": forms["decline"],
        "error_form": outcome.error_form,
    })


urlpatterns = [
    path("<int:org_id>/negotiations/", negotiation_list, name="negotiations"),
    path("<int:org_id>/negotiations/<int:negotiation_id>/", negotiation_detail, name="negotiation"),
]
