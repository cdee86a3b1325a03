"""Services the council arranges for a person outside a personal budget (traditional commissioned
services, carers' services). They do not touch a budget; they are recorded so the self-directed
support measures count everyone the council serves [K §3(2)-(4)]. Contract officers record them."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from brokerage.constants import ServiceSetting, ServiceTerm
from brokerage.models import ArrangedService, Person
from marketplace import audit
from marketplace.constants import Role
from marketplace.models import User
from marketplace.permissions import require_role
from marketplace.scoping import visible_to

__all__ = ["arranged_service_record", "arranged_service_end"]

DESCRIPTION_MAX = 200


def _officer_sees(by: User, person: Person) -> Person:
    require_role(by, Role.CONTRACT_OFFICER)
    fresh = visible_to(by, Person.objects.filter(pk=person.pk)).first()
    if fresh is None:
        raise PermissionDenied("You do not have permission to do that.")
    return fresh


@transaction.atomic
def arranged_service_record(*, person: Person, by: User, description: str, setting: str, term: str,
                            starts_on: datetime.date, ends_on: datetime.date | None = None) -> ArrangedService:
    """Record a service the council arranges for ``person`` outside a budget.

    Raises ``PermissionDenied`` unless ``by`` is a contract officer; ``ValidationError`` keyed by
    field for a missing description, setting, term or start date, or an end before the start.
    """
    person = _officer_sees(by, person)
    description = (description or "").strip()
    errors = {}
    if not description:
        errors["description"] = "Enter what the service is"
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = f"The description must be {DESCRIPTION_MAX} characters or fewer"
    if setting not in ServiceSetting.values:
        errors["setting"] = "Choose where the service is delivered"
    if term not in ServiceTerm.values:
        errors["term"] = "Choose whether the service is ongoing or short-term"
    if not isinstance(starts_on, datetime.date):
        errors["starts_on"] = "Enter the date the service starts"
    elif ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = "The service must end on or after the day it starts"
    if errors:
        raise ValidationError(errors)
    service = ArrangedService.objects.create(person=person, description=description, setting=setting, term=term,
                                             starts_on=starts_on, ends_on=ends_on, recorded_by=by)
    audit.record(actor=by, verb="arrangedservice.recorded", target=service, organisation=person.broker_organisation,
                 after={"person": person.pk, "description": description, "setting": setting, "term": term,
                        "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat() if ends_on else None})
    return service


@transaction.atomic
def arranged_service_end(*, service: ArrangedService, by: User, ends_on: datetime.date,
                         reason: str = "") -> ArrangedService:
    """Record the last day of an arranged service. Ending it again on the same day changes
    nothing; a different day is refused (the record says when it really ended).

    Raises ``PermissionDenied`` unless ``by`` is a contract officer; ``ValidationError`` keyed
    ``ends_on`` for a missing date, one before the start, or a service already ended another day.
    """
    _officer_sees(by, service.person)
    locked = ArrangedService.objects.select_for_update().get(pk=service.pk)
    if not isinstance(ends_on, datetime.date):
        raise ValidationError({"ends_on": "Enter the date the service ended"})
    if locked.ends_on == ends_on:
        return locked
    if locked.ends_on is not None:
        raise ValidationError({"ends_on": f"This service already ended on {locked.ends_on:%-d %B %Y}"})
    if ends_on < locked.starts_on:
        raise ValidationError({"ends_on": f"The service must end on or after the day it started, "
                                          f"{locked.starts_on:%-d %B %Y}"})
    locked.ends_on = ends_on
    locked.save(update_fields=["ends_on"])
    audit.record(actor=by, verb="arrangedservice.ended", target=locked, reason=(reason or "").strip(),
                 organisation=locked.person.broker_organisation,
                 before={"ends_on": None}, after={"ends_on": ends_on.isoformat()})
    return locked
