from django.db import models


class ClientGroup(models.TextChoices):
    OLDER_PERSON = "older_person", "Older person"
    PHYSICAL_DISABILITY = "physical_disability", "Physical disability"
    LEARNING_DISABILITY = "learning_disability", "Learning disability"
    MENTAL_HEALTH = "mental_health", "Mental health"
    # Carers are counted under NI130 but not under the ADASS definition [K §3(2)-(4)].
    CARER = "carer", "Carer"
