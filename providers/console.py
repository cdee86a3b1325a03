"""Council console views: contract officers review, approve, suspend, reinstate and withdraw
organisations under the quality framework. Every decision goes through providers.services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from marketplace.constants import Role
from marketplace.models import AuditEvent
from marketplace.permissions import has_role
from marketplace.transitions import InvalidTransition
from providers import services
from providers.constants import AccreditationStatus
from providers.models import Accreditation, Evidence, standards_for

ACTIONS = {
    "start_review": ("Start review", lambda a, by, reason: services.accreditation_start_review(accreditation=a, by=by)),
    "approve": ("Approve", lambda a, by, reason: services.accreditation_approve(accreditation=a, by=by, reason=reason)),
    "suspend": ("Suspend", lambda a, by, reason: services.accreditation_suspend(accreditation=a, by=by, reason=reason)),
    "reinstate": ("Reinstate", lambda a, by, reason: services.accreditation_reinstate(accreditation=a, by=by,
                                                                                      reason=reason)),
    "withdraw": ("Withdraw", lambda a, by, reason: services.accreditation_withdraw(accreditation=a, by=by,
                                                                                   reason=reason)),
}
# The decisions an officer may take in each state (expiry is the daily job's, not a button).
ACTIONS_BY_STATUS = {
    AccreditationStatus.APPLIED: ["start_review", "withdraw"],
    AccreditationStatus.UNDER_REVIEW: ["approve", "withdraw"],
    AccreditationStatus.APPROVED: ["suspend", "withdraw"],
    AccreditationStatus.SUSPENDED: ["reinstate", "withdraw"],
}


class ContractOfficerRequired:
    def dispatch(self, request, *args, **kwargs):
        if not has_role(request.user, Role.CONTRACT_OFFICER):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class AccreditationIndexView(ContractOfficerRequired, WagtailAdminTemplateMixin, TemplateView):
    page_title = "Accreditations"
    header_icon = "tasks"
    template_name = "providers/console/accreditation_index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status", "")
        queryset = Accreditation.objects.select_related("organisation").order_by("organisation__name")
        if status in AccreditationStatus.values:
            queryset = queryset.filter(status=status)
        context.update(
            page=Paginator(queryset, 50).get_page(self.request.GET.get("p")),
            statuses=AccreditationStatus.choices,
            status=status,
        )
        return context


class AccreditationDetailView(ContractOfficerRequired, WagtailAdminTemplateMixin, TemplateView):
    header_icon = "tasks"
    template_name = "providers/console/accreditation_detail.html"

    def get_page_title(self):
        return f"Accreditation: {self.accreditation.organisation.name}"

    def dispatch(self, request, *args, pk, **kwargs):
        self.accreditation = get_object_or_404(Accreditation.objects.select_related("organisation"), pk=pk)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        accreditation = self.accreditation
        context.update(
            accreditation=accreditation,
            actions=[(key, ACTIONS[key][0]) for key in ACTIONS_BY_STATUS.get(accreditation.status, [])],
            problems=accreditation.approval_problems(),
            standards=standards_for(accreditation.organisation),
            evidence=Evidence.objects.filter(organisation=accreditation.organisation).select_related("standard"),
            history=AuditEvent.objects.for_object(accreditation).select_related("actor"),
        )
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        if action not in ACTIONS:
            messages.error(request, "Choose a decision")
            return self.get(request, *args, **kwargs)
        try:
            ACTIONS[action][1](self.accreditation, request.user, request.POST.get("reason", ""))
        except (ValidationError, InvalidTransition) as problem:
            for message in getattr(problem, "messages", [str(problem)]):
                messages.error(request, message)
            return redirect(self.request.path)
        messages.success(request, f"{ACTIONS[action][0]}: {self.accreditation.organisation.name}")
        return redirect(reverse("accreditation_detail", args=[self.accreditation.pk]))
