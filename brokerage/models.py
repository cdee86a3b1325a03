from django.db import models
from django.db.models import F, Q

from brokerage.constants import AssessmentStatus, BudgetKind, ClientGroup, NeedDomain, NeedLevel, RasMethod, \
    RasVersionStatus
from marketplace.models import Organisation, User
from marketplace.money import format_pence
from providers.constants import RateUnit
from providers.models import ServiceCategory


class Person(models.Model):
    """Someone eligible for care who holds (or will hold) a personal budget.

    They choose a broker organisation to help them plan — an approved organisation or the
    council's own brokerage team — and consent to share their record with it. Only that broker's
    staff, council officers, the person and their representative can see the record.
    """

    reference = models.CharField(max_length=20, unique=True, help_text="The council's case reference.")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    postcode = models.CharField(max_length=8)
    client_group = models.CharField(max_length=30, choices=ClientGroup.choices)
    broker_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="people_brokered",
        help_text="The brokerage the person chose; blank until they choose.",
    )
    consent_to_share = models.BooleanField(default=False, help_text="The person agreed to share their record with the broker.")
    user = models.OneToOneField(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="person")
    representative = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="represented_people",
        help_text="A family member or other representative who acts for the person.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name_plural = "people"

    def __str__(self):
        return f"{self.first_name} {self.last_name}"


class Assessment(models.Model):
    """An assessment of a person's eligible needs: one level of need per domain of daily life.

    A draft is written by the assessor and completed once every domain is scored; a completed
    assessment is what a RAS works an indicative budget out from. A new assessment is a new row.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="assessments")
    status = models.CharField(max_length=20, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT)
    assessed_on = models.DateField()
    assessed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    summary = models.TextField(blank=True, help_text="What the person said matters to them, in their words.")
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "-assessed_on", "-pk"]

    def __str__(self):
        return f"Assessment of {self.person} on {self.assessed_on:%d %b %Y}"


class NeedScore(models.Model):
    """The level of need in one domain of an assessment."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    domain = models.CharField(max_length=30, choices=NeedDomain.choices)
    level = models.PositiveSmallIntegerField(choices=NeedLevel.choices)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["assessment", "domain"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "domain"], name="need_score_once_per_domain"),
            models.CheckConstraint(condition=Q(level__gte=0) & Q(level__lte=3), name="need_score_level_range"),
        ]

    def __str__(self):
        return f"{self.get_domain_display()}: {self.get_level_display()}"


class RasVersion(models.Model):
    """One version of a Resource Allocation System: a method and its numbers.

    Contract officers set a version up as a draft and put it in use; the one it replaces is
    retired. A version in use is never edited (a change is a new version), so every budget can
    point at the exact numbers that made it [K §5(1)-(3)].
    """

    TRANSITIONS = {
        RasVersionStatus.DRAFT: {RasVersionStatus.ACTIVE},
        RasVersionStatus.ACTIVE: {RasVersionStatus.RETIRED},
    }

    method = models.CharField(max_length=10, choices=RasMethod.choices)
    number = models.PositiveIntegerField(help_text="1, 2, 3… within the method.")
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=RasVersionStatus.choices, default=RasVersionStatus.DRAFT)
    pence_per_point = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Points-based only: what one point is worth a week, in pence.")
    notes = models.TextField(blank=True, help_text="Why this version was made; shown to officers.")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["method", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["method", "number"], name="ras_version_number_once"),
            models.UniqueConstraint(fields=["method"], condition=Q(status="active"), name="ras_one_active_per_method"),
            models.CheckConstraint(condition=~Q(method="points") | Q(pence_per_point__isnull=False),
                                   name="ras_points_has_rate"),
        ]

    def __str__(self):
        return f"{self.get_method_display()} RAS v{self.number}: {self.name}"


class RasPoints(models.Model):
    """Points-based RAS: the points a level of need in a domain scores."""

    version = models.ForeignKey(RasVersion, on_delete=models.CASCADE, related_name="points")
    domain = models.CharField(max_length=30, choices=NeedDomain.choices)
    level = models.PositiveSmallIntegerField(choices=NeedLevel.choices)
    points = models.PositiveIntegerField()

    class Meta:
        ordering = ["version", "domain", "level"]
        constraints = [
            models.UniqueConstraint(fields=["version", "domain", "level"], name="ras_points_once"),
        ]


class RasClientGroupFactor(models.Model):
    """Points-based RAS: the money the points give is multiplied by this for a client group."""

    version = models.ForeignKey(RasVersion, on_delete=models.CASCADE, related_name="factors")
    client_group = models.CharField(max_length=30, choices=ClientGroup.choices)
    factor = models.DecimalField(max_digits=5, decimal_places=3)

    class Meta:
        ordering = ["version", "client_group"]
        constraints = [
            models.UniqueConstraint(fields=["version", "client_group"], name="ras_factor_once"),
            models.CheckConstraint(condition=Q(factor__gt=0), name="ras_factor_positive"),
        ]


class RasTypicalService(models.Model):
    """Cost-based RAS: the standard service that typically meets a level of need in a domain, and
    how much of it a week; priced at the council's reference rate for its category and unit."""

    version = models.ForeignKey(RasVersion, on_delete=models.CASCADE, related_name="typical_services")
    domain = models.CharField(max_length=30, choices=NeedDomain.choices)
    level = models.PositiveSmallIntegerField(choices=NeedLevel.choices)
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="+")
    unit = models.CharField(max_length=10, choices=RateUnit.choices)
    quantity_per_week = models.DecimalField(max_digits=7, decimal_places=2)

    class Meta:
        ordering = ["version", "domain", "level"]
        constraints = [
            models.UniqueConstraint(fields=["version", "domain", "level", "category"], name="ras_typical_once"),
            models.CheckConstraint(condition=Q(quantity_per_week__gt=0), name="ras_typical_quantity_positive"),
        ]


class PersonalBudget(models.Model):
    """A person's weekly personal budget: the total cost, the person's assessed contribution and
    the council's share (Care Act 2014 s.26).

    An indicative budget comes from a RAS version and an assessment, with a breakdown the person
    can read; the agreed budget is fixed when the council signs off the plan. Budgets are never
    edited: a new calculation is a new row.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="budgets")
    kind = models.CharField(max_length=20, choices=BudgetKind.choices, default=BudgetKind.INDICATIVE)
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="budgets")
    ras_version = models.ForeignKey(RasVersion, on_delete=models.PROTECT, related_name="budgets")
    weekly_total_pence = models.PositiveBigIntegerField()
    weekly_contribution_pence = models.PositiveBigIntegerField(default=0)
    weekly_council_pence = models.PositiveBigIntegerField()
    breakdown = models.JSONField(default=list, help_text="How the total was worked out, line by line.")
    contribution_basis = models.TextField(blank=True, help_text="Where the contribution comes from.")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(weekly_contribution_pence__lte=F("weekly_total_pence")),
                                   name="budget_contribution_within_total"),
            models.CheckConstraint(
                condition=Q(weekly_council_pence=F("weekly_total_pence") - F("weekly_contribution_pence")),
                name="budget_shares_add_up"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} budget for {self.person}: {format_pence(self.weekly_total_pence)} a week"


class ReablementEpisode(models.Model):
    """A spell of reablement: free of charge for every client group and time-limited (six weeks
    unless the council agrees longer), so it never counts against a budget or the person's
    contribution [H I]."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="reablement_episodes")
    starts_on = models.DateField()
    planned_end_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    longer_reason = models.TextField(blank=True, help_text="Why the council agreed more than six weeks.")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(planned_end_on__gt=F("starts_on")), name="reablement_ends_after_start"),
        ]

    def __str__(self):
        return f"Reablement for {self.person} from {self.starts_on:%d %b %Y}"
