import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from brokerage.constants import DeploymentRoute
from isf.constants import ContractStatus
from isf.models import ContractTerms, IsfContract
from isf.selectors.contracts import terms_on, weekly_amounts
from isf.services import (
    contract_accept,
    contract_decline,
    contract_end,
    contract_reinstate,
    contract_suspend,
    contracts_offer_for_plan,
    contribution_shares,
)
from marketplace.constants import Role
from marketplace.models import AuditEvent
from marketplace.transitions import InvalidTransition
from tests.brokerage.factories import PlanLineFactory
from tests.isf.factories_contracts import approve, isf_plan, next_version, offered_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(council, make_member):
    return make_member(Role.CONTRACT_OFFICER, council)


@pytest.fixture
def finance(council, make_member):
    return make_member(Role.FINANCE_OFFICER, council)


@pytest.fixture
def offered(officer):
    return offered_contract(officer)


@pytest.fixture
def staff(offered, make_member):
    return make_member(Role.PROVIDER_STAFF, offered.provider, email="staff@provider.example")


def _active(contract, staff):
    return contract_accept(contract=contract, by=staff)


# Offers -------------------------------------------------------------------------------------------

def test_an_approved_plan_offers_one_contract_per_isf_line(officer):
    plan = approve(isf_plan(lines=2), officer)
    contracts = contracts_offer_for_plan(plan=plan)
    assert len(contracts) == 2
    lines = list(plan.lines.order_by("pk"))
    for contract, line in zip(sorted(contracts, key=lambda c: c.pk), lines):
        assert contract.status == ContractStatus.OFFERED
        assert contract.reference == f"ISF-{contract.pk:06d}"
        assert (contract.person_id, contract.provider_id, contract.listing_id) == (
            plan.person_id, line.listing.organisation_id, line.listing_id)
        terms = contract.terms.get()
        assert (terms.plan_line_id, terms.weekly_pence, terms.effective_from) == (
            line.pk, line.agreed_price_pence * int(line.quantity_per_week), plan.starts_on)
        assert terms.outcomes == [outcome.text for outcome in line.outcomes.all()]
    assert AuditEvent.objects.filter(verb="isfcontract.offered").count() == 2


def test_lines_on_other_routes_offer_no_contract(officer):
    plan = isf_plan()
    PlanLineFactory(plan=plan, route=DeploymentRoute.MANAGED_BUDGET, quantity_per_week="1")
    plan = approve(plan, officer)
    assert len(contracts_offer_for_plan(plan=plan)) == 1
    assert IsfContract.objects.count() == 1


def test_a_plan_with_no_isf_line_offers_nothing(officer):
    from tests.brokerage.factories_signoff import submitted_plan

    plan = approve(submitted_plan(), officer)
    assert contracts_offer_for_plan(plan=plan) == []
    assert not IsfContract.objects.exists()


def test_offering_twice_changes_nothing(officer):
    plan = approve(isf_plan(), officer)
    contracts_offer_for_plan(plan=plan)
    assert contracts_offer_for_plan(plan=plan) == []
    assert (IsfContract.objects.count(), ContractTerms.objects.count()) == (1, 1)


def test_a_plan_not_approved_offers_nothing(officer):
    plan = isf_plan()
    assert contracts_offer_for_plan(plan=plan) == []


def test_the_provider_staff_are_emailed_an_offer_without_the_persons_name(officer, make_member,
                                                                          django_capture_on_commit_callbacks):
    plan = isf_plan()
    provider = plan.lines.get().listing.organisation
    make_member(Role.PROVIDER_STAFF, provider, email="staff@provider.example")
    plan = approve(plan, officer)
    with django_capture_on_commit_callbacks(execute=True):
        contract = contracts_offer_for_plan(plan=plan)[0]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["staff@provider.example"]
    assert contract.reference in message.subject
    assert f"/portal/{provider.pk}/contracts/{contract.pk}/" in message.body
    assert plan.person.first_name not in message.body and plan.person.reference not in message.body


# Weekly amounts: gross, contribution, net ---------------------------------------------------------

def test_the_contribution_is_shared_in_proportion_and_the_pennies_add_up():
    shares = contribution_shares(100, {1: 1000, 2: 1000, 3: 1000})
    assert shares == {1: 34, 2: 33, 3: 33}
    assert sum(contribution_shares(4001, {7: 38400, 8: 9600, 9: 1}).values()) == 4001
    assert contribution_shares(4000, {1: 30000, 2: 10000}) == {1: 3000, 2: 1000}


def test_the_contribution_is_never_more_than_the_isf_lines_cost():
    assert contribution_shares(5000, {1: 1200, 2: 800}) == {1: 1200, 2: 800}
    assert contribution_shares(0, {1: 1200}) == {1: 0}


def test_each_contract_shows_gross_contribution_and_net_that_add_up(officer):
    plan = approve(isf_plan(lines=3), officer)  # £384 + £96 + £96 a week; £40 contribution
    contracts = contracts_offer_for_plan(plan=plan)
    amounts = [weekly_amounts(contract.terms.get()) for contract in contracts]
    assert sum(a.contribution_pence for a in amounts) == plan.agreed_budget.weekly_contribution_pence == 4000
    assert sorted(a.contribution_pence for a in amounts) == [666, 667, 2667]  # leftover pennies to the first lines
    for a in amounts:
        assert a.net_pence == a.gross_pence - a.contribution_pence
    assert sum(a.net_pence for a in amounts) == 38400 + 9600 + 9600 - 4000


# Accept and decline -------------------------------------------------------------------------------

def test_the_providers_staff_accept_an_offer(offered, staff):
    contract = contract_accept(contract=offered, by=staff)
    assert contract.status == ContractStatus.ACTIVE
    assert contract.accepted_by == staff and contract.accepted_at is not None
    assert AuditEvent.objects.filter(verb="isfcontract.active", actor=staff).exists()


def test_accepting_twice_is_harmless(offered, staff):
    contract_accept(contract=offered, by=staff)
    assert contract_accept(contract=offered, by=staff).status == ContractStatus.ACTIVE
    assert AuditEvent.objects.filter(verb="isfcontract.active").count() == 1


def test_another_providers_staff_cannot_accept(offered, make_member):
    from tests.marketplace.factories import ProviderOrganisationFactory

    stranger = make_member(Role.PROVIDER_ADMIN, ProviderOrganisationFactory())
    with pytest.raises(PermissionDenied):
        contract_accept(contract=offered, by=stranger)


def test_a_broker_or_officer_cannot_accept(offered, officer, make_member):
    broker = make_member(Role.BROKER, offered.person.broker_organisation)
    for user in (broker, officer):
        with pytest.raises(PermissionDenied):
            contract_accept(contract=offered, by=user)
    offered.refresh_from_db()
    assert offered.status == ContractStatus.OFFERED


def test_declining_ends_the_offer_with_the_reason(offered, staff):
    contract = contract_decline(contract=offered, by=staff, reason="We have no carers in that area now.")
    assert contract.status == ContractStatus.ENDED
    assert contract.ended_reason == "We have no carers in that area now."
    assert contract.ended_at is not None


def test_declining_needs_a_reason(offered, staff):
    with pytest.raises(ValidationError) as error:
        contract_decline(contract=offered, by=staff, reason="  ")
    assert "reason" in error.value.message_dict


def test_an_active_contract_cannot_be_declined(offered, staff):
    _active(offered, staff)
    with pytest.raises(InvalidTransition):
        contract_decline(contract=offered, by=staff, reason="Changed our mind")


def test_an_officer_cannot_decline_for_the_provider(offered, officer):
    with pytest.raises(PermissionDenied):
        contract_decline(contract=offered, by=officer, reason="No")


# Suspend, reinstate, end --------------------------------------------------------------------------

def test_an_officer_suspends_with_a_reason_and_reinstates(offered, staff, finance):
    _active(offered, staff)
    contract = contract_suspend(contract=offered, by=finance, reason="Concerns about the records")
    assert (contract.status, contract.suspended_reason) == (ContractStatus.SUSPENDED, "Concerns about the records")
    contract = contract_reinstate(contract=offered, by=finance, reason="Records put right")
    assert (contract.status, contract.suspended_reason) == (ContractStatus.ACTIVE, "")
    reasons = list(AuditEvent.objects.filter(verb__in=["isfcontract.suspended", "isfcontract.active"])
                   .order_by("pk").values_list("reason", flat=True))
    assert reasons[-2:] == ["Concerns about the records", "Records put right"]


@pytest.mark.parametrize("service", [contract_suspend, contract_reinstate, contract_end])
def test_suspend_reinstate_and_end_need_a_reason(offered, staff, officer, service):
    _active(offered, staff)
    if service is contract_reinstate:
        contract_suspend(contract=offered, by=officer, reason="Checking")
    with pytest.raises(ValidationError) as error:
        service(contract=offered, by=officer, reason="")
    assert "reason" in error.value.message_dict


@pytest.mark.parametrize("service", [contract_suspend, contract_reinstate, contract_end])
def test_only_officers_suspend_reinstate_and_end(offered, staff, make_member, service):
    _active(offered, staff)
    broker = make_member(Role.BROKER, offered.person.broker_organisation)
    for user in (staff, broker):
        with pytest.raises(PermissionDenied):
            service(contract=offered, by=user, reason="Because")


def test_the_provider_cannot_lift_a_suspension_by_accepting(offered, staff, officer):
    _active(offered, staff)
    contract_suspend(contract=offered, by=officer, reason="Checking")
    with pytest.raises(InvalidTransition):
        contract_accept(contract=offered, by=staff)


def test_ending_records_the_reason_and_the_last_day(offered, staff, officer):
    _active(offered, staff)
    last_day = offered.starts_on + datetime.timedelta(days=30)
    contract = contract_end(contract=offered, by=officer, reason="The person moved away", ends_on=last_day)
    assert (contract.status, contract.ends_on, contract.ended_reason) == (
        ContractStatus.ENDED, last_day, "The person moved away")


def test_a_contract_cannot_end_before_it_starts(offered, officer):
    with pytest.raises(ValidationError) as error:
        contract_end(contract=offered, by=officer, reason="Wrong",
                     ends_on=offered.starts_on - datetime.timedelta(days=1))
    assert "ends_on" in error.value.message_dict


@pytest.mark.parametrize("start, move, allowed", [
    ("offered", "accept", True), ("offered", "decline", True), ("offered", "suspend", False),
    ("offered", "reinstate", False), ("offered", "end", True),
    ("active", "accept", True), ("active", "decline", False), ("active", "suspend", True),
    ("active", "reinstate", False), ("active", "end", True),
    ("suspended", "accept", False), ("suspended", "decline", False), ("suspended", "suspend", True),
    ("suspended", "reinstate", True), ("suspended", "end", True),
    ("ended", "accept", False), ("ended", "decline", False), ("ended", "suspend", False),
    ("ended", "reinstate", False), ("ended", "end", False),
])
def test_every_transition_is_allowed_or_refused(offered, staff, officer, start, move, allowed):
    """Accepting an active contract and suspending a suspended one are harmless repeats."""
    if start in ("active", "suspended"):
        _active(offered, staff)
    if start == "suspended":
        contract_suspend(contract=offered, by=officer, reason="Checking")
    if start == "ended":
        contract_end(contract=offered, by=officer, reason="Finished")
    calls = {
        "accept": lambda: contract_accept(contract=offered, by=staff),
        "decline": lambda: contract_decline(contract=offered, by=staff, reason="No"),
        "suspend": lambda: contract_suspend(contract=offered, by=officer, reason="Checking"),
        "reinstate": lambda: contract_reinstate(contract=offered, by=officer, reason="Fine"),
        "end": lambda: contract_end(contract=offered, by=officer, reason="Finished"),
    }
    if allowed:
        calls[move]()
    else:
        with pytest.raises(InvalidTransition):
            calls[move]()


# Amendments and dropped lines ---------------------------------------------------------------------

def test_a_new_plan_version_amends_the_live_contract_from_its_start(officer, make_member):
    first = approve(isf_plan(), officer)
    contract = contracts_offer_for_plan(plan=first)[0]
    staff = make_member(Role.PROVIDER_STAFF, contract.provider)
    contract_accept(contract=contract, by=staff)
    second = approve(next_version(first, starts_in_days=28, weekly_hours="20"), officer)
    assert contracts_offer_for_plan(plan=second) == [contract]
    assert IsfContract.objects.count() == 1
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE
    old, new = contract.terms.order_by("effective_from")
    assert (old.plan_id, old.weekly_pence, old.effective_from) == (first.pk, 38400, first.starts_on)
    assert (new.plan_id, new.weekly_pence, new.effective_from) == (second.pk, 48000, second.starts_on)
    assert terms_on(contract, second.starts_on - datetime.timedelta(days=1)) == old
    assert terms_on(contract, second.starts_on) == new
    assert terms_on(contract, first.starts_on - datetime.timedelta(days=1)) is None
    assert AuditEvent.objects.filter(verb="isfcontract.amended").count() == 1


def test_an_isf_line_dropped_from_the_new_version_ends_its_contract(officer):
    first = approve(isf_plan(), officer)
    contract = contracts_offer_for_plan(plan=first)[0]
    second = approve(next_version(first, starts_in_days=28, same_lines=False), officer)
    contracts_offer_for_plan(plan=second)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ENDED
    assert contract.ends_on == second.starts_on - datetime.timedelta(days=1)
    assert f"version {second.version}" in contract.ended_reason
    assert AuditEvent.objects.filter(verb="isfcontract.ended", target_id=str(contract.pk)).exists()


def test_a_line_moved_off_isf_in_the_new_version_ends_its_contract(officer):
    first = approve(isf_plan(), officer)
    contract = contracts_offer_for_plan(plan=first)[0]
    second = next_version(first)
    second.lines.update(route=DeploymentRoute.MANAGED_BUDGET)
    second = approve(second, officer)
    contracts_offer_for_plan(plan=second)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ENDED


def test_after_a_contract_ended_a_new_version_offers_a_new_one(officer, make_member):
    first = approve(isf_plan(), officer)
    contract = contracts_offer_for_plan(plan=first)[0]
    staff = make_member(Role.PROVIDER_STAFF, contract.provider)
    contract_decline(contract=contract, by=staff, reason="Full")
    second = approve(next_version(first), officer)
    [again] = contracts_offer_for_plan(plan=second)
    assert again.pk != contract.pk and again.status == ContractStatus.OFFERED
