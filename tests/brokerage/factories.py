import datetime

import factory

from brokerage.constants import ClientGroup
from brokerage.models import Person
from tests.marketplace.factories import BrokerOrganisationFactory


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
