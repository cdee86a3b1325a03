"""Council console views for the Resource Allocation System: contract officers list the versions
of each method, make a new draft (a copy of the one in use), set its numbers and put it in use.
A version in use or retired is shown read-only: a change is a new version. Every change goes
through brokerage.services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem

from brokerage import services
from brokerage.constants import ClientGroup, NeedDomain, NeedLevel, RasMethod, RasVersionStatus
from brokerage.forms import (
    ActivateForm,
    RasPointsForm,
    RasVersionCreateForm,
    TypicalServiceFormSet,
    add_service_errors,
    typical_initial,
)
from brokerage.models import RasVersion
from marketplace.console import ConsolePage
from marketplace.constants import Role
from marketplace.permissions import has_role
from marketplace.transitions import InvalidTransition


class ContractOfficerRequired:
    def dispatch(self, request, *args, **kwargs):
        if not has_role(request.user, Role.CONTRACT_OFFICER):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _versions():
    return (RasVersion.objects.select_related("activated_by", "created_by")
            .annotate(budget_count=Count("budgets")).order_by("method", "-number"))


class RasVersionIndexView(ContractOfficerRequired, ConsolePage, TemplateView):
    page_title = "Resource Allocation System"
    header_icon = "sliders"
    template_name = "brokerage/console/ras_index.html"

    def get_context_data(self, forms=None, **kwargs):
        context = super().get_context_data(**kwargs)
        versions = list(_versions())
        forms = forms or {}
        context["methods"] = [
            {
                "method": method,
                "versions": [version for version in versions if version.method == method.value],
                "active": next((v for v in versions if v.method == method.value
                                and v.status == RasVersionStatus.ACTIVE), None),
                "form": forms.get(method.value) or RasVersionCreateForm(prefix=method.value),
            }
            for method in RasMethod
        ]
        return context

    def post(self, request, *args, **kwargs):
        method = request.POST.get("method")
        if method not in RasMethod.values:
            messages.error(request, "Choose points-based or cost-based")
            return redirect(reverse("ras_index"))
        form = RasVersionCreateForm(request.POST, prefix=method)
        if form.is_valid():
            copy_from = RasVersion.objects.filter(method=method, status=RasVersionStatus.ACTIVE).first()
            try:
                version = services.ras_version_create(
                    method=method, name=form.cleaned_data["name"], notes=form.cleaned_data["notes"],
                    copy_from=copy_from, by=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Made a draft: {version}")
                return redirect(reverse("ras_detail", args=[version.pk]))
        messages.error(request, "The version was not made. Correct the errors below.")
        return self.render_to_response(self.get_context_data(forms={method: form}), status=400)


class RasVersionDetailView(ContractOfficerRequired, ConsolePage, TemplateView):
    header_icon = "sliders"
    template_name = "brokerage/console/ras_detail.html"

    def get_page_title(self):
        return str(self.version)

    def dispatch(self, request, *args, pk, **kwargs):
        self.version = get_object_or_404(_versions(), pk=pk)
        return super().dispatch(request, *args, **kwargs)

    @property
    def is_draft(self) -> bool:
        return self.version.status == RasVersionStatus.DRAFT

    @property
    def is_points(self) -> bool:
        return self.version.method == RasMethod.POINTS

    def get_context_data(self, numbers_form=None, activate_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        version = self.version
        context.update(version=version, editable=self.is_draft, levels=NeedLevel.choices)
        if self.is_points:
            points = {(row.domain, row.level): row.points for row in version.points.all()}
            factors = {row.client_group: row.factor for row in version.factors.all()}
            context.update(
                points_rows=[(domain.label, [points.get((domain.value, level.value)) for level in NeedLevel])
                             for domain in NeedDomain],
                factor_rows=[(group.label, factors.get(group.value)) for group in ClientGroup],
            )
        else:
            context["typical_rows"] = list(version.typical_services.select_related("category"))
        if self.is_draft:
            if numbers_form is None:
                numbers_form = (RasPointsForm(initial=RasPointsForm.initial_for(version)) if self.is_points
                                else TypicalServiceFormSet(initial=typical_initial(version), prefix="rows"))
            context.update(numbers_form=numbers_form, activate_form=activate_form or ActivateForm(),
                           gaps=services.activation_gaps(version))
        return context

    def post(self, request, *args, **kwargs):
        if not self.is_draft:
            messages.error(request, services.VERSION_IN_USE)
            return redirect(request.path)
        if request.POST.get("action") == "activate":
            return self._activate(request)
        return self._save_numbers(request)

    def _save_numbers(self, request):
        version = self.version
        if self.is_points:
            form = RasPointsForm(request.POST)
            if form.is_valid():
                try:
                    services.ras_version_set_points(version=version, by=request.user, points=form.points(),
                                                    factors=form.factors(),
                                                    pence_per_point=form.cleaned_data["pence_per_point"])
                except ValidationError as error:
                    add_service_errors(form, error)
                else:
                    messages.success(request, f"Saved the points of {version}")
                    return redirect(request.path)
        else:
            form = TypicalServiceFormSet(request.POST, prefix="rows")
            if form.is_valid():
                try:
                    services.ras_version_set_typical_services(version=version, by=request.user, rows=form.rows())
                except ValidationError as error:
                    form.service_errors = (error.message_dict.get("rows", []) if hasattr(error, "error_dict")
                                           else error.messages)
                else:
                    messages.success(request, f"Saved the typical services of {version}")
                    return redirect(request.path)
        messages.error(request, "The changes were not saved. Correct the errors below.")
        return self.render_to_response(self.get_context_data(numbers_form=form), status=400)

    def _activate(self, request):
        form = ActivateForm(request.POST)
        if form.is_valid():
            try:
                services.ras_version_activate(version=self.version, by=request.user,
                                              reason=form.cleaned_data["reason"])
            except ValidationError as error:
                add_service_errors(form, error)
            except InvalidTransition as problem:
                form.add_error(None, str(problem))
            else:
                messages.success(request, f"Put in use: {self.version}")
                return redirect(reverse("ras_detail", args=[self.version.pk]))
        messages.error(request, "The version was not put in use. Correct the errors below.")
        return self.render_to_response(self.get_context_data(activate_form=form), status=400)


class ContractOfficerMenuItem(MenuItem):
    """A console menu item only contract officers see."""

    def is_shown(self, request):
        return has_role(request.user, Role.CONTRACT_OFFICER)
