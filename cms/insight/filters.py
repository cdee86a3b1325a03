"""The filters every dashboard takes: a period of whole months, a client group and an area (a
postcode district). Read from the query string; anything that cannot be read falls back to the
default with a message, so a bookmarked or mistyped link never breaks the page."""

import calendar
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.db.models import Q
from django.utils import timezone

from marketplace.constants import ClientGroup
from providers.constants import AreaKind
from providers.models import Area

DEFAULT_MONTHS = 12
# A longer period makes the month-by-month tables too long to read; the CSV covers any period
# in pieces.
MAX_MONTHS = 36


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def last_day(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


@dataclass(frozen=True)
class Filters:
    """A period from the first day of ``start``'s month to the last day of ``end``'s month (or
    ``today``, if that comes first), people of ``client_group`` and services and people in the
    postcode district ``area`` (empty: all)."""

    start: datetime.date
    end: datetime.date
    today: datetime.date
    client_group: str = ""
    area: str = ""
    # What the figures of one page share (rows read once for several figures); not part of what
    # the filters are.
    memo: dict = field(default_factory=dict, init=False, compare=False, hash=False, repr=False)

    def remember(self, key: str, compute: Callable):
        """``compute()`` the first time ``key`` is asked for under these filters; the same value after."""
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    @classmethod
    def default(cls, today: datetime.date | None = None) -> "Filters":
        today = today or timezone.localdate()
        end = first_of_month(today)
        return cls(start=add_months(end, 1 - DEFAULT_MONTHS), end=end, today=today)

    def months(self) -> list[datetime.date]:
        """The first day of each month of the period."""
        months, month = [], self.start
        while month <= self.end:
            months.append(month)
            month = add_months(month, 1)
        return months

    def as_at(self, month: datetime.date) -> datetime.date:
        """The day a month's figures are counted on: its last day, or today for this month."""
        return min(last_day(month), self.today)

    @property
    def period_start(self) -> datetime.date:
        return self.start

    @property
    def period_end(self) -> datetime.date:
        return self.as_at(self.end)

    def people(self, prefix: str = "") -> Q:
        """People of the client group and area (``prefix`` reaches a person from another model,
        e.g. ``"person__"``)."""
        q = Q()
        if self.client_group:
            q &= Q(**{f"{prefix}client_group": self.client_group})
        if self.area:
            # Postcodes are stored upper case with one space: the district is all before it.
            q &= Q(**{f"{prefix}postcode__startswith": f"{self.area} "})
        return q

    def describe(self) -> str:
        """The filters in words, for captions and file headers."""
        period = (f"{self.start:%B %Y}" if self.start == self.end
                  else f"{self.start:%B %Y} to {self.end:%B %Y}")
        parts = [period]
        if self.client_group:
            parts.append(ClientGroup(self.client_group).label.lower())
        if self.area:
            parts.append(f"postcode district {self.area}")
        return ", ".join(parts)

    def query(self) -> str:
        """The filters as a query string (for links to the CSV files and the panels)."""
        from django.http import QueryDict

        data = QueryDict(mutable=True)
        data.update({"start": f"{self.start:%Y-%m}", "end": f"{self.end:%Y-%m}"})
        if self.client_group:
            data["client_group"] = self.client_group
        if self.area:
            data["area"] = self.area
        return data.urlencode()


MONTH_HINT = "Enter a month as year and month, like 2026-04"


class MonthField(forms.CharField):
    def to_python(self, value):
        value = (super().to_python(value) or "").strip()
        if not value:
            return None
        try:
            return datetime.datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(MONTH_HINT) from None


class FiltersForm(forms.Form):
    start = MonthField(label="From (month)", required=False, help_text="For example, 2026-04")
    end = MonthField(label="To (month)", required=False, help_text="For example, 2027-03")
    client_group = forms.ChoiceField(label="Client group", required=False,
                                     choices=[("", "All client groups"), *ClientGroup.choices])
    area = forms.ChoiceField(label="Area (postcode district)", required=False)

    def __init__(self, *args, today: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        districts = Area.objects.filter(kind=AreaKind.DISTRICT).order_by("code").values_list("code", "name")
        self.fields["area"].choices = [("", "All areas"), *((code, code if name == code else f"{code} ({name})")
                                                           for code, name in districts)]

    def clean(self):
        cleaned = super().clean()
        default = Filters.default(self.today)
        start, end = cleaned.get("start") or None, cleaned.get("end") or None
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        end = end or (default.end if start is None or start <= default.end else start)
        start = start or add_months(end, 1 - DEFAULT_MONTHS)
        if end > default.end:
            self.add_error("end", "The period cannot end after this month")
        elif start > end:
            self.add_error("end", "The period must end in or after the month it starts")
        elif add_months(start, MAX_MONTHS - 1) < end:
            self.add_error("end", f"Choose a period of {MAX_MONTHS} months or fewer")
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def filters(self) -> Filters:
        """The filters asked for; the default for any part that could not be read."""
        default = Filters.default(self.today)
        if not self.is_bound or not self.is_valid():
            data = self.cleaned_data if self.is_bound else {}
            return Filters(start=default.start, end=default.end, today=self.today,
                           client_group=data.get("client_group") or "" if "client_group" not in self.errors else "",
                           area=data.get("area") or "" if "area" not in self.errors else "")
        data = self.cleaned_data
        return Filters(start=data["start"], end=data["end"], today=self.today,
                       client_group=data["client_group"] or "", area=data["area"] or "")
