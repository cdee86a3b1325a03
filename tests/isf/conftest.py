import pytest

import isf.selectors  # noqa: F401  (registers the ledger's scope rules)
from marketplace.constants import Role
from tests.isf.factories_ledger import ledger_contract
from tests.marketplace.factories import UserFactory


@pytest.fixture
def contract(db):
    """An active ISF contract between a new person and a new approved provider."""
    return ledger_contract()


@pytest.fixture
def other_contract(db):
    """An active ISF contract with another person and another provider."""
    return ledger_contract()


@pytest.fixture
def finance_officer(council, make_member):
    return make_member(Role.FINANCE_OFFICER, council)


@pytest.fixture
def contract_officer(council, make_member):
    return make_member(Role.CONTRACT_OFFICER, council)


@pytest.fixture
def provider_user(contract, make_member):
    """Staff of ``contract``'s provider."""
    return make_member(Role.PROVIDER_STAFF, contract.provider)


@pytest.fixture
def other_provider_user(other_contract, make_member):
    """Staff of ``other_contract``'s provider."""
    return make_member(Role.PROVIDER_STAFF, other_contract.provider)


@pytest.fixture
def person_user(contract):
    """The person of ``contract``, signed up as a user."""
    user = UserFactory()
    contract.person.user = user
    contract.person.save(update_fields=["user"])
    return user
