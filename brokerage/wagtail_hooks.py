"""Council console (Wagtail admin) views for the Resource Allocation System; contract officers only."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from brokerage import console
from marketplace.constants import Role
from marketplace.permissions import has_role


@hooks.register("register_admin_urls")
def register_ras_urls():
    return [
        path("ras/", console.RasVersionIndexView.as_view(), name="ras_index"),
        path("ras/<int:pk>/", console.RasVersionDetailView.as_view(), name="ras_detail"),
    ]


class ContractOfficerMenuItem(MenuItem):
    def is_shown(self, request):
        return has_role(request.user, Role.CONTRACT_OFFICER)


@hooks.register("register_admin_menu_item")
def register_ras_menu_item():
    return ContractOfficerMenuItem("Resource Allocation System", reverse("ras_index"), icon_name="sliders",
                                   order=193)
