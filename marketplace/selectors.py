"""Reads of the shared core, and the visibility rules for its models."""

from django.db.models import Q, QuerySet

from marketplace.constants import Role
from marketplace.models import Membership, User
from marketplace.permissions import is_council_officer, organisation_ids
from marketplace.scoping import scope_rule, visible_to


@scope_rule(Membership)
def _memberships(user: User, queryset: QuerySet) -> QuerySet:
    """Council officers see every membership; provider administrators their own organisation's;
    anyone else only their own."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if is_council_officer(user):
        return queryset
    return queryset.filter(Q(user=user) | Q(organisation_id__in=organisation_ids(user, Role.PROVIDER_ADMIN)))


def memberships_visible_to(user: User) -> QuerySet:
    return visible_to(user, Membership.objects.select_related("user", "organisation"))
