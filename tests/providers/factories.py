import datetime

import factory
from django.utils import timezone

from providers.constants import AccreditationStatus, ListingStatus, RateUnit
from providers.models import Accreditation, RateCard, ServiceCategory, ServiceListing
from tests.marketplace.factories import ProviderOrganisationFactory


class AccreditationApprovedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Accreditation

    organisation = factory.SubFactory(ProviderOrganisationFactory)
    status = AccreditationStatus.APPROVED
    approved_at = factory.LazyFunction(timezone.now)
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=365))


class AccreditationAppliedFactory(AccreditationApprovedFactory):
    status = AccreditationStatus.APPLIED
    approved_at = None
    expires_on = None


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.date:
    """The date ``n`` days from today (negative: in the past)."""
    return today() + datetime.timedelta(days=n)


def homecare():
    return ServiceCategory.objects.get(slug="homecare")


class ServiceListingPublishedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceListing

    organisation = factory.SubFactory(ProviderOrganisationFactory)
    category = factory.LazyFunction(homecare)
    reference = factory.Sequence(lambda n: f"listing-{n}")
    title = factory.Sequence(lambda n: f"Homecare service {n}")
    status = ListingStatus.PUBLISHED


class ServiceListingDraftFactory(ServiceListingPublishedFactory):
    status = ListingStatus.DRAFT


class RateCardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RateCard

    listing = factory.SubFactory(ServiceListingPublishedFactory)
    unit = RateUnit.HOUR
    contract_rate_pence = 2650
    direct_payment_rate_pence = 2150
    effective_from = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))


def evidence_for_all_mandatory(organisation, *, by, expires_on=None):
    """In-date evidence for every mandatory standard that applies to ``organisation``."""
    from django.core.files.base import ContentFile

    from providers.models import Evidence, standards_for

    today = timezone.localdate()
    for standard in standards_for(organisation).filter(mandatory=True):
        evidence = Evidence(organisation=organisation, standard=standard, original_name="certificate.pdf",
                            issued_on=today - datetime.timedelta(days=30),
                            expires_on=expires_on or today + datetime.timedelta(days=300), uploaded_by=by)
        evidence.file.save("certificate.pdf", ContentFile(b"%PDF-1.4 test"), save=False)
        evidence.save()


class ReferenceRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "providers.ReferenceRate"

    category = factory.LazyFunction(homecare)
    unit = RateUnit.HOUR
    rate_pence = 2400
    effective_from = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=60))
    reason = "Annual uplift agreed by cabinet"


class SpecialistClaimFactory(factory.django.DjangoModelFactory):
    """A claim waiting for the council's decision (status ``submitted``), with no cost lines."""

    class Meta:
        model = "providers.SpecialistClaim"

    listing = factory.SubFactory(ServiceListingPublishedFactory)
    justification = "Two staff trained in positive behaviour support for every visit."
    unit = RateUnit.HOUR
    rate_pence = 3200
    submitted_by = factory.SubFactory("tests.marketplace.factories.UserFactory")


def _staff_amount(hourly_pay_pence, hours):
    from marketplace import money

    return money.multiply(hourly_pay_pence, hours)


class CostOfCareLineFactory(factory.django.DjangoModelFactory):
    """A staff-time line: hours × hourly pay, with the amount worked out from them."""

    class Meta:
        model = "providers.CostOfCareLine"

    claim = factory.SubFactory(SpecialistClaimFactory)
    kind = "staff"
    description = "Senior support worker"
    hours = "1.00"
    hourly_pay_pence = 1500
    amount_pence = factory.LazyAttribute(lambda line: _staff_amount(line.hourly_pay_pence, line.hours))
    position = factory.Sequence(lambda n: n)


# Portal listings: areas and listings in each state ------------------------------------------------


class AreaFactory(factory.django.DjangoModelFactory):
    """A postcode district (E8…); use ``WardFactory`` for a ward."""

    class Meta:
        model = "providers.Area"
        django_get_or_create = ("code",)

    kind = "district"
    code = factory.Sequence(lambda n: f"E{n + 1}")
    name = factory.LazyAttribute(lambda area: f"District {area.code}")


class WardFactory(AreaFactory):
    kind = "ward"
    code = factory.Sequence(lambda n: f"E0500{n:04d}")
    name = factory.Sequence(lambda n: f"Ward {n}")


class ServiceListingPausedFactory(ServiceListingPublishedFactory):
    status = ListingStatus.PAUSED


class ServiceListingWithdrawnFactory(ServiceListingPublishedFactory):
    status = ListingStatus.WITHDRAWN
