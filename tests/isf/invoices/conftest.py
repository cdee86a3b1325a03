import pytest

from marketplace.constants import Role
from tests.isf.invoices.factories import active_contract, staff_of


@pytest.fixture
def officer(council, make_member):
    """A council contract officer: queries and rejects invoices, may not approve them."""
    return make_member(Role.CONTRACT_OFFICER, council)


@pytest.fixture
def finance(council, make_member):
    """A council finance officer: approves invoices."""
    return make_member(Role.FINANCE_OFFICER, council)


@pytest.fixture
def active(officer):
    """An active contract (16 hours a week at £24.00, started 8 weeks ago) with £2,000.00 in its fund."""
    return active_contract(officer)


@pytest.fixture
def staff(active):
    return staff_of(active)


@pytest.fixture
def other(officer):
    """Another provider's active contract."""
    return active_contract(officer)


@pytest.fixture
def other_staff(other):
    return staff_of(other)
