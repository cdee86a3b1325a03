"""Plan lines priced against the council's reference rate, for the tests of price negotiations (the
negotiations themselves are opened through the service, as a broker would)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from brokerage import services
from brokerage.constants import NegotiationReason
from brokerage.models import Negotiation, PlanLine
from marketplace.constants import Role
from providers.constants import RateUnit
from providers.models import ReferenceRate
from tests.brokerage.factories import (
    PersonFactory,
    PlanLineFactory,
    PlanOutcomeFactory,
    PlanRiskFactory,
    SupportPlanDraftFactory,
    approved_listing,
)
from tests.providers.factories import ReferenceRateFactory, homecare

REFERENCE_PENCE = 2400
LISTED_PENCE = 2650


def reference_rate(pence: int = REFERENCE_PENCE) -> ReferenceRate:
    """The council's reference rate for homecare by the hour, in force since 60 days ago."""
    effective_from = timezone.localdate() - datetime.timedelta(days=60)
    existing = ReferenceRate.objects.filter(category=homecare(), unit=RateUnit.HOUR,
                                            effective_from=effective_from).first()
    if existing is not None:
        existing.rate_pence = pence
        existing.save(update_fields=["rate_pence"])
        return existing
    return ReferenceRateFactory(rate_pence=pence, effective_from=effective_from)


def line_above_reference(*, brokerage, is_specialist=False, listed_pence=LISTED_PENCE, quantity="10", plan=None,
                         ready=False, **line_fields) -> PlanLine:
    """A managed-budget homecare line of ``quantity`` hours a week at the provider's listed
    ``listed_pence`` (above the £24.00 reference rate by default), on a draft plan for a person who
    chose ``brokerage``. ``ready`` gives the plan an outcome, a risk and safeguarding considered,
    so only the price can stop it."""
    reference_rate()
    if plan is None:
        person = PersonFactory(broker_organisation=brokerage, last_name="Featherstonehaugh",
                               date_of_birth=datetime.date(1939, 11, 2), postcode="E8 3QP")
        plan = SupportPlanDraftFactory(person=person, safeguarding_considered=ready)
        if ready:
            PlanOutcomeFactory(plan=plan)
            PlanRiskFactory(plan=plan)
    card = approved_listing(is_specialist=is_specialist, contract_rate_pence=listed_pence)
    return PlanLineFactory(plan=plan, rate_card=card, quantity_per_week=Decimal(quantity), **line_fields)


def open_negotiation(line: PlanLine, by, reason=NegotiationReason.ABOVE_REFERENCE, note="") -> Negotiation:
    return services.negotiation_open(line=line, by=by, reason=reason, note=note)


# Fixtures: a line priced above the reference rate, its negotiation opened by the broker, and a
# member of the provider's staff.

@pytest.fixture
def line(brokerage):
    return line_above_reference(brokerage=brokerage)


@pytest.fixture
def negotiation(line, broker):
    return open_negotiation(line, broker)


@pytest.fixture
def provider_staff(line, make_member):
    return make_member(Role.PROVIDER_STAFF, line.listing.organisation)
