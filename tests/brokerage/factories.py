import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from brokerage.constants import (
    DIRECT_PAYMENT_ROUTES,
    AssessmentStatus,
    BudgetKind,
    ClientGroup,
    DeploymentRoute,
    LineKind,
    NeedDomain,
    NegotiationReason,
    RasMethod,
    RasVersionStatus,
)
from brokerage.models import (
    Assessment,
    Negotiation,
    NeedScore,
    PersonalBudget,
    Person,
    PlanLine,
    PlanOutcome,
    PlanRisk,
    RasClientGroupFactor,
    RasPoints,
    RasTypicalService,
    RasVersion,
    SupportPlan,
)
from providers.constants import RateUnit
from providers.models import ServiceCategory
from tests.marketplace.factories import BrokerOrganisationFactory, UserFactory


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    reference = factory.Sequence(lambda n: f"T{n:06d}")
    first_name = factory.Sequence(lambda n: f"Person{n}")
    last_name = "Example"
    date_of_birth = datetime.date(1948, 5, 17)
    postcode = "E8 3QP"
    client_group = ClientGroup.OLDER_PERSON
    broker_organisation = factory.SubFactory(BrokerOrganisationFactory)
    consent_to_share = True


# Assessments, RAS versions and budgets -----------------------------------------------------------
# Factories build rows directly; tests of the rules go through the services.

class AssessmentDraftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    person = factory.SubFactory(PersonFactory)
    status = AssessmentStatus.DRAFT
    assessed_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=3))
    assessed_by = factory.SubFactory(UserFactory)
    summary = "I want to stay in my own home and see my grandchildren."


class AssessmentCompletedFactory(AssessmentDraftFactory):
    """Completed, with a level for every domain: ``levels={"personal_care": 3, …}``, others 0."""

    class Meta:
        skip_postgeneration_save = True

    status = AssessmentStatus.COMPLETED
    completed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def levels(obj, create, extracted, **kwargs):
        if not create:
            return
        chosen = dict(extracted or {})
        NeedScore.objects.bulk_create(NeedScore(assessment=obj, domain=domain, level=chosen.get(domain, 0))
                                      for domain in NeedDomain.values)


def _next_number(method):
    return (RasVersion.objects.filter(method=method).order_by("-number").values_list("number", flat=True)
            .first() or 0) + 1


def _retire_active(method):
    RasVersion.objects.filter(method=method, status=RasVersionStatus.ACTIVE).update(status=RasVersionStatus.RETIRED)


def points_version(*, status=RasVersionStatus.ACTIVE, pence_per_point=275, points=(0, 4, 9, 15), factors=None):
    """A points version with the same points per level in every domain (``points`` for levels
    0–3) and a factor per client group (``factors``, default 1 for every group). An active one
    retires the version in use first."""
    if status == RasVersionStatus.ACTIVE:
        _retire_active(RasMethod.POINTS)
    version = RasVersion.objects.create(method=RasMethod.POINTS, number=_next_number(RasMethod.POINTS),
                                        name="Test points", status=status, pence_per_point=pence_per_point)
    RasPoints.objects.bulk_create(RasPoints(version=version, domain=domain, level=level, points=value)
                                  for domain in NeedDomain.values for level, value in enumerate(points))
    factors = {group: Decimal("1") for group in ClientGroup.values} | dict(factors or {})
    RasClientGroupFactor.objects.bulk_create(RasClientGroupFactor(version=version, client_group=group,
                                                                  factor=Decimal(factor))
                                             for group, factor in factors.items())
    return version


def cost_version(*, status=RasVersionStatus.ACTIVE, rows=()):
    """A cost version with ``rows`` of ``(domain, level, category slug, unit, quantity)``."""
    if status == RasVersionStatus.ACTIVE:
        _retire_active(RasMethod.COST)
    version = RasVersion.objects.create(method=RasMethod.COST, number=_next_number(RasMethod.COST),
                                        name="Test cost", status=status)
    categories = dict(ServiceCategory.objects.values_list("slug", "pk"))
    RasTypicalService.objects.bulk_create(
        RasTypicalService(version=version, domain=domain, level=level, category_id=categories[slug], unit=unit,
                          quantity_per_week=Decimal(quantity))
        for domain, level, slug, unit, quantity in rows)
    return version


# Support plans -----------------------------------------------------------------------------------
# Rows built directly, in the state their name says; tests of the rules go through the services.

class IndicativeBudgetFactory(factory.django.DjangoModelFactory):
    """An indicative budget of £400 a week (£40 of it the person's contribution), made by an
    active points version from a completed assessment."""

    class Meta:
        model = PersonalBudget

    person = factory.SubFactory(PersonFactory)
    kind = BudgetKind.INDICATIVE
    assessment = factory.SubFactory(AssessmentCompletedFactory, person=factory.SelfAttribute("..person"))
    ras_version = factory.LazyFunction(lambda: RasVersion.objects.filter(method=RasMethod.POINTS,
                                                                         status=RasVersionStatus.ACTIVE).first())
    weekly_total_pence = 40000
    weekly_contribution_pence = 4000
    weekly_council_pence = factory.LazyAttribute(lambda o: o.weekly_total_pence - o.weekly_contribution_pence)
    breakdown = factory.LazyFunction(list)
    created_by = factory.SubFactory(UserFactory)


class SupportPlanDraftFactory(factory.django.DjangoModelFactory):
    """A draft plan for a person, against an indicative budget of £400 a week; no outcomes, lines
    or risks (add them with the factories below, or use ``SupportPlanReadyFactory``)."""

    class Meta:
        model = SupportPlan

    person = factory.SubFactory(PersonFactory)
    indicative_budget = factory.SubFactory(IndicativeBudgetFactory, person=factory.SelfAttribute("..person"))
    starts_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=7))
    created_by = factory.SubFactory(UserFactory)


class PlanOutcomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanOutcome

    plan = factory.SubFactory(SupportPlanDraftFactory)
    text = "I want to get up, washed and dressed in the morning without rushing."
    domain = NeedDomain.PERSONAL_CARE


class PlanRiskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanRisk

    plan = factory.SubFactory(SupportPlanDraftFactory)
    risk = "Falls when getting out of the bath."
    who_is_affected = "The person"
    mitigation = "Two-handed support for bathing; bath board fitted."


def approved_listing(*, category=None, is_specialist=False, contract_rate_pence=2400, direct_payment_rate_pence=2000,
                     unit=RateUnit.HOUR, **listing_fields):
    """A published listing of an approved, in-date provider, with a current rate card; returns the
    rate card (its ``listing`` and ``listing.organisation`` are the rest)."""
    from tests.providers.factories import AccreditationApprovedFactory, RateCardFactory, ServiceListingPublishedFactory

    accreditation = AccreditationApprovedFactory()
    fields = {"organisation": accreditation.organisation, "is_specialist": is_specialist} | listing_fields
    if category is not None:
        fields["category"] = category
    listing = ServiceListingPublishedFactory(**fields)
    return RateCardFactory(listing=listing, unit=unit, contract_rate_pence=contract_rate_pence,
                           direct_payment_rate_pence=direct_payment_rate_pence)


class PlanLineFactory(factory.django.DjangoModelFactory):
    """A managed-budget line of 10 hours a week at £24.00 from an approved provider, serving the
    plan's first outcome (give ``outcomes=[…]`` to choose, ``outcomes=[]`` for none)."""

    class Meta:
        model = PlanLine
        skip_postgeneration_save = True

    plan = factory.SubFactory(SupportPlanDraftFactory)
    kind = LineKind.SERVICE
    rate_card = factory.LazyFunction(approved_listing)
    listing = factory.LazyAttribute(lambda o: o.rate_card.listing)
    unit = factory.LazyAttribute(lambda o: o.rate_card.unit)
    quantity_per_week = Decimal("10")
    route = DeploymentRoute.MANAGED_BUDGET
    listed_price_pence = factory.LazyAttribute(
        lambda o: o.rate_card.direct_payment_rate_pence if o.route in DIRECT_PAYMENT_ROUTES
        else o.rate_card.contract_rate_pence)
    agreed_price_pence = factory.LazyAttribute(lambda o: o.listed_price_pence)
    starts_on = factory.LazyAttribute(lambda o: o.plan.starts_on)

    @factory.post_generation
    def outcomes(obj, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            first = obj.plan.outcomes.first()
            extracted = [first] if first else []
        obj.outcomes.set(extracted)


class PersonalAssistantLineFactory(PlanLineFactory):
    """A direct-payment personal assistant, 8 hours a week at £15.00, not a live-in relative."""

    kind = LineKind.PERSONAL_ASSISTANT
    rate_card = None
    listing = None
    unit = RateUnit.HOUR
    route = DeploymentRoute.DIRECT_PAYMENT
    quantity_per_week = Decimal("8")
    listed_price_pence = 1500
    assistant_name = "Sam Carter"
    description = "Help to get to the allotment and the shops"


def plan_ready(*, person=None, weekly_hours="16", indicative_pence=40000, **plan_fields):
    """A draft plan that passes every check: one outcome, one risk with a mitigation, safeguarding
    considered, and one managed-budget line of ``weekly_hours`` × £24.00 (16 h = £384, within 10%
    of the £400 indicative budget)."""
    person = person or PersonFactory()
    budget = IndicativeBudgetFactory(person=person, weekly_total_pence=indicative_pence,
                                     weekly_contribution_pence=min(4000, indicative_pence))
    plan = SupportPlanDraftFactory(person=person, indicative_budget=budget, safeguarding_considered=True,
                                   **plan_fields)
    PlanOutcomeFactory(plan=plan)
    PlanRiskFactory(plan=plan)
    PlanLineFactory(plan=plan, quantity_per_week=Decimal(weekly_hours))
    return plan


class NegotiationOpenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Negotiation

    line = factory.SubFactory(PlanLineFactory)
    provider = factory.LazyAttribute(lambda o: o.line.listing.organisation)
    reason = NegotiationReason.ABOVE_REFERENCE
    listed_price_pence = factory.LazyAttribute(lambda o: o.line.listed_price_pence)
    reference_rate_pence = 2400
    provider_is_specialist = factory.LazyAttribute(lambda o: o.line.listing.is_specialist)
    deadline = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=10))
    opened_by = factory.SubFactory(UserFactory)
