"""Council console pages of ``cms``: the dashboards (:mod:`cms.insight`)."""

from wagtail import hooks

from cms.insight import views as insight


@hooks.register("register_admin_urls")
def register_insight_urls():
    return insight.urlpatterns


hooks.register("register_admin_menu_item", insight.menu_item)
