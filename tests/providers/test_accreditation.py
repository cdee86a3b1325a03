"""The quality framework's lifecycle: apply, review, approve (guarded), suspend ↔ reinstate, expire, withdraw."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from marketplace.constants import Role
from marketplace.models import AuditEvent
from marketplace.transitions import InvalidTransition
from providers import services
from providers.constants import AccreditationStatus
from providers.models import Accreditation, Evidence, QualityStandard
from providers.selectors import public_listings
from tests.marketplace.factories import BrokerOrganisationFactory
from tests.providers.factories import ServiceListingPublishedFactory, evidence_for_all_mandatory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def officer(council, make_member):
    return make_member(Role.CONTRACT_OFFICER, council)


@pytest.fixture
def provider_admin(provider_org, make_member):
    return make_member(Role.PROVIDER_ADMIN, provider_org)


@pytest.fixture
def under_review(provider_org, provider_admin, officer):
    accreditation = services.accreditation_apply(organisation=provider_org, by=provider_admin)
    return services.accreditation_start_review(accreditation=accreditation, by=officer)


@pytest.fixture
def approved(under_review, provider_admin, officer):
    evidence_for_all_mandatory(under_review.organisation, by=provider_admin)
    return services.accreditation_approve(accreditation=under_review, by=officer, reason="All evidence checked")


def pdf(name="insurance.pdf", content=b"%PDF-1.4 certificate"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_apply_then_review_is_audited(under_review, provider_admin, officer):
    verbs = list(AuditEvent.objects.for_object(under_review).order_by("id").values_list("verb", "actor"))
    assert verbs == [("accreditation.applied", provider_admin.pk), ("accreditation.under_review", officer.pk)]


def test_only_staff_of_the_organisation_can_apply(provider_org, make_member):
    outsider = make_member(Role.PROVIDER_STAFF, BrokerOrganisationFactory(is_provider=True))
    with pytest.raises(PermissionDenied):
        services.accreditation_apply(organisation=provider_org, by=outsider)
    assert not Accreditation.objects.filter(organisation=provider_org).exists()


def test_approval_is_refused_until_every_mandatory_standard_has_evidence_in_date(under_review, officer,
                                                                                 provider_admin):
    with pytest.raises(ValidationError) as refused:
        services.accreditation_approve(accreditation=under_review, by=officer, reason="Looks fine")
    missing = refused.value.message_dict["__all__"]
    mandatory_for_providers = QualityStandard.objects.filter(mandatory=True, applies_to__in=["providers", "both"])
    assert len(missing) == mandatory_for_providers.count()
    assert "QF-07" not in " ".join(missing)  # a brokers-only standard does not apply to a provider
    assert "QF-08" not in " ".join(missing)  # an optional standard is not required
    under_review.refresh_from_db()
    assert under_review.status == AccreditationStatus.UNDER_REVIEW


def test_expired_evidence_does_not_count(under_review, officer, provider_admin):
    evidence_for_all_mandatory(under_review.organisation, by=provider_admin)
    Evidence.objects.filter(standard__code="QF-03").delete()
    lapsed = Evidence(
        organisation=under_review.organisation, standard=QualityStandard.objects.get(code="QF-03"),
        original_name="old.pdf", file="evidence/old.pdf", issued_on=TODAY() - datetime.timedelta(days=400),
        expires_on=TODAY() - datetime.timedelta(days=1), uploaded_by=provider_admin)
    lapsed.save()
    with pytest.raises(ValidationError, match="QF-03 Insurance: no evidence in date"):
        services.accreditation_approve(accreditation=under_review, by=officer, reason="ok")


def test_approval_records_the_officer_reason_and_period(approved, officer):
    assert approved.status == AccreditationStatus.APPROVED
    assert approved.approved_by == officer
    assert approved.expires_on == services.add_months(TODAY(), 12)
    event = AuditEvent.objects.for_object(approved).get(verb="accreditation.approved")
    assert (event.actor, event.reason) == (officer, "All evidence checked")


def test_a_reason_is_required_for_decisions(under_review, officer, provider_admin):
    evidence_for_all_mandatory(under_review.organisation, by=provider_admin)
    with pytest.raises(ValidationError, match="Enter the reason"):
        services.accreditation_approve(accreditation=under_review, by=officer, reason="  ")


def test_providers_cannot_approve_themselves(under_review, provider_admin):
    evidence_for_all_mandatory(under_review.organisation, by=provider_admin)
    with pytest.raises(PermissionDenied):
        services.accreditation_approve(accreditation=under_review, by=provider_admin, reason="We are great")


def test_approval_straight_from_applied_is_refused(provider_org, provider_admin, officer):
    accreditation = services.accreditation_apply(organisation=provider_org, by=provider_admin)
    evidence_for_all_mandatory(provider_org, by=provider_admin)
    with pytest.raises(InvalidTransition):
        services.accreditation_approve(accreditation=accreditation, by=officer, reason="ok")


def test_suspension_hides_listings_at_once_and_reinstatement_restores_them(approved, officer):
    listing = ServiceListingPublishedFactory(organisation=approved.organisation)
    assert listing in public_listings()
    suspended = services.accreditation_suspend(accreditation=approved, by=officer, reason="Safeguarding concern")
    assert suspended.suspended_reason == "Safeguarding concern"
    assert listing not in public_listings()
    services.accreditation_reinstate(accreditation=suspended, by=officer, reason="Concern investigated")
    assert listing in public_listings()


def test_reinstatement_needs_evidence_still_in_date(approved, officer):
    suspended = services.accreditation_suspend(accreditation=approved, by=officer, reason="Lapsed insurance")
    Evidence.objects.filter(standard__code="QF-03").update(expires_on=TODAY() - datetime.timedelta(days=1),
                                                           issued_on=TODAY() - datetime.timedelta(days=300))
    with pytest.raises(ValidationError, match="QF-03"):
        services.accreditation_reinstate(accreditation=suspended, by=officer, reason="Back")


def test_lapsed_accreditations_expire_once(approved):
    Accreditation.objects.filter(pk=approved.pk).update(expires_on=TODAY() - datetime.timedelta(days=1))
    listing = ServiceListingPublishedFactory(organisation=approved.organisation)
    assert listing not in public_listings()  # out of date hides it even before the job runs
    assert services.accreditations_expire_lapsed() == 1
    assert services.accreditations_expire_lapsed() == 0
    approved.refresh_from_db()
    assert approved.status == AccreditationStatus.EXPIRED
    event = AuditEvent.objects.for_object(approved).get(verb="accreditation.expired")
    assert event.actor is None and "Approval period ended" in event.reason


def test_withdrawn_organisation_can_apply_again(approved, officer, provider_admin):
    services.accreditation_withdraw(accreditation=approved, by=officer, reason="Stopped trading in the area")
    again = services.accreditation_apply(organisation=approved.organisation, by=provider_admin)
    assert again.status == AccreditationStatus.APPLIED
    assert again.expires_on is None and again.approved_by is None


def test_evidence_upload_keeps_history_and_is_audited(provider_org, provider_admin):
    standard = QualityStandard.objects.get(code="QF-03")
    first = services.evidence_upload(organisation=provider_org, standard=standard, file=pdf(),
                                     issued_on=TODAY() - datetime.timedelta(days=10),
                                     expires_on=TODAY() + datetime.timedelta(days=355), by=provider_admin)
    second = services.evidence_upload(organisation=provider_org, standard=standard, file=pdf("renewal.pdf"),
                                      issued_on=TODAY(), expires_on=TODAY() + datetime.timedelta(days=365),
                                      by=provider_admin)
    assert Evidence.objects.filter(organisation=provider_org, standard=standard).count() == 2
    assert first.file.name != second.file.name and first.file.name.startswith(f"evidence/{provider_org.pk}/")
    assert second.original_name == "renewal.pdf"
    assert AuditEvent.objects.filter(verb="evidence.uploaded").count() == 2


@pytest.mark.parametrize("upload, issued, expires, field", [
    (pdf("virus.exe"), -1, 300, "file"),
    (pdf("empty.pdf", b""), -1, 300, "file"),
    (pdf(), 5, 300, "issued_on"),
    (pdf(), -1, -1, "expires_on"),
])
def test_bad_evidence_is_refused_with_a_message_and_nothing_kept(provider_org, provider_admin, upload, issued,
                                                                  expires, field):
    with pytest.raises(ValidationError) as refused:
        services.evidence_upload(organisation=provider_org, standard=QualityStandard.objects.get(code="QF-02"),
                                 file=upload, issued_on=TODAY() + datetime.timedelta(days=issued),
                                 expires_on=TODAY() + datetime.timedelta(days=expires), by=provider_admin)
    assert field in refused.value.message_dict
    assert not Evidence.objects.exists()


def test_evidence_for_a_standard_that_does_not_apply_is_refused(provider_org, provider_admin):
    brokers_only = QualityStandard.objects.get(code="QF-07")
    with pytest.raises(ValidationError, match="applies to your organisation"):
        services.evidence_upload(organisation=provider_org, standard=brokers_only, file=pdf(),
                                 issued_on=TODAY(), expires_on=TODAY() + datetime.timedelta(days=30),
                                 by=provider_admin)


def test_evidence_upload_by_another_organisation_is_refused(provider_org, make_member):
    outsider = make_member(Role.BROKER, BrokerOrganisationFactory())
    with pytest.raises(PermissionDenied):
        services.evidence_upload(organisation=provider_org, standard=QualityStandard.objects.get(code="QF-02"),
                                 file=pdf(), issued_on=TODAY(), expires_on=TODAY() + datetime.timedelta(days=30),
                                 by=outsider)
