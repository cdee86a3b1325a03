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


class DeliveryMode(models.TextChoices):
    """Where or how a service is delivered."""

    AT_HOME = "at_home", "In the person's home"
    COMMUNITY = "community", "Out in the community"
    VENUE = "venue", "At the provider's premises"
    REMOTE = "remote", "By phone or online"
    # The person lives there (care homes, supported living with a tenancy).
    RESIDENTIAL = "residential", "Residential"


class CapacityUnit(models.TextChoices):
    """What a listing's available capacity counts."""

    HOURS = "hours", "hours a week"
    PLACES = "places", "places"


class AreaKind(models.TextChoices):
    # The outward half of a postcode (E8, N16): what a person types is matched against these.
    DISTRICT = "district", "Postcode district"
    # An electoral ward; it lies in one or more postcode districts.
    WARD = "ward", "Ward"


class SpecialistClaimStatus(models.TextChoices):
    # Sent by the provider with its justification and cost of care; waiting for the council.
    SUBMITTED = "submitted", "Waiting for a decision"
    # The council agrees the service is specialist; the listing shows the mark [H V(d)].
    ACCEPTED = "accepted", "Accepted"
    # The council does not agree; the price is negotiated as any other [H V(e)].
    REJECTED = "rejected", "Rejected"
    # The provider took the claim back (or an accepted claim was ended).
    WITHDRAWN = "withdrawn", "Withdrawn"


class CostLineKind(models.TextChoices):
    """The parts of a cost-of-care breakdown, per unit of the service."""

    STAFF = "staff", "Staff time"
    ON_COSTS = "on_costs", "On-costs (employer's National Insurance, pension, holiday)"
    TRAINING = "training", "Training"
    TRAVEL = "travel", "Travel"
    OVERHEADS = "overheads", "Overheads"
    SURPLUS = "surplus", "Surplus"
