from django.urls import path

from cms.my_support import views

# Included under "my-support/" by cms.urls (namespace "cms"): cms:my_support, cms:my_support_person.
urlpatterns = [
    path("", views.my_support_start, name="my_support"),
    path("<int:person_id>/", views.my_support_person, name="my_support_person"),
]
