from django.db import models

# Client groups are shared with the directory, which tags services with them.
from marketplace.constants import ClientGroup

__all__ = ["ClientGroup", "NeedDomain", "NeedLevel", "AssessmentStatus", "RasMethod", "RasVersionStatus",
           "BudgetKind", "REABLEMENT_WEEKS"]


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
