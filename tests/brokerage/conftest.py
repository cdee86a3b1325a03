import pytest

from marketplace.constants import Role
from tests.marketplace.factories import BrokerOrganisationFactory


@pytest.fixture
def brokerage(db):
    """An approved-looking broker organisation people choose (modules may override it)."""
    return BrokerOrganisationFactory()


@pytest.fixture
def broker(brokerage, make_member):
    return make_member(Role.BROKER, brokerage)


@pytest.fixture
def officer(council, make_member):
    return make_member(Role.CONTRACT_OFFICER, council)


@pytest.fixture
def other_broker(make_member):
    """A broker at another brokerage, who must not see this one's people."""
    return make_member(Role.BROKER, BrokerOrganisationFactory())


@pytest.fixture
def provider_user(provider_org, make_member):
    return make_member(Role.PROVIDER_ADMIN, provider_org)
