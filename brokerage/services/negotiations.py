"""Price negotiations between the purchaser (the person's broker, or a contract officer) and a
provider, over the price of one plan line [H V(d)-(e)].

A negotiation opens when a line is priced above the council's reference rate (the provider's
price is its first offer) or when the purchaser asks for a quote (the provider makes the first
offer). The two sides then exchange offers — each a row that is never edited — until one side
accepts the other's latest offer (``agreed``: the line takes the price and the yearly saving is
kept), the provider declines to negotiate (``declined``), the purchaser withdraws (``withdrawn``),
or the deadline passes (``expired``, by a scheduled job).

Who acts:
- the purchaser side is a broker of the brokerage the person chose (with their consent to share)
  or a contract officer — the same test as every other change to a person's record;
- the provider side is provider staff or a provider administrator of the organisation the
  negotiation is with;
- anyone else is refused.

The rule of price: only a provider whose service the council accepts as specialist may be paid
above the reference rate; with any other provider such a price can never be agreed, and a
declined negotiation leaves the line blocked until the broker changes provider or reduces the
service (:func:`brokerage.checks.plan_checks` reports it).
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from brokerage.constants import (
    PLAN_EDITABLE_STATUSES,
    LineKind,
    NegotiationReason,
    NegotiationSide,
    NegotiationStatus,
)
from brokerage.checks import reference_rate
from brokerage.models import BrokerageSettings, Negotiation, NegotiationOffer, PlanLine
from brokerage.ras import format_quantity
from brokerage.services.budgets import _require_case_worker
from marketplace import audit, money
from marketplace.constants import PROVIDER_ROLES
from marketplace.models import User
from marketplace.permissions import organisation_ids
from marketplace.transitions import InvalidTransition, transition
from providers.selectors import provider_staff_addresses

__all__ = [
    "negotiation_open", "negotiation_offer", "negotiation_accept", "negotiation_decline",
    "negotiation_withdraw", "negotiations_expire_overdue", "negotiation_side_of", "annual_saving_pence",
]

NOT_ALLOWED = "You do not have permission to do that."
PLAN_NOT_EDITABLE = "The plan is no longer being written, so its prices cannot be negotiated"


# Who is acting ----------------------------------------------------------------------------------

def negotiation_side_of(negotiation: Negotiation, user: User) -> str | None:
    """Which side ``user`` negotiates on: ``provider`` for the provider's staff and administrators,
    ``purchaser`` for the person's broker or a contract officer, None for anyone else.

    Side-effect free, so pages can use it to decide which buttons to offer; the services ask again.
    """
    if negotiation.provider_id in organisation_ids(user, *PROVIDER_ROLES):
        return NegotiationSide.PROVIDER
    try:
        _require_case_worker(user, negotiation.line.plan.person)
    except PermissionDenied:
        return None
    return NegotiationSide.PURCHASER


def _side(negotiation: Negotiation, by: User) -> str:
    side = negotiation_side_of(negotiation, by)
    if side is None:
        raise PermissionDenied(NOT_ALLOWED)
    return side


def _organisation_for(negotiation: Negotiation, side: str | None):
    """The organisation the actor acted for, for the audit log."""
    if side == NegotiationSide.PROVIDER:
        return negotiation.provider
    if side == NegotiationSide.PURCHASER:
        return negotiation.line.plan.person.broker_organisation
    return None


def _lock(negotiation: Negotiation) -> Negotiation:
    return (Negotiation.objects.select_for_update(of=("self",))
            .select_related("line__plan__person__broker_organisation", "line__listing", "provider")
            .get(pk=negotiation.pk))


def _require_open(negotiation: Negotiation) -> None:
    """Refuse anything but a closing move on a negotiation that has ended (409 in the API)."""
    if negotiation.status != NegotiationStatus.OPEN:
        raise InvalidTransition(negotiation, negotiation.status, NegotiationStatus.OPEN, set())


def _require_before_deadline(negotiation: Negotiation, today: datetime.date) -> None:
    if today > negotiation.deadline:
        raise ValidationError(
            f"The deadline for this negotiation was {_date(negotiation.deadline)}: no more offers can be made "
            f"or accepted")


def _date(day: datetime.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _require_plan_editable(line: PlanLine) -> None:
    if line.plan.status not in PLAN_EDITABLE_STATUSES:
        raise ValidationError(PLAN_NOT_EDITABLE)


def _price(value) -> int:
    """A price in whole pence above nothing, or a ``ValidationError`` keyed ``price_pence``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({"price_pence": "Enter the price in pence as a whole number, like 2400 for £24.00"})
    if value <= 0:
        raise ValidationError({"price_pence": "The price must be more than £0.00"})
    if value >= money.MAX_POUNDS * 100:
        raise ValidationError({"price_pence": "Enter a price under £100,000,000,000"})
    return value


def _refuse_above_reference(line: PlanLine, price_pence: int, *, key: str | None = None) -> None:
    """A price above the reference rate can be agreed only with an accepted specialist [H V(d)-(e)].

    Reads the specialist flag and the reference rate as they are now, as sign-off does, so a flag
    the council has since taken away no longer lets a higher price through.
    """
    reference = reference_rate(line)
    if reference is None or price_pence <= reference or line.listing.is_specialist:
        return
    message = (f"{money.format_pence(price_pence)} is above the council's reference rate of "
               f"{money.format_pence(reference)} {line.get_unit_display()}, and {line.listing.organisation.name} "
               f"is not accepted as a specialist for this service, so this price cannot be agreed")
    raise ValidationError({key: message} if key else message)


def annual_saving_pence(*, listed_pence: int, agreed_pence: int, quantity_per_week) -> int:
    """(Listed − agreed) × quantity a week, over a year of ``money.WEEKS_PER_YEAR`` weeks; negative
    when the agreed price is the higher. Rounded to the penny once a week and once a year, as the
    plan's own costing rounds its weekly and annual figures."""
    return money.weekly_to_annual(money.multiply(listed_pence - agreed_pence, quantity_per_week))


# Opening ----------------------------------------------------------------------------------------

def _opening_price(line: PlanLine) -> tuple[int, str]:
    """What the provider asks at the start, and how to describe it: the price it offered for a care
    package when the line came from one, else its listed price."""
    response = line.package_response if line.package_response_id else None
    if response is not None and response.price_pence:
        return response.price_pence, "Price offered for the care package"
    return line.listed_price_pence, "Listed price"


@transaction.atomic
def negotiation_open(*, line: PlanLine, by: User, reason: str, note: str = "") -> Negotiation:
    """Open a negotiation of the price of a service line, or return the one already open.

    ``reason`` is ``above_reference`` (the line's price is above the reference rate: the provider's
    price is recorded as its first offer) or ``quote_requested`` (the provider is asked to quote:
    no offer yet). The provider's staff are emailed after commit with nothing that identifies the
    person.

    Raises ``PermissionDenied`` unless ``by`` is a broker of the person's brokerage (with consent to
    share) or a contract officer; ``ValidationError`` for a personal assistant's line, an unknown
    reason, a plan no longer draft or returned, or ``above_reference`` for a line that is not priced
    above the reference rate.
    """
    person = _require_case_worker(by, line.plan.person)
    # Locking the line serialises two clicks on PostgreSQL; the partial unique constraint catches
    # whatever gets past it.
    line = (PlanLine.objects.select_for_update(of=("self",))
            .select_related("plan__person__broker_organisation", "listing__organisation", "package_response")
            .get(pk=line.pk))
    if line.kind != LineKind.SERVICE:
        raise ValidationError("Only a service from an organisation has a price to negotiate")
    if reason not in NegotiationReason.values:
        raise ValidationError({"reason": "Choose why the price is being negotiated"})
    _require_plan_editable(line)
    existing = Negotiation.objects.filter(line=line, status=NegotiationStatus.OPEN).first()
    if existing is not None:
        return existing
    reference = reference_rate(line)
    if reason == NegotiationReason.ABOVE_REFERENCE and (reference is None or line.agreed_price_pence <= reference):
        raise ValidationError("The price of this service is not above the council's reference rate, so there is "
                              "nothing to negotiate; ask the provider for a quote instead")
    opening_price, opening_note = _opening_price(line)
    today = timezone.localdate()
    try:
        with transaction.atomic():
            negotiation = Negotiation.objects.create(
                line=line, provider=line.listing.organisation, reason=reason, listed_price_pence=opening_price,
                reference_rate_pence=reference, provider_is_specialist=line.listing.is_specialist,
                deadline=today + datetime.timedelta(days=BrokerageSettings.load().negotiation_days), opened_by=by)
    except IntegrityError:
        return Negotiation.objects.get(line=line, status=NegotiationStatus.OPEN)
    if reason == NegotiationReason.ABOVE_REFERENCE:
        NegotiationOffer.objects.create(negotiation=negotiation, side=NegotiationSide.PROVIDER,
                                        price_pence=opening_price, note=opening_note, made_by=by)
    audit.record(actor=by, verb="negotiation.opened", target=negotiation, organisation=person.broker_organisation,
                 reason=(note or "").strip(),
                 after={"line": line.pk, "provider": negotiation.provider_id, "reason": reason,
                        "listed_price_pence": opening_price, "reference_rate_pence": reference,
                        "provider_is_specialist": negotiation.provider_is_specialist,
                        "deadline": negotiation.deadline.isoformat()})
    _tell_provider(negotiation, note=(note or "").strip())
    return negotiation


def _tell_provider(negotiation: Negotiation, *, note: str) -> None:
    """Email the provider's staff after commit: the service, the quantity and the deadline, and
    where to answer — never the person."""
    recipients = provider_staff_addresses([negotiation.provider_id]).get(negotiation.provider_id, [])
    if not recipients:
        return
    line = negotiation.line
    asked = ("asks you for a quote for" if negotiation.reason == NegotiationReason.QUOTE_REQUESTED
             else "would like to negotiate your price for")
    link = settings.SITE_URL + reverse("brokerage_portal:negotiation",
                                       kwargs={"org_id": negotiation.provider_id, "negotiation_id": negotiation.pk})
    body = "\n".join(filter(None, [
        f"A broker or the council's brokerage team {asked} {line.listing.title}: "
        f"{format_quantity(line.quantity_per_week)} a week, priced {line.get_unit_display()}.",
        f"Their note: {note}" if note else "",
        f"Please answer by {_date(negotiation.deadline)} in your provider portal:",
        link,
    ]))
    subject = f"Price negotiation: {line.listing.title}"
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients))


# Offers and answers -----------------------------------------------------------------------------

@transaction.atomic
def negotiation_offer(*, negotiation: Negotiation, by: User, price_pence: int, note: str = "") -> NegotiationOffer:
    """Make an offer or counter-offer on an open negotiation, on the side ``by`` is on.

    Raises ``PermissionDenied`` for anyone on neither side; ``InvalidTransition`` when the
    negotiation has ended; ``ValidationError`` after the deadline, for a price that is not a whole
    number of pence above nothing (keyed ``price_pence``), and for a purchaser's offer above the
    reference rate to a provider that is not an accepted specialist (it could never be agreed).
    """
    side = _side(negotiation, by)
    locked = _lock(negotiation)
    _require_open(locked)
    _require_before_deadline(locked, timezone.localdate())
    price = _price(price_pence)
    if side == NegotiationSide.PURCHASER:
        _refuse_above_reference(locked.line, price, key="price_pence")
    offer = NegotiationOffer.objects.create(negotiation=locked, side=side, price_pence=price,
                                            note=(note or "").strip(), made_by=by)
    audit.record(actor=by, verb="negotiation.offer_made", target=locked, organisation=_organisation_for(locked, side),
                 reason=offer.note, after={"side": side, "price_pence": price})
    return offer


@transaction.atomic
def negotiation_accept(*, negotiation: Negotiation, by: User, note: str = "") -> Negotiation:
    """Accept the other side's latest offer: the negotiation is ``agreed``, the line takes the
    price, and the yearly saving (listed minus agreed) is recorded.

    Raises ``PermissionDenied`` for anyone on neither side; ``InvalidTransition`` when the
    negotiation has ended; ``ValidationError`` after the deadline, when there is no offer yet, when
    the latest offer is ``by``'s own side's, when the plan is no longer being written, and when the
    price is above the reference rate and the provider is not an accepted specialist.
    """
    side = _side(negotiation, by)
    locked = _lock(negotiation)
    _require_open(locked)
    _require_before_deadline(locked, timezone.localdate())
    latest = locked.offers.order_by("-made_at", "-pk").first()
    if latest is None:
        raise ValidationError("There is no offer to accept yet: the provider has not quoted"
                              if side == NegotiationSide.PURCHASER else
                              "There is no offer to accept yet: make an offer")
    if latest.side == side:
        raise ValidationError("Wait for the provider's answer" if side == NegotiationSide.PURCHASER
                              else "Wait for the broker's answer")
    line = (PlanLine.objects.select_for_update(of=("self",)).select_related("plan", "listing__organisation")
            .get(pk=locked.line_id))
    _require_plan_editable(line)
    _refuse_above_reference(line, latest.price_pence)
    saving = annual_saving_pence(listed_pence=locked.listed_price_pence, agreed_pence=latest.price_pence,
                                 quantity_per_week=line.quantity_per_week)
    now = timezone.now()

    def close(row: Negotiation) -> None:
        row.agreed_price_pence = latest.price_pence
        row.annual_saving_pence = saving
        row.closed_at, row.closed_by, row.closing_note = now, by, (note or "").strip()

    agreed = transition(locked, NegotiationStatus.AGREED, by=by, reason=(note or "").strip(),
                        organisation=_organisation_for(locked, side), apply=close)
    before = line.agreed_price_pence
    line.agreed_price_pence = latest.price_pence
    line.save(update_fields=["agreed_price_pence"])
    audit.record(actor=by, verb="plan_line.price_agreed", target=line, organisation=_organisation_for(locked, side),
                 before={"agreed_price_pence": before},
                 after={"agreed_price_pence": line.agreed_price_pence, "negotiation": agreed.pk,
                        "annual_saving_pence": saving})
    return agreed


def _close(negotiation: Negotiation, *, by: User, side_required: str, to: str, reason: str,
           missing_reason: str, wrong_side: str) -> Negotiation:
    side = _side(negotiation, by)
    if side != side_required:
        raise PermissionDenied(wrong_side)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": missing_reason})
    locked = _lock(negotiation)
    now = timezone.now()

    def close(row: Negotiation) -> None:
        row.closed_at, row.closed_by, row.closing_note = now, by, reason

    return transition(locked, to, by=by, reason=reason, organisation=_organisation_for(locked, side), apply=close)


@transaction.atomic
def negotiation_decline(*, negotiation: Negotiation, by: User, reason: str) -> Negotiation:
    """The provider will not negotiate. With a provider that is not an accepted specialist the line
    stays blocked: the broker must change provider or reduce the service [H V(e)].

    Raises ``PermissionDenied`` unless ``by`` is the provider's staff; ``ValidationError`` (keyed
    ``reason``) without a reason; ``InvalidTransition`` when the negotiation has already ended
    another way (declining twice changes nothing).
    """
    return _close(negotiation, by=by, side_required=NegotiationSide.PROVIDER, to=NegotiationStatus.DECLINED,
                  reason=reason, missing_reason="Enter why you will not negotiate this price",
                  wrong_side="Only the provider can decline to negotiate; the broker withdraws instead.")


@transaction.atomic
def negotiation_withdraw(*, negotiation: Negotiation, by: User, reason: str) -> Negotiation:
    """The purchaser stops negotiating (they changed provider or the service).

    Raises ``PermissionDenied`` unless ``by`` is the person's broker or a contract officer;
    ``ValidationError`` (keyed ``reason``) without a reason; ``InvalidTransition`` when the
    negotiation has already ended another way (withdrawing twice changes nothing).
    """
    return _close(negotiation, by=by, side_required=NegotiationSide.PURCHASER, to=NegotiationStatus.WITHDRAWN,
                  reason=reason, missing_reason="Enter why you are withdrawing from the negotiation",
                  wrong_side="Only the broker or the council can withdraw; the provider declines instead.")


# The scheduled job ------------------------------------------------------------------------------

def negotiations_expire_overdue(*, today: datetime.date | None = None) -> int:
    """Expire every open negotiation whose deadline is before ``today``; return how many.

    Each is moved in its own transaction by the system (no actor), so one failure does not hold
    up the rest; running it again the same day finds nothing to do.
    """
    today = today or timezone.localdate()
    overdue = list(Negotiation.objects.filter(status=NegotiationStatus.OPEN, deadline__lt=today)
                   .order_by("deadline", "pk").values_list("pk", flat=True))
    expired = 0
    for pk in overdue:
        with transaction.atomic():
            negotiation = (Negotiation.objects.select_for_update()
                           .filter(pk=pk, status=NegotiationStatus.OPEN).first())
            if negotiation is None:
                continue
            now = timezone.now()

            def close(row: Negotiation, now=now) -> None:
                row.closed_at = now

            transition(negotiation, NegotiationStatus.EXPIRED, by=None, reason="The deadline passed",
                       organisation=None, apply=close)
            expired += 1
    return expired
