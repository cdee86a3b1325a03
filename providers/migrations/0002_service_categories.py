"""The service categories the council commissions; contract officers can add more later."""

from django.db import migrations

CATEGORIES = [
    ("homecare", "Homecare", "Help at home with personal care, meals and daily routines."),
    ("personal-assistants", "Personal assistants", "Someone you employ or contract to support you as you choose."),
    ("day-opportunities", "Day opportunities", "Activities, learning, work and social time during the day."),
    ("supported-living", "Supported living", "Support to live in your own tenancy, alone or with others."),
    ("short-breaks", "Short breaks", "Time away for you, or a break for the people who care for you."),
    ("reablement", "Reablement", "Short-term help to regain skills and confidence after illness or a stay in hospital. Free of charge."),
    ("telecare", "Telecare", "Alarms, sensors and equipment that call for help when you need it."),
    ("transport", "Transport", "Getting to activities, appointments and work."),
    ("advocacy", "Advocacy", "Independent help to say what you want and secure your rights."),
    ("support-planning", "Support planning and brokerage", "Help to plan how to spend your personal budget and arrange support."),
]


def create(apps, schema_editor):
    ServiceCategory = apps.get_model("providers", "ServiceCategory")
    for slug, name, description in CATEGORIES:
        ServiceCategory.objects.update_or_create(slug=slug, defaults={"name": name, "description": description})


def remove(apps, schema_editor):
    apps.get_model("providers", "ServiceCategory").objects.filter(slug__in=[c[0] for c in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("providers", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
