"""What every council console (Wagtail admin) page of the project shares."""

from django.core.exceptions import PermissionDenied
from django.views.defaults import permission_denied
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from marketplace.permissions import is_council_officer


class ConsolePage(WagtailAdminTemplateMixin):
    """A console page whose header names it: Wagtail's default shows only "Home" in the header
    and keeps the title for screen readers, so officers could not see which page they are on."""

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]


def refused(request, who: str = "council finance officers"):
    """A 403 page saying who may do this."""
    # A response rather than PermissionDenied: Wagtail turns that into a redirect to the
    # dashboard, which would tell neither a browser nor an assistive technology what happened.
    return permission_denied(request, PermissionDenied(f"Only {who} can do that."))


class OfficersOnly:
    """Contract and finance officers see the pages; anyone else is refused (403)."""

    def dispatch(self, request, *args, **kwargs):
        if not is_council_officer(request.user):
            return refused(request, "council contract and finance officers")
        return super().dispatch(request, *args, **kwargs)


class OfficerMenuItem(MenuItem):
    """A console menu item shown to contract and finance officers."""

    def is_shown(self, request):
        return is_council_officer(request.user)
