from django.urls import path

from providers import views

app_name = "providers"
urlpatterns = [
    path("", views.home, name="home"),
    path("<int:org_id>/", views.organisation, name="organisation"),
    path("<int:org_id>/apply/", views.accreditation_apply, name="accreditation_apply"),
    path("<int:org_id>/evidence/<int:standard_id>/", views.evidence_upload, name="evidence_upload"),
]
