from django.db import models


class AccreditationStatus(models.TextChoices):
    # The organisation has asked to join the quality framework.
    APPLIED = "applied", "Applied"
    # A contract officer is checking its evidence.
    UNDER_REVIEW = "under_review", "Under review"
    # Approved and, while in date, shown publicly and available for plans.
    APPROVED = "approved", "Approved"
    # Temporarily withdrawn from the directory by the council, with a reason.
    SUSPENDED = "suspended", "Suspended"
    # The approval lapsed (set by the daily job).
    EXPIRED = "expired", "Expired"
    # The organisation left the framework or was removed from it.
    WITHDRAWN = "withdrawn", "Withdrawn"


class ListingStatus(models.TextChoices):
    # Being written by the provider; nobody else sees it.
    DRAFT = "draft", "Draft"
    # Visible in the directory and available for plans.
    PUBLISHED = "published", "Published"
    # Hidden for now (e.g. no capacity); can be published again.
    PAUSED = "paused", "Paused"
    # No longer offered; kept for the history of plans that used it.
    WITHDRAWN = "withdrawn", "Withdrawn"


class RateUnit(models.TextChoices):
    HOUR = "hour", "per hour"
    VISIT = "visit", "per visit"
    DAY = "day", "per day"
    NIGHT = "night", "per night"
    WEEK = "week", "per week"
    SESSION = "session", "per session"
    ITEM = "item", "per item"


class StandardScope(models.TextChoices):
    """Which organisations a quality standard applies to."""

    PROVIDERS = "providers", "Providers"
    BROKERS = "brokers", "Brokers"
    BOTH = "both", "Providers and brokers"


# Days before an expiry date on which the organisation is reminded.
REMINDER_DAYS = (60, 30, 7)
