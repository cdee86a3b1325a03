"""A stored Open Referral id for every service.

Existing services keep the id the feed already published for them (a version-5 UUID of their
reference), so consumers see no change; new services get a random UUID.
"""

import uuid

from django.db import migrations, models

# The namespace the feed used for ids worked out from references (providers/openreferral/ids.py).
FEED_NAMESPACE = uuid.UUID("6f1c8a4e-2b1d-5c55-9a57-3d0e1c6b7a10")


def fill(apps, schema_editor):
    ServiceListing = apps.get_model("providers", "ServiceListing")
    listings = list(ServiceListing.objects.only("pk", "reference"))
    for listing in listings:
        listing.feed_id = uuid.uuid5(FEED_NAMESPACE, f"service:{listing.reference}")
    ServiceListing.objects.bulk_update(listings, ["feed_id"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("providers", "0007_listing_title_index")]

    operations = [
        migrations.AddField("servicelisting", "feed_id", models.UUIDField(null=True, editable=False)),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField("servicelisting", "feed_id",
                              models.UUIDField(default=uuid.uuid4, unique=True, editable=False)),
    ]
