"""The directory's search and filters, shared by the public pages, the REST API and the Open
Referral feed so that one search means the same everywhere.

Every filter is optional and kept in the query string, so a search can be bookmarked. Bad input
(an unknown category, a malformed postcode, a negative price) makes the form invalid with a
message in the GOV.UK style; the caller shows it and no query runs.
"""

import django_filters
from django import forms
from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, QuerySet, TextChoices

from marketplace.forms import PoundsField
from marketplace.constants import ClientGroup
from providers.constants import AreaKind, RateUnit
from providers.models import Area, Language, ListingClientGroup, ServiceCategory, ServiceListing, current_rate_q
from providers.search import MAX_QUERY_LENGTH, PostcodeError, matching, postcode_district

DEFAULT_UNIT = RateUnit.HOUR


class PriceRoute(TextChoices):
    """Which of a rate card's two prices a price filter or sort uses."""

    CONTRACT = "contract", "Council-arranged or Individual Service Fund"
    DIRECT_PAYMENT = "direct_payment", "Direct payment"


class Sort(TextChoices):
    RELEVANCE = "relevance", "Best match"
    PRICE_LOW = "price", "Price (lowest first)"
    PRICE_HIGH = "-price", "Price (highest first)"
    NAME = "name", "Name (A to Z)"


PRICE_FIELDS = {PriceRoute.CONTRACT: "contract_rate_pence", PriceRoute.DIRECT_PAYMENT: "direct_payment_rate_pence"}


class PriceField(PoundsField):
    """A price in a search: £0 is a fair lower bound, and the messages name the field's label."""

    invalid_message = "{what} must be an amount in pounds, like 18.50"
    minimum_message = "{what} must be 0 or more"

    def __init__(self, **kwargs):
        super().__init__(allow_zero=True, **kwargs)


class PoundsFilter(django_filters.Filter):
    field_class = PriceField


class ListingFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_price"), cleaned.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", "Maximum price must be the same as or more than the minimum price")
        return cleaned


class ListingFilter(django_filters.FilterSet):
    """Search published services of approved organisations. ``queryset`` should already be public."""

    q = django_filters.CharFilter(
        method="filter_text", label="Search", max_length=MAX_QUERY_LENGTH,
        error_messages={"max_length": f"Search words must be {MAX_QUERY_LENGTH} characters or fewer"})
    category = django_filters.ModelChoiceFilter(
        field_name="category", to_field_name="slug", queryset=ServiceCategory.objects.all(), label="Type of support",
        error_messages={"invalid_choice": "Choose a type of support from the list"})
    postcode = django_filters.CharFilter(method="filter_postcode", label="Postcode or area")
    client_group = django_filters.ChoiceFilter(
        choices=ClientGroup.choices, method="filter_client_group", label="Who it is for",
        error_messages={"invalid_choice": "Choose who the support is for from the list"})
    language = django_filters.ModelChoiceFilter(
        to_field_name="code", queryset=Language.objects.all(), method="filter_language", label="Language",
        error_messages={"invalid_choice": "Choose a language from the list"})
    specialist = django_filters.BooleanFilter(
        method="filter_specialist", label="Only specialist services", widget=forms.CheckboxInput)
    has_capacity = django_filters.BooleanFilter(
        method="filter_capacity", label="Only services that can take someone on now", widget=forms.CheckboxInput)
    unit = django_filters.ChoiceFilter(
        choices=RateUnit.choices, method="keep", label="Price per",
        error_messages={"invalid_choice": "Choose a unit from the list"})
    route = django_filters.ChoiceFilter(
        choices=PriceRoute.choices, method="keep", label="How the budget is paid",
        error_messages={"invalid_choice": "Choose how the budget is paid from the list"})
    min_price = PoundsFilter(method="keep", label="Minimum price")
    max_price = PoundsFilter(method="keep", label="Maximum price")
    sort = django_filters.ChoiceFilter(
        choices=Sort.choices, method="keep", label="Sort by", error_messages={"invalid_choice": "Choose a sort order"})

    class Meta:
        model = ServiceListing
        fields: list[str] = []
        form = ListingFilterForm

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        # A checkbox left unticked means "any", never "only those without".
        for name in ("specialist", "has_capacity"):
            self.form.fields[name].required = False

    def keep(self, queryset, name, value):
        # Applied together in filter_queryset: a price range means nothing without its unit and route.
        return queryset

    def filter_text(self, queryset, name, value):
        return queryset  # applied last in filter_queryset, so the rank sorts the filtered set

    def filter_postcode(self, queryset, name, value):
        if not value.strip():
            return queryset
        district = postcode_district(value)
        areas = Area.objects.filter(Q(kind=AreaKind.DISTRICT, code=district) | Q(kind=AreaKind.WARD,
                                                                                 districts__code=district))
        covered = ServiceListing.areas.through.objects.filter(servicelisting_id=OuterRef("pk"), area__in=areas)
        return queryset.filter(Exists(covered))

    def filter_client_group(self, queryset, name, value):
        return queryset.filter(Exists(ListingClientGroup.objects.filter(listing=OuterRef("pk"), client_group=value)))

    def filter_language(self, queryset, name, value):
        offered = ServiceListing.languages.through.objects.filter(servicelisting_id=OuterRef("pk"), language=value)
        return queryset.filter(Exists(offered))

    def filter_specialist(self, queryset, name, value):
        return queryset.filter(is_specialist=True) if value else queryset

    def filter_capacity(self, queryset, name, value):
        return queryset.filter(capacity_available__gt=0) if value else queryset

    @property
    def price_unit(self) -> str:
        return self.form.cleaned_data.get("unit") or DEFAULT_UNIT

    @property
    def price_route(self) -> str:
        return self.form.cleaned_data.get("route") or PriceRoute.CONTRACT

    @property
    def sort_order(self) -> str:
        chosen = self.form.cleaned_data.get("sort")
        if chosen:
            return chosen
        return Sort.RELEVANCE if self.form.cleaned_data.get("q") else Sort.NAME

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        try:
            queryset = super().filter_queryset(queryset)
        except PostcodeError as error:
            # Reached only when the form was not validated first (validation below catches it).
            self.form.add_error("postcode", str(error))
            return queryset.none()
        data = self.form.cleaned_data
        low, high, sort = data.get("min_price"), data.get("max_price"), self.sort_order
        if low is not None or high is not None or sort in (Sort.PRICE_LOW, Sort.PRICE_HIGH):
            # One join to the rate in force for the unit (at most one per unit: a new rate closes the
            # old), rather than a subquery per row, which is what a price sort would otherwise cost.
            current = FilteredRelation("rate_cards", condition=current_rate_q("rate_cards__")
                                       & Q(rate_cards__unit=self.price_unit))
            queryset = queryset.annotate(current_rate=current).annotate(
                price_pence=F(f"current_rate__{PRICE_FIELDS[self.price_route]}")).filter(price_pence__isnull=False)
            if low is not None:
                queryset = queryset.filter(price_pence__gte=low)
            if high is not None:
                queryset = queryset.filter(price_pence__lte=high)
        queryset = matching(queryset, data.get("q") or "")
        if sort == Sort.PRICE_LOW:
            return queryset.order_by(F("price_pence").asc(), "title", "pk")
        if sort == Sort.PRICE_HIGH:
            return queryset.order_by(F("price_pence").desc(), "title", "pk")
        if sort == Sort.RELEVANCE:
            return queryset.order_by("-rank", "title", "pk")
        return queryset.order_by("title", "pk")

    def is_valid(self) -> bool:
        valid = super().is_valid()
        self.district = None
        # Checked even when another field is wrong, so the person sees every problem at once.
        if self.form.cleaned_data.get("postcode"):
            try:
                self.district = postcode_district(self.form.cleaned_data["postcode"])
            except PostcodeError as error:
                self.form.add_error("postcode", str(error))
                return False
        return valid
