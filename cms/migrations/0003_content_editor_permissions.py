"""Content editors may write and publish pages under the home page, and manage images and documents."""

from django.db import migrations

PAGE_CODENAMES = ["add_page", "change_page", "publish_page"]
MEDIA_CODENAMES = {
    ("wagtailimages", "image"): ["add_image", "change_image", "choose_image"],
    ("wagtaildocs", "document"): ["add_document", "change_document", "choose_document"],
}


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    Collection = apps.get_model("wagtailcore", "Collection")
    HomePage = apps.get_model("cms", "HomePage")

    editors, _ = Group.objects.get_or_create(name="Content editors")
    page_type, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="page")
    home = HomePage.objects.get()
    for codename in PAGE_CODENAMES:
        permission, _ = Permission.objects.get_or_create(content_type=page_type, codename=codename,
                                                         defaults={"name": codename.replace("_", " ")})
        GroupPagePermission.objects.get_or_create(group=editors, page_id=home.pk, permission=permission)
    root_collection = Collection.objects.filter(depth=1).first()
    for (app_label, model), codenames in MEDIA_CODENAMES.items():
        content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
        for codename in codenames:
            permission, _ = Permission.objects.get_or_create(content_type=content_type, codename=codename,
                                                             defaults={"name": codename.replace("_", " ")})
            if root_collection:
                GroupCollectionPermission.objects.get_or_create(group=editors, collection=root_collection,
                                                                permission=permission)


def revoke(apps, schema_editor):
    apps.get_model("wagtailcore", "GroupPagePermission").objects.filter(group__name="Content editors").delete()
    apps.get_model("wagtailcore", "GroupCollectionPermission").objects.filter(group__name="Content editors").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0002_site_pages"),
        ("marketplace", "0003_role_groups"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
