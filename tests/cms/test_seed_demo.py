import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from wagtail.models import Page, Revision

from brokerage.models import ApprovalLimit, Person, SupportPlan
from cms import demo_data
from cms.models import AdviceIndexPage, AdvicePage
from marketplace.constants import Role
from marketplace.models import AuditEvent, Membership, Organisation, User
from providers.constants import AccreditationStatus
from providers.constants import SpecialistClaimStatus
from providers.models import Accreditation, RateCard, ServiceListing, SpecialistClaim, in_force_q
from providers.pricing import reference_rates_now
from providers.selectors import directory_counts, public_listings

SCALE = "0.02"
POSTCODE = re.compile(r"^(E2|E5|E8|E9|N1|N16) [0-9][ABD-HJLNP-UW-Z]{2}$")
MODELS = [Organisation, Accreditation, ServiceListing, RateCard, Person, User, Membership, AuditEvent, Page,
          Revision]


def seed(*args):
    out = io.StringIO()
    call_command("seed_demo", "--scale", SCALE, "--no-progress", *args, stdout=out)
    return out.getvalue()


def table_counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def capture():
    """What should be the same for the same seed: names and prices."""
    return {
        "organisations": list(Organisation.objects.order_by("slug").values_list("slug", "name", "postcode")),
        "rates": list(RateCard.objects.order_by("listing__reference").values_list(
            "listing__reference", "contract_rate_pence", "direct_payment_rate_pence")),
        "people": list(Person.objects.order_by("reference").values_list(
            "reference", "first_name", "last_name", "postcode", "client_group", "broker_organisation__slug")),
    }


class _RolledBack(Exception):
    pass


def seed_in_fresh_database(*args):
    """Seed, capture, then roll the whole seed back, leaving the database as it was."""
    captured = None
    try:
        with transaction.atomic():
            seed(*args)
            captured = capture()
            raise _RolledBack
    except _RolledBack:
        pass
    assert not Organisation.objects.filter(slug=demo_data.COUNCIL_SLUG).exists()
    return captured


@pytest.mark.django_db
def test_counts_scale_as_documented():
    output = seed()

    expected = demo_data.expected_totals(Decimal(SCALE))
    # 295×0.02 → 6 providers, and at least 1 of every other kind of organisation.
    assert expected == {"approved_providers": 7, "approved_brokers": 2, "not_approved": 2, "people": 40}
    assert directory_counts()["providers"] == expected["approved_providers"]
    assert directory_counts()["brokers"] == expected["approved_brokers"]
    assert Organisation.objects.filter(is_provider=True, is_broker=True).filter(in_force_q()).count() == 1
    assert Person.objects.count() == 40
    assert "Created" in output and demo_data.DEMO_PASSWORD in output

    council = Organisation.objects.get(slug="demo-council")
    assert council.name == "Mixed Market Borough Council"
    assert council.is_council and council.is_broker and not council.is_provider

    index = AdviceIndexPage.objects.get(slug="advice")
    pages = AdvicePage.objects.child_of(index).live()
    assert sorted(pages.values_list("title", flat=True)) == [
        "Choosing a provider", "Ways to take your budget", "What is a personal budget"]
    assert all(not page.has_unpublished_changes for page in pages)


@pytest.mark.django_db
def test_organisations_people_and_listings_look_real():
    seed()
    today = timezone.localdate()

    for org in Organisation.objects.exclude(slug="demo-council").prefetch_related("listings__category"):
        assert POSTCODE.match(org.postcode), org.postcode
        assert org.email and org.telephone.startswith("020 7946 0")
        categories = [listing.category.slug for listing in org.listings.all()]
        provider_kinds = set(categories) - {"support-planning"}
        assert (1 <= len(provider_kinds) <= 5) if org.is_provider else provider_kinds == set()
        assert all(categories.count(slug) <= 5 for slug in provider_kinds)
        assert categories.count("support-planning") == int(org.is_broker)
        for listing in org.listings.all():
            assert listing.reference.startswith(f"demo-{org.slug}-")

    for accreditation in Accreditation.objects.filter(status=AccreditationStatus.APPROVED):
        assert accreditation.approved_at <= timezone.now()
        assert today + datetime.timedelta(days=28) <= accreditation.expires_on <= today + datetime.timedelta(days=731)

    for person in Person.objects.all():
        assert re.fullmatch(r"P\d{6}", person.reference)
        assert POSTCODE.match(person.postcode), person.postcode
        age = today.year - person.date_of_birth.year - (
            (today.month, today.day) < (person.date_of_birth.month, person.date_of_birth.day))
        assert 18 <= age <= 98
        if person.broker_organisation is None:
            assert not person.consent_to_share
        else:
            assert person.broker_organisation.is_broker


@pytest.mark.django_db
def test_second_run_adds_nothing():
    seed()
    before = table_counts()

    output = seed()

    assert table_counts() == before
    assert "nothing to add" in output
    assert AuditEvent.objects.filter(verb="demo.seed").count() == 1


@pytest.mark.django_db
def test_one_audit_event_for_the_seed():
    seed()

    event = AuditEvent.objects.get(verb="demo.seed")
    council = Organisation.objects.get(slug="demo-council")
    assert event.actor is None and event.target_id == str(council.pk)
    assert event.after["seed"] == 2026 and event.after["scale"] == SCALE
    assert event.after["created"]["people"] == 40


@pytest.mark.django_db
def test_same_seed_gives_the_same_data_and_another_seed_different_data():
    first = seed_in_fresh_database()
    again = seed_in_fresh_database()
    other = seed_in_fresh_database("--seed", "7")

    assert first == again
    assert first["rates"] and first["people"]
    assert other["organisations"] != first["organisations"]
    assert other["rates"] != first["rates"]
    assert other["people"] != first["people"]


def test_the_plan_is_deterministic_without_a_database():
    today = datetime.date(2026, 6, 1)
    first = demo_data.build_plan(2026, Decimal(1), today)
    again = demo_data.build_plan(2026, Decimal(1), today)

    def rates(plan):
        return [(listing.reference, listing.contract_rate_pence, listing.direct_payment_rate_pence)
                for _, listing in plan.listings]

    assert rates(first) == rates(again)
    assert [org.name for org in first.organisations] == [org.name for org in again.organisations]
    assert len({org.slug for org in first.organisations}) == len(first.organisations) == 350
    assert len(first.people) == 2000
    assert 2400 < len(first.listings) < 3400


@pytest.mark.django_db
def test_a_different_seed_over_existing_demo_data_is_refused():
    seed()

    with pytest.raises(CommandError, match="--seed 2026"):
        seed("--seed", "7")


@pytest.mark.parametrize("scale", ["0", "-1", "abc", "NaN"])
def test_scale_must_be_a_positive_number(scale):
    with pytest.raises(CommandError):
        call_command("seed_demo", "--scale", scale, stdout=io.StringIO())


@pytest.mark.django_db
def test_rates_are_in_range_and_direct_payments_cost_less():
    seed()
    today = timezone.localdate()

    cards = RateCard.objects.select_related("listing__category")
    assert cards.count() == ServiceListing.objects.count()
    for card in cards:
        assert isinstance(card.contract_rate_pence, int)
        assert 0 < card.direct_payment_rate_pence < card.contract_rate_pence
        assert card.effective_to is None
        assert today - datetime.timedelta(days=366) <= card.effective_from < today
        if "specialist" not in card.listing.title.lower():
            if card.listing.category.slug == "homecare":
                assert 2300 <= card.contract_rate_pence <= 3200
                assert card.direct_payment_rate_pence <= card.contract_rate_pence * 85 // 100 + 1
            if card.listing.category.slug == "personal-assistants":
                assert 1200 <= card.direct_payment_rate_pence <= 1600


def test_specialist_prices_are_higher_across_a_full_plan():
    plan = demo_data.build_plan(2026, Decimal(1), datetime.date(2026, 6, 1))
    homecare = [listing for _, listing in plan.listings if listing.category == "homecare"]
    specialist = [listing for listing in homecare if listing.specialist]
    assert specialist and all("specialist" in listing.title.lower() for listing in specialist)
    assert all(2300 <= listing.contract_rate_pence <= 3200 for listing in homecare if not listing.specialist)
    assert all(2760 <= listing.contract_rate_pence <= 4640 for listing in specialist)
    share = len([listing for _, listing in plan.listings if listing.specialist]) * 100 // len(plan.listings)
    assert 5 <= share <= 15


@pytest.mark.django_db
def test_every_category_has_a_published_listing():
    seed()

    for slug in demo_data.CATEGORY_SLUGS:
        assert public_listings().filter(category__slug=slug).exists(), slug
    assert len(demo_data.CATEGORY_SLUGS) == 10


@pytest.mark.django_db
def test_not_approved_organisations_are_not_approved():
    seed()

    not_approved = Organisation.objects.filter(
        accreditation__status__in=[AccreditationStatus.APPLIED, AccreditationStatus.SUSPENDED])
    assert not_approved.count() == demo_data.expected_totals(Decimal(SCALE))["not_approved"]
    assert not not_approved.filter(in_force_q()).exists()
    assert not public_listings().filter(organisation__in=not_approved).exists()
    applied = Accreditation.objects.filter(status=AccreditationStatus.APPLIED)
    assert applied.exists() and not applied.exclude(approved_at=None).exists()


@pytest.mark.django_db
def test_every_demo_user_can_log_in_and_has_the_expected_role(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; login is the same
    seed()
    broker_org = Organisation.objects.get(memberships__user__username="broker")

    for spec in demo_data.DEMO_USERS:
        user = User.objects.get(username=spec.username)
        assert user.email == f"{spec.username}@demo.mixedmarket.test"
        assert client.login(username=spec.username, password="mixed-market-demo"), spec.username
        client.logout()
        roles = set(user.memberships.values_list("role", flat=True))
        assert roles == ({spec.role} if spec.role else set()), spec.username

    def organisation_of(username):
        return Membership.objects.get(user__username=username).organisation

    assert broker_org.is_broker and not broker_org.is_council
    assert organisation_of("council-broker").slug == "demo-council"
    for username in ("contracts", "finance", "editor"):
        assert organisation_of(username).slug == "demo-council"
    assert organisation_of("provider") == organisation_of("provider-admin")
    assert organisation_of("provider").is_provider
    assert Organisation.objects.filter(in_force_q(), pk=organisation_of("provider").pk).exists()
    assert User.objects.get(username="broker").groups.filter(name="Brokers").exists()
    assert User.objects.get(username="contracts").has_perm("wagtailadmin.access_admin")

    person = Person.objects.get(user__username="person")
    assert person.broker_organisation == broker_org and person.consent_to_share
    represented = Person.objects.get(representative__username="representative")
    assert represented != person and represented.broker_organisation == broker_org
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert Membership.objects.filter(user__username="provider-admin", role=Role.PROVIDER_ADMIN).exists()


@pytest.mark.django_db
def test_services_have_what_the_directory_filters_on_and_claims_add_up():
    seed()

    listings = ServiceListing.objects.prefetch_related("areas", "languages", "client_group_rows")
    for listing in listings:
        assert listing.client_group_rows.all(), listing.reference
        assert listing.areas.all(), listing.reference
        assert "en" in [language.code for language in listing.languages.all()]
        assert listing.organisation.name in listing.search_document
    accepted = SpecialistClaim.objects.filter(status=SpecialistClaimStatus.ACCEPTED)
    assert set(ServiceListing.objects.filter(is_specialist=True)) == {claim.listing for claim in accepted}
    for claim in SpecialistClaim.objects.prefetch_related("cost_lines"):
        assert 0 < claim.total_pence() <= claim.rate_pence
        assert claim.cost_lines.filter(kind="staff").exists()
    assert reference_rates_now()  # every category has a usual cost today
    for accreditation in Accreditation.objects.filter(status=AccreditationStatus.APPROVED):
        assert accreditation.approval_problems() == []


@pytest.mark.django_db
def test_the_demo_person_has_an_indicative_budget_from_a_completed_assessment():
    seed()

    person = Person.objects.get(user__username="person")
    budget = person.budgets.get(kind="indicative")
    assert budget.assessment.status == "completed" and budget.ras_version.status == "active"
    assert budget.weekly_contribution_pence == demo_data.DEMO_CONTRIBUTION_PENCE
    assert budget.weekly_council_pence == budget.weekly_total_pence - budget.weekly_contribution_pence > 0


@pytest.mark.django_db
def test_the_demo_brokers_people_have_plans_approved_waiting_and_being_negotiated():
    seed()

    person = Person.objects.get(user__username="person")
    approved = person.plans.get()
    assert approved.status == "approved" and approved.agreed_budget.kind == "agreed"
    assert approved.decided_by.username == "contracts"
    waiting = Person.objects.get(representative__username="representative").plans.get()
    assert waiting.status == "submitted"
    negotiating = SupportPlan.objects.get(status="draft")
    negotiation = negotiating.lines.get().negotiations.get()
    assert negotiation.status == "open"
    assert negotiation.provider.memberships.filter(user__username="provider").exists()
    assert ApprovalLimit.objects.get(officer__username="contracts").weekly_limit_pence == \
        demo_data.DEMO_APPROVAL_LIMIT_PENCE


@pytest.mark.django_db
def test_the_demo_persons_isf_is_accepted_paid_and_invoiced():
    from isf.constants import ContractStatus, InvoiceStatus, PaymentStatus
    from isf.models import Invoice, IsfContract, Payment

    seed()

    contract = IsfContract.objects.get(person__user__username="person")
    assert contract.status == ContractStatus.ACTIVE
    assert contract.provider.memberships.filter(user__username="provider").exists()
    payments = list(Payment.objects.filter(contract=contract).order_by("period_start"))
    # Support started three weeks ago: this four-week period and the next (due a week ahead) are paid.
    assert [payment.period_start for payment in payments] == [
        contract.starts_on, contract.starts_on + datetime.timedelta(weeks=4)]
    assert {payment.status for payment in payments} == {PaymentStatus.SENT}
    invoice = Invoice.objects.get(contract=contract)
    assert invoice.status == InvoiceStatus.VALIDATED and invoice.number == "DEMO-0001"


@pytest.mark.django_db
def test_the_demo_people_have_a_history_the_dashboards_can_show():
    from brokerage.models import ArrangedService, SupportPlan
    from cms.insight import sds
    from cms.insight.filters import Filters

    seed()
    # 40 people at this scale: the first three are the demo broker's; the rest have a history.
    assert ArrangedService.objects.exists()
    assert SupportPlan.objects.filter(status="approved", lines__route="managed_budget").exists()
    latest = sds.self_directed_support(Filters.default()).rows[-1]
    ni130 = latest[1]
    assert 0 < ni130 < 100
    before = (ArrangedService.objects.count(), SupportPlan.objects.count())
    seed()
    assert (ArrangedService.objects.count(), SupportPlan.objects.count()) == before
