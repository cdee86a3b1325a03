"""Council console (Wagtail admin) views: the Resource Allocation System, the sign-off queue and
approval limits, and the market (care package requests with no offer); contract officers only.

Each console module lists its ``urlpatterns`` and ``menu_items`` (functions returning a
:class:`~brokerage.console.ContractOfficerMenuItem`); they are registered here."""

from django.urls import path, reverse
from wagtail import hooks

from brokerage import console, console_approvals, console_market, console_reviews
from brokerage.console import ContractOfficerMenuItem


@hooks.register("register_admin_urls")
def register_brokerage_urls():
    return [
        path("ras/", console.RasVersionIndexView.as_view(), name="ras_index"),
        path("ras/<int:pk>/", console.RasVersionDetailView.as_view(), name="ras_detail"),
        *console_approvals.urlpatterns,
        *console_market.urlpatterns,
        *console_reviews.urlpatterns,
    ]


@hooks.register("register_admin_menu_item")
def register_ras_menu_item():
    return ContractOfficerMenuItem("Resource Allocation System", reverse("ras_index"), icon_name="sliders",
                                   order=193)


for _item in (*console_approvals.menu_items, *console_market.menu_items, *console_reviews.menu_items):
    hooks.register("register_admin_menu_item", _item)
