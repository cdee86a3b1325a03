"""The council's decisions on a support plan through the API: approve, return, reject.

Each is a POST action on ``/api/v1/support-plans/{id}/``. The plan is found through the viewset's
scoped queryset (another organisation's plan is a 404); the services check the role again
(403 unless a contract officer), refuse a plan that is not waiting for sign-off (409) and list
every problem with a decision at once (400).
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from brokerage import services
from brokerage.api.serializers import PersonalBudgetSerializer
from brokerage.constants import TransitionKind
from brokerage.models import SupportPlan

__all__ = ["PlanDecisionActions", "ApproveInputSerializer", "DecisionReasonInputSerializer",
           "TransitionInputSerializer", "PlanDecisionSerializer"]

NOT_FOUND = OpenApiResponse(description="Not a plan you can see.")
REFUSED = OpenApiResponse(description="Not signed in, not a contract officer, or an officer who works for the "
                                      "person's brokerage.")
CONFLICT = OpenApiResponse(description="The plan is not waiting for sign-off (`status` says what it is).")
APPROVE_INVALID = OpenApiResponse(description=(
    "Every problem at once, by key: `reason`; `approval_limit` (the plan costs more a week than you may approve: "
    "an officer with a higher limit must); `checks` (what the broker must change first); `exceptions`, "
    "`exception_tolerance`, `exception_live_in_relative` (an exception needs your reason); "
    "`acknowledged_line_ids` (a specialist price not acknowledged); `transition_kind` and the other "
    "`transition_*` keys (how a lower budget comes in). Nothing has changed."))
REASON_INVALID = OpenApiResponse(description="`reason` is missing. Nothing has changed.")


class TransitionInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=TransitionKind.choices, required=False, allow_blank=True, default="",
        help_text="Needed when the new weekly budget is lower than the one in force: `immediate`, `protected` "
                  "(keep the higher level for now) or `transitional` (step down week by week). An increase "
                  "always applies at once.")
    weeks = serializers.IntegerField(required=False, min_value=0, max_value=104, default=0,
                                     help_text="Transitional: the weeks of the taper (more than 13 needs "
                                               "`exception_reason`).")
    review_on = serializers.DateField(required=False, allow_null=True, default=None,
                                      help_text="Protected: when it is reviewed.")
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    exception_reason = serializers.CharField(required=False, allow_blank=True, default="",
                                             help_text="Why a taper is longer than 13 weeks.")


class ApproveInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="",
        help_text="Your judgement that the plan does not put the council at unreasonable risk or in breach of its "
                  "duties. Required.")
    exceptions = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, default=dict,
        help_text="Your reason for each exception you agree, by code: `tolerance` (the weekly cost is outside the "
                  "tolerance of the indicative budget) and `live_in_relative` (a direct payment to a relative "
                  "who lives with the person). Needed whenever the plan calls for one, whether or not the broker "
                  "asked.")
    acknowledged_line_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list,
        help_text="Ids of the lines whose specialist price above the reference rate you accept; every such line "
                  "must be named.")
    transition = TransitionInputSerializer(required=False, allow_null=True, default=None)


class DecisionReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="",
                                   help_text="What the broker needs to change, or why the plan is rejected. "
                                             "Required.")


class PlanDecisionSerializer(serializers.ModelSerializer):
    """A plan after the council's decision: who decided what and why, the exceptions agreed and,
    once approved, the agreed budget."""

    decided_by = serializers.SerializerMethodField()
    agreed_budget = PersonalBudgetSerializer(read_only=True)
    exceptions_granted = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta:
        model = SupportPlan
        fields = ["id", "person", "version", "status", "starts_on", "submitted_at", "decided_at", "decided_by",
                  "decision_reason", "exceptions_granted", "agreed_budget"]

    def get_decided_by(self, plan) -> str | None:
        if plan.decided_by is None:
            return None
        return plan.decided_by.get_full_name() or plan.decided_by.username


class PlanDecisionActions:
    """Mixed into the support-plan viewset (a ``GenericViewSet`` whose ``get_object`` is scoped):
    POST actions for a contract officer's decision on a submitted plan."""

    def _decision(self, plan: SupportPlan) -> Response:
        fresh = (SupportPlan.objects.select_related("decided_by", "agreed_budget__ras_version")
                 .get(pk=plan.pk))
        return Response(PlanDecisionSerializer(fresh, context=self.get_serializer_context()).data)

    def _decide_with_reason(self, request, decide) -> Response:
        plan = self.get_object()
        serializer = DecisionReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._decision(decide(plan=plan, by=request.user, reason=serializer.validated_data["reason"]))

    @extend_schema(
        summary="Approve a plan waiting for sign-off",
        description="Fixes the agreed budget and approves each placement; pays nothing. The plan's weekly cost "
                    "must be within your approval limit, and every sign-off check must pass except those you "
                    "agree as exceptions with a reason. Approving again changes nothing.",
        request=ApproveInputSerializer,
        responses={200: PlanDecisionSerializer, 400: APPROVE_INVALID, 403: REFUSED, 404: NOT_FOUND, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        plan = self.get_object()
        serializer = ApproveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        plan = services.plan_approve(plan=plan, by=request.user, reason=data["reason"],
                                     exceptions=data["exceptions"], acknowledged_line_ids=data["acknowledged_line_ids"],
                                     transition=data["transition"])
        return self._decision(plan)

    @extend_schema(
        summary="Return a plan to the broker",
        description="With what the broker needs to change; they change the plan and submit it again.",
        request=DecisionReasonInputSerializer,
        responses={200: PlanDecisionSerializer, 400: REASON_INVALID, 403: REFUSED, 404: NOT_FOUND, 409: CONFLICT})
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_plan(self, request, pk=None):
        return self._decide_with_reason(request, services.plan_return)

    @extend_schema(
        summary="Reject a plan",
        description="With the reason; a new plan must be started.",
        request=DecisionReasonInputSerializer,
        responses={200: PlanDecisionSerializer, 400: REASON_INVALID, 403: REFUSED, 404: NOT_FOUND, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide_with_reason(request, services.plan_reject)
