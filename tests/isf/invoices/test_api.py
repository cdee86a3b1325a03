"""Invoices through /api/v1/isf-invoices/: scoped reads, POST to send one (400 listing every
problem), and the council's and provider's actions."""

import pytest

from isf import ledger
from isf.constants import InvoiceStatus
from isf.models import Invoice
from marketplace.models import AuditEvent
from tests.isf.invoices.factories import item_of, last_week, submitted
from tests.marketplace.factories import UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/isf-invoices/"


def post(client, path, data=None):
    return client.post(path, data or {}, content_type="application/json")


def action(invoice, name):
    return f"{API}{invoice.pk}/{name}/"


def body(contract, *, number="API-1", price=2400, quantity="10", contract_id=None):
    start, end = last_week()
    return {"contract": contract_id or contract.pk, "number": number, "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "lines": [{"item": item_of(contract), "date_from": start.isoformat(), "date_to": end.isoformat(),
                       "quantity": quantity, "unit_price_pence": price}]}


def test_staff_send_an_invoice(client, active, staff):
    client.force_login(staff)
    response = post(client, API, body(active))
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "validated" and data["total_pence"] == 24000 and data["source"] == "api"
    assert [line["amount_pence"] for line in data["lines"]] == [24000]


def test_a_refused_invoice_is_a_400_listing_every_problem(client, active, staff):
    submitted(active, number="API-1", by=staff)
    client.force_login(staff)
    response = post(client, API, body(active, price=2500, quantity="1"))
    assert response.status_code == 400
    assert [problem["message"] for problem in response.json()["problems"]] == [
        "Invoice number API-1 has already been used by your organisation",
        f"Line 1: the unit price £25.00 is not the agreed price £24.00 for {item_of(active)}"]
    assert response.json()["problems"][1]["line"] == 1 and response.json()["problems"][1]["field"] == "unit_price"
    assert Invoice.objects.count() == 1


def test_malformed_input_is_a_400_saying_what_to_fix(client, active, staff):
    client.force_login(staff)
    data = body(active)
    data["lines"][0]["quantity"] = "lots"
    del data["period_end"]
    response = post(client, API, data)
    assert response.status_code == 400 and "period_end" in response.json() and "lines" in response.json()
    assert not Invoice.objects.exists()


def test_another_providers_contract_is_not_found(client, active, staff, other):
    client.force_login(staff)
    response = post(client, API, body(other))
    assert response.status_code == 400
    assert response.json()["problems"][0]["message"] == (f"Contract {other.pk} was not found among your "
                                                         f"organisation's contracts")


def test_only_provider_staff_send_invoices(client, active, officer):
    client.force_login(officer)
    assert post(client, API, body(active)).status_code == 403
    assert not Invoice.objects.exists()


def test_who_sees_an_invoice(client, active, staff, officer, other_staff, make_member):
    invoice = submitted(active, by=staff)
    person = active.person
    person.user, person.representative = UserFactory(), UserFactory()
    person.save(update_fields=["user", "representative"])
    for user in (staff, officer, person.user, person.representative):
        client.force_login(user)
        assert client.get(f"{API}{invoice.pk}/").status_code == 200, user
    client.force_login(other_staff)
    assert client.get(f"{API}{invoice.pk}/").status_code == 404
    assert client.get(API).json()["results"] == []
    assert client.get(f"/api/v1/isf-contracts/{active.pk}/").status_code == 404


def test_another_provider_cannot_act_on_an_invoice(client, active, staff, officer, other_staff):
    invoice = submitted(active, by=staff)
    post(client, action(invoice, "query"), {"question": "Why?"})
    client.force_login(officer)
    post(client, action(invoice, "query"), {"question": "Which days?"})
    events = AuditEvent.objects.count()
    client.force_login(other_staff)
    assert post(client, action(invoice, "answer"), {"answer": "Ours"}).status_code == 404
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.QUERIED and AuditEvent.objects.count() == events


def test_the_person_reads_but_cannot_answer(client, active, staff, officer):
    invoice = submitted(active, by=staff)
    person = active.person
    person.user = UserFactory()
    person.save(update_fields=["user"])
    client.force_login(officer)
    post(client, action(invoice, "query"), {"question": "Which days?"})
    client.force_login(person.user)
    assert post(client, action(invoice, "answer"), {"answer": "Mine"}).status_code == 403


def test_query_answer_approve_through_the_api(client, active, staff, officer, finance):
    invoice = submitted(active, by=staff)
    client.force_login(officer)
    assert post(client, action(invoice, "query"), {}).status_code == 400
    assert post(client, action(invoice, "query"), {"question": "Which days?"}).json()["status"] == "queried"
    client.force_login(staff)
    answered = post(client, action(invoice, "answer"), {"answer": "Weekdays"}).json()
    assert answered["invoice"]["status"] == "validated" and answered["problems"] == []
    client.force_login(officer)
    assert post(client, action(invoice, "approve")).status_code == 403
    client.force_login(finance)
    first = post(client, action(invoice, "approve"))
    assert first.status_code == 200 and first.json()["status"] == "approved"
    second = post(client, action(invoice, "approve"))
    assert second.status_code == 200 and second.json()["drawdown"] == first.json()["drawdown"]
    assert ledger.balance(ledger.contract_fund_account(active)) == 200_000 - 24_000
    assert post(client, action(invoice, "reject"), {"reason": "Too late"}).status_code == 409


def test_reject_needs_a_reason(client, active, staff, officer):
    invoice = submitted(active, by=staff)
    client.force_login(officer)
    assert post(client, action(invoice, "reject"), {"reason": ""}).status_code == 400
    response = post(client, action(invoice, "reject"), {"reason": "Not delivered"})
    assert response.json()["status"] == "rejected" and response.json()["rejected_reason"] == "Not delivered"
