from django.db import models


class Role(models.TextChoices):
    """What a member does for their organisation; decides what they may see and do."""

    # Staff of a brokerage organisation (or the council's own team) who build support plans.
    BROKER = "broker", "Broker"
    # Staff of a provider who manage listings, rate cards, contracts and invoices.
    PROVIDER_STAFF = "provider_staff", "Provider staff"
    # A provider's administrator: as staff, plus managing the organisation's own people.
    PROVIDER_ADMIN = "provider_admin", "Provider administrator"
    # Council officer who accredits organisations, sets reference rates and approves plans.
    CONTRACT_OFFICER = "contract_officer", "Council contract officer"
    # Council officer who runs payment runs, reconciles ISFs and exports payment files.
    FINANCE_OFFICER = "finance_officer", "Council finance officer"
    # Council staff who write information and advice pages.
    CONTENT_EDITOR = "content_editor", "Content editor"


COUNCIL_ROLES = frozenset({Role.CONTRACT_OFFICER, Role.FINANCE_OFFICER, Role.CONTENT_EDITOR})
PROVIDER_ROLES = frozenset({Role.PROVIDER_STAFF, Role.PROVIDER_ADMIN})
BROKER_ROLES = frozenset({Role.BROKER})

# Django group that carries each role's model and Wagtail permissions.
ROLE_GROUPS = {
    Role.BROKER: "Brokers",
    Role.PROVIDER_STAFF: "Provider staff",
    Role.PROVIDER_ADMIN: "Provider administrators",
    Role.CONTRACT_OFFICER: "Council contract officers",
    Role.FINANCE_OFFICER: "Council finance officers",
    Role.CONTENT_EDITOR: "Content editors",
}


class ClientGroup(models.TextChoices):
    """The groups of people adult social care serves; people and services are both tagged with them."""

    OLDER_PERSON = "older_person", "Older person"
    PHYSICAL_DISABILITY = "physical_disability", "Physical disability"
    LEARNING_DISABILITY = "learning_disability", "Learning disability"
    MENTAL_HEALTH = "mental_health", "Mental health"
    # Carers are counted under NI130 but not under the ADASS definition [K §3(2)-(4)].
    CARER = "carer", "Carer"
