"""Price negotiations through the services: opening, offers, every ending, who may act, the
reference-rate rule for providers that are not specialists, the saving, and the expiry job."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from brokerage import services
from brokerage.checks import plan_checks
from brokerage.constants import (
    LineKind,
    NegotiationReason,
    NegotiationSide,
    NegotiationStatus,
    PlanStatus,
)
from brokerage.models import BrokerageSettings, Negotiation, NegotiationOffer, PlanLine, SupportPlan
from brokerage.selectors import with_plan_details
from marketplace import money
from marketplace.constants import Role
from marketplace.models import AuditEvent
from marketplace.transitions import InvalidTransition
from tests.brokerage.factories import NegotiationOpenFactory, PersonalAssistantLineFactory
from tests.brokerage.factories_negotiations import (
    LISTED_PENCE,
    REFERENCE_PENCE,
    line_above_reference,
    open_negotiation,
    reference_rate,
)
from tests.brokerage.factories_negotiations import line, negotiation, provider_staff  # noqa: F401 (pytest fixtures)
from tests.marketplace.factories import BrokerOrganisationFactory, ProviderOrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def specialist_line(brokerage):
    return line_above_reference(brokerage=brokerage, is_specialist=True)


def events(verb=None):
    queryset = AuditEvent.objects.exclude(verb__startswith="membership.")
    return queryset.filter(verb=verb).count() if verb else queryset.count()


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


# Opening ----------------------------------------------------------------------------------------

def test_a_price_above_the_reference_rate_opens_with_the_providers_listed_price_as_first_offer(line, broker):
    negotiation = services.negotiation_open(line=line, by=broker, reason=NegotiationReason.ABOVE_REFERENCE)

    assert negotiation.status == NegotiationStatus.OPEN
    assert negotiation.provider == line.listing.organisation
    assert (negotiation.listed_price_pence, negotiation.reference_rate_pence) == (LISTED_PENCE, REFERENCE_PENCE)
    assert negotiation.provider_is_specialist is False
    assert negotiation.deadline == TODAY + datetime.timedelta(days=BrokerageSettings.load().negotiation_days)
    offers = list(negotiation.offers.all())
    assert [(o.side, o.price_pence, o.note, o.made_by) for o in offers] == \
        [(NegotiationSide.PROVIDER, LISTED_PENCE, "Listed price", broker)]
    assert events("negotiation.opened") == 1


def test_the_deadline_follows_the_councils_setting(line, broker):
    settings = BrokerageSettings.load()
    settings.negotiation_days = 3
    settings.save()
    assert open_negotiation(line, broker).deadline == TODAY + datetime.timedelta(days=3)


def test_a_quote_request_waits_for_the_provider_to_offer_first(line, broker):
    negotiation = open_negotiation(line, broker, reason=NegotiationReason.QUOTE_REQUESTED)
    assert negotiation.reason == NegotiationReason.QUOTE_REQUESTED
    assert negotiation.offers.count() == 0


def test_a_specialist_providers_flag_is_recorded(specialist_line, broker):
    assert open_negotiation(specialist_line, broker).provider_is_specialist is True


def test_opening_again_returns_the_negotiation_already_open(line, broker, officer):
    first = open_negotiation(line, broker)
    again = open_negotiation(line, officer, reason=NegotiationReason.QUOTE_REQUESTED)
    assert again.pk == first.pk
    assert Negotiation.objects.filter(line=line).count() == 1
    assert NegotiationOffer.objects.count() == 1
    assert events("negotiation.opened") == 1


def test_a_double_click_that_races_past_the_check_gets_the_one_the_database_kept(line, broker, monkeypatch):
    """Two requests both find no open negotiation; the partial unique constraint refuses the second
    row, and the second request returns the first one's negotiation."""
    from brokerage.services import negotiations as module

    real_opening_price = module._opening_price
    competitor = {}

    def another_request_commits_first(line):
        competitor["row"] = NegotiationOpenFactory(line=line)
        return real_opening_price(line)

    # Runs after the check for an open negotiation and before the insert.
    monkeypatch.setattr(module, "_opening_price", another_request_commits_first)
    negotiation = open_negotiation(line, broker)
    assert negotiation.pk == competitor["row"].pk
    assert Negotiation.objects.filter(line=line).count() == 1


def test_a_contract_officer_may_open_one(line, officer):
    assert open_negotiation(line, officer).opened_by == officer


def test_the_provider_is_emailed_after_commit_without_the_person(line, broker, make_member, mailoutbox,
                                                                   django_capture_on_commit_callbacks):
    staff = make_member(Role.PROVIDER_STAFF, line.listing.organisation)
    admin = make_member(Role.PROVIDER_ADMIN, line.listing.organisation)
    make_member(Role.PROVIDER_STAFF, ProviderOrganisationFactory())  # another provider's: not told
    with django_capture_on_commit_callbacks(execute=True):
        negotiation = open_negotiation(line, broker, note="Could you do weekday mornings for less?")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert sorted(message.to) == sorted([staff.email, admin.email])
    assert line.listing.title in message.subject
    assert f"/portal/{negotiation.provider_id}/negotiations/{negotiation.pk}/" in message.body
    person = line.plan.person
    for detail in (person.first_name, person.last_name, person.reference, person.postcode, "1939"):
        assert detail not in message.body and detail not in message.subject


def test_nothing_is_emailed_when_opening_is_refused(line, make_member, mailoutbox,
                                                    django_capture_on_commit_callbacks):
    make_member(Role.PROVIDER_STAFF, line.listing.organisation)
    stranger = UserFactory()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        open_negotiation(line, stranger)
    assert mailoutbox == []


def test_only_a_service_line_has_a_price_to_negotiate(brokerage, broker):
    plan = line_above_reference(brokerage=brokerage).plan
    assistant = PersonalAssistantLineFactory(plan=plan)
    with pytest.raises(ValidationError, match="Only a service"):
        open_negotiation(assistant, broker, reason=NegotiationReason.QUOTE_REQUESTED)
    assert assistant.kind == LineKind.PERSONAL_ASSISTANT and not Negotiation.objects.exists()


@pytest.mark.parametrize("status", [PlanStatus.SUBMITTED, PlanStatus.APPROVED, PlanStatus.REJECTED])
def test_a_plan_no_longer_being_written_cannot_open_one(line, broker, status):
    SupportPlan.objects.filter(pk=line.plan_id).update(status=status)
    with pytest.raises(ValidationError, match="no longer being written"):
        open_negotiation(line, broker)
    assert not Negotiation.objects.exists()


def test_a_returned_plan_can_open_one(line, broker):
    SupportPlan.objects.filter(pk=line.plan_id).update(status=PlanStatus.RETURNED)
    assert open_negotiation(line, broker).status == NegotiationStatus.OPEN


def test_a_price_not_above_the_reference_rate_has_nothing_to_negotiate(brokerage, broker):
    line = line_above_reference(brokerage=brokerage, listed_pence=REFERENCE_PENCE)
    with pytest.raises(ValidationError, match="not above"):
        open_negotiation(line, broker)
    # ...but a quote can still be asked for.
    assert open_negotiation(line, broker, reason=NegotiationReason.QUOTE_REQUESTED).reference_rate_pence == 2400


@pytest.mark.parametrize("who", ["stranger", "other_broker", "provider_staff"])
def test_only_the_persons_broker_or_a_contract_officer_may_open_one(line, make_member, who):
    user = {
        "stranger": lambda: UserFactory(),
        "other_broker": lambda: make_member(Role.BROKER, BrokerOrganisationFactory()),
        "provider_staff": lambda: make_member(Role.PROVIDER_STAFF, line.listing.organisation),
    }[who]()
    with pytest.raises(PermissionDenied):
        open_negotiation(line, user)
    assert not Negotiation.objects.exists() and events() == 0


def test_an_unknown_reason_is_refused(line, broker):
    with pytest.raises(ValidationError):
        open_negotiation(line, broker, reason="because")


# Offers -----------------------------------------------------------------------------------------

def test_each_side_offers_as_itself(negotiation, broker, provider_staff, officer):
    purchaser = services.negotiation_offer(negotiation=negotiation, by=broker, price_pence=2300, note="Our best")
    provider = services.negotiation_offer(negotiation=negotiation, by=provider_staff, price_pence=2500)
    council = services.negotiation_offer(negotiation=negotiation, by=officer, price_pence=2350)
    assert [(o.side, o.price_pence, o.made_by) for o in (purchaser, provider, council)] == [
        (NegotiationSide.PURCHASER, 2300, broker), (NegotiationSide.PROVIDER, 2500, provider_staff),
        (NegotiationSide.PURCHASER, 2350, officer)]
    assert purchaser.note == "Our best"
    assert events("negotiation.offer_made") == 3


@pytest.mark.parametrize("who", ["stranger", "other_broker", "other_provider"])
def test_someone_on_neither_side_cannot_offer(negotiation, make_member, who):
    user = {
        "stranger": lambda: UserFactory(),
        "other_broker": lambda: make_member(Role.BROKER, BrokerOrganisationFactory()),
        "other_provider": lambda: make_member(Role.PROVIDER_ADMIN, ProviderOrganisationFactory()),
    }[who]()
    before = events()
    with pytest.raises(PermissionDenied):
        services.negotiation_offer(negotiation=negotiation, by=user, price_pence=2400)
    assert negotiation.offers.count() == 1 and events() == before


@pytest.mark.parametrize("price", [0, -100, "24.50", 24.5, None, True])
def test_an_offer_must_be_whole_pence_above_nothing(negotiation, broker, price):
    with pytest.raises(ValidationError) as error:
        services.negotiation_offer(negotiation=negotiation, by=broker, price_pence=price)
    assert "price_pence" in error.value.message_dict
    assert negotiation.offers.count() == 1


def test_a_counter_offer_after_the_deadline_is_refused(negotiation, provider_staff):
    Negotiation.objects.filter(pk=negotiation.pk).update(deadline=TODAY - datetime.timedelta(days=1))
    with pytest.raises(ValidationError, match="deadline"):
        services.negotiation_offer(negotiation=negotiation, by=provider_staff, price_pence=2400)
    assert negotiation.offers.count() == 1


def test_an_offer_on_the_deadline_day_is_still_taken(negotiation, provider_staff):
    Negotiation.objects.filter(pk=negotiation.pk).update(deadline=TODAY)
    services.negotiation_offer(negotiation=negotiation, by=provider_staff, price_pence=2400)
    assert negotiation.offers.count() == 2


def test_the_purchaser_cannot_offer_a_non_specialist_more_than_the_reference_rate(negotiation, broker):
    with pytest.raises(ValidationError) as error:
        services.negotiation_offer(negotiation=negotiation, by=broker, price_pence=2450)
    assert "£24.00" in error.value.message_dict["price_pence"][0]


def test_the_purchaser_may_offer_a_specialist_more_than_the_reference_rate(specialist_line, broker):
    negotiation = open_negotiation(specialist_line, broker)
    assert services.negotiation_offer(negotiation=negotiation, by=broker, price_pence=2550).price_pence == 2550


def test_a_provider_may_offer_above_the_reference_rate_though_it_cannot_be_agreed(negotiation, provider_staff):
    assert services.negotiation_offer(negotiation=negotiation, by=provider_staff, price_pence=2600).price_pence == 2600


# Accepting --------------------------------------------------------------------------------------

def test_agreeing_records_the_price_on_the_line_and_the_yearly_saving(negotiation, broker, provider_staff, line):
    # £26.50 listed, £24.00 agreed, 10 hours a week: £2.50 × 10 = £25.00 a week, × 52 = £1,300.00 a year.
    assert money.WEEKS_PER_YEAR == Decimal("52")
    services.negotiation_offer(negotiation=negotiation, by=broker, price_pence=2400)
    agreed = services.negotiation_accept(negotiation=negotiation, by=provider_staff, note="Fine for a block booking")

    assert agreed.status == NegotiationStatus.AGREED
    assert agreed.agreed_price_pence == 2400
    assert agreed.annual_saving_pence == 130000
    assert money.format_pence(agreed.annual_saving_pence) == "£1,300.00"
    assert (agreed.closed_by, agreed.closing_note) == (provider_staff, "Fine for a block booking")
    assert agreed.closed_at is not None
    assert fresh(line).agreed_price_pence == 2400
    assert fresh(line).listed_price_pence == LISTED_PENCE
    assert events("negotiation.agreed") == 1 and events("plan_line.price_agreed") == 1


def test_the_saving_is_rounded_once_a_week_and_once_a_year(brokerage, broker, make_member):
    # £0.03 × 7.5 hours = 22.5p → 23p a week; × 52 = £11.96 a year.
    line = line_above_reference(brokerage=brokerage, listed_pence=2403, quantity="7.5")
    negotiation = open_negotiation(line, broker)
    services.negotiation_offer(negotiation=negotiation, by=broker, price_pence=2400)
    staff = make_member(Role.PROVIDER_STAFF, line.listing.organisation)
    assert services.negotiation_accept(negotiation=negotiation, by=staff).annual_saving_pence == 1196


def test_a_non_specialist_price_above_the_reference_rate_is_never_agreed(negotiation, broker, line):
    with pytest.raises(ValidationError) as error:
        services.negotiation_accept(negotiation=negotiation, by=broker)
    assert "£24.00" in error.value.messages[0] and "reference rate" in error.value.messages[0]
    assert fresh(negotiation).status == NegotiationStatus.OPEN
    assert fresh(line).agreed_price_pence == LISTED_PENCE
    assert events("negotiation.agreed") == 0


def test_a_specialist_price_above_the_reference_rate_can_be_agreed(specialist_line, broker):
    negotiation = open_negotiation(specialist_line, broker)
    agreed = services.negotiation_accept(negotiation=negotiation, by=broker)
    assert agreed.status == NegotiationStatus.AGREED
    assert agreed.agreed_price_pence == LISTED_PENCE and agreed.annual_saving_pence == 0
    assert fresh(specialist_line).agreed_price_pence == LISTED_PENCE


def test_a_specialist_flag_taken_away_since_opening_no_longer_lets_the_price_through(specialist_line, broker):
    negotiation = open_negotiation(specialist_line, broker)
    listing = specialist_line.listing
    listing.is_specialist = False
    listing.save(update_fields=["is_specialist"])
    with pytest.raises(ValidationError, match="reference rate"):
        services.negotiation_accept(negotiation=negotiation, by=broker)


def test_an_agreed_price_at_the_reference_rate_clears_the_plans_price_check(brokerage, broker, make_member):
    line = line_above_reference(brokerage=brokerage, ready=True)
    negotiation = open_negotiation(line, broker)
    services.negotiation_offer(negotiation=negotiation, by=broker, price_pence=REFERENCE_PENCE)
    services.negotiation_accept(negotiation=negotiation, by=make_member(Role.PROVIDER_STAFF, line.listing.organisation))
    plan = with_plan_details(SupportPlan.objects.filter(pk=line.plan_id)).get()
    codes = {problem.code for problem in plan_checks(plan)}
    assert not codes & {"negotiation_open", "negotiation_declined", "above_reference"}


def test_you_cannot_accept_your_own_sides_offer(negotiation, broker, provider_staff):
    with pytest.raises(ValidationError, match="Wait for the broker's answer"):
        services.negotiation_accept(negotiation=negotiation, by=provider_staff)
    services.negotiation_offer(negotiation=negotiation, by=broker, price_pence=2400)
    with pytest.raises(ValidationError, match="Wait for the provider's answer"):
        services.negotiation_accept(negotiation=negotiation, by=broker)
    assert fresh(negotiation).status == NegotiationStatus.OPEN


def test_nothing_can_be_accepted_before_the_provider_quotes(line, broker):
    negotiation = open_negotiation(line, broker, reason=NegotiationReason.QUOTE_REQUESTED)
    with pytest.raises(ValidationError, match="has not quoted"):
        services.negotiation_accept(negotiation=negotiation, by=broker)


def test_a_quote_can_be_agreed(brokerage, broker, make_member):
    line = line_above_reference(brokerage=brokerage, listed_pence=2300)
    staff = make_member(Role.PROVIDER_STAFF, line.listing.organisation)
    negotiation = open_negotiation(line, broker, reason=NegotiationReason.QUOTE_REQUESTED)
    services.negotiation_offer(negotiation=negotiation, by=staff, price_pence=2200, note="Our quote")
    agreed = services.negotiation_accept(negotiation=negotiation, by=broker)
    assert (agreed.agreed_price_pence, agreed.annual_saving_pence) == (2200, 52000)
    assert fresh(line).agreed_price_pence == 2200


def test_accepting_after_the_deadline_is_refused(negotiation, broker, provider_staff):
    services.negotiation_offer(negotiation=negotiation, by=broker, price_pence=2400)
    Negotiation.objects.filter(pk=negotiation.pk).update(deadline=TODAY - datetime.timedelta(days=1))
    with pytest.raises(ValidationError, match="deadline"):
        services.negotiation_accept(negotiation=negotiation, by=provider_staff)
    assert fresh(negotiation).status == NegotiationStatus.OPEN


def test_someone_on_neither_side_cannot_accept(negotiation, broker, make_member):
    services.negotiation_offer(negotiation=negotiation, by=broker, price_pence=2400)
    other = make_member(Role.PROVIDER_STAFF, ProviderOrganisationFactory())
    with pytest.raises(PermissionDenied):
        services.negotiation_accept(negotiation=negotiation, by=other)
    assert fresh(negotiation).status == NegotiationStatus.OPEN


# Declining and withdrawing ----------------------------------------------------------------------

def test_a_provider_declines_with_a_reason(negotiation, provider_staff):
    declined = services.negotiation_decline(negotiation=negotiation, by=provider_staff, reason="Our costs")
    assert declined.status == NegotiationStatus.DECLINED
    assert (declined.closed_by, declined.closing_note) == (provider_staff, "Our costs")
    assert events("negotiation.declined") == 1


def test_a_declined_non_specialist_negotiation_blocks_the_line(brokerage, broker, make_member):
    line = line_above_reference(brokerage=brokerage, ready=True)
    negotiation = open_negotiation(line, broker)
    staff = make_member(Role.PROVIDER_STAFF, line.listing.organisation)
    services.negotiation_decline(negotiation=negotiation, by=staff, reason="We will not go lower")

    plan = with_plan_details(SupportPlan.objects.filter(pk=line.plan_id)).get()
    problems = [problem for problem in plan_checks(plan) if problem.line is not None and problem.line.pk == line.pk]
    assert [problem.code for problem in problems] == ["negotiation_declined"]
    assert "change provider or reduce the service" in problems[0].message
    assert fresh(line).agreed_price_pence == LISTED_PENCE


def test_a_declined_specialist_negotiation_leaves_the_listed_price_for_the_officer(brokerage, broker, make_member):
    line = line_above_reference(brokerage=brokerage, is_specialist=True, ready=True)
    negotiation = open_negotiation(line, broker)
    staff = make_member(Role.PROVIDER_STAFF, line.listing.organisation)
    services.negotiation_decline(negotiation=negotiation, by=staff, reason="Specialist staff cost more")
    plan = with_plan_details(SupportPlan.objects.filter(pk=line.plan_id)).get()
    assert "negotiation_declined" not in {problem.code for problem in plan_checks(plan)}


def test_an_open_negotiation_blocks_the_plan(brokerage, broker):
    line = line_above_reference(brokerage=brokerage, is_specialist=True, ready=True)
    open_negotiation(line, broker)
    plan = with_plan_details(SupportPlan.objects.filter(pk=line.plan_id)).get()
    assert "negotiation_open" in {problem.code for problem in plan_checks(plan)}


def test_only_the_provider_declines(negotiation, broker):
    with pytest.raises(PermissionDenied):
        services.negotiation_decline(negotiation=negotiation, by=broker, reason="No")
    assert fresh(negotiation).status == NegotiationStatus.OPEN


@pytest.mark.parametrize("reason", ["", "   "])
def test_declining_needs_a_reason(negotiation, provider_staff, reason):
    with pytest.raises(ValidationError) as error:
        services.negotiation_decline(negotiation=negotiation, by=provider_staff, reason=reason)
    assert "reason" in error.value.message_dict
    assert fresh(negotiation).status == NegotiationStatus.OPEN


def test_the_purchaser_withdraws_with_a_reason(negotiation, officer):
    withdrawn = services.negotiation_withdraw(negotiation=negotiation, by=officer, reason="Person chose another")
    assert withdrawn.status == NegotiationStatus.WITHDRAWN and withdrawn.closed_by == officer
    assert events("negotiation.withdrawn") == 1


def test_only_the_purchaser_withdraws(negotiation, provider_staff):
    with pytest.raises(PermissionDenied):
        services.negotiation_withdraw(negotiation=negotiation, by=provider_staff, reason="No")
    assert fresh(negotiation).status == NegotiationStatus.OPEN


def test_withdrawing_needs_a_reason(negotiation, broker):
    with pytest.raises(ValidationError) as error:
        services.negotiation_withdraw(negotiation=negotiation, by=broker, reason="")
    assert "reason" in error.value.message_dict


# Every move from an ended negotiation -----------------------------------------------------------

def _end(negotiation, status, broker, staff):
    if status == NegotiationStatus.AGREED:
        services.negotiation_offer(negotiation=negotiation, by=broker, price_pence=2400)
        services.negotiation_accept(negotiation=negotiation, by=staff)
    elif status == NegotiationStatus.DECLINED:
        services.negotiation_decline(negotiation=negotiation, by=staff, reason="No")
    elif status == NegotiationStatus.WITHDRAWN:
        services.negotiation_withdraw(negotiation=negotiation, by=broker, reason="Changed provider")
    else:
        Negotiation.objects.filter(pk=negotiation.pk).update(deadline=TODAY - datetime.timedelta(days=1))
        services.negotiations_expire_overdue()
    return fresh(negotiation)


ENDED = [NegotiationStatus.AGREED, NegotiationStatus.DECLINED, NegotiationStatus.WITHDRAWN,
         NegotiationStatus.EXPIRED]
MOVES = ["offer_by_provider", "offer_by_purchaser", "accept", "decline", "withdraw"]


@pytest.mark.parametrize("status", ENDED)
@pytest.mark.parametrize("move", MOVES)
def test_an_ended_negotiation_cannot_move_again(negotiation, broker, provider_staff, line, status, move):
    ended = _end(negotiation, status, broker, provider_staff)
    assert ended.status == status
    line_price, offers, before = fresh(line).agreed_price_pence, ended.offers.count(), events()
    call = {
        "offer_by_provider": lambda: services.negotiation_offer(negotiation=ended, by=provider_staff, price_pence=2300),
        "offer_by_purchaser": lambda: services.negotiation_offer(negotiation=ended, by=broker, price_pence=2300),
        "accept": lambda: services.negotiation_accept(negotiation=ended, by=broker),
        "decline": lambda: services.negotiation_decline(negotiation=ended, by=provider_staff, reason="No"),
        "withdraw": lambda: services.negotiation_withdraw(negotiation=ended, by=broker, reason="Changed"),
    }[move]
    repeat = (move, status) in {("decline", NegotiationStatus.DECLINED), ("withdraw", NegotiationStatus.WITHDRAWN)}
    if repeat:
        # The same ending twice (a second click) changes nothing and raises nothing.
        assert call().status == status
    else:
        with pytest.raises(InvalidTransition):
            call()
    assert fresh(negotiation).status == status
    assert (fresh(line).agreed_price_pence, ended.offers.count(), events()) == (line_price, offers, before)


# The expiry job ---------------------------------------------------------------------------------

def test_the_job_expires_only_open_negotiations_past_their_deadline(brokerage, broker):
    overdue = open_negotiation(line_above_reference(brokerage=brokerage), broker)
    due_today = open_negotiation(line_above_reference(brokerage=brokerage), broker)
    later = open_negotiation(line_above_reference(brokerage=brokerage), broker)
    agreed_late = NegotiationOpenFactory(line=line_above_reference(brokerage=brokerage),
                                         status=NegotiationStatus.AGREED, agreed_price_pence=2400)
    Negotiation.objects.filter(pk__in=[overdue.pk, agreed_late.pk]).update(deadline=TODAY - datetime.timedelta(days=1))
    Negotiation.objects.filter(pk=due_today.pk).update(deadline=TODAY)

    assert services.negotiations_expire_overdue() == 1

    assert fresh(overdue).status == NegotiationStatus.EXPIRED and fresh(overdue).closed_at is not None
    assert [fresh(n).status for n in (due_today, later, agreed_late)] == \
        [NegotiationStatus.OPEN, NegotiationStatus.OPEN, NegotiationStatus.AGREED]
    event = AuditEvent.objects.get(verb="negotiation.expired")
    assert event.actor is None and event.target_id == str(overdue.pk)


def test_the_expiry_job_is_idempotent(negotiation):
    Negotiation.objects.filter(pk=negotiation.pk).update(deadline=TODAY - datetime.timedelta(days=2))
    assert services.negotiations_expire_overdue() == 1
    assert services.negotiations_expire_overdue() == 0
    assert events("negotiation.expired") == 1


def test_the_expiry_job_takes_the_day_it_is_given(negotiation):
    assert services.negotiations_expire_overdue(today=negotiation.deadline) == 0
    assert services.negotiations_expire_overdue(today=negotiation.deadline + datetime.timedelta(days=1)) == 1


def test_the_scheduled_task_runs_the_job(negotiation):
    from brokerage.tasks import expire_negotiations

    Negotiation.objects.filter(pk=negotiation.pk).update(deadline=TODAY - datetime.timedelta(days=1))
    assert expire_negotiations() == 1


def test_the_reference_rate_used_is_the_one_in_force(brokerage, broker):
    line = line_above_reference(brokerage=brokerage)
    reference_rate(2700)  # the council raised it: the listed price is no longer above it
    with pytest.raises(ValidationError, match="not above"):
        open_negotiation(line, broker)
    assert PlanLine.objects.get(pk=line.pk).agreed_price_pence == LISTED_PENCE
