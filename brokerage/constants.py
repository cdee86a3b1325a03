from django.db import models

# Client groups are shared with the directory, which tags services with them.
from marketplace.constants import ClientGroup

__all__ = ["ClientGroup", "NeedDomain", "NeedLevel", "AssessmentStatus", "RasMethod", "RasVersionStatus",
           "BudgetKind", "REABLEMENT_WEEKS", "PlanStatus", "DeploymentRoute", "LineKind", "DbsCheck", "FinancialRisk",
           "ReviewStatus", "ReviewOutcome", "NegotiationStatus", "NegotiationReason", "NegotiationSide",
           "PackageRequestStatus", "PackageResponseStatus", "TimeOfDay", "TransitionKind"]


class NeedDomain(models.TextChoices):
    """The areas of daily life an assessment of eligible needs looks at (after the Care Act
    eligibility outcomes)."""

    PERSONAL_CARE = "personal_care", "Personal care and hygiene"
    NUTRITION = "nutrition", "Eating, drinking and preparing meals"
    CONTINENCE = "continence", "Using the toilet and managing continence"
    MOBILITY = "mobility", "Moving around indoors and out"
    SAFETY = "safety", "Keeping safe at home"
    HOME = "home", "Keeping a home habitable"
    RELATIONSHIPS = "relationships", "Family, friends and relationships"
    WORK_LEARNING = "work_learning", "Work, learning and volunteering"
    COMMUNITY = "community", "Getting out and using local services"
    CARER_ROLE = "carer_role", "Caring for someone else"


class NeedLevel(models.IntegerChoices):
    """How much help a need calls for; each domain of an assessment gets one."""

    NONE = 0, "No help needed"
    LOW = 1, "Some help, some of the time"
    MODERATE = 2, "Regular help every day"
    HIGH = 3, "Help with everything, all the time"


class AssessmentStatus(models.TextChoices):
    # Being written by the assessor; no budget can come from it yet.
    DRAFT = "draft", "Draft"
    # Finished: a RAS may work out an indicative budget from it.
    COMPLETED = "completed", "Completed"


class RasMethod(models.TextChoices):
    # In Control's method: each domain's need scores points; points are turned into money, with a
    # factor for the person's client group [K §5(1)-(3)].
    POINTS = "points", "Points-based"
    # What the standard services that meet the needs would cost the council at its reference
    # rates [K §5(1)-(3)].
    COST = "cost", "Cost-based"


class RasVersionStatus(models.TextChoices):
    # Being set up by a contract officer; not used for budgets.
    DRAFT = "draft", "Draft"
    # In use: new budgets of its method are worked out with it. One per method at a time.
    ACTIVE = "active", "In use"
    # Replaced by a newer version; budgets made with it keep pointing at it.
    RETIRED = "retired", "Retired"


class BudgetKind(models.TextChoices):
    # Worked out by the RAS from the assessment: where planning starts [H III].
    INDICATIVE = "indicative", "Indicative"
    # Fixed when the council signs off the costed support plan [K §5(4)].
    AGREED = "agreed", "Agreed"


# Reablement is free and time-limited: six weeks unless the council agrees longer [H I].
REABLEMENT_WEEKS = 6


# Support plans ----------------------------------------------------------------------------------

class PlanStatus(models.TextChoices):
    # Being written by the broker with the person; nothing in it is agreed yet.
    DRAFT = "draft", "Draft"
    # Sent to the council for sign-off; the broker cannot change it while it waits.
    SUBMITTED = "submitted", "Waiting for sign-off"
    # Signed off: the agreed budget is fixed and the placements may start [H VI, K §8(1)c].
    APPROVED = "approved", "Approved"
    # Sent back by an officer with reasons; the broker changes it and submits again.
    RETURNED = "returned", "Returned for changes"
    # Refused by an officer with reasons; a new plan must be started.
    REJECTED = "rejected", "Rejected"
    # Was approved, and a later version has been approved in its place.
    SUPERSEDED = "superseded", "Replaced by a later version"
    # Was approved, and the support it describes has ended.
    ENDED = "ended", "Ended"


# A plan in one of these states can still change (and at most one such plan exists per person).
PLAN_OPEN_STATUSES = (PlanStatus.DRAFT, PlanStatus.SUBMITTED, PlanStatus.RETURNED)
PLAN_EDITABLE_STATUSES = (PlanStatus.DRAFT, PlanStatus.RETURNED)


class DeploymentRoute(models.TextChoices):
    """How the money for a plan line is deployed [H VII, K §3(6)-(8)]."""

    # Cash to the person, into a bank account or onto a prepaid card.
    DIRECT_PAYMENT = "direct_payment", "Direct payment"
    # A direct payment managed for the person by the council or a trustee.
    THIRD_PARTY_DIRECT_PAYMENT = "third_party_direct_payment", "Direct payment managed by a third party"
    # The council arranges the service under its own contracts.
    MANAGED_BUDGET = "managed_budget", "Council-managed budget"
    # Passed by the council to the chosen provider, who holds it for the person.
    INDIVIDUAL_SERVICE_FUND = "individual_service_fund", "Individual Service Fund"


# Lines on these routes are paid as direct payments, priced at direct-payment rates [H V].
DIRECT_PAYMENT_ROUTES = (DeploymentRoute.DIRECT_PAYMENT, DeploymentRoute.THIRD_PARTY_DIRECT_PAYMENT)


class LineKind(models.TextChoices):
    # A published service from an approved organisation, priced from its rate card.
    SERVICE = "service", "Service from an organisation"
    # A personal assistant the person employs with a direct payment.
    PERSONAL_ASSISTANT = "personal_assistant", "Personal assistant"


class DbsCheck(models.TextChoices):
    """A DBS (criminal records) check the person may ask the council for, for a personal assistant."""

    NOT_REQUESTED = "not_requested", "Not requested"
    REQUESTED = "requested", "Requested"
    CLEAR = "clear", "Clear"


class FinancialRisk(models.TextChoices):
    """The financial risk assessment made when a person takes a direct payment; it sets how
    often full financial reviews happen [K §8(1), DP Regulations 2014 reg. 7]."""

    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


# Months from one direct-payment financial review to the next, by risk: the first is within 6
# months; then at most every 12; high risk quarterly.
FIRST_REVIEW_MONTHS = {FinancialRisk.LOW: 6, FinancialRisk.MEDIUM: 6, FinancialRisk.HIGH: 3}
REVIEW_INTERVAL_MONTHS = {FinancialRisk.LOW: 12, FinancialRisk.MEDIUM: 6, FinancialRisk.HIGH: 3}


class ReviewStatus(models.TextChoices):
    # Scheduled and not yet done.
    DUE = "due", "Due"
    # Done: the outcome is recorded and the next review scheduled.
    COMPLETED = "completed", "Completed"
    # No longer needed (the plan has no direct payment any more).
    CANCELLED = "cancelled", "Cancelled"


class ReviewOutcome(models.TextChoices):
    NO_CONCERNS = "no_concerns", "No concerns"
    ADVICE_GIVEN = "advice_given", "Advice given"
    PLAN_TO_CHANGE = "plan_to_change", "The plan needs to change"
    CONCERN_RAISED = "concern_raised", "Concern raised"


# Price negotiation ------------------------------------------------------------------------------

class NegotiationStatus(models.TextChoices):
    # Offers are being exchanged; the plan cannot be submitted while it is open.
    OPEN = "open", "Open"
    # Both sides agreed a price; the plan line takes it.
    AGREED = "agreed", "Agreed"
    # The provider would not negotiate: a non-specialist provider's line is blocked [H V(e)].
    DECLINED = "declined", "Declined"
    # The broker stopped it (they changed provider or the service).
    WITHDRAWN = "withdrawn", "Withdrawn"
    # Nobody agreed by the deadline.
    EXPIRED = "expired", "Expired"


class NegotiationReason(models.TextChoices):
    # The price on the line is above the council's reference rate for the category and unit.
    ABOVE_REFERENCE = "above_reference", "Price above the council's usual cost"
    # The broker asked the provider for a quote.
    QUOTE_REQUESTED = "quote_requested", "Quote requested"


class NegotiationSide(models.TextChoices):
    # The broker or the council, buying for the person.
    PURCHASER = "purchaser", "Broker or council"
    # The provider selling the service.
    PROVIDER = "provider", "Provider"


# Care package requests --------------------------------------------------------------------------

class PackageRequestStatus(models.TextChoices):
    # Sent to matching providers; offers come in until the deadline.
    OPEN = "open", "Open"
    # The broker chose an offer; it became a plan line.
    CHOSEN = "chosen", "Offer chosen"
    # The deadline passed with no offer: flagged to the council as a gap in the market.
    NO_OFFERS = "no_offers", "No offers (market gap)"
    # The broker withdrew it.
    WITHDRAWN = "withdrawn", "Withdrawn"


class PackageResponseStatus(models.TextChoices):
    # Sent to the provider; no answer yet.
    INVITED = "invited", "Waiting for an answer"
    # The provider offered a price and start date.
    OFFERED = "offered", "Offer made"
    # The provider cannot take it on.
    DECLINED = "declined", "Declined"
    # The deadline passed without an answer.
    LAPSED = "lapsed", "No answer by the deadline"
    # The broker chose this offer.
    CHOSEN = "chosen", "Chosen"
    # Another offer was chosen or the request was withdrawn; the provider has been told.
    NOT_CHOSEN = "not_chosen", "Not chosen"


class TimeOfDay(models.TextChoices):
    EARLY_MORNING = "early_morning", "Early morning (before 9am)"
    MORNING = "morning", "Morning"
    LUNCHTIME = "lunchtime", "Lunchtime"
    AFTERNOON = "afternoon", "Afternoon"
    EVENING = "evening", "Evening"
    NIGHT = "night", "Overnight"


# Council sign-off -------------------------------------------------------------------------------

class TransitionKind(models.TextChoices):
    """What happens when a newly approved budget is lower than the one in force [H V]."""

    # The new level applies from the plan's start (always, for an increase).
    IMMEDIATE = "immediate", "Immediately"
    # The higher level is kept for now (risk or distress), with a reason and a review date.
    PROTECTED = "protected", "Protected"
    # Weekly steps from the old level to the new over at most 13 weeks.
    TRANSITIONAL = "transitional", "Stepped down over a transitional period"


# A transitional plan steps down over at most 3 months (13 weeks) unless agreed by exception [H V].
MAX_TAPER_WEEKS = 13

# Defaults for the council's brokerage settings (kept in BrokerageSettings, editable in the console).
DEFAULT_TOLERANCE_PERCENT = 10
DEFAULT_QUALITY_WEIGHT_PERCENT = 60
DEFAULT_NEGOTIATION_DAYS = 10
DEFAULT_PACKAGE_REQUEST_DAYS = 5
# The share of eligible people with a personal budget the council aims for (30% in the Kent paper's
# milestone for April 2011) [K §3(3)].
DEFAULT_SELF_DIRECTED_SUPPORT_TARGET_PERCENT = 30


class ServiceSetting(models.TextChoices):
    """Where a service the council arranges is delivered. The self-directed support measures
    count community services only."""

    COMMUNITY = "community", "In the community (at home, day services)"
    RESIDENTIAL = "residential", "Residential or nursing care"


class ServiceTerm(models.TextChoices):
    """How long a service the council arranges lasts: the ADASS and ASCOF measures count only
    people with ongoing (long-term) services [K §3(4)]."""

    LONG_TERM = "long_term", "Ongoing (long-term)"
    SHORT_TERM = "short_term", "Short-term or one-off"
