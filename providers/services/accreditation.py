"""Writes for the quality framework: applying, evidence, the officer's decisions, expiry and reminders."""

import calendar
import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from marketplace import audit
from marketplace.constants import PROVIDER_ROLES, Role
from marketplace.models import Membership, Organisation, User
from marketplace.permissions import require_member, require_role
from marketplace.transitions import transition
from providers.constants import REMINDER_DAYS, AccreditationStatus
from providers.models import Accreditation, Evidence, ExpiryReminder, QualityStandard, standards_for

logger = logging.getLogger(__name__)

EVIDENCE_EXTENSIONS = {".pdf", ".jpg", ".jpeg", ".png", ".docx", ".odt"}
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_APPROVAL_MONTHS = 12


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, or the month's last day when it is shorter (31 Jan + 1 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Enter the reason for this decision"})
    return reason


@transaction.atomic
def accreditation_apply(*, organisation: Organisation, by: User) -> Accreditation:
    """The organisation asks to join (or rejoin) the framework.

    Raises ``PermissionDenied`` unless ``by`` works for it, and ``InvalidTransition`` if it is
    already applying, under review, approved or suspended.
    """
    require_member(by, organisation.pk)
    accreditation, created = Accreditation.objects.get_or_create(organisation=organisation)
    if created:
        audit.record(actor=by, verb="accreditation.applied", target=accreditation, organisation=organisation,
                     after={"status": AccreditationStatus.APPLIED})
        return accreditation

    def restart(locked):
        locked.applied_at = timezone.now()
        locked.approved_at = locked.approved_by = locked.expires_on = None

    return transition(accreditation, AccreditationStatus.APPLIED, by=by, organisation=organisation, apply=restart)


def accreditation_start_review(*, accreditation: Accreditation, by: User) -> Accreditation:
    """A contract officer takes the application. Raises ``PermissionDenied``, ``InvalidTransition``."""
    require_role(by, Role.CONTRACT_OFFICER)
    return transition(accreditation, AccreditationStatus.UNDER_REVIEW, by=by)


@transaction.atomic
def accreditation_approve(*, accreditation: Accreditation, by: User, reason: str,
                          expires_on: datetime.date | None = None) -> Accreditation:
    """Approve for a period: by default the shortest renewal period of the standards that apply.

    Raises ``ValidationError`` listing each mandatory standard without in-date evidence (or a
    missing reason, or an expiry date in the past), ``PermissionDenied``, ``InvalidTransition``.
    """
    require_role(by, Role.CONTRACT_OFFICER)
    reason = _require_reason(reason)
    today = timezone.localdate()
    problems = accreditation.approval_problems(today)
    if problems:
        raise ValidationError({"__all__": problems})
    if expires_on is None:
        months = min(standards_for(accreditation.organisation).filter(mandatory=True)
                     .values_list("renewal_months", flat=True), default=DEFAULT_APPROVAL_MONTHS)
        expires_on = add_months(today, months)
    elif expires_on <= today:
        raise ValidationError({"expires_on": "The approval must end after today"})

    def approve(locked):
        locked.approved_at, locked.approved_by, locked.expires_on = timezone.now(), by, expires_on
        locked.suspended_reason = ""

    return transition(accreditation, AccreditationStatus.APPROVED, by=by, reason=reason, apply=approve)


@transaction.atomic
def accreditation_suspend(*, accreditation: Accreditation, by: User, reason: str) -> Accreditation:
    """Take an approved organisation out of the directory and plans at once, with a reason."""
    require_role(by, Role.CONTRACT_OFFICER)
    reason = _require_reason(reason)

    def suspend(locked):
        locked.suspended_reason = reason

    return transition(accreditation, AccreditationStatus.SUSPENDED, by=by, reason=reason, apply=suspend)


@transaction.atomic
def accreditation_reinstate(*, accreditation: Accreditation, by: User, reason: str) -> Accreditation:
    """Lift a suspension. The approval period is unchanged; evidence must still be in date."""
    require_role(by, Role.CONTRACT_OFFICER)
    reason = _require_reason(reason)
    if accreditation.status == AccreditationStatus.SUSPENDED:
        problems = accreditation.approval_problems()
        if problems:
            raise ValidationError({"__all__": problems})

    def reinstate(locked):
        locked.suspended_reason = ""

    return transition(accreditation, AccreditationStatus.APPROVED, by=by, reason=reason, apply=reinstate)


def accreditation_withdraw(*, accreditation: Accreditation, by: User, reason: str) -> Accreditation:
    """The council removes the organisation from the framework (or it leaves), with a reason."""
    require_role(by, Role.CONTRACT_OFFICER)
    return transition(accreditation, AccreditationStatus.WITHDRAWN, by=by, reason=_require_reason(reason))


def accreditations_expire_lapsed(*, today: datetime.date | None = None) -> int:
    """Daily job: approved or suspended accreditations whose period has ended become expired.

    Safe to run twice: an expired accreditation is no longer selected.
    """
    today = today or timezone.localdate()
    lapsed = Accreditation.objects.filter(
        status__in=[AccreditationStatus.APPROVED, AccreditationStatus.SUSPENDED], expires_on__lt=today
    ).values_list("pk", flat=True)
    count = 0
    for pk in list(lapsed):
        transition(Accreditation(pk=pk), AccreditationStatus.EXPIRED, by=None,
                   reason=f"Approval period ended before {today:%d %B %Y}")
        count += 1
    return count


@transaction.atomic
def evidence_upload(*, organisation: Organisation, standard: QualityStandard, file: UploadedFile,
                    issued_on: datetime.date, expires_on: datetime.date, by: User) -> Evidence:
    """Keep a new piece of evidence; earlier uploads stay on record.

    Raises ``PermissionDenied`` unless ``by`` works for the organisation, and ``ValidationError``
    for a standard that does not apply, a file of the wrong type or size, or impossible dates.
    """
    require_member(by, organisation.pk)
    errors = {}
    if not standard.active or not standard.applies_to_organisation(organisation):
        errors["standard"] = "Choose a standard that applies to your organisation"
    name = (file.name or "").rsplit("/", 1)[-1]
    extension = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if extension not in EVIDENCE_EXTENSIONS:
        errors["file"] = "The selected file must be a PDF, JPG, PNG, DOCX or ODT"
    elif file.size > EVIDENCE_MAX_BYTES:
        errors["file"] = "The selected file must be smaller than 10MB"
    elif file.size == 0:
        errors["file"] = "The selected file is empty"
    if issued_on > timezone.localdate():
        errors["issued_on"] = "The issue date must be today or in the past"
    if expires_on <= issued_on:
        errors["expires_on"] = "The expiry date must be after the issue date"
    if errors:
        raise ValidationError(errors)
    evidence = Evidence(organisation=organisation, standard=standard, original_name=name[:200],
                        issued_on=issued_on, expires_on=expires_on, uploaded_by=by)
    evidence.file.save(name, file, save=False)
    evidence.save()
    audit.record(actor=by, verb="evidence.uploaded", target=evidence, organisation=organisation,
                 after={"standard": standard.code, "issued_on": issued_on, "expires_on": expires_on,
                        "file": evidence.original_name})
    return evidence


def _recipients(organisation: Organisation) -> list[str]:
    staff = Membership.objects.filter(
        organisation=organisation, user__is_active=True, role__in=[*PROVIDER_ROLES, Role.BROKER]
    ).values_list("user__email", flat=True)
    return sorted({address for address in [organisation.email, *staff] if address})


def _remind(*, target_key: str, organisation: Organisation, expires_on: datetime.date, days_before: int,
            subject: str, body: str) -> bool:
    """Send one reminder unless it was sent already; the unique constraint decides, not a lookup."""
    recipients = _recipients(organisation)
    try:
        with transaction.atomic():
            ExpiryReminder.objects.create(target_key=target_key, organisation=organisation, expires_on=expires_on,
                                          days_before=days_before, sent_to=recipients)
            if recipients:
                transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients))
    except IntegrityError:
        return False
    return True


def _threshold(days_left: int) -> int | None:
    """The nearest reminder threshold already reached (60, 30 or 7 days), so a missed day catches up."""
    reached = [days for days in REMINDER_DAYS if days_left <= days]
    return min(reached) if reached else None


def expiry_reminders_send(*, today: datetime.date | None = None) -> int:
    """Daily job: remind organisations 60, 30 and 7 days before evidence or an approval expires.

    Each reminder is sent once per expiry date and threshold, however often the job runs.
    Returns the number of reminders sent.
    """
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=max(REMINDER_DAYS))
    sent = 0
    accreditations = Accreditation.objects.filter(
        status__in=[AccreditationStatus.APPROVED, AccreditationStatus.SUSPENDED],
        expires_on__gte=today, expires_on__lte=horizon,
    ).select_related("organisation")
    for accreditation in accreditations:
        days_left = (accreditation.expires_on - today).days
        threshold = _threshold(days_left)
        sent += _remind(
            target_key=f"accreditation:{accreditation.pk}", organisation=accreditation.organisation,
            expires_on=accreditation.expires_on, days_before=threshold,
            subject=f"Your approval under the quality framework ends in {days_left} days",
            body=(f"{accreditation.organisation.name}'s approval under the council's quality framework ends on "
                  f"{accreditation.expires_on:%d %B %Y}. Apply to renew it before then, or your services will "
                  "no longer be shown to people or available for support plans."),
        )
    # Only the upload that lasts longest per standard matters: one already renewed is not chased.
    renewed = Evidence.objects.filter(organisation=OuterRef("organisation"), standard=OuterRef("standard"),
                                      expires_on__gt=OuterRef("expires_on"))
    expiring = (Evidence.objects.filter(expires_on__gte=today, expires_on__lte=horizon)
                .exclude(Exists(renewed)).select_related("organisation", "standard"))
    for evidence in expiring:
        days_left = (evidence.expires_on - today).days
        sent += _remind(
            target_key=f"evidence:{evidence.pk}", organisation=evidence.organisation,
            expires_on=evidence.expires_on, days_before=_threshold(days_left),
            subject=f"Evidence for {evidence.standard.code} expires in {days_left} days",
            body=(f"The evidence {evidence.organisation.name} gave for {evidence.standard} expires on "
                  f"{evidence.expires_on:%d %B %Y}. Upload new evidence in the provider portal before then."),
        )
    return sent
