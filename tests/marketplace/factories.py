import factory

from marketplace.constants import Role
from marketplace.models import Membership, Organisation, User
from marketplace.services import membership_grant

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.test")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = "Tester"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")
    postcode = "E8 1DY"


class CouncilFactory(OrganisationFactory):
    name = "Test Borough Council"
    slug = factory.Sequence(lambda n: f"council-{n}")
    is_council = True
    is_broker = True


class ProviderOrganisationFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"Provider {n} Ltd")
    slug = factory.Sequence(lambda n: f"provider-{n}")
    is_provider = True


class BrokerOrganisationFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"Brokerage {n} CIC")
    slug = factory.Sequence(lambda n: f"broker-{n}")
    is_broker = True


class MembershipFactory(factory.django.DjangoModelFactory):
    """Grants through the service, so the user also joins the role's permission group."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(ProviderOrganisationFactory)
    role = Role.PROVIDER_STAFF

    @classmethod
    def _create(cls, model_class, *, user, organisation, role):
        return membership_grant(by=None, user=user, organisation=organisation, role=role)
