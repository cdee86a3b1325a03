"""Reads for care package requests: the broker's ranked offers, a provider's requests, and the
council's gaps in the market. Each is a fixed number of queries however many rows.

How offers are ranked (stated on the broker's page beside the ranking):

- **Quality, 0–100**: the share of the council's mandatory quality standards that apply to the
  provider (as a provider, a broker or both) for which it holds evidence in date today — all of
  them is 100, half is 50. A provider whose accreditation is not approved and in date scores 0;
  one to which no mandatory standard applies scores 100.
- **Price, 0–100**: against the council's reference rate for the category and unit. At or below
  the reference rate is 100; above it the score falls in a straight line to 0 at twice the
  reference rate (and stays 0 beyond). With no reference rate every offer scores 50, so price
  cannot separate them.
- **Score**: quality × the council's quality weight (``BrokerageSettings.quality_weight_percent``,
  e.g. 60) plus price × the rest (40), divided by 100.

Scores are worked out exactly and shown rounded to one decimal place (half up). Offers are ranked
by score, highest first; on a tie by quality, then by the lower price.
The ranking is advice for the broker and the person: it never chooses.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet
from django.utils import timezone

from brokerage.constants import PackageResponseStatus
from brokerage.models import BrokerageSettings, PackageRequest, PackageResponse, Person
from marketplace.models import Organisation, User
from marketplace.money import format_pence
from marketplace.scoping import visible_to
from providers.models import Evidence, QualityStandard
from providers.pricing import reference_rates_now

__all__ = ["RankedOffer", "ranked_offers", "ranking_method", "quality_scores", "price_score",
           "package_requests_for_person", "package_request_for_broker", "broker_package_requests",
           "provider_package_responses", "provider_package_response", "market_gaps", "MarketGap"]

TENTH = Decimal("0.1")
HUNDRED = Decimal(100)


def _shown(score: Decimal) -> Decimal:
    return score.quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RankedOffer:
    """One offer with its scores; ``rank`` 1 is the best."""

    response: PackageResponse
    rank: int
    quality_score: Decimal
    price_score: Decimal
    total_score: Decimal
    # Mandatory standards that apply to the provider, and how many it has evidence in date for.
    standards_required: int
    standards_evidenced: int
    accreditation_in_force: bool
    reference_rate_pence: int | None
    # Strictly above the reference rate: shown as "Above usual cost" [H V(e)].
    above_reference: bool


def price_score(price_pence: int, reference_pence: int | None) -> Decimal:
    """100 at or below the reference rate, falling linearly to 0 at twice it; 50 with no reference
    rate. Exact (not rounded)."""
    if reference_pence is None or reference_pence <= 0:
        return Decimal(50)
    if price_pence <= reference_pence:
        return HUNDRED
    if price_pence >= 2 * reference_pence:
        return Decimal(0)
    return HUNDRED * Decimal(2 * reference_pence - price_pence) / Decimal(reference_pence)


def quality_scores(organisations: list[Organisation], today: datetime.date | None = None) -> dict[int, tuple]:
    """``{organisation id: (score, required, evidenced, in force)}``, the score exact (0–100).

    Each organisation's ``accreditation`` should be loaded already (``select_related``). Two
    queries: the mandatory standards, and the evidence in date for them.
    """
    today = today or timezone.localdate()
    ids = {organisation.pk for organisation in organisations}
    standards = list(QualityStandard.objects.filter(active=True, mandatory=True))
    evidenced = set(Evidence.objects.filter(organisation_id__in=ids, expires_on__gte=today,
                                            standard__in=[standard.pk for standard in standards])
                    .values_list("organisation_id", "standard_id").distinct()) if ids and standards else set()
    scores = {}
    for organisation in organisations:
        accreditation = getattr(organisation, "accreditation", None)
        in_force = accreditation is not None and accreditation.is_in_force(today)
        applying = [standard.pk for standard in standards if standard.applies_to_organisation(organisation)]
        held = sum(1 for pk in applying if (organisation.pk, pk) in evidenced)
        if not in_force:
            score = Decimal(0)
        elif not applying:
            score = HUNDRED
        else:
            score = HUNDRED * held / len(applying)
        scores[organisation.pk] = (score, len(applying), held, in_force)
    return scores


def ranked_offers(request: PackageRequest, *, quality_weight_percent: int | None = None,
                  references: dict[tuple[int, str], int] | None = None,
                  today: datetime.date | None = None) -> list[RankedOffer]:
    """Every offer made to ``request`` (chosen and not chosen ones too), scored and ranked best
    first as the module's docstring describes.

    ``quality_weight_percent`` defaults to the council's setting and ``references`` to the
    reference rates in force today. Reads ``request.responses.all()``, so a request from
    :func:`package_request_for_broker` costs at most three more queries (the setting, the
    reference rates and the evidence), however many offers it has.
    """
    today = today or timezone.localdate()
    weight = BrokerageSettings.load().quality_weight_percent if quality_weight_percent is None \
        else int(quality_weight_percent)
    if not 0 <= weight <= 100:
        raise ValueError("quality_weight_percent must be between 0 and 100")
    if references is None:
        references = reference_rates_now(today)
    offers = [response for response in request.responses.all() if response.price_pence is not None
              and response.status in (PackageResponseStatus.OFFERED, PackageResponseStatus.CHOSEN,
                                      PackageResponseStatus.NOT_CHOSEN)]
    if not offers:
        return []
    qualities = quality_scores(list({offer.provider_id: offer.provider for offer in offers}.values()), today)
    reference = references.get((request.category_id, request.unit))
    scored = []
    for offer in offers:
        quality, required, held, in_force = qualities[offer.provider_id]
        price = price_score(offer.price_pence, reference)
        total = (quality * weight + price * (100 - weight)) / HUNDRED
        scored.append((total, quality, price, offer, required, held, in_force))
    scored.sort(key=lambda row: (-row[0], -row[1], row[3].price_pence, row[3].pk))
    return [
        RankedOffer(response=offer, rank=position, quality_score=_shown(quality), price_score=_shown(price),
                    total_score=_shown(total), standards_required=required, standards_evidenced=held,
                    accreditation_in_force=in_force, reference_rate_pence=reference,
                    above_reference=reference is not None and offer.price_pence > reference)
        for position, (total, quality, price, offer, required, held, in_force) in enumerate(scored, start=1)
    ]


def ranking_method(weight: int, reference_pence: int | None) -> list[str]:
    """The ranking explained in plain words, for the page beside the table."""
    price = (f"Price: 100 at or below the council’s usual cost of {format_pence(reference_pence)}, falling "
             f"evenly to 0 at {format_pence(2 * reference_pence)} (twice the usual cost)."
             if reference_pence else
             "Price: the council has no usual cost for this service and unit, so every offer scores 50 on "
             "price and price does not change the order.")
    return [
        "Quality: the share of the council’s mandatory quality standards for which the provider has evidence in "
        "date (all of them is 100). A provider whose accreditation is not in force scores 0.",
        price,
        f"Score: {weight}% quality and {100 - weight}% price, as the council has set. Ties go to the higher "
        f"quality, then the lower price.",
        "The ranking is a guide. Choose with the person: the cheapest offer, or the top one, is never chosen "
        "for them.",
    ]


# The broker's side ------------------------------------------------------------------------------

def _responses_for_ranking() -> Prefetch:
    responses = (PackageResponse.objects.select_related("listing", "provider__accreditation", "responded_by")
                 .order_by("pk"))
    return Prefetch("responses", queryset=responses)


def package_requests_for_person(user: User, person: Person) -> QuerySet:
    """The person's requests ``user`` may see, newest first, with what a list shows."""
    return (visible_to(user, PackageRequest.objects.filter(person=person))
            .select_related("category", "district").annotate(
                offer_count=Count("responses", filter=Q(responses__price_pence__isnull=False)),
                invited_count=Count("responses")))


def broker_package_requests(user: User) -> QuerySet:
    """Requests on the broker's (or officer's) side: through the person, never merely because a
    request was sent to an organisation ``user`` works for as a provider."""
    people = visible_to(user, Person.objects.all()).values("pk")
    return visible_to(user, PackageRequest.objects.filter(person__in=people))


def package_request_for_broker(user: User, person: Person, request_id: int) -> PackageRequest:
    """One of the person's requests with everything its page shows (the responses with their
    listings and providers' accreditation, the languages). Raises ``PackageRequest.DoesNotExist``
    when ``user`` may not see it."""
    return (broker_package_requests(user).filter(person=person)
            .select_related("category", "district", "plan", "person", "created_by", "chosen_by",
                            "broker_organisation")
            .prefetch_related("languages", _responses_for_ranking())
            .get(pk=request_id))


# The provider's side ----------------------------------------------------------------------------
# Providers see the request only through their own response; nothing here loads the person or plan.

def provider_package_responses(organisation: Organisation) -> QuerySet:
    """The organisation's answers to care package requests (one per matching service), newest
    request first, with the anonymous request each answers."""
    return (PackageResponse.objects.filter(provider=organisation)
            .select_related("request__category", "request__district", "listing")
            .prefetch_related("request__languages")
            .order_by("-request__created_at", "-request__pk", "pk"))


def provider_package_response(organisation: Organisation, response_id: int) -> PackageResponse:
    """One of the organisation's responses. Raises ``PackageResponse.DoesNotExist`` for another's."""
    return provider_package_responses(organisation).select_related("responded_by").get(pk=response_id)


# The council's side: gaps in the market ---------------------------------------------------------

@dataclass(frozen=True)
class MarketGap:
    category: str
    district: str
    district_name: str
    count: int
    first_flagged_at: datetime.datetime
    last_flagged_at: datetime.datetime


def market_gaps(*, since: datetime.date | None = None) -> tuple[list[MarketGap], QuerySet]:
    """Requests flagged as gaps in the market (no offer by the deadline, or nobody to ask),
    grouped by category and district with how many and when, most first; and the requests
    themselves (each with ``asked``, how many services were asked), most recent first. Two
    queries."""
    flagged = PackageRequest.objects.filter(market_gap_flagged_at__isnull=False)
    if since is not None:
        flagged = flagged.filter(market_gap_flagged_at__date__gte=since)
    rows = (flagged.order_by().values("category__name", "district__code", "district__name")
            .annotate(count=Count("pk"), first=Min("market_gap_flagged_at"), last=Max("market_gap_flagged_at"))
            .order_by("-count", "category__name", "district__code"))
    groups = [MarketGap(category=row["category__name"], district=row["district__code"],
                        district_name=row["district__name"], count=row["count"], first_flagged_at=row["first"],
                        last_flagged_at=row["last"]) for row in rows]
    requests = (flagged.select_related("category", "district", "broker_organisation")
                .annotate(asked=Count("responses")).order_by("-market_gap_flagged_at", "-pk"))
    return groups, requests

