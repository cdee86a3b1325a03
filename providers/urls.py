from django.urls import path

from providers import views

app_name = "providers"
urlpatterns = [
    path("", views.home, name="home"),
    path("<int:org_id>/", views.organisation, name="organisation"),
    path("<int:org_id>/apply/", views.accreditation_apply, name="accreditation_apply"),
    path("<int:org_id>/evidence/<int:standard_id>/", views.evidence_upload, name="evidence_upload"),
    path("<int:org_id>/evidence/file/<int:evidence_id>/", views.evidence_download, name="evidence_download"),
    path("<int:org_id>/services/", views.listings, name="listings"),
    path("<int:org_id>/services/new/", views.listing_create, name="listing_create"),
    path("<int:org_id>/services/<int:listing_id>/", views.listing_detail, name="listing"),
    path("<int:org_id>/services/<int:listing_id>/edit/", views.listing_edit, name="listing_edit"),
    *[path(f"<int:org_id>/services/<int:listing_id>/{action}/", views.listing_status, {"action": action},
           name=f"listing_{action}") for action in ("publish", "pause", "withdraw")],
    path("<int:org_id>/services/<int:listing_id>/rates/", views.rate_card_add, name="rate_card_add"),
    path("<int:org_id>/services/<int:listing_id>/capacity/", views.listing_capacity, name="listing_capacity"),
    path("<int:org_id>/services/<int:listing_id>/specialist-claim/", views.specialist_claim_submit,
         name="specialist_claim_submit"),
    path("<int:org_id>/services/<int:listing_id>/specialist-claim/<int:claim_id>/withdraw/",
         views.specialist_claim_withdraw, name="specialist_claim_withdraw"),
]
