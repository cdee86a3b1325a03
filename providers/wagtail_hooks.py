"""Council console (Wagtail admin) views for the quality framework."""

from wagtail.admin.panels import FieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

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
