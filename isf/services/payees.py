"""Where payments go: a provider's bank account (and its Stripe connected account), or the account a
person's direct payment is paid into and who manages it.

Bank details are sensitive: the audit log keeps only the last four digits of the sort code and the
account number, so reading the log never reveals where money can be sent.
"""

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from brokerage.models import Person
from isf.models import PayeeAccount
from marketplace import audit
from marketplace.constants import Role
from marketplace.models import Organisation, User
from marketplace.permissions import has_role, organisation_ids

__all__ = ["MANAGERS", "mask", "payee_account_save", "payee_can_edit_organisation", "payee_can_edit_person",
           "payee_details_problems"]

# Who looks after a direct payment's account [DESIGN §2 "How a budget is deployed"]; a trustee is
# named, the others are described by their role.
MANAGERS = {
    "person": "The person",
    "representative": "Their representative",
    "client_money": "The council's client money service",
    "trustee": "A named trustee",
}

HOLDER_MAX = 140
MANAGED_BY_MAX = 200
STRIPE_ACCOUNT = re.compile(r"^acct_[A-Za-z0-9]{1,59}$")


def mask(digits: str) -> str:
    """``digits`` with all but the last four hidden, for the audit log and read-only pages."""
    digits = digits or ""
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


def payee_can_edit_organisation(user: User, organisation: Organisation) -> bool:
    """The provider's administrators and the council's finance officers may change its bank details."""
    return has_role(user, Role.FINANCE_OFFICER) or organisation.pk in organisation_ids(user, Role.PROVIDER_ADMIN)


def payee_can_edit_person(user: User) -> bool:
    """Council finance and contract officers record where a person's direct payment goes."""
    return has_role(user, Role.FINANCE_OFFICER, Role.CONTRACT_OFFICER)


def _cleaned(*, holder_name: str, sort_code: str, account_number: str, managed_by: str,
             stripe_account_id: str) -> dict:
    """The details normalised, or ``ValidationError`` naming every field that is wrong."""
    errors: dict[str, str] = {}
    holder_name = " ".join((holder_name or "").split())
    if not holder_name:
        errors["holder_name"] = "Enter the name on the account"
    elif len(holder_name) > HOLDER_MAX:
        errors["holder_name"] = f"The name on the account must be {HOLDER_MAX} characters or fewer"
    # People write sort codes as 309430, 30-94-30 or 30 94 30; banks mean the same six digits.
    sort_code = re.sub(r"[\s-]", "", sort_code or "")
    if not sort_code:
        errors["sort_code"] = "Enter a sort code"
    elif not re.fullmatch(r"\d{6}", sort_code):
        errors["sort_code"] = "Enter a valid sort code like 309430"
    account_number = re.sub(r"\s", "", account_number or "")
    if not account_number:
        errors["account_number"] = "Enter an account number"
    elif not re.fullmatch(r"\d{8}", account_number):
        errors["account_number"] = "Enter a valid account number like 00733445; it must be 8 digits long"
    managed_by = (managed_by or "").strip()
    if len(managed_by) > MANAGED_BY_MAX:
        errors["managed_by"] = f"Who manages the account must be {MANAGED_BY_MAX} characters or fewer"
    stripe_account_id = (stripe_account_id or "").strip()
    if stripe_account_id and not STRIPE_ACCOUNT.fullmatch(stripe_account_id):
        errors["stripe_account_id"] = "Enter the Stripe account ID as it appears in Stripe, starting acct_"
    if errors:
        raise ValidationError(errors)
    return {"holder_name": holder_name, "sort_code": sort_code, "account_number": account_number,
            "managed_by": managed_by, "stripe_account_id": stripe_account_id}


def payee_details_problems(*, holder_name: str = "", sort_code: str = "", account_number: str = "",
                           managed_by: str = "", stripe_account_id: str = "") -> dict[str, str]:
    """``{field: problem}`` for bank details as they would be saved (empty when all is well), so a
    form can list every problem at once. Writes nothing."""
    try:
        _cleaned(holder_name=holder_name, sort_code=sort_code, account_number=account_number,
                 managed_by=managed_by, stripe_account_id=stripe_account_id)
    except ValidationError as error:
        return {field: errors[0].message for field, errors in error.error_dict.items()}
    return {}


def _masked(account: PayeeAccount | None) -> dict:
    if account is None:
        return {}
    return {"holder_name": account.holder_name, "sort_code": mask(account.sort_code),
            "account_number": mask(account.account_number), "managed_by": account.managed_by,
            "stripe_account_id": account.stripe_account_id}


@transaction.atomic
def payee_account_save(*, by: User, holder_name: str, sort_code: str, account_number: str,
                       organisation: Organisation | None = None, person: Person | None = None,
                       managed_by: str = "", stripe_account_id: str = "") -> PayeeAccount:
    """Record (or replace) the bank account payments to ``organisation`` or ``person`` go to.

    Exactly one of ``organisation`` and ``person`` is given. A provider's details are changed by its
    administrators or a council finance officer; a person's by a council finance or contract
    officer. The sort code may be typed with spaces or hyphens and is stored as six digits.

    Raises ``ValueError`` unless exactly one owner is given, ``PermissionDenied`` for anyone else,
    and ``ValidationError`` (keyed by field) for a missing or malformed detail. Writes the audit
    event ``payeeaccount.saved`` with the sort code and account number masked.
    """
    if (organisation is None) == (person is None):
        raise ValueError("Give either an organisation or a person, not both or neither")
    allowed = (payee_can_edit_organisation(by, organisation) if organisation is not None
               else payee_can_edit_person(by))
    if not allowed:
        raise PermissionDenied("You do not have permission to do that.")
    details = _cleaned(holder_name=holder_name, sort_code=sort_code, account_number=account_number,
                       managed_by=managed_by, stripe_account_id=stripe_account_id)
    owner = {"organisation": organisation} if organisation is not None else {"person": person}
    account = PayeeAccount.objects.select_for_update().filter(**owner).first()
    before = _masked(account)
    if account is None:
        account = PayeeAccount(**owner)
    for field, value in details.items():
        setattr(account, field, value)
    account.updated_by = by
    account.save()
    audit.record(actor=by, verb="payeeaccount.saved", target=account, before=before, after=_masked(account),
                 organisation=organisation)
    return account
