from django.db import models
from django.core.validators import MaxValueValidator, MinValueValidator
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from django.db.models import F, Q

from brokerage.constants import (
    DEFAULT_NEGOTIATION_DAYS,
    DEFAULT_PACKAGE_REQUEST_DAYS,
    DEFAULT_SELF_DIRECTED_SUPPORT_TARGET_PERCENT,
    DEFAULT_QUALITY_WEIGHT_PERCENT,
    DEFAULT_TOLERANCE_PERCENT,
    DIRECT_PAYMENT_ROUTES,
    PLAN_OPEN_STATUSES,
    AssessmentStatus,
    BudgetKind,
    ClientGroup,
    DbsCheck,
    DeploymentRoute,
    FinancialRisk,
    LineKind,
    NeedDomain,
    NeedLevel,
    NegotiationReason,
    NegotiationSide,
    NegotiationStatus,
    PackageRequestStatus,
    PackageResponseStatus,
    PlanStatus,
    RasMethod,
    RasVersionStatus,
    ReviewOutcome,
    ServiceSetting,
    ServiceTerm,
    ReviewStatus,
    TransitionKind,
)
from marketplace.models import Organisation, User
from marketplace.money import format_pence
from providers.constants import RateUnit
from providers.models import Area, Language, RateCard, ServiceCategory, ServiceListing


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


class ArrangedService(models.Model):
    """A service the council arranges for a person outside a personal budget: a traditional
    commissioned service (home care under a block contract, a day centre place, residential care)
    or a carer's service. Recorded so the self-directed support measures can count everyone who
    receives a service, not only those with a budget [K §3(2)-(4)]."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="arranged_services")
    description = models.CharField(max_length=200, help_text="What the service is, like “Home care, 7 hours a week”.")
    setting = models.CharField(max_length=20, choices=ServiceSetting.choices, default=ServiceSetting.COMMUNITY)
    term = models.CharField(max_length=20, choices=ServiceTerm.choices, default=ServiceTerm.LONG_TERM)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True, help_text="Empty while the service goes on.")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                                   name="arranged_service_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.description} for {self.person}"


# The council's settings for planning and sign-off ------------------------------------------------

@register_setting(icon="sliders")
class BrokerageSettings(BaseGenericSetting):
    """The council's choices for support planning, edited by contract officers in the console."""

    tolerance_percent = models.PositiveSmallIntegerField(
        default=DEFAULT_TOLERANCE_PERCENT, validators=[MaxValueValidator(100)],
        help_text="How far (in per cent, either way) a plan's weekly cost may be from the indicative budget "
                  "before an officer must record an exception [K §5(4)].")
    quality_weight_percent = models.PositiveSmallIntegerField(
        default=DEFAULT_QUALITY_WEIGHT_PERCENT, validators=[MaxValueValidator(100)],
        help_text="When offers for a care package are ranked, the weight given to quality; price gets the rest.")
    negotiation_days = models.PositiveSmallIntegerField(
        default=DEFAULT_NEGOTIATION_DAYS, validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="Days a price negotiation stays open before it expires.")
    package_request_days = models.PositiveSmallIntegerField(
        default=DEFAULT_PACKAGE_REQUEST_DAYS, validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Days providers have to answer a care package request.")
    self_directed_support_target_percent = models.PositiveSmallIntegerField(
        default=DEFAULT_SELF_DIRECTED_SUPPORT_TARGET_PERCENT, validators=[MaxValueValidator(100)],
        help_text="The share of clients with a personal budget the council aims for, shown against the "
                  "NI130, ADASS and ASCOF measures on the dashboard [K §3(3)].")

    class Meta:
        verbose_name = "brokerage settings"
        verbose_name_plural = "brokerage settings"

    def __str__(self):
        return "Brokerage settings"


class ApprovalLimit(models.Model):
    """The weekly amount a contract officer may approve on their own; a plan above it goes to an
    officer with a higher limit [H VI]. An officer without a row may approve nothing."""

    officer = models.OneToOneField(User, on_delete=models.CASCADE, related_name="approval_limit")
    weekly_limit_pence = models.PositiveBigIntegerField()
    set_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-weekly_limit_pence"]

    def __str__(self):
        return f"{self.officer}: up to {format_pence(self.weekly_limit_pence)} a week"


# Support plans ----------------------------------------------------------------------------------

class SupportPlan(models.Model):
    """A person's costed support plan: their outcomes, the services and assistants that meet
    them with a route and a price each, and a risk assessment.

    A broker writes it with the person (``draft``) and submits it; a contract officer approves,
    returns or rejects it. Approval fixes the agreed budget and the placements. Changing an
    approved plan starts a new draft ``version`` whose ``previous`` is the approved one; the
    approved one stays in force until the new one is approved, then it is ``superseded``.
    """

    TRANSITIONS = {
        PlanStatus.DRAFT: {PlanStatus.SUBMITTED},
        PlanStatus.SUBMITTED: {PlanStatus.APPROVED, PlanStatus.RETURNED, PlanStatus.REJECTED},
        PlanStatus.RETURNED: {PlanStatus.SUBMITTED},
        PlanStatus.APPROVED: {PlanStatus.SUPERSEDED, PlanStatus.ENDED},
    }

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="plans")
    version = models.PositiveIntegerField(default=1)
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="revisions",
                                 help_text="The approved plan this version changes.")
    status = models.CharField(max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    indicative_budget = models.ForeignKey(PersonalBudget, on_delete=models.PROTECT, related_name="plans",
                                          help_text="The budget the plan is built against.")
    starts_on = models.DateField(help_text="When the plan takes effect once approved.")
    # The risk assessment: the rows are PlanRisk; these say safeguarding has been considered [H IV(c)].
    safeguarding_considered = models.BooleanField(default=False)
    safeguarding_notes = models.TextField(blank=True)
    # Set when the plan has direct-payment lines; sets the review schedule [K §8(1)].
    financial_risk = models.CharField(max_length=10, choices=FinancialRisk.choices, blank=True)
    financial_risk_notes = models.TextField(blank=True)
    # Exceptions the broker asks the officer for, with reasons.
    tolerance_exception_reason = models.TextField(
        blank=True, help_text="Why the plan costs more or less than the indicative budget allows.")
    live_in_relative_exception_reason = models.TextField(
        blank=True, help_text="Why a direct payment should pay a relative who lives with the person.")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The officer's decision.
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decision_reason = models.TextField(blank=True, help_text="Why it was approved, returned or rejected.")
    exceptions_granted = models.JSONField(default=list, blank=True,
                                          help_text="Each exception the officer agreed, with the reason.")
    agreed_budget = models.OneToOneField(PersonalBudget, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="approved_plan")
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["person", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["person", "version"], name="plan_version_once"),
            # One plan being written or waiting per person; a second "start" is refused by the database.
            models.UniqueConstraint(fields=["person"], condition=Q(status__in=PLAN_OPEN_STATUSES),
                                    name="plan_one_open_per_person"),
            models.UniqueConstraint(fields=["person"], condition=Q(status=PlanStatus.APPROVED),
                                    name="plan_one_approved_per_person"),
        ]

    def __str__(self):
        return f"Support plan v{self.version} for {self.person}"


class PlanOutcome(models.Model):
    """An outcome the person wants, in their own words; every line must serve at least one [H IV(b)]."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="outcomes")
    text = models.TextField()
    domain = models.CharField(max_length=30, choices=NeedDomain.choices, blank=True,
                              help_text="The area of eligible need it meets.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["plan", "position", "pk"]

    def __str__(self):
        return self.text[:80]


class PlanLine(models.Model):
    """One thing the budget pays for: a published service from an approved organisation (priced
    from its rate card) or a personal assistant the person employs with a direct payment.

    ``listed_price_pence`` is the rate card's price for the route when the line was added (the
    direct-payment rate for direct-payment routes); ``agreed_price_pence`` is the price after any
    negotiation. The weekly cost is agreed price × quantity.
    """

    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=20, choices=LineKind.choices, default=LineKind.SERVICE)
    listing = models.ForeignKey(ServiceListing, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="plan_lines")
    rate_card = models.ForeignKey(RateCard, null=True, blank=True, on_delete=models.PROTECT, related_name="plan_lines")
    description = models.CharField(max_length=200, blank=True, help_text="For a personal assistant, what they do.")
    unit = models.CharField(max_length=10, choices=RateUnit.choices)
    quantity_per_week = models.DecimalField(max_digits=7, decimal_places=2)
    listed_price_pence = models.PositiveBigIntegerField()
    agreed_price_pence = models.PositiveBigIntegerField()
    route = models.CharField(max_length=30, choices=DeploymentRoute.choices)
    outcomes = models.ManyToManyField(PlanOutcome, blank=True, related_name="lines")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    # Personal assistants only [H IV(a)]; DBS checks on request [K §8(1)].
    assistant_name = models.CharField(max_length=200, blank=True)
    live_in_relative = models.BooleanField(default=False,
                                           help_text="The assistant is a relative who lives in the same household.")
    dbs_check = models.CharField(max_length=20, choices=DbsCheck.choices, default=DbsCheck.NOT_REQUESTED)
    # From a care package request, when the line came from a chosen offer.
    package_response = models.OneToOneField("PackageResponse", null=True, blank=True, on_delete=models.PROTECT,
                                            related_name="plan_line")
    # Filled at approval: the officer acknowledged a specialist price above the reference rate.
    specialist_acknowledged_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT,
                                                   related_name="+")
    specialist_acknowledged_at = models.DateTimeField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity_per_week__gt=0), name="plan_line_quantity_positive"),
            models.CheckConstraint(condition=Q(agreed_price_pence__gt=0), name="plan_line_price_positive"),
            models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                                   name="plan_line_ends_after_start"),
            models.CheckConstraint(
                condition=Q(kind=LineKind.PERSONAL_ASSISTANT, listing__isnull=True, route__in=DIRECT_PAYMENT_ROUTES)
                | Q(kind=LineKind.SERVICE, listing__isnull=False, rate_card__isnull=False),
                name="plan_line_kind_fields"),
        ]

    def __str__(self):
        return self.listing.title if self.listing_id else f"Personal assistant: {self.assistant_name}"

    @property
    def is_direct_payment(self) -> bool:
        return self.route in DIRECT_PAYMENT_ROUTES


class PlanRisk(models.Model):
    """One row of a plan's risk assessment: the risk, who it affects and how it is reduced [H IV(c)]."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="risks")
    risk = models.TextField()
    who_is_affected = models.CharField(max_length=200)
    mitigation = models.TextField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["plan", "position", "pk"]

    def __str__(self):
        return self.risk[:80]


# Price negotiation ------------------------------------------------------------------------------

class Negotiation(models.Model):
    """A negotiation of the price of one plan line between the purchaser (broker or council) and
    the provider: a sequence of offers ending ``agreed``, ``declined``, ``withdrawn`` or
    ``expired`` at the deadline [H V(d)-(e)].

    A price above the council's reference rate may be agreed only with a provider whose
    specialist flag the council accepted; a declined negotiation with any other provider blocks
    the line. The saving (listed minus agreed, over a year) is kept when it is agreed.
    """

    TRANSITIONS = {
        NegotiationStatus.OPEN: {NegotiationStatus.AGREED, NegotiationStatus.DECLINED, NegotiationStatus.WITHDRAWN,
                                 NegotiationStatus.EXPIRED},
    }

    line = models.ForeignKey(PlanLine, on_delete=models.CASCADE, related_name="negotiations")
    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="negotiations")
    status = models.CharField(max_length=20, choices=NegotiationStatus.choices, default=NegotiationStatus.OPEN)
    reason = models.CharField(max_length=20, choices=NegotiationReason.choices)
    listed_price_pence = models.PositiveBigIntegerField(help_text="The price on the line when it opened.")
    reference_rate_pence = models.PositiveBigIntegerField(null=True, blank=True)
    provider_is_specialist = models.BooleanField(default=False)
    deadline = models.DateField()
    opened_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    agreed_price_pence = models.PositiveBigIntegerField(null=True, blank=True)
    annual_saving_pence = models.BigIntegerField(null=True, blank=True,
                                                 help_text="(Listed − agreed) × quantity a week × 52.")
    closing_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["line"], condition=Q(status=NegotiationStatus.OPEN),
                                    name="negotiation_one_open_per_line"),
        ]

    def __str__(self):
        return f"Negotiation for {self.line}"


class NegotiationOffer(models.Model):
    """One offer or counter-offer in a negotiation: who, what price, why, when. Never edited."""

    negotiation = models.ForeignKey(Negotiation, on_delete=models.CASCADE, related_name="offers")
    side = models.CharField(max_length=10, choices=NegotiationSide.choices)
    price_pence = models.PositiveBigIntegerField()
    note = models.TextField(blank=True)
    made_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["negotiation", "made_at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(price_pence__gt=0), name="negotiation_offer_positive")]

    def __str__(self):
        return f"{self.get_side_display()} offered {format_pence(self.price_pence)}"


# Care package requests --------------------------------------------------------------------------

class PackageRequest(models.Model):
    """A broker's request to the market for a care package, sent to every approved provider whose
    published listings match the category, area and capacity. Providers see only what is here:
    nothing in it identifies the person."""

    TRANSITIONS = {
        PackageRequestStatus.OPEN: {PackageRequestStatus.CHOSEN, PackageRequestStatus.NO_OFFERS,
                                    PackageRequestStatus.WITHDRAWN},
        PackageRequestStatus.NO_OFFERS: {PackageRequestStatus.WITHDRAWN},
    }

    reference = models.CharField(max_length=20, unique=True, help_text="Shown to providers instead of the person.")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="package_requests")
    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="package_requests",
                             help_text="The draft plan the chosen offer becomes a line of.")
    broker_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="package_requests")
    status = models.CharField(max_length=20, choices=PackageRequestStatus.choices, default=PackageRequestStatus.OPEN)
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="package_requests")
    unit = models.CharField(max_length=10, choices=RateUnit.choices)
    quantity_per_week = models.DecimalField(max_digits=7, decimal_places=2)
    times_of_day = models.JSONField(default=list, help_text="TimeOfDay values.")
    starts_on = models.DateField()
    district = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="package_requests",
                                 help_text="Postcode district only, so the person cannot be identified.")
    specialisms = models.JSONField(default=list, blank=True)
    languages = models.ManyToManyField(Language, blank=True, related_name="package_requests")
    needs_summary = models.TextField(help_text="What the support is for, with nothing that identifies the person.")
    route = models.CharField(max_length=30, choices=DeploymentRoute.choices, default=DeploymentRoute.MANAGED_BUDGET)
    deadline = models.DateField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The broker's choice, with the person's preference recorded beside it.
    chosen_at = models.DateTimeField(null=True, blank=True)
    chosen_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    person_preference = models.TextField(blank=True, help_text="What the person preferred, in their words.")
    choice_reason = models.TextField(blank=True)
    market_gap_flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity_per_week__gt=0), name="package_request_quantity_positive"),
        ]

    def __str__(self):
        return f"Care package request {self.reference}"


class PackageResponse(models.Model):
    """One provider's answer to a care package request, for one of its matching listings: an
    offer (price per unit, earliest start, note) or a decline."""

    TRANSITIONS = {
        PackageResponseStatus.INVITED: {PackageResponseStatus.OFFERED, PackageResponseStatus.DECLINED,
                                        PackageResponseStatus.LAPSED, PackageResponseStatus.NOT_CHOSEN},
        PackageResponseStatus.OFFERED: {PackageResponseStatus.CHOSEN, PackageResponseStatus.NOT_CHOSEN},
    }

    request = models.ForeignKey(PackageRequest, on_delete=models.CASCADE, related_name="responses")
    listing = models.ForeignKey(ServiceListing, on_delete=models.PROTECT, related_name="package_responses")
    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="package_responses")
    status = models.CharField(max_length=20, choices=PackageResponseStatus.choices,
                              default=PackageResponseStatus.INVITED)
    price_pence = models.PositiveBigIntegerField(null=True, blank=True)
    earliest_start = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    responded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "listing"], name="package_response_once_per_listing"),
            models.CheckConstraint(condition=~Q(status=PackageResponseStatus.OFFERED)
                                   | Q(price_pence__gt=0, earliest_start__isnull=False),
                                   name="package_offer_has_price_and_start"),
        ]

    def __str__(self):
        return f"{self.provider} for {self.request}"


# After sign-off: transitional arrangements and direct-payment reviews ---------------------------

class BudgetTransition(models.Model):
    """How a person moves from the weekly budget in force to a newly approved one [H V].

    An increase applies at once. For a reduction the officer chose: immediately; ``protected``
    (the old level kept, with a reason and a review date); or ``transitional`` (weekly steps from
    old to new over ``weeks``, at most 13 unless recorded as an exception).
    """

    plan = models.OneToOneField(SupportPlan, on_delete=models.CASCADE, related_name="budget_transition")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="budget_transitions")
    kind = models.CharField(max_length=20, choices=TransitionKind.choices)
    from_weekly_pence = models.PositiveBigIntegerField()
    to_weekly_pence = models.PositiveBigIntegerField()
    starts_on = models.DateField()
    weeks = models.PositiveSmallIntegerField(default=0, help_text="Transitional only: the weeks of the taper.")
    review_on = models.DateField(null=True, blank=True, help_text="Protected only: when it is looked at again.")
    reason = models.TextField(blank=True)
    exception_reason = models.TextField(blank=True, help_text="Why a taper is longer than 13 weeks.")
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(kind=TransitionKind.TRANSITIONAL) | Q(weeks__gte=1),
                                   name="transition_taper_has_weeks"),
            models.CheckConstraint(condition=~Q(kind=TransitionKind.PROTECTED) | Q(review_on__isnull=False),
                                   name="transition_protected_has_review"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} change for {self.person} from {self.starts_on:%d %b %Y}"


class DirectPaymentReview(models.Model):
    """A full financial review of a person's direct payment, scheduled from the financial risk
    assessment: the first within 6 months, then at most every 12 (high risk quarterly) [K §8(1)]."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="direct_payment_reviews")
    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="direct_payment_reviews")
    risk = models.CharField(max_length=10, choices=FinancialRisk.choices)
    due_on = models.DateField()
    status = models.CharField(max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.DUE)
    completed_on = models.DateField(null=True, blank=True)
    completed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    outcome = models.CharField(max_length=20, choices=ReviewOutcome.choices, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(status=ReviewStatus.DUE),
                                    name="dp_review_one_due_per_person"),
            models.CheckConstraint(condition=~Q(status=ReviewStatus.COMPLETED) | ~Q(outcome=""),
                                   name="dp_review_completed_has_outcome"),
        ]

    def __str__(self):
        return f"Direct-payment review for {self.person} due {self.due_on:%d %b %Y}"
