"""Building a support plan and submitting it for sign-off.

Who may do what: a broker of the brokerage the person chose (with their consent to share), or a
contract officer, writes the plan — its outcomes, lines and risk assessment — and submits it. A
plan changes only while it is a draft or has been returned for changes; once submitted it waits
for the council's decision, and an approved plan is changed by starting a new version of it
(:func:`plan_revise`), which stays a draft until it is approved in its turn.

Every service checks who is acting and whether the plan may change (:func:`editable_plan_or_error`)
before it writes, and records what it did in the audit log in the same transaction. The sign-off
rules themselves are :func:`brokerage.checks.plan_checks`, shared with the council's approval.
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from brokerage.checks import latest_negotiation, plan_checks, reference_rate
from brokerage.constants import (
    DIRECT_PAYMENT_ROUTES,
    PLAN_EDITABLE_STATUSES,
    PLAN_OPEN_STATUSES,
    BudgetKind,
    DbsCheck,
    DeploymentRoute,
    FinancialRisk,
    LineKind,
    NeedDomain,
    NegotiationReason,
    NegotiationStatus,
    PlanStatus,
)
from brokerage.models import PackageResponse, PersonalBudget, Person, PlanLine, PlanOutcome, PlanRisk, SupportPlan
from brokerage.services.budgets import _require_case_worker
from marketplace import audit, money
from marketplace.models import User
from marketplace.transitions import transition
from providers.constants import ListingStatus, RateUnit
from providers.models import RateCard, ServiceListing, current_rate_q

__all__ = [
    "plan_start", "plan_revise", "plan_update", "plan_outcome_add", "plan_outcome_remove", "plan_risk_add",
    "plan_risk_remove", "plan_line_add_service", "plan_line_add_assistant", "plan_line_update", "plan_line_remove",
    "plan_submit", "editable_plan_or_error", "plan_not_editable_message", "listing_unavailable_reason",
    "current_rate_cards", "ALREADY_SUBMITTED", "NO_BUDGET", "PLAN_UPDATE_FIELDS",
]

ALREADY_SUBMITTED = "This plan has already been sent for sign-off"
NO_BUDGET = "Work out an indicative budget first: a support plan is built against one"
MAX_QUANTITY = Decimal("100000")  # PlanLine.quantity_per_week: 7 digits, 2 places
PLAN_UPDATE_FIELDS = ("starts_on", "safeguarding_considered", "safeguarding_notes", "financial_risk",
                      "financial_risk_notes", "tolerance_exception_reason", "live_in_relative_exception_reason")
LINE_FIELDS = ("quantity_per_week", "route", "outcomes", "starts_on", "ends_on")
ASSISTANT_FIELDS = ("assistant_name", "description", "live_in_relative", "dbs_check")
TEXT_LIMITS = {"assistant_name": 200, "description": 200, "who_is_affected": 200}


# Who may change a plan, and when ----------------------------------------------------------------

def plan_not_editable_message(plan: SupportPlan) -> str:
    """Why ``plan`` cannot change, and what to do instead."""
    if plan.status == PlanStatus.SUBMITTED:
        return ("This plan has been submitted and cannot change while the council decides. If it is returned "
                "for changes you can change it then; once it is approved, start a new version to change it")
    if plan.status == PlanStatus.APPROVED:
        return "This plan has been approved and cannot change: start a new version of it to make changes"
    if plan.status == PlanStatus.REJECTED:
        return "This plan was rejected and cannot change: start a new support plan"
    return "This plan is no longer in force and cannot change: change the person's current plan instead"


def editable_plan_or_error(plan: SupportPlan, *, by: User) -> SupportPlan:
    """Return ``plan`` fresh and locked if ``by`` may change it now.

    Raises ``PermissionDenied`` unless ``by`` is a broker of the person's brokerage (with their
    consent to share) or a contract officer, and ``ValidationError`` (saying what to do instead)
    unless the plan is a draft or was returned for changes.
    """
    _require_case_worker(by, plan.person)
    locked = SupportPlan.objects.select_for_update(of=("self",)).select_related("person").get(pk=plan.pk)
    if locked.status not in PLAN_EDITABLE_STATUSES:
        raise ValidationError(plan_not_editable_message(locked))
    return locked


def _audit(by: User, verb: str, target, plan: SupportPlan, **kwargs) -> None:
    audit.record(actor=by, verb=verb, target=target, organisation=plan.person.broker_organisation, **kwargs)


# Reading what was typed -------------------------------------------------------------------------

def _text(value) -> str:
    return (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()


def _quantity(value) -> Decimal | None:
    """A positive quantity a week with at most two decimal places, or None."""
    if value is None or isinstance(value, (bool, float)):
        return None
    try:
        quantity = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not quantity.is_finite() or quantity <= 0 or quantity >= MAX_QUANTITY \
            or quantity != quantity.quantize(Decimal("0.01")):
        return None
    return quantity


QUANTITY_MESSAGE = "Enter how much a week as a number more than 0, with up to 2 decimal places, like 7.5"


def _pence(value) -> int | None:
    """A positive whole number of pence, or None."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0 or value > money.MAX_POUNDS * 100:
        return None
    return value


def _dates(errors: dict, starts_on, ends_on) -> None:
    if not isinstance(starts_on, datetime.date):
        errors["starts_on"] = "Enter the date the support starts"
    if ends_on is not None:
        if not isinstance(ends_on, datetime.date):
            errors["ends_on"] = "Enter the date the support ends, or leave it empty"
        elif isinstance(starts_on, datetime.date) and ends_on < starts_on:
            errors["ends_on"] = "The end date must be the same as or after the start date"


def _plan_outcomes(plan: SupportPlan, outcomes, errors: dict) -> list[PlanOutcome]:
    """The plan's outcomes among ``outcomes`` (instances or ids); anything else is an error."""
    wanted = set()
    for outcome in outcomes or ():
        pk = outcome.pk if isinstance(outcome, PlanOutcome) else outcome
        if isinstance(pk, bool):
            pk = None
        try:
            wanted.add(int(pk))
        except (TypeError, ValueError):
            errors["outcomes"] = "Choose outcomes from this plan"
            return []
    found = list(PlanOutcome.objects.filter(plan=plan, pk__in=wanted))
    if len(found) != len(wanted):
        errors["outcomes"] = "Choose outcomes from this plan"
        return []
    return found


def _next_position(queryset) -> int:
    return (queryset.aggregate(top=Max("position"))["top"] or 0) + 1


# Starting a plan and new versions ---------------------------------------------------------------

def _open_plan_message(plan: SupportPlan) -> str:
    return (f"{plan.person} already has a support plan that is {plan.get_status_display().lower()} "
            f"(version {plan.version}): carry on with that one")


def _newest_indicative_budget(person: Person) -> PersonalBudget | None:
    return (PersonalBudget.objects.filter(person=person, kind=BudgetKind.INDICATIVE)
            .order_by("-created_at", "-pk").first())


def _next_version(person: Person) -> int:
    return (SupportPlan.objects.filter(person=person).aggregate(top=Max("version"))["top"] or 0) + 1


def _create_plan(person: Person, **fields) -> SupportPlan:
    """Create the plan, turning the database's refusal of a second open plan (two clicks at once)
    into the same message the check before it gives."""
    try:
        with transaction.atomic():
            return SupportPlan.objects.create(person=person, version=_next_version(person), **fields)
    except IntegrityError:
        existing = SupportPlan.objects.filter(person=person, status__in=PLAN_OPEN_STATUSES).first()
        if existing is not None:
            raise ValidationError(_open_plan_message(existing)) from None
        raise ValidationError("Another plan was started at the same moment; try again") from None


@transaction.atomic
def plan_start(*, person: Person, by: User, starts_on: datetime.date,
               indicative_budget: PersonalBudget | None = None) -> SupportPlan:
    """Start a draft support plan for a person, built against their newest indicative budget (or
    ``indicative_budget``, which must be one of theirs).

    A person has at most one plan being written or waiting for sign-off. Raises
    ``PermissionDenied`` unless ``by`` is a broker of the person's brokerage (with their consent to
    share) or a contract officer; ``ValidationError`` keyed ``starts_on`` for a missing date,
    ``indicative_budget`` when there is none yet or it is not this person's indicative budget; and
    ``ValidationError`` when the person already has an open plan (also when two starts race).
    """
    person = _require_case_worker(by, person)
    if not isinstance(starts_on, datetime.date):
        raise ValidationError({"starts_on": "Enter the date the plan starts"})
    # Serialises starts for one person (PostgreSQL); the unique constraint backs it everywhere.
    list(Person.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True))
    if indicative_budget is None:
        indicative_budget = _newest_indicative_budget(person)
        if indicative_budget is None:
            raise ValidationError({"indicative_budget": NO_BUDGET})
    elif indicative_budget.person_id != person.pk or indicative_budget.kind != BudgetKind.INDICATIVE:
        raise ValidationError({"indicative_budget": "Choose an indicative budget of this person"})
    existing = SupportPlan.objects.filter(person=person, status__in=PLAN_OPEN_STATUSES).first()
    if existing is not None:
        raise ValidationError(_open_plan_message(existing))
    plan = _create_plan(person, indicative_budget=indicative_budget, starts_on=starts_on, created_by=by)
    _audit(by, "supportplan.started", plan, plan,
           after={"person": person.pk, "version": plan.version, "indicative_budget": indicative_budget.pk,
                  "starts_on": starts_on.isoformat()})
    return plan


@transaction.atomic
def plan_revise(*, plan: SupportPlan, by: User) -> SupportPlan:
    """Start a new draft version of an approved plan, to change it.

    The new version copies the outcomes, the risk assessment, safeguarding and the financial risk
    assessment, and every line with its agreed price and the outcomes it serves; negotiations,
    officers' acknowledgements and exception reasons are not copied (each version asks for its
    own). It is built against the person's newest indicative budget. The approved plan stays in
    force until the new version is approved, when it is superseded.

    Raises ``PermissionDenied`` as :func:`plan_start`; ``ValidationError`` unless the plan is
    approved, or when the person already has a plan being written or waiting for sign-off.
    """
    person = _require_case_worker(by, plan.person)
    list(Person.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True))
    approved = SupportPlan.objects.select_for_update().get(pk=plan.pk)
    if approved.status != PlanStatus.APPROVED:
        raise ValidationError("Only an approved plan can be changed with a new version; this plan is "
                              f"{approved.get_status_display().lower()}")
    existing = SupportPlan.objects.filter(person=person, status__in=PLAN_OPEN_STATUSES).first()
    if existing is not None:
        raise ValidationError(_open_plan_message(existing))
    draft = _create_plan(
        person, previous=approved, indicative_budget=_newest_indicative_budget(person) or approved.indicative_budget,
        starts_on=max(approved.starts_on, timezone.localdate()), created_by=by,
        safeguarding_considered=approved.safeguarding_considered, safeguarding_notes=approved.safeguarding_notes,
        financial_risk=approved.financial_risk, financial_risk_notes=approved.financial_risk_notes)
    outcome_map = {}
    for outcome in approved.outcomes.all():
        outcome_map[outcome.pk] = PlanOutcome.objects.create(plan=draft, text=outcome.text, domain=outcome.domain,
                                                             position=outcome.position)
    PlanRisk.objects.bulk_create(
        PlanRisk(plan=draft, risk=risk.risk, who_is_affected=risk.who_is_affected, mitigation=risk.mitigation,
                 position=risk.position) for risk in approved.risks.all())
    for line in approved.lines.prefetch_related("outcomes"):
        copy = PlanLine.objects.create(
            plan=draft, kind=line.kind, listing_id=line.listing_id, rate_card_id=line.rate_card_id,
            description=line.description, unit=line.unit, quantity_per_week=line.quantity_per_week,
            listed_price_pence=line.listed_price_pence, agreed_price_pence=line.agreed_price_pence,
            route=line.route, starts_on=line.starts_on, ends_on=line.ends_on, assistant_name=line.assistant_name,
            live_in_relative=line.live_in_relative, dbs_check=line.dbs_check, position=line.position)
        copy.outcomes.set([outcome_map[outcome.pk] for outcome in line.outcomes.all()])
    _audit(by, "supportplan.revised", draft, draft,
           after={"person": person.pk, "version": draft.version, "previous": approved.pk,
                  "indicative_budget": draft.indicative_budget_id})
    return draft


@transaction.atomic
def plan_update(*, plan: SupportPlan, by: User, **fields) -> SupportPlan:
    """Change the plan's own fields: ``starts_on``, ``safeguarding_considered``,
    ``safeguarding_notes``, ``financial_risk`` (``""`` to clear), ``financial_risk_notes``,
    ``tolerance_exception_reason`` and ``live_in_relative_exception_reason``. Fields not named keep
    what they had; an update that changes nothing writes nothing.

    Raises ``TypeError`` for another keyword; ``PermissionDenied`` and ``ValidationError`` as
    :func:`editable_plan_or_error`; and ``ValidationError`` keyed by field for a missing start
    date, a financial risk that is not low, medium or high, or safeguarding that is not yes or no.
    """
    unknown = set(fields) - set(PLAN_UPDATE_FIELDS)
    if unknown:
        raise TypeError(f"plan_update() cannot change {', '.join(sorted(unknown))}")
    locked = editable_plan_or_error(plan, by=by)
    errors, clean = {}, {}
    for name, value in fields.items():
        if name == "starts_on":
            if not isinstance(value, datetime.date):
                errors[name] = "Enter the date the plan starts"
            else:
                clean[name] = value
        elif name == "safeguarding_considered":
            if not isinstance(value, bool):
                errors[name] = "Say whether safeguarding has been considered"
            else:
                clean[name] = value
        elif name == "financial_risk":
            value = _text(value)
            if value and value not in FinancialRisk.values:
                errors[name] = "Choose low, medium or high financial risk"
            else:
                clean[name] = value
        else:
            clean[name] = _text(value)
    if errors:
        raise ValidationError(errors)
    before, after = {}, {}
    for name, value in clean.items():
        current = getattr(locked, name)
        if current != value:
            before[name] = current.isoformat() if isinstance(current, datetime.date) else current
            after[name] = value.isoformat() if isinstance(value, datetime.date) else value
            setattr(locked, name, value)
    if after:
        locked.save(update_fields=list(after))
        _audit(by, "supportplan.updated", locked, locked, before=before, after=after)
    return locked


# Outcomes and risks -----------------------------------------------------------------------------

@transaction.atomic
def plan_outcome_add(*, plan: SupportPlan, by: User, text: str, domain: str = "") -> PlanOutcome:
    """Add an outcome the person wants, in their own words, optionally with the area of eligible
    need it meets [H IV(b)].

    Raises ``PermissionDenied`` and ``ValidationError`` as :func:`editable_plan_or_error`, and
    ``ValidationError`` keyed ``text`` (empty) or ``domain`` (not an area of daily life).
    """
    locked = editable_plan_or_error(plan, by=by)
    text, domain = _text(text), _text(domain)
    errors = {}
    if not text:
        errors["text"] = "Enter the outcome, in the person’s own words"
    if domain and domain not in NeedDomain.values:
        errors["domain"] = "Choose an area of daily life from the list"
    if errors:
        raise ValidationError(errors)
    outcome = PlanOutcome.objects.create(plan=locked, text=text, domain=domain,
                                         position=_next_position(locked.outcomes.all()))
    _audit(by, "planoutcome.added", outcome, locked, after={"plan": locked.pk, "text": text, "domain": domain})
    return outcome


@transaction.atomic
def plan_outcome_remove(*, outcome: PlanOutcome, by: User) -> None:
    """Remove an outcome; lines that served it no longer do (submission then names any line left
    serving none). Raises as :func:`editable_plan_or_error`."""
    locked = editable_plan_or_error(outcome.plan, by=by)
    outcome = PlanOutcome.objects.get(pk=outcome.pk, plan=locked)
    _audit(by, "planoutcome.removed", outcome, locked,
           before={"plan": locked.pk, "text": outcome.text, "domain": outcome.domain,
                   "lines": sorted(outcome.lines.values_list("pk", flat=True))})
    outcome.delete()


@transaction.atomic
def plan_risk_add(*, plan: SupportPlan, by: User, risk: str, who_is_affected: str, mitigation: str) -> PlanRisk:
    """Add a row to the plan's risk assessment [H IV(c)]. A risk may be recorded before its
    mitigation is known; submission asks for every mitigation.

    Raises ``PermissionDenied`` and ``ValidationError`` as :func:`editable_plan_or_error`, and
    ``ValidationError`` keyed ``risk`` or ``who_is_affected`` when empty (or too long).
    """
    locked = editable_plan_or_error(plan, by=by)
    risk, who, mitigation = _text(risk), _text(who_is_affected), _text(mitigation)
    errors = {}
    if not risk:
        errors["risk"] = "Enter the risk"
    if not who:
        errors["who_is_affected"] = "Enter who the risk affects"
    elif len(who) > TEXT_LIMITS["who_is_affected"]:
        errors["who_is_affected"] = "Who the risk affects must be 200 characters or fewer"
    if errors:
        raise ValidationError(errors)
    row = PlanRisk.objects.create(plan=locked, risk=risk, who_is_affected=who, mitigation=mitigation,
                                  position=_next_position(locked.risks.all()))
    _audit(by, "planrisk.added", row, locked,
           after={"plan": locked.pk, "risk": risk, "who_is_affected": who, "mitigation": mitigation})
    return row


@transaction.atomic
def plan_risk_remove(*, risk: PlanRisk, by: User) -> None:
    """Remove a row of the risk assessment. Raises as :func:`editable_plan_or_error`."""
    locked = editable_plan_or_error(risk.plan, by=by)
    risk = PlanRisk.objects.get(pk=risk.pk, plan=locked)
    _audit(by, "planrisk.removed", risk, locked,
           before={"plan": locked.pk, "risk": risk.risk, "who_is_affected": risk.who_is_affected,
                   "mitigation": risk.mitigation})
    risk.delete()


# Lines ------------------------------------------------------------------------------------------

def listing_unavailable_reason(listing: ServiceListing | None, *, today: datetime.date | None = None) -> str | None:
    """Why ``listing`` cannot be added to a plan now, in plain words, or None when it can: only
    published services of organisations approved and in date with the council [§3]."""
    if listing is None or listing.status == ListingStatus.DRAFT:
        return "Unknown service: choose a service from the directory"
    organisation = listing.organisation
    accreditation = getattr(organisation, "accreditation", None)
    if accreditation is None or not accreditation.is_in_force(today):
        return f"{organisation.name} is not approved and in date with the council: choose another provider"
    if listing.status != ListingStatus.PUBLISHED:
        return f"{listing.title} is not offered at the moment: choose another service"
    return None


def current_rate_cards(listing: ServiceListing, *, today: datetime.date | None = None) -> dict[str, RateCard]:
    """The listing's rate card in force today for each unit (the latest to start)."""
    cards = {}
    for card in (RateCard.objects.filter(listing=listing).filter(current_rate_q(today=today))
                 .order_by("unit", "-effective_from", "-pk")):
        cards.setdefault(card.unit, card)
    return cards


def _listed_price(card: RateCard, route: str) -> int:
    """The rate card's price for the route: direct payments are priced at the lower direct-payment
    rate, everything else at the contract rate [H V]."""
    return card.direct_payment_rate_pence if route in DIRECT_PAYMENT_ROUTES else card.contract_rate_pence


def _line_snapshot(line: PlanLine, outcome_ids: Iterable[int]) -> dict:
    return {"plan": line.plan_id, "kind": line.kind, "listing": line.listing_id, "rate_card": line.rate_card_id,
            "unit": line.unit, "quantity_per_week": f"{Decimal(line.quantity_per_week):f}", "route": line.route,
            "listed_price_pence": line.listed_price_pence, "agreed_price_pence": line.agreed_price_pence,
            "starts_on": line.starts_on.isoformat() if line.starts_on else None,
            "ends_on": line.ends_on.isoformat() if line.ends_on else None, "assistant_name": line.assistant_name,
            "live_in_relative": line.live_in_relative, "dbs_check": line.dbs_check,
            "outcomes": sorted(outcome_ids)}


def _open_negotiation_if_above_reference(line: PlanLine, by: User) -> None:
    """A price above the council's reference rate for the category and unit starts a negotiation
    [H V(e)]; one that is not any more ends an open negotiation, which has nothing left to settle."""
    from brokerage.services import negotiations

    reference = reference_rate(line)
    if reference is not None and line.agreed_price_pence > reference:
        negotiations.negotiation_open(line=line, by=by, reason=NegotiationReason.ABOVE_REFERENCE)
        return
    open_one = line.negotiations.filter(status=NegotiationStatus.OPEN).first()
    if open_one is not None and open_one.reason == NegotiationReason.ABOVE_REFERENCE:
        negotiations.negotiation_withdraw(negotiation=open_one, by=by,
                                          reason="The price is no longer above the council's usual cost")


@transaction.atomic
def plan_line_add_service(*, plan: SupportPlan, by: User, listing: ServiceListing | int | None, route: str,
                          quantity_per_week, outcomes: Iterable, starts_on: datetime.date,
                          ends_on: datetime.date | None = None, unit: str | None = None,
                          agreed_price_pence: int | None = None,
                          package_response: PackageResponse | None = None) -> PlanLine:
    """Add a published service of an approved, in-date organisation to the plan.

    The listed price is the current rate card's contract rate, or its direct-payment rate on a
    direct-payment route [H V]; the agreed price is the listed one unless given (a chosen care
    package offer gives its price). ``unit`` chooses the rate card when the service has more than
    one current price. When the agreed price is above the council's reference rate a negotiation
    opens [H V(e)].

    Raises ``PermissionDenied`` and ``ValidationError`` as :func:`editable_plan_or_error`, and
    ``ValidationError`` keyed by argument for: an unknown, unpublished or draft service, or one
    whose organisation is not approved and in date (``listing``); no current price, or none for
    ``unit`` (``unit``); an unknown route; a quantity that is not a number above 0 with up to two
    decimal places; outcomes not of this plan; missing or back-to-front dates; an agreed price
    that is not whole pence above 0; a care package offer that is not for this plan and service or
    is already on a line.
    """
    locked = editable_plan_or_error(plan, by=by)
    errors = {}
    pk = listing.pk if isinstance(listing, ServiceListing) else listing
    listing = None
    if isinstance(pk, int) and not isinstance(pk, bool):
        listing = (ServiceListing.objects.select_related("organisation__accreditation", "category")
                   .filter(pk=pk).first())
    reason = listing_unavailable_reason(listing)
    if reason:
        errors["listing"] = reason
    if route not in DeploymentRoute.values:
        errors["route"] = "Choose how the money for this line is paid"
    quantity = _quantity(quantity_per_week)
    if quantity is None:
        errors["quantity_per_week"] = QUANTITY_MESSAGE
    chosen = _plan_outcomes(locked, outcomes, errors)
    _dates(errors, starts_on, ends_on)
    if agreed_price_pence is not None and _pence(agreed_price_pence) is None:
        errors["agreed_price_pence"] = "Enter the agreed price in whole pence, more than 0"
    card = None
    if not reason:
        cards = current_rate_cards(listing)
        if unit:
            card = cards.get(unit)
            if card is None:
                label = RateUnit(unit).label if unit in RateUnit.values else "that unit"
                errors["unit"] = f"{listing.title} has no price {label} at the moment: choose another"
        elif len(cards) == 1:
            card = next(iter(cards.values()))
        elif not cards:
            errors["listing"] = f"{listing.title} has no price at the moment: choose another service"
        else:
            errors["unit"] = "Choose which of the service’s prices the line uses (per hour, per visit…)"
    if package_response is not None:
        response = PackageResponse.objects.select_related("request").filter(pk=package_response.pk).first()
        if response is None or response.request.plan_id != locked.pk or response.listing_id != getattr(listing, "pk",
                                                                                                        None):
            errors["package_response"] = "The care package offer is not for this plan and service"
        elif PlanLine.objects.filter(package_response=response).exists():
            errors["package_response"] = "The care package offer is already on the plan"
        package_response = response
    if errors:
        raise ValidationError(errors)
    listed = _listed_price(card, route)
    line = PlanLine.objects.create(
        plan=locked, kind=LineKind.SERVICE, listing=listing, rate_card=card, unit=card.unit,
        quantity_per_week=quantity, listed_price_pence=listed,
        agreed_price_pence=agreed_price_pence if agreed_price_pence is not None else listed, route=route,
        starts_on=starts_on, ends_on=ends_on, package_response=package_response,
        position=_next_position(locked.lines.all()))
    line.outcomes.set(chosen)
    _audit(by, "planline.added", line, locked, after=_line_snapshot(line, [o.pk for o in chosen]))
    _open_negotiation_if_above_reference(line, by)
    return line


@transaction.atomic
def plan_line_add_assistant(*, plan: SupportPlan, by: User, assistant_name: str, description: str, quantity_per_week,
                            price_pence: int, route: str, live_in_relative: bool, dbs_check: str, outcomes: Iterable,
                            starts_on: datetime.date, ends_on: datetime.date | None = None) -> PlanLine:
    """Add a personal assistant the person employs with a direct payment, paid ``price_pence`` an
    hour. Whether they are a relative living in the same household is recorded (a direct payment
    may not pay one without an exception [H IV(a)]), and whether a DBS check was asked for
    [K §8(1)].

    Raises ``PermissionDenied`` and ``ValidationError`` as :func:`editable_plan_or_error`, and
    ``ValidationError`` keyed by argument for: a route that is not a direct payment, no name, a
    quantity or hourly rate that is not above 0, live-in relative not yes or no, an unknown DBS
    check state, outcomes not of this plan, or missing or back-to-front dates.
    """
    locked = editable_plan_or_error(plan, by=by)
    errors = {}
    name, description = _text(assistant_name), _text(description)
    if not name:
        errors["assistant_name"] = "Enter the personal assistant’s name"
    elif len(name) > TEXT_LIMITS["assistant_name"]:
        errors["assistant_name"] = "The name must be 200 characters or fewer"
    if len(description) > TEXT_LIMITS["description"]:
        errors["description"] = "What they do must be 200 characters or fewer"
    if route not in DIRECT_PAYMENT_ROUTES:
        errors["route"] = "A personal assistant is paid by direct payment: choose a direct payment"
    quantity = _quantity(quantity_per_week)
    if quantity is None:
        errors["quantity_per_week"] = "Enter the hours a week as a number more than 0, like 7.5"
    if _pence(price_pence) is None:
        errors["price_pence"] = "Enter the hourly rate in pounds and pence, more than £0"
    if not isinstance(live_in_relative, bool):
        errors["live_in_relative"] = "Say whether the assistant is a relative who lives with the person"
    if dbs_check not in DbsCheck.values:
        errors["dbs_check"] = "Choose whether a DBS check has been asked for"
    chosen = _plan_outcomes(locked, outcomes, errors)
    _dates(errors, starts_on, ends_on)
    if errors:
        raise ValidationError(errors)
    line = PlanLine.objects.create(
        plan=locked, kind=LineKind.PERSONAL_ASSISTANT, assistant_name=name, description=description,
        unit=RateUnit.HOUR, quantity_per_week=quantity, listed_price_pence=price_pence,
        agreed_price_pence=price_pence, route=route, live_in_relative=live_in_relative, dbs_check=dbs_check,
        starts_on=starts_on, ends_on=ends_on, position=_next_position(locked.lines.all()))
    line.outcomes.set(chosen)
    _audit(by, "planline.added", line, locked, after=_line_snapshot(line, [o.pk for o in chosen]))
    return line


@transaction.atomic
def plan_line_update(*, line: PlanLine, by: User, **fields) -> PlanLine:
    """Change a line: ``quantity_per_week``, ``route``, ``outcomes``, ``starts_on``, ``ends_on``;
    for a personal assistant also ``assistant_name``, ``description``, ``live_in_relative``,
    ``dbs_check`` and ``price_pence``. Fields not named keep what they had.

    A new route re-prices a service line from its rate card (direct-payment rate or contract
    rate); the agreed price follows unless it was settled — agreed in a negotiation, or offered in
    answer to a care package request. A new price above the reference rate opens a negotiation,
    and one that is no longer above it ends the open one.

    Raises ``TypeError`` for another keyword; ``PermissionDenied`` and ``ValidationError`` as
    :func:`editable_plan_or_error`; ``ValidationError`` keyed by field as
    :func:`plan_line_add_service` and :func:`plan_line_add_assistant`.
    """
    allowed = set(LINE_FIELDS) | (set(ASSISTANT_FIELDS) | {"price_pence"}
                                  if line.kind == LineKind.PERSONAL_ASSISTANT else set())
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"plan_line_update() cannot change {', '.join(sorted(unknown))} on this line")
    locked_plan = editable_plan_or_error(line.plan, by=by)
    line = (PlanLine.objects.select_for_update(of=("self",)).select_related("listing", "rate_card")
            .get(pk=line.pk, plan=locked_plan))
    before_outcomes = sorted(line.outcomes.values_list("pk", flat=True))
    before = _line_snapshot(line, before_outcomes)
    errors = {}
    chosen = None
    if "quantity_per_week" in fields:
        quantity = _quantity(fields["quantity_per_week"])
        if quantity is None:
            errors["quantity_per_week"] = QUANTITY_MESSAGE
        else:
            line.quantity_per_week = quantity
    if "route" in fields:
        route = fields["route"]
        if line.kind == LineKind.PERSONAL_ASSISTANT and route not in DIRECT_PAYMENT_ROUTES:
            errors["route"] = "A personal assistant is paid by direct payment: choose a direct payment"
        elif route not in DeploymentRoute.values:
            errors["route"] = "Choose how the money for this line is paid"
        elif route != line.route:
            line.route = route
            if line.kind == LineKind.SERVICE:
                line.listed_price_pence = _listed_price(line.rate_card, route)
                if not _price_settled(line):
                    line.agreed_price_pence = line.listed_price_pence
    if "outcomes" in fields:
        chosen = _plan_outcomes(locked_plan, fields["outcomes"], errors)
    line.starts_on = fields.get("starts_on", line.starts_on)
    line.ends_on = fields.get("ends_on", line.ends_on)
    if "starts_on" in fields or "ends_on" in fields:
        _dates(errors, line.starts_on, line.ends_on)
    if line.kind == LineKind.PERSONAL_ASSISTANT:
        _assistant_updates(line, fields, errors)
    if errors:
        raise ValidationError(errors)
    line.save()
    if chosen is not None:
        line.outcomes.set(chosen)
    after_outcomes = [o.pk for o in chosen] if chosen is not None else before_outcomes
    after = _line_snapshot(line, after_outcomes)
    changed = {key for key in after if after[key] != before[key]}
    if changed:
        _audit(by, "planline.updated", line, locked_plan, before={key: before[key] for key in sorted(changed)},
               after={key: after[key] for key in sorted(changed)})
    if line.kind == LineKind.SERVICE and before["agreed_price_pence"] != line.agreed_price_pence:
        _open_negotiation_if_above_reference(line, by)
    return line


def _price_settled(line: PlanLine) -> bool:
    """Whether the line's agreed price was settled with the provider, so a new route must not
    undo it: agreed in a negotiation, or the price of a chosen care package offer."""
    negotiation = latest_negotiation(line)
    return line.package_response_id is not None or (
        negotiation is not None and negotiation.status == NegotiationStatus.AGREED)


def _assistant_updates(line: PlanLine, fields: dict, errors: dict) -> None:
    if "assistant_name" in fields:
        name = _text(fields["assistant_name"])
        if not name:
            errors["assistant_name"] = "Enter the personal assistant’s name"
        elif len(name) > TEXT_LIMITS["assistant_name"]:
            errors["assistant_name"] = "The name must be 200 characters or fewer"
        line.assistant_name = name
    if "description" in fields:
        description = _text(fields["description"])
        if len(description) > TEXT_LIMITS["description"]:
            errors["description"] = "What they do must be 200 characters or fewer"
        line.description = description
    if "live_in_relative" in fields:
        if not isinstance(fields["live_in_relative"], bool):
            errors["live_in_relative"] = "Say whether the assistant is a relative who lives with the person"
        else:
            line.live_in_relative = fields["live_in_relative"]
    if "dbs_check" in fields:
        if fields["dbs_check"] not in DbsCheck.values:
            errors["dbs_check"] = "Choose whether a DBS check has been asked for"
        else:
            line.dbs_check = fields["dbs_check"]
    if "price_pence" in fields:
        if _pence(fields["price_pence"]) is None:
            errors["price_pence"] = "Enter the hourly rate in pounds and pence, more than £0"
        else:
            line.listed_price_pence = line.agreed_price_pence = fields["price_pence"]


@transaction.atomic
def plan_line_remove(*, line: PlanLine, by: User) -> None:
    """Take a line off the plan. An open negotiation about it is withdrawn first, so the provider
    is told. Raises as :func:`editable_plan_or_error`."""
    from brokerage.services import negotiations

    locked_plan = editable_plan_or_error(line.plan, by=by)
    line = PlanLine.objects.select_for_update().get(pk=line.pk, plan=locked_plan)
    open_one = line.negotiations.filter(status=NegotiationStatus.OPEN).first()
    if open_one is not None:
        negotiations.negotiation_withdraw(negotiation=open_one, by=by, reason="The line was removed from the plan")
    _audit(by, "planline.removed", line, locked_plan,
           before=_line_snapshot(line, line.outcomes.values_list("pk", flat=True)))
    line.delete()


# Submission -------------------------------------------------------------------------------------

@transaction.atomic
def plan_submit(*, plan: SupportPlan, by: User) -> SupportPlan:
    """Send a draft (or returned) plan to the council for sign-off once it passes every check.

    Raises ``PermissionDenied`` unless ``by`` is a broker of the person's brokerage (with their
    consent to share) or a contract officer; ``ValidationError`` saying it has already been sent
    when it is waiting for sign-off (a second click changes nothing); ``ValidationError`` saying
    what to do for a plan that is decided; and ``ValidationError`` listing, in plain words, every
    problem :func:`brokerage.checks.plan_checks` finds.
    """
    from brokerage.selectors import with_plan_details

    _require_case_worker(by, plan.person)
    locked = SupportPlan.objects.select_for_update().get(pk=plan.pk)
    if locked.status == PlanStatus.SUBMITTED:
        raise ValidationError(ALREADY_SUBMITTED)
    if locked.status not in PLAN_EDITABLE_STATUSES:
        raise ValidationError(plan_not_editable_message(locked))
    detailed = with_plan_details(SupportPlan.objects.filter(pk=locked.pk)).get()
    problems = plan_checks(detailed)
    if problems:
        raise ValidationError([problem.message for problem in problems])

    def stamp(row: SupportPlan) -> None:
        row.submitted_at, row.submitted_by = timezone.now(), by

    return transition(locked, PlanStatus.SUBMITTED, by=by, apply=stamp,
                      organisation=detailed.person.broker_organisation)

