"""Quality standards are kept by contract officers in the council console."""

import pytest

from marketplace.constants import Role
from providers.models import QualityStandard

pytestmark = pytest.mark.django_db
LIST_URL = "/admin/snippets/providers/qualitystandard/"


def test_contract_officer_lists_and_adds_a_standard(client, council, make_member):
    client.force_login(make_member(Role.CONTRACT_OFFICER, council))
    listing = client.get(LIST_URL)
    assert listing.status_code == 200
    assert "QF-02" in listing.text and "Safeguarding adults" in listing.text
    response = client.post(LIST_URL + "add/", {
        "code": "QF-09", "title": "Medication support", "evidence_required": "Your medication policy.",
        "applies_to": "providers", "mandatory": "on", "renewal_months": "12", "active": "on",
    })
    assert response.status_code == 302, response.content[:2000]
    assert QualityStandard.objects.get(code="QF-09").mandatory


def test_finance_officers_and_providers_cannot_edit_standards(client, council, provider_org, make_member):
    client.force_login(make_member(Role.FINANCE_OFFICER, council))
    assert client.get(LIST_URL + "add/").status_code in {302, 403}
    client.force_login(make_member(Role.PROVIDER_ADMIN, provider_org))
    assert client.get(LIST_URL).status_code == 302
    assert not QualityStandard.objects.filter(code="QF-09").exists()


@pytest.fixture
def officer(council, make_member):
    return make_member(Role.CONTRACT_OFFICER, council)


@pytest.fixture
def application(provider_org, make_member):
    from providers import services

    return services.accreditation_apply(organisation=provider_org,
                                        by=make_member(Role.PROVIDER_ADMIN, provider_org))


def decide(client, accreditation, action, reason=""):
    return client.post(f"/admin/accreditations/{accreditation.pk}/", {"action": action, "reason": reason},
                       follow=True)


def test_officer_reviews_and_approves_through_the_console(client, officer, application):
    from marketplace.models import AuditEvent
    from providers.constants import AccreditationStatus
    from tests.providers.factories import evidence_for_all_mandatory

    client.force_login(officer)
    index = client.get("/admin/accreditations/?status=applied")
    assert index.status_code == 200 and application.organisation.name in index.text
    decide(client, application, "start_review")
    refused = decide(client, application, "approve", "Checked")
    assert "no evidence in date" in refused.text
    application.refresh_from_db()
    assert application.status == AccreditationStatus.UNDER_REVIEW

    evidence_for_all_mandatory(application.organisation, by=officer)
    no_reason = decide(client, application, "approve", "")
    assert "Enter the reason for this decision" in no_reason.text
    approved = decide(client, application, "approve", "All evidence checked")
    application.refresh_from_db()
    assert application.status == AccreditationStatus.APPROVED
    assert "All evidence checked" in approved.text  # shown in the history
    decide(client, application, "suspend", "Safeguarding concern raised")
    application.refresh_from_db()
    assert application.status == AccreditationStatus.SUSPENDED
    assert AuditEvent.objects.for_object(application).filter(actor=officer).count() == 3


def test_a_decision_not_allowed_now_changes_nothing(client, officer, application):
    client.force_login(officer)
    response = decide(client, application, "suspend", "Because")
    assert "cannot" in response.text or "can move to" in response.text
    application.refresh_from_db()
    assert application.status == "applied"


def test_only_contract_officers_reach_accreditations(client, council, make_member, application):
    client.force_login(make_member(Role.FINANCE_OFFICER, council))
    # Wagtail answers a refused admin view by sending the user back to the console's home page.
    refused = client.get("/admin/accreditations/")
    assert refused.status_code == 302 and refused["Location"] == "/admin/"
    assert application.organisation.name not in decide(client, application, "withdraw", "No").text
    application.refresh_from_db()
    assert application.status == "applied"
