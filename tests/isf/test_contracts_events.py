import pytest

from isf.constants import ContractStatus
from isf.handlers import offer_contracts_for_approved_plan
from isf.models import ContractTerms, IsfContract
from marketplace import events
from marketplace.constants import Role
from marketplace.models import DomainEvent
from tests.isf.factories_contracts import approve, isf_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(council, make_member):
    return make_member(Role.CONTRACT_OFFICER, council)


def test_the_handler_is_subscribed_to_plan_approval():
    assert offer_contracts_for_approved_plan in events.handlers_for(events.PLAN_APPROVED)


def test_approving_a_plan_offers_its_isf_contract_once_committed(officer, django_capture_on_commit_callbacks):
    plan = isf_plan()
    with django_capture_on_commit_callbacks(execute=True):
        plan = approve(plan, officer)
    contract = IsfContract.objects.get()
    assert (contract.person_id, contract.status) == (plan.person_id, ContractStatus.OFFERED)
    assert contract.terms.get().plan_line_id == plan.lines.get().pk
    event = DomainEvent.objects.get(topic=events.PLAN_APPROVED)
    assert event.dispatched_at is not None


def test_handling_the_same_event_twice_changes_nothing(officer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        approve(isf_plan(lines=2), officer)
    event = DomainEvent.objects.get(topic=events.PLAN_APPROVED)
    offer_contracts_for_approved_plan(event)
    DomainEvent.objects.filter(pk=event.pk).update(dispatched_at=None)
    assert events.dispatch(event.pk) is True
    assert (IsfContract.objects.count(), ContractTerms.objects.count()) == (2, 2)


def test_a_failing_handler_leaves_the_event_pending_and_a_retry_offers(officer, monkeypatch,
                                                                      django_capture_on_commit_callbacks):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("isf.handlers.contracts_offer_for_plan", broken)
    with django_capture_on_commit_callbacks(execute=True):
        approve(isf_plan(), officer)
    event = DomainEvent.objects.get(topic=events.PLAN_APPROVED)
    assert event.dispatched_at is None and "database went away" in event.last_error
    assert not IsfContract.objects.exists()

    monkeypatch.undo()
    assert events.dispatch_pending() == 1
    assert IsfContract.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_offer_follows_a_real_commit(council, make_member):
    officer = make_member(Role.CONTRACT_OFFICER, council)
    approve(isf_plan(), officer)
    assert IsfContract.objects.filter(status=ContractStatus.OFFERED).count() == 1
    assert DomainEvent.objects.get(topic=events.PLAN_APPROVED).dispatched_at is not None
