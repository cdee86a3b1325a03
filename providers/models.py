from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from marketplace.models import Organisation
from providers.constants import AccreditationStatus, ListingStatus, RateUnit


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


class Accreditation(models.Model):
    """An organisation's standing under the council's shared quality framework.

    It applies, a contract officer reviews its evidence and approves it for a period; the council
    may suspend and reinstate it; it expires when the period lapses, or is withdrawn. Only an
    approved, in-date organisation is shown to the public or can be chosen in a support plan.
    """

    TRANSITIONS = {
        AccreditationStatus.APPLIED: {AccreditationStatus.UNDER_REVIEW, AccreditationStatus.WITHDRAWN},
        AccreditationStatus.UNDER_REVIEW: {AccreditationStatus.APPROVED, AccreditationStatus.WITHDRAWN},
        AccreditationStatus.APPROVED: {AccreditationStatus.SUSPENDED, AccreditationStatus.EXPIRED,
                                       AccreditationStatus.WITHDRAWN},
        AccreditationStatus.SUSPENDED: {AccreditationStatus.APPROVED, AccreditationStatus.EXPIRED,
                                        AccreditationStatus.WITHDRAWN},
    }

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="accreditation")
    status = models.CharField(max_length=20, choices=AccreditationStatus.choices, default=AccreditationStatus.APPLIED)
    approved_at = models.DateTimeField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)

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
