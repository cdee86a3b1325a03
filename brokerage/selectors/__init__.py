"""Reads of people's records, and who may see them."""

from django.db.models import Q, QuerySet

from brokerage.constants import RasVersionStatus
from brokerage.models import (
    ApprovalLimit,
    Assessment,
    BudgetTransition,
    DirectPaymentReview,
    Negotiation,
    NegotiationOffer,
    PackageRequest,
    PackageResponse,
    PersonalBudget,
    Person,
    PlanLine,
    PlanOutcome,
    PlanRisk,
    RasVersion,
    ReablementEpisode,
    SupportPlan,
)
from marketplace.constants import PROVIDER_ROLES
from marketplace.constants import Role
from marketplace.models import User
from marketplace.permissions import has_role, is_council_officer, is_council_staff, organisation_ids
from marketplace.scoping import scope_rule, visible_to


@scope_rule(Person)
def _people(user: User, queryset: QuerySet) -> QuerySet:
    """Council officers see everyone; a broker sees the people who chose their organisation and
    consented to share; a person sees themselves and anyone they represent."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if is_council_officer(user):
        return queryset
    brokered = Q(broker_organisation_id__in=organisation_ids(user, Role.BROKER), consent_to_share=True)
    return queryset.filter(brokered | Q(user=user) | Q(representative=user))


def people_visible_to(user: User) -> QuerySet:
    return visible_to(user, Person.objects.select_related("broker_organisation"))


# Assessments, budgets and reablement: visible when the person is --------------------------------

def _of_visible_people(user: User, queryset: QuerySet, path: str = "person") -> QuerySet:
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if is_council_officer(user):
        return queryset
    return queryset.filter(**{f"{path}__in": visible_to(user, Person.objects.all()).values("pk")})


@scope_rule(Assessment)
def _assessments(user: User, queryset: QuerySet) -> QuerySet:
    """An assessment is seen by whoever may see the person."""
    return _of_visible_people(user, queryset)


@scope_rule(PersonalBudget)
def _budgets(user: User, queryset: QuerySet) -> QuerySet:
    """A budget is seen by whoever may see the person."""
    return _of_visible_people(user, queryset)


@scope_rule(ReablementEpisode)
def _reablement(user: User, queryset: QuerySet) -> QuerySet:
    """A spell of reablement is seen by whoever may see the person."""
    return _of_visible_people(user, queryset)


# Support plans and what hangs off them: seen by whoever may see the person ---------------------

@scope_rule(SupportPlan)
def _plans(user: User, queryset: QuerySet) -> QuerySet:
    """A plan is seen by whoever may see the person (their broker, officers, the person and their
    representative). Providers never see a plan; they see their own negotiations and offers."""
    return _of_visible_people(user, queryset)


@scope_rule(PlanOutcome)
def _plan_outcomes(user: User, queryset: QuerySet) -> QuerySet:
    return _of_visible_people(user, queryset, "plan__person")


@scope_rule(PlanLine)
def _plan_lines(user: User, queryset: QuerySet) -> QuerySet:
    return _of_visible_people(user, queryset, "plan__person")


@scope_rule(PlanRisk)
def _plan_risks(user: User, queryset: QuerySet) -> QuerySet:
    return _of_visible_people(user, queryset, "plan__person")


@scope_rule(BudgetTransition)
def _budget_transitions(user: User, queryset: QuerySet) -> QuerySet:
    return _of_visible_people(user, queryset)


@scope_rule(DirectPaymentReview)
def _dp_reviews(user: User, queryset: QuerySet) -> QuerySet:
    return _of_visible_people(user, queryset)


def _provider_ids(user: User) -> set[int]:
    return organisation_ids(user, *PROVIDER_ROLES)


@scope_rule(Negotiation)
def _negotiations(user: User, queryset: QuerySet) -> QuerySet:
    """The purchaser's side (whoever may see the person) and the provider negotiated with — the
    provider's pages show the service, the quantity and the prices, never the person."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if is_council_officer(user):
        return queryset
    people = visible_to(user, Person.objects.all()).values("pk")
    return queryset.filter(Q(line__plan__person__in=people) | Q(provider_id__in=_provider_ids(user)))


@scope_rule(NegotiationOffer)
def _negotiation_offers(user: User, queryset: QuerySet) -> QuerySet:
    return queryset.filter(negotiation__in=visible_to(user, Negotiation.objects.all()).values("pk"))


@scope_rule(PackageRequest)
def _package_requests(user: User, queryset: QuerySet) -> QuerySet:
    """The broker's side through the person; a provider sees the requests sent to it (which hold
    nothing that identifies the person — its pages must not show ``person`` or ``plan``)."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if is_council_officer(user):
        return queryset
    people = visible_to(user, Person.objects.all()).values("pk")
    sent_to_me = PackageResponse.objects.filter(provider_id__in=_provider_ids(user)).values("request_id")
    return queryset.filter(Q(person__in=people) | Q(pk__in=sent_to_me))


@scope_rule(PackageResponse)
def _package_responses(user: User, queryset: QuerySet) -> QuerySet:
    """A provider sees its own answers; the broker sees every answer to their person's request."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if is_council_officer(user):
        return queryset
    people = visible_to(user, Person.objects.all()).values("pk")
    return queryset.filter(Q(request__person__in=people) | Q(provider_id__in=_provider_ids(user)))


@scope_rule(ApprovalLimit)
def _approval_limits(user: User, queryset: QuerySet) -> QuerySet:
    """Council staff see every officer's limit; nobody else sees any."""
    return queryset if is_council_staff(user) else queryset.none()


@scope_rule(RasVersion)
def _ras_versions(user: User, queryset: QuerySet) -> QuerySet:
    """Council staff see every version, drafts too; brokers see the versions in use and retired
    (the budgets they work with point at them); nobody else sees any."""
    if is_council_staff(user):
        return queryset
    if has_role(user, Role.BROKER):
        return queryset.exclude(status=RasVersionStatus.DRAFT)
    return queryset.none()


def assessments_for(person: Person) -> QuerySet:
    """A person's assessments, newest first, with their scores and assessor."""
    return (Assessment.objects.filter(person=person).select_related("assessed_by")
            .prefetch_related("scores"))


def budgets_for(person: Person) -> QuerySet:
    """A person's budgets, newest first, with the RAS version and assessment that made each."""
    return (PersonalBudget.objects.filter(person=person)
            .select_related("ras_version", "assessment", "created_by"))


def reablement_for(person: Person) -> QuerySet:
    """A person's spells of reablement, latest first."""
    return ReablementEpisode.objects.filter(person=person).select_related("created_by")


def active_ras_versions() -> QuerySet:
    """The RAS versions in use (one per method), with their tables."""
    return (RasVersion.objects.filter(status=RasVersionStatus.ACTIVE)
            .prefetch_related("points", "factors", "typical_services__category"))


def ras_versions_with_tables() -> QuerySet:
    """Every RAS version, drafts too, with their tables (council staff pages)."""
    return RasVersion.objects.prefetch_related("points", "factors", "typical_services__category")


def with_plan_details(queryset: QuerySet) -> QuerySet:
    """Plans with everything their costing and checks read, so a plan page's queries stay flat
    however many lines it has (see :mod:`brokerage.checks`)."""
    from django.db.models import Prefetch

    lines = (PlanLine.objects.select_related("listing__organisation__accreditation", "listing__category", "rate_card")
             .prefetch_related("outcomes", Prefetch("negotiations", queryset=Negotiation.objects.order_by("-opened_at", "-pk"))))
    return (queryset.select_related("person__broker_organisation", "indicative_budget", "agreed_budget", "previous",
                                    "created_by", "submitted_by", "decided_by")
            .prefetch_related(Prefetch("lines", queryset=lines), "outcomes", "risks"))
