"""Reads of people's records, and who may see them."""

from django.db.models import Q, QuerySet

from brokerage.models import Person
from marketplace.constants import Role
from marketplace.models import User
from marketplace.permissions import is_council_officer, organisation_ids
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
