"""A person's own ISF pages, under /people/<person_id>/isf/: their statement and paying their
contribution by card. Seen by the person, their representative and council officers."""

from isf import card_views, people_views

app_name = "isf_people"
urlpatterns = people_views.urlpatterns + card_views.urlpatterns
