"""The broker workspace: a person's record, their needs assessments, indicative budgets and
reablement. Views read through ``brokerage.selectors`` (out of scope → 404) and change things
only through ``brokerage.services``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from brokerage import services
from brokerage.constants import AssessmentStatus, NeedDomain
from brokerage.forms import (
    BUDGET_FIELDS,
    AssessmentScoreForm,
    AssessmentStartForm,
    BudgetForm,
    ReablementEndForm,
    ReablementStartForm,
    ArrangedServiceEndForm,
    ArrangedServiceForm,
    add_service_errors,
)
from brokerage.models import Person
from brokerage.ras import explain_breakdown_line
from brokerage.selectors import active_ras_versions, assessments_for, budgets_for, people_visible_to, reablement_for
from brokerage.selectors.oversight import person_oversight
from brokerage.selectors.package_requests import package_requests_for_person
from brokerage.selectors.plans import plans_for
from marketplace.constants import Role
from marketplace.permissions import has_role, organisation_ids
from marketplace.scoping import get_visible_or_404, visible_to
from marketplace.transitions import InvalidTransition

ASSESSMENT_TAGS = {
    AssessmentStatus.DRAFT: "govuk-tag--grey",
    AssessmentStatus.COMPLETED: "govuk-tag--green",
}


def _person_or_404(request, pk: int) -> Person:
    return get_visible_or_404(request.user, people_visible_to(request.user), pk=pk)


def _plans_for(user, person: Person) -> bool:
    """Whether the user works on the person's record (their broker, or a contract officer) rather
    than only reading it (the person, their representative, a finance officer). The services
    check again; this only decides which links and pages to offer."""
    if has_role(user, Role.CONTRACT_OFFICER):
        return True
    return person.consent_to_share and person.broker_organisation_id in organisation_ids(user, Role.BROKER)


def _planner_person_or_404(request, pk: int) -> Person:
    """The person, for pages that change their record: 404 out of scope, 403 if only a reader."""
    person = _person_or_404(request, pk)
    if not _plans_for(request.user, person):
        raise PermissionDenied("You do not have permission to do that.")
    return person


def _one_or_404(request, queryset: QuerySet, pk: int) -> Model:
    try:
        return visible_to(request.user, queryset).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found") from None


@login_required
def people_list(request):
    page = Paginator(people_visible_to(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "brokerage/people_list.html", {"page": page})


@login_required
def person_detail(request, pk: int):
    person = _person_or_404(request, pk)
    assessments = list(assessments_for(person))
    for assessment in assessments:
        assessment.tag_class = ASSESSMENT_TAGS.get(assessment.status, "")
    budget = budgets_for(person).first()
    episodes = list(reablement_for(person))
    return render(request, "brokerage/person_detail.html", {
        "person": person,
        "assessments": assessments,
        "budget": budget,
        "episodes": episodes,
        "arranged_services": list(person.arranged_services.all()),
        "can_arrange": has_role(request.user, Role.CONTRACT_OFFICER),
        "can_plan": _plans_for(request.user, person),
        "has_completed": any(a.status == AssessmentStatus.COMPLETED for a in assessments),
        "today": timezone.localdate(),
        "plans": plans_for(person),
        "package_requests": list(package_requests_for_person(request.user, person)[:10]),
        "oversight": person_oversight(person, timezone.localdate()),
    })


# Needs assessments -------------------------------------------------------------------------------


@login_required
def assessment_start(request, pk: int):
    person = _planner_person_or_404(request, pk)
    form = AssessmentStartForm(request.POST or None, initial={"assessed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.assessment_start(person=person, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Assessment started")
            return redirect("brokerage:assessment", pk=person.pk, assessment_id=assessment.pk)
    return render(request, "brokerage/assessment_start.html", {"person": person, "form": form})


@login_required
def assessment_detail(request, pk: int, assessment_id: int):
    """A draft is scored here (saved as often as needed, then completed); a completed assessment
    is shown as it was finished."""
    person = _person_or_404(request, pk)
    can_plan = _plans_for(request.user, person)
    assessment = _one_or_404(request, assessments_for(person), assessment_id)
    draft = assessment.status == AssessmentStatus.DRAFT
    if request.method == "POST":
        if not can_plan:
            raise PermissionDenied("You do not have permission to do that.")
        if not draft:
            messages.error(request, "This assessment has been completed and can no longer be changed")
            return redirect("brokerage:assessment", pk=person.pk, assessment_id=assessment.pk)
        form = AssessmentScoreForm(request.POST)
        if form.is_valid():
            completing = request.POST.get("action") == "complete"
            try:
                assessment = services.assessment_score(assessment=assessment, by=request.user,
                                                       scores=form.scores(), notes=form.notes())
                if completing:
                    assessment = services.assessment_complete(assessment=assessment, by=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            except InvalidTransition:
                messages.error(request, "This assessment has been completed and can no longer be changed")
                return redirect("brokerage:assessment", pk=person.pk, assessment_id=assessment.pk)
            else:
                if completing:
                    messages.success(request, "Assessment completed")
                    return redirect("brokerage:person", pk=person.pk)
                messages.success(request, "Assessment saved as a draft")
                return redirect("brokerage:assessment", pk=person.pk, assessment_id=assessment.pk)
    else:
        form = AssessmentScoreForm(initial=AssessmentScoreForm.initial_for(assessment))
    scores = {score.domain: score for score in assessment.scores.all()}
    return render(request, "brokerage/assessment_detail.html", {
        "person": person,
        "assessment": assessment,
        "tag_class": ASSESSMENT_TAGS.get(assessment.status, ""),
        "form": form,
        "editable": draft and can_plan,
        "rows": [(domain, scores.get(domain.value)) for domain in NeedDomain],
    })


# Budgets -----------------------------------------------------------------------------------------


@login_required
def budget_new(request, pk: int):
    person = _planner_person_or_404(request, pk)
    assessment = assessments_for(person).filter(status=AssessmentStatus.COMPLETED).first()
    versions = list(active_ras_versions())
    form = BudgetForm(request.POST or None, versions=versions,
                      initial={"method": versions[0].method} if len(versions) == 1 else None)
    if request.method == "POST" and assessment is not None and form.is_valid():
        data = form.cleaned_data
        try:
            budget = services.budget_calculate(
                person=person, assessment=assessment, by=request.user, method=data["method"],
                weekly_contribution_pence=data["weekly_contribution"],
                contribution_basis=data["contribution_basis"].strip())
        except ValidationError as error:
            add_service_errors(form, error, BUDGET_FIELDS)
        else:
            messages.success(request, "Indicative budget worked out")
            return redirect("brokerage:budget", pk=person.pk, budget_id=budget.pk)
    return render(request, "brokerage/budget_new.html", {
        "person": person, "assessment": assessment, "versions": versions, "form": form})


@login_required
def budget_detail(request, pk: int, budget_id: int):
    """How the budget was worked out, in words the person can read; they and their
    representative see it too."""
    person = _person_or_404(request, pk)
    budget = _one_or_404(request, budgets_for(person), budget_id)
    return render(request, "brokerage/budget_detail.html", {
        "person": person,
        "budget": budget,
        "lines": [explain_breakdown_line(line) for line in budget.breakdown],
        "printing": request.GET.get("print") == "1",
        "can_plan": _plans_for(request.user, person),
    })


# Reablement --------------------------------------------------------------------------------------


@login_required
def reablement_start(request, pk: int):
    person = _planner_person_or_404(request, pk)
    form = ReablementStartForm(request.POST or None, initial={"starts_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.reablement_start(person=person, by=request.user, starts_on=data["starts_on"],
                                      weeks=data["weeks"], longer_reason=data["longer_reason"].strip())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Reablement started")
            return redirect("brokerage:person", pk=person.pk)
    return render(request, "brokerage/reablement_start.html", {"person": person, "form": form})


@login_required
def reablement_end(request, pk: int, episode_id: int):
    person = _planner_person_or_404(request, pk)
    episode = _one_or_404(request, reablement_for(person), episode_id)
    if episode.ended_on is not None:
        messages.error(request, "This reablement has already ended")
        return redirect("brokerage:person", pk=person.pk)
    form = ReablementEndForm(request.POST or None, initial={"ended_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.reablement_end(episode=episode, by=request.user, ended_on=form.cleaned_data["ended_on"])
        except ValidationError as error:
            add_service_errors(form, error)
        except InvalidTransition:
            messages.error(request, "This reablement has already ended")
            return redirect("brokerage:person", pk=person.pk)
        else:
            messages.success(request, "Reablement ended")
            return redirect("brokerage:person", pk=person.pk)
    return render(request, "brokerage/reablement_end.html", {"person": person, "episode": episode, "form": form})


# Services the council arranges outside a budget (contract officers) -------------------------------

def _arranging_person_or_404(request, pk: int) -> Person:
    person = _person_or_404(request, pk)
    if not has_role(request.user, Role.CONTRACT_OFFICER):
        raise PermissionDenied("Only council contract officers record services the council arranges.")
    return person


@login_required
def arranged_service_new(request, pk: int):
    person = _arranging_person_or_404(request, pk)
    form = ArrangedServiceForm(request.POST or None, initial={"starts_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.arranged_service_record(person=person, by=request.user, description=data["description"],
                                             setting=data["setting"], term=data["term"],
                                             starts_on=data["starts_on"], ends_on=data["ends_on"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Service recorded")
            return redirect("brokerage:person", pk=person.pk)
    return render(request, "brokerage/arranged_service_new.html", {"person": person, "form": form})


@login_required
def arranged_service_end(request, pk: int, service_id: int):
    person = _arranging_person_or_404(request, pk)
    service = person.arranged_services.filter(pk=service_id).first()
    if service is None:
        raise Http404("Not found")
    if service.ends_on is not None:
        messages.error(request, f"This service already ended on {service.ends_on:%-d %B %Y}")
        return redirect("brokerage:person", pk=person.pk)
    form = ArrangedServiceEndForm(request.POST or None, initial={"ends_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.arranged_service_end(service=service, by=request.user, ends_on=form.cleaned_data["ends_on"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Service ended")
            return redirect("brokerage:person", pk=person.pk)
    return render(request, "brokerage/arranged_service_end.html", {"person": person, "service": service, "form": form})
