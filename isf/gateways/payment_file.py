"""The payment file gateway: each payment becomes a BACS line of its run's payment file
(:mod:`isf.payment_file`), which a finance officer gives to the council's finance system. The
embedded default: no network.

Sending only checks the payee has bank details and gives the line its BACS reference; the file is
built from the payments recorded as sent, so a payment sent again (a retry after a crash) is still
one line. Settlement comes later, when a finance officer confirms the bank paid the file.
"""

import re

from django.core.exceptions import ObjectDoesNotExist

from isf.constants import Gateway
from isf.gateways import GatewayError, Sent
from isf.models import PayeeAccount, Payment

# BACS references: at most 18 characters of capital letters, digits, space and . - / &.
BACS_REFERENCE_LENGTH = 18
_NOT_BACS = re.compile(r"[^A-Z0-9 .\-/&]")


def bacs_reference(payment: Payment) -> str:
    """The payment's reference on the payee's bank statement, the same on every retry: ``ISF`` and
    the contract number (``DP`` and the person's number for a direct payment), then the period's
    start as DDMMYY."""
    owner = f"ISF{payment.contract_id}" if payment.contract_id else f"DP{payment.person_id}"
    return _NOT_BACS.sub("", f"{owner} {payment.period_start:%d%m%y}".upper())[:BACS_REFERENCE_LENGTH]


def payee_account(payment: Payment) -> PayeeAccount | None:
    """Where the payment goes: the provider's bank account, or the person's for a direct payment."""
    owner = payment.payee_organisation if payment.payee_organisation_id else payment.person
    try:
        return owner.payee_account
    except ObjectDoesNotExist:
        return None


def payee_name(payment: Payment) -> str:
    if payment.payee_organisation_id:
        return payment.payee_organisation.name
    person = payment.person
    return f"{person.first_name} {person.last_name} ({person.reference})"


class PaymentFileGateway:
    name = Gateway.PAYMENT_FILE
    # Sending makes no network call, so a payment run sends a chunk of payments in one transaction.
    batch_safe = True

    def send(self, payment: Payment) -> Sent:
        """Take ``payment`` as a line of the payment file. Raises ``GatewayError`` (not retryable)
        when the payee has no bank details."""
        if payee_account(payment) is None:
            raise GatewayError(f"{payee_name(payment)} has no bank details", retryable=False)
        return Sent(reference=bacs_reference(payment))
