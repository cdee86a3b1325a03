"""Fixtures shared by the support plan tests; each module supplies its own ``person``."""

import pytest

from tests.brokerage.factories import IndicativeBudgetFactory, SupportPlanDraftFactory, plan_ready
from tests.providers.factories import ReferenceRateFactory


@pytest.fixture
def budget(person):
    return IndicativeBudgetFactory(person=person)


@pytest.fixture
def plan(person, budget):
    return SupportPlanDraftFactory(person=person, indicative_budget=budget)


@pytest.fixture
def ready(person):
    """A plan for the person that passes every check (16 hours at £24 = £384 of £400)."""
    return plan_ready(person=person)


@pytest.fixture
def reference():
    """The council's usual cost for homecare: £24.00 an hour."""
    return ReferenceRateFactory(rate_pence=2400)
