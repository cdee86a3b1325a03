"""The council's starting Resource Allocation System: version 1 of each method, in use, and
contract officers' right to keep them.

Points-based v1: points per level of need (none, some, regular, everything) weighted by domain —
personal care and continence weigh most — at £2.75 a point, times a client-group factor.
Cost-based v1: the standard services that typically meet each level, priced at the council's
reference rates for the category and unit when a budget is worked out. Reablement appears where it
typically helps but is free and never counted [H I].
"""

from decimal import Decimal

from django.db import migrations
from django.utils import timezone

POINTS_NAME = "Starting points table"
COST_NAME = "Starting typical services"
PENCE_PER_POINT = 275

# domain: points at level 0, 1, 2, 3 (the 0/4/9/15 scale, weighted by how much help the area takes)
POINTS = {
    "personal_care": (0, 6, 14, 22),
    "nutrition": (0, 4, 9, 15),
    "continence": (0, 5, 11, 19),
    "mobility": (0, 4, 9, 15),
    "safety": (0, 5, 11, 19),
    "home": (0, 3, 7, 11),
    "relationships": (0, 2, 5, 8),
    "work_learning": (0, 3, 7, 11),
    "community": (0, 3, 7, 11),
    "carer_role": (0, 2, 5, 8),
}
FACTORS = {
    "older_person": "1.000",
    "physical_disability": "1.050",
    "learning_disability": "1.150",
    "mental_health": "1.100",
    "carer": "1.000",
}

# (domain, level, category slug, unit, quantity a week)
TYPICAL_SERVICES = [
    ("personal_care", 1, "homecare", "hour", "3.5"),
    ("personal_care", 2, "homecare", "hour", "7"),
    ("personal_care", 3, "homecare", "hour", "14"),
    ("nutrition", 1, "homecare", "hour", "1.75"),
    ("nutrition", 2, "homecare", "hour", "3.5"),
    ("nutrition", 3, "homecare", "hour", "7"),
    ("continence", 1, "homecare", "hour", "1"),
    ("continence", 2, "homecare", "hour", "2.5"),
    ("continence", 3, "homecare", "hour", "5"),
    ("mobility", 1, "transport", "item", "2"),
    ("mobility", 2, "transport", "item", "4"),
    ("mobility", 2, "reablement", "hour", "3"),
    ("mobility", 3, "transport", "item", "6"),
    ("mobility", 3, "reablement", "hour", "5"),
    ("safety", 1, "telecare", "week", "1"),
    ("safety", 2, "telecare", "week", "1"),
    ("safety", 2, "supported-living", "hour", "3"),
    ("safety", 3, "telecare", "week", "1"),
    ("safety", 3, "supported-living", "hour", "10"),
    ("home", 1, "personal-assistants", "hour", "1"),
    ("home", 2, "personal-assistants", "hour", "2.5"),
    ("home", 3, "personal-assistants", "hour", "5"),
    ("relationships", 1, "personal-assistants", "hour", "1"),
    ("relationships", 2, "personal-assistants", "hour", "2"),
    ("relationships", 3, "personal-assistants", "hour", "4"),
    ("work_learning", 1, "day-opportunities", "session", "1"),
    ("work_learning", 2, "day-opportunities", "session", "2"),
    ("work_learning", 3, "day-opportunities", "session", "4"),
    ("community", 1, "personal-assistants", "hour", "2"),
    ("community", 2, "day-opportunities", "session", "2"),
    ("community", 2, "transport", "item", "4"),
    ("community", 3, "day-opportunities", "session", "3"),
    ("community", 3, "transport", "item", "6"),
    ("carer_role", 1, "short-breaks", "night", "0.25"),
    ("carer_role", 2, "short-breaks", "night", "0.5"),
    ("carer_role", 3, "short-breaks", "night", "1"),
]
OFFICER_PERMISSIONS = ["add_rasversion", "change_rasversion", "view_rasversion"]


def forwards(apps, schema_editor):
    RasVersion = apps.get_model("brokerage", "RasVersion")
    RasPoints = apps.get_model("brokerage", "RasPoints")
    RasClientGroupFactor = apps.get_model("brokerage", "RasClientGroupFactor")
    RasTypicalService = apps.get_model("brokerage", "RasTypicalService")
    ServiceCategory = apps.get_model("providers", "ServiceCategory")
    now = timezone.now()

    if not RasVersion.objects.filter(method="points").exists():
        version = RasVersion.objects.create(
            method="points", number=1, name=POINTS_NAME, status="active", pence_per_point=PENCE_PER_POINT,
            activated_at=now, notes="The council's first points table, set up with the system.")
        RasPoints.objects.bulk_create(
            RasPoints(version=version, domain=domain, level=level, points=points)
            for domain, row in POINTS.items() for level, points in enumerate(row))
        RasClientGroupFactor.objects.bulk_create(
            RasClientGroupFactor(version=version, client_group=group, factor=Decimal(factor))
            for group, factor in FACTORS.items())

    if not RasVersion.objects.filter(method="cost").exists():
        categories = dict(ServiceCategory.objects.values_list("slug", "id"))
        version = RasVersion.objects.create(
            method="cost", number=1, name=COST_NAME, status="active", activated_at=now,
            notes="The standard services that meet each level of need, priced at the reference rates.")
        RasTypicalService.objects.bulk_create(
            RasTypicalService(version=version, domain=domain, level=level, category_id=categories[slug], unit=unit,
                              quantity_per_week=Decimal(quantity))
            for domain, level, slug, unit, quantity in TYPICAL_SERVICES if slug in categories)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type, _ = ContentType.objects.get_or_create(app_label="brokerage", model="rasversion")
    officers, _ = Group.objects.get_or_create(name="Council contract officers")
    for codename in OFFICER_PERMISSIONS:
        permission, _ = Permission.objects.get_or_create(content_type=content_type, codename=codename,
                                                         defaults={"name": codename.replace("_", " ")})
        officers.permissions.add(permission)


def backwards(apps, schema_editor):
    RasVersion = apps.get_model("brokerage", "RasVersion")
    RasVersion.objects.filter(number=1, name__in=[POINTS_NAME, COST_NAME], budgets__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("brokerage", "0002_assessments_ras_budgets"),
        ("providers", "0002_service_categories"),
        ("marketplace", "0003_role_groups"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
