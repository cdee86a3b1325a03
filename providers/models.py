import datetime
import uuid
from pathlib import PurePath

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from marketplace.models import Organisation, User
from providers.constants import AccreditationStatus, ListingStatus, RateUnit, StandardScope


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


class ServiceListing(models.Model):
    """One service an organisation offers, as the public and brokers see it in the directory."""

    TRANSITIONS = {
        ListingStatus.DRAFT: {ListingStatus.PUBLISHED, ListingStatus.WITHDRAWN},
        ListingStatus.PUBLISHED: {ListingStatus.PAUSED, ListingStatus.WITHDRAWN},
        ListingStatus.PAUSED: {ListingStatus.PUBLISHED, ListingStatus.WITHDRAWN},
    }

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="listings")
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="listings")
    reference = models.SlugField(max_length=80, unique=True, help_text="Stable identifier used by feeds and imports.")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=ListingStatus.choices, default=ListingStatus.DRAFT)
    capacity_available = models.PositiveIntegerField(
        null=True, blank=True, help_text="Hours a week or places the provider can take on now.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["status", "category"], name="listing_status_category_idx")]

    def __str__(self):
        return self.title


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

    class Meta:
        ordering = ["listing", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=F("effective_from")),
                name="ratecard_period_positive",
            ),
            models.CheckConstraint(condition=Q(minimum_quantity__gte=0), name="ratecard_minimum_not_negative"),
            models.UniqueConstraint(fields=["listing", "unit", "effective_from"], name="ratecard_unique_start"),
        ]

    def __str__(self):
        return f"{self.listing} {self.get_unit_display()} from {self.effective_from}"
