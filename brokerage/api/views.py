from django_filters import rest_framework as filters

from brokerage.api.serializers import PersonSerializer
from brokerage.models import Person
from marketplace.api.views import ScopedReadOnlyViewSet


class PersonFilter(filters.FilterSet):
    class Meta:
        model = Person
        fields = ["client_group"]


class PersonViewSet(ScopedReadOnlyViewSet):
    """People's records: a broker sees the people who chose them, council officers everyone."""

    queryset = Person.objects.select_related("broker_organisation")
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
