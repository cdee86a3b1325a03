"""The budget a new plan is compared with is what the person gets now: a protected or tapering
level, not the lower agreed figure behind it [H V]."""

import pytest
from django.core.exceptions import ValidationError

from brokerage import services
from brokerage.constants import TransitionKind
from brokerage.models import BudgetTransition, SupportPlan
from brokerage.selectors import with_plan_details
from tests.brokerage.factories_signoff import approved_plan, limit, revision_of, set_cost

pytestmark = pytest.mark.django_db


def protected_at(pence_kept, plan, officer):
    BudgetTransition.objects.create(plan=plan, person=plan.person, kind=TransitionKind.PROTECTED,
                                    from_weekly_pence=pence_kept, to_weekly_pence=plan.agreed_budget.weekly_total_pence,
                                    starts_on=plan.starts_on, review_on=plan.starts_on.replace(year=plan.starts_on.year + 1),
                                    reason="A cut now would put the person at risk", decided_by=officer)


def requirements(plan, officer):
    return services.approval_requirements(with_plan_details(SupportPlan.objects.filter(pk=plan.pk)).get(),
                                          officer=officer)


def test_a_new_plan_below_a_protected_level_is_a_reduction_needing_the_officers_choice(officer):
    limit(officer, 1000)
    old = set_cost(approved_plan(), 37000)
    old.agreed_budget.__class__.objects.filter(pk=old.agreed_budget_id).update(
        weekly_total_pence=37000, weekly_contribution_pence=4000, weekly_council_pence=33000)
    protected_at(50000, old, officer)
    new = set_cost(revision_of(old), 40000)

    needs = requirements(new, officer)
    assert needs.budget_in_force_pence == 50000  # the protected level, not the £370 agreed
    assert needs.is_reduction

    with pytest.raises(ValidationError) as refused:
        services.plan_approve(plan=new, by=officer, reason="Needs met at a fair price",
                              exceptions={"tolerance": "Agreed with the person"})
    assert "transition_kind" in refused.value.message_dict
    new.refresh_from_db()
    assert new.status == "submitted"


def test_without_protection_the_agreed_budget_is_the_level_in_force(officer):
    limit(officer, 1000)
    old = set_cost(approved_plan(), 37000)
    old.agreed_budget.__class__.objects.filter(pk=old.agreed_budget_id).update(
        weekly_total_pence=37000, weekly_contribution_pence=4000, weekly_council_pence=33000)
    new = set_cost(revision_of(old), 40000)
    needs = requirements(new, officer)
    assert needs.budget_in_force_pence == 37000 and not needs.is_reduction
