from django.db import migrations

from marketplace.db.append_only import append_only_operations


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0001_initial")]

    operations = append_only_operations("marketplace_auditevent")
