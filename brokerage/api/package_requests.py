"""Care package requests through the API.

``/api/v1/package-requests/`` is the broker's side: the requests of the people a broker works
for (council officers see every one), each with every provider's answer and the offers ranked
by quality and price; POST sends one, ``choose`` chooses an offer with the person's preference
and ``withdraw`` withdraws it. A provider never reads a request here, even one sent to it.

``/api/v1/package-responses/`` is the provider's side: its own answers, each with the request
as providers see it — the reference, what is needed, when and the postcode district, never the
person or the plan; ``offer`` and ``decline`` answer it. Another organisation's is a 404.

Writes call :mod:`brokerage.services` and nothing else; they check the role again.
"""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from brokerage import services
from brokerage.constants import DeploymentRoute, PackageRequestStatus, PackageResponseStatus, TimeOfDay
from brokerage.models import BrokerageSettings, PackageRequest, PackageResponse, SupportPlan
from brokerage.selectors.package_requests import broker_package_requests, ranked_offers, ranking_method
from brokerage.services.package_requests import REQUEST_UNITS
from marketplace.api.fields import PenceField
from marketplace.api.views import ScopedViewSetMixin
from marketplace.constants import PROVIDER_ROLES
from marketplace.permissions import organisation_ids
from marketplace.scoping import get_visible_or_404
from providers.pricing import reference_rates_now

NOT_FOUND = OpenApiResponse(description="Not one you can see: another brokerage's request, or another "
                                        "provider's answer, is not found.")
REFUSED = OpenApiResponse(description="Not signed in, or not allowed to do this (a broker of the person's "
                                      "brokerage or a contract officer; for answers, the provider's staff).")
INVALID = OpenApiResponse(description="What to fix, by field (`detail` for the request as a whole).")
CONFLICT = OpenApiResponse(description="The request or answer is in a state that does not allow this.")

SCORE = {"max_digits": 4, "decimal_places": 1, "coerce_to_string": True, "read_only": True}


# Serializers: the broker's side ------------------------------------------------------------------

class ResponseForBrokerSerializer(serializers.ModelSerializer):
    provider = serializers.CharField(source="provider.name", read_only=True)
    provider_id = serializers.IntegerField(read_only=True)
    listing = serializers.CharField(source="listing.title", read_only=True)
    listing_id = serializers.IntegerField(read_only=True)
    price_pence = PenceField(read_only=True, allow_null=True, help_text="Per unit of the request, in pence.")

    class Meta:
        model = PackageResponse
        fields = ["id", "provider_id", "provider", "listing_id", "listing", "status", "price_pence", "earliest_start",
                  "note", "responded_at"]


class RankedOfferSerializer(serializers.Serializer):
    response = serializers.IntegerField(source="response.pk", read_only=True, help_text="The answer's id.")
    rank = serializers.IntegerField(read_only=True, help_text="1 is the best.")
    quality_score = serializers.DecimalField(**SCORE, help_text="0–100: mandatory standards with evidence in date.")
    price_score = serializers.DecimalField(**SCORE, help_text="0–100: 100 at or below the reference rate, 0 at "
                                                              "twice it; 50 with no reference rate.")
    total_score = serializers.DecimalField(**SCORE, help_text="Quality × the council's weight + price × the rest.")
    standards_required = serializers.IntegerField(read_only=True)
    standards_evidenced = serializers.IntegerField(read_only=True)
    accreditation_in_force = serializers.BooleanField(read_only=True)
    reference_rate_pence = PenceField(read_only=True, allow_null=True)
    above_reference = serializers.BooleanField(read_only=True, help_text="Priced above the council's usual cost.")


class PackageRequestSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    district = serializers.SlugRelatedField(slug_field="code", read_only=True)
    languages = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    broker_organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    quantity_per_week = serializers.DecimalField(max_digits=7, decimal_places=2, coerce_to_string=True,
                                                 read_only=True)
    times_of_day = serializers.ListField(child=serializers.ChoiceField(choices=TimeOfDay.choices), read_only=True)
    specialisms = serializers.ListField(child=serializers.CharField(), read_only=True)
    responses = ResponseForBrokerSerializer(many=True, read_only=True)

    class Meta:
        model = PackageRequest
        fields = ["id", "reference", "person", "plan", "broker_organisation", "status", "category", "unit",
                  "quantity_per_week", "times_of_day", "starts_on", "district", "languages", "specialisms",
                  "needs_summary", "route", "deadline", "created_at", "chosen_at", "person_preference",
                  "choice_reason", "market_gap_flagged_at", "responses"]


class PackageRequestDetailSerializer(PackageRequestSerializer):
    """One request with its offers ranked; the ranking is advice and never a choice."""

    quality_weight_percent = serializers.SerializerMethodField()
    ranked_offers = serializers.SerializerMethodField()
    ranking_method = serializers.SerializerMethodField()

    class Meta(PackageRequestSerializer.Meta):
        fields = [*PackageRequestSerializer.Meta.fields, "quality_weight_percent", "ranked_offers", "ranking_method"]

    def _weight(self) -> int:
        if "weight" not in self.context:
            self.context["weight"] = BrokerageSettings.load().quality_weight_percent
        return self.context["weight"]

    def _references(self) -> dict:
        if "references" not in self.context:
            self.context["references"] = reference_rates_now()
        return self.context["references"]

    def get_quality_weight_percent(self, obj) -> int:
        return self._weight()

    @extend_schema_field(RankedOfferSerializer(many=True))
    def get_ranked_offers(self, obj):
        ranking = ranked_offers(obj, quality_weight_percent=self._weight(), references=self._references())
        return RankedOfferSerializer(ranking, many=True).data

    def get_ranking_method(self, obj) -> list[str]:
        return ranking_method(self._weight(), self._references().get((obj.category_id, obj.unit)))


class PackageRequestCreateInputSerializer(serializers.Serializer):
    plan = serializers.IntegerField(help_text="The person's draft (or returned) support plan.")
    category = serializers.CharField(help_text="The service category's slug, like \"homecare\".")
    unit = serializers.ChoiceField(choices=[(unit.value, unit.label) for unit in REQUEST_UNITS],
                                   help_text="Hours are matched with capacity in hours a week; sessions, days, "
                                             "nights and weeks with free places.")
    quantity_per_week = serializers.DecimalField(max_digits=7, decimal_places=2, coerce_to_string=True)
    times_of_day = serializers.ListField(child=serializers.ChoiceField(choices=TimeOfDay.choices), allow_empty=True)
    starts_on = serializers.DateField()
    district = serializers.CharField(help_text="A postcode district the council covers, like \"E8\"; never a full "
                                               "postcode.")
    needs_summary = serializers.CharField(allow_blank=True,
                                          help_text="What the support is for, with nothing that identifies the "
                                                    "person (no name, reference, date of birth or postcode).")
    route = serializers.ChoiceField(choices=DeploymentRoute.choices, default=DeploymentRoute.MANAGED_BUDGET)
    languages = serializers.ListField(child=serializers.CharField(), required=False, default=list,
                                      help_text="ISO codes, like [\"pl\"]; every one is required.")
    specialisms = serializers.ListField(child=serializers.CharField(), required=False, default=list,
                                        help_text="Every one is required (case does not matter).")
    deadline = serializers.DateField(required=False, allow_null=True, default=None,
                                     help_text="When providers must answer by; the council's usual time if left "
                                               "out. Before the start date.")


class ChooseInputSerializer(serializers.Serializer):
    response = serializers.IntegerField(help_text="The id of an offer made to this request.")
    person_preference = serializers.CharField(allow_blank=True, required=False, default="",
                                              help_text="What the person prefers, in their words. Required.")
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="", help_text="Required.")


class ChooseResultSerializer(serializers.Serializer):
    plan_line = serializers.IntegerField(help_text="The plan line the chosen offer became.")
    request = PackageRequestDetailSerializer()


# Serializers: the provider's side ----------------------------------------------------------------

class RequestForProviderSerializer(serializers.ModelSerializer):
    """The request as a provider sees it: nothing about the person or the plan."""

    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    district = serializers.SlugRelatedField(slug_field="code", read_only=True)
    languages = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    quantity_per_week = serializers.DecimalField(max_digits=7, decimal_places=2, coerce_to_string=True,
                                                 read_only=True)
    times_of_day = serializers.ListField(child=serializers.ChoiceField(choices=TimeOfDay.choices), read_only=True)
    specialisms = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = PackageRequest
        fields = ["reference", "status", "category", "unit", "quantity_per_week", "times_of_day", "starts_on",
                  "district", "languages", "specialisms", "needs_summary", "route", "deadline"]


class PackageResponseSerializer(serializers.ModelSerializer):
    request = RequestForProviderSerializer(read_only=True)
    listing = serializers.CharField(source="listing.title", read_only=True)
    listing_id = serializers.IntegerField(read_only=True)
    provider_id = serializers.IntegerField(read_only=True)
    price_pence = PenceField(read_only=True, allow_null=True, help_text="Per unit of the request, in pence.")

    class Meta:
        model = PackageResponse
        fields = ["id", "request", "provider_id", "listing_id", "listing", "status", "price_pence", "earliest_start",
                  "note", "responded_at"]


class OfferInputSerializer(serializers.Serializer):
    price_pence = PenceField(min_value=1, help_text="Your price per unit of the request, in pence: 2450 is £24.50.")
    earliest_start = serializers.DateField()
    note = serializers.CharField(allow_blank=True, required=False, default="")


class DeclineInputSerializer(serializers.Serializer):
    note = serializers.CharField(allow_blank=True, required=False, default="", help_text="Why, if you wish.")


# Viewsets ----------------------------------------------------------------------------------------

class PackageRequestFilter(filters.FilterSet):
    person = filters.NumberFilter(field_name="person", help_text="A person's id.")
    plan = filters.NumberFilter(field_name="plan", help_text="A support plan's id.")
    status = filters.ChoiceFilter(choices=PackageRequestStatus.choices)

    class Meta:
        model = PackageRequest
        fields = ["person", "plan", "status"]


def _responses() -> Prefetch:
    return Prefetch("responses", queryset=PackageResponse.objects.select_related(
        "listing", "provider__accreditation").order_by("pk"))


@extend_schema_view(
    list=extend_schema(summary="Care package requests of the people you work for",
                       description="Brokers see their people's requests, contract officers every one. Providers "
                                   "read the requests sent to them at /api/v1/package-responses/."),
    retrieve=extend_schema(summary="One care package request, its answers and its offers ranked",
                           responses={200: PackageRequestDetailSerializer, 404: NOT_FOUND}),
)
class PackageRequestViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            viewsets.GenericViewSet):
    """Care package requests: sent to every approved provider whose published service matches;
    answered with offers; one offer is chosen with the person."""

    queryset = (PackageRequest.objects.select_related("category", "district", "broker_organisation")
                .prefetch_related("languages", _responses()))
    serializer_class = PackageRequestSerializer
    filterset_class = PackageRequestFilter

    def get_queryset(self):
        # The scope rule also lets a provider see requests sent to it; this side shows the person
        # and plan, so it is narrowed to the broker's (and officer's) side.
        return super().get_queryset().filter(pk__in=broker_package_requests(self.request.user).values("pk"))

    def get_serializer_class(self):
        return PackageRequestSerializer if self.action == "list" else PackageRequestDetailSerializer

    def _output(self, package: PackageRequest, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=package.pk)
        return Response(PackageRequestDetailSerializer(fresh, context=self.get_serializer_context()).data,
                        status=code)

    @extend_schema(summary="Send a care package request", request=PackageRequestCreateInputSerializer,
                   description="It goes to every approved provider whose published service matches the category, "
                               "the district (itself or a ward in it), the capacity, the languages and the "
                               "specialisms. With no match it is saved as `no_offers` and flagged to the council "
                               "as a gap in the market.",
                   responses={201: PackageRequestDetailSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND})
    def create(self, request, *args, **kwargs):
        serializer = PackageRequestCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        plan = get_visible_or_404(request.user, SupportPlan.objects.select_related("person"), pk=data.pop("plan"))
        package = services.package_request_create(plan=plan, by=request.user, **data)
        return self._output(package, status.HTTP_201_CREATED)

    @extend_schema(summary="Choose an offer with the person", request=ChooseInputSerializer,
                   description="The offer becomes a line of the plan at the offered price; the other providers "
                               "are told. The person's preference, in their words, is required.",
                   responses={200: ChooseResultSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND,
                              409: CONFLICT})
    @action(detail=True, methods=["post"])
    def choose(self, request, pk=None):
        package = self.get_object()
        serializer = ChooseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        offer = next((response for response in package.responses.all() if response.pk == data["response"]), None)
        if offer is None:
            raise ValidationError({"response": "Choose one of the offers made to this request"})
        line = services.package_request_choose(request=package, response=offer, by=request.user,
                                               person_preference=data["person_preference"], reason=data["reason"])
        fresh = self.get_queryset().get(pk=package.pk)
        return Response({"plan_line": line.pk,
                         "request": PackageRequestDetailSerializer(fresh, context=self.get_serializer_context()).data})

    @extend_schema(summary="Withdraw a care package request", request=ReasonInputSerializer,
                   description="Every provider asked is told it is not going ahead. A reason is required.",
                   responses={200: PackageRequestDetailSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND,
                              409: CONFLICT})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        package = self.get_object()
        serializer = ReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.package_request_withdraw(request=package, by=request.user, reason=serializer.validated_data["reason"])
        return self._output(package)


class PackageResponseFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=PackageResponseStatus.choices)

    class Meta:
        model = PackageResponse
        fields = ["status"]


@extend_schema_view(
    list=extend_schema(summary="Care package requests sent to your organisation, with your answers"),
    retrieve=extend_schema(summary="One request sent to you, and your answer",
                           responses={200: PackageResponseSerializer, 404: NOT_FOUND}),
)
class PackageResponseViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                             viewsets.GenericViewSet):
    """A provider's answers to care package requests, one per matching service. The request is
    shown as providers see it: never the person or the plan."""

    queryset = (PackageResponse.objects.select_related("request__category", "request__district", "listing")
                .prefetch_related("request__languages").order_by("-request__created_at", "-pk"))
    serializer_class = PackageResponseSerializer
    filterset_class = PackageResponseFilter

    def get_queryset(self):
        return super().get_queryset().filter(provider_id__in=organisation_ids(self.request.user, *PROVIDER_ROLES))

    def _output(self, response: PackageResponse) -> Response:
        fresh = self.get_queryset().get(pk=response.pk)
        return Response(PackageResponseSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(summary="Offer to take it on", request=OfferInputSerializer,
                   description="A price per unit and the earliest date you could start, by the deadline.",
                   responses={200: PackageResponseSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND,
                              409: CONFLICT})
    @action(detail=True, methods=["post"])
    def offer(self, request, pk=None):
        response = self.get_object()
        serializer = OfferInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.package_response_offer(response=response, by=request.user, **serializer.validated_data)
        return self._output(response)

    @extend_schema(summary="Decline it", request=DeclineInputSerializer,
                   responses={200: PackageResponseSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND,
                              409: CONFLICT})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        response = self.get_object()
        serializer = DeclineInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.package_response_decline(response=response, by=request.user, note=serializer.validated_data["note"])
        return self._output(response)
