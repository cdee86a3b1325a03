"""The framework's starting standards, and contract officers' right to keep them."""

from django.db import migrations

STANDARDS = [
    ("QF-01", "Registration with the Care Quality Commission",
     "Your CQC registration certificate for the regulated activities you provide.", 12, "providers", True),
    ("QF-02", "Safeguarding adults",
     "Your safeguarding policy, the name of your safeguarding lead and when staff were last trained.", 12,
     "both", True),
    ("QF-03", "Insurance",
     "Certificates for public liability (at least £5 million) and employer's liability insurance.", 12,
     "both", True),
    ("QF-04", "Staff vetting",
     "Your recruitment policy showing enhanced DBS checks and references for everyone who works with people.",
     12, "both", True),
    ("QF-05", "Complaints and feedback",
     "Your complaints procedure and a summary of complaints and what changed in the last year.", 12, "both", True),
    ("QF-06", "Data protection",
     "Your Data Security and Protection Toolkit result, or an equivalent data protection assessment.", 12,
     "both", True),
    ("QF-07", "Independent support planning",
     "How you keep support planning independent of any services you sell, and your planners' training.", 12,
     "brokers", True),
    ("QF-08", "Business continuity",
     "Your plan for keeping support going through staff shortages, bad weather or a system failure.", 24,
     "providers", False),
]
OFFICER_PERMISSIONS = ["add_qualitystandard", "change_qualitystandard", "view_qualitystandard"]


def forwards(apps, schema_editor):
    QualityStandard = apps.get_model("providers", "QualityStandard")
    for code, title, evidence, months, scope, mandatory in STANDARDS:
        QualityStandard.objects.get_or_create(code=code, defaults={
            "title": title, "evidence_required": evidence, "renewal_months": months,
            "applies_to": scope, "mandatory": mandatory})
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type, _ = ContentType.objects.get_or_create(app_label="providers", model="qualitystandard")
    officers, _ = Group.objects.get_or_create(name="Council contract officers")
    for codename in OFFICER_PERMISSIONS:
        permission, _ = Permission.objects.get_or_create(content_type=content_type, codename=codename,
                                                         defaults={"name": codename.replace("_", " ")})
        officers.permissions.add(permission)


def backwards(apps, schema_editor):
    apps.get_model("providers", "QualityStandard").objects.filter(code__in=[s[0] for s in STANDARDS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0003_quality_framework"),
        ("marketplace", "0003_role_groups"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
