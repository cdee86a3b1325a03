"""The provider portal's quality-framework page: who sees it, evidence statuses, applying and uploading."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from marketplace.constants import Role
from marketplace.models import AuditEvent
from providers.constants import AccreditationStatus
from providers.models import Accreditation, Evidence, QualityStandard
from tests.marketplace.factories import ProviderOrganisationFactory
from tests.providers.factories import AccreditationApprovedFactory

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4 test certificate"


def today():
    return timezone.localdate()


def days(n):
    return today() + datetime.timedelta(days=n)


@pytest.fixture
def admin(provider_org, make_member):
    return make_member(Role.PROVIDER_ADMIN, provider_org)


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def org_url(org):
    return reverse("providers:organisation", args=[org.pk])


def upload_url(org, standard):
    return reverse("providers:evidence_upload", args=[org.pk, standard.pk])


def standard(code):
    return QualityStandard.objects.get(code=code)


def add_evidence(org, code, *, issued_on, expires_on, by, name="certificate.pdf"):
    evidence = Evidence(organisation=org, standard=standard(code), original_name=name,
                        issued_on=issued_on, expires_on=expires_on, uploaded_by=by)
    evidence.file.save(name, ContentFile(PDF), save=False)
    evidence.save()
    return evidence


def date_fields(prefix, day):
    return {f"{prefix}_day": str(day.day), f"{prefix}_month": str(day.month), f"{prefix}_year": str(day.year)}


def upload_data(*, file=None, issued=None, expires=None, **overrides):
    data = {"file": file if file is not None else SimpleUploadedFile("insurance.pdf", PDF, "application/pdf")}
    data |= date_fields("issued_on", issued or days(-10))
    data |= date_fields("expires_on", expires or days(355))
    data.update(overrides)
    return data


def row(content: str, code: str) -> str:
    """The table row of one standard."""
    start = content.index(f'id="standard-{code}"')
    return content[start:content.index("</tr>", start)]


# Who may see what -------------------------------------------------------------------------------


def test_single_member_is_sent_straight_to_their_organisation(admin_client, provider_org):
    response = admin_client.get(reverse("providers:home"))
    assert response.status_code == 302
    assert response.url == org_url(provider_org)


def test_member_of_several_organisations_chooses_one(client, provider_org, admin, make_member):
    other = ProviderOrganisationFactory(name="Second Care Ltd")
    from tests.marketplace.factories import MembershipFactory
    MembershipFactory(user=admin, organisation=other, role=Role.PROVIDER_STAFF)
    client.force_login(admin)
    response = client.get(reverse("providers:home"))
    assert response.status_code == 200
    content = response.content.decode()
    assert org_url(provider_org) in content and org_url(other) in content
    assert "Second Care Ltd" in content


def test_member_sees_their_own_page(admin_client, provider_org):
    response = admin_client.get(org_url(provider_org))
    assert response.status_code == 200
    content = response.content.decode()
    assert provider_org.name in content
    assert "Not applied" in content
    assert "Apply to join the quality framework" in content
    for code in ["QF-01", "QF-02", "QF-03", "QF-04", "QF-05", "QF-06", "QF-08"]:
        assert f"standard-{code}" in content
    assert "standard-QF-07" not in content  # brokers only
    assert "Optional" in row(content, "QF-08") and "Mandatory" in row(content, "QF-01")


def test_broker_may_use_the_portal(client, make_member):
    from tests.marketplace.factories import BrokerOrganisationFactory
    brokerage = BrokerOrganisationFactory()
    client.force_login(make_member(Role.BROKER, brokerage))
    response = client.get(org_url(brokerage))
    assert response.status_code == 200
    assert "standard-QF-07" in response.content.decode()


def test_another_organisations_page_is_not_found(admin_client):
    other = ProviderOrganisationFactory(name="Secret Rival Care")
    for url in [org_url(other), upload_url(other, standard("QF-03"))]:
        response = admin_client.get(url)
        assert response.status_code == 404
        assert "Secret Rival Care" not in response.content.decode()
    response = admin_client.post(reverse("providers:accreditation_apply", args=[other.pk]))
    assert response.status_code == 404
    assert not Accreditation.objects.filter(organisation=other).exists()
    assert admin_client.post(upload_url(other, standard("QF-03")), upload_data()).status_code == 404
    assert not Evidence.objects.exists()


def test_unknown_organisation_is_not_found(admin_client):
    assert admin_client.get("/portal/999999/").status_code == 404


def test_user_without_a_provider_or_broker_role_is_refused(client, council, make_member, provider_org):
    client.force_login(make_member(Role.CONTRACT_OFFICER, council))
    assert client.get(reverse("providers:home")).status_code == 403
    assert client.get(org_url(provider_org)).status_code == 403


def test_signed_out_visitor_is_asked_to_sign_in(client, provider_org):
    for url in [reverse("providers:home"), org_url(provider_org)]:
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response.url


# Applying ---------------------------------------------------------------------------------------


def test_apply_button_creates_an_applied_accreditation_and_an_audit_event(admin_client, provider_org, admin):
    response = admin_client.post(reverse("providers:accreditation_apply", args=[provider_org.pk]), follow=True)
    assert response.status_code == 200
    accreditation = Accreditation.objects.get(organisation=provider_org)
    assert accreditation.status == AccreditationStatus.APPLIED
    assert AuditEvent.objects.filter(verb="accreditation.applied", actor=admin).count() == 1
    content = response.content.decode()
    assert "You have applied to join the quality framework" in content
    assert "Apply to join the quality framework</button>" not in content
    # A second click is harmless.
    response = admin_client.post(reverse("providers:accreditation_apply", args=[provider_org.pk]), follow=True)
    assert response.status_code == 200
    assert Accreditation.objects.filter(organisation=provider_org).count() == 1


def test_apply_needs_post(admin_client, provider_org):
    assert admin_client.get(reverse("providers:accreditation_apply", args=[provider_org.pk])).status_code == 405


def test_approved_shows_expiry_and_no_apply_button(admin_client, provider_org):
    AccreditationApprovedFactory(organisation=provider_org, expires_on=days(30))
    content = admin_client.get(org_url(provider_org)).content.decode()
    assert "Approved" in content
    assert days(30).strftime("%-d %B %Y") in content
    assert "Your accreditation ends on" in content  # within 60 days
    assert "Apply to join the quality framework" not in content


def test_suspended_shows_the_reason(admin_client, provider_org):
    AccreditationApprovedFactory(organisation=provider_org, status=AccreditationStatus.SUSPENDED,
                                 suspended_reason="Complaints under investigation")
    content = admin_client.get(org_url(provider_org)).content.decode()
    assert "Suspended" in content and "Complaints under investigation" in content


def test_expired_accreditation_may_apply_again(admin_client, provider_org):
    AccreditationApprovedFactory(organisation=provider_org, status=AccreditationStatus.EXPIRED, expires_on=days(-1))
    content = admin_client.get(org_url(provider_org)).content.decode()
    assert "Apply to join the quality framework" in content
    admin_client.post(reverse("providers:accreditation_apply", args=[provider_org.pk]))
    assert Accreditation.objects.get(organisation=provider_org).status == AccreditationStatus.APPLIED


# Statuses ---------------------------------------------------------------------------------------


def test_evidence_statuses(admin_client, provider_org, admin):
    add_evidence(provider_org, "QF-01", issued_on=days(-30), expires_on=days(300), by=admin, name="cqc.pdf")
    add_evidence(provider_org, "QF-02", issued_on=days(-300), expires_on=days(20), by=admin, name="safe.pdf")
    add_evidence(provider_org, "QF-03", issued_on=days(-400), expires_on=days(-5), by=admin, name="old.pdf")
    # An older upload that expired does not hide a newer in-date one, whatever order they came in.
    add_evidence(provider_org, "QF-04", issued_on=days(-10), expires_on=days(200), by=admin, name="new.pdf")
    add_evidence(provider_org, "QF-04", issued_on=days(-500), expires_on=days(-100), by=admin, name="older.pdf")
    content = admin_client.get(org_url(provider_org)).content.decode()
    assert "In date" in row(content, "QF-01") and "cqc.pdf" in row(content, "QF-01")
    assert days(-30).strftime("%-d %B %Y") in row(content, "QF-01")
    assert "Expires soon" in row(content, "QF-02")
    assert "Expired" in row(content, "QF-03") and "old.pdf" in row(content, "QF-03")
    assert "In date" in row(content, "QF-04") and "new.pdf" in row(content, "QF-04")
    assert "Missing" in row(content, "QF-05")
    warning = content[content.index('id="expiring-soon"'):]
    warning = warning[:warning.index("</ul>")]
    assert "QF-02" in warning and "QF-01" not in warning and "QF-03" not in warning


def test_evidence_expiring_exactly_in_60_days_expires_soon_and_today_is_still_in_date(
        admin_client, provider_org, admin):
    add_evidence(provider_org, "QF-01", issued_on=days(-300), expires_on=days(60), by=admin)
    add_evidence(provider_org, "QF-02", issued_on=days(-300), expires_on=days(61), by=admin)
    add_evidence(provider_org, "QF-03", issued_on=days(-300), expires_on=today(), by=admin)
    content = admin_client.get(org_url(provider_org)).content.decode()
    assert "Expires soon" in row(content, "QF-01")
    assert "In date" in row(content, "QF-02")
    assert "Expires soon" in row(content, "QF-03")


def test_another_organisations_evidence_does_not_count(admin_client, provider_org, admin):
    other = ProviderOrganisationFactory()
    add_evidence(other, "QF-01", issued_on=days(-30), expires_on=days(300), by=admin)
    content = admin_client.get(org_url(provider_org)).content.decode()
    assert "Missing" in row(content, "QF-01")


def test_organisation_page_uses_a_constant_number_of_queries(admin_client, provider_org, admin,
                                                             django_assert_max_num_queries):
    def populate(uploads_per_standard):
        for code in ["QF-01", "QF-02", "QF-03", "QF-04", "QF-05", "QF-06", "QF-08"]:
            for i in range(uploads_per_standard):
                add_evidence(provider_org, code, issued_on=days(-100 - i), expires_on=days(100 - i), by=admin)

    admin_client.get(org_url(provider_org))  # warm up (content types, session)
    with django_assert_max_num_queries(8) as small:
        assert admin_client.get(org_url(provider_org)).status_code == 200
    populate(1)
    for n in range(5):
        QualityStandard.objects.create(code=f"QF-9{n}", title=f"Extra {n}", evidence_required="Anything")
    populate(4)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = admin_client.get(org_url(provider_org))
    assert response.status_code == 200
    assert "QF-94" in response.content.decode()


# Uploading --------------------------------------------------------------------------------------


def test_upload_form_shows_the_standard(admin_client, provider_org):
    response = admin_client.get(upload_url(provider_org, standard("QF-03")))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'enctype="multipart/form-data"' in content
    assert "Upload evidence for QF-03 Insurance" in content
    assert 'name="issued_on_day"' in content and 'name="expires_on_year"' in content
    assert "govuk-error-summary" not in content


def test_upload_stores_evidence_and_shows_a_banner(admin_client, provider_org, admin, settings):
    qf03 = standard("QF-03")
    response = admin_client.post(upload_url(provider_org, qf03), upload_data(), follow=True)
    assert response.redirect_chain[-1][0] == org_url(provider_org)
    evidence = Evidence.objects.get()
    assert (evidence.organisation, evidence.standard, evidence.uploaded_by) == (provider_org, qf03, admin)
    assert evidence.original_name == "insurance.pdf"
    assert (evidence.issued_on, evidence.expires_on) == (days(-10), days(355))
    assert evidence.file.read() == PDF
    assert str(settings.MEDIA_ROOT) in evidence.file.path
    assert AuditEvent.objects.filter(verb="evidence.uploaded").count() == 1
    content = response.content.decode()
    assert "govuk-notification-banner--success" in content
    assert "Evidence for QF-03 uploaded" in content
    assert "In date" in row(content, "QF-03") and "insurance.pdf" in row(content, "QF-03")


def test_a_second_upload_keeps_the_first(admin_client, provider_org):
    url = upload_url(provider_org, standard("QF-03"))
    admin_client.post(url, upload_data())
    admin_client.post(url, upload_data())
    assert Evidence.objects.count() == 2


def test_standard_that_does_not_apply_is_not_found(admin_client, provider_org):
    qf07 = standard("QF-07")  # brokers only
    assert admin_client.get(upload_url(provider_org, qf07)).status_code == 404
    assert admin_client.post(upload_url(provider_org, qf07), upload_data()).status_code == 404
    retired = QualityStandard.objects.create(code="QF-99", title="Retired", evidence_required="x", active=False)
    assert admin_client.get(upload_url(provider_org, retired)).status_code == 404
    assert admin_client.get(f"/portal/{provider_org.pk}/evidence/999999/").status_code == 404
    assert not Evidence.objects.exists()


BAD_INPUTS = {
    "no file": ({"file": ""}, "Select a file"),
    "exe": ({"file": SimpleUploadedFile("setup.exe", b"MZ\x90\x00", "application/octet-stream")},
            "The selected file must be a PDF, JPG, PNG, DOCX or ODT"),
    "empty file": ({"file": SimpleUploadedFile("empty.pdf", b"", "application/pdf")}, "The selected file is empty"),
    "expiry before issue": ({"expires_on_day": "1", "expires_on_month": "1", "expires_on_year": "2001"},
                            "The expiry date must be after the issue date"),
    "issued in the future": (date_fields("issued_on", days(5)) | date_fields("expires_on", days(400)),
                             "The issue date must be today or in the past"),
    "day that does not exist": ({"issued_on_day": "31", "issued_on_month": "2", "issued_on_year": "2026"},
                                "The issue date must be a real date"),
    "words": ({"issued_on_day": "27th", "issued_on_month": "March"}, "The issue date must be a real date"),
    "slashes": ({"issued_on_day": "27/3/2026", "issued_on_month": "", "issued_on_year": ""},
                "The issue date must include a month and year"),
    "two-digit year": ({"expires_on_year": "27"}, "Year must include 4 numbers"),
    "missing month": ({"expires_on_month": ""}, "The expiry date must include a month"),
    "no dates": ({"issued_on_day": "", "issued_on_month": "", "issued_on_year": "",
                  "expires_on_day": "", "expires_on_month": "", "expires_on_year": ""},
                 "Enter the date the evidence was issued"),
}


@pytest.mark.parametrize("overrides, message", list(BAD_INPUTS.values()), ids=list(BAD_INPUTS))
def test_bad_input_is_shown_as_an_error_and_saves_nothing(admin_client, provider_org, overrides, message):
    data = upload_data()
    data.update(overrides)
    if data["file"] == "":
        del data["file"]
    response = admin_client.post(upload_url(provider_org, standard("QF-03")), data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "govuk-error-summary" in content
    assert "<title>Error: " in content
    assert message in content
    assert not Evidence.objects.exists()
    assert not AuditEvent.objects.filter(verb="evidence.uploaded").exists()


def test_every_error_is_summarised_with_a_link_to_its_field(admin_client, provider_org):
    response = admin_client.post(upload_url(provider_org, standard("QF-03")), {})
    content = response.content.decode()
    assert 'href="#id_file"' in content
    assert 'href="#id_issued_on_0"' in content and 'href="#id_expires_on_0"' in content
    assert 'id="id_issued_on_0"' in content
    assert "Enter the date the evidence expires" in content


def test_typed_dates_are_kept_after_an_error(admin_client, provider_org):
    data = upload_data()
    del data["file"]
    data["issued_on_day"] = "3"
    content = admin_client.post(upload_url(provider_org, standard("QF-03")), data).content.decode()
    assert 'name="issued_on_day" type="text" inputmode="numeric" value="3"' in content
