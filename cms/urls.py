from django.urls import path
from django.views.generic import TemplateView

app_name = "cms"
urlpatterns = [
    path("accessibility/", TemplateView.as_view(template_name="cms/static_pages/accessibility.html"),
         name="accessibility"),
    path("cookies/", TemplateView.as_view(template_name="cms/static_pages/cookies.html"), name="cookies"),
]
