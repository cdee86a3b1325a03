"""Writes to the shared core: organisations, users and memberships."""

from django.contrib.auth.models import Group
from django.db import transaction

from marketplace import audit
from marketplace.constants import ROLE_GROUPS, Role
from marketplace.models import Membership, Organisation, User
from marketplace.permissions import forget_grants


@transaction.atomic
def organisation_create(*, by: User | None, name: str, slug: str, is_council: bool = False,
                        is_provider: bool = False, is_broker: bool = False, **details) -> Organisation:
    """Create an organisation. Raises ``ValidationError`` if it has no kind or the slug is taken."""
    organisation = Organisation(name=name, slug=slug, is_council=is_council, is_provider=is_provider,
                                is_broker=is_broker, **details)
    organisation.full_clean()
    organisation.save()
    audit.record(actor=by, verb="organisation.create", target=organisation,
                 after=audit.snapshot(organisation, ["name", "slug", "is_council", "is_provider", "is_broker"]))
    return organisation


@transaction.atomic
def membership_grant(*, by: User | None, user: User, organisation: Organisation, role: Role | str,
                     reason: str = "") -> Membership:
    """Give ``user`` a role in ``organisation`` and the matching permission group.

    Granting a role the user already holds changes nothing. Raises ``ValidationError`` when the
    role does not fit the organisation (a provider role in the council, say).
    """
    membership = Membership.objects.filter(user=user, organisation=organisation, role=role).first()
    if membership:
        return membership
    membership = Membership(user=user, organisation=organisation, role=role)
    membership.full_clean()
    membership.save()
    group, _ = Group.objects.get_or_create(name=ROLE_GROUPS[Role(role)])
    user.groups.add(group)
    forget_grants(user)
    audit.record(actor=by, verb="membership.grant", target=membership, organisation=organisation,
                 after={"user": user.pk, "role": str(role)}, reason=reason)
    return membership


@transaction.atomic
def membership_revoke(*, by: User | None, membership: Membership, reason: str) -> None:
    """Remove a role; the permission group goes too unless another membership still needs it."""
    user, role = membership.user, membership.role
    audit.record(actor=by, verb="membership.revoke", target=membership, organisation=membership.organisation,
                 before={"user": user.pk, "role": role}, reason=reason)
    membership.delete()
    if not Membership.objects.filter(user=user, role=role).exists():
        user.groups.remove(*Group.objects.filter(name=ROLE_GROUPS[Role(role)]))
    forget_grants(user)
