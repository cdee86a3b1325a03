from django.urls import include, path
from django.views.generic import TemplateView

from cms import search

app_name = "cms"
urlpatterns = [
    path("accessibility/", TemplateView.as_view(template_name="cms/static_pages/accessibility.html"),
         name="accessibility"),
    path("cookies/", TemplateView.as_view(template_name="cms/static_pages/cookies.html"), name="cookies"),
    path("search/", search.search, name="search"),
    path("my-support/", include("cms.my_support.urls")),
]
