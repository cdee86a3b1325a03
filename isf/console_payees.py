"""Stub: filled in by its owner."""

urlpatterns = []
menu_items = []
