"""Provider-side services for listings: creating and editing, the listing lifecycle, rate history,
capacity, and specialist claims."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from marketplace.constants import ClientGroup, Role
from marketplace.models import AuditEvent
from marketplace.transitions import InvalidTransition
from providers import services
from providers.constants import (
    CapacityUnit,
    CostLineKind,
    DeliveryMode,
    ListingStatus,
    RateUnit,
    SpecialistClaimStatus,
)
from providers.models import CostOfCareLine, Language, RateCard, ServiceListing, SpecialistClaim
from tests.marketplace.factories import ProviderOrganisationFactory
from tests.providers.factories import (
    days,
    today,
    AreaFactory,
    RateCardFactory,
    ServiceListingDraftFactory,
    WardFactory,
    homecare,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing(provider_org):
    return ServiceListingDraftFactory(organisation=provider_org, title="Night support")


def create(organisation, by, **overrides):
    fields = dict(
        category=homecare(), title="Home support for older people", description="Help at home.",
        delivery_mode=DeliveryMode.AT_HOME, client_groups=[ClientGroup.OLDER_PERSON], areas=[], languages=[],
        specialisms=["Dementia"], capacity_unit=CapacityUnit.HOURS, capacity_available=20)
    fields.update(overrides)
    return services.listing_create(organisation=organisation, by=by, **fields)


def ready_to_publish(listing):
    RateCardFactory(listing=listing)
    listing.areas.add(AreaFactory(code="E8"))
    return listing


def events(obj=None):
    """Audit events about ``obj``, or about anything but memberships (the fixtures grant roles)."""
    if obj is not None:
        return AuditEvent.objects.for_object(obj).count()
    return AuditEvent.objects.exclude(verb__startswith="membership.").count()


# Creating and editing ----------------------------------------------------------------------------


def test_create_makes_a_draft_with_its_details_reference_search_text_and_audit(provider_org, staff):
    district, ward = AreaFactory(code="E8", name="Hackney Central"), WardFactory(name="Dalston", code="E05009367")
    polish = Language.objects.get(code="pl")
    listing = create(provider_org, staff, areas=[district, ward], languages=[polish],
                     client_groups=[ClientGroup.OLDER_PERSON, ClientGroup.CARER],
                     specialisms=[" Dementia ", "", "dementia", "Stroke recovery"])
    assert listing.status == ListingStatus.DRAFT
    assert listing.reference == f"{provider_org.slug}-home-support-for-older-people"
    assert listing.specialisms == ["Dementia", "Stroke recovery"]
    assert listing.capacity_updated_at is not None
    assert sorted(listing.client_group_rows.values_list("client_group", flat=True)) == ["carer", "older_person"]
    assert set(listing.areas.all()) == {district, ward}
    for text in [provider_org.name, "Homecare", "Dementia", "Polish", "E8", "Dalston", "E05009367", "Help at home"]:
        assert text in listing.search_document
    event = AuditEvent.objects.for_object(listing).get()
    assert event.verb == "servicelisting.created" and event.actor == staff
    assert event.after["areas"] == ["E05009367", "E8"]


def test_create_numbers_the_reference_when_the_title_is_taken(provider_org, staff):
    first = create(provider_org, staff, title="Day centre")
    second = create(provider_org, staff, title="Day centre")
    third = create(provider_org, staff, title="Day centre")
    assert (second.reference, third.reference) == (f"{first.reference}-2", f"{first.reference}-3")


def test_create_refuses_missing_details_and_saves_nothing(provider_org, staff):
    with pytest.raises(ValidationError) as refused:
        create(provider_org, staff, title="  ", client_groups=[], delivery_mode="boat", capacity_available=-1)
    assert set(refused.value.message_dict) == {"title", "client_groups", "delivery_mode", "capacity_available"}
    assert refused.value.message_dict["title"] == ["Enter the name of the service"]
    assert not ServiceListing.objects.exists()
    assert events() == 0


def test_update_records_before_and_after_and_refreshes_search_text(listing, staff):
    area = AreaFactory(code="N16", name="Stoke Newington")
    updated = services.listing_update(listing=listing, by=staff, title="Waking night support", areas=[area],
                                      specialisms=["Epilepsy"])
    assert updated.title == "Waking night support"
    assert list(updated.areas.all()) == [area]
    assert "Epilepsy" in updated.search_document and "N16" in updated.search_document
    event = AuditEvent.objects.for_object(listing).get()
    assert event.verb == "servicelisting.updated"
    assert event.before == {"title": "Night support", "areas": [], "specialisms": []}
    assert event.after == {"title": "Waking night support", "areas": ["N16"], "specialisms": ["Epilepsy"]}


def test_update_with_nothing_changed_writes_no_audit(listing, staff):
    services.listing_update(listing=listing, by=staff, title="Night support")
    assert events(listing) == 0


def test_update_refuses_unknown_fields_and_withdrawn_listings(listing, staff):
    with pytest.raises(TypeError):
        services.listing_update(listing=listing, by=staff, status=ListingStatus.PUBLISHED)
    ServiceListing.objects.filter(pk=listing.pk).update(status=ListingStatus.WITHDRAWN)
    with pytest.raises(ValidationError):
        services.listing_update(listing=listing, by=staff, title="Back again")
    listing.refresh_from_db()
    assert listing.title == "Night support" and events(listing) == 0


@pytest.mark.parametrize("role", [Role.BROKER, Role.CONTRACT_OFFICER])
def test_only_the_organisations_provider_staff_may_write(provider_org, listing, make_member, council, role):
    # A broker of the same organisation (it is both provider and brokerage) still may not.
    provider_org.is_broker = True
    provider_org.save()
    outsider = make_member(role, provider_org if role == Role.BROKER else council)
    other_staff = make_member(Role.PROVIDER_ADMIN, ProviderOrganisationFactory())
    card = RateCardFactory(listing=listing)
    for user in (outsider, other_staff):
        for call in [
            lambda: create(provider_org, user),
            lambda: services.listing_update(listing=listing, by=user, title="Taken over"),
            lambda: services.listing_publish(listing=listing, by=user),
            lambda: services.listing_withdraw(listing=listing, by=user),
            lambda: services.listing_capacity_update(listing=listing, by=user, capacity_available=3),
            lambda: services.rate_card_add(listing=listing, by=user, unit=RateUnit.HOUR, contract_rate_pence=100,
                                           direct_payment_rate_pence=90, effective_from=days(1)),
            lambda: services.specialist_claim_submit(listing=listing, by=user, justification="x", unit="hour",
                                                     lines=[]),
        ]:
            with pytest.raises(PermissionDenied):
                call()
    listing.refresh_from_db()
    assert (listing.title, listing.status) == ("Night support", ListingStatus.DRAFT)
    assert list(RateCard.objects.all()) == [card]
    assert events() == 0


# The lifecycle: draft → published ↔ paused → withdrawn --------------------------------------------

ALLOWED = [
    (ListingStatus.DRAFT, ListingStatus.PUBLISHED),
    (ListingStatus.DRAFT, ListingStatus.WITHDRAWN),
    (ListingStatus.PUBLISHED, ListingStatus.PAUSED),
    (ListingStatus.PUBLISHED, ListingStatus.WITHDRAWN),
    (ListingStatus.PAUSED, ListingStatus.PUBLISHED),
    (ListingStatus.PAUSED, ListingStatus.WITHDRAWN),
]
FORBIDDEN = [
    (ListingStatus.DRAFT, ListingStatus.PAUSED),
    (ListingStatus.WITHDRAWN, ListingStatus.PUBLISHED),
    (ListingStatus.WITHDRAWN, ListingStatus.PAUSED),
]
MOVE = {
    ListingStatus.PUBLISHED: services.listing_publish,
    ListingStatus.PAUSED: services.listing_pause,
    ListingStatus.WITHDRAWN: services.listing_withdraw,
}


@pytest.mark.parametrize(("start", "target"), ALLOWED)
def test_every_allowed_move_happens_and_is_audited(listing, staff, start, target):
    ready_to_publish(listing)
    ServiceListing.objects.filter(pk=listing.pk).update(status=start)
    listing.refresh_from_db()
    moved = MOVE[target](listing=listing, by=staff)
    listing.refresh_from_db()
    assert listing.status == moved.status == target
    event = AuditEvent.objects.for_object(listing).get()
    assert (event.verb, event.before, event.after) == (
        f"servicelisting.{target}", {"status": start}, {"status": target})
    # A repeated request (a double click) changes nothing more.
    MOVE[target](listing=listing, by=staff)
    assert events(listing) == 1


@pytest.mark.parametrize(("start", "target"), FORBIDDEN)
def test_every_forbidden_move_is_refused_and_changes_nothing(listing, staff, start, target):
    ready_to_publish(listing)
    ServiceListing.objects.filter(pk=listing.pk).update(status=start)
    listing.refresh_from_db()
    with pytest.raises(InvalidTransition):
        MOVE[target](listing=listing, by=staff)
    listing.refresh_from_db()
    assert listing.status == start
    assert events(listing) == 0


def test_publish_lists_what_is_missing(listing, staff):
    RateCardFactory(listing=listing, effective_from=days(5))  # not in force yet
    with pytest.raises(ValidationError) as refused:
        services.listing_publish(listing=listing, by=staff)
    assert refused.value.messages == ["Add a rate that applies from today or earlier",
                                      "Choose at least one area the service covers"]
    listing.refresh_from_db()
    assert listing.status == ListingStatus.DRAFT and events(listing) == 0


def test_publish_needs_an_area_even_with_a_rate(listing, staff):
    RateCardFactory(listing=listing)
    with pytest.raises(ValidationError) as refused:
        services.listing_publish(listing=listing, by=staff)
    assert refused.value.messages == ["Choose at least one area the service covers"]


# Capacity ------------------------------------------------------------------------------------------


def test_capacity_update_sets_the_time_and_is_audited(listing, staff):
    updated = services.listing_capacity_update(listing=listing, by=staff, capacity_available=12)
    assert updated.capacity_available == 12 and updated.capacity_updated_at is not None
    listing.refresh_from_db()
    assert listing.capacity_available == 12
    event = AuditEvent.objects.for_object(listing).get()
    assert event.verb == "servicelisting.capacity_updated" and event.after["capacity_available"] == 12


@pytest.mark.parametrize("bad", [-1, "3", 2.5, True])
def test_capacity_update_refuses_bad_numbers(listing, staff, bad):
    with pytest.raises(ValidationError):
        services.listing_capacity_update(listing=listing, by=staff, capacity_available=bad)
    listing.refresh_from_db()
    assert listing.capacity_available is None and events() == 0


# Rate cards ------------------------------------------------------------------------------------------


def add_rate(listing, by, **overrides):
    fields = dict(unit=RateUnit.HOUR, contract_rate_pence=2800, direct_payment_rate_pence=2300,
                  minimum_quantity=Decimal("1"), effective_from=days(7))
    fields.update(overrides)
    return services.rate_card_add(listing=listing, by=by, **fields)


def test_a_new_rate_closes_the_open_one_and_keeps_it(listing, staff):
    old = RateCardFactory(listing=listing, effective_from=days(-30))
    new = add_rate(listing, staff)
    old.refresh_from_db()
    assert old.effective_to == days(7) and old.contract_rate_pence == 2650
    assert new.effective_to is None and new.created_by == staff
    assert RateCard.objects.filter(listing=listing).count() == 2
    assert old.is_current() and not new.is_current()
    assert not old.is_current(days(7)) and new.is_current(days(7))
    verbs = sorted(AuditEvent.objects.filter(verb__startswith="ratecard.").values_list("verb", flat=True))
    assert verbs == ["ratecard.added", "ratecard.closed"]
    added = AuditEvent.objects.for_object(new).get()
    assert added.after["closed"] == [old.pk] and added.after["contract_rate_pence"] == 2800


def test_a_rate_for_another_unit_leaves_the_hourly_rate_open(listing, staff):
    hourly = RateCardFactory(listing=listing)
    add_rate(listing, staff, unit=RateUnit.VISIT, effective_from=today())
    hourly.refresh_from_db()
    assert hourly.effective_to is None


def test_a_rate_may_start_today(listing, staff):
    old = RateCardFactory(listing=listing, effective_from=days(-1))
    card = add_rate(listing, staff, effective_from=today())
    old.refresh_from_db()
    assert card.is_current() and old.effective_to == today()


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"contract_rate_pence": 0}, "contract_rate_pence", "The contract rate must be more than £0"),
    ({"contract_rate_pence": -100}, "contract_rate_pence", "The contract rate must be more than £0"),
    ({"direct_payment_rate_pence": 0}, "direct_payment_rate_pence", "The direct payment rate must be more than £0"),
    ({"direct_payment_rate_pence": 2801}, "direct_payment_rate_pence",
     "The direct payment rate must be the same as or lower than the contract rate"),
    ({"effective_from": None}, "effective_from", "Enter the date the rate starts"),
    ({"effective_from": days(-1)}, "effective_from", "The date the rate starts must be today or in the future"),
    ({"unit": "fortnight"}, "unit", "Select what the rate is charged per"),
    ({"minimum_quantity": Decimal("-1")}, "minimum_quantity",
     "The minimum must be a number of 0 or more, with up to 2 decimal places"),
])
def test_bad_rates_are_refused_and_change_nothing(listing, staff, overrides, field, message):
    old = RateCardFactory(listing=listing, effective_from=days(-30))
    with pytest.raises(ValidationError) as refused:
        add_rate(listing, staff, **overrides)
    assert refused.value.message_dict[field] == [message]
    old.refresh_from_db()
    assert old.effective_to is None
    assert list(RateCard.objects.all()) == [old]
    assert events() == 0


def test_a_start_on_or_before_an_existing_start_is_refused(listing, staff):
    later = RateCardFactory(listing=listing, effective_from=days(10))
    for start in (days(10), days(3)):
        with pytest.raises(ValidationError) as refused:
            add_rate(listing, staff, effective_from=start)
        assert refused.value.message_dict["effective_from"][0].startswith("The date the rate starts must be after")
    later.refresh_from_db()
    assert later.effective_to is None and RateCard.objects.count() == 1 and events() == 0


def test_a_withdrawn_listing_takes_no_new_rates(listing, staff):
    ServiceListing.objects.filter(pk=listing.pk).update(status=ListingStatus.WITHDRAWN)
    with pytest.raises(ValidationError):
        add_rate(listing, staff)
    assert not RateCard.objects.exists()


# Specialist claims -------------------------------------------------------------------------------

LINES = [
    {"kind": CostLineKind.STAFF, "description": "Senior support worker", "hours": Decimal("1.5"),
     "hourly_pay_pence": 1533},
    {"kind": CostLineKind.ON_COSTS, "description": "NI and pension", "amount_pence": 420},
    {"kind": CostLineKind.TRAINING, "description": "PBS training", "amount_pence": 150},
]


def submit(listing, by, **overrides):
    fields = dict(justification="Two trained staff for every visit.", unit=RateUnit.HOUR, lines=LINES)
    fields.update(overrides)
    return services.specialist_claim_submit(listing=listing, by=by, **fields)


def test_a_claim_works_out_staff_amounts_and_takes_the_current_rate(listing, staff):
    RateCardFactory(listing=listing, contract_rate_pence=3200, direct_payment_rate_pence=2900)
    claim = submit(listing, staff)
    assert (claim.status, claim.rate_pence, claim.submitted_by) == (SpecialistClaimStatus.SUBMITTED, 3200, staff)
    lines = list(claim.cost_lines.all())
    assert [line.amount_pence for line in lines] == [2300, 420, 150]  # 1.5 × £15.33 = £22.995 → £23.00
    assert claim.total_pence() == 2870 and claim.difference_pence() == 330
    event = AuditEvent.objects.for_object(claim).get()
    assert event.verb == "specialistclaim.submitted" and event.after["total_pence"] == 2870


@pytest.mark.parametrize(("overrides", "field"), [
    ({"justification": " "}, "justification"),
    ({"unit": RateUnit.VISIT}, "unit"),
    ({"lines": []}, "lines"),
    ({"lines": LINES[1:]}, "lines"),
    ({"lines": [{**LINES[0], "hours": Decimal("0")}]}, "lines"),
    ({"lines": [{**LINES[0], "hourly_pay_pence": None}]}, "lines"),
    ({"lines": [{**LINES[0], "kind": "biscuits"}]}, "lines"),
    ({"lines": [LINES[0], {**LINES[1], "amount_pence": -5}]}, "lines"),
])
def test_bad_claims_are_refused_and_save_nothing(listing, staff, overrides, field):
    RateCardFactory(listing=listing)
    with pytest.raises(ValidationError) as refused:
        submit(listing, staff, **overrides)
    assert field in refused.value.message_dict
    assert not SpecialistClaim.objects.exists() and not CostOfCareLine.objects.exists()
    assert events() == 0


def test_a_claim_needs_a_current_rate_for_its_unit(listing, staff):
    RateCardFactory(listing=listing, effective_from=days(3))
    with pytest.raises(ValidationError) as refused:
        submit(listing, staff)
    assert refused.value.message_dict["unit"] == [
        "There is no current rate per hour for this service; add one first"]


@pytest.mark.parametrize("status", [SpecialistClaimStatus.SUBMITTED, SpecialistClaimStatus.ACCEPTED])
def test_a_second_claim_is_refused_while_one_is_open(listing, staff, status):
    RateCardFactory(listing=listing)
    first = submit(listing, staff)
    SpecialistClaim.objects.filter(pk=first.pk).update(status=status)
    with pytest.raises(ValidationError) as refused:
        submit(listing, staff)
    assert "already has a specialist claim" in refused.value.messages[0]
    assert SpecialistClaim.objects.count() == 1


def test_a_racing_second_claim_gets_a_clear_message(listing, staff, monkeypatch):
    RateCardFactory(listing=listing)
    submit(listing, staff)
    # The other request's check ran before this claim existed: only the constraint can stop it.
    monkeypatch.setattr(SpecialistClaim.objects, "filter", lambda *a, **k: SpecialistClaim.objects.none())
    with pytest.raises(ValidationError) as refused:
        submit(listing, staff)
    assert "already has a specialist claim" in refused.value.messages[0]
    assert SpecialistClaim.objects.count() == 1


def test_a_new_claim_is_allowed_after_one_was_rejected(listing, staff):
    RateCardFactory(listing=listing)
    first = submit(listing, staff)
    SpecialistClaim.objects.filter(pk=first.pk).update(status=SpecialistClaimStatus.REJECTED)
    assert submit(listing, staff).pk != first.pk


def test_withdrawing_an_accepted_claim_removes_the_specialist_mark(listing, staff):
    RateCardFactory(listing=listing)
    claim = submit(listing, staff)
    SpecialistClaim.objects.filter(pk=claim.pk).update(status=SpecialistClaimStatus.ACCEPTED)
    ServiceListing.objects.filter(pk=listing.pk).update(is_specialist=True)
    withdrawn = services.specialist_claim_withdraw(claim=claim, by=staff, reason="Service redesigned")
    listing.refresh_from_db()
    assert withdrawn.status == SpecialistClaimStatus.WITHDRAWN and not listing.is_specialist
    assert AuditEvent.objects.filter(verb="servicelisting.specialist_ended").count() == 1
    # Twice is harmless.
    services.specialist_claim_withdraw(claim=claim, by=staff, reason="Service redesigned")
    assert AuditEvent.objects.filter(verb="specialistclaim.withdrawn").count() == 1


def test_withdrawing_a_waiting_claim_leaves_the_listing_alone(listing, staff):
    RateCardFactory(listing=listing)
    claim = submit(listing, staff)
    services.specialist_claim_withdraw(claim=claim, by=staff, reason="Sent too early")
    claim.refresh_from_db()
    assert claim.status == SpecialistClaimStatus.WITHDRAWN
    assert not AuditEvent.objects.filter(verb="servicelisting.specialist_ended").exists()


def test_withdrawing_needs_a_reason_and_cannot_undo_a_rejection(listing, staff, make_member):
    RateCardFactory(listing=listing)
    claim = submit(listing, staff)
    with pytest.raises(ValidationError):
        services.specialist_claim_withdraw(claim=claim, by=staff, reason=" ")
    with pytest.raises(PermissionDenied):
        services.specialist_claim_withdraw(claim=claim, by=make_member(Role.PROVIDER_STAFF,
                                                                       ProviderOrganisationFactory()), reason="Mine")
    SpecialistClaim.objects.filter(pk=claim.pk).update(status=SpecialistClaimStatus.REJECTED)
    with pytest.raises(InvalidTransition):
        services.specialist_claim_withdraw(claim=claim, by=staff, reason="Changed our minds")
    claim.refresh_from_db()
    assert claim.status == SpecialistClaimStatus.REJECTED


def test_the_database_still_allows_only_one_open_claim(listing, staff):
    RateCardFactory(listing=listing)
    claim = submit(listing, staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        SpecialistClaim.objects.create(listing=listing, justification="again", unit="hour", rate_pence=1,
                                       submitted_by=staff, submitted_at=claim.submitted_at)
