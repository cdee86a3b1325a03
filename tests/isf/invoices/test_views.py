import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from isf import ledger, services
from isf.constants import InvoiceStatus
from isf.invoice_csv import COLUMNS
from isf.models import Invoice, InvoiceQuery
from marketplace.constants import Role
from tests.isf.invoices.factories import item_of, last_week, line, submitted
from tests.marketplace.factories import BrokerOrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def portal(name, contract, **kwargs):
    return reverse(f"isf:{name}", kwargs={"org_id": contract.provider_id, **kwargs})


def console(invoice=None):
    return reverse("isf_invoice", args=[invoice.pk]) if invoice else reverse("isf_invoices")


def admin_login(client, user):
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)


def form_data(contract, *, number="INV-1", price="24.00", quantity="10", item=None):
    start, end = last_week()
    data = {"contract": contract.pk, "number": number, "period_start": start.isoformat(),
            "period_end": end.isoformat(), "notes": "", "lines-TOTAL_FORMS": "10", "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "10"}
    data.update({"lines-0-item": item or item_of(contract), "lines-0-date_from": start.strftime("%d/%m/%Y"),
                 "lines-0-date_to": end.isoformat(), "lines-0-quantity": quantity, "lines-0-unit_price": price})
    return data


# The provider portal ---------------------------------------------------------------------------

def test_the_pages_link_to_the_invoices(client, active, staff):
    client.force_login(staff)
    target = portal("invoices", active)
    assert target in client.get(reverse("providers:organisation", args=[active.provider_id])).content.decode()
    assert target in client.get(portal("contracts", active)).content.decode()
    assert target in client.get(portal("contract", active, contract_id=active.pk)).content.decode()


def test_staff_send_an_invoice_with_the_form(client, active, staff):
    client.force_login(staff)
    page = client.get(portal("invoice_new", active))
    assert page.status_code == 200 and active.reference in page.content.decode()
    response = client.post(portal("invoice_new", active), form_data(active))
    invoice = Invoice.objects.get()
    assert response.status_code == 302 and response["Location"] == portal("invoice", active, invoice_id=invoice.pk)
    assert invoice.status == InvoiceStatus.VALIDATED and invoice.total_pence == 24000
    html = client.get(response["Location"]).content.decode()
    assert "INV-1" in html and "£240.00" in html and "Validated" in html


def test_a_refused_form_lists_every_problem_and_keeps_what_was_typed(client, active, staff):
    submitted(active, number="INV-7", by=staff)
    client.force_login(staff)
    page = client.post(portal("invoice_new", active), form_data(active, number="INV-7", price="25.00"))
    assert page.status_code == 400
    html = page.content.decode()
    assert "There is a problem" in html and "<title>Error:" in html.replace("\n", "")
    assert "Invoice number INV-7 has already been used by your organisation" in html
    assert "Line 1: the unit price £25.00 is not the agreed price £24.00" in html
    assert 'href="#id_lines-0-unit_price"' in html
    assert 'value="25.00"' in html and 'value="INV-7"' in html
    assert Invoice.objects.count() == 1


def test_a_form_with_unreadable_fields_says_what_to_fix(client, active, staff):
    client.force_login(staff)
    data = form_data(active, quantity="ten")
    data["period_start"] = "soon"
    start, end = last_week()
    data.update({"lines-1-item": item_of(active), "lines-1-date_from": start.isoformat(),
                 "lines-1-date_to": end.isoformat(), "lines-1-quantity": "2", "lines-1-unit_price": "30"})
    page = client.post(portal("invoice_new", active), data)
    html = page.content.decode()
    assert page.status_code == 400
    assert "Enter the period start as a date, for example 2026-06-01" in html
    assert "Enter the quantity as a number, like 7.5" in html
    # The rest is checked too, so every problem is listed at once.
    assert "Line 2: the unit price £30.00 is not the agreed price £24.00" in html
    assert html.count("Enter the period start") == 2  # in the summary and by the field, once each
    assert not Invoice.objects.exists()


def test_the_list_filters_by_status_newest_first(client, active, staff, officer):
    first = submitted(active, number="A", by=staff)
    second = submitted(active, number="B", by=staff,
                       lines=[line(item_of(active), quantity="1")])
    services.invoice_reject(invoice=first, reason="Duplicate", by=officer)
    client.force_login(staff)
    html = client.get(portal("invoices", active)).content.decode()
    assert html.index(f"invoice-{second.pk}") < html.index(f"invoice-{first.pk}")
    html = client.get(portal("invoices", active), {"status": "rejected"}).content.decode()
    assert f"invoice-{first.pk}" in html and f"invoice-{second.pk}" not in html


def test_another_organisations_invoice_is_not_found(client, active, staff, other, other_staff):
    theirs = submitted(other, by=other_staff)
    client.force_login(staff)
    assert client.get(portal("invoice", active, invoice_id=theirs.pk)).status_code == 404
    assert client.get(portal("invoices", other)).status_code == 404
    assert client.get(reverse("isf:invoice", kwargs={"org_id": other.provider_id, "invoice_id": theirs.pk})
                      ).status_code == 404
    assert client.get(portal("contract", other, contract_id=other.pk)).status_code == 404


def test_the_form_does_not_offer_another_providers_contract(client, active, staff, other):
    client.force_login(staff)
    assert other.reference not in client.get(portal("invoice_new", active)).content.decode()
    page = client.post(portal("invoice_new", active), form_data(other))
    assert page.status_code == 400 and not Invoice.objects.exists()


def test_a_broker_or_a_person_is_refused_the_portal(client, active, make_member):
    broker = make_member(Role.BROKER, BrokerOrganisationFactory())
    person = UserFactory()
    for user in (broker, person):
        client.force_login(user)
        for name in ("invoices", "invoice_new", "invoice_upload"):
            assert client.get(portal(name, active)).status_code == 403, (user, name)


def test_the_upload_page_imports_a_file_and_offers_the_template(client, active, staff):
    client.force_login(staff)
    page = client.get(portal("invoice_upload", active))
    assert portal("invoice_template", active) in page.content.decode()
    template = client.get(portal("invoice_template", active))
    assert template["Content-Type"].startswith("text/csv") and active.reference in template.content.decode()
    start, end = last_week()
    text = ",".join(COLUMNS) + "\n" + ",".join(["A", active.reference, start.isoformat(), end.isoformat(),
                                               item_of(active), start.isoformat(), end.isoformat(), "2", "24.00"])
    response = client.post(portal("invoice_upload", active), {"file": SimpleUploadedFile("a.csv", text.encode())})
    assert response.status_code == 302 and Invoice.objects.get().number == "A"


def test_the_upload_page_lists_row_errors(client, active, staff):
    client.force_login(staff)
    start, end = last_week()
    text = ",".join(COLUMNS) + "\n" + ",".join(["A", active.reference, start.isoformat(), end.isoformat(),
                                               "Gardening", start.isoformat(), end.isoformat(), "2", "24.00"])
    page = client.post(portal("invoice_upload", active), {"file": SimpleUploadedFile("a.csv", text.encode())})
    assert page.status_code == 400
    assert "Row 2: “Gardening” is not one of the items" in page.content.decode()
    assert not Invoice.objects.exists()


def test_staff_answer_a_question_on_the_invoice_page(client, active, staff, officer):
    invoice = submitted(active, by=staff)
    services.invoice_query(invoice=invoice, question="Which days?", by=officer)
    client.force_login(staff)
    page = client.get(portal("invoice", active, invoice_id=invoice.pk))
    assert "Which days?" in page.content.decode() and "Send your answer" in page.content.decode()
    assert client.post(portal("invoice", active, invoice_id=invoice.pk), {"answer": ""}).status_code == 400
    response = client.post(portal("invoice", active, invoice_id=invoice.pk), {"answer": "Mondays"})
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VALIDATED and InvoiceQuery.objects.get().answer == "Mondays"


# The council console ---------------------------------------------------------------------------

def test_the_queue_shows_invoices_waiting_oldest_first(client, active, staff, officer, other, other_staff):
    first = submitted(active, by=staff)
    second = submitted(other, by=other_staff)
    approved = submitted(active, number="X", by=staff,
                         lines=[line(item_of(active), quantity="1")])
    services.invoice_reject(invoice=approved, reason="No", by=officer)
    admin_login(client, officer)
    html = client.get(console()).content.decode()
    assert html.index(f"invoice-{first.pk}") < html.index(f"invoice-{second.pk}")
    assert f"invoice-{approved.pk}" not in html
    html = client.get(console(), {"provider": other.provider_id}).content.decode()
    assert f"invoice-{second.pk}" in html and f"invoice-{first.pk}" not in html


def test_a_finance_officer_approves_in_the_console(client, active, staff, finance):
    invoice = submitted(active, by=staff)
    admin_login(client, finance)
    html = client.get(console(invoice)).content.decode()
    assert '<td id="fund-balance">£2,000.00</td>' in html and "Agreed price" in html
    assert client.post(console(invoice), {"action": "approve"}).status_code == 302
    assert client.post(console(invoice), {"action": "approve"}).status_code in (302, 400)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED
    assert ledger.balance(ledger.contract_fund_account(active)) == 200_000 - 24_000


def test_a_contract_officer_cannot_approve_in_the_console(client, active, staff, officer):
    invoice = submitted(active, by=staff)
    admin_login(client, officer)
    assert "Only a finance officer can approve" in client.get(console(invoice)).content.decode()
    assert client.post(console(invoice), {"action": "approve"}).status_code == 403
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VALIDATED


def test_an_officer_queries_and_rejects_with_reasons(client, active, staff, officer):
    invoice = submitted(active, by=staff)
    admin_login(client, officer)
    page = client.post(console(invoice), {"action": "reject", "reject-reason": ""})
    assert page.status_code == 400 and "Enter why you are rejecting the invoice" in page.content.decode()
    assert client.post(console(invoice), {"action": "query", "query-question": "Which days?"}).status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.QUERIED
    assert client.post(console(invoice), {"action": "reject", "reject-reason": "Not delivered"}).status_code == 302
    invoice.refresh_from_db()
    assert (invoice.status, invoice.rejected_reason) == (InvoiceStatus.REJECTED, "Not delivered")


def test_the_console_is_for_officers_only(client, active, staff, make_member, council):
    invoice = submitted(active, by=staff)
    editor = make_member(Role.CONTENT_EDITOR, council)
    for user in (editor, staff):
        admin_login(client, user)
        assert client.get(console()).status_code in (302, 403)
        assert client.get(console(invoice)).status_code in (302, 403)
        client.post(console(invoice), {"action": "reject", "reject-reason": "No"})
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VALIDATED


def test_the_menu_shows_invoices_to_officers_only(rf, officer, staff):
    from isf.console_invoices import menu_items

    item = menu_items[0]()
    assert item.label == "ISF invoices"
    for user, shown in ((officer, True), (staff, False)):
        request = rf.get("/admin/")
        request.user = user
        assert item.is_shown(request) is shown
