"""Care package requests: a broker asks the market for a package instead of picking a provider.

A request holds only what a provider needs to say whether it can help — the kind of service, how
much a week and when, the start date, the postcode district (never the full postcode) and a
summary of needs with nothing that identifies the person. It goes to every approved provider
whose published service matches the category, the area and the capacity; each answers by the
deadline with an offer (price per unit, earliest start, note) or a decline. The broker sees the
offers ranked by quality and price (:mod:`brokerage.selectors.package_requests`) and chooses one
with the person, recording the person's preference beside the choice: nothing is ever chosen
automatically, the cheapest included. The chosen offer becomes a plan line at the offered price
and the other providers are told. A request that gets no offer by its deadline (or that matches
no provider at all) is flagged to the council as a gap in the market.

Who may do what:
- a broker of the person's brokerage (with their consent to share) or a contract officer sends,
  chooses and withdraws requests (the same rule as every change to a person's record);
- provider staff and administrators of the organisation a request was sent to answer it;
- the daily job closes requests past their deadline.

How a request's unit meets a listing's free capacity (``ServiceListing.capacity_available``,
counted in hours a week or in places):
- hours are compared with hours: 10 hours a week needs at least 10 hours a week free;
- sessions, days, nights and whole weeks are compared with places: a place is one person, so the
  request needs one free place however many sessions or days a week it asks for;
- nothing else fits: hours never match a service counted in places, nor sessions one counted in
  hours, because neither can be turned into the other without knowing how long a session is.
  Visits and items are not offered as request units for the same reason.
A listing that has not stated its capacity (empty) does not match.
"""

import datetime
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from brokerage.constants import (
    PLAN_EDITABLE_STATUSES,
    DeploymentRoute,
    PackageRequestStatus,
    PackageResponseStatus,
    TimeOfDay,
)
from brokerage.models import BrokerageSettings, PackageRequest, PackageResponse, Person, PlanLine, SupportPlan
from brokerage.services.budgets import _category, _require_case_worker
from marketplace import audit, money
from marketplace.constants import PROVIDER_ROLES, Role
from marketplace.models import Organisation, User
from marketplace.permissions import organisation_ids, require_role
from marketplace.transitions import transition
from providers.constants import AreaKind, CapacityUnit, ListingStatus, RateUnit
from providers.models import Area, Language, RateCard, ServiceCategory, ServiceListing, current_rate_q, in_force_q
from providers.selectors import provider_staff_addresses

# What ``from brokerage import services`` offers; the helpers below (matching, the anonymity check,
# the wording shown to providers) are imported from this module by the pages that need them.
__all__ = [
    "package_request_create", "package_response_offer", "package_response_decline", "package_request_choose",
    "package_request_withdraw", "package_requests_close_overdue",
]

# The units a request may be made in, and the capacity each is compared with (see the module's
# docstring): hours against hours a week free; sessions, days, nights and weeks against places.
CAPACITY_FOR_UNIT = {
    RateUnit.HOUR: CapacityUnit.HOURS,
    RateUnit.SESSION: CapacityUnit.PLACES,
    RateUnit.DAY: CapacityUnit.PLACES,
    RateUnit.NIGHT: CapacityUnit.PLACES,
    RateUnit.WEEK: CapacityUnit.PLACES,
}
REQUEST_UNITS = tuple(CAPACITY_FOR_UNIT)
# No more of a unit fits in a week than this.
MOST_PER_WEEK = {RateUnit.HOUR: Decimal(168), RateUnit.DAY: Decimal(7), RateUnit.NIGHT: Decimal(7),
                 RateUnit.WEEK: Decimal(1)}
MOST_QUANTITY = Decimal("99999.99")  # quantity_per_week: 7 digits, 2 places
MAX_SUMMARY = 5000
MAX_SPECIALISM = 100

NOT_OPEN = "This request is closed: it can no longer be answered"
PAST_DEADLINE = "The deadline for answers to this request has passed"


# Anonymity of the needs summary -----------------------------------------------------------------

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"]
# A whole UK postcode: outward code, an optional space, inward code.
FULL_POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}[0-9][0-9A-Z]?|GIR)\s*[0-9][A-Z]{2}\b", re.IGNORECASE)


def _month_names(month: int) -> str:
    name = MONTHS[month - 1]
    names = {name, name[:3]}
    if month == 9:
        names.add("sept")
    return "(?:" + "|".join(sorted(names, key=len, reverse=True)) + r")\.?"


def _date_patterns(day: datetime.date) -> list[re.Pattern]:
    """Ways people write a date of birth: 17/05/1948, 17-5-48, 17.05.1948, 05/17/1948,
    1948-05-17, 17 May 1948, 17th of May 1948, May 17th, 1948, 17 May 48."""
    d = rf"0?{day.day}"
    m = rf"0?{day.month}"
    y = rf"(?:{day.year}|{day.year % 100:02d})"
    sep = r"\s*[/\-.\s]\s*"
    ordinal = r"(?:st|nd|rd|th)?"
    month = _month_names(day.month)
    patterns = [
        rf"(?<!\d){d}{sep}{m}{sep}{y}(?!\d)",
        rf"(?<!\d){m}{sep}{d}{sep}{y}(?!\d)",
        rf"(?<!\d){day.year}{sep}{m}{sep}{d}(?!\d)",
        rf"(?<!\d){d}{ordinal}\s*(?:of\s+)?{month}\s*,?\s*{y}(?!\d)",
        rf"\b{month}\s*{d}{ordinal}\s*,?\s*{y}(?!\d)",
    ]
    return [re.compile(pattern, re.IGNORECASE) for pattern in patterns]


def _word(text: str) -> re.Pattern | None:
    text = (text or "").strip()
    if not text:
        return None
    return re.compile(rf"(?<!\w){re.escape(text)}(?!\w)", re.IGNORECASE)


def _name_parts(*names: str) -> list[re.Pattern]:
    """Each part of a name as a whole word ("Mary-Ann" → Mary, Ann), ignoring initials."""
    parts = {part for name in names for part in re.split(r"[\s\-]+", name or "") if len(part) >= 2}
    return [_word(part) for part in sorted(parts)]


def identifying_details(text: str, person: Person) -> list[str]:
    """The kinds of detail in ``text`` that could identify ``person``: "name", "case reference",
    "date of birth" and "postcode" (theirs, or any full postcode: only the district is shared).

    Names are matched as whole words, whatever the case, so a surname that is also an everyday word
    (May, Hope) is refused too: better the broker rewords the summary than a provider learns who it
    is about.
    """
    text = text or ""
    found = []
    if any(pattern.search(text) for pattern in _name_parts(person.first_name, person.last_name)):
        found.append("name")
    reference = _word(person.reference)
    if reference is not None and reference.search(text):
        found.append("case reference")
    if person.date_of_birth and any(p.search(text) for p in _date_patterns(person.date_of_birth)):
        found.append("date of birth")
    own_postcode = re.sub(r"\s+", "", person.postcode or "").upper()
    squashed = re.sub(r"\s+", "", text).upper()
    if FULL_POSTCODE.search(text) or (len(own_postcode) >= 5 and own_postcode in squashed):
        found.append("postcode")
    return found


def _remove_message(kinds: list[str]) -> str:
    listed = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]
    return (f"Remove the person’s {listed} from the summary of needs: providers must not be able to tell "
            f"who it is about")


# Reading what was given -------------------------------------------------------------------------

def _quantity(value) -> Decimal | None:
    if isinstance(value, (float, bool)) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number != number.quantize(Decimal("0.01")):
        return None
    return number


def _district(value) -> Area | None:
    """The postcode district named by an Area, its id or its code ("e8" → E8); a ward is not one."""
    districts = Area.objects.filter(kind=AreaKind.DISTRICT)
    if isinstance(value, Area):
        return districts.filter(pk=value.pk).first()
    if isinstance(value, str) and value.strip():
        return districts.filter(code=re.sub(r"\s+", "", value).upper()).first()
    if isinstance(value, int) and not isinstance(value, bool):
        return districts.filter(pk=value).first()
    return None


def _languages(values) -> tuple[list[Language], list[str]]:
    """Languages by instance, id or ISO code; and whatever could not be found."""
    wanted, codes, ids = [], set(), set()
    for value in values or ():
        if isinstance(value, Language):
            wanted.append(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            ids.add(value)
        elif isinstance(value, str) and value.strip():
            codes.add(value.strip().lower())
        else:
            return [], [str(value)]
    found = list(Language.objects.filter(Q(code__in=codes) | Q(pk__in=ids))) if codes or ids else []
    unknown = sorted(codes - {language.code.lower() for language in found}) + sorted(
        str(pk) for pk in ids - {language.pk for language in found})
    by_pk = {language.pk: language for language in [*wanted, *found]}
    return sorted(by_pk.values(), key=lambda language: language.name), unknown


def _specialisms(values) -> list[str]:
    if isinstance(values, str):
        values = values.split(",")
    seen, clean = set(), []
    for value in values or ():
        text = re.sub(r"\s+", " ", str(value)).strip()
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            clean.append(text)
    return clean


def _unit_words(unit: str) -> str:
    return {RateUnit.HOUR: "hours", RateUnit.SESSION: "sessions", RateUnit.DAY: "days", RateUnit.NIGHT: "nights",
            RateUnit.WEEK: "weeks"}.get(unit, str(unit))


# Matching ---------------------------------------------------------------------------------------

def matching_listings(*, category: ServiceCategory, district: Area, unit: str, quantity_per_week: Decimal,
                      languages: Iterable[Language] = (), specialisms: Iterable[str] = (),
                      today: datetime.date | None = None) -> list[ServiceListing]:
    """Published services of providers approved and in date that could take the package on:
    same category; covering the district itself or a ward that lies in it (as the directory
    matches a postcode); enough free capacity in a unit that fits (see the module's docstring);
    a rate card in force for the unit; every language asked for; and every specialism asked for,
    whatever its case. Two queries, however many listings."""
    today = today or timezone.localdate()
    covering = Area.objects.filter(Q(pk=district.pk) | Q(kind=AreaKind.WARD, districts=district))
    covers = ServiceListing.areas.through.objects.filter(servicelisting_id=OuterRef("pk"), area__in=covering)
    priced = RateCard.objects.filter(current_rate_q(today=today), listing=OuterRef("pk"), unit=unit)
    capacity_unit = CAPACITY_FOR_UNIT[unit]
    # Capacity is whole hours or places: 7.5 hours a week needs 8 free (an integer column would
    # otherwise truncate the comparison to 7).
    needed = (int(Decimal(quantity_per_week).to_integral_value(rounding=ROUND_CEILING))
              if capacity_unit == CapacityUnit.HOURS else 1)
    listings = (ServiceListing.objects
                .filter(status=ListingStatus.PUBLISHED, category=category, organisation__is_provider=True)
                .filter(in_force_q("organisation__", today=today))
                .filter(Exists(covers), Exists(priced))
                .filter(capacity_unit=capacity_unit, capacity_available__isnull=False,
                        capacity_available__gte=needed))
    for language in languages:
        listings = listings.filter(Exists(ServiceListing.languages.through.objects.filter(
            servicelisting_id=OuterRef("pk"), language=language)))
    # Specialisms are a JSON list, which SQLite cannot search inside: compared here, ignoring case.
    wanted = {text.casefold() for text in specialisms}
    return [listing for listing in listings.select_related("organisation").order_by("organisation__name", "pk")
            if wanted <= {str(text).strip().casefold() for text in listing.specialisms or ()}]


# Telling people ---------------------------------------------------------------------------------

def _send_after_commit(messages: list[tuple[str, str, str, list[str]]]) -> None:
    messages = [message for message in messages if message[3]]
    if messages:
        transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=False))


def _portal_link(response: PackageResponse) -> str:
    path = reverse("brokerage_portal:package_response", args=[response.provider_id, response.pk])
    return f"{settings.SITE_URL}{path}"


def describe(request: PackageRequest) -> str:
    """The request as a provider may read it: nothing that identifies the person."""
    times = ", ".join(TimeOfDay(value).label.lower() for value in request.times_of_day) or "any time"
    lines = [
        f"Reference: {request.reference}",
        f"Service: {request.category.name}",
        f"How much: {how_much(request)}",
        f"When: {times}",
        f"Starting: {request.starts_on:%d %B %Y}",
        f"Area: postcode district {request.district.code}",
    ]
    languages = [language.name for language in request.languages.all()]
    if languages:
        lines.append(f"Languages: {', '.join(languages)}")
    if request.specialisms:
        lines.append(f"Specialisms: {', '.join(request.specialisms)}")
    lines += ["", "What the support is for:", request.needs_summary, "",
              f"Please answer by the end of {request.deadline:%d %B %Y}."]
    return "\n".join(lines)


def how_much(request: PackageRequest) -> str:
    """"10 hours a week", "2.5 sessions a week"."""
    return f"{_quantity_text(request.quantity_per_week)} {_unit_words(request.unit)} a week"


def _quantity_text(quantity: Decimal) -> str:
    text = f"{Decimal(quantity):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _invite_messages(request: PackageRequest, responses: list[PackageResponse]) -> list:
    by_org = defaultdict(list)
    for response in responses:
        by_org[response.provider_id].append(response)
    addresses = provider_staff_addresses(by_org, with_organisation=True)
    body = describe(request)
    messages = []
    for org_id, answers in by_org.items():
        links = "\n".join(f"- {answer.listing.title}: {_portal_link(answer)}" for answer in answers)
        messages.append((
            f"Care package request {request.reference}: can you offer support?",
            f"A broker is looking for support that matches your published service.\n\n{body}\n\n"
            f"Make an offer or decline in your provider portal:\n{links}\n",
            settings.DEFAULT_FROM_EMAIL, addresses.get(org_id, [])))
    return messages


def _outcome_messages(request: PackageRequest, responses: list[PackageResponse], *, chosen: bool) -> list:
    """Tell providers whose offer or invitation was closed by a choice or a withdrawal."""
    addresses = provider_staff_addresses([response.provider_id for response in responses], with_organisation=True)
    messages, told = [], set()
    for response in responses:
        if response.provider_id in told:
            continue
        told.add(response.provider_id)
        reason = ("The broker chose another offer with the person." if chosen
                  else "The broker withdrew the request.")
        messages.append((
            f"Care package request {request.reference}: not going ahead with you",
            f"Thank you for looking at care package request {request.reference} "
            f"({request.category.name}, district {request.district.code}).\n\n{reason} "
            f"There is nothing more for you to do.\n", settings.DEFAULT_FROM_EMAIL,
            addresses.get(response.provider_id, [])))
    return messages


def _broker_message(request: PackageRequest, subject: str, body: str) -> list:
    email = request.created_by.email if request.created_by_id else ""
    return [(subject, body, settings.DEFAULT_FROM_EMAIL, [email] if email else [])]


# Sending a request ------------------------------------------------------------------------------

def _broker_organisation(by: User, person: Person) -> Organisation:
    if person.broker_organisation_id:
        return person.broker_organisation
    # A contract officer acting for someone with no brokerage yet: the council's own team sends it.
    council = Organisation.objects.filter(pk__in=organisation_ids(by, Role.CONTRACT_OFFICER)).order_by("pk").first()
    if council is None:
        raise PermissionDenied("You do not have permission to do that.")
    return council


def _provisional_reference() -> str:
    return f"PR-new-{uuid.uuid4().hex[:12]}"


@transaction.atomic
def package_request_create(*, plan: SupportPlan, by: User, category, unit: str, quantity_per_week,
                           times_of_day: Iterable[str], starts_on: datetime.date, district, needs_summary: str,
                           route: str = DeploymentRoute.MANAGED_BUDGET, specialisms: Iterable[str] = (),
                           languages: Iterable = (), deadline: datetime.date | None = None) -> PackageRequest:
    """Send a care package request for a person's draft (or returned) plan to every provider whose
    published service matches, and tell them by email once it is saved.

    ``category`` is a ServiceCategory or its slug; ``district`` an Area of kind district, its id
    or its code (E8); ``languages`` Languages or their ISO codes. The deadline defaults to today
    plus the council's ``package_request_days``, brought forward to the day before the start if
    that is sooner. When nothing matches, the request is still saved, at once marked ``no_offers``
    and flagged to the council as a gap in the market (the caller tells the broker).

    Raises ``PermissionDenied`` unless ``by`` is a broker of the person's brokerage (with their
    consent to share) or a contract officer; ``ValidationError`` when the plan is not being
    written; and ``ValidationError`` keyed by argument for an unknown category, unit, route,
    language or district (a ward or a full postcode is not a district), a quantity that is not
    above 0 (or more of a unit than a week holds), no time of day or an unknown one, a start date
    in the past, a deadline before today or not before the start date, and an empty summary of
    needs or one that holds the person's name, case reference, date of birth or a full postcode.
    """
    person = _require_case_worker(by, plan.person)
    plan = SupportPlan.objects.filter(pk=plan.pk, person=person).first()
    if plan is None:
        raise PermissionDenied("You do not have permission to do that.")
    if plan.status not in PLAN_EDITABLE_STATUSES:
        raise ValidationError("Care package requests can only be sent for a plan that is being written; "
                              "this plan is " + plan.get_status_display().lower())

    today = timezone.localdate()
    errors = {}
    category_obj = _category(category)
    if category_obj is None:
        errors["category"] = "Select the type of support from the list"
    if unit not in REQUEST_UNITS:
        errors["unit"] = "Select hours, sessions, days, nights or weeks"
    quantity = _quantity(quantity_per_week)
    if quantity is None or quantity <= 0:
        errors["quantity_per_week"] = "Enter how much is needed a week as a number above 0, like 7.5"
    elif quantity > MOST_QUANTITY:
        errors["quantity_per_week"] = "Enter how much is needed a week as a number under 100,000"
    elif unit in MOST_PER_WEEK and quantity > MOST_PER_WEEK[unit]:
        errors["quantity_per_week"] = (f"A week has at most {_quantity_text(MOST_PER_WEEK[unit])} "
                                       f"{_unit_words(unit)}")
    times = list(times_of_day or [])
    if not times:
        errors["times_of_day"] = "Select at least one time of day"
    elif any(value not in TimeOfDay.values for value in times):
        errors["times_of_day"] = "Select times of day from the list"
    else:
        times = [value for value in TimeOfDay.values if value in times]
    if not isinstance(starts_on, datetime.date):
        errors["starts_on"] = "Enter the date the support should start"
    elif starts_on < today:
        errors["starts_on"] = "The start date must be today or in the future"
    district_obj = _district(district)
    if district_obj is None:
        errors["district"] = "Enter a postcode district the council covers, like E8 (the first half of a postcode)"
    if route not in DeploymentRoute.values:
        errors["route"] = "Select how the budget will pay for it"
    language_objs, unknown = _languages(languages)
    if unknown:
        errors["languages"] = "Select languages from the list"
    clean_specialisms = _specialisms(specialisms)
    if any(len(text) > MAX_SPECIALISM for text in clean_specialisms):
        errors["specialisms"] = f"Each specialism must be {MAX_SPECIALISM} characters or fewer"
    summary = (needs_summary or "").strip()
    if not summary:
        errors["needs_summary"] = "Enter what the support is for"
    elif len(summary) > MAX_SUMMARY:
        errors["needs_summary"] = f"The summary of needs must be {MAX_SUMMARY:,} characters or fewer"
    else:
        kinds = identifying_details(summary, person)
        if kinds:
            errors["needs_summary"] = _remove_message(kinds)
    if deadline is not None and not isinstance(deadline, datetime.date):
        errors["deadline"] = "Enter the date providers must answer by"
    elif isinstance(starts_on, datetime.date) and "starts_on" not in errors:
        if deadline is None:
            days = BrokerageSettings.load().package_request_days
            deadline = min(today + datetime.timedelta(days=days), starts_on - datetime.timedelta(days=1))
            if deadline < today:
                errors["starts_on"] = "The start date must be after today, so providers have time to answer"
        elif deadline < today:
            errors["deadline"] = "The deadline must be today or in the future"
        elif deadline >= starts_on:
            errors["deadline"] = "The deadline must be before the start date"
    if errors:
        raise ValidationError(errors)

    request = PackageRequest.objects.create(
        reference=_provisional_reference(), person=person, plan=plan,
        broker_organisation=_broker_organisation(by, person), category=category_obj, unit=unit,
        quantity_per_week=quantity, times_of_day=times, starts_on=starts_on, district=district_obj,
        specialisms=clean_specialisms, needs_summary=summary, route=route, deadline=deadline, created_by=by)
    # The number is the row's own id, so two brokers sending at once never get the same one.
    request.reference = f"PR-{today:%Y}-{request.pk:06d}"
    request.save(update_fields=["reference"])
    request.languages.set(language_objs)

    listings = matching_listings(category=category_obj, district=district_obj, unit=unit, quantity_per_week=quantity,
                                 languages=language_objs, specialisms=clean_specialisms, today=today)
    responses = PackageResponse.objects.bulk_create(
        PackageResponse(request=request, listing=listing, provider=listing.organisation) for listing in listings)
    for response, listing in zip(responses, listings, strict=True):
        response.listing = listing
    audit.record(actor=by, verb="packagerequest.created", target=request, organisation=request.broker_organisation,
                 after={"person": person.pk, "plan": plan.pk, "category": category_obj.slug, "unit": unit,
                        "quantity_per_week": f"{quantity:f}", "times_of_day": times,
                        "starts_on": starts_on.isoformat(), "district": district_obj.code,
                        "languages": [language.code for language in language_objs],
                        "specialisms": clean_specialisms, "route": route, "deadline": deadline.isoformat(),
                        "invited": [listing.pk for listing in listings]})
    if not responses:
        return transition(request, PackageRequestStatus.NO_OFFERS, by=by, organisation=request.broker_organisation,
                          reason="No approved provider's published service matches the category, area and "
                                 "capacity: flagged to the council as a gap in the market",
                          apply=lambda locked: setattr(locked, "market_gap_flagged_at", timezone.now()))
    _send_after_commit(_invite_messages(request, responses))
    return request


# Providers answer -------------------------------------------------------------------------------

def _require_provider(by: User, response: PackageResponse) -> None:
    require_role(by, *PROVIDER_ROLES, organisation_id=response.provider_id)


def _open_for_answers(response: PackageResponse) -> PackageResponse:
    """The response, locked, while its request is open and its deadline has not passed."""
    locked = PackageResponse.objects.select_for_update(of=("self",)).select_related("request").get(pk=response.pk)
    if locked.request.status != PackageRequestStatus.OPEN:
        raise ValidationError(NOT_OPEN)
    if locked.request.deadline < timezone.localdate():
        raise ValidationError(PAST_DEADLINE)
    if locked.status != PackageResponseStatus.INVITED:
        raise ValidationError(f"You have already answered this request: {locked.get_status_display().lower()}")
    return locked


@transaction.atomic
def package_response_offer(*, response: PackageResponse, by: User, price_pence: int,
                           earliest_start: datetime.date, note: str = "") -> PackageResponse:
    """Offer to take a care package on: a price per unit of the request (in pence) and the
    earliest date the provider can start.

    Raises ``PermissionDenied`` unless ``by`` is provider staff or an administrator of the
    provider the request was sent to; ``ValidationError`` when the request is closed, its deadline
    has passed or this provider has already answered; and ``ValidationError`` keyed
    ``price_pence`` (not a whole number of pence above 0) or ``earliest_start`` (not a date, or
    in the past).
    """
    _require_provider(by, response)
    locked = _open_for_answers(response)
    errors = {}
    if isinstance(price_pence, bool) or not isinstance(price_pence, int) or price_pence <= 0:
        errors["price_pence"] = "Enter your price per unit, more than £0"
    elif price_pence >= money.MAX_POUNDS * 100:
        errors["price_pence"] = "Enter a price under £100,000,000,000"
    if not isinstance(earliest_start, datetime.date):
        errors["earliest_start"] = "Enter the earliest date you could start"
    elif earliest_start < timezone.localdate():
        errors["earliest_start"] = "The earliest start must be today or in the future"
    if errors:
        raise ValidationError(errors)

    def record(row: PackageResponse) -> None:
        row.price_pence, row.earliest_start, row.note = price_pence, earliest_start, (note or "").strip()
        row.responded_by, row.responded_at = by, timezone.now()

    return transition(locked, PackageResponseStatus.OFFERED, by=by, organisation=locked.provider,
                      reason=(note or "").strip(), apply=record)


@transaction.atomic
def package_response_decline(*, response: PackageResponse, by: User, note: str = "") -> PackageResponse:
    """Say the provider cannot take a care package on (an optional note says why).

    Raises ``PermissionDenied`` unless ``by`` is provider staff or an administrator of the
    provider the request was sent to, and ``ValidationError`` when the request is closed, its
    deadline has passed or this provider has already answered.
    """
    _require_provider(by, response)
    locked = _open_for_answers(response)

    def record(row: PackageResponse) -> None:
        row.note, row.responded_by, row.responded_at = (note or "").strip(), by, timezone.now()

    return transition(locked, PackageResponseStatus.DECLINED, by=by, organisation=locked.provider,
                      reason=(note or "").strip(), apply=record)


# The broker chooses, or withdraws ---------------------------------------------------------------

def _close_others(request: PackageRequest, *, keep: PackageResponse | None, by: User | None,
                  reason: str) -> list[PackageResponse]:
    """Mark every invited or offered response but ``keep`` not chosen; returns those closed."""
    closed = []
    others = (request.responses.select_related("listing", "provider")
              .filter(status__in=[PackageResponseStatus.INVITED, PackageResponseStatus.OFFERED]))
    if keep is not None:
        others = others.exclude(pk=keep.pk)
    for other in others:
        closed.append(transition(other, PackageResponseStatus.NOT_CHOSEN, by=by, organisation=other.provider,
                                 reason=reason))
    return closed


def _lock_request(request: PackageRequest) -> PackageRequest:
    return (PackageRequest.objects.select_for_update(of=("self",))
            .select_related("category", "district", "created_by").get(pk=request.pk))


@transaction.atomic
def package_request_choose(*, request: PackageRequest, response: PackageResponse, by: User, person_preference: str,
                           reason: str = "") -> PlanLine:
    """Choose one offer, with the person: it becomes a line of the request's plan at the offered
    price (starting on the later of the requested start and the provider's earliest start), every
    other offer and unanswered invitation is closed as not chosen, and those providers are told.
    The person's preference, in their words, is recorded beside the choice; nothing is chosen
    without it, and nothing is ever chosen automatically.

    Raises ``PermissionDenied`` as :func:`package_request_create`; ``ValidationError`` when the
    request is not open, or the response is not an offer made to this request; ``ValidationError``
    keyed ``person_preference`` when it is empty; and whatever
    ``brokerage.services.plans.plan_line_add_service`` raises (the plan no longer being written, the
    provider no longer approved or the service no longer published), in which case nothing changes.
    """
    from brokerage.services import plans

    _require_case_worker(by, request.person)
    locked = _lock_request(request)
    if locked.status != PackageRequestStatus.OPEN:
        raise ValidationError(f"This request is {locked.get_status_display().lower()}: an offer can no longer be "
                              f"chosen")
    offer = (PackageResponse.objects.select_for_update(of=("self",)).select_related("listing", "provider")
             .filter(pk=response.pk, request=locked).first())
    if offer is None or offer.status != PackageResponseStatus.OFFERED:
        raise ValidationError("Choose one of the offers made to this request")
    preference = (person_preference or "").strip()
    if not preference:
        raise ValidationError({"person_preference": "Enter what the person prefers, in their words"})

    line = plans.plan_line_add_service(
        plan=locked.plan, by=by, listing=offer.listing, route=locked.route,
        quantity_per_week=locked.quantity_per_week, outcomes=[],
        starts_on=max(locked.starts_on, offer.earliest_start), unit=locked.unit,
        agreed_price_pence=offer.price_pence, package_response=offer)
    reason = (reason or "").strip()
    transition(offer, PackageResponseStatus.CHOSEN, by=by, organisation=offer.provider, reason=reason)
    closed = _close_others(locked, keep=offer, by=by, reason="Another offer was chosen")

    def record(row: PackageRequest) -> None:
        row.chosen_at, row.chosen_by = timezone.now(), by
        row.person_preference, row.choice_reason = preference, reason

    transition(locked, PackageRequestStatus.CHOSEN, by=by, organisation=locked.broker_organisation,
               reason=f"Chose {offer.provider} at {money.format_pence(offer.price_pence)}. "
                      f"The person’s preference: {preference}" + (f" Reason: {reason}" if reason else ""),
               apply=record)
    addresses = provider_staff_addresses([offer.provider_id], with_organisation=True)
    _send_after_commit([
        (f"Care package request {locked.reference}: your offer was chosen",
         f"Your offer of {money.format_pence(offer.price_pence)} {RateUnit(locked.unit).label} for care package "
         f"request {locked.reference} ({offer.listing.title}) was chosen. The placement goes to the council for "
         f"sign-off with the support plan; you will hear when it is approved.\n",
         settings.DEFAULT_FROM_EMAIL, addresses.get(offer.provider_id, [])),
        *_outcome_messages(locked, [other for other in closed if other.provider_id != offer.provider_id],
                           chosen=True),
    ])
    return line


@transaction.atomic
def package_request_withdraw(*, request: PackageRequest, by: User, reason: str) -> PackageRequest:
    """Withdraw a request that is open or had no offers; every invited or offered provider is told
    it is not going ahead.

    Raises ``PermissionDenied`` as :func:`package_request_create`, ``ValidationError`` keyed
    ``reason`` when no reason is given, and ``InvalidTransition`` when an offer was already chosen.
    """
    _require_case_worker(by, request.person)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Enter why the request is being withdrawn"})
    locked = _lock_request(request)
    if locked.status == PackageRequestStatus.WITHDRAWN:
        return locked
    withdrawn = transition(locked, PackageRequestStatus.WITHDRAWN, by=by, organisation=locked.broker_organisation,
                           reason=reason)
    closed = _close_others(locked, keep=None, by=by, reason="The request was withdrawn")
    _send_after_commit(_outcome_messages(locked, closed, chosen=False))
    return withdrawn


# The daily job ----------------------------------------------------------------------------------

def package_requests_close_overdue(*, today: datetime.date | None = None) -> int:
    """Close open requests whose deadline has passed: unanswered invitations lapse, and a request
    with no offer becomes ``no_offers`` and is flagged to the council as a gap in the market (its
    broker is told). A request with offers stays open for the broker to choose. Each request is
    closed in its own transaction; running the job again changes nothing. Returns how many
    requests it closed."""
    today = today or timezone.localdate()
    invited = PackageResponse.objects.filter(request=OuterRef("pk"), status=PackageResponseStatus.INVITED)
    offered = PackageResponse.objects.filter(request=OuterRef("pk"), status=PackageResponseStatus.OFFERED)
    due = (PackageRequest.objects.filter(status=PackageRequestStatus.OPEN, deadline__lt=today)
           .filter(Exists(invited) | ~Exists(offered)).order_by("deadline", "pk").values_list("pk", flat=True))
    closed = 0
    for pk in list(due):
        with transaction.atomic():
            request = _lock_request(PackageRequest(pk=pk))
            if request.status != PackageRequestStatus.OPEN or request.deadline >= today:
                continue
            for response in request.responses.filter(status=PackageResponseStatus.INVITED).select_related("provider"):
                transition(response, PackageResponseStatus.LAPSED, by=None, organisation=response.provider,
                           reason="No answer by the deadline")
            if not request.responses.filter(status=PackageResponseStatus.OFFERED).exists():
                transition(request, PackageRequestStatus.NO_OFFERS, by=None, organisation=request.broker_organisation,
                           reason="No offer by the deadline: flagged to the council as a gap in the market",
                           apply=lambda locked: setattr(locked, "market_gap_flagged_at", timezone.now()))
                _send_after_commit(_broker_message(
                    request, f"Care package request {request.reference}: no offers",
                    f"No provider offered to take on care package request {request.reference} "
                    f"({request.category.name}, district {request.district.code}) by the deadline of "
                    f"{request.deadline:%d %B %Y}. The council has been told about the gap in the market. "
                    f"You can choose a service from the directory, or talk to the council's contract team.\n"))
            closed += 1
    return closed
