import pytest
from django.core.exceptions import ValidationError

from marketplace.constants import Role
from marketplace.models import AuditEvent, Membership
from marketplace.services import membership_grant, membership_revoke
from tests.marketplace.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_provider_role_cannot_be_held_in_the_council(council):
    with pytest.raises(ValidationError, match="Provider roles"):
        membership_grant(by=None, user=UserFactory(), organisation=council, role=Role.PROVIDER_STAFF)
    assert not Membership.objects.exists()


def test_a_council_role_cannot_be_held_in_a_provider(provider_org):
    with pytest.raises(ValidationError, match="Council roles"):
        membership_grant(by=None, user=UserFactory(), organisation=provider_org, role=Role.FINANCE_OFFICER)


def test_granting_twice_changes_nothing_and_is_audited_once(council):
    user = UserFactory()
    first = membership_grant(by=None, user=user, organisation=council, role=Role.CONTRACT_OFFICER)
    second = membership_grant(by=None, user=user, organisation=council, role=Role.CONTRACT_OFFICER)
    assert first == second
    assert AuditEvent.objects.filter(verb="membership.grant").count() == 1


def test_council_officers_can_enter_the_council_console_and_providers_cannot(client, council, provider_org,
                                                                              make_member):
    officer = make_member(Role.CONTRACT_OFFICER, council)
    provider = make_member(Role.PROVIDER_STAFF, provider_org)
    client.force_login(officer)
    assert client.get("/admin/").status_code == 200
    client.force_login(provider)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_revoking_removes_the_role_and_its_group(council, make_member, client):
    officer = make_member(Role.FINANCE_OFFICER, council)
    membership = officer.memberships.get()
    membership_revoke(by=None, membership=membership, reason="Left the council")
    assert not officer.groups.exists()
    assert AuditEvent.objects.filter(verb="membership.revoke", reason="Left the council").count() == 1
    client.force_login(officer)
    assert client.get("/admin/").status_code == 302


def test_one_organisation_can_be_both_provider_and_broker(make_member):
    from tests.marketplace.factories import OrganisationFactory

    both = OrganisationFactory(is_provider=True, is_broker=True)
    planner = make_member(Role.BROKER, both)
    carer = make_member(Role.PROVIDER_STAFF, both)
    assert both.kinds == ["provider", "broker"]
    assert {m.role for m in Membership.objects.filter(organisation=both)} == {Role.BROKER, Role.PROVIDER_STAFF}


def test_an_organisation_must_be_of_some_kind():
    from django.db import IntegrityError

    from tests.marketplace.factories import OrganisationFactory

    with pytest.raises(IntegrityError):
        OrganisationFactory(is_council=False, is_provider=False, is_broker=False)
