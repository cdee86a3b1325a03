"""Replace Wagtail's placeholder root page with our home page and an advice section."""

from django.db import migrations

HOME_INTRO = (
    "Find approved care and support providers and brokers, understand your personal budget, "
    "and get help to plan the support that suits you."
)


def create_pages(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Page = apps.get_model("wagtailcore", "Page")
    Site = apps.get_model("wagtailcore", "Site")
    Locale = apps.get_model("wagtailcore", "Locale")
    HomePage = apps.get_model("cms", "HomePage")
    AdviceIndexPage = apps.get_model("cms", "AdviceIndexPage")

    Page.objects.filter(depth=2, content_type__app_label="wagtailcore", content_type__model="page").delete()
    locale = Locale.objects.first()
    home_type, _ = ContentType.objects.get_or_create(app_label="cms", model="homepage")
    index_type, _ = ContentType.objects.get_or_create(app_label="cms", model="adviceindexpage")
    root = Page.objects.get(depth=1)

    home = HomePage.objects.create(
        title="Care and support in your area", draft_title="Care and support in your area", slug="home",
        content_type=home_type, path=f"{root.path}0001", depth=2, numchild=1, url_path="/home/",
        intro=HOME_INTRO, body=[], locale=locale, live=True,
    )
    AdviceIndexPage.objects.create(
        title="Information and advice", draft_title="Information and advice", slug="advice",
        content_type=index_type, path=f"{home.path}0001", depth=3, numchild=0, url_path="/home/advice/",
        intro="Plain-English guides to personal budgets, ways to take them, and choosing support.",
        locale=locale, live=True,
    )
    root.numchild = 1
    root.save(update_fields=["numchild"])
    Site.objects.all().delete()
    Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True,
                        site_name="Mixed Market")


def remove_pages(apps, schema_editor):
    apps.get_model("wagtailcore", "Site").objects.all().delete()
    apps.get_model("cms", "HomePage").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(create_pages, remove_pages)]
