"""The broker workspace, one module per part of the work; each module lists its own
``urlpatterns``, joined in :mod:`brokerage.urls`."""
