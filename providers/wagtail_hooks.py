"""Council console (Wagtail admin) views for the quality framework."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from marketplace.constants import Role
from marketplace.permissions import has_role
from providers import console
from providers.models import QualityStandard


class QualityStandardViewSet(SnippetViewSet):
    """Contract officers keep the framework's standards; retired ones are made inactive, not deleted."""

    model = QualityStandard
    icon = "tasks"
    menu_label = "Quality standards"
    menu_name = "quality-standards"
    add_to_admin_menu = True
    menu_order = 200
    list_display = ["code", "title", "applies_to", "mandatory", "renewal_months", "active"]
    list_filter = ["applies_to", "mandatory", "active"]
    search_fields = ["code", "title"]
    panels = [
        FieldPanel("code"), FieldPanel("title"), FieldPanel("evidence_required"), FieldPanel("applies_to"),
        FieldPanel("mandatory"), FieldPanel("renewal_months"), FieldPanel("active"),
    ]


register_snippet(QualityStandardViewSet)


@hooks.register("register_admin_urls")
def register_accreditation_urls():
    return [
        path("accreditations/", console.AccreditationIndexView.as_view(), name="accreditation_index"),
        path("accreditations/<int:pk>/", console.AccreditationDetailView.as_view(), name="accreditation_detail"),
    ]


class ContractOfficerMenuItem(MenuItem):
    def is_shown(self, request):
        return has_role(request.user, Role.CONTRACT_OFFICER)


@hooks.register("register_admin_menu_item")
def register_accreditation_menu_item():
    return ContractOfficerMenuItem("Accreditations", reverse("accreditation_index"), icon_name="tasks", order=190)
