import datetime
import re

import pytest
from django.utils import timezone

from marketplace.constants import Role
from tests.marketplace.factories import PASSWORD, ProviderOrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_provider_admin_uploads_evidence_for_a_standard(live_server, page, check_accessible, make_member):
    organisation = ProviderOrganisationFactory(name="Acorn Homecare Ltd")
    admin = make_member(Role.PROVIDER_ADMIN, organisation, username="priya")

    page.goto(live_server.url + "/portal/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/portal/{organisation.pk}/")
    assert page.locator("h1").inner_text() == "Quality framework"
    assert page.get_by_text("Acorn Homecare Ltd").is_visible()
    insurance = page.locator("#standard-QF-03")
    assert insurance.get_by_text("Missing").is_visible()
    assert page.get_by_role("button", name="Apply to join the quality framework").is_visible()
    check_accessible(page, "portal-quality-framework")

    insurance.get_by_role("link", name=re.compile("Upload evidence")).click()
    page.wait_for_url(f"**/portal/{organisation.pk}/evidence/**")
    assert page.locator("h1").inner_text() == "Upload evidence for QF-03 Insurance"
    check_accessible(page, "portal-evidence-upload")

    page.get_by_role("button", name="Upload evidence").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    summary = page.locator(".govuk-error-summary")
    assert summary.get_by_role("link", name="Select a file").is_visible()
    assert summary.get_by_role("link", name="Enter the date the evidence was issued").is_visible()
    check_accessible(page, "portal-evidence-upload-errors")

    page.get_by_label("Upload a file").set_input_files(
        {"name": "insurance.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 test certificate"})
    today = timezone.localdate()
    for legend, day in [("When was it issued?", today - datetime.timedelta(days=30)),
                        ("When does it expire?", today + datetime.timedelta(days=335))]:
        group = page.get_by_role("group", name=legend)
        group.get_by_label("Day").fill(str(day.day))
        group.get_by_label("Month").fill(str(day.month))
        group.get_by_label("Year").fill(str(day.year))
    page.get_by_role("button", name="Upload evidence").click()
    page.wait_for_url(f"**/portal/{organisation.pk}/")
    assert page.locator(".govuk-notification-banner--success").get_by_text("Evidence for QF-03 uploaded").is_visible()
    insurance = page.locator("#standard-QF-03")
    assert insurance.get_by_text("In date").is_visible()
    assert insurance.get_by_text("insurance.pdf").is_visible()
    check_accessible(page, "portal-evidence-uploaded")
