"""Provider portal pages for ISF contracts, under /portal/<org_id>/contracts/."""

from isf.views import app_name, urlpatterns  # noqa: F401
