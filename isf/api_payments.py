"""Payment runs and payments through the API, read only.

Payment runs are for council officers only: anyone else sees an empty list and a 404 for a run.
Payments go through the payment scope rule: council officers see all, a provider's staff the
payments made to their organisation, a person and their representative their own; another's
payment is a 404. Amounts are integer pence. Runs are started from the console, the management
command or the schedule, never from here.
"""

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from isf.constants import PaymentKind, PaymentStatus
from isf.models import Payment, PaymentRun
from isf.selectors.payments import payments_with_parties
from marketplace.api.views import ScopedViewSetMixin

NOT_FOUND = OpenApiResponse(description="Not one you can see: another organisation's is not found.")


class PaymentRunOutputSerializer(serializers.ModelSerializer):
    """A payment run: its progress and summary, and the payments it could not send."""

    failures = serializers.ListField(child=serializers.DictField(), read_only=True,
                                     help_text="[{payment, key, payee, reason, retryable}] for payments not sent.")

    class Meta:
        model = PaymentRun
        fields = ["id", "reference", "run_on", "covers_until", "gateway", "status", "trigger", "started_at",
                  "finished_at", "to_check", "checked", "payments_made", "total_pence", "failures",
                  "file_confirmed_at"]
        read_only_fields = fields


class PaymentOutputSerializer(serializers.ModelSerializer):
    """One outgoing payment: an ISF release to a provider or a direct payment to a person."""

    run_reference = serializers.CharField(source="run.reference", read_only=True)
    payee_name = serializers.SerializerMethodField()
    contract_reference = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = ["id", "idempotency_key", "kind", "run", "run_reference", "contract", "contract_reference", "person",
                  "payee_organisation", "payee_name", "period_start", "period_end", "release_pence",
                  "contributions_pence", "amount_pence", "status", "gateway", "gateway_reference", "attempts",
                  "created_at", "sent_at", "settled_at"]
        read_only_fields = fields

    def get_payee_name(self, payment: Payment) -> str:
        if payment.payee_organisation_id:
            return payment.payee_organisation.name
        return f"{payment.person.first_name} {payment.person.last_name}"

    def get_contract_reference(self, payment: Payment) -> str | None:
        return payment.contract.reference if payment.contract_id else None


class PaymentFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=PaymentStatus.choices)
    kind = filters.ChoiceFilter(choices=PaymentKind.choices)
    run = filters.NumberFilter(field_name="run")

    class Meta:
        model = Payment
        fields = ["status", "kind", "run"]


@extend_schema_view(
    list=extend_schema(summary="Payment runs (council officers)"),
    retrieve=extend_schema(summary="One payment run with its summary",
                           responses={200: PaymentRunOutputSerializer, 404: NOT_FOUND}),
)
class PaymentRunViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Payment runs: each pays every active ISF contract and direct payment what is due, once."""

    queryset = PaymentRun.objects.order_by("-started_at", "-pk")
    serializer_class = PaymentRunOutputSerializer


@extend_schema_view(
    list=extend_schema(summary="Payments you made, received or oversee"),
    retrieve=extend_schema(summary="One payment", responses={200: PaymentOutputSerializer, 404: NOT_FOUND}),
)
class PaymentViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Outgoing payments: ISF fund releases to providers and direct payments to people."""

    queryset = Payment.objects.order_by("-created_at", "-pk")
    serializer_class = PaymentOutputSerializer
    filterset_class = PaymentFilter

    def get_queryset(self):
        return payments_with_parties(super().get_queryset())
