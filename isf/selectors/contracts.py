"""Who sees which ISF contracts, and the reads behind the contract pages.

Provider staff and administrators see their organisation's contracts (the provider is a party to
each, so it sees the person's name on it); council contract and finance officers see all; the
person and their representative see their own; a broker sees those of the people who chose their
brokerage and agreed to share their record.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from brokerage.checks import line_weekly_pence
from brokerage.constants import DeploymentRoute
from brokerage.models import PlanLine
from isf.constants import ContractStatus
from isf.models import ContractTerms, IsfContract
from isf.services.contracts import contribution_shares
from marketplace.constants import PROVIDER_ROLES, Role
from marketplace.models import User
from marketplace.permissions import is_council_officer, organisation_ids
from marketplace.scoping import scope_rule, visible_to


def _contracts_q(user: User, prefix: str = "") -> Q | None:
    """The contracts ``user`` may see, as a filter (None: all of them)."""
    if is_council_officer(user):
        return None
    return (Q(**{f"{prefix}provider_id__in": organisation_ids(user, *PROVIDER_ROLES)})
            | Q(**{f"{prefix}person__user": user}) | Q(**{f"{prefix}person__representative": user})
            | Q(**{f"{prefix}person__broker_organisation_id__in": organisation_ids(user, Role.BROKER),
                   f"{prefix}person__consent_to_share": True}))


@scope_rule(IsfContract)
def _contracts(user: User, queryset: QuerySet) -> QuerySet:
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    rule = _contracts_q(user)
    return queryset if rule is None else queryset.filter(rule)


@scope_rule(ContractTerms)
def _terms(user: User, queryset: QuerySet) -> QuerySet:
    """Terms are seen by whoever may see their contract."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    rule = _contracts_q(user, "contract__")
    return queryset if rule is None else queryset.filter(rule)


# Terms in force and weekly amounts ----------------------------------------------------------------

def terms_on(contract: IsfContract, on: datetime.date) -> ContractTerms | None:
    """The terms in force on ``on``: the latest starting on or before it (None before the start).
    Uses ``contract.terms`` when prefetched."""
    cache = getattr(contract, "_prefetched_objects_cache", {})
    if "terms" in cache:
        candidates = [terms for terms in cache["terms"] if terms.effective_from <= on]
        candidates.sort(key=lambda terms: (terms.effective_from, terms.pk), reverse=True)
        return candidates[0] if candidates else None
    return contract.terms.filter(effective_from__lte=on).order_by("-effective_from", "-pk").first()


def current_terms(contract: IsfContract, on: datetime.date | None = None) -> ContractTerms | None:
    """The terms in force on ``on`` (today by default); before the contract starts, its first terms."""
    found = terms_on(contract, on or timezone.localdate())
    if found is not None:
        return found
    cache = getattr(contract, "_prefetched_objects_cache", {})
    terms = list(cache["terms"]) if "terms" in cache else list(contract.terms.all())
    terms.sort(key=lambda row: (row.effective_from, row.pk))
    return terms[0] if terms else None


@dataclass(frozen=True)
class WeeklyAmounts:
    gross_pence: int
    contribution_pence: int

    @property
    def net_pence(self) -> int:
        return self.gross_pence - self.contribution_pence


def weekly_amounts(terms: ContractTerms) -> WeeklyAmounts:
    """The terms' weekly amount gross, the person's share of the agreed budget's contribution
    (shared between the plan's ISF lines in proportion to their weekly cost), and net. No query
    when the plan's lines are prefetched (:func:`with_terms` does), else one."""
    plan = terms.plan
    contribution = plan.agreed_budget.weekly_contribution_pence if plan.agreed_budget_id else 0
    if "lines" in getattr(plan, "_prefetched_objects_cache", {}):
        lines = plan.lines.all()
    else:
        lines = PlanLine.objects.filter(plan_id=plan.pk).only("pk", "route", "agreed_price_pence", "quantity_per_week")
    costs = {line.pk: line_weekly_pence(line) for line in lines
             if line.route == DeploymentRoute.INDIVIDUAL_SERVICE_FUND}
    share = contribution_shares(contribution, costs).get(terms.plan_line_id, 0)
    return WeeklyAmounts(gross_pence=terms.weekly_pence, contribution_pence=share)


# Reads for pages -------------------------------------------------------------------------------

_OFFERED_FIRST = Case(When(status=ContractStatus.OFFERED, then=Value(0)),
                      When(status=ContractStatus.ACTIVE, then=Value(1)),
                      When(status=ContractStatus.SUSPENDED, then=Value(2)),
                      default=Value(3), output_field=IntegerField())


def _with_details(queryset: QuerySet) -> QuerySet:
    return (queryset.select_related("person", "provider", "listing")
            .prefetch_related(Prefetch("terms", queryset=ContractTerms.objects.order_by("-effective_from", "-pk"))))


def provider_contracts(organisation_id: int) -> QuerySet:
    """A provider's contracts for its portal: offered first, then active, suspended and ended."""
    return (_with_details(IsfContract.objects.filter(provider_id=organisation_id))
            .annotate(order_rank=_OFFERED_FIRST).order_by("order_rank", "-offered_at", "-pk"))


def contracts_visible_to(user: User) -> QuerySet:
    return _with_details(visible_to(user, IsfContract.objects.all()))


def with_terms(queryset: QuerySet) -> QuerySet:
    """Contracts with their parties and their terms (newest first), the terms' plans and agreed budgets."""
    return (queryset.select_related("person", "provider", "listing", "accepted_by")
            .prefetch_related(Prefetch("terms", queryset=ContractTerms.objects.select_related(
                "plan", "plan__agreed_budget").order_by("-effective_from", "-pk")),
                Prefetch("terms__plan__lines", queryset=PlanLine.objects.only(
                    "pk", "plan_id", "route", "agreed_price_pence", "quantity_per_week"))))


def contract_detail(queryset: QuerySet, **lookup) -> IsfContract:
    """One contract of ``queryset`` with its terms; raises ``IsfContract.DoesNotExist``."""
    return with_terms(queryset).get(**lookup)


def console_contracts(*, status: str = "", provider_id: int | None = None) -> QuerySet:
    queryset = IsfContract.objects.select_related("person", "provider", "listing")
    if status:
        queryset = queryset.filter(status=status)
    if provider_id:
        queryset = queryset.filter(provider_id=provider_id)
    return queryset.annotate(order_rank=_OFFERED_FIRST).order_by("order_rank", "-offered_at", "-pk")
