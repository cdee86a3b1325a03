"""The directory through the API: services and their rate cards, the lookups their filters use,
and the writes a provider makes to its own services.

Reads are open to anyone, narrowed by each model's scope rule. Writes call
``providers.services`` and nothing else; a provider's staff reach only their own organisation's
services (any other is a 404, whatever its status), and the service functions check the role
again before they change anything.
"""

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission
from rest_framework.response import Response

from marketplace.api.views import ScopedReadOnlyViewSet, ScopedViewSetMixin
from marketplace.constants import PROVIDER_ROLES, ClientGroup
from marketplace.models import Organisation
from marketplace.permissions import has_role
from marketplace.scoping import visible_to
from providers import services
from providers.api.schema import ListingSearchBackend
from providers.api.serializers import (
    AreaSerializer,
    CapacityInputSerializer,
    CategorySerializer,
    ClientGroupSerializer,
    LanguageSerializer,
    ListingActionInputSerializer,
    ListingContentInputSerializer,
    ListingCreateInputSerializer,
    OrganisationSerializer,
    RateCardInputSerializer,
    RateCardSerializer,
    ServiceListingSerializer,
)
from providers.constants import RateUnit
from providers.filters import ListingFilter
from providers.models import Area, Language, RateCard, ServiceListing, current_rate_q
from providers.pricing import mark_rates, reference_rates_now
from providers.selectors import category_summary, portal_listing_organisation_ids, with_listing_details


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


# Services ----------------------------------------------------------------------------------------

class ReadOrProviderStaffWrites(BasePermission):
    """Anyone may read; only provider staff and admins may write (which organisation's services
    they may change is decided per object: another organisation's is not found)."""

    message = "Only a provider's own staff can change its services."

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_authenticated and has_role(request.user, *PROVIDER_ROLES))


def latest_per_unit(cards: list[RateCard]) -> list[RateCard]:
    """One card per unit, the latest to start, from cards ordered by unit then newest first."""
    seen, latest = set(), []
    for card in cards:
        if card.unit not in seen:
            seen.add(card.unit)
            latest.append(card)
    return latest


def mark_current_rates(listings: list[ServiceListing]) -> list[ServiceListing]:
    """Give each listing from ``with_listing_details`` its current rates marked against the reference
    rates in force today: one query for the whole page."""
    references = reference_rates_now()
    for listing in listings:
        listing.current_rates = mark_rates(latest_per_unit(listing.current_rates), references=references)
    return listings


# The public search's query parameters, described as the API takes them: min_price and max_price are
# what a person types on the search page (pounds), unlike every amount the API returns.
SEARCH_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Words to search for in the name, description, "
                     "organisation, category, specialisms, languages and areas."),
    OpenApiParameter("postcode", OpenApiTypes.STR, description="A postcode (E8 1AB) or postcode district (E8); "
                     "finds services covering it. Anything else is a 400."),
    OpenApiParameter("language", OpenApiTypes.STR, description="A language code from /api/v1/languages/."),
    OpenApiParameter("specialist", OpenApiTypes.BOOL, description="true: only services the council accepts as "
                     "specialist."),
    OpenApiParameter("has_capacity", OpenApiTypes.BOOL, description="true: only services that can take someone on "
                     "now."),
    OpenApiParameter("unit", OpenApiTypes.STR, enum=RateUnit.values,
                     description="The unit prices are compared in (min_price, max_price, price sorts); default hour."),
    OpenApiParameter("min_price", OpenApiTypes.STR, description="The least price per unit, in pounds as typed on "
                     "the public search, like 18.50. Only services with a current rate for the unit are kept."),
    OpenApiParameter("max_price", OpenApiTypes.STR, description="The most price per unit, in pounds, like 25."),
]

WRITE_ACTIONS = {"create", "partial_update", "publish", "pause", "withdraw", "capacity", "rate_cards"}
NOT_FOUND = OpenApiResponse(description="Not a service you can see (reads) or manage (writes).")
REFUSED = OpenApiResponse(description="Not signed in, or not a provider's staff.")
INVALID = OpenApiResponse(description="What to fix, by field (`__all__` for the service as a whole).")
CONFLICT = OpenApiResponse(description="The service cannot move from its status to the one asked for; "
                                       "the body gives its status and the moves allowed.")


@extend_schema_view(
    list=extend_schema(
        summary="Search services",
        description="The public directory's search with the same filters. A provider's staff also see their "
                    "own services in any status; council staff see every service.",
        parameters=SEARCH_PARAMETERS),
    retrieve=extend_schema(summary="One service", responses={200: ServiceListingSerializer, 404: NOT_FOUND}),
)
class ServiceListingViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            viewsets.GenericViewSet):
    """Services in the directory, and a provider's changes to its own."""

    queryset = ServiceListing.objects.all()
    serializer_class = ServiceListingSerializer
    filter_backends = [ListingSearchBackend]
    filterset_class = ListingFilter
    search_parameter_names = frozenset(parameter.name for parameter in SEARCH_PARAMETERS)
    permission_classes = [ReadOrProviderStaffWrites]

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset()  # narrowed by the ServiceListing scope rule
        if self.action in WRITE_ACTIONS:
            # Seeing a published service is not managing it: writes reach only the user's own.
            return queryset.filter(organisation_id__in=portal_listing_organisation_ids(self.request.user))
        return with_listing_details(queryset)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # The search narrows the list; one service is found by its id alone.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return mark_current_rates(page) if page is not None else None

    def _output(self, listing: ServiceListing) -> dict:
        """The listing as a reader sees it, read again after a write so the response shows what was saved."""
        fresh = with_listing_details(visible_to(self.request.user, ServiceListing.objects.filter(pk=listing.pk))).get()
        mark_current_rates([fresh])
        return ServiceListingSerializer(fresh, context=self.get_serializer_context()).data

    def retrieve(self, request, *args, **kwargs):
        listing = self.get_object()
        mark_current_rates([listing])
        return Response(self.get_serializer(listing).data)

    @extend_schema(summary="Create a draft service", request=ListingCreateInputSerializer,
                   responses={201: ServiceListingSerializer, 400: INVALID, 403: REFUSED})
    def create(self, request, *args, **kwargs):
        serializer = ListingCreateInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        listing = services.listing_create(by=request.user, **serializer.validated_data)
        return Response(self._output(listing), status=status.HTTP_201_CREATED)

    @extend_schema(summary="Change what a service says", request=ListingContentInputSerializer,
                   description="Send only the fields to change. The status has its own actions.",
                   responses={200: ServiceListingSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND})
    def partial_update(self, request, *args, **kwargs):
        listing = self.get_object()
        serializer = ListingContentInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.listing_update(listing=listing, by=request.user, **serializer.validated_data)
        return Response(self._output(listing))

    def _move(self, request, service) -> Response:
        listing = self.get_object()
        serializer = ListingActionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service(listing=listing, by=request.user, reason=serializer.validated_data["reason"])
        return Response(self._output(listing))

    @extend_schema(summary="Publish a service", request=ListingActionInputSerializer,
                   description="Needs a current rate card and at least one area. The service is public while "
                               "its organisation's approval is in force.",
                   responses={200: ServiceListingSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND,
                              409: CONFLICT})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._move(request, services.listing_publish)

    @extend_schema(summary="Pause a published service", request=ListingActionInputSerializer,
                   responses={200: ServiceListingSerializer, 403: REFUSED, 404: NOT_FOUND, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return self._move(request, services.listing_pause)

    @extend_schema(summary="Withdraw a service for good", request=ListingActionInputSerializer,
                   responses={200: ServiceListingSerializer, 403: REFUSED, 404: NOT_FOUND, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._move(request, services.listing_withdraw)

    @extend_schema(summary="Say how much capacity the service has now", request=CapacityInputSerializer,
                   responses={200: ServiceListingSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND})
    @action(detail=True, methods=["post"])
    def capacity(self, request, pk=None):
        listing = self.get_object()
        serializer = CapacityInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.listing_capacity_update(listing=listing, by=request.user, **serializer.validated_data)
        return Response(self._output(listing))

    @extend_schema(summary="Add a rate card", request=RateCardInputSerializer,
                   description="A new price from a date, in pence. Earlier rate cards are kept: the open one "
                               "for the same unit ends the day this one starts.",
                   responses={201: RateCardSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND})
    @action(detail=True, methods=["post"], url_path="rate-cards")
    def rate_cards(self, request, pk=None):
        listing = self.get_object()
        serializer = RateCardInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        card = services.rate_card_add(listing=listing, by=request.user, **serializer.validated_data)
        [card] = mark_rates([card])
        return Response(RateCardSerializer(card, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


# Rate cards --------------------------------------------------------------------------------------

class RateCardFilter(filters.FilterSet):
    listing = filters.NumberFilter(field_name="listing", help_text="A service's id.")
    unit = filters.ChoiceFilter(choices=RateUnit.choices)
    current = filters.BooleanFilter(method="filter_current", help_text="true: only rate cards in force today; "
                                                                       "false: only past and future ones.")

    class Meta:
        model = RateCard
        fields = ["listing", "unit", "current"]

    def filter_current(self, queryset, name, value):
        return queryset.filter(current_rate_q()) if value else queryset.exclude(current_rate_q())


class RateCardViewSet(ScopedReadOnlyViewSet):
    """Every rate card, past, present and future, of the services the user can see (the RateCard
    scope rule follows the service's)."""

    serializer_class = RateCardSerializer
    filterset_class = RateCardFilter
    permission_classes = [AllowAny]
    queryset = RateCard.objects.select_related("listing").order_by("listing_id", "unit", "-effective_from", "pk")

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return mark_rates(page) if page is not None else None

    def retrieve(self, request, *args, **kwargs):
        [card] = mark_rates([self.get_object()])
        return Response(self.get_serializer(card).data)


# Lookups: public taxonomies the filters take values from; none is private, so none is scoped. -----

class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Types of support, each with how many services are public in it."""

    serializer_class = CategorySerializer
    permission_classes = [AllowAny]
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet:
        return category_summary()  # anew each request: what is in force depends on today


class ClientGroupViewSet(viewsets.GenericViewSet):
    """Who services are for: the values of the services ``client_group`` filter."""

    serializer_class = ClientGroupSerializer
    permission_classes = [AllowAny]
    filter_backends = []

    def list(self, request):
        groups = [{"code": code, "name": name} for code, name in ClientGroup.choices]
        page = self.paginate_queryset(groups)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class LanguageViewSet(viewsets.ReadOnlyModelViewSet):
    """Languages services are offered in: the values of the services ``language`` filter."""

    queryset = Language.objects.all()
    serializer_class = LanguageSerializer
    permission_classes = [AllowAny]
    lookup_field = "code"


class AreaFilter(filters.FilterSet):
    class Meta:
        model = Area
        fields = ["kind"]


class AreaViewSet(viewsets.ReadOnlyModelViewSet):
    """Postcode districts and wards that services cover."""

    queryset = Area.objects.prefetch_related("districts").order_by("kind", "code")
    serializer_class = AreaSerializer
    filterset_class = AreaFilter
    permission_classes = [AllowAny]
    lookup_field = "code"
