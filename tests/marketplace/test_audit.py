import pytest
from django.db import DatabaseError, connection, transaction

from marketplace import audit
from marketplace.models import AuditEvent, AuditLogImmutable
from tests.marketplace.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def make_event():
    officer = UserFactory(first_name="Ada", last_name="Officer")
    organisation = OrganisationFactory(is_provider=True, name="Riverside Care")
    with transaction.atomic():
        event = audit.record(actor=officer, verb="accreditation.approved", target=organisation,
                             before={"status": "under_review"}, after={"status": "approved"},
                             reason="All evidence in date")
    return event, officer, organisation


def test_record_keeps_who_what_when_and_why():
    event, officer, organisation = make_event()
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor == officer
    assert stored.actor_label == f"Ada Officer <{officer.email}>"
    assert stored.verb == "accreditation.approved"
    assert stored.target_label == "Riverside Care"
    assert stored.target_id == str(organisation.pk)
    assert stored.before == {"status": "under_review"}
    assert stored.after == {"status": "approved"}
    assert stored.reason == "All evidence in date"
    assert stored.occurred_at is not None
    assert list(AuditEvent.objects.for_object(organisation)) == [stored]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_record_refuses_to_run_outside_the_changes_transaction():
    organisation = OrganisationFactory(is_provider=True)
    with pytest.raises(transaction.TransactionManagementError):
        audit.record(actor=None, verb="organisation.create", target=organisation)
    assert not AuditEvent.objects.exists()


def test_an_event_cannot_be_edited_through_the_orm():
    event, _, _ = make_event()
    event.reason = "rewritten"
    with pytest.raises(AuditLogImmutable):
        event.save()
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    assert AuditEvent.objects.get(pk=event.pk).reason == "All evidence in date"


def test_an_event_cannot_be_deleted_through_the_orm():
    event, _, _ = make_event()
    with pytest.raises(AuditLogImmutable):
        event.delete()
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_database_refuses_an_update_by_raw_sql():
    event, _, _ = make_event()
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE marketplace_auditevent SET reason = %s WHERE id = %s", ["rewritten", event.pk])
    assert AuditEvent.objects.get(pk=event.pk).reason == "All evidence in date"


def test_the_database_refuses_a_delete_by_raw_sql():
    event, _, _ = make_event()
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM marketplace_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_user_referenced_by_the_audit_log_cannot_be_deleted():
    event, officer, _ = make_event()
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        officer.delete()
    assert AuditEvent.objects.get(pk=event.pk).actor_id == officer.pk
