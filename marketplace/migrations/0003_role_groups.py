"""A permission group per role; council roles may enter the council console (Wagtail admin)."""

from django.db import migrations

GROUPS = {
    "Brokers": [],
    "Provider staff": [],
    "Provider administrators": [],
    "Council contract officers": ["access_admin"],
    "Council finance officers": ["access_admin"],
    "Content editors": ["access_admin"],
}


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    admin_type, _ = ContentType.objects.get_or_create(app_label="wagtailadmin", model="admin")
    access_admin, _ = Permission.objects.get_or_create(
        content_type=admin_type, codename="access_admin", defaults={"name": "Can access Wagtail admin"}
    )
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        if "access_admin" in codenames:
            group.permissions.add(access_admin)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0002_audit_append_only"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
