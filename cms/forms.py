"""Forms and query-string helpers for the public directory pages (cms.DirectoryPage).

The services search itself uses the shared ``providers.filters.ListingFilter``; what lives here is
only what the pages add around it: the brokers search, and the comparison selection carried in the
query string so it survives paging without JavaScript.
"""

import re

from django import forms
from django.http import QueryDict

from providers.search import MAX_QUERY_LENGTH, PostcodeError, postcode_district

# A person compares at most this many services side by side.
MAX_COMPARE = 4
# References are slugs (ServiceListing.reference); anything else in the query string is ignored.
_REFERENCE_RE = re.compile(r"^[-a-zA-Z0-9_]{1,80}$")
# Never look at more values than this, however long a crafted query string is.
_MAX_VALUES = 50


class BrokerSearchForm(forms.Form):
    """Search approved brokers ("people who can help you plan") by name and by postcode."""

    q = forms.CharField(label="Name or keyword", max_length=MAX_QUERY_LENGTH, required=False,
                        error_messages={"max_length": f"Search must be {MAX_QUERY_LENGTH} characters or fewer"})
    postcode = forms.CharField(
        label="Postcode or area", max_length=10, required=False,
        help_text="For example, E8 1AB or E8",
        error_messages={"max_length": "Enter a real postcode, like E8 1AB, or the first half of one, like E8"})

    def clean_postcode(self):
        value = self.cleaned_data["postcode"].strip()
        if not value:
            return None
        try:
            return postcode_district(value)
        except PostcodeError as error:
            raise forms.ValidationError(str(error)) from None


def _references(values: list[str]) -> list[str]:
    seen: list[str] = []
    for value in values[:_MAX_VALUES]:
        value = value.strip()
        if _REFERENCE_RE.match(value) and value not in seen:
            seen.append(value)
    return seen


def compare_selection(data: QueryDict) -> tuple[list[str], bool]:
    """The services chosen for comparison, in the order they were chosen, and whether more than
    :data:`MAX_COMPARE` were asked for (then only the first ones are kept).

    ``compare`` holds what the form submitted now (ticked boxes on this page and hidden inputs for
    choices on other pages); ``selected`` holds the choice as it was when the page was drawn, so a
    service already chosen keeps its place ahead of one ticked just now.
    """
    submitted = _references(data.getlist("compare"))
    previous = _references(data.getlist("selected"))
    chosen = [ref for ref in previous if ref in submitted] + [ref for ref in submitted if ref not in previous]
    return chosen[:MAX_COMPARE], len(chosen) > MAX_COMPARE


def query_with(data: QueryDict, *, compare: list[str] | None = None, drop: tuple[str, ...] = ()) -> str:
    """``data`` as a query string ("?…" or ""), with ``compare`` replaced, ``selected`` (only meant
    for the form) left out, and any keys in ``drop`` removed."""
    query = data.copy()
    for key in ("selected", *drop):
        query.pop(key, None)
    if compare is not None:
        query.setlist("compare", compare)
    for key in [key for key, values in query.lists() if not any(values)]:
        query.pop(key)  # empty filters add nothing to a link
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else ""


def with_remove_queries(data: QueryDict, listings: list) -> list[str]:
    """Give each chosen listing ``remove_query``: ``data`` without it in the comparison. Returns the
    chosen references in order."""
    references = [listing.reference for listing in listings]
    for listing in listings:
        listing.remove_query = query_with(data, compare=[ref for ref in references if ref != listing.reference])
    return references


# What an empty choice means on the search page, in words rather than "---------".
_ANY = {"category": "Any type of support", "client_group": "Anyone", "language": "Any language"}
# Choices with a default of their own: the first option is what an empty value means.
_NO_EMPTY_CHOICE = ("unit", "route", "sort")


def present_search_form(form: forms.Form) -> forms.Form:
    """Word the shared directory filter's form for the public search page (labels of empty
    choices, hints). Changes only how it reads, never what it accepts."""
    labels = {**_ANY, **dict.fromkeys(_NO_EMPTY_CHOICE)}
    for name, label in labels.items():
        field = form.fields[name]
        field.empty_label = label
        field.widget.choices = field.choices  # the widget kept the class-level field's choices
    hints = {"q": "For example, a kind of support, a condition or an organisation's name",
             "postcode": "For example, E8 1AB or E8"}
    for name, hint in hints.items():
        form.fields[name].help_text = hint
        form[name].help_text = hint  # the bound field, made when the form was validated, keeps its own copy
    return form
