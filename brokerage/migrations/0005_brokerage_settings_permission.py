"""Contract officers edit the council's brokerage settings (tolerance, quality weight, deadlines)
in the console; Wagtail shows a settings model to those who hold its change permission."""

from django.db import migrations


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type, _ = ContentType.objects.get_or_create(app_label="brokerage", model="brokeragesettings")
    permission, _ = Permission.objects.get_or_create(content_type=content_type, codename="change_brokeragesettings",
                                                     defaults={"name": "Can change brokerage settings"})
    officers, _ = Group.objects.get_or_create(name="Council contract officers")
    officers.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("brokerage", "0004_plans_negotiations_signoff"),
        ("marketplace", "0003_role_groups"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
