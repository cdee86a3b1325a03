"""Council console pages for ISF contracts (see :mod:`isf.console`)."""

from wagtail import hooks

from isf import console


@hooks.register("register_admin_urls")
def register_isf_urls():
    return console.urlpatterns


for _item in console.menu_items:
    hooks.register("register_admin_menu_item", _item)
