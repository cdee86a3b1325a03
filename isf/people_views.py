"""A person's ISF statement, under /people/<person_id>/isf/: in plain words, for a period they
choose, and as CSV or PDF to download.

Seen by whoever may see the person's record (the person, their representative, council officers
and the broker they chose, if they agreed to share it); anyone else is told it does not exist.
"""

import datetime

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path

from brokerage.models import Person
from isf import statement_files, stripe_client
from isf.constants import ContractStatus
from isf.selectors.statements import person_statement
from isf.services.card_payments import may_pay_for
from marketplace.forms import GovukDateField
from marketplace.scoping import get_visible_or_404

FORMATS = {"", "html", "csv", "pdf"}


class PeriodForm(forms.Form):
    """The dates a statement covers; both optional (an open end means all time on that side)."""

    start = GovukDateField(name="the start date", label="From", required=False, help_text="For example, 6 4 2026")
    end = GovukDateField(name="the end date", label="To", required=False, help_text="For example, 5 4 2027")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date must be the same as or after the start date")
        return data


def statement_period(request) -> tuple[PeriodForm, datetime.date | None, datetime.date | None]:
    """The period form bound to the query string, and its dates (None when open or not valid)."""
    has_dates = any(key.startswith(("start_", "end_")) for key in request.GET)
    form = PeriodForm(request.GET if has_dates else None)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    return form, None, None


def requested_format(request) -> str:
    wanted = request.GET.get("format", "")
    if wanted not in FORMATS:
        raise Http404("Not found")
    return wanted


def statement_download(wanted: str, statement, kind: str) -> HttpResponse | None:
    """The ``kind`` ("person" or "provider") statement as the CSV or PDF file asked for; None for
    the page itself."""
    if wanted not in {"csv", "pdf"}:
        return None
    render_file = getattr(statement_files, f"{kind}_statement_{wanted}")
    filename = getattr(statement_files, f"{kind}_statement_filename")(statement, wanted)
    content_type = statement_files.CSV_TYPE if wanted == "csv" else statement_files.PDF_TYPE
    return statement_files.file_response(render_file(statement), content_type=content_type, filename=filename)


def bad_period_download(form: PeriodForm) -> HttpResponse:
    """A download asked for with dates that are not valid: say what to fix rather than send a file."""
    problems = "; ".join(str(error) for errors in form.errors.values() for error in errors)
    return HttpResponse(f"Correct the dates: {problems}", status=400, content_type="text/plain; charset=utf-8")


def download_query(request) -> str:
    """The query string for the download links: the page's dates without its format."""
    query = request.GET.copy()
    query.pop("format", None)
    return query.urlencode()


@login_required
def person_statement_page(request, person_id: int):
    person = get_visible_or_404(request.user, Person.objects.all(), pk=person_id)
    wanted = requested_format(request)
    form, start, end = statement_period(request)
    if form.is_bound and form.errors:
        if wanted in {"csv", "pdf"}:
            return bad_period_download(form)
        return render(request, "isf/statements/person.html",
                      {"person": person, "form": form, "statement": None}, status=400)
    statement = person_statement(person, start=start, end=end)
    if (download := statement_download(wanted, statement, "person")) is not None:
        return download
    return render(request, "isf/statements/person.html", {
        "person": person, "form": form, "statement": statement, "period": statement_files.period_words(start, end),
        "query": download_query(request),
        "can_pay_by_card": stripe_client.is_configured() and may_pay_for(request.user, person)
        and any(contract.status == ContractStatus.ACTIVE for contract in (row.contract for row in statement.contracts)),
    })


urlpatterns = [
    path("<int:person_id>/isf/", person_statement_page, name="statement"),
]
