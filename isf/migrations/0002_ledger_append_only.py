from django.db import migrations

from marketplace.db.append_only import append_only_operations


class Migration(migrations.Migration):
    """The database itself refuses to change or delete ledger rows."""

    dependencies = [("isf", "0001_contracts_and_ledger")]

    operations = [*append_only_operations("isf_ledgertransaction"), *append_only_operations("isf_entry")]
