import pytest

from marketplace.models import AuditEvent
from marketplace.transitions import InvalidTransition, transition
from providers.constants import ListingStatus
from tests.marketplace.factories import UserFactory
from tests.providers.factories import ServiceListingDraftFactory

pytestmark = pytest.mark.django_db


def test_an_allowed_move_saves_and_is_audited_with_reason():
    listing, provider = ServiceListingDraftFactory(), UserFactory()
    moved = transition(listing, ListingStatus.PUBLISHED, by=provider, reason="Ready for customers")
    listing.refresh_from_db()
    assert listing.status == moved.status == ListingStatus.PUBLISHED
    event = AuditEvent.objects.for_object(listing).get()
    assert (event.verb, event.actor, event.reason) == ("servicelisting.published", provider, "Ready for customers")
    assert (event.before, event.after) == ({"status": "draft"}, {"status": "published"})


def test_a_move_the_lifecycle_forbids_is_refused_and_changes_nothing():
    listing = ServiceListingDraftFactory()
    with pytest.raises(InvalidTransition) as refused:
        transition(listing, ListingStatus.PAUSED, by=None)
    assert str(refused.value) == "This service listing is draft; it can move to published, withdrawn, not paused."
    listing.refresh_from_db()
    assert listing.status == ListingStatus.DRAFT
    assert not AuditEvent.objects.for_object(listing).exists()


def test_a_final_state_says_so():
    listing = ServiceListingDraftFactory(status=ListingStatus.WITHDRAWN)
    with pytest.raises(InvalidTransition, match="is withdrawn and cannot change any more"):
        transition(listing, ListingStatus.PUBLISHED, by=None)


def test_a_second_click_is_harmless():
    listing = ServiceListingDraftFactory()
    transition(listing, ListingStatus.PUBLISHED, by=None)
    transition(listing, ListingStatus.PUBLISHED, by=None)
    assert AuditEvent.objects.for_object(listing).count() == 1


def test_milestone_fields_are_set_on_the_locked_row():
    listing = ServiceListingDraftFactory(capacity_available=None)

    def note_capacity(locked):
        locked.capacity_available = 40

    transition(listing, ListingStatus.PUBLISHED, by=None, apply=note_capacity)
    listing.refresh_from_db()
    assert listing.capacity_available == 40
