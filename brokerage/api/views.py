"""People's records, assessments, RAS versions and budgets through the API.

Reads go through each model's scope rule: another brokerage's person, and everything about them,
is a 404. Writes are POST actions that call :mod:`brokerage.services` and nothing else; the
services check the role again and write the audit log.
"""

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from brokerage import services
from brokerage.api.serializers import (
    AssessmentCreateInputSerializer,
    AssessmentScoresInputSerializer,
    AssessmentSerializer,
    BudgetCalculateInputSerializer,
    PersonalBudgetSerializer,
    PersonSerializer,
    RasVersionSerializer,
)
from brokerage.constants import AssessmentStatus, RasMethod, RasVersionStatus
from brokerage.models import Assessment, PersonalBudget, Person, RasVersion
from marketplace.api.views import ScopedReadOnlyViewSet, ScopedViewSetMixin
from marketplace.scoping import get_visible_or_404

NOT_FOUND = OpenApiResponse(description="Not a record you can see: another brokerage's person is not found.")
REFUSED = OpenApiResponse(description="Not signed in, or not a broker of the person's brokerage or a contract "
                                      "officer.")
INVALID = OpenApiResponse(description="What to fix, by field (by domain for scores; `detail` for the record as "
                                      "a whole).")


class PersonFilter(filters.FilterSet):
    class Meta:
        model = Person
        fields = ["client_group"]


class PersonViewSet(ScopedReadOnlyViewSet):
    """People's records: a broker sees the people who chose them, council officers everyone."""

    queryset = Person.objects.select_related("broker_organisation")
    serializer_class = PersonSerializer
    filterset_class = PersonFilter


# Assessments ------------------------------------------------------------------------------------

class AssessmentFilter(filters.FilterSet):
    person = filters.NumberFilter(field_name="person", help_text="A person's id.")
    status = filters.ChoiceFilter(choices=AssessmentStatus.choices)

    class Meta:
        model = Assessment
        fields = ["person", "status"]


@extend_schema_view(
    list=extend_schema(summary="Assessments of the people you can see"),
    retrieve=extend_schema(summary="One assessment", responses={200: AssessmentSerializer, 404: NOT_FOUND}),
)
class AssessmentViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        viewsets.GenericViewSet):
    """Assessments of eligible needs: a level of need for each domain of daily life."""

    queryset = Assessment.objects.select_related("assessed_by").prefetch_related("scores")
    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilter

    def _output(self, assessment: Assessment, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=assessment.pk)
        return Response(AssessmentSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(summary="Start an assessment", request=AssessmentCreateInputSerializer,
                   responses={201: AssessmentSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND})
    def create(self, request, *args, **kwargs):
        serializer = AssessmentCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        person = get_visible_or_404(request.user, Person, pk=data["person"])
        assessment = services.assessment_start(person=person, by=request.user, assessed_on=data["assessed_on"],
                                               summary=data["summary"])
        return self._output(assessment, status.HTTP_201_CREATED)

    @extend_schema(summary="Score domains of a draft assessment", request=AssessmentScoresInputSerializer,
                   responses={200: AssessmentSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND})
    @action(detail=True, methods=["post"])
    def scores(self, request, pk=None):
        assessment = self.get_object()
        serializer = AssessmentScoresInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.assessment_score(assessment=assessment, by=request.user, **serializer.validated_data)
        return self._output(assessment)

    @extend_schema(summary="Complete an assessment", request=None,
                   description="Every domain must be scored. Completing it again changes nothing.",
                   responses={200: AssessmentSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        assessment = self.get_object()
        services.assessment_complete(assessment=assessment, by=request.user)
        return self._output(assessment)


# RAS versions -----------------------------------------------------------------------------------

class RasVersionFilter(filters.FilterSet):
    method = filters.ChoiceFilter(choices=RasMethod.choices)
    status = filters.ChoiceFilter(choices=RasVersionStatus.choices)

    class Meta:
        model = RasVersion
        fields = ["method", "status"]


@extend_schema_view(
    list=extend_schema(summary="Resource Allocation System versions",
                       description="Council staff see every version; brokers those in use and retired."),
    retrieve=extend_schema(summary="One RAS version with its numbers"),
)
class RasVersionViewSet(ScopedReadOnlyViewSet):
    """The RAS versions and their tables: points, client-group factors, typical services."""

    queryset = RasVersion.objects.prefetch_related("points", "factors", "typical_services__category")
    serializer_class = RasVersionSerializer
    filterset_class = RasVersionFilter


# Budgets ----------------------------------------------------------------------------------------

class BudgetFilter(filters.FilterSet):
    person = filters.NumberFilter(field_name="person", help_text="A person's id.")

    class Meta:
        model = PersonalBudget
        fields = ["person", "kind"]


@extend_schema_view(
    list=extend_schema(summary="Personal budgets of the people you can see"),
    retrieve=extend_schema(summary="One personal budget", responses={200: PersonalBudgetSerializer,
                                                                     404: NOT_FOUND}),
)
class PersonalBudgetViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            viewsets.GenericViewSet):
    """Weekly personal budgets: total, the person's contribution and the council's share, with the
    RAS version and breakdown that made each (Care Act 2014 s.26)."""

    queryset = PersonalBudget.objects.select_related("ras_version")
    serializer_class = PersonalBudgetSerializer
    filterset_class = BudgetFilter

    @extend_schema(summary="Work out an indicative budget", request=BudgetCalculateInputSerializer,
                   description="From a completed assessment with the RAS version of the method in use. The "
                               "contribution is in pence and cannot be more than the budget.",
                   responses={201: PersonalBudgetSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND})
    def create(self, request, *args, **kwargs):
        serializer = BudgetCalculateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        person = get_visible_or_404(request.user, Person, pk=data["person"])
        assessment = get_visible_or_404(request.user, Assessment, pk=data["assessment"])
        budget = services.budget_calculate(
            person=person, assessment=assessment, by=request.user, method=data["method"],
            weekly_contribution_pence=data["weekly_contribution_pence"],
            contribution_basis=data["contribution_basis"])
        fresh = self.get_queryset().get(pk=budget.pk)
        return Response(PersonalBudgetSerializer(fresh, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)
