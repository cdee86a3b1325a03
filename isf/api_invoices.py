"""Provider invoices through the API.

Reads go through the invoice scope rule: a provider's staff see their organisation's invoices,
council officers all, the person and their representative those on their contracts; anyone else
gets a 404. Writes call :mod:`isf.services.invoices`: the provider's staff send an invoice (every
problem is listed in a 400 ``{"problems": [...]}`` and nothing is saved) and answer the council's
questions; council officers query and reject; finance officers approve.
"""

from django.core.exceptions import PermissionDenied
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from isf import services
from isf.constants import InvoiceSource, InvoiceStatus
from isf.invoice_checks import NUMBER_MAX, DraftLine, InvoiceDraft
from isf.models import Invoice, InvoiceLine, InvoiceQuery, IsfContract
from isf.selectors.invoices import with_details
from marketplace.api.views import ScopedViewSetMixin
from marketplace.constants import PROVIDER_ROLES
from marketplace.models import Organisation
from marketplace.permissions import organisation_ids

NOT_FOUND = OpenApiResponse(description="Not an invoice you can see: another organisation's is not found.")
REFUSED = OpenApiResponse(description="Not signed in, or not allowed: the provider's staff send and answer; contract "
                                      "and finance officers query and reject; finance officers approve.")
INVALID = OpenApiResponse(description="What to fix, by field: a missing question, answer or reason, or a fund "
                                      "that no longer holds the total.")
CONFLICT = OpenApiResponse(description="The invoice is not in a state that allows this; the body says which.")


class InvoiceLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = ["id", "terms", "item", "starts_on", "ends_on", "quantity", "unit_price_pence", "amount_pence",
                  "position"]


class InvoiceQuerySerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceQuery
        fields = ["id", "question", "asked_at", "answer", "answered_at"]


class InvoiceSerializer(serializers.ModelSerializer):
    """An invoice as the provider and the council see it; money in integer pence."""

    contract_reference = serializers.CharField(source="contract.reference", read_only=True)
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    lines = InvoiceLineSerializer(many=True, read_only=True)
    queries = InvoiceQuerySerializer(many=True, read_only=True)

    class Meta:
        model = Invoice
        fields = ["id", "number", "provider", "provider_name", "contract", "contract_reference", "period_start",
                  "period_end", "status", "source", "total_pence", "notes", "submitted_at", "approved_at",
                  "rejected_reason", "drawdown", "paid_at", "lines", "queries"]


class InvoiceLineInputSerializer(serializers.Serializer):
    item = serializers.CharField(max_length=200, help_text="The item's name as in the contract's terms, or the "
                                                           "terms id.")
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    quantity = serializers.DecimalField(max_digits=9, decimal_places=2)
    unit_price_pence = serializers.IntegerField(min_value=1, help_text="The agreed unit price, in pence.")


class InvoiceInputSerializer(serializers.Serializer):
    contract = serializers.IntegerField(help_text="The id of one of your organisation's contracts.")
    number = serializers.CharField(max_length=NUMBER_MAX, help_text="Your own invoice number; never repeated.")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    lines = InvoiceLineInputSerializer(many=True, allow_empty=False, max_length=1000)


class InvoiceProblemSerializer(serializers.Serializer):
    message = serializers.CharField(help_text="What to fix, in plain words (\"Line 2: …\").")
    field = serializers.CharField(help_text="The part of the invoice at fault.")
    line = serializers.IntegerField(allow_null=True, help_text="The line's number (from 1), for a line's problem.")


class InvoiceRefusedSerializer(serializers.Serializer):
    problems = InvoiceProblemSerializer(many=True)


class InvoiceQuestionInputSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=2000)


class InvoiceAnswerInputSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=2000)


class InvoiceRejectInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why; the provider sees it.")


class InvoiceAnswerOutputSerializer(serializers.Serializer):
    invoice = InvoiceSerializer()
    problems = serializers.ListField(child=serializers.CharField(), help_text="Why the invoice stays queried "
                                                                              "(empty: it is validated again).")


class InvoiceFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=InvoiceStatus.choices)
    provider = filters.NumberFilter(field_name="provider")
    contract = filters.NumberFilter(field_name="contract")

    class Meta:
        model = Invoice
        fields = ["status", "provider", "contract"]


@extend_schema_view(
    list=extend_schema(summary="Invoices you sent, or oversee"),
    retrieve=extend_schema(summary="One invoice with its lines and questions",
                           responses={200: InvoiceSerializer, 404: NOT_FOUND}),
)
class InvoiceViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Providers' invoices against Individual Service Fund contracts."""

    queryset = Invoice.objects.all()
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter

    def get_queryset(self):
        return with_details(super().get_queryset()).order_by("-submitted_at", "-pk")

    def _output(self, invoice: Invoice, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=invoice.pk)
        return Response(InvoiceSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def _input(self, request, serializer_class) -> dict:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(summary="Send an invoice (the provider's staff)", request=InvoiceInputSerializer,
                   responses={201: InvoiceSerializer, 400: InvoiceRefusedSerializer, 403: REFUSED})
    def create(self, request):
        providers = organisation_ids(request.user, *PROVIDER_ROLES)
        if not providers:
            raise PermissionDenied("You do not have permission to do that.")
        data = self._input(request, InvoiceInputSerializer)
        # The contract tells which of the user's organisations is invoicing; another provider's
        # contract is refused as not found, like any other problem.
        contract = IsfContract.objects.filter(pk=data["contract"], provider_id__in=providers).select_related(
            "provider").first()
        provider = contract.provider if contract is not None else Organisation.objects.get(pk=min(providers))
        draft = InvoiceDraft(
            number=data["number"], contract=data["contract"], period_start=data["period_start"],
            period_end=data["period_end"], notes=data["notes"],
            lines=tuple(DraftLine(item=line["item"], date_from=line["date_from"], date_to=line["date_to"],
                                  quantity=line["quantity"], unit_price_pence=line["unit_price_pence"], number=index)
                        for index, line in enumerate(data["lines"], start=1)))
        try:
            invoice = services.invoice_submit(provider=provider, draft=draft, by=request.user,
                                              source=InvoiceSource.API)
        except services.InvoiceRefused as refused:
            return Response({"problems": [problem.as_dict() for problem in refused.problems]},
                            status=status.HTTP_400_BAD_REQUEST)
        return self._output(invoice, status.HTTP_201_CREATED)

    @extend_schema(summary="Approve a validated invoice: the fund is drawn down (finance officers)", request=None,
                   responses={200: InvoiceSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        invoice = self.get_object()
        services.invoice_approve(invoice=invoice, by=request.user)
        return self._output(invoice)

    @extend_schema(summary="Ask the provider a question (contract or finance officer)",
                   request=InvoiceQuestionInputSerializer,
                   responses={200: InvoiceSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def query(self, request, pk=None):
        invoice = self.get_object()
        services.invoice_query(invoice=invoice, by=request.user, **self._input(request, InvoiceQuestionInputSerializer))
        return self._output(invoice)

    @extend_schema(summary="Answer the council's question (the provider's staff)", request=InvoiceAnswerInputSerializer,
                   responses={200: InvoiceAnswerOutputSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND,
                              409: CONFLICT})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        invoice = self.get_object()
        answered = services.invoice_answer(invoice=invoice, by=request.user,
                                           **self._input(request, InvoiceAnswerInputSerializer))
        fresh = self.get_queryset().get(pk=invoice.pk)
        return Response({"invoice": InvoiceSerializer(fresh, context=self.get_serializer_context()).data,
                         "problems": [str(problem) for problem in answered.problems]})

    @extend_schema(summary="Reject an invoice with a reason (contract or finance officer)",
                   request=InvoiceRejectInputSerializer,
                   responses={200: InvoiceSerializer, 400: INVALID, 403: REFUSED, 404: NOT_FOUND, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        invoice = self.get_object()
        services.invoice_reject(invoice=invoice, by=request.user, **self._input(request, InvoiceRejectInputSerializer))
        return self._output(invoice)
