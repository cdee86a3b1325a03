import pytest

from isf.services import contract_accept
from marketplace.constants import Role
from tests.isf.factories_contracts import offered_contract


@pytest.fixture
def officer(council, make_member):
    return make_member(Role.CONTRACT_OFFICER, council)


@pytest.fixture
def accepted(officer, make_member):
    """A factory of active contracts made the council's way (an approved plan of 16 hours a week at
    £24.00: £384.00 a week, the person contributing £40.00, so £344.00 net), accepted by provider staff."""

    def make():
        contract = offered_contract(officer)
        staff = make_member(Role.PROVIDER_STAFF, contract.provider)
        return contract_accept(contract=contract, by=staff)

    return make


@pytest.fixture
def isf(accepted):
    return accepted()
