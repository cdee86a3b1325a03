from django.urls import path

from brokerage import views

app_name = "brokerage"
urlpatterns = [
    path("", views.people_list, name="people"),
    path("<int:pk>/", views.person_detail, name="person"),
]
