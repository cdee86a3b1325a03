from django.urls import path

from brokerage.views import negotiations, package_requests, plans
from brokerage.views import people as views

app_name = "brokerage"
urlpatterns = [
    path("", views.people_list, name="people"),
    path("<int:pk>/", views.person_detail, name="person"),
    path("<int:pk>/assessments/new/", views.assessment_start, name="assessment_start"),
    path("<int:pk>/assessments/<int:assessment_id>/", views.assessment_detail, name="assessment"),
    path("<int:pk>/budgets/new/", views.budget_new, name="budget_new"),
    path("<int:pk>/budgets/<int:budget_id>/", views.budget_detail, name="budget"),
    path("<int:pk>/reablement/new/", views.reablement_start, name="reablement_start"),
    path("<int:pk>/reablement/<int:episode_id>/end/", views.reablement_end, name="reablement_end"),
    path("<int:pk>/arranged-services/new/", views.arranged_service_new, name="arranged_service_new"),
    path("<int:pk>/arranged-services/<int:service_id>/end/", views.arranged_service_end, name="arranged_service_end"),
    *plans.urlpatterns,
    *negotiations.urlpatterns,
    *package_requests.urlpatterns,
]
