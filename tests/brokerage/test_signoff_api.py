"""The council's decisions through /api/v1/support-plans/{id}/approve|return|reject/."""

from decimal import Decimal

import pytest

from brokerage.constants import BudgetKind, PlanStatus
from brokerage.models import BudgetTransition, PersonalBudget, PlanLine, SupportPlan
from marketplace.constants import Role
from marketplace.models import AuditEvent, DomainEvent
from tests.brokerage.factories import PlanLineFactory, approved_listing
from tests.brokerage.factories_signoff import approved_plan, limit, revision_of, set_cost
from tests.brokerage.factories_signoff import REASON, officer, plan  # noqa: F401 (officer, plan: pytest fixtures)
from tests.marketplace.factories import BrokerOrganisationFactory
from tests.providers.factories import ReferenceRateFactory

pytestmark = pytest.mark.django_db


def url(plan, action):
    return f"/api/v1/support-plans/{plan.pk}/{action}/"


def post(client, plan, action, body=None):
    return client.post(url(plan, action), body or {}, content_type="application/json")


def state(plan):
    plan.refresh_from_db()
    return (plan.status, plan.decided_by_id, plan.decision_reason, plan.agreed_budget_id,
            PersonalBudget.objects.filter(kind=BudgetKind.AGREED).count(), DomainEvent.objects.count(),
            AuditEvent.objects.count())


def test_an_officer_approves_a_plan(client, officer, plan):
    client.force_login(officer)

    response = post(client, plan, "approve", {"reason": REASON})

    assert response.status_code == 200, response.json()
    body = response.json()
    plan.refresh_from_db()
    assert body["id"] == plan.pk and body["status"] == "approved"
    assert body["decision_reason"] == REASON and body["decided_by"] == officer.get_full_name()
    assert body["exceptions_granted"] == []
    budget = body["agreed_budget"]
    assert (budget["id"], budget["kind"], budget["weekly_total_pence"], budget["weekly_contribution_pence"],
            budget["weekly_council_pence"]) == (plan.agreed_budget_id, "agreed", 38400, 4000, 34400)
    assert budget["breakdown"][0]["amount_pence"] == 38400
    assert DomainEvent.objects.get().payload["plan_id"] == plan.pk


def test_exceptions_acknowledgements_and_a_transition_are_given_in_the_body(client, officer):
    ReferenceRateFactory(rate_pence=2400)
    old = approved_plan(weekly_hours="20")
    plan = revision_of(old, weekly_hours="6")
    specialist = PlanLineFactory(plan=plan, quantity_per_week=Decimal("8"),
                                 rate_card=approved_listing(is_specialist=True, contract_rate_pence=3000))
    # £24 × 8 + £30 × 8 = £432 a week: within tolerance of £400, and below the £480 in force.
    PlanLine.objects.filter(plan=plan).exclude(pk=specialist.pk).update(quantity_per_week=Decimal("8"))
    client.force_login(officer)

    response = post(client, plan, "approve", {
        "reason": REASON, "acknowledged_line_ids": [specialist.pk],
        "exceptions": {"tolerance": "Not needed, ignored"},
        "transition": {"kind": "transitional", "weeks": 6, "reason": "Time to adjust."}})

    assert response.status_code == 200, response.json()
    specialist.refresh_from_db()
    assert specialist.specialist_acknowledged_by == officer
    change = BudgetTransition.objects.get(plan=plan)
    assert (change.kind, change.weeks, change.from_weekly_pence, change.to_weekly_pence) == \
        ("transitional", 6, 48000, 43200)
    assert response.json()["exceptions_granted"] == []


def test_an_exception_is_recorded_with_the_officers_reason(client, officer, plan):
    set_cost(plan, 45000)
    client.force_login(officer)

    response = post(client, plan, "approve", {"reason": REASON, "exceptions": {"tolerance": "Two carers at night."}})

    assert response.status_code == 200, response.json()
    [granted] = response.json()["exceptions_granted"]
    assert (granted["code"], granted["reason"], granted["by"]) == ("tolerance", "Two carers at night.", officer.pk)


def test_every_problem_comes_back_at_once_and_nothing_changes(client, officer, plan):
    limit(officer, "383.99")
    SupportPlan.objects.filter(pk=plan.pk).update(safeguarding_considered=False)
    client.force_login(officer)
    before = state(plan)

    response = post(client, plan, "approve", {"reason": " ", "exceptions": {"discount": "Please"}})

    assert response.status_code == 400
    body = response.json()
    assert sorted(body) == ["approval_limit", "checks", "exceptions", "reason"]
    assert body["approval_limit"] == [
        "This plan costs £384.00 a week; you may approve up to £383.99. An officer with a limit of at least £384.00 "
        "must approve it."]
    assert body["checks"] == ["Confirm that safeguarding has been considered"]
    assert state(plan) == before


def test_input_of_the_wrong_type_is_a_400(client, officer, plan):
    client.force_login(officer)
    before = state(plan)

    response = post(client, plan, "approve", {"reason": REASON, "acknowledged_line_ids": ["first"],
                                              "transition": {"kind": "gradual"}})

    assert response.status_code == 400
    assert set(response.json()) == {"acknowledged_line_ids", "transition"}
    assert state(plan) == before


@pytest.mark.parametrize("action, status", [("return", PlanStatus.RETURNED), ("reject", PlanStatus.REJECTED)])
def test_an_officer_returns_or_rejects_a_plan_with_reasons(client, officer, plan, action, status):
    client.force_login(officer)
    before = state(plan)

    refused = post(client, plan, action, {"reason": ""})
    assert refused.status_code == 400 and list(refused.json()) == ["reason"]
    assert state(plan) == before

    response = post(client, plan, action, {"reason": "Add a mitigation for night-time falls."})

    assert response.status_code == 200
    assert response.json()["status"] == status
    assert response.json()["decision_reason"] == "Add a mitigation for night-time falls."
    assert response.json()["agreed_budget"] is None


@pytest.mark.parametrize("action", ["approve", "return", "reject"])
def test_a_plan_not_waiting_for_sign_off_is_a_409(client, officer, plan, action):
    SupportPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.DRAFT)
    client.force_login(officer)
    before = state(plan)

    response = post(client, plan, action, {"reason": REASON})

    assert response.status_code == 409
    assert response.json()["status"] == "draft"
    assert "Only a plan waiting for sign-off can be" in response.json()["detail"]
    assert state(plan) == before


def test_approving_again_returns_the_plan_unchanged(client, officer, plan):
    client.force_login(officer)
    assert post(client, plan, "approve", {"reason": REASON}).status_code == 200
    before = state(plan)

    response = post(client, plan, "approve", {"reason": REASON})

    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert state(plan) == before


@pytest.mark.parametrize("role", [Role.BROKER, Role.FINANCE_OFFICER])
def test_a_user_who_sees_the_plan_but_is_not_a_contract_officer_is_refused(client, council, make_member, plan,
                                                                           role):
    user = make_member(role, plan.person.broker_organisation if role == Role.BROKER else council)
    limit(user, "1000")
    client.force_login(user)
    before = state(plan)

    for action in ("approve", "return", "reject"):
        assert post(client, plan, action, {"reason": REASON}).status_code == 403

    assert state(plan) == before


def test_another_brokerage_or_a_provider_does_not_find_the_plan(client, make_member, provider_org, plan):
    users = (make_member(Role.BROKER, BrokerOrganisationFactory()), make_member(Role.PROVIDER_STAFF, provider_org))
    before = state(plan)
    for user in users:
        client.force_login(user)
        for action in ("approve", "return", "reject"):
            assert post(client, plan, action, {"reason": REASON}).status_code == 404

    assert state(plan) == before


def test_signed_out_is_refused(client, plan):
    assert post(client, plan, "approve", {"reason": REASON}).status_code == 403


def test_the_decisions_are_in_the_schema(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    for action in ("approve", "return", "reject"):
        operation = schema["paths"][f"/api/v1/support-plans/{{id}}/{action}/"]["post"]
        assert {"200", "400", "403", "404", "409"} <= set(operation["responses"])
