"""Council console (Wagtail admin) views for the quality framework, prices and the directory's
places and languages."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from marketplace.constants import Role
from marketplace.permissions import has_role
from providers import console
from providers.models import Area, Language, QualityStandard


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


class AreaViewSet(SnippetViewSet):
    """Postcode districts and wards services cover. Contract officers add and correct them; the
    group has no delete permission, because listings and people refer to them."""

    model = Area
    icon = "site"
    menu_label = "Areas"
    menu_name = "areas"
    add_to_admin_menu = True
    menu_order = 210
    list_display = ["code", "name", "kind"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    panels = [FieldPanel("kind"), FieldPanel("code"), FieldPanel("name"), FieldPanel("districts")]


class LanguageViewSet(SnippetViewSet):
    """Languages a service can be delivered in (ISO 639 codes, as Open Referral expects)."""

    model = Language
    icon = "globe"
    menu_label = "Languages"
    menu_name = "languages"
    add_to_admin_menu = True
    menu_order = 211
    list_display = ["name", "code"]
    search_fields = ["code", "name"]
    panels = [FieldPanel("code"), FieldPanel("name")]


register_snippet(AreaViewSet)
register_snippet(LanguageViewSet)


@hooks.register("register_admin_urls")
def register_accreditation_urls():
    return [
        path("accreditations/", console.AccreditationIndexView.as_view(), name="accreditation_index"),
        path("accreditations/<int:pk>/", console.AccreditationDetailView.as_view(), name="accreditation_detail"),
        path("accreditations/<int:pk>/evidence/<int:evidence_id>/", console.EvidenceDownloadView.as_view(),
             name="accreditation_evidence"),
    ]


@hooks.register("register_admin_urls")
def register_pricing_urls():
    return [
        path("reference-rates/", console.ReferenceRateIndexView.as_view(), name="reference_rate_index"),
        path("specialist-claims/", console.SpecialistClaimIndexView.as_view(), name="specialist_claim_index"),
        path("specialist-claims/<int:pk>/", console.SpecialistClaimDetailView.as_view(),
             name="specialist_claim_detail"),
    ]


class ContractOfficerMenuItem(MenuItem):
    def is_shown(self, request):
        return has_role(request.user, Role.CONTRACT_OFFICER)


@hooks.register("register_admin_menu_item")
def register_accreditation_menu_item():
    return ContractOfficerMenuItem("Accreditations", reverse("accreditation_index"), icon_name="tasks", order=190)


@hooks.register("register_admin_menu_item")
def register_reference_rate_menu_item():
    return ContractOfficerMenuItem("Reference rates", reverse("reference_rate_index"), icon_name="tag", order=191)


@hooks.register("register_admin_menu_item")
def register_specialist_claim_menu_item():
    return ContractOfficerMenuItem("Specialist claims", reverse("specialist_claim_index"), icon_name="help",
                                   order=192)
