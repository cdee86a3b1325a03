"""The provider portal's care package requests: the requests sent to the organisation (one per
matching service) and, for each, the anonymous request with forms to offer or decline.

Only provider staff and administrators of the organisation reach these pages; another
organisation's response is a 404. The pages read the request only through the provider's own
response and never load or show the person or the plan — nothing here identifies who it is for.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone

from brokerage import services
from brokerage.constants import PackageRequestStatus, PackageResponseStatus
from brokerage.forms import add_service_errors
from brokerage.forms.package_requests import OFFER_FIELDS, DeclineForm, OfferForm
from brokerage.models import PackageResponse
from brokerage.selectors.package_requests import provider_package_response, provider_package_responses
from brokerage.services.package_requests import how_much
from brokerage.views.package_requests import RESPONSE_TAGS, times_of_day_labels
from marketplace.transitions import InvalidTransition
from providers.portal import provider_organisation_or_404


def _can_answer(response: PackageResponse) -> bool:
    return (response.status == PackageResponseStatus.INVITED
            and response.request.status == PackageRequestStatus.OPEN
            and response.request.deadline >= timezone.localdate())


@login_required
def package_requests(request, org_id: int):
    org = provider_organisation_or_404(request.user, org_id)
    page = Paginator(provider_package_responses(org), 50).get_page(request.GET.get("page"))
    for response in page:
        response.tag_class = RESPONSE_TAGS.get(response.status, "")
        response.can_answer = _can_answer(response)
        response.how_much = how_much(response.request)
    return render(request, "brokerage/portal/package_requests.html", {"organisation": org, "page": page})


@login_required
def package_response(request, org_id: int, response_id: int):
    org = provider_organisation_or_404(request.user, org_id)
    try:
        response = provider_package_response(org, response_id)
    except (PackageResponse.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found") from None
    offer_form, decline_form = OfferForm(), DeclineForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "offer":
            offer_form = OfferForm(request.POST)
            if offer_form.is_valid():
                data = offer_form.cleaned_data
                try:
                    services.package_response_offer(response=response, by=request.user, price_pence=data["price"],
                                                    earliest_start=data["earliest_start"], note=data["note"])
                except ValidationError as error:
                    add_service_errors(offer_form, error, OFFER_FIELDS)
                except InvalidTransition as problem:
                    offer_form.add_error(None, str(problem))
                else:
                    messages.success(request, f"Offer sent for request {response.request.reference}")
                    return redirect("brokerage_portal:package_response", org_id=org.pk, response_id=response.pk)
        elif action == "decline":
            decline_form = DeclineForm(request.POST)
            if decline_form.is_valid():
                try:
                    services.package_response_decline(response=response, by=request.user,
                                                      note=decline_form.cleaned_data["note"])
                except ValidationError as error:
                    add_service_errors(decline_form, error)
                except InvalidTransition as problem:
                    decline_form.add_error(None, str(problem))
                else:
                    messages.success(request, f"You declined request {response.request.reference}")
                    return redirect("brokerage_portal:package_response", org_id=org.pk, response_id=response.pk)
        else:
            messages.error(request, "Make an offer or decline the request")
            return redirect("brokerage_portal:package_response", org_id=org.pk, response_id=response.pk)
    package = response.request
    return render(request, "brokerage/portal/package_response.html", {
        "organisation": org,
        "response": response,
        "package": package,
        "tag_class": RESPONSE_TAGS.get(response.status, ""),
        "times": times_of_day_labels(package.times_of_day),
        "how_much": how_much(package),
        "can_answer": _can_answer(response),
        "offer_form": offer_form,
        "decline_form": decline_form,
        "error_forms": [form for form in (offer_form, decline_form) if form.errors],
    })


urlpatterns = [
    path("<int:org_id>/package-requests/", package_requests, name="package_requests"),
    path("<int:org_id>/package-requests/<int:response_id>/", package_response, name="package_response"),
]
