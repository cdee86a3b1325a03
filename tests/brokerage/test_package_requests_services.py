"""Care package requests: who is asked, what providers may see, how offers are ranked, the
broker's choice with the person, and the deadline job."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from brokerage import services
from brokerage.constants import PackageRequestStatus, PackageResponseStatus, PlanStatus
from brokerage.models import BrokerageSettings, PackageRequest, PackageResponse, PlanLine
from brokerage.selectors.package_requests import market_gaps, price_score, ranked_offers
from marketplace.constants import Role
from marketplace.models import AuditEvent
from marketplace.transitions import InvalidTransition
from providers.constants import AccreditationStatus, CapacityUnit, ListingStatus, RateUnit
from providers.models import Language, RateCard, ServiceCategory
from tests.brokerage.factories import PlanLineFactory
from tests.brokerage.factories_package_requests import (
    SUMMARY,
    days,
    district,
    events,
    evidence_for,
    invited,
    offered,
    person_with_plan,
    provider_staff,
    request_row,
    service,
    today,
)
from tests.brokerage.factories_package_requests import e8, margaret, plan  # noqa: F401 (pytest fixtures)
from tests.marketplace.factories import BrokerOrganisationFactory
from tests.providers.factories import ReferenceRateFactory, WardFactory, homecare

pytestmark = pytest.mark.django_db


def send(plan, by, **overrides):
    arguments = {"category": homecare(), "unit": RateUnit.HOUR, "quantity_per_week": Decimal("10"),
                 "times_of_day": ["morning"], "starts_on": days(14), "district": "E8", "needs_summary": SUMMARY}
    return services.package_request_create(plan=plan, by=by, **(arguments | overrides))


def invited_listings(request):
    return set(request.responses.values_list("listing_id", flat=True))


# Who is asked -----------------------------------------------------------------------------------

def test_a_request_goes_to_services_covering_the_district_itself_or_a_ward_in_it(broker, plan, e8):
    ward = WardFactory()
    ward.districts.set([e8])
    by_district = service(areas=[e8])
    by_ward = service(areas=[ward])
    elsewhere = service(areas=[district("E9")])
    other_ward = WardFactory()
    other_ward.districts.set([district("N16")])
    in_another_ward = service(areas=[other_ward])
    request = send(plan, broker)
    assert invited_listings(request) == {by_district.pk, by_ward.pk}
    assert set(request.responses.values_list("status", flat=True)) == {PackageResponseStatus.INVITED}
    assert {elsewhere.pk, in_another_ward.pk}.isdisjoint(invited_listings(request))
    assert request.status == PackageRequestStatus.OPEN
    assert re.fullmatch(rf"PR-{today():%Y}-\d{{6}}", request.reference)


def test_only_published_services_of_approved_in_date_providers_in_the_category_are_asked(broker, plan, e8):
    matching = service(areas=[e8])
    service(areas=[e8], category=ServiceCategory.objects.get(slug="day-opportunities"))
    service(areas=[e8], status=ListingStatus.PAUSED)
    service(areas=[e8], status=ListingStatus.DRAFT)
    suspended = service(areas=[e8])
    suspended.organisation.accreditation.status = AccreditationStatus.SUSPENDED
    suspended.organisation.accreditation.save()
    lapsed = service(areas=[e8])
    lapsed.organisation.accreditation.expires_on = days(-1)
    lapsed.organisation.accreditation.save()
    assert invited_listings(send(plan, broker)) == {matching.pk}


def test_hours_are_matched_against_hours_free_and_unknown_capacity_never_matches(broker, plan, e8):
    enough = service(areas=[e8], capacity=10)
    service(areas=[e8], capacity=9)
    service(areas=[e8], capacity=None)
    service(areas=[e8], capacity=20, capacity_unit=CapacityUnit.PLACES)
    assert invited_listings(send(plan, broker, quantity_per_week=Decimal("10"))) == {enough.pk}


def test_part_hours_need_the_next_whole_hour_free(broker, plan, e8):
    eight = service(areas=[e8], capacity=8)
    service(areas=[e8], capacity=7)
    assert invited_listings(send(plan, broker, quantity_per_week=Decimal("7.5"))) == {eight.pk}


def test_sessions_need_one_free_place_however_many_sessions_a_week(broker, plan, e8):
    day_centre = ServiceCategory.objects.get(slug="day-opportunities")
    one_place = service(areas=[e8], category=day_centre, capacity=1, capacity_unit=CapacityUnit.PLACES,
                        unit=RateUnit.SESSION)
    service(areas=[e8], category=day_centre, capacity=0, capacity_unit=CapacityUnit.PLACES, unit=RateUnit.SESSION)
    service(areas=[e8], category=day_centre, capacity=40, capacity_unit=CapacityUnit.HOURS, unit=RateUnit.SESSION)
    request = send(plan, broker, category=day_centre, unit=RateUnit.SESSION, quantity_per_week=Decimal("3"))
    assert invited_listings(request) == {one_place.pk}


def test_a_service_needs_a_current_rate_for_the_unit_asked_for(broker, plan, e8):
    priced = service(areas=[e8])
    per_visit = service(areas=[e8], unit=RateUnit.VISIT)
    ended = service(areas=[e8])
    RateCard.objects.filter(listing=ended).update(effective_to=today())
    assert invited_listings(send(plan, broker)) == {priced.pk}
    assert per_visit.pk not in invited_listings(send(plan, broker))


def test_every_language_asked_for_is_needed(broker, plan, e8):
    polish = Language.objects.get_or_create(code="pl", defaults={"name": "Polish"})[0]
    turkish = Language.objects.get_or_create(code="tr", defaults={"name": "Turkish"})[0]
    both = service(areas=[e8], languages=[polish, turkish])
    polish_only = service(areas=[e8], languages=[polish])
    service(areas=[e8])
    assert invited_listings(send(plan, broker, languages=["pl"])) == {both.pk, polish_only.pk}
    assert invited_listings(send(plan, broker, languages=[polish, turkish])) == {both.pk}


def test_every_specialism_asked_for_is_needed_whatever_its_case(broker, plan, e8):
    dementia_and_stroke = service(areas=[e8], specialisms=["Dementia", "Stroke recovery"])
    service(areas=[e8], specialisms=["Autism"])
    service(areas=[e8])
    assert invited_listings(send(plan, broker, specialisms=["dementia"])) == {dementia_and_stroke.pk}
    assert invited_listings(send(plan, broker, specialisms=["DEMENTIA", "stroke recovery"])) == \
        {dementia_and_stroke.pk}
    assert invited_listings(send(plan, broker, specialisms=["dementia", "autism"])) == set()


def test_with_nobody_to_ask_the_request_is_kept_and_flagged_as_a_gap_at_once(broker, plan, e8):
    service(areas=[district("E9")])
    request = send(plan, broker)
    assert request.status == PackageRequestStatus.NO_OFFERS
    assert request.market_gap_flagged_at is not None
    assert not request.responses.exists()
    assert AuditEvent.objects.filter(verb="packagerequest.no_offers", target_id=str(request.pk)).exists()
    groups, requests = market_gaps()
    assert [(group.category, group.district, group.count) for group in groups] == [("Homecare", "E8", 1)]
    assert list(requests) == [request]


def test_providers_are_emailed_after_commit_with_nothing_that_identifies_the_person(
        broker, plan, e8, make_member, mailoutbox, django_capture_on_commit_callbacks):
    listing = service(areas=[e8])
    staff = provider_staff(make_member, listing)
    with django_capture_on_commit_callbacks(execute=True):
        request = send(plan, broker)
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert staff.email in message.to and request.reference in message.subject
    body = message.body
    assert "E8" in body and "Help to wash and dress" in body
    response = request.responses.get()
    assert f"/portal/{listing.organisation_id}/package-requests/{response.pk}/" in body
    for detail in ("Margaret", "Okonkwo", "HK123456", "3QP", "1948"):
        assert detail not in body


def test_nobody_is_emailed_when_the_request_is_refused(broker, plan, e8, make_member, mailoutbox,
                                                       django_capture_on_commit_callbacks):
    provider_staff(make_member, service(areas=[e8]))
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        send(plan, broker, needs_summary="Margaret needs help")
    assert mailoutbox == [] and not PackageRequest.objects.exists()


# The summary of needs identifies nobody ---------------------------------------------------------

@pytest.mark.parametrize("summary, kind", [
    ("Margaret needs help in the mornings", "name"),
    ("Mrs okonkwo needs help in the mornings", "name"),
    ("See case HK123456 for history", "case reference"),
    ("Born 17/05/1948, frail", "date of birth"),
    ("Born 17-5-48, frail", "date of birth"),
    ("Born 17.05.1948, frail", "date of birth"),
    ("DOB 1948-05-17, frail", "date of birth"),
    ("Born on the 17th of May 1948", "date of birth"),
    ("Born May 17, 1948", "date of birth"),
    ("Born 05/17/1948", "date of birth"),
    ("Born 17 Sept 1948", None),  # another date: allowed
    ("Lives at E8 3QP on the ground floor", "postcode"),
    ("Lives at e83qp", "postcode"),
    ("Near her daughter in N16 7AB", "postcode"),
])
def test_a_summary_that_identifies_the_person_is_refused_naming_what_to_remove(broker, plan, e8, summary, kind):
    service(areas=[e8])
    if kind is None:
        assert send(plan, broker, needs_summary=summary).pk
        return
    with pytest.raises(ValidationError) as refused:
        send(plan, broker, needs_summary=summary)
    message = refused.value.message_dict["needs_summary"][0]
    assert f"Remove the person’s {kind}" in message
    assert not PackageRequest.objects.exists() and not PackageResponse.objects.exists()


def test_each_part_of_a_double_barrelled_name_is_looked_for(broker, brokerage, e8):
    person, plan = person_with_plan(brokerage, first_name="Mary-Ann", last_name="Lloyd Jones", reference="HK9")
    for summary in ("Ann likes mornings", "Mrs Jones likes mornings"):
        with pytest.raises(ValidationError):
            send(plan, broker, needs_summary=summary)


def test_several_kinds_of_detail_are_named_together(broker, plan, e8):
    with pytest.raises(ValidationError) as refused:
        send(plan, broker, needs_summary="Margaret, born 17/05/1948, lives at E8 3QP")
    assert "name, date of birth and postcode" in refused.value.message_dict["needs_summary"][0]


def test_the_district_alone_may_be_mentioned(broker, plan, e8):
    assert send(plan, broker, needs_summary="Lives in E8, near the park; needs help to wash").pk


# Bad input --------------------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, field", [
    ({"quantity_per_week": Decimal("0")}, "quantity_per_week"),
    ({"quantity_per_week": Decimal("-2")}, "quantity_per_week"),
    ({"quantity_per_week": "lots"}, "quantity_per_week"),
    ({"quantity_per_week": Decimal("169")}, "quantity_per_week"),
    ({"unit": RateUnit.VISIT}, "unit"),
    ({"times_of_day": []}, "times_of_day"),
    ({"times_of_day": ["midnight"]}, "times_of_day"),
    ({"starts_on": days(-1)}, "starts_on"),
    ({"district": "E8 3QP"}, "district"),
    ({"district": "ZZ9"}, "district"),
    ({"category": "knitting"}, "category"),
    ({"languages": ["xx"]}, "languages"),
    ({"needs_summary": "  "}, "needs_summary"),
    ({"deadline": days(-1)}, "deadline"),
    ({"deadline": days(14)}, "deadline"),
    ({"route": "cash"}, "route"),
])
def test_bad_input_is_refused_by_field_and_nothing_is_sent(broker, plan, e8, overrides, field):
    service(areas=[e8])
    with pytest.raises(ValidationError) as refused:
        send(plan, broker, **overrides)
    assert field in refused.value.message_dict
    assert not PackageRequest.objects.exists()


def test_a_ward_is_not_a_district(broker, plan, e8):
    ward = WardFactory()
    with pytest.raises(ValidationError) as refused:
        send(plan, broker, district=ward.code)
    assert "district" in refused.value.message_dict


def test_the_deadline_defaults_to_the_councils_days_but_before_the_start(broker, plan, e8):
    settings = BrokerageSettings.load()
    settings.package_request_days = 5
    settings.save()
    assert send(plan, broker, starts_on=days(30)).deadline == days(5)
    assert send(plan, broker, starts_on=days(3)).deadline == days(2)
    with pytest.raises(ValidationError) as refused:
        send(plan, broker, starts_on=today())
    assert "starts_on" in refused.value.message_dict


def test_only_the_persons_broker_or_an_officer_may_send_one(plan, e8, make_member, officer):
    stranger = make_member(Role.BROKER, BrokerOrganisationFactory())
    with pytest.raises(PermissionDenied):
        send(plan, stranger)
    assert send(plan, officer).created_by == officer
    assert PackageRequest.objects.count() == 1


def test_a_plan_waiting_for_sign_off_cannot_get_a_request(broker, plan, e8):
    plan.status = PlanStatus.SUBMITTED
    plan.save()
    with pytest.raises(ValidationError):
        send(plan, broker)
    assert not PackageRequest.objects.exists()


# Providers answer -------------------------------------------------------------------------------

@pytest.fixture
def open_request(plan, e8, broker):
    request = request_row(plan=plan, area=e8, by=broker)
    return request


def test_a_provider_offers_a_price_and_start_by_the_deadline(open_request, e8, make_member):
    listing = service(areas=[e8])
    response = invited(open_request, listing)
    staff = provider_staff(make_member, listing)
    offer = services.package_response_offer(response=response, by=staff, price_pence=2550,
                                            earliest_start=days(10), note="Two carers available")
    assert (offer.status, offer.price_pence, offer.earliest_start, offer.responded_by) == \
        (PackageResponseStatus.OFFERED, 2550, days(10), staff)
    assert AuditEvent.objects.filter(verb="packageresponse.offered", target_id=str(response.pk)).exists()


def test_another_provider_cannot_answer(open_request, e8, make_member, broker):
    response = invited(open_request, service(areas=[e8]))
    other = make_member(Role.PROVIDER_STAFF, service(areas=[e8]).organisation)
    for user in (other, broker):
        with pytest.raises(PermissionDenied):
            services.package_response_offer(response=response, by=user, price_pence=2500, earliest_start=days(10))
        with pytest.raises(PermissionDenied):
            services.package_response_decline(response=response, by=user)
    response.refresh_from_db()
    assert response.status == PackageResponseStatus.INVITED


@pytest.mark.parametrize("price, start, field", [
    (0, days(10), "price_pence"), (-5, days(10), "price_pence"), ("25.50", days(10), "price_pence"),
    (2500, None, "earliest_start"), (2500, days(-1), "earliest_start"),
])
def test_an_offer_needs_a_price_above_nothing_and_a_start_date(open_request, e8, make_member, price, start, field):
    listing = service(areas=[e8])
    response = invited(open_request, listing)
    with pytest.raises(ValidationError) as refused:
        services.package_response_offer(response=response, by=provider_staff(make_member, listing),
                                        price_pence=price, earliest_start=start)
    assert field in refused.value.message_dict
    response.refresh_from_db()
    assert response.status == PackageResponseStatus.INVITED and response.price_pence is None


def test_no_answer_after_the_deadline_or_twice(plan, e8, make_member, broker):
    late = request_row(plan=plan, area=e8, by=broker, deadline=days(-1))
    listing = service(areas=[e8])
    staff = provider_staff(make_member, listing)
    with pytest.raises(ValidationError, match="deadline"):
        services.package_response_offer(response=invited(late, listing), by=staff, price_pence=2500,
                                        earliest_start=days(10))
    current = request_row(plan=plan, area=e8, by=broker)
    response = invited(current, listing)
    services.package_response_decline(response=response, by=staff, note="Full until spring")
    with pytest.raises(ValidationError, match="already answered"):
        services.package_response_offer(response=response, by=staff, price_pence=2500, earliest_start=days(10))
    response.refresh_from_db()
    assert (response.status, response.note) == (PackageResponseStatus.DECLINED, "Full until spring")


# Ranking ----------------------------------------------------------------------------------------

@pytest.fixture
def three_offers(plan, e8, broker):
    """Reference rate £24.00 an hour. A: every standard evidenced, £36.00 (price score 50). B: 5 of
    6 standards, £24.00 (price 100). C: no evidence, £18.00 (price 100, the cheapest)."""
    ReferenceRateFactory(rate_pence=2400)
    request = request_row(plan=plan, area=e8, by=broker)
    a, b, c = service(areas=[e8]), service(areas=[e8]), service(areas=[e8])
    assert evidence_for(a.organisation) == 6
    evidence_for(b.organisation, 5)
    return request, offered(request, a, 3600), offered(request, b, 2400), offered(request, c, 1800)


def scores(ranking):
    return [(offer.response.pk, offer.quality_score, offer.price_score, offer.total_score) for offer in ranking]


def test_offers_ranked_sixty_forty(three_offers):
    request, a, b, c = three_offers
    # B: 0.6 × 83.33… + 0.4 × 100 = 90.0; A: 0.6 × 100 + 0.4 × 50 = 80.0; C: 0.6 × 0 + 0.4 × 100 = 40.0
    assert scores(ranked_offers(request, quality_weight_percent=60)) == [
        (b.pk, Decimal("83.3"), Decimal("100.0"), Decimal("90.0")),
        (a.pk, Decimal("100.0"), Decimal("50.0"), Decimal("80.0")),
        (c.pk, Decimal("0.0"), Decimal("100.0"), Decimal("40.0")),
    ]


def test_offers_ranked_on_quality_alone(three_offers):
    request, a, b, c = three_offers
    ranking = ranked_offers(request, quality_weight_percent=100)
    assert scores(ranking) == [
        (a.pk, Decimal("100.0"), Decimal("50.0"), Decimal("100.0")),
        (b.pk, Decimal("83.3"), Decimal("100.0"), Decimal("83.3")),
        (c.pk, Decimal("0.0"), Decimal("100.0"), Decimal("0.0")),
    ]
    assert [offer.above_reference for offer in ranking] == [True, False, False]
    assert [offer.rank for offer in ranking] == [1, 2, 3]


def test_the_councils_weighting_is_used_when_none_is_given(three_offers):
    request, a, b, c = three_offers
    settings = BrokerageSettings.load()
    settings.quality_weight_percent = 100
    settings.save()
    assert [offer.response.pk for offer in ranked_offers(request)] == [a.pk, b.pk, c.pk]


def test_a_provider_no_longer_accredited_scores_nothing_for_quality(three_offers):
    request, a, b, c = three_offers
    accreditation = a.provider.accreditation
    accreditation.status = AccreditationStatus.SUSPENDED
    accreditation.save()
    ranking = {offer.response.pk: offer for offer in ranked_offers(request, quality_weight_percent=60)}
    assert ranking[a.pk].quality_score == Decimal("0.0") and not ranking[a.pk].accreditation_in_force


@pytest.mark.parametrize("price, reference, expected", [
    (2400, 2400, Decimal(100)), (1000, 2400, Decimal(100)), (3600, 2400, Decimal(50)), (4800, 2400, Decimal(0)),
    (6000, 2400, Decimal(0)), (3000, 2400, Decimal(75)), (3000, None, Decimal(50)),
])
def test_price_score_falls_from_the_reference_rate_to_nothing_at_twice_it(price, reference, expected):
    assert price_score(price, reference) == expected


# The broker chooses, with the person ------------------------------------------------------------

@pytest.fixture
def fake_plan_line(monkeypatch):
    """Stands in for the plans service, recording what it was asked for."""
    from brokerage.services import plans

    calls = []

    def add(**arguments):
        calls.append(arguments)
        response = arguments["package_response"]
        card = RateCard.objects.filter(listing=arguments["listing"]).first()
        return PlanLineFactory(plan=arguments["plan"], rate_card=card, quantity_per_week=arguments["quantity_per_week"],
                               unit=arguments["unit"], route=arguments["route"], starts_on=arguments["starts_on"],
                               agreed_price_pence=arguments["agreed_price_pence"], package_response=response,
                               outcomes=[])

    monkeypatch.setattr(plans, "plan_line_add_service", add, raising=False)
    return calls


def test_nothing_is_chosen_until_the_broker_chooses_not_even_the_cheapest(three_offers):
    request, a, b, c = three_offers
    request.deadline = days(-1)
    request.save()
    services.package_requests_close_overdue()
    request.refresh_from_db()
    assert request.status == PackageRequestStatus.OPEN and request.chosen_at is None
    assert set(request.responses.values_list("status", flat=True)) == {PackageResponseStatus.OFFERED}
    assert not PlanLine.objects.filter(package_response__isnull=False).exists()


def test_choosing_needs_the_persons_preference(three_offers, broker, fake_plan_line):
    request, a, b, c = three_offers
    before = events()
    with pytest.raises(ValidationError) as refused:
        services.package_request_choose(request=request, response=c, by=broker, person_preference="  ")
    assert "person_preference" in refused.value.message_dict
    request.refresh_from_db()
    assert request.status == PackageRequestStatus.OPEN and fake_plan_line == [] and events() == before


def test_choosing_an_offer_adds_it_to_the_plan_at_the_offered_price_and_closes_the_rest(
        three_offers, broker, fake_plan_line, e8, make_member, mailoutbox, django_capture_on_commit_callbacks):
    request, a, b, c = three_offers
    unanswered = invited(request, service(areas=[e8]))
    for response in (a, b, c, unanswered):
        provider_staff(make_member, response.listing)
    a.earliest_start = request.starts_on + datetime.timedelta(days=4)
    a.save()
    with django_capture_on_commit_callbacks(execute=True):
        line = services.package_request_choose(request=request, response=a, by=broker,
                                               person_preference="I want the carers who know my street",
                                               reason="Best quality; the person chose it")
    assert fake_plan_line == [{
        "plan": request.plan, "by": broker, "listing": a.listing, "route": request.route,
        "quantity_per_week": request.quantity_per_week, "outcomes": [], "starts_on": a.earliest_start,
        "unit": request.unit, "agreed_price_pence": 3600, "package_response": a}]
    assert line.agreed_price_pence == 3600
    request.refresh_from_db()
    assert (request.status, request.chosen_by, request.person_preference, request.choice_reason) == \
        (PackageRequestStatus.CHOSEN, broker, "I want the carers who know my street",
         "Best quality; the person chose it")
    statuses = dict(request.responses.values_list("pk", "status"))
    assert statuses == {a.pk: PackageResponseStatus.CHOSEN, b.pk: PackageResponseStatus.NOT_CHOSEN,
                        c.pk: PackageResponseStatus.NOT_CHOSEN, unanswered.pk: PackageResponseStatus.NOT_CHOSEN}
    told = {address for message in mailoutbox for address in message.to}
    assert len(mailoutbox) == 4 and len(told) == 4
    assert sum("not going ahead" in message.subject for message in mailoutbox) == 3
    assert all("Margaret" not in message.body for message in mailoutbox)


def test_an_offer_can_be_chosen_once_only(three_offers, broker, fake_plan_line):
    request, a, b, c = three_offers
    services.package_request_choose(request=request, response=a, by=broker, person_preference="Those ones")
    with pytest.raises(ValidationError):
        services.package_request_choose(request=request, response=b, by=broker, person_preference="Those")
    assert len(fake_plan_line) == 1


def test_only_an_offer_made_to_this_request_can_be_chosen(three_offers, broker, fake_plan_line, plan, e8):
    request, a, b, c = three_offers
    elsewhere = offered(request_row(plan=plan, area=e8, by=broker), service(areas=[e8]), 2000)
    declined = invited(request, service(areas=[e8]))
    declined.status = PackageResponseStatus.DECLINED
    declined.save()
    for response in (elsewhere, declined):
        with pytest.raises(ValidationError):
            services.package_request_choose(request=request, response=response, by=broker, person_preference="x")
    assert fake_plan_line == []


def test_another_brokerage_cannot_choose(three_offers, make_member, fake_plan_line):
    request, a, b, c = three_offers
    with pytest.raises(PermissionDenied):
        services.package_request_choose(request=request, response=a, by=make_member(
            Role.BROKER, BrokerOrganisationFactory()), person_preference="x")
    assert fake_plan_line == []


def test_choosing_creates_the_plan_line_at_the_offered_price(three_offers, broker):
    """Through the plans service itself."""
    request, a, b, c = three_offers
    line = services.package_request_choose(request=request, response=b, by=broker, person_preference="Near home")
    line.refresh_from_db()
    assert (line.plan_id, line.listing_id, line.agreed_price_pence, line.quantity_per_week, line.unit) == \
        (request.plan_id, b.listing_id, 2400, Decimal("10"), RateUnit.HOUR)
    assert line.package_response_id == b.pk


# Withdrawing ------------------------------------------------------------------------------------

def test_withdrawing_needs_a_reason_and_tells_the_providers(three_offers, broker, make_member, mailoutbox,
                                                            django_capture_on_commit_callbacks):
    request, a, b, c = three_offers
    for response in (a, b, c):
        provider_staff(make_member, response.listing)
    with pytest.raises(ValidationError):
        services.package_request_withdraw(request=request, by=broker, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        withdrawn = services.package_request_withdraw(request=request, by=broker, reason="Moved to a care home")
    assert withdrawn.status == PackageRequestStatus.WITHDRAWN
    assert set(request.responses.values_list("status", flat=True)) == {PackageResponseStatus.NOT_CHOSEN}
    assert len(mailoutbox) == 3


def test_a_chosen_request_cannot_be_withdrawn(three_offers, broker, fake_plan_line):
    request, a, b, c = three_offers
    services.package_request_choose(request=request, response=a, by=broker, person_preference="Those ones")
    with pytest.raises(InvalidTransition):
        services.package_request_withdraw(request=request, by=broker, reason="Changed mind")


# The deadline job -------------------------------------------------------------------------------

def test_past_the_deadline_unanswered_providers_lapse_and_no_offers_is_a_market_gap(
        plan, e8, broker, mailoutbox, django_capture_on_commit_callbacks):
    no_offers = request_row(plan=plan, area=e8, by=broker, deadline=days(-1))
    silent, said_no = invited(no_offers, service(areas=[e8])), invited(no_offers, service(areas=[e8]))
    said_no.status = PackageResponseStatus.DECLINED
    said_no.save()
    with_offer = request_row(plan=plan, area=e8, by=broker, deadline=days(-1))
    offer = offered(with_offer, service(areas=[e8]), 2400)
    quiet = invited(with_offer, service(areas=[e8]))
    not_yet = request_row(plan=plan, area=e8, by=broker, deadline=today())
    waiting = invited(not_yet, service(areas=[e8]))

    with django_capture_on_commit_callbacks(execute=True):
        assert services.package_requests_close_overdue() == 2
    for row in (no_offers, with_offer, not_yet, silent, said_no, offer, quiet, waiting):
        row.refresh_from_db()
    assert (no_offers.status, silent.status, said_no.status) == \
        (PackageRequestStatus.NO_OFFERS, PackageResponseStatus.LAPSED, PackageResponseStatus.DECLINED)
    assert no_offers.market_gap_flagged_at is not None
    assert (with_offer.status, offer.status, quiet.status) == \
        (PackageRequestStatus.OPEN, PackageResponseStatus.OFFERED, PackageResponseStatus.LAPSED)
    assert with_offer.market_gap_flagged_at is None
    assert (not_yet.status, waiting.status) == (PackageRequestStatus.OPEN, PackageResponseStatus.INVITED)
    assert [message.to for message in mailoutbox] == [[broker.email]]

    flagged_at, before = no_offers.market_gap_flagged_at, events()
    assert services.package_requests_close_overdue() == 0
    no_offers.refresh_from_db()
    assert no_offers.market_gap_flagged_at == flagged_at and events() == before


def test_the_job_runs_as_of_a_given_day(plan, e8, broker):
    request = request_row(plan=plan, area=e8, by=broker, deadline=days(3))
    assert services.package_requests_close_overdue(today=days(3)) == 0
    assert services.package_requests_close_overdue(today=days(4)) == 1
    request.refresh_from_db()
    assert request.status == PackageRequestStatus.NO_OFFERS
