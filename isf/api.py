"""ISF contracts through the API.

Reads go through the contract scope rule: the provider's staff see their organisation's contracts,
council officers all, the person and their representative their own, a broker those of their
people; anyone else gets a 404. Each contract comes with its terms (newest first) and the weekly
amounts of the terms in force: gross, the person's contribution and net, in integer pence.

Writes are POST actions calling :mod:`isf.services.contracts`: the provider's staff accept or
decline an offer; contract and finance officers suspend, reinstate and end a contract, each with a
reason.
"""

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from isf import services
from isf.constants import ContractStatus
from isf.models import ContractTerms, IsfContract
from isf.selectors.contracts import current_terms, weekly_amounts, with_terms
from marketplace.api.views import ScopedViewSetMixin

NOT_FOUND = OpenApiResponse(description="Not a contract you can see: another organisation's is not found.")
REFUSED = OpenApiResponse(description="Not signed in, or not allowed: the provider's staff accept and decline; "
                                      "contract and finance officers suspend, reinstate and end.")
INVALID = OpenApiResponse(description="What to fix, by field: a missing reason, or an end date before the start.")
CONFLICT = OpenApiResponse(description="The contract is not in a state that allows this; the body says which.")


class ContractTermsSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContractTerms
        fields = ["id", "plan", "plan_line", "effective_from", "item", "unit", "quantity_per_week", "price_pence",
                  "weekly_pence", "outcomes", "created_at"]


class IsfContractSerializer(serializers.ModelSerializer):
    """A contract as its parties see it."""

    person_name = serializers.SerializerMethodField()
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    service = serializers.CharField(source="listing.title", read_only=True)
    weekly = serializers.SerializerMethodField(help_text="The terms in force now (or the first terms before the "
                                                         "start): gross_pence, contribution_pence, net_pence.")
    terms = ContractTermsSerializer(many=True, read_only=True)

    class Meta:
        model = IsfContract
        fields = ["id", "reference", "person", "person_name", "provider", "provider_name", "listing", "service",
                  "status", "starts_on", "ends_on", "payment_weeks", "surplus_carry_weeks", "flexible_use",
                  "reporting_duty", "offered_at", "accepted_at", "suspended_reason", "ended_at", "ended_reason",
                  "weekly", "terms"]

    def get_person_name(self, contract: IsfContract) -> str:
        return f"{contract.person.first_name} {contract.person.last_name}"

    def get_weekly(self, contract: IsfContract) -> dict | None:
        terms = current_terms(contract)
        if terms is None:
            return None
        amounts = weekly_amounts(terms)
        return {"gross_pence": amounts.gross_pence, "contribution_pence": amounts.contribution_pence,
                "net_pence": amounts.net_pence}


class ContractReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why; recorded in the audit log.")


class ContractEndInputSerializer(ContractReasonInputSerializer):
    ends_on = serializers.DateField(required=False, allow_null=True, default=None,
                                    help_text="The last day; today when not given.")


class IsfContractFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=ContractStatus.choices)
    provider = filters.NumberFilter(field_name="provider")
    person = filters.NumberFilter(field_name="person")

    class Meta:
        model = IsfContract
        fields = ["status", "provider", "person"]


@extend_schema_view(
    list=extend_schema(summary="ISF contracts you are party to or oversee"),
    retrieve=extend_schema(summary="One ISF contract with its terms",
                           responses={200: IsfContractSerializer, 404: NOT_FOUND}),
)
class IsfContractViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         viewsets.GenericViewSet):
    """Individual Service Fund contracts between the council, a provider and a person."""

    queryset = IsfContract.objects.all()
    serializer_class = IsfContractSerializer
    filterset_class = IsfContractFilter

    def get_queryset(self):
        return with_terms(super().get_queryset())

    def _output(self, contract: IsfContract) -> Response:
        fresh = self.get_queryset().get(pk=contract.pk)
        return Response(IsfContractSerializer(fresh, context=self.get_serializer_context()).data)

    def _reason(self, request, serializer_class=ContractReasonInputSerializer) -> dict:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(summary="Accept an offered contract (the provider)", request=None,
                   responses={200: IsfContractSerializer, 403: REFUSED, 404: NOT_FOUND, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        contract = self.get_object()
        services.contract_accept(contract=contract, by=request.user)
        return self._output(contract)

    @extend_schema(summary="Decline an offered contract (the provider)", request=ContractReasonInputSerializer,
                   responses={200: IsfContractSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND,
                              409: CONFLICT})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        contract = self.get_object()
        services.contract_decline(contract=contract, by=request.user, **self._reason(request))
        return self._output(contract)

    @extend_schema(summary="Suspend a contract: payments stop (contract or finance officer)",
                   request=ContractReasonInputSerializer,
                   responses={200: IsfContractSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND,
                              409: CONFLICT})
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        contract = self.get_object()
        services.contract_suspend(contract=contract, by=request.user, **self._reason(request))
        return self._output(contract)

    @extend_schema(summary="Reinstate a suspended contract (contract or finance officer)",
                   request=ContractReasonInputSerializer,
                   responses={200: IsfContractSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND,
                              409: CONFLICT})
    @action(detail=True, methods=["post"])
    def reinstate(self, request, pk=None):
        contract = self.get_object()
        services.contract_reinstate(contract=contract, by=request.user, **self._reason(request))
        return self._output(contract)

    @extend_schema(summary="End a contract (contract or finance officer)", request=ContractEndInputSerializer,
                   responses={200: IsfContractSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND,
                              409: CONFLICT})
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        contract = self.get_object()
        services.contract_end(contract=contract, by=request.user, **self._reason(request, ContractEndInputSerializer))
        return self._output(contract)
