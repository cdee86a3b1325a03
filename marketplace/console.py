"""What every council console (Wagtail admin) page of the project shares."""

from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin


class ConsolePage(WagtailAdminTemplateMixin):
    """A console page whose header names it: Wagtail's default shows only "Home" in the header
    and keeps the title for screen readers, so officers could not see which page they are on."""

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]
