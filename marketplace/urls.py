from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from marketplace import views
from marketplace.api_router import router

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", views.account, name="account"),
    path("people/", include("brokerage.urls")),
    path("people/", include("isf.people_urls")),
    path("webhooks/", include("isf.webhook_urls")),
    path("portal/", include("providers.urls")),
    path("portal/", include("brokerage.portal_urls")),
    path("portal/", include("isf.urls")),
    path("openreferral/", include("providers.openreferral.urls")),
    path("", include("cms.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-v1-schema"),
    # Swagger UI from drf-spectacular-sidecar's static files, so the docs need no CDN.
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include(router.urls)),
]

if settings.DEBUG:
    from django.urls import re_path
    from django.views.static import serve

    # Development only: public uploads (Wagtail images and documents). Evidence is never served
    # from here; it is private to the organisation and the council.
    urlpatterns += [re_path(r"^media/(?!evidence/)(?P<path>.+)$", serve, {"document_root": settings.MEDIA_ROOT})]

# Wagtail serves every other path from the page tree; it must come last.
urlpatterns += [path("", include(wagtail_urls))]
