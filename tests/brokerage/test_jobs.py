"""The scheduled jobs run by hand: each management command runs its job once and says how much it did."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from brokerage.constants import NegotiationStatus
from tests.brokerage.factories import NegotiationOpenFactory

pytestmark = pytest.mark.django_db


def run(command):
    out = StringIO()
    call_command(command, stdout=out)
    return out.getvalue()


def test_expire_negotiations_expires_only_those_past_their_deadline():
    overdue = NegotiationOpenFactory(deadline=timezone.localdate() - datetime.timedelta(days=1))
    current = NegotiationOpenFactory()
    assert run("expire_negotiations") == "Expired 1 negotiation(s).\n"
    overdue.refresh_from_db()
    current.refresh_from_db()
    assert (overdue.status, current.status) == (NegotiationStatus.EXPIRED, NegotiationStatus.OPEN)
    assert run("expire_negotiations") == "Expired 0 negotiation(s).\n"


def test_the_other_jobs_run_by_hand_with_nothing_to_do():
    assert run("close_package_requests") == "Closed 0 care package request(s).\n"
    assert run("notify_reviews_due") == "Listed 0 review(s) due.\n"
    assert run("dispatch_events") == "Dispatched 0 event(s).\n"
