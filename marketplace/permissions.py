"""Who a user is for each organisation, asked the same way everywhere.

A user's memberships are read once per request object and kept on it, so permission checks do
not add queries as a page grows.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

from marketplace.constants import COUNCIL_ROLES, Role
from marketplace.models import Membership, User


@dataclass(frozen=True)
class Grant:
    organisation_id: int
    role: str


def grants(user: User) -> frozenset[Grant]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_grants_cache", None)
    if cached is None:
        cached = frozenset(
            Grant(org_id, role) for org_id, role in Membership.objects.filter(user=user).values_list("organisation_id", "role")
        )
        user._grants_cache = cached
    return cached


def forget_grants(user: User) -> None:
    """Call after changing a user's memberships within the same request."""
    user.__dict__.pop("_grants_cache", None)


def has_role(user: User, *roles: str) -> bool:
    return any(grant.role in roles for grant in grants(user))


def organisation_ids(user: User, *roles: str) -> set[int]:
    """Organisations in which the user holds any of ``roles`` (any role when none given)."""
    return {grant.organisation_id for grant in grants(user) if not roles or grant.role in roles}


def is_council_staff(user: User) -> bool:
    return has_role(user, *COUNCIL_ROLES)


def is_council_officer(user: User) -> bool:
    """Contract and finance officers: they see every organisation's records to do their jobs."""
    return has_role(user, Role.CONTRACT_OFFICER, Role.FINANCE_OFFICER)


def require_role(user: User, *roles: str, organisation_id: int | None = None) -> None:
    """Raise ``PermissionDenied`` unless ``user`` holds one of ``roles`` (in ``organisation_id`` if given)."""
    held = any(grant.role in roles and (organisation_id is None or grant.organisation_id == organisation_id)
               for grant in grants(user))
    if not held:
        raise PermissionDenied("You do not have permission to do that.")


def require_member(user: User, organisation_id: int) -> None:
    """Raise ``PermissionDenied`` unless ``user`` works for the organisation."""
    if organisation_id not in organisation_ids(user):
        raise PermissionDenied("You do not have permission to do that.")
