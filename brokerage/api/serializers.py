from rest_framework import serializers

from brokerage.constants import RasMethod
from brokerage.models import (
    Assessment,
    NeedScore,
    PersonalBudget,
    Person,
    RasClientGroupFactor,
    RasPoints,
    RasTypicalService,
    RasVersion,
)
from marketplace.api.fields import PenceField


class PersonSerializer(serializers.ModelSerializer):
    broker_organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Person
        fields = ["id", "reference", "first_name", "last_name", "date_of_birth", "postcode", "client_group",
                  "broker_organisation", "consent_to_share"]


# Assessments ------------------------------------------------------------------------------------

class NeedScoreSerializer(serializers.ModelSerializer):
    domain_label = serializers.CharField(source="get_domain_display", read_only=True)
    level_label = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = NeedScore
        fields = ["domain", "domain_label", "level", "level_label", "notes"]


class AssessmentSerializer(serializers.ModelSerializer):
    scores = NeedScoreSerializer(many=True, read_only=True)
    assessed_by = serializers.CharField(source="assessed_by.get_full_name", read_only=True)

    class Meta:
        model = Assessment
        fields = ["id", "person", "status", "assessed_on", "assessed_by", "summary", "completed_at", "scores"]


class AssessmentCreateInputSerializer(serializers.Serializer):
    person = serializers.IntegerField(help_text="The person's id (from /api/v1/people/).")
    assessed_on = serializers.DateField()
    summary = serializers.CharField(required=False, allow_blank=True, default="")


class AssessmentScoresInputSerializer(serializers.Serializer):
    scores = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Level of need (0 none, 1 some, 2 regular, 3 everything) by domain, like "
                  "{\"personal_care\": 2}. Domains not named keep their level.")
    notes = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, default=dict,
                                  help_text="Notes by domain.")


# RAS versions -----------------------------------------------------------------------------------

class RasPointsSerializer(serializers.ModelSerializer):
    class Meta:
        model = RasPoints
        fields = ["domain", "level", "points"]


class RasFactorSerializer(serializers.ModelSerializer):
    factor = serializers.DecimalField(max_digits=5, decimal_places=3, coerce_to_string=True, read_only=True)

    class Meta:
        model = RasClientGroupFactor
        fields = ["client_group", "factor"]


class RasTypicalServiceSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    quantity_per_week = serializers.DecimalField(max_digits=7, decimal_places=2, coerce_to_string=True,
                                                 read_only=True)

    class Meta:
        model = RasTypicalService
        fields = ["domain", "level", "category", "unit", "quantity_per_week"]


class RasVersionSerializer(serializers.ModelSerializer):
    pence_per_point = PenceField(read_only=True, allow_null=True)
    points = RasPointsSerializer(many=True, read_only=True)
    factors = RasFactorSerializer(many=True, read_only=True)
    typical_services = RasTypicalServiceSerializer(many=True, read_only=True)

    class Meta:
        model = RasVersion
        fields = ["id", "method", "number", "name", "status", "pence_per_point", "notes", "activated_at", "points",
                  "factors", "typical_services"]


class RasVersionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = RasVersion
        fields = ["id", "method", "number", "name"]


# Budgets ----------------------------------------------------------------------------------------

class BreakdownLineSerializer(serializers.Serializer):
    """One line of how a budget was worked out. ``kind`` says which of the other fields it has:
    ``points`` (a domain's points), ``factor`` (the client-group factor), ``service`` (a typical
    service priced at the reference rate) or ``reablement`` (free, counts £0)."""

    kind = serializers.ChoiceField(choices=["points", "factor", "service", "reablement"], read_only=True)
    description = serializers.CharField(read_only=True)
    amount_pence = serializers.IntegerField(
        read_only=True, help_text="Whole pence; the factor line is negative when the factor is below 1.")
    domain = serializers.CharField(read_only=True)
    domain_label = serializers.CharField(read_only=True)
    level = serializers.IntegerField(read_only=True)
    level_label = serializers.CharField(read_only=True)
    points = serializers.IntegerField(read_only=True)
    pence_per_point = serializers.IntegerField(read_only=True)
    client_group = serializers.CharField(read_only=True)
    client_group_label = serializers.CharField(read_only=True)
    factor = serializers.CharField(read_only=True, help_text="A decimal number as a string, like \"1.150\".")
    service = serializers.CharField(read_only=True)
    category = serializers.CharField(read_only=True)
    quantity = serializers.CharField(read_only=True, help_text="How much a week, like \"3.5\".")
    unit = serializers.CharField(read_only=True)
    unit_label = serializers.CharField(read_only=True)
    rate_pence = serializers.IntegerField(read_only=True,
                                          help_text="The reference rate in pence; not on reablement lines.")


class PersonalBudgetSerializer(serializers.ModelSerializer):
    ras_version = RasVersionSummarySerializer(read_only=True)
    weekly_total_pence = PenceField(read_only=True)
    weekly_contribution_pence = PenceField(read_only=True)
    weekly_council_pence = PenceField(read_only=True)
    breakdown = BreakdownLineSerializer(many=True, read_only=True)

    class Meta:
        model = PersonalBudget
        fields = ["id", "person", "kind", "assessment", "ras_version", "weekly_total_pence",
                  "weekly_contribution_pence", "weekly_council_pence", "contribution_basis", "breakdown",
                  "created_at"]


class BudgetCalculateInputSerializer(serializers.Serializer):
    person = serializers.IntegerField(help_text="The person's id.")
    assessment = serializers.IntegerField(help_text="A completed assessment of the person.")
    method = serializers.ChoiceField(choices=RasMethod.choices)
    weekly_contribution_pence = PenceField(help_text="The person's assessed contribution a week, in pence.")
    contribution_basis = serializers.CharField(required=False, allow_blank=True, default="")
