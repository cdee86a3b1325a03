"""Reminders 60, 30 and 7 days before evidence or an approval expires; never sent twice."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command

from marketplace.constants import Role
from providers import services
from providers.models import Accreditation, ExpiryReminder
from tests.providers.factories import AccreditationApprovedFactory, evidence_for_all_mandatory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 23)


@pytest.fixture
def staff(provider_org, make_member):
    return make_member(Role.PROVIDER_ADMIN, provider_org, email="manager@riverside.example")


def accredited_until(organisation, expires_on):
    return AccreditationApprovedFactory(organisation=organisation, expires_on=expires_on)


def run(day, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.expiry_reminders_send(today=day)


def test_approval_reminders_go_at_60_30_and_7_days_once_each(provider_org, staff,
                                                            django_capture_on_commit_callbacks):
    provider_org.email = "office@riverside.example"
    provider_org.save()
    accredited_until(provider_org, TODAY + datetime.timedelta(days=60))
    sent_on = {}
    for offset in range(0, 61):
        day = TODAY + datetime.timedelta(days=offset)
        sent_on[offset] = run(day, django_capture_on_commit_callbacks)
        run(day, django_capture_on_commit_callbacks)  # the job running twice the same day
    assert [offset for offset, count in sent_on.items() if count] == [0, 30, 53]
    assert len(mail.outbox) == 3
    assert mail.outbox[0].to == ["manager@riverside.example", "office@riverside.example"]
    assert "ends in 60 days" in mail.outbox[0].subject
    assert "ends in 7 days" in mail.outbox[2].subject
    assert ExpiryReminder.objects.count() == 3


def test_a_missed_day_catches_up_with_the_nearest_threshold(provider_org, staff,
                                                            django_capture_on_commit_callbacks):
    accredited_until(provider_org, TODAY + datetime.timedelta(days=20))
    assert run(TODAY, django_capture_on_commit_callbacks) == 1
    assert ExpiryReminder.objects.get().days_before == 30
    assert "ends in 20 days" in mail.outbox[0].subject


def test_evidence_reminders_chase_only_the_latest_upload(provider_org, staff, django_capture_on_commit_callbacks):
    evidence_for_all_mandatory(provider_org, by=staff, expires_on=TODAY + datetime.timedelta(days=30))
    standards = provider_org.evidence.count()
    assert run(TODAY, django_capture_on_commit_callbacks) == standards
    assert all("expires in 30 days" in message.subject for message in mail.outbox)
    # A week before the old evidence lapses it would be chased again, but it has been renewed.
    evidence_for_all_mandatory(provider_org, by=staff, expires_on=TODAY + datetime.timedelta(days=400))
    assert run(TODAY + datetime.timedelta(days=23), django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == standards


def test_nothing_is_sent_far_from_expiry_or_after_it(provider_org, staff, django_capture_on_commit_callbacks):
    accredited_until(provider_org, TODAY + datetime.timedelta(days=61))
    assert run(TODAY, django_capture_on_commit_callbacks) == 0
    Accreditation.objects.update(expires_on=TODAY - datetime.timedelta(days=1))
    assert run(TODAY, django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_the_jobs_run_by_hand_as_management_commands(provider_org, staff):
    import io

    AccreditationApprovedFactory(organisation=provider_org, expires_on=datetime.date(2020, 1, 1))
    out = io.StringIO()
    call_command("expire_accreditations", stdout=out)
    call_command("send_expiry_reminders", stdout=out)
    assert "Expired 1 accreditation(s)." in out.getvalue()
    assert "Sent 0 reminder(s)." in out.getvalue()


def test_the_daily_jobs_are_scheduled_in_celery_beat(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"providers.expire_lapsed_accreditations", "providers.send_expiry_reminders"} <= tasks
