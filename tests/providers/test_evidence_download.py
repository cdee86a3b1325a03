"""Evidence files reach only the organisation itself and the council's contract officers."""

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from marketplace.constants import Role
from providers.models import Evidence, QualityStandard
from tests.marketplace.factories import ProviderOrganisationFactory
from tests.providers.factories import AccreditationAppliedFactory

pytestmark = pytest.mark.django_db
CONTENT = b"%PDF-1.4 insurance certificate"


@pytest.fixture
def evidence(provider_org, make_member):
    uploader = make_member(Role.PROVIDER_ADMIN, provider_org)
    AccreditationAppliedFactory(organisation=provider_org)
    today = timezone.localdate()
    item = Evidence(organisation=provider_org, standard=QualityStandard.objects.get(code="QF-03"),
                    original_name="Insurance 2026.pdf", issued_on=today, expires_on=today.replace(year=today.year + 1),
                    uploaded_by=uploader)
    item.file.save("upload.pdf", ContentFile(CONTENT), save=False)
    item.save()
    return item


def _portal_url(org_id, evidence_id):
    return f"/portal/{org_id}/evidence/file/{evidence_id}/"


def _console_url(accreditation_id, evidence_id):
    return f"/admin/accreditations/{accreditation_id}/evidence/{evidence_id}/"


def test_the_organisation_downloads_its_own_file_under_its_uploaded_name(client, evidence, make_member):
    client.force_login(make_member(Role.PROVIDER_STAFF, evidence.organisation))
    response = client.get(_portal_url(evidence.organisation_id, evidence.pk))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CONTENT
    assert 'attachment; filename="Insurance 2026.pdf"' in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_portal_page_links_to_the_file(client, evidence, make_member):
    client.force_login(make_member(Role.PROVIDER_STAFF, evidence.organisation))
    page = client.get(f"/portal/{evidence.organisation_id}/")
    assert _portal_url(evidence.organisation_id, evidence.pk) in page.text


def test_another_organisation_gets_404_whichever_way_it_asks(client, evidence, make_member):
    other = ProviderOrganisationFactory()
    client.force_login(make_member(Role.PROVIDER_ADMIN, other))

    assert client.get(_portal_url(evidence.organisation_id, evidence.pk)).status_code == 404
    assert client.get(_portal_url(other.pk, evidence.pk)).status_code == 404


def test_anonymous_users_are_sent_to_sign_in(client, evidence):
    response = client.get(_portal_url(evidence.organisation_id, evidence.pk))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_contract_officers_open_it_from_the_accreditation_but_finance_officers_cannot(client, evidence, council,
                                                                                      make_member):
    accreditation = evidence.organisation.accreditation
    client.force_login(make_member(Role.CONTRACT_OFFICER, council))
    detail = client.get(f"/admin/accreditations/{accreditation.pk}/")
    assert _console_url(accreditation.pk, evidence.pk) in detail.text
    response = client.get(_console_url(accreditation.pk, evidence.pk))
    assert response.status_code == 200 and b"".join(response.streaming_content) == CONTENT

    other = AccreditationAppliedFactory()
    assert client.get(_console_url(other.pk, evidence.pk)).status_code == 404

    client.force_login(make_member(Role.FINANCE_OFFICER, council))
    refused = client.get(_console_url(accreditation.pk, evidence.pk))
    assert refused.status_code in {302, 403}
    assert not hasattr(refused, "streaming_content")


def test_a_missing_file_is_a_404_not_a_500(client, evidence, make_member):
    evidence.file.delete(save=False)
    client.force_login(make_member(Role.PROVIDER_STAFF, evidence.organisation))
    assert client.get(_portal_url(evidence.organisation_id, evidence.pk)).status_code == 404
