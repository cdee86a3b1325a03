"""Provider portal pages that brokerage serves (a provider's negotiations and care package
requests), under /portal/<org_id>/ beside the pages of :mod:`providers.urls`."""

from brokerage.views import provider_negotiations, provider_package_requests

app_name = "brokerage_portal"
urlpatterns = [*provider_negotiations.urlpatterns, *provider_package_requests.urlpatterns]
