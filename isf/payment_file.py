"""The payment file of a run: a CSV of BACS lines for the council's finance system, one per payment
the run sent through the payment file gateway (sent, or already settled).

Columns: payee name (the name on the bank account), sort code, account number, amount in pounds
(``123.45``), BACS reference and the payment's key, which the finance system can use to refuse a
line it has already paid. A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return) is prefixed with a single quote, so a spreadsheet opening the file never runs it as a
formula.
"""

from isf.constants import Gateway, PaymentStatus
from isf.gateways.payment_file import payee_account
from isf.models import Payment, PaymentRun
from marketplace.csv_export import csv_text
from marketplace.money import to_pounds

HEADER = ["payee_name", "sort_code", "account_number", "amount", "reference", "payment_key"]


def file_payments(run: PaymentRun):
    """The run's payments that belong in its file, in a stable order."""
    return (Payment.objects.filter(run=run, gateway=Gateway.PAYMENT_FILE,
                                   status__in=(PaymentStatus.SENT, PaymentStatus.SETTLED))
            .select_related("payee_organisation__payee_account", "person__payee_account").order_by("pk"))


def payment_file_csv(run: PaymentRun) -> str:
    """The run's payment file as CSV text: a header and one row per payment (see the module)."""
    rows = [HEADER]
    for payment in file_payments(run):
        account = payee_account(payment)
        holder, sort_code, number = ((account.holder_name, account.sort_code, account.account_number)
                                     if account is not None else ("", "", ""))
        rows.append([holder, sort_code, number, f"{to_pounds(payment.amount_pence)}", payment.gateway_reference,
                     payment.idempotency_key])
    return csv_text(rows)
