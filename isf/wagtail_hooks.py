"""Council console pages for ISFs: contracts, payment runs, invoices and surpluses."""

from wagtail import hooks

from isf import console, console_invoices, console_payees, console_payments, console_surpluses

CONSOLE_MODULES = (console, console_payments, console_invoices, console_surpluses, console_payees)


@hooks.register("register_admin_urls")
def register_isf_urls():
    return [pattern for module in CONSOLE_MODULES for pattern in module.urlpatterns]


for _module in CONSOLE_MODULES:
    for _item in _module.menu_items:
        hooks.register("register_admin_menu_item", _item)
