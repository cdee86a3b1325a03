"""What isf does when something happens elsewhere: an approved plan offers its ISF contracts."""

from brokerage.models import SupportPlan
from isf.services.contracts import contracts_offer_for_plan
from marketplace import events
from marketplace.models import DomainEvent


@events.subscribe(events.PLAN_APPROVED)
def offer_contracts_for_approved_plan(event: DomainEvent) -> None:
    """Offer (or amend, or end) the ISF contracts of the approved plan. Idempotent: terms are made
    once per plan line and one contract is live per person, provider and service, so handling the
    event again changes nothing. A plan with no ISF lines may still end contracts it dropped."""
    plan = SupportPlan.objects.get(pk=event.payload["plan_id"])
    contracts_offer_for_plan(plan=plan, by=None)
