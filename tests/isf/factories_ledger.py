import datetime
import itertools

from isf.constants import ContractStatus
from isf.models import IsfContract
from tests.brokerage.factories import PersonFactory, approved_listing

_references = itertools.count(1)


def ledger_contract(*, person=None, listing=None, status=ContractStatus.ACTIVE, **fields) -> IsfContract:
    """An ISF contract row built directly (no plan approval): a new person and a new approved
    provider's listing unless given."""
    if listing is None:
        listing = approved_listing().listing
    return IsfContract.objects.create(
        reference=f"ISF-L{next(_references):06d}", person=person or PersonFactory(), provider=listing.organisation,
        listing=listing, status=status, starts_on=fields.pop("starts_on", datetime.date(2026, 4, 6)), **fields)
