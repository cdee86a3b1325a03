"""Price negotiations through the API, for both sides.

Reads go through the negotiation scope rule: the purchaser's side (whoever may see the person) and
the provider negotiated with both see it; anyone else gets a 404. What is returned never names the
person: the provider sees the service, the quantity, the route, the prices, the offers and the
person's postcode district only.

Writes are POST actions that call :mod:`brokerage.services.negotiations`, which decide which side
the user is on. Prices are integer pence (``price_pence``: 2450 is £24.50), like every amount in
this API; pounds strings are refused with a 400 saying so.
"""

from django.db.models import Case, F, IntegerField, Value, When
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from brokerage import services
from brokerage.constants import NegotiationReason, NegotiationStatus
from brokerage.models import Negotiation, NegotiationOffer, PlanLine
from brokerage.selectors.negotiations import awaiting, district, with_offers
from marketplace.api.fields import PenceField
from marketplace.api.views import ScopedViewSetMixin
from marketplace.scoping import get_visible_or_404

NOT_FOUND = OpenApiResponse(description="Not a negotiation (or plan line) you can see: another organisation's is "
                                        "not found.")
REFUSED = OpenApiResponse(description="Not signed in, or not on the side that may do this (the provider's staff "
                                      "decline; the person's broker or a contract officer withdraws).")
INVALID = OpenApiResponse(description="What to fix, by field (`detail` for the negotiation as a whole): a price "
                                      "that is not a whole number of pence above 0, a price above the reference "
                                      "rate with a provider that is not an accepted specialist, the deadline "
                                      "passed, or nothing to accept.")
CONFLICT = OpenApiResponse(description="The negotiation has ended (agreed, declined, withdrawn or expired); the "
                                       "body gives its status.")


# Serializers ------------------------------------------------------------------------------------

class NegotiationOfferSerializer(serializers.ModelSerializer):
    class Meta:
        model = NegotiationOffer
        fields = ["id", "side", "price_pence", "note", "made_at"]


class NegotiationSerializer(serializers.ModelSerializer):
    """A negotiation as either side sees it; nothing in it identifies the person."""

    service = serializers.CharField(source="line.listing.title", read_only=True)
    category = serializers.SlugRelatedField(source="line.listing.category", slug_field="slug", read_only=True)
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    unit = serializers.CharField(source="line.unit", read_only=True)
    quantity_per_week = serializers.DecimalField(source="line.quantity_per_week", max_digits=7, decimal_places=2,
                                                 coerce_to_string=True, read_only=True)
    route = serializers.CharField(source="line.route", read_only=True)
    postcode_district = serializers.SerializerMethodField(help_text="The person's postcode district, like E8.")
    awaiting = serializers.SerializerMethodField(help_text="Whose answer an open negotiation waits for: "
                                                           "`provider` or `purchaser`; null once it has ended.")
    offers = NegotiationOfferSerializer(many=True, read_only=True)

    class Meta:
        model = Negotiation
        fields = ["id", "line", "provider", "provider_name", "service", "category", "unit", "quantity_per_week",
                  "route", "postcode_district", "status", "reason", "listed_price_pence", "reference_rate_pence",
                  "provider_is_specialist", "deadline", "opened_at", "closed_at", "agreed_price_pence",
                  "annual_saving_pence", "closing_note", "awaiting", "offers"]

    def get_postcode_district(self, negotiation: Negotiation) -> str:
        return district(getattr(negotiation, "person_postcode", ""))

    def get_awaiting(self, negotiation: Negotiation) -> str | None:
        return awaiting(negotiation)


class NegotiationCreateInputSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The plan line's id: a service line of a draft or returned plan.")
    reason = serializers.ChoiceField(
        choices=NegotiationReason.choices, default=NegotiationReason.QUOTE_REQUESTED,
        help_text="`quote_requested` asks the provider to quote (it offers first). A line priced above the "
                  "reference rate opens an `above_reference` negotiation by itself when it is added.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000,
                                 help_text="For the provider; nothing that identifies the person.")


class NegotiationOfferInputSerializer(serializers.Serializer):
    price_pence = PenceField(help_text="The price per unit in pence, a whole number above 0: 2450 is £24.50.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class NegotiationNoteInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class NegotiationReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why; shown to the other side.")


# The viewset ------------------------------------------------------------------------------------

class NegotiationFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=NegotiationStatus.choices)
    reason = filters.ChoiceFilter(choices=NegotiationReason.choices)
    line = filters.NumberFilter(field_name="line", help_text="A plan line's id.")
    plan = filters.NumberFilter(field_name="line__plan", help_text="A support plan's id.")
    provider = filters.NumberFilter(field_name="provider", help_text="The provider organisation's id.")

    class Meta:
        model = Negotiation
        fields = ["status", "reason", "line", "plan", "provider"]


@extend_schema_view(
    list=extend_schema(summary="Price negotiations you are part of",
                       description="A broker sees their people's; a provider's staff see their organisation's; "
                                   "contract officers see all. Open ones first, then the newest."),
    retrieve=extend_schema(summary="One price negotiation with its offers",
                           responses={200: NegotiationSerializer, 404: NOT_FOUND}),
)
class NegotiationViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         viewsets.GenericViewSet):
    """Negotiations of a plan line's price between the purchaser and the provider [H V(d)-(e)]."""

    queryset = Negotiation.objects.all()
    serializer_class = NegotiationSerializer
    filterset_class = NegotiationFilter

    def get_queryset(self):
        queryset = super().get_queryset()  # narrowed by the Negotiation scope rule
        return with_offers(queryset).annotate(person_postcode=F("line__plan__person__postcode"))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.action == "list":
            queryset = queryset.order_by(Case(When(status=NegotiationStatus.OPEN, then=Value(0)), default=Value(1),
                                              output_field=IntegerField()), "-opened_at", "-pk")
        return queryset

    def _output(self, negotiation: Negotiation, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=negotiation.pk)
        return Response(NegotiationSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(summary="Ask a provider for a quote", request=NegotiationCreateInputSerializer,
                   description="Opens a negotiation of a service line's price. When one is already open on the "
                               "line it is returned with 200 instead.",
                   responses={201: NegotiationSerializer, 200: NegotiationSerializer, 400: INVALID, 403: REFUSED,
                              404: NOT_FOUND})
    def create(self, request, *args, **kwargs):
        serializer = NegotiationCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        line = get_visible_or_404(request.user, PlanLine.objects.select_related("plan__person"), pk=data["line"])
        already = Negotiation.objects.filter(line=line, status=NegotiationStatus.OPEN).exists()
        negotiation = services.negotiation_open(line=line, by=request.user, reason=data["reason"], note=data["note"])
        return self._output(negotiation, status.HTTP_200_OK if already else status.HTTP_201_CREATED)

    @extend_schema(summary="Make an offer or counter-offer", request=NegotiationOfferInputSerializer,
                   description="On the side you are on. A broker cannot offer above the reference rate to a provider "
                               "that is not an accepted specialist (it could never be agreed).",
                   responses={200: NegotiationSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND,
                              409: CONFLICT})
    @action(detail=True, methods=["post"])
    def offer(self, request, pk=None):
        negotiation = self.get_object()
        serializer = NegotiationOfferInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.negotiation_offer(negotiation=negotiation, by=request.user, **serializer.validated_data)
        return self._output(negotiation)

    @extend_schema(summary="Accept the other side's latest offer", request=NegotiationNoteInputSerializer,
                   description="The plan line takes the price and the yearly saving is recorded. Refused when the "
                               "latest offer is your own side's, and above the reference rate unless the provider "
                               "is an accepted specialist.",
                   responses={200: NegotiationSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND,
                              409: CONFLICT})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        negotiation = self.get_object()
        serializer = NegotiationNoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.negotiation_accept(negotiation=negotiation, by=request.user, **serializer.validated_data)
        return self._output(negotiation)

    @extend_schema(summary="Decline to negotiate (the provider)", request=NegotiationReasonInputSerializer,
                   description="With a provider that is not an accepted specialist, the line then blocks the plan "
                               "until the broker changes provider or reduces the service.",
                   responses={200: NegotiationSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND,
                              409: CONFLICT})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        negotiation = self.get_object()
        serializer = NegotiationReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.negotiation_decline(negotiation=negotiation, by=request.user, **serializer.validated_data)
        return self._output(negotiation)

    @extend_schema(summary="Withdraw from the negotiation (the broker or council)",
                   request=NegotiationReasonInputSerializer,
                   responses={200: NegotiationSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND,
                              409: CONFLICT})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        negotiation = self.get_object()
        serializer = NegotiationReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.negotiation_withdraw(negotiation=negotiation, by=request.user, **serializer.validated_data)
        return self._output(negotiation)
