"""Council console pages for ISF surpluses: the funds found holding more than their surplus rule
allows (open first) and one flag with forms to recover the money or leave it with the provider.
Contract and finance officers see them; only finance officers decide. Every change goes through
:mod:`isf.services.surpluses`."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.generic import TemplateView

from isf import services
from isf.console import CouncilOfficerRequired, OfficerMenuItem
from isf.constants import SurplusStatus
from isf.models import SurplusFlag
from isf.selectors.statements import fund_balance_now, surplus_flags
from isf.views import run_action
from marketplace.console import ConsolePage
from marketplace.constants import Role
from marketplace.forms import PoundsField
from marketplace.permissions import has_role, is_council_officer

PAGE_SIZE = 50
REASON_MAX = 2000


def _reason(label: str, required: str) -> forms.CharField:
    return forms.CharField(label=label, max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": required,
                                           "max_length": f"The reason must be {REASON_MAX:,} characters or fewer"})


class RecoverForm(forms.Form):
    amount_pence = PoundsField(label="Amount to recover", what="amount to recover", required=False,
                               help_text="Leave empty to recover the whole surplus. For example, 120.00")
    reason = _reason("Why recover it?", "Enter why the surplus is being recovered")


class WaiveForm(forms.Form):
    reason = _reason("Why leave it with the provider?", "Enter why the surplus is being left with the provider")


class FilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status"), *SurplusStatus.choices],
                               error_messages={"invalid_choice": "Choose a status from the list"})


class SurplusListView(CouncilOfficerRequired, ConsolePage, TemplateView):
    page_title = "ISF surpluses"
    header_icon = "warning"
    template_name = "isf/console/surplus_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = FilterForm(self.request.GET or None)
        status = form.cleaned_data["status"] if form.is_bound and form.is_valid() else ""
        page = Paginator(surplus_flags(status=status), PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(form=form, page=page, flags=list(page.object_list), query=query.urlencode())
        return context


ACTIONS = {
    "recover": (RecoverForm, services.surplus_recover, "Recovered"),
    "waive": (WaiveForm, services.surplus_waive, "Left with the provider"),
}


class SurplusDetailView(CouncilOfficerRequired, ConsolePage, TemplateView):
    header_icon = "warning"
    template_name = "isf/console/surplus_detail.html"

    def get_page_title(self):
        return f"Surplus on ISF {self.flag.contract.reference}"

    def dispatch(self, request, *args, flag_id, **kwargs):
        if is_council_officer(request.user):
            try:
                self.flag = surplus_flags().get(pk=flag_id)
            except SurplusFlag.DoesNotExist:
                raise Http404("Not found") from None
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, bound=None, **kwargs):
        context = super().get_context_data(**kwargs)
        forms_ = {name: form_class(prefix=name) for name, (form_class, _, _) in ACTIONS.items()}
        if bound is not None:
            forms_[bound[0]] = bound[1]
        context.update(
            flag=self.flag, fund_balance_pence=fund_balance_now(self.flag.contract),
            can_decide=self.flag.status == SurplusStatus.OPEN and has_role(self.request.user, Role.FINANCE_OFFICER),
            recover_form=forms_["recover"], waive_form=forms_["waive"],
        )
        return context

    def post(self, request, *args, **kwargs):
        if not has_role(request.user, Role.FINANCE_OFFICER):
            raise PermissionDenied
        name = request.POST.get("action")
        if name not in ACTIONS:
            messages.error(request, "Choose to recover the surplus or leave it with the provider")
            return redirect(request.path)
        form_class, service, done = ACTIONS[name]
        form = form_class(request.POST, prefix=name)

        def call(data):
            service(flag=self.flag, by=request.user, **{key: value for key, value in data.items() if value is not None})

        if run_action(request, form, call):
            messages.success(request, f"{done}: the surplus on {self.flag.contract.reference}")
            return redirect(reverse("isf_surplus", args=[self.flag.pk]))
        messages.error(request, "Nothing was changed. Correct the errors below.")
        return self.render_to_response(self.get_context_data(bound=(name, form)), status=400)


urlpatterns = [
    path("surpluses/", SurplusListView.as_view(), name="isf_surpluses"),
    path("surpluses/<int:flag_id>/", SurplusDetailView.as_view(), name="isf_surplus"),
]


def _surpluses_item():
    return OfficerMenuItem("ISF surpluses", reverse("isf_surpluses"), icon_name="warning", order=199)


menu_items = [_surpluses_item]
