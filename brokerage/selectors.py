"""Reads of people's records, and who may see them."""

from django.db.models import Q, QuerySet

from brokerage.constants import RasVersionStatus
from brokerage.models import Assessment, PersonalBudget, Person, RasVersion, ReablementEpisode
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

def _of_visible_people(user: User, queryset: QuerySet) -> QuerySet:
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if is_council_officer(user):
        return queryset
    return queryset.filter(person__in=visible_to(user, Person.objects.all()).values("pk"))


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
