import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from brokerage.constants import AssessmentStatus, ClientGroup, NeedDomain, RasMethod, RasVersionStatus
from brokerage.models import (
    Assessment,
    NeedScore,
    Person,
    RasClientGroupFactor,
    RasPoints,
    RasTypicalService,
    RasVersion,
)
from providers.models import ServiceCategory
from tests.marketplace.factories import BrokerOrganisationFactory, UserFactory


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    reference = factory.Sequence(lambda n: f"T{n:06d}")
    first_name = factory.Sequence(lambda n: f"Person{n}")
    last_name = "Example"
    date_of_birth = datetime.date(1948, 5, 17)
    postcode = "E8 3QP"
    client_group = ClientGroup.OLDER_PERSON
    broker_organisation = factory.SubFactory(BrokerOrganisationFactory)
    consent_to_share = True


# Assessments, RAS versions and budgets -----------------------------------------------------------
# Factories build rows directly; tests of the rules go through the services.

class AssessmentDraftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    person = factory.SubFactory(PersonFactory)
    status = AssessmentStatus.DRAFT
    assessed_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=3))
    assessed_by = factory.SubFactory(UserFactory)
    summary = "I want to stay in my own home and see my grandchildren."


class AssessmentCompletedFactory(AssessmentDraftFactory):
    """Completed, with a level for every domain: ``levels={"personal_care": 3, …}``, others 0."""

    class Meta:
        skip_postgeneration_save = True

    status = AssessmentStatus.COMPLETED
    completed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def levels(obj, create, extracted, **kwargs):
        if not create:
            return
        chosen = dict(extracted or {})
        NeedScore.objects.bulk_create(NeedScore(assessment=obj, domain=domain, level=chosen.get(domain, 0))
                                      for domain in NeedDomain.values)


def _next_number(method):
    return (RasVersion.objects.filter(method=method).order_by("-number").values_list("number", flat=True)
            .first() or 0) + 1


def _retire_active(method):
    RasVersion.objects.filter(method=method, status=RasVersionStatus.ACTIVE).update(status=RasVersionStatus.RETIRED)


def points_version(*, status=RasVersionStatus.ACTIVE, pence_per_point=275, points=(0, 4, 9, 15), factors=None):
    """A points version with the same points per level in every domain (``points`` for levels
    0–3) and a factor per client group (``factors``, default 1 for every group). An active one
    retires the version in use first."""
    if status == RasVersionStatus.ACTIVE:
        _retire_active(RasMethod.POINTS)
    version = RasVersion.objects.create(method=RasMethod.POINTS, number=_next_number(RasMethod.POINTS),
                                        name="Test points", status=status, pence_per_point=pence_per_point)
    RasPoints.objects.bulk_create(RasPoints(version=version, domain=domain, level=level, points=value)
                                  for domain in NeedDomain.values for level, value in enumerate(points))
    factors = {group: Decimal("1") for group in ClientGroup.values} | dict(factors or {})
    RasClientGroupFactor.objects.bulk_create(RasClientGroupFactor(version=version, client_group=group,
                                                                  factor=Decimal(factor))
                                             for group, factor in factors.items())
    return version


def cost_version(*, status=RasVersionStatus.ACTIVE, rows=()):
    """A cost version with ``rows`` of ``(domain, level, category slug, unit, quantity)``."""
    if status == RasVersionStatus.ACTIVE:
        _retire_active(RasMethod.COST)
    version = RasVersion.objects.create(method=RasMethod.COST, number=_next_number(RasMethod.COST),
                                        name="Test cost", status=status)
    categories = dict(ServiceCategory.objects.values_list("slug", "pk"))
    RasTypicalService.objects.bulk_create(
        RasTypicalService(version=version, domain=domain, level=level, category_id=categories[slug], unit=unit,
                          quantity_per_week=Decimal(quantity))
        for domain, level, slug, unit, quantity in rows)
    return version
