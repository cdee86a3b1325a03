"""The provider portal: an organisation's standing under the quality framework, its evidence, and its
services (listings, rate cards, capacity and specialist claims)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from marketplace.models import Organisation
from marketplace.transitions import InvalidTransition
from marketplace.scoping import get_visible_or_404
from providers import services
from providers.evidence_files import evidence_file_response
from providers.portal import portal_organisation_or_404, provider_organisation_or_404
from providers.pricing import mark_rates, reference_rates_now
from providers.constants import AccreditationStatus, ListingStatus, SpecialistClaimStatus
from providers.forms import (
    CapacityForm,
    CostLineFormSet,
    EvidenceUploadForm,
    ListingForm,
    RateCardForm,
    ReasonForm,
    SpecialistClaimForm,
)
from providers.models import Evidence, QualityStandard, ServiceListing, standards_for
from providers.selectors import (
    EXPIRES_SOON_DAYS,
    portal_listing,
    portal_listing_organisation_ids,
    portal_listings,
    portal_organisation_ids,
    portal_organisations,
    standards_with_evidence,
)

# Accreditation states from which the organisation may apply (again).
CAN_APPLY = {AccreditationStatus.EXPIRED, AccreditationStatus.WITHDRAWN}
ACCREDITATION_TAGS = {
    AccreditationStatus.APPLIED: "govuk-tag--blue",
    AccreditationStatus.UNDER_REVIEW: "govuk-tag--light-blue",
    AccreditationStatus.APPROVED: "govuk-tag--green",
    AccreditationStatus.SUSPENDED: "govuk-tag--orange",
    AccreditationStatus.EXPIRED: "govuk-tag--red",
    AccreditationStatus.WITHDRAWN: "govuk-tag--grey",
}
EVIDENCE_TAGS = {
    "In date": "govuk-tag--green",
    "Expires soon": "govuk-tag--yellow",
    "Expired": "govuk-tag--red",
    "Missing": "govuk-tag--grey",
}


def _organisation_or_404(request, org_id: int) -> Organisation:
    """The user's own organisation; 403 for someone with no portal role, 404 for anyone else's."""
    return portal_organisation_or_404(org_id, portal_organisation_ids(request.user),
                                      Organisation.objects.select_related("accreditation"))


@login_required
def home(request):
    organisations = list(portal_organisations(request.user))
    if not organisations:
        raise PermissionDenied("You do not have permission to do that.")
    if len(organisations) == 1:
        return redirect("providers:organisation", org_id=organisations[0].pk)
    return render(request, "providers/home.html", {"organisations": organisations})


@login_required
def organisation(request, org_id: int):
    org = _organisation_or_404(request, org_id)
    today = timezone.localdate()
    soon = today + datetime.timedelta(days=EXPIRES_SOON_DAYS)
    accreditation = getattr(org, "accreditation", None)
    standards = standards_with_evidence(org, today)
    for standard in standards:
        standard.tag_class = EVIDENCE_TAGS[standard.evidence_status]
    expiring = [s for s in standards if s.evidence_status == "Expires soon"]
    accreditation_expiring = (
        accreditation is not None and accreditation.expires_on is not None
        and accreditation.status in {AccreditationStatus.APPROVED, AccreditationStatus.SUSPENDED}
        and today <= accreditation.expires_on <= soon
    )
    return render(request, "providers/organisation.html", {
        "organisation": org,
        "accreditation": accreditation,
        "accreditation_tag": ACCREDITATION_TAGS.get(accreditation.status, "") if accreditation else "govuk-tag--grey",
        "can_apply": accreditation is None or accreditation.status in CAN_APPLY,
        "standards": standards,
        "expiring": expiring,
        "accreditation_expiring": accreditation_expiring,
        "soon_days": EXPIRES_SOON_DAYS,
        "several": len(portal_organisation_ids(request.user)) > 1,
        "manages_services": org.is_provider and org.pk in portal_listing_organisation_ids(request.user),
    })


@login_required
@require_POST
def accreditation_apply(request, org_id: int):
    org = _organisation_or_404(request, org_id)
    try:
        services.accreditation_apply(organisation=org, by=request.user)
    except InvalidTransition:
        messages.error(request, "Your organisation has already applied to join the quality framework")
    else:
        messages.success(request, "You have applied to join the quality framework")
    return redirect("providers:organisation", org_id=org.pk)


@login_required
def evidence_upload(request, org_id: int, standard_id: int):
    org = _organisation_or_404(request, org_id)
    try:
        standard = standards_for(org).get(pk=standard_id)
    except QualityStandard.DoesNotExist:
        raise Http404("Not found") from None
    if request.method == "POST":
        form = EvidenceUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.evidence_upload(
                    organisation=org, standard=standard, file=form.cleaned_data["file"],
                    issued_on=form.cleaned_data["issued_on"], expires_on=form.cleaned_data["expires_on"],
                    by=request.user)
            except ValidationError as error:
                errors = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
                for field, field_messages in errors.items():
                    for message in field_messages:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, f"Evidence for {standard.code} uploaded")
                return redirect("providers:organisation", org_id=org.pk)
    else:
        form = EvidenceUploadForm()
    return render(request, "providers/evidence_upload.html", {"organisation": org, "standard": standard, "form": form})


# Your services -----------------------------------------------------------------------------------

LISTING_TAGS = {
    ListingStatus.DRAFT: "govuk-tag--grey",
    ListingStatus.PUBLISHED: "govuk-tag--green",
    ListingStatus.PAUSED: "govuk-tag--yellow",
    ListingStatus.WITHDRAWN: "govuk-tag--red",
}
CLAIM_TAGS = {
    SpecialistClaimStatus.SUBMITTED: "govuk-tag--blue",
    SpecialistClaimStatus.ACCEPTED: "govuk-tag--green",
    SpecialistClaimStatus.REJECTED: "govuk-tag--red",
    SpecialistClaimStatus.WITHDRAWN: "govuk-tag--grey",
}
# The buttons on a listing's page, by the state each moves it to.
LISTING_ACTIONS = {
    ListingStatus.PUBLISHED: ("publish", "Publish the service", "published", services.listing_publish),
    ListingStatus.PAUSED: ("pause", "Pause the service", "paused", services.listing_pause),
    ListingStatus.WITHDRAWN: ("withdraw", "Withdraw the service", "withdrawn", services.listing_withdraw),
}
ACTIONS_BY_NAME = {action[0]: (status, *action[1:]) for status, action in LISTING_ACTIONS.items()}
# Service error keys that a form calls by another name (the form takes pounds, the service pence).
RATE_FIELDS = {"contract_rate_pence": "contract_rate", "direct_payment_rate_pence": "direct_payment_rate"}


def _listings_organisation_or_404(request, org_id: int) -> Organisation:
    """The user's own provider organisation; 403 without a provider role anywhere, 404 for anyone else's."""
    return provider_organisation_or_404(request.user, org_id)


def _listing_or_404(organisation: Organisation, listing_id: int) -> ServiceListing:
    try:
        return portal_listing(organisation, listing_id)
    except ServiceListing.DoesNotExist:
        raise Http404("Not found") from None


def _add_errors(form, error: ValidationError, rename: dict | None = None) -> None:
    """Show a service's ``ValidationError`` on the form: on the field it names, else at the top."""
    rename = rename or {}
    errors = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for field, field_messages in errors.items():
        field = rename.get(field, field)
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def _decorate(listing: ServiceListing) -> ServiceListing:
    listing.tag_class = LISTING_TAGS.get(listing.status, "")
    claim = listing.latest_claim
    if claim is not None:
        claim.tag_class = CLAIM_TAGS.get(claim.status, "")
    return listing


@login_required
def listings(request, org_id: int):
    org = _listings_organisation_or_404(request, org_id)
    listings = [_decorate(listing) for listing in portal_listings(org)]
    references = reference_rates_now()
    for listing in listings:
        mark_rates(listing.current_rates, references=references)
    return render(request, "providers/listings.html", {"organisation": org, "listings": listings})


@login_required
def listing_create(request, org_id: int):
    org = _listings_organisation_or_404(request, org_id)
    form = ListingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            listing = services.listing_create(organisation=org, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"{listing.title} saved as a draft")
            return redirect("providers:listing", org_id=org.pk, listing_id=listing.pk)
    return render(request, "providers/listing_form.html", {"organisation": org, "form": form, "listing": None})


@login_required
def listing_edit(request, org_id: int, listing_id: int):
    org = _listings_organisation_or_404(request, org_id)
    listing = _listing_or_404(org, listing_id)
    if listing.status == ListingStatus.WITHDRAWN:
        messages.error(request, "This service has been withdrawn and can no longer be changed")
        return redirect("providers:listing", org_id=org.pk, listing_id=listing.pk)
    form = ListingForm(request.POST or None, initial=ListingForm.initial_for(listing))
    if request.method == "POST" and form.is_valid():
        try:
            services.listing_update(listing=listing, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Your changes have been saved")
            return redirect("providers:listing", org_id=org.pk, listing_id=listing.pk)
    return render(request, "providers/listing_form.html", {"organisation": org, "form": form, "listing": listing})


def _render_listing(request, org: Organisation, listing: ServiceListing, *, error_form=None, **forms):
    """The listing's page; a form that failed is passed in bound, so its errors show."""
    listing = _decorate(listing)
    # Only rates in force (or starting later) are set against today's usual cost; ended ones are history.
    mark_rates([card for card in listing.rate_history if card.effective_to is None or card.current])
    actions = [(reverse(f"providers:listing_{name}", args=[org.pk, listing.pk]), label, name)
               for target, (name, label, _done, _service) in LISTING_ACTIONS.items()
               if target in ServiceListing.TRANSITIONS.get(listing.status, set())]
    claim = listing.latest_claim
    if claim is not None:
        claim.difference = claim.difference_pence()
        claim.difference_abs = abs(claim.difference)
    open_claim = claim is not None and claim.status in {SpecialistClaimStatus.SUBMITTED,
                                                         SpecialistClaimStatus.ACCEPTED}
    editable = listing.status != ListingStatus.WITHDRAWN
    has_areas = bool(listing.areas.all())
    publish_problems = []
    if ListingStatus.PUBLISHED in ServiceListing.TRANSITIONS.get(listing.status, set()):
        if not listing.current_rates:
            publish_problems.append("Add a rate that applies from today or earlier")
        if not has_areas:
            publish_problems.append("Choose at least one area the service covers")
    context = {
        "organisation": org,
        "listing": listing,
        "claim": claim,
        "open_claim": open_claim,
        "editable": editable,
        "actions": actions,
        "publish_problems": publish_problems,
        "rate_form": forms.get("rate_form") or RateCardForm(),
        "capacity_form": forms.get("capacity_form") or CapacityForm(
            initial={"capacity_available": listing.capacity_available}),
        "withdraw_form": forms.get("withdraw_form") or ReasonForm(),
        "error_form": error_form,
        "status_errors": forms.get("status_errors") or [],
    }
    return render(request, "providers/listing.html", context)


@login_required
def listing_detail(request, org_id: int, listing_id: int):
    org = _listings_organisation_or_404(request, org_id)
    return _render_listing(request, org, _listing_or_404(org, listing_id))


@login_required
@require_POST
def listing_status(request, org_id: int, listing_id: int, action: str):
    org = _listings_organisation_or_404(request, org_id)
    listing = _listing_or_404(org, listing_id)
    if action not in ACTIONS_BY_NAME:
        raise Http404("Not found")
    target, _label, done, service = ACTIONS_BY_NAME[action]
    try:
        service(listing=listing, by=request.user)
    except InvalidTransition:
        messages.error(request, f"This service is {listing.get_status_display().lower()}, so it cannot be {done}")
    except ValidationError as error:
        problems = [message for messages_ in error.message_dict.values() for message in messages_] \
            if hasattr(error, "error_dict") else error.messages
        return _render_listing(request, org, listing, status_errors=problems)
    else:
        if listing.status != target:
            messages.success(request, f"{listing.title} is now {done}")
    return redirect("providers:listing", org_id=org.pk, listing_id=listing.pk)


@login_required
@require_POST
def rate_card_add(request, org_id: int, listing_id: int):
    org = _listings_organisation_or_404(request, org_id)
    listing = _listing_or_404(org, listing_id)
    form = RateCardForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            card = services.rate_card_add(
                listing=listing, by=request.user, unit=data["unit"], contract_rate_pence=data["contract_rate"],
                direct_payment_rate_pence=data["direct_payment_rate"],
                minimum_quantity=data["minimum_quantity"] or 0, effective_from=data["effective_from"])
        except ValidationError as error:
            _add_errors(form, error, RATE_FIELDS)
        else:
            messages.success(request, f"New rate {card.get_unit_display()} from {card.effective_from:%-d %B %Y} added")
            return redirect("providers:listing", org_id=org.pk, listing_id=listing.pk)
    return _render_listing(request, org, listing, rate_form=form, error_form=form)


@login_required
@require_POST
def listing_capacity(request, org_id: int, listing_id: int):
    org = _listings_organisation_or_404(request, org_id)
    listing = _listing_or_404(org, listing_id)
    form = CapacityForm(request.POST)
    if form.is_valid():
        try:
            services.listing_capacity_update(listing=listing, by=request.user,
                                             capacity_available=form.cleaned_data["capacity_available"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Capacity updated")
            return redirect("providers:listing", org_id=org.pk, listing_id=listing.pk)
    return _render_listing(request, org, listing, capacity_form=form, error_form=form)


@login_required
def specialist_claim_submit(request, org_id: int, listing_id: int):
    org = _listings_organisation_or_404(request, org_id)
    listing = _listing_or_404(org, listing_id)
    back = redirect("providers:listing", org_id=org.pk, listing_id=listing.pk)
    claim = listing.latest_claim
    if claim is not None and claim.status in {SpecialistClaimStatus.SUBMITTED, SpecialistClaimStatus.ACCEPTED}:
        messages.error(request, "This service already has a specialist claim waiting for a decision or accepted")
        return back
    if listing.status == ListingStatus.WITHDRAWN:
        messages.error(request, "This service has been withdrawn and can no longer be changed")
        return back
    form = SpecialistClaimForm(request.POST or None, rates=listing.current_rates)
    lines = CostLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST":
        form_ok, lines_ok = form.is_valid(), lines.is_valid()
        if form_ok and lines_ok:
            try:
                services.specialist_claim_submit(
                    listing=listing, by=request.user, justification=form.cleaned_data["justification"],
                    unit=form.cleaned_data["unit"],
                    lines=[row.as_line() for row in lines.forms if row.has_changed() and row.cleaned_data])
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, "Your specialist claim has been sent to the council")
                return back
    line_errors = [(index, row) for index, row in enumerate(lines.forms) if row.errors]
    return render(request, "providers/specialist_claim_form.html", {
        "organisation": org, "listing": listing, "form": form, "lines": lines, "line_errors": line_errors,
        "has_errors": bool(form.errors or line_errors or lines.non_form_errors()),
    })


@login_required
@require_POST
def specialist_claim_withdraw(request, org_id: int, listing_id: int, claim_id: int):
    org = _listings_organisation_or_404(request, org_id)
    listing = _listing_or_404(org, listing_id)
    claim = next((claim for claim in listing.claims_latest_first if claim.pk == claim_id), None)
    if claim is None:
        raise Http404("Not found")
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.specialist_claim_withdraw(claim=claim, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            _add_errors(form, error)
        except InvalidTransition:
            messages.error(request, f"This claim is {claim.get_status_display().lower()}, so it cannot be withdrawn")
            return redirect("providers:listing", org_id=org.pk, listing_id=listing.pk)
        else:
            if claim.status != SpecialistClaimStatus.WITHDRAWN:
                messages.success(request, "Your specialist claim has been withdrawn")
            return redirect("providers:listing", org_id=org.pk, listing_id=listing.pk)
    return _render_listing(request, org, listing, withdraw_form=form, error_form=form)


@login_required
def evidence_download(request, org_id: int, evidence_id: int):
    """One of the organisation's evidence files; another organisation's is a 404."""
    org = _organisation_or_404(request, org_id)
    evidence = get_visible_or_404(request.user, Evidence, pk=evidence_id, organisation=org)
    return evidence_file_response(evidence)
