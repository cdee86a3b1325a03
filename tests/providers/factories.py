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
