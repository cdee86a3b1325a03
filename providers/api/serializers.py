"""The directory's API: output serializers say what a reader sees, input serializers what a provider
may send. Input serializers only check shape and look up related rows; every rule about what makes
a good listing or rate card lives in ``providers.services.listings`` and comes back as a 400."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace.api.fields import PenceField
from marketplace.constants import ClientGroup
from marketplace.models import Organisation
from providers.constants import CapacityUnit, DeliveryMode, RateUnit
from providers.models import Area, Language, RateCard, ServiceCategory, ServiceListing
from providers.selectors import portal_listing_organisation_ids


class OrganisationSerializer(serializers.ModelSerializer):
    kinds = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Organisation
        fields = ["id", "name", "slug", "kinds", "email", "telephone", "website", "postcode", "description"]


# Lookups -----------------------------------------------------------------------------------------

class CategorySerializer(serializers.ModelSerializer):
    service_count = serializers.IntegerField(
        read_only=True, help_text="Published services of approved organisations in this category.")

    class Meta:
        model = ServiceCategory
        fields = ["slug", "name", "description", "service_count"]


class ClientGroupSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=ClientGroup.choices, help_text="The value the client_group filter takes.")
    name = serializers.CharField()


class LanguageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Language
        fields = ["code", "name"]


class AreaSerializer(serializers.ModelSerializer):
    districts = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text="For a ward: the postcode districts it lies in.")

    class Meta:
        model = Area
        fields = ["code", "name", "kind", "districts"]


# Reading services and rate cards -----------------------------------------------------------------

class OrganisationSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "slug"]


class CategorySummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceCategory
        fields = ["slug", "name"]


class RateCardSerializer(serializers.ModelSerializer):
    """A rate card marked against the council's reference rate (``providers.pricing.mark_rates``)."""

    listing = serializers.PrimaryKeyRelatedField(read_only=True)
    contract_rate_pence = PenceField(read_only=True)
    direct_payment_rate_pence = PenceField(read_only=True)
    is_current = serializers.SerializerMethodField()
    reference_rate_pence = PenceField(
        read_only=True, allow_null=True,
        help_text="The council's usual cost for this category and unit today; null when none is set.")
    contract_above_usual_cost = serializers.BooleanField(
        source="contract_above_usual", read_only=True,
        help_text="The contract rate is above the reference rate, so choosing it starts a negotiation.")
    direct_payment_above_usual_cost = serializers.BooleanField(
        source="direct_payment_above_usual", read_only=True,
        help_text="The direct payment rate is above the reference rate.")

    class Meta:
        model = RateCard
        fields = ["id", "listing", "unit", "contract_rate_pence", "direct_payment_rate_pence", "minimum_quantity",
                  "effective_from", "effective_to", "is_current", "reference_rate_pence",
                  "contract_above_usual_cost", "direct_payment_above_usual_cost"]
        read_only_fields = fields

    def get_is_current(self, card: RateCard) -> bool:
        return card.is_current()


class ServiceListingSerializer(serializers.ModelSerializer):
    """A service as the directory shows it. Expects a listing from ``with_listing_details`` whose
    ``current_rates`` have been marked, so a page of them costs a fixed number of queries."""

    organisation = OrganisationSummarySerializer(read_only=True)
    category = CategorySummarySerializer(read_only=True)
    client_groups = serializers.SerializerMethodField()
    areas = serializers.SerializerMethodField()
    languages = LanguageSerializer(many=True, read_only=True)
    specialisms = serializers.ListField(child=serializers.CharField(), read_only=True)
    has_capacity = serializers.BooleanField(read_only=True)
    current_rates = RateCardSerializer(
        many=True, read_only=True,
        help_text="The rate in force today for each unit, with both its contract and direct payment price.")

    class Meta:
        model = ServiceListing
        fields = ["id", "reference", "title", "description", "status", "organisation", "category", "client_groups",
                  "areas", "languages", "specialisms", "delivery_mode", "capacity_unit", "capacity_available",
                  "capacity_updated_at", "has_capacity", "is_specialist", "current_rates", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=ClientGroup.choices)))
    def get_client_groups(self, listing: ServiceListing) -> list[str]:
        return [row.client_group for row in listing.client_group_rows.all()]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_areas(self, listing: ServiceListing) -> list[str]:
        """Area codes: postcode districts (E8) and ward codes; /api/v1/areas/ names them."""
        return [area.code for area in listing.areas.all()]


# Writing services --------------------------------------------------------------------------------

class ListingContentInputSerializer(serializers.Serializer):
    """What a provider writes about a service. Used whole to create and partially to change one."""

    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=ServiceCategory.objects.all(),
        error_messages={"required": "Select a category", "does_not_exist": "Select a category from the list",
                        "null": "Select a category"})
    title = serializers.CharField(
        max_length=200, error_messages={"required": "Enter the name of the service",
                                        "blank": "Enter the name of the service",
                                        "max_length": "The name of the service must be 200 characters or fewer"})
    description = serializers.CharField(allow_blank=True, default="")
    delivery_mode = serializers.ChoiceField(
        choices=DeliveryMode.choices,
        error_messages={"required": "Select how the service is delivered",
                        "invalid_choice": "Select how the service is delivered"})
    client_groups = serializers.ListField(
        child=serializers.ChoiceField(choices=ClientGroup.choices,
                                      error_messages={"invalid_choice": "Select who the service is for"}),
        error_messages={"required": "Select who the service is for"})
    areas = serializers.SlugRelatedField(
        slug_field="code", queryset=Area.objects.all(), many=True, default=list,
        help_text="Area codes, from /api/v1/areas/.")
    languages = serializers.SlugRelatedField(
        slug_field="code", queryset=Language.objects.all(), many=True, default=list,
        help_text="Language codes, from /api/v1/languages/.")
    specialisms = serializers.ListField(child=serializers.CharField(max_length=100), default=list)
    capacity_unit = serializers.ChoiceField(
        choices=CapacityUnit.choices, default=CapacityUnit.HOURS,
        error_messages={"invalid_choice": "Select whether capacity is counted in hours or places"})
    capacity_available = serializers.IntegerField(
        allow_null=True, default=None, min_value=0,
        error_messages={"invalid": "Capacity available must be a whole number",
                        "min_value": "Capacity available must be 0 or more"})

    # Fields with their own path; a PATCH naming them is refused rather than silently ignored.
    NOT_EDITABLE = {
        "status": "Use the publish, pause or withdraw action to change the status",
        "is_specialist": "Only the council's decision on a specialist claim changes this",
        "organisation": "A service cannot move to another organisation",
        "reference": "The reference cannot be changed",
        "current_rates": "Add a rate card with POST /api/v1/services/{id}/rate-cards/",
    }

    def validate(self, attrs):
        if self.partial:
            sent = self.initial_data if isinstance(self.initial_data, dict) else {}
            errors = {name: [message] for name, message in self.NOT_EDITABLE.items() if name in sent}
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


@extend_schema_field(OpenApiTypes.INT)
class OrganisationChoiceField(serializers.PrimaryKeyRelatedField):
    """Only the organisations whose services the requesting user manages; any other id is refused
    as if it did not exist."""

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return Organisation.objects.none()
        return Organisation.objects.filter(pk__in=portal_listing_organisation_ids(request.user))


class ListingCreateInputSerializer(ListingContentInputSerializer):
    organisation = OrganisationChoiceField(
        help_text="The id of an organisation you manage services for.",
        error_messages={"required": "Select the organisation the service belongs to",
                        "does_not_exist": "Select an organisation you manage services for",
                        "incorrect_type": "Select an organisation you manage services for"})


class ListingActionInputSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, default="", max_length=2000,
                                   help_text="Optional; kept in the audit log.")


class CapacityInputSerializer(serializers.Serializer):
    capacity_available = serializers.IntegerField(
        allow_null=True, min_value=0,
        help_text="Hours a week or places (the listing's capacity_unit) the provider can take on now; "
                  "null if not stated.",
        error_messages={"required": "Enter the capacity available, or null if you do not want to say",
                        "invalid": "Capacity available must be a whole number",
                        "min_value": "Capacity available must be 0 or more"})


class RateCardInputSerializer(serializers.Serializer):
    """A new price from a date, in pence. The open card for the unit closes the day this one starts."""

    unit = serializers.ChoiceField(
        choices=RateUnit.choices, error_messages={"required": "Select what the rate is charged per",
                                                  "invalid_choice": "Select what the rate is charged per"})
    contract_rate_pence = PenceField(error_messages={"required": "Enter the contract rate in pence"})
    direct_payment_rate_pence = PenceField(error_messages={"required": "Enter the direct payment rate in pence"})
    minimum_quantity = serializers.DecimalField(
        max_digits=7, decimal_places=2, min_value=0, default=0,
        help_text="The least that can be bought, in units; a string like \"1.50\".",
        error_messages={"invalid": "The minimum must be a number of 0 or more, with up to 2 decimal places"})
    effective_from = serializers.DateField(
        error_messages={"required": "Enter the date the rate starts",
                        "invalid": "Enter the date the rate starts as YYYY-MM-DD"})

