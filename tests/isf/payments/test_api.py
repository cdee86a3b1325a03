import pytest
from rest_framework.test import APIClient

from isf.constants import RunTrigger
from isf.models import Payment
from isf.services import payment_run_execute, payment_run_start
from marketplace.constants import Role
from tests.isf.payments.factories import START, direct_payment_plan, paid_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid():
    """Two providers paid, one of them failing for want of bank details, and a direct payment."""
    ours, theirs = paid_contract(), paid_contract(with_bank=False)
    plan = direct_payment_plan()
    run = payment_run_execute(run=payment_run_start(by=None, trigger=RunTrigger.COMMAND, run_on=START))
    return ours, theirs, plan, run


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_provider_staff_see_their_own_payments_only(paid, make_member):
    ours, theirs, _, run = paid
    client = api(make_member(Role.PROVIDER_STAFF, ours.provider))
    body = client.get("/api/v1/payments/").json()
    assert [row["contract"] for row in body["results"]] == [ours.pk]
    row = body["results"][0]
    assert (row["amount_pence"], row["status"], row["payee_name"], row["run_reference"]) == (
        137600, "sent", ours.provider.name, run.reference)
    other = Payment.objects.get(contract=theirs)
    assert client.get(f"/api/v1/payments/{other.pk}/").status_code == 404
    assert client.get(f"/api/v1/payment-runs/{run.pk}/").status_code == 404
    assert client.get("/api/v1/payment-runs/").json()["results"] == []


def test_the_person_sees_their_direct_payments(paid):
    from tests.marketplace.factories import UserFactory

    _, _, plan, _ = paid
    user = UserFactory()
    plan.person.user = user
    plan.person.save(update_fields=["user"])
    body = api(user).get("/api/v1/payments/").json()
    assert [(row["kind"], row["amount_pence"]) for row in body["results"]] == [("direct_payment", 32000)]


def test_council_officers_see_runs_and_filter_payments(paid, contract_officer):
    ours, theirs, _, run = paid
    client = api(contract_officer)
    runs = client.get("/api/v1/payment-runs/").json()["results"]
    assert [(row["reference"], row["payments_made"], len(row["failures"])) for row in runs] == [(run.reference, 2, 1)]
    failed = client.get("/api/v1/payments/", {"status": "failed"}).json()["results"]
    assert [row["contract"] for row in failed] == [theirs.pk]
    direct = client.get("/api/v1/payments/", {"kind": "direct_payment", "run": run.pk}).json()["results"]
    assert len(direct) == 1 and direct[0]["contract"] is None
    assert client.get("/api/v1/payments/", {"status": "lost"}).status_code == 400


def test_payments_are_read_only_and_need_a_sign_in(paid, contract_officer):
    payment = Payment.objects.first()
    assert APIClient().get("/api/v1/payments/").status_code in (401, 403)
    assert api(contract_officer).post("/api/v1/payments/", {}).status_code == 405
    assert api(contract_officer).delete(f"/api/v1/payments/{payment.pk}/").status_code == 405


def test_remittances_are_seen_by_the_council_and_the_provider_paid(paid, make_member, contract_officer):
    from isf.models import Remittance
    from marketplace.scoping import visible_to

    ours, theirs, _, _ = paid
    staff = make_member(Role.PROVIDER_STAFF, ours.provider)
    other_staff = make_member(Role.PROVIDER_STAFF, theirs.provider)
    assert [r.organisation for r in visible_to(staff, Remittance)] == [ours.provider]
    assert list(visible_to(other_staff, Remittance)) == []  # nothing was sent to them
    assert visible_to(contract_officer, Remittance).count() == 1
