"""Forms for price negotiations, on the broker's pages and in the provider portal.

They only read what was typed; who may offer, accept, decline or withdraw, and which prices may be
agreed, are decided in :mod:`brokerage.services.negotiations`.
"""

from django import forms

from marketplace.forms import PoundsField

NOTE_MAX = 2000


def _note(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=NOTE_MAX, help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": f"The note must be {NOTE_MAX:,} characters or fewer"})


def _reason(label: str, required_message: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label, max_length=NOTE_MAX, help_text=help_text, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": required_message,
                        "max_length": f"The reason must be {NOTE_MAX:,} characters or fewer"})


class OfferForm(forms.Form):
    """An offer or counter-offer: a price per unit and an optional note."""

    price = PoundsField(what="price", label="Your price", help_text="In pounds, for each unit. For example, 24.50")
    note = _note("Note", "Why this price, or anything the other side should know.")


class AcceptForm(forms.Form):
    note = _note("Note")


class WithdrawForm(forms.Form):
    reason = _reason("Why are you withdrawing?", "Enter why you are withdrawing from the negotiation",
                     "For example, the person chose another provider.")


class DeclineForm(forms.Form):
    reason = _reason("Why will you not negotiate?", "Enter why you will not negotiate this price",
                     "The broker will see this.")


class QuoteRequestForm(forms.Form):
    note = _note("Note to the provider",
                 "What you would like them to price. Do not include anything that identifies the person.")


# Service error keys the offer form calls by another name (the form takes pounds, the service pence).
OFFER_FIELDS = {"price_pence": "price"}
