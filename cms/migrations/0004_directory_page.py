"""The directory page type, and a live "Find care and support" directory page under the home page
(slug ``find-support``) so that a fresh install has a working directory. ``/directory/``, which the
site's navigation links to, redirects to it until an editor decides otherwise."""

import django.db.models.deletion
import wagtail.contrib.routable_page.models
from django.conf import settings
from django.db import migrations, models


TITLE = "Find care and support"
SLUG = "find-support"
INTRO = (
    "Search the care and support services of providers the council has approved, compare their "
    "prices, and find people who can help you plan your support."
)
BROKERS_INTRO = (
    "Brokers (support planners) are approved by the council to help you plan how to use your personal "
    "budget and arrange your support. You can also ask the council's own team."
)
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # treebeard's path alphabet, 4 characters a step
STEP = 4


def _next_child_path(parent, Page):
    last = Page.objects.filter(path__startswith=parent.path, depth=parent.depth + 1).order_by("-path").first()
    number = int(last.path[-STEP:], 36) + 1 if last else 1
    segment = ""
    for _ in range(STEP):
        number, digit = divmod(number, 36)
        segment = ALPHABET[digit] + segment
    return parent.path + segment


def create_directory(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Page = apps.get_model("wagtailcore", "Page")
    HomePage = apps.get_model("cms", "HomePage")
    DirectoryPage = apps.get_model("cms", "DirectoryPage")
    Redirect = apps.get_model("wagtailredirects", "Redirect")

    home = HomePage.objects.order_by("path").first()
    if home is None or Page.objects.filter(path__startswith=home.path, depth=home.depth + 1, slug=SLUG).exists():
        return
    directory_type, _ = ContentType.objects.get_or_create(app_label="cms", model="directorypage")
    directory = DirectoryPage.objects.create(
        title=TITLE, draft_title=TITLE, slug=SLUG, content_type=directory_type,
        path=_next_child_path(home, Page), depth=home.depth + 1, numchild=0,
        url_path=f"{home.url_path}{SLUG}/", intro=INTRO, brokers_intro=BROKERS_INTRO,
        locale_id=home.locale_id, live=True,
    )
    Page.objects.filter(pk=home.pk).update(numchild=home.numchild + 1)
    if not Redirect.objects.filter(old_path="/directory").exists():
        Redirect.objects.create(old_path="/directory", redirect_page=directory, is_permanent=False)


def remove_directory(apps, schema_editor):
    Page = apps.get_model("wagtailcore", "Page")
    apps.get_model("wagtailredirects", "Redirect").objects.filter(old_path="/directory").delete()
    for directory in apps.get_model("cms", "DirectoryPage").objects.filter(slug=SLUG):
        parent = Page.objects.get(path=directory.path[:-STEP])
        directory.delete()
        Page.objects.filter(pk=parent.pk).update(numchild=max(parent.numchild - 1, 0))


class Migration(migrations.Migration):

    dependencies = [
        ('cms', '0003_content_editor_permissions'),
        ('wagtailcore', '0098_apitoken'),
        ('wagtailredirects', '0008_add_verbose_name_plural'),
    ]

    operations = [
        migrations.CreateModel(
            name='DirectoryPage',
            fields=[
                ('page_ptr', models.OneToOneField(auto_created=True, on_delete=django.db.models.deletion.CASCADE, parent_link=True, primary_key=True, serialize=False, to=settings.WAGTAIL_PAGE_MODEL)),
                ('intro', models.TextField(help_text='One or two sentences under the main heading of the search page.')),
                ('brokers_intro', models.TextField(blank=True, help_text='Shown above the search for people who can help you plan (brokers).')),
            ],
            options={
                'abstract': False,
            },
            bases=(wagtail.contrib.routable_page.models.RoutablePageMixin, 'wagtailcore.page'),
        ),
        migrations.RunPython(create_directory, remove_directory),
    ]
