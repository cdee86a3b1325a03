"""The broker's care package requests: send one for a person's plan, follow the answers, see the
offers ranked by quality and price, and choose one with the person (their preference recorded
beside the choice) or withdraw the request. Reads go through
:mod:`brokerage.selectors.package_requests` (out of scope → 404); changes only through
:mod:`brokerage.services`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone

from brokerage import services
from brokerage.constants import PLAN_EDITABLE_STATUSES, PackageRequestStatus, PackageResponseStatus, TimeOfDay
from brokerage.forms import add_service_errors
from brokerage.forms.package_requests import ChooseOfferForm, PackageRequestForm, WithdrawRequestForm
from brokerage.models import BrokerageSettings, PackageRequest, SupportPlan
from brokerage.services.package_requests import how_much
from brokerage.selectors.package_requests import package_request_for_broker, ranked_offers, ranking_method
from brokerage.views.people import _person_or_404, _planner_person_or_404, _plans_for
from marketplace.scoping import get_visible_or_404
from marketplace.transitions import InvalidTransition
from providers.pricing import reference_rates_now
from providers.search import PostcodeError, postcode_district

REQUEST_TAGS = {
    PackageRequestStatus.OPEN: "govuk-tag--blue",
    PackageRequestStatus.CHOSEN: "govuk-tag--green",
    PackageRequestStatus.NO_OFFERS: "govuk-tag--red",
    PackageRequestStatus.WITHDRAWN: "govuk-tag--grey",
}
RESPONSE_TAGS = {
    PackageResponseStatus.INVITED: "govuk-tag--grey",
    PackageResponseStatus.OFFERED: "govuk-tag--blue",
    PackageResponseStatus.DECLINED: "govuk-tag--orange",
    PackageResponseStatus.LAPSED: "govuk-tag--grey",
    PackageResponseStatus.CHOSEN: "govuk-tag--green",
    PackageResponseStatus.NOT_CHOSEN: "govuk-tag--grey",
}
OFFER_PREFIX = "offer-{}"


def times_of_day_labels(values) -> list[str]:
    return [TimeOfDay(value).label for value in values if value in TimeOfDay.values]


def _district_of(postcode: str) -> str:
    try:
        return postcode_district(postcode)
    except PostcodeError:
        return ""


@login_required
def package_request_new(request, pk: int, plan_id: int):
    person = _planner_person_or_404(request, pk)
    plan = get_visible_or_404(request.user, SupportPlan.objects.filter(person=person), pk=plan_id)
    editable = plan.status in PLAN_EDITABLE_STATUSES
    form = PackageRequestForm(request.POST or None, initial={
        "starts_on": plan.starts_on if plan.starts_on and plan.starts_on > timezone.localdate() else None,
        "district": _district_of(person.postcode)})
    if request.method == "POST" and editable and form.is_valid():
        try:
            sent = services.package_request_create(plan=plan, by=request.user, **form.service_arguments())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if sent.status == PackageRequestStatus.NO_OFFERS:
                messages.warning(request, f"No approved provider’s service matches request {sent.reference}, so "
                                          f"nobody was asked. The council has been told about the gap in the "
                                          f"market. Try a wider request, or choose a service from the directory.")
            else:
                asked = sent.responses.count()
                messages.success(request, f"Request {sent.reference} sent to {asked} service"
                                          f"{'s' if asked != 1 else ''}")
            return redirect("brokerage:package_request", pk=person.pk, request_id=sent.pk)
    return render(request, "brokerage/package_requests/new.html", {
        "person": person, "plan": plan, "form": form, "editable": editable,
        "days": BrokerageSettings.load().package_request_days})


def _request_or_404(request, person, request_id: int) -> PackageRequest:
    try:
        return package_request_for_broker(request.user, person, request_id)
    except (PackageRequest.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found") from None


@login_required
def package_request_detail(request, pk: int, request_id: int):
    """The request, every provider's answer, the offers ranked (with the method beside them), a
    form per offer to choose it with the person's preference, and a withdraw form."""
    person = _person_or_404(request, pk)
    can_act = _plans_for(request.user, person)
    package = _request_or_404(request, person, request_id)
    choose_forms, withdraw_form = {}, WithdrawRequestForm()
    if request.method == "POST":
        if not can_act:
            raise PermissionDenied("You do not have permission to do that.")
        action = request.POST.get("action")
        if action == "choose":
            response = _offer_of(package, request.POST.get("response"))
            if response is None:
                messages.error(request, "Choose one of the offers made to this request")
                return redirect("brokerage:package_request", pk=person.pk, request_id=package.pk)
            form = ChooseOfferForm(request.POST, prefix=OFFER_PREFIX.format(response.pk))
            if form.is_valid():
                try:
                    services.package_request_choose(request=package, response=response, by=request.user,
                                                    person_preference=form.cleaned_data["person_preference"],
                                                    reason=form.cleaned_data["reason"])
                except ValidationError as error:
                    add_service_errors(form, error)
                except InvalidTransition as problem:
                    form.add_error(None, str(problem))
                else:
                    messages.success(request, f"Chose {response.provider.name}: {response.listing.title} is now "
                                              f"a line of the support plan at the offered price")
                    return redirect("brokerage:package_request", pk=person.pk, request_id=package.pk)
            choose_forms[response.pk] = form
        elif action == "withdraw":
            withdraw_form = WithdrawRequestForm(request.POST)
            if withdraw_form.is_valid():
                try:
                    services.package_request_withdraw(request=package, by=request.user,
                                                      reason=withdraw_form.cleaned_data["reason"])
                except ValidationError as error:
                    add_service_errors(withdraw_form, error)
                except InvalidTransition:
                    withdraw_form.add_error(None, "An offer has been chosen, so the request can no longer be "
                                                  "withdrawn")
                else:
                    messages.success(request, f"Request {package.reference} withdrawn; the providers have been told")
                    return redirect("brokerage:package_request", pk=person.pk, request_id=package.pk)
        else:
            messages.error(request, "Choose an offer or withdraw the request")
            return redirect("brokerage:package_request", pk=person.pk, request_id=package.pk)

    weight = BrokerageSettings.load().quality_weight_percent
    references = reference_rates_now()
    ranking = ranked_offers(package, quality_weight_percent=weight, references=references)
    reference = references.get((package.category_id, package.unit))
    is_open = package.status == PackageRequestStatus.OPEN
    # A form per offer still open to choose, each with its own prefix so errors stay beside it.
    choices = [(offer, choose_forms.get(offer.response.pk) or ChooseOfferForm(
        prefix=OFFER_PREFIX.format(offer.response.pk)))
        for offer in ranking if offer.response.status == PackageResponseStatus.OFFERED]
    responses = list(package.responses.all())
    for response in responses:
        response.tag_class = RESPONSE_TAGS.get(response.status, "")
    errors = [form for form in choose_forms.values() if form.errors]
    return render(request, "brokerage/package_requests/detail.html", {
        "person": person,
        "package": package,
        "tag_class": REQUEST_TAGS.get(package.status, ""),
        "times": times_of_day_labels(package.times_of_day),
        "responses": responses,
        "ranking": ranking,
        "choices": choices,
        "method": ranking_method(weight, reference),
        "weight": weight,
        "price_weight": 100 - weight,
        "how_much": how_much(package),
        "reference_pence": reference,
        "can_choose": can_act and is_open,
        "can_withdraw": can_act and package.status in (PackageRequestStatus.OPEN, PackageRequestStatus.NO_OFFERS),
        "withdraw_form": withdraw_form,
        "error_forms": errors + ([withdraw_form] if withdraw_form.errors else []),
        "past_deadline": package.deadline < timezone.localdate(),
    }, status=200)


def _offer_of(package: PackageRequest, response_id):
    try:
        wanted = int(response_id)
    except (TypeError, ValueError):
        return None
    return next((response for response in package.responses.all() if response.pk == wanted
                 and response.status == PackageResponseStatus.OFFERED), None)


urlpatterns = [
    path("<int:pk>/plans/<int:plan_id>/package-requests/new/", package_request_new, name="package_request_new"),
    path("<int:pk>/package-requests/<int:request_id>/", package_request_detail, name="package_request"),
]
