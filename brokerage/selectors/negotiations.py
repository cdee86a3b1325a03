"""Reads of price negotiations for the broker's pages, the provider portal and the API.

Each function narrows a queryset that the caller scopes to the user (through
``marketplace.scoping.visible_to`` or ``get_visible_or_404``), and loads what its page shows with a
fixed number of queries, however many negotiations or offers there are.

The provider's side never needs the person: :func:`for_provider` gives each negotiation a
``postcode_district`` (the first half of the person's postcode) and nothing else about them.
"""

from django.db.models import Case, F, IntegerField, Prefetch, QuerySet, Value, When

from brokerage.constants import NegotiationSide, NegotiationStatus
from brokerage.models import Negotiation, NegotiationOffer, PlanLine, SupportPlan
from marketplace.models import Organisation
from providers.search import PostcodeError, postcode_district


def _offers() -> Prefetch:
    return Prefetch("offers", queryset=NegotiationOffer.objects.select_related("made_by").order_by("made_at", "pk"))


def with_offers(queryset: QuerySet) -> QuerySet:
    """Negotiations with their line, service, provider and people, and their offers oldest first."""
    return (queryset.select_related("line__listing__category", "line__listing__organisation", "provider",
                                    "opened_by", "closed_by")
            .prefetch_related(_offers()))


def negotiations_for_line(queryset: QuerySet, line: PlanLine) -> QuerySet:
    """A line's negotiations, newest first."""
    return with_offers(queryset.filter(line=line)).order_by("-opened_at", "-pk")


def negotiations_for_plan(queryset: QuerySet, plan: SupportPlan) -> QuerySet:
    """Every negotiation on a plan's lines, newest first."""
    return with_offers(queryset.filter(line__plan=plan)).order_by("-opened_at", "-pk")


def for_provider(queryset: QuerySet, organisation: Organisation) -> QuerySet:
    """The organisation's negotiations, open ones first, then newest first, with their offers.

    Each carries ``person_postcode`` (only so :func:`district` can show the postcode district);
    the person themselves is never loaded.
    """
    return (with_offers(queryset.filter(provider=organisation))
            .annotate(person_postcode=F("line__plan__person__postcode"),
                      open_first=Case(When(status=NegotiationStatus.OPEN, then=Value(0)), default=Value(1),
                                      output_field=IntegerField()))
            .order_by("open_first", "-opened_at", "-pk"))


def district(postcode: str) -> str:
    """The postcode district ("E8") of a person's postcode, or "" when it cannot be read."""
    try:
        return postcode_district(postcode or "")
    except PostcodeError:
        return ""


def latest_offer(negotiation: Negotiation) -> NegotiationOffer | None:
    """The most recent offer, from the prefetched ``offers`` (oldest first)."""
    offers = list(negotiation.offers.all())
    return offers[-1] if offers else None


def awaiting(negotiation: Negotiation) -> str | None:
    """Whose turn it is on an open negotiation: the side that has not made the latest offer (the
    provider's, when nobody has offered yet); None once it has ended."""
    if negotiation.status != NegotiationStatus.OPEN:
        return None
    latest = latest_offer(negotiation)
    if latest is None or latest.side == NegotiationSide.PURCHASER:
        return NegotiationSide.PROVIDER
    return NegotiationSide.PURCHASER
