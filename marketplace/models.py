from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q

from marketplace.constants import BROKER_ROLES, COUNCIL_ROLES, PROVIDER_ROLES, Role


class User(AbstractUser):
    """Anyone who signs in: a person or their representative, or staff of an organisation.

    Staff roles come from memberships; a person's link to their own record lives in brokerage.
    Accounts are disabled (``is_active``), never deleted, because the audit log points at them.
    """

    email = models.EmailField("email address", unique=True)

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self):
        return self.get_full_name() or self.username


class Organisation(models.Model):
    """The council, a provider, a broker — or one organisation that is both provider and broker.

    Whether it may appear publicly or be chosen in a plan is decided by its accreditation under the
    quality framework (providers app), not here.
    """

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120, unique=True)
    is_council = models.BooleanField(default=False)
    is_provider = models.BooleanField(default=False)
    is_broker = models.BooleanField(default=False)
    email = models.EmailField(blank=True)
    telephone = models.CharField(max_length=30, blank=True)
    website = models.URLField(blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_council=True) | Q(is_provider=True) | Q(is_broker=True),
                name="organisation_has_a_kind",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def kinds(self) -> list[str]:
        return [label for flag, label in (
            (self.is_council, "council"), (self.is_provider, "provider"), (self.is_broker, "broker")
        ) if flag]


class Membership(models.Model):
    """A user's role in an organisation. One user may hold several roles, in several organisations."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="membership_unique_role"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()}, {self.organisation}"

    def clean(self):
        org = self.organisation
        if self.role in COUNCIL_ROLES and not org.is_council:
            raise ValidationError({"role": "Council roles can only be held in the council."})
        if self.role in PROVIDER_ROLES and not org.is_provider:
            raise ValidationError({"role": "Provider roles can only be held in a provider organisation."})
        if self.role in BROKER_ROLES and not org.is_broker:
            raise ValidationError({"role": "The broker role can only be held in a brokerage organisation."})


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditLogImmutable("Audit events cannot be changed.")

    def delete(self):
        raise AuditLogImmutable("Audit events cannot be deleted.")

    def for_object(self, obj):
        return self.filter(target_type=ContentType.objects.get_for_model(obj), target_id=str(obj.pk))


class AuditLogImmutable(Exception):
    """Raised on any attempt to change or delete an audit event."""


class AuditEvent(models.Model):
    """One decision or change of state: who did what to which object, when and why.

    Append-only. Written only by ``marketplace.audit.record`` inside the transaction of the change
    it describes; the ORM refuses updates and deletes and the database has triggers that refuse
    them too. A mistake is answered by a later event, never by editing an earlier one.
    """

    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Kept as text so the record reads the same after a user's name changes; null actor = the system.
    actor_label = models.CharField(max_length=200)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The organisation the actor acted for, where there is one.",
    )
    verb = models.CharField(max_length=100, db_index=True)
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    target_id = models.CharField(max_length=64)
    target_label = models.CharField(max_length=300)
    before = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    reason = models.TextField(blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.verb} {self.target_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            raise AuditLogImmutable("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogImmutable("Audit events cannot be deleted.")


class DomainEvent(models.Model):
    """Something that happened in one app that another app acts on (e.g. a plan approved, so ISF
    contracts are offered), kept as a row written in the same transaction as the change.

    Handlers run after the commit; an event whose handlers failed or never ran (a crash between
    commit and dispatch) stays undispatched and is run again by ``dispatch_pending_events``, so an
    event is never lost. Handlers must therefore be idempotent.
    """

    topic = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    occurred_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["dispatched_at"], name="domain_event_pending_idx",
                                condition=models.Q(dispatched_at__isnull=True))]

    def __str__(self):
        return f"{self.topic} at {self.occurred_at:%Y-%m-%d %H:%M}"
