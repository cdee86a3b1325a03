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
