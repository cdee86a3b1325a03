"""Direct-payment financial reviews and budget transitions through the API.

Reads go through each model's scope rule: another brokerage's person's reviews and transitions are
a 404. Recording a review's outcome is a POST action that calls
:func:`brokerage.services.dp_review_complete`, which checks the role again and writes the audit log.
Budget transitions are recorded when a plan is approved (the plan's ``approve`` action), so they
are read-only here.
"""

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from brokerage import services
from brokerage.constants import ReviewOutcome, ReviewStatus, TransitionKind
from brokerage.models import BudgetTransition, DirectPaymentReview
from marketplace.api.fields import PenceField
from marketplace.api.views import ScopedReadOnlyViewSet

NOT_FOUND = OpenApiResponse(description="Not a record you can see: another brokerage's person is not found.")
REFUSED = OpenApiResponse(description="Not signed in, or not a contract or finance officer or a broker of the "
                                      "person's brokerage.")
INVALID = OpenApiResponse(description="What to fix, by field (`outcome`, `notes`, `completed_on`), or `detail` "
                                      "for a review already completed or cancelled.")


# Serializers ------------------------------------------------------------------------------------

class DirectPaymentReviewSerializer(serializers.ModelSerializer):
    risk_label = serializers.CharField(source="get_risk_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    outcome_label = serializers.CharField(source="get_outcome_display", read_only=True)
    completed_by = serializers.SerializerMethodField()

    class Meta:
        model = DirectPaymentReview
        fields = ["id", "person", "plan", "risk", "risk_label", "due_on", "status", "status_label",
                  "completed_on", "completed_by", "outcome", "outcome_label", "notes"]

    def get_completed_by(self, review) -> str | None:
        user = review.completed_by
        return (user.get_full_name() or user.username) if user else None


class DirectPaymentReviewCompleteInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=ReviewOutcome.choices,
                                      error_messages={"invalid_choice": "Select the outcome of the review: "
                                                                        + ", ".join(ReviewOutcome.values)})
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000,
                                  help_text="What was found and what happens next; needed unless the outcome "
                                            "is no_concerns.")
    completed_on = serializers.DateField(required=False, allow_null=True, default=None,
                                         help_text="The date of the review; today when left out.")


class BudgetTransitionSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    from_weekly_pence = PenceField(read_only=True)
    to_weekly_pence = PenceField(read_only=True)
    decided_by = serializers.SerializerMethodField()

    class Meta:
        model = BudgetTransition
        fields = ["id", "person", "plan", "kind", "kind_label", "from_weekly_pence", "to_weekly_pence", "starts_on",
                  "weeks", "review_on", "reason", "exception_reason", "decided_by", "decided_at"]

    def get_decided_by(self, transition) -> str:
        user = transition.decided_by
        return user.get_full_name() or user.username


# Viewsets ---------------------------------------------------------------------------------------

class DirectPaymentReviewFilter(filters.FilterSet):
    person = filters.NumberFilter(field_name="person", help_text="A person's id.")
    status = filters.ChoiceFilter(choices=ReviewStatus.choices)

    class Meta:
        model = DirectPaymentReview
        fields = ["person", "status"]


@extend_schema_view(
    list=extend_schema(summary="Direct-payment financial reviews of the people you can see",
                       description="Soonest due first. Filter by `person` and `status` (`due` for those still "
                                   "to do)."),
    retrieve=extend_schema(summary="One direct-payment review",
                           responses={200: DirectPaymentReviewSerializer, 404: NOT_FOUND}),
)
class DirectPaymentReviewViewSet(ScopedReadOnlyViewSet):
    """Full financial reviews of direct payments, scheduled from the plan's financial risk
    assessment: the first within 6 months, then every 12 (medium risk 6, high risk 3) [K §8(1)]."""

    queryset = DirectPaymentReview.objects.select_related("completed_by").order_by("due_on", "pk")
    serializer_class = DirectPaymentReviewSerializer
    filterset_class = DirectPaymentReviewFilter

    @extend_schema(summary="Record the outcome of a review", request=DirectPaymentReviewCompleteInputSerializer,
                   description="Schedules the next review while the person's approved plan has direct payments. "
                               "A review already completed cannot be completed again (400).",
                   responses={200: DirectPaymentReviewSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        review = self.get_object()
        serializer = DirectPaymentReviewCompleteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.dp_review_complete(review=review, by=request.user, **serializer.validated_data)
        fresh = self.get_queryset().get(pk=review.pk)
        return Response(DirectPaymentReviewSerializer(fresh, context=self.get_serializer_context()).data)


class BudgetTransitionFilter(filters.FilterSet):
    person = filters.NumberFilter(field_name="person", help_text="A person's id.")
    kind = filters.ChoiceFilter(choices=TransitionKind.choices)

    class Meta:
        model = BudgetTransition
        fields = ["person", "kind"]


@extend_schema_view(
    list=extend_schema(summary="Budget transitions of the people you can see",
                       description="How each person moved to a newly approved weekly budget: immediately, "
                                   "protected (the old level kept until reviewed) or stepped down weekly."),
    retrieve=extend_schema(summary="One budget transition",
                           responses={200: BudgetTransitionSerializer, 404: NOT_FOUND}),
)
class BudgetTransitionViewSet(ScopedReadOnlyViewSet):
    """Transitional arrangements when a person's approved budget changes [H V]; recorded when the
    plan is approved."""

    queryset = BudgetTransition.objects.select_related("decided_by").order_by("-starts_on", "-pk")
    serializer_class = BudgetTransitionSerializer
    filterset_class = BudgetTransitionFilter
