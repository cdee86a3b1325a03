"""The REST API under /api/v1/: each app's viewsets registered on one router."""

from rest_framework.routers import DefaultRouter

from brokerage.api.views import PersonViewSet
from providers.api.views import OrganisationViewSet

router = DefaultRouter()
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("people", PersonViewSet, basename="person")
