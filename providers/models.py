import datetime
import uuid
from pathlib import PurePath

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from marketplace import money
from marketplace.constants import ClientGroup
from marketplace.models import Organisation, User
from providers.constants import (
    AccreditationStatus,
    AreaKind,
    CapacityUnit,
    CostLineKind,
    DeliveryMode,
    ListingStatus,
    RateUnit,
    SpecialistClaimStatus,
    StandardScope,
)


class ServiceCategory(models.Model):
    """A kind of support the council commissions (homecare, day opportunities, advocacy…)."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "service categories"

    def __str__(self):
        return self.name


class QualityStandard(models.Model):
    """One standard of the council's shared quality framework, and the evidence it needs.

    Contract officers edit these in the council console. An organisation cannot be approved until
    it has in-date evidence for every active, mandatory standard that applies to its kind.
    """

    code = models.CharField(max_length=20, unique=True, help_text="Short reference, e.g. QF-03.")
    title = models.CharField(max_length=200)
    evidence_required = models.TextField(help_text="What the organisation must upload to meet it.")
    renewal_months = models.PositiveSmallIntegerField(
        default=12, help_text="How long evidence and an approval based on it last, in months.")
    applies_to = models.CharField(max_length=10, choices=StandardScope.choices, default=StandardScope.BOTH)
    mandatory = models.BooleanField(default=True)
    active = models.BooleanField(default=True, help_text="Retired standards are kept for the record.")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(renewal_months__gte=1), name="standard_renewal_positive"),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    def applies_to_organisation(self, organisation: Organisation) -> bool:
        return (
            self.applies_to == StandardScope.BOTH
            or (self.applies_to == StandardScope.PROVIDERS and organisation.is_provider)
            or (self.applies_to == StandardScope.BROKERS and organisation.is_broker)
        )


def standards_for(organisation: Organisation):
    """Active standards that apply to ``organisation``'s kinds (provider, broker or both)."""
    scopes = [StandardScope.BOTH]
    if organisation.is_provider:
        scopes.append(StandardScope.PROVIDERS)
    if organisation.is_broker:
        scopes.append(StandardScope.BROKERS)
    return QualityStandard.objects.filter(active=True, applies_to__in=scopes)


def evidence_path(instance: "Evidence", filename: str) -> str:
    # Random names: an uploaded file's name never decides where it lands or what it overwrites.
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"evidence/{instance.organisation_id}/{uuid.uuid4().hex}{suffix}"


class Evidence(models.Model):
    """A document an organisation uploads to show it meets a standard, valid between two dates.

    A new upload never replaces an old one; the latest in-date upload is what counts.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="evidence")
    standard = models.ForeignKey(QualityStandard, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=200)
    original_name = models.CharField(max_length=200)
    issued_on = models.DateField()
    expires_on = models.DateField()
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["standard__code", "-uploaded_at"]
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(condition=Q(expires_on__gt=F("issued_on")), name="evidence_expires_after_issue"),
        ]
        indexes = [models.Index(fields=["organisation", "standard", "expires_on"], name="evidence_current_idx")]

    def __str__(self):
        return f"{self.standard.code} evidence for {self.organisation} (to {self.expires_on:%d %b %Y})"

    def is_in_date(self, today: datetime.date | None = None) -> bool:
        return self.expires_on >= (today or timezone.localdate())


class Accreditation(models.Model):
    """An organisation's standing under the council's shared quality framework.

    It applies, a contract officer reviews its evidence and approves it for a period; the council
    may suspend and reinstate it; it expires when the period lapses, or is withdrawn. An expired or
    withdrawn organisation may apply again. Only an approved, in-date organisation is shown to the
    public or can be chosen in a support plan.
    """

    TRANSITIONS = {
        AccreditationStatus.APPLIED: {AccreditationStatus.UNDER_REVIEW, AccreditationStatus.WITHDRAWN},
        AccreditationStatus.UNDER_REVIEW: {AccreditationStatus.APPROVED, AccreditationStatus.WITHDRAWN},
        AccreditationStatus.APPROVED: {AccreditationStatus.SUSPENDED, AccreditationStatus.EXPIRED,
                                       AccreditationStatus.WITHDRAWN},
        AccreditationStatus.SUSPENDED: {AccreditationStatus.APPROVED, AccreditationStatus.EXPIRED,
                                        AccreditationStatus.WITHDRAWN},
        AccreditationStatus.EXPIRED: {AccreditationStatus.APPLIED},
        AccreditationStatus.WITHDRAWN: {AccreditationStatus.APPLIED},
    }

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="accreditation")
    status = models.CharField(max_length=20, choices=AccreditationStatus.choices, default=AccreditationStatus.APPLIED)
    applied_at = models.DateTimeField(default=timezone.now)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    expires_on = models.DateField(null=True, blank=True)
    suspended_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=AccreditationStatus.APPROVED) | Q(expires_on__isnull=False),
                name="accreditation_approved_has_expiry",
            ),
        ]

    def __str__(self):
        return f"{self.organisation} — {self.get_status_display()}"

    def is_in_force(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.status == AccreditationStatus.APPROVED and self.expires_on is not None and self.expires_on >= today

    def approval_problems(self, today: datetime.date | None = None) -> list[str]:
        """Why this organisation cannot be approved today; empty when it can.

        Every active, mandatory standard that applies to the organisation needs in-date evidence.
        """
        today = today or timezone.localdate()
        evidenced = set(
            Evidence.objects.filter(organisation=self.organisation, expires_on__gte=today)
            .values_list("standard_id", flat=True)
        )
        problems = []
        for standard in standards_for(self.organisation).filter(mandatory=True):
            if standard.pk not in evidenced:
                problems.append(f"{standard.code} {standard.title}: no evidence in date")
        return problems


class ExpiryReminder(models.Model):
    """A reminder sent before evidence or an accreditation expires; one per date and threshold.

    The unique constraint is what makes the daily job safe to run twice.
    """

    target_key = models.CharField(max_length=60, help_text="evidence:<id> or accreditation:<id>")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="expiry_reminders")
    expires_on = models.DateField()
    days_before = models.PositiveSmallIntegerField()
    sent_to = models.JSONField(default=list)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["target_key", "expires_on", "days_before"], name="reminder_once"),
        ]

    def __str__(self):
        return f"{self.target_key}: {self.days_before} days before {self.expires_on}"


def in_force_q(prefix: str = "", today=None) -> Q:
    """Filter for organisations whose accreditation is approved and in date; ``prefix`` leads to the organisation."""
    today = today or timezone.localdate()
    return Q(**{f"{prefix}accreditation__status": AccreditationStatus.APPROVED,
                f"{prefix}accreditation__expires_on__gte": today})


class Area(models.Model):
    """A place a service covers: a postcode district (E8) or a ward, which lies in some districts.

    A person types a postcode; its district finds services that cover the district itself or any
    ward in it.
    """

    kind = models.CharField(max_length=10, choices=AreaKind.choices)
    code = models.CharField(max_length=20, unique=True, help_text="E8 for a district; the ONS code for a ward.")
    name = models.CharField(max_length=100)
    districts = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="wards",
        limit_choices_to={"kind": AreaKind.DISTRICT}, help_text="For a ward: the postcode districts it lies in.")

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self):
        return self.code if self.kind == AreaKind.DISTRICT else f"{self.name} ward"


class Language(models.Model):
    """A language a service can be delivered in (ISO 639 code, as Open Referral expects)."""

    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ServiceListing(models.Model):
    """One service an organisation offers, as the public and brokers see it in the directory.

    The provider writes it as a draft and publishes it; it may pause it (say, when it is full) and
    publish it again, and withdraws it when it stops offering it. Only published services of
    approved, in-date organisations are public. ``search_document`` is the text the directory
    searches; on PostgreSQL a stored, GIN-indexed ``search_vector`` column is generated from it and
    the title (added by migration 0005, not a model field, so nothing ever writes it).
    """

    TRANSITIONS = {
        ListingStatus.DRAFT: {ListingStatus.PUBLISHED, ListingStatus.WITHDRAWN},
        ListingStatus.PUBLISHED: {ListingStatus.PAUSED, ListingStatus.WITHDRAWN},
        ListingStatus.PAUSED: {ListingStatus.PUBLISHED, ListingStatus.WITHDRAWN},
    }

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="listings")
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="listings")
    reference = models.SlugField(max_length=80, unique=True, help_text="Stable identifier used by feeds and imports.")
    # The service's id in the Open Referral feed (which wants UUIDs): stored, so a request for one
    # service is an index lookup and the id never changes, whatever happens to the reference.
    feed_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=ListingStatus.choices, default=ListingStatus.DRAFT)
    delivery_mode = models.CharField(max_length=20, choices=DeliveryMode.choices, default=DeliveryMode.AT_HOME)
    areas = models.ManyToManyField(Area, blank=True, related_name="listings")
    languages = models.ManyToManyField(Language, blank=True, related_name="listings")
    specialisms = models.JSONField(default=list, blank=True, help_text="Conditions or needs it specialises in.")
    capacity_unit = models.CharField(max_length=10, choices=CapacityUnit.choices, default=CapacityUnit.HOURS)
    capacity_available = models.PositiveIntegerField(
        null=True, blank=True, help_text="Hours a week or places the provider can take on now; empty if not stated.")
    capacity_updated_at = models.DateTimeField(null=True, blank=True)
    # Set only by the council's decision on a specialist claim [H V(d)].
    is_specialist = models.BooleanField(default=False)
    search_document = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        indexes = [
            models.Index(fields=["status", "category"], name="listing_status_category_idx"),
            # The directory's default order: the first page comes straight off the index.
            models.Index(fields=["title", "id"], condition=Q(status=ListingStatus.PUBLISHED),
                         name="listing_published_title_idx"),
        ]

    def __str__(self):
        return self.title

    def has_capacity(self) -> bool:
        return bool(self.capacity_available)


class ListingClientGroup(models.Model):
    """A client group a listing is for (one row each, so the directory can filter on it)."""

    listing = models.ForeignKey(ServiceListing, on_delete=models.CASCADE, related_name="client_group_rows")
    client_group = models.CharField(max_length=30, choices=ClientGroup.choices)

    class Meta:
        ordering = ["client_group"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "client_group"], name="listing_client_group_once"),
        ]
        indexes = [models.Index(fields=["client_group", "listing"], name="listing_client_group_idx")]

    def __str__(self):
        return self.get_client_group_display()


class RateCard(models.Model):
    """The price of a listing from a date. New prices are new rows; history is never overwritten.

    Every rate card has two prices: the contract rate (council-managed budgets and ISFs) and the
    lower direct-payment rate, because the RAS is priced at contract rates [H V].
    """

    listing = models.ForeignKey(ServiceListing, on_delete=models.CASCADE, related_name="rate_cards")
    unit = models.CharField(max_length=10, choices=RateUnit.choices)
    contract_rate_pence = models.PositiveBigIntegerField()
    direct_payment_rate_pence = models.PositiveBigIntegerField()
    minimum_quantity = models.DecimalField(max_digits=7, decimal_places=2, default=0)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["listing", "-effective_from"]
        constraints = [
            models.CheckConstraint(condition=Q(contract_rate_pence__gt=0), name="ratecard_contract_rate_positive"),
            # Direct payments are priced below contract rates [H V]; never above them.
            models.CheckConstraint(condition=Q(direct_payment_rate_pence__lte=F("contract_rate_pence")),
                                   name="ratecard_dp_not_above_contract"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=F("effective_from")),
                name="ratecard_period_positive",
            ),
            models.CheckConstraint(condition=Q(minimum_quantity__gte=0), name="ratecard_minimum_not_negative"),
            models.UniqueConstraint(fields=["listing", "unit", "effective_from"], name="ratecard_unique_start"),
        ]

    def __str__(self):
        return f"{self.listing} {self.get_unit_display()} from {self.effective_from}"

    def is_current(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.effective_from <= today and (self.effective_to is None or self.effective_to > today)


def current_rate_q(prefix: str = "", today: datetime.date | None = None) -> Q:
    """Filter for rate cards in force today; ``prefix`` leads to the rate card."""
    today = today or timezone.localdate()
    return Q(**{f"{prefix}effective_from__lte": today}) & (
        Q(**{f"{prefix}effective_to__isnull": True}) | Q(**{f"{prefix}effective_to__gt": today}))


class ReferenceRate(models.Model):
    """The council's usual cost for a unit of a category of service, from a date.

    A rate card above it is marked "above usual cost" and starts a negotiation [H V(e)]. A new rate
    is a new row; the current one is the latest that has started, so history is never lost.
    """

    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="reference_rates")
    unit = models.CharField(max_length=10, choices=RateUnit.choices)
    rate_pence = models.PositiveBigIntegerField()
    effective_from = models.DateField()
    set_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    set_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["category__name", "unit", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["category", "unit", "effective_from"], name="reference_rate_unique_start"),
            models.CheckConstraint(condition=Q(rate_pence__gt=0), name="reference_rate_positive"),
        ]

    def __str__(self):
        return f"{self.category} {self.get_unit_display()} from {self.effective_from}: {money.format_pence(self.rate_pence)}"


class SpecialistClaim(models.Model):
    """A provider's case that a listing is specialist and so costs more than usual [H V(d)].

    It carries a written justification and a cost-of-care breakdown per unit, which the system
    totals and sets against the rate, so an officer sees where the price comes from. The council
    accepts or rejects it; an accepted claim marks the listing as specialist until it is withdrawn.
    """

    TRANSITIONS = {
        SpecialistClaimStatus.SUBMITTED: {SpecialistClaimStatus.ACCEPTED, SpecialistClaimStatus.REJECTED,
                                          SpecialistClaimStatus.WITHDRAWN},
        SpecialistClaimStatus.ACCEPTED: {SpecialistClaimStatus.WITHDRAWN},
    }

    listing = models.ForeignKey(ServiceListing, on_delete=models.CASCADE, related_name="specialist_claims")
    status = models.CharField(max_length=20, choices=SpecialistClaimStatus.choices,
                              default=SpecialistClaimStatus.SUBMITTED)
    justification = models.TextField()
    unit = models.CharField(max_length=10, choices=RateUnit.choices)
    rate_pence = models.PositiveBigIntegerField(help_text="The contract rate the breakdown justifies.")
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                     help_text="Empty for claims recorded before the platform (imports).")
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            # One claim in play per listing: a second click or a second tab cannot open another.
            models.UniqueConstraint(
                fields=["listing"], condition=Q(status__in=["submitted", "accepted"]), name="specialist_claim_one_open"),
        ]

    def __str__(self):
        return f"Specialist claim for {self.listing} ({self.get_status_display()})"

    def total_pence(self) -> int:
        """The cost of care per unit: the sum of the breakdown's lines."""
        return sum(line.amount_pence for line in self.cost_lines.all())

    def difference_pence(self) -> int:
        """How far the rate is above (positive) or below (negative) the cost of care."""
        return self.rate_pence - self.total_pence()


class CostOfCareLine(models.Model):
    """One line of a specialist claim's cost-of-care breakdown, per unit of service.

    Staff lines are hours per unit by grade × hourly pay; ``amount_pence`` is worked out from them
    by the service that saves the line. Other lines carry an amount per unit directly.
    """

    claim = models.ForeignKey(SpecialistClaim, on_delete=models.CASCADE, related_name="cost_lines")
    kind = models.CharField(max_length=20, choices=CostLineKind.choices)
    description = models.CharField(max_length=200, help_text="For staff time, the grade (e.g. senior support worker).")
    hours = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    hourly_pay_pence = models.PositiveBigIntegerField(null=True, blank=True)
    amount_pence = models.PositiveBigIntegerField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["claim", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="staff") | (Q(hours__isnull=False) & Q(hours__gt=0) & Q(hourly_pay_pence__isnull=False)),
                name="cost_line_staff_has_hours_and_pay",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.description}"
