"""Form fields every app shares, shaped for the GOV.UK Design System."""

import datetime
import re

from django import forms

from marketplace import money

PARTS = ("day", "month", "year")


class DateInputWidget(forms.MultiWidget):
    """The GOV.UK date input: day, month and year boxes named ``<name>_day`` etc. with ids ``<id>_0..2``."""

    def __init__(self, attrs=None):
        box = {"inputmode": "numeric"}
        super().__init__({part: forms.TextInput(attrs=box) for part in PARTS}, attrs)

    def decompress(self, value):
        if isinstance(value, datetime.date):
            return [value.day, value.month, value.year]
        return [None, None, None]


class GovukDateField(forms.Field):
    """A date typed into three boxes, with the GOV.UK pattern's error messages.

    ``name`` is how the date is called in messages ("the issue date").
    """

    widget = DateInputWidget

    def __init__(self, *, name: str, **kwargs):
        self.name = name
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, datetime.date):
            return value
        parts = [str(part or "").strip() for part in (value or [None] * 3)][:3]
        while len(parts) < 3:
            parts.append("")
        if not any(parts):
            return None
        missing = [part for part, text in zip(PARTS, parts, strict=True) if not text]
        if missing:
            raise forms.ValidationError(f"{self.name.capitalize()} must include a {' and '.join(missing)}",
                                        code="incomplete")
        if not all(re.fullmatch(r"\d{1,4}", text) for text in parts):
            raise forms.ValidationError(f"{self.name.capitalize()} must be a real date", code="invalid")
        if len(parts[2]) != 4:
            raise forms.ValidationError("Year must include 4 numbers", code="invalid_year")
        day, month, year = (int(text) for text in parts)
        try:
            return datetime.date(year, month, day)
        except ValueError:
            raise forms.ValidationError(f"{self.name.capitalize()} must be a real date", code="invalid") from None


class PoundsField(forms.CharField):
    """An amount in pounds and pence a person types ("18.50", "£1,250"), cleaned to integer pence
    by ``marketplace.money.to_pence``; empty is ``None``.

    Refuses words, fractions of a penny and, unless ``allow_zero``, amounts of £0 or less (with
    ``allow_zero``, amounts below £0). Subclasses may reword the two messages; ``{what}`` is
    filled in from ``what``, or from the label when no ``what`` is given.
    """

    invalid_message = "Enter the {what} in pounds and pence, like 18.50"
    minimum_message = "The {what} must be {limit}"

    def __init__(self, *, what: str = "", allow_zero: bool = False, **kwargs):
        self.what, self.allow_zero = what, allow_zero
        if what:
            kwargs.setdefault("error_messages", {"required": f"Enter the {what}"})
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        what = self.what or self.label
        try:
            pence = money.to_pence(text)
        except money.MoneyError:
            raise forms.ValidationError(self.invalid_message.format(what=what), code="invalid") from None
        if pence < 0 or (pence == 0 and not self.allow_zero):
            limit = "£0 or more" if self.allow_zero else "more than £0"
            raise forms.ValidationError(self.minimum_message.format(what=what, limit=limit), code="min_value")
        return pence
