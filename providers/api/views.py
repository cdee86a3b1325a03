from django_filters import rest_framework as filters
from rest_framework.permissions import AllowAny

from marketplace.api.views import ScopedReadOnlyViewSet
from marketplace.models import Organisation
from providers.api.serializers import OrganisationSerializer


class OrganisationFilter(filters.FilterSet):
    class Meta:
        model = Organisation
        fields = ["is_provider", "is_broker"]


class OrganisationViewSet(ScopedReadOnlyViewSet):
    """Approved organisations are public; staff also see their own, council staff see all."""

    queryset = Organisation.objects.all()
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilter
    permission_classes = [AllowAny]
