"""Builders for care package request tests: districts and wards, matching services, requests
and offers in a given state."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from brokerage.constants import DeploymentRoute, PackageRequestStatus, PackageResponseStatus
from brokerage.models import PackageRequest, PackageResponse
from marketplace.constants import Role
from marketplace.models import AuditEvent
from providers.constants import CapacityUnit, ListingStatus, RateUnit
from providers.models import Evidence, standards_for
from tests.brokerage.factories import PersonFactory, SupportPlanDraftFactory, approved_listing
from tests.marketplace.factories import UserFactory
from tests.providers.factories import AreaFactory, ReferenceRateFactory, homecare

SUMMARY = "Help to wash and dress each morning. Lives alone and walks with a frame. Likes a chat about cricket."


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


def district(code: str = "E8"):
    return AreaFactory(code=code, kind="district")


def person_with_plan(brokerage, **person_fields):
    """Margaret Okonkwo (HK123456, born 17 May 1948, E8 3QP) with a draft plan."""
    fields = {"broker_organisation": brokerage, "first_name": "Margaret", "last_name": "Okonkwo",
              "reference": "HK123456", "date_of_birth": datetime.date(1948, 5, 17), "postcode": "E8 3QP"}
    person = PersonFactory(**(fields | person_fields))
    return person, SupportPlanDraftFactory(person=person)


def service(*, areas=(), category=None, capacity=40, capacity_unit=CapacityUnit.HOURS, unit=RateUnit.HOUR,
            contract_rate_pence=2400, languages=(), specialisms=(), status=ListingStatus.PUBLISHED, **fields):
    """A published service of an approved, in-date provider, covering ``areas``, with a current rate
    card for ``unit``; returns the listing."""
    card = approved_listing(category=category or homecare(), unit=unit, contract_rate_pence=contract_rate_pence,
                            direct_payment_rate_pence=min(2000, contract_rate_pence), capacity_unit=capacity_unit,
                            capacity_available=capacity, specialisms=list(specialisms), status=status, **fields)
    listing = card.listing
    listing.areas.set(areas)
    listing.languages.set(languages)
    return listing


def evidence_for(organisation, count=None, *, by=None):
    """In-date evidence for the first ``count`` mandatory standards that apply (all when None)."""
    from django.core.files.base import ContentFile

    by = by or UserFactory()
    standards = list(standards_for(organisation).filter(mandatory=True).order_by("code"))
    for standard in standards[:count] if count is not None else standards:
        evidence = Evidence(organisation=organisation, standard=standard, original_name="certificate.pdf",
                            issued_on=today() - datetime.timedelta(days=30),
                            expires_on=today() + datetime.timedelta(days=300), uploaded_by=by)
        evidence.file.save("certificate.pdf", ContentFile(b"%PDF-1.4 test"), save=False)
        evidence.save()
    return len(standards)


def request_row(*, plan, area, by=None, status=PackageRequestStatus.OPEN, deadline=None, unit=RateUnit.HOUR,
                quantity="10", starts_on=None, category=None, **fields) -> PackageRequest:
    """A request row built directly (no matching, no emails), in ``status``."""
    row = PackageRequest.objects.create(
        reference=f"PR-{today():%Y}-T{PackageRequest.objects.count() + 1:05d}", person=plan.person, plan=plan,
        broker_organisation=plan.person.broker_organisation, status=status, category=category or homecare(),
        unit=unit, quantity_per_week=Decimal(quantity), times_of_day=["morning"],
        starts_on=starts_on or days(21), district=area, needs_summary=SUMMARY,
        route=DeploymentRoute.MANAGED_BUDGET, deadline=deadline or days(5), created_by=by or UserFactory(), **fields)
    return row


def invited(request, listing) -> PackageResponse:
    return PackageResponse.objects.create(request=request, listing=listing, provider=listing.organisation)


def offered(request, listing, price_pence, *, earliest_start=None, by=None) -> PackageResponse:
    return PackageResponse.objects.create(
        request=request, listing=listing, provider=listing.organisation, status=PackageResponseStatus.OFFERED,
        price_pence=price_pence, earliest_start=earliest_start or request.starts_on, responded_by=by,
        responded_at=timezone.now())


def provider_staff(make_member, listing):
    return make_member(Role.PROVIDER_STAFF, listing.organisation)



def events() -> int:
    """Audit events other than the memberships the fixtures create."""
    return AuditEvent.objects.exclude(verb__startswith="membership.").count()


# Fixtures: Margaret's draft plan, and the postcode district she lives in.

@pytest.fixture
def e8(db):
    return district("E8")


@pytest.fixture
def margaret(brokerage):
    return person_with_plan(brokerage)


@pytest.fixture
def person(margaret):
    return margaret[0]


@pytest.fixture
def plan(margaret):
    return margaret[1]


@pytest.fixture
def with_offers(plan, e8, broker):
    """Reference £24.00; A (every standard) at £36.00, B (5 of 6) at £24.00, C (none) at £18.00."""
    ReferenceRateFactory(rate_pence=2400)
    request = request_row(plan=plan, area=e8, by=broker)
    a, b, c = service(areas=[e8]), service(areas=[e8]), service(areas=[e8])
    evidence_for(a.organisation)
    evidence_for(b.organisation, 5)
    return request, offered(request, a, 3600), offered(request, b, 2400), offered(request, c, 1800)
