"""Support plans through the API: read a plan with its outcomes, lines, risks, costing and the
sign-off checks; start one, add a service line, submit it, start a new version of an approved one.

Reads go through the plan's scope rule: another brokerage's plan (and a provider's request for
any plan) is a 404. Every change is a POST that calls :mod:`brokerage.services` and nothing else;
the services check the role again, refuse bad input with messages by field (400), and write the
audit log. The council's decisions (approve, return, reject) come from :class:`PlanDecisionActions`.
"""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from brokerage import services
from brokerage.api.decisions import PlanDecisionActions
from brokerage.checks import latest_negotiation, line_weekly_pence, plan_checks, plan_costing
from brokerage.constants import DeploymentRoute, PlanStatus
from brokerage.models import PersonalBudget, Person, PlanLine, PlanOutcome, PlanRisk, SupportPlan
from brokerage.selectors import with_plan_details
from brokerage.selectors.plans import listing_for_plan
from marketplace.api.fields import PenceField
from marketplace.api.views import ScopedViewSetMixin
from marketplace.scoping import get_visible_or_404
from providers.constants import RateUnit

NOT_FOUND = OpenApiResponse(description="Not a plan you can see: another brokerage's plan is not found.")
REFUSED = OpenApiResponse(description="Not signed in, or not a broker of the person's brokerage or a contract "
                                      "officer.")
INVALID = OpenApiResponse(description="What to fix, by field; `detail` lists problems with the plan as a whole "
                                      "(for a submission, every sign-off check that fails, in plain words).")


# Output -----------------------------------------------------------------------------------------

class PlanOutcomeSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanOutcome
        fields = ["id", "text", "domain", "position"]


class PlanRiskSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanRisk
        fields = ["id", "risk", "who_is_affected", "mitigation", "position"]


class LineNegotiationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    status = serializers.CharField(read_only=True)
    agreed_price_pence = PenceField(read_only=True, allow_null=True)


class PlanLineSerializer(serializers.ModelSerializer):
    """One line. Expects the line loaded as :func:`brokerage.selectors.with_plan_details` loads it."""

    listing_title = serializers.SerializerMethodField()
    provider = serializers.SerializerMethodField()
    quantity_per_week = serializers.DecimalField(max_digits=7, decimal_places=2, coerce_to_string=True,
                                                 read_only=True)
    listed_price_pence = PenceField(read_only=True)
    agreed_price_pence = PenceField(read_only=True)
    weekly_pence = serializers.SerializerMethodField()
    outcomes = serializers.SerializerMethodField()
    negotiation = serializers.SerializerMethodField()

    class Meta:
        model = PlanLine
        fields = ["id", "kind", "listing", "listing_title", "provider", "rate_card", "unit", "quantity_per_week",
                  "listed_price_pence", "agreed_price_pence", "weekly_pence", "route", "outcomes", "starts_on",
                  "ends_on", "assistant_name", "description", "live_in_relative", "dbs_check", "package_response",
                  "negotiation"]

    def get_listing_title(self, line) -> str | None:
        return line.listing.title if line.listing_id else None

    def get_provider(self, line) -> str | None:
        """The provider organisation's slug."""
        return line.listing.organisation.slug if line.listing_id else None

    def get_weekly_pence(self, line) -> int:
        return line_weekly_pence(line)

    def get_outcomes(self, line) -> list[int]:
        return [outcome.pk for outcome in line.outcomes.all()]

    @extend_schema_field(LineNegotiationSerializer(allow_null=True))
    def get_negotiation(self, line):
        """The line's latest price negotiation, or null."""
        negotiation = latest_negotiation(line)
        return LineNegotiationSerializer(negotiation).data if negotiation is not None else None


class RouteCostSerializer(serializers.Serializer):
    route = serializers.ChoiceField(choices=DeploymentRoute.choices, read_only=True)
    label = serializers.CharField(read_only=True)
    weekly_pence = PenceField(read_only=True)
    annual_pence = PenceField(read_only=True)


class LineCostSerializer(serializers.Serializer):
    line = serializers.IntegerField(source="line.pk", read_only=True)
    weekly_pence = PenceField(read_only=True)
    annual_pence = PenceField(read_only=True)
    reference_rate_pence = PenceField(read_only=True, allow_null=True)
    above_reference = serializers.BooleanField(read_only=True)
    at_direct_payment_rate = serializers.BooleanField(read_only=True)


class PlanCostingSerializer(serializers.Serializer):
    """What the plan costs, by line and by route, against the indicative budget and its band."""

    weekly_pence = PenceField(read_only=True)
    annual_pence = PenceField(read_only=True)
    indicative_weekly_pence = PenceField(read_only=True)
    tolerance_percent = serializers.IntegerField(read_only=True)
    band_low_pence = PenceField(read_only=True)
    band_high_pence = PenceField(read_only=True)
    within_tolerance = serializers.BooleanField(read_only=True)
    difference_pence = serializers.IntegerField(read_only=True, help_text="Plan minus budget, a week; may be "
                                                                          "negative.")
    routes = RouteCostSerializer(many=True, read_only=True)
    lines = LineCostSerializer(many=True, read_only=True)


class ProblemSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    message = serializers.CharField(read_only=True)
    line = serializers.SerializerMethodField()

    def get_line(self, problem) -> int | None:
        return problem.line.pk if problem.line is not None else None


class SupportPlanSerializer(serializers.ModelSerializer):
    weekly_pence = serializers.SerializerMethodField()

    class Meta:
        model = SupportPlan
        fields = ["id", "person", "version", "status", "previous", "starts_on", "indicative_budget", "agreed_budget",
                  "weekly_pence", "created_at", "submitted_at", "decided_at", "decision_reason"]

    def get_weekly_pence(self, plan) -> int:
        """What the plan's lines cost a week, in pence."""
        return sum(line_weekly_pence(line) for line in plan.lines.all())


class SupportPlanDetailSerializer(SupportPlanSerializer):
    outcomes = PlanOutcomeSerializer(many=True, read_only=True)
    risks = PlanRiskSerializer(many=True, read_only=True)
    lines = PlanLineSerializer(many=True, read_only=True)
    costing = serializers.SerializerMethodField()
    checks = serializers.SerializerMethodField()

    class Meta(SupportPlanSerializer.Meta):
        fields = [*SupportPlanSerializer.Meta.fields, "safeguarding_considered", "safeguarding_notes",
                  "financial_risk", "financial_risk_notes", "tolerance_exception_reason",
                  "live_in_relative_exception_reason", "exceptions_granted", "outcomes", "risks", "lines",
                  "costing", "checks"]

    @staticmethod
    def _costing(plan):
        if not hasattr(plan, "_api_costing"):
            plan._api_costing = plan_costing(plan)
        return plan._api_costing

    @extend_schema_field(PlanCostingSerializer)
    def get_costing(self, plan):
        costing = self._costing(plan)
        data = PlanCostingSerializer(costing).data
        return data

    @extend_schema_field(ProblemSerializer(many=True))
    def get_checks(self, plan):
        """Every reason the plan may not be signed off yet (empty when it may), while it can still
        change; empty once it has been sent."""
        if plan.status not in (PlanStatus.DRAFT, PlanStatus.RETURNED):
            return []
        return ProblemSerializer(plan_checks(plan, costing=self._costing(plan)), many=True).data


# Input ------------------------------------------------------------------------------------------

class PlanCreateInputSerializer(serializers.Serializer):
    person = serializers.IntegerField(help_text="The person's id (from /api/v1/people/).")
    starts_on = serializers.DateField(help_text="When the plan takes effect once approved.")
    indicative_budget = serializers.IntegerField(
        required=False, allow_null=True, help_text="One of the person's indicative budgets; their newest if left out.")


class PlanLineCreateInputSerializer(serializers.Serializer):
    listing = serializers.IntegerField(help_text="A published service of an approved provider (/api/v1/services/).")
    route = serializers.ChoiceField(choices=DeploymentRoute.choices,
                                    error_messages={"invalid_choice": "Choose how the money for this line is paid: "
                                                                      "one of " + ", ".join(DeploymentRoute.values)})
    quantity_per_week = serializers.CharField(
        help_text="How much a week in the unit of the price: a number above 0 with up to 2 decimal places, "
                  "like \"7.5\".")
    outcomes = serializers.ListField(child=serializers.IntegerField(), required=False, default=list,
                                     help_text="Ids of the plan's outcomes the line serves.")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True, default=None)
    unit = serializers.ChoiceField(choices=RateUnit.choices, required=False, allow_null=True, default=None,
                                   help_text="Which of the service's current prices; needed only when it has "
                                             "several.")


# The viewset ------------------------------------------------------------------------------------

class PlanFilter(filters.FilterSet):
    person = filters.NumberFilter(field_name="person", help_text="A person's id.")
    status = filters.ChoiceFilter(choices=PlanStatus.choices)

    class Meta:
        model = SupportPlan
        fields = ["person", "status"]


@extend_schema_view(
    list=extend_schema(summary="Support plans of the people you can see"),
    retrieve=extend_schema(summary="One support plan, with its lines, costing and sign-off checks",
                           responses={200: SupportPlanDetailSerializer, 404: NOT_FOUND}),
)
class SupportPlanViewSet(PlanDecisionActions, ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         viewsets.GenericViewSet):
    """Support plans: a person's outcomes, the services and personal assistants that meet them
    with a route and a price each, and a risk assessment; built by their broker and signed off by
    the council."""

    queryset = SupportPlan.objects.all()
    serializer_class = SupportPlanSerializer
    filterset_class = PlanFilter

    def get_queryset(self):
        if self.action == "list":
            lines = PlanLine.objects.only("id", "plan", "agreed_price_pence", "quantity_per_week").order_by()
            self.queryset = SupportPlan.objects.prefetch_related(Prefetch("lines", queryset=lines))
        else:
            self.queryset = with_plan_details(SupportPlan.objects.all())
        return super().get_queryset()

    def get_serializer_class(self):
        return SupportPlanSerializer if self.action == "list" else SupportPlanDetailSerializer

    def plan_response(self, plan: SupportPlan, code=status.HTTP_200_OK) -> Response:
        """The plan as the detail endpoint shows it, read fresh."""
        fresh = with_plan_details(SupportPlan.objects.filter(pk=plan.pk)).get()
        return Response(SupportPlanDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(summary="Start a support plan", request=PlanCreateInputSerializer,
                   description="A draft against the person's newest indicative budget (or the one named). A person "
                               "has at most one plan being written or waiting for sign-off.",
                   responses={201: SupportPlanDetailSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND})
    def create(self, request, *args, **kwargs):
        serializer = PlanCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        person = get_visible_or_404(request.user, Person, pk=data["person"])
        budget = None
        if data.get("indicative_budget") is not None:
            budget = PersonalBudget.objects.filter(pk=data["indicative_budget"], person=person).first()
            if budget is None:
                raise ValidationError({"indicative_budget": "Choose an indicative budget of this person"})
        plan = services.plan_start(person=person, by=request.user, starts_on=data["starts_on"],
                                   indicative_budget=budget)
        return self.plan_response(plan, status.HTTP_201_CREATED)

    @extend_schema(summary="Send the plan for sign-off", request=None,
                   description="Runs the sign-off checks; a 400 lists every one that fails, in plain words. A plan "
                               "already sent is a 400 saying so, and nothing changes.",
                   responses={200: SupportPlanDetailSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        plan = self.get_object()
        services.plan_submit(plan=plan, by=request.user)
        return self.plan_response(plan)

    @extend_schema(summary="Start a new version of an approved plan", request=None,
                   description="A draft copying the outcomes, risks and lines. The approved plan stays in force "
                               "until the new version is approved.",
                   responses={201: SupportPlanDetailSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND})
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        plan = self.get_object()
        draft = services.plan_revise(plan=plan, by=request.user)
        return self.plan_response(draft, status.HTTP_201_CREATED)

    @extend_schema(summary="Add a service to the plan", request=PlanLineCreateInputSerializer,
                   description="Priced from the service's current rate card: the contract rate, or the "
                               "direct-payment rate on a direct-payment route. A price above the council's "
                               "reference rate opens a negotiation with the provider.",
                   responses={201: PlanLineSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND})
    @action(detail=True, methods=["post"], url_path="lines")
    def lines(self, request, pk=None):
        plan = self.get_object()
        serializer = PlanLineCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        listing = listing_for_plan(data["listing"])
        if listing is None:
            raise ValidationError({"listing": "Unknown service: choose one from /api/v1/services/"})
        line = services.plan_line_add_service(
            plan=plan, by=request.user, listing=listing, route=data["route"],
            quantity_per_week=data["quantity_per_week"], outcomes=data["outcomes"], starts_on=data["starts_on"],
            ends_on=data["ends_on"], unit=data["unit"])
        fresh = with_plan_details(SupportPlan.objects.filter(pk=plan.pk)).get()
        line = next(row for row in fresh.lines.all() if row.pk == line.pk)
        return Response(PlanLineSerializer(line, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)
