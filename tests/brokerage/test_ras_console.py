"""The council console's Resource Allocation System pages: contract officers only."""

from decimal import Decimal

import pytest

from brokerage.constants import ClientGroup, NeedDomain, NeedLevel, RasMethod, RasVersionStatus
from brokerage.models import RasPoints, RasTypicalService, RasVersion
from marketplace.constants import Role
from marketplace.models import AuditEvent
from providers.constants import RateUnit
from tests.brokerage.factories import cost_version, points_version
from tests.providers.factories import homecare

pytestmark = pytest.mark.django_db

INDEX_URL = "/admin/ras/"


@pytest.fixture
def officer(council, make_member):
    return make_member(Role.CONTRACT_OFFICER, council)


def detail_url(version):
    return f"{INDEX_URL}{version.pk}/"


def points_form(version=None, **overrides):
    """The points grid as the page posts it: every domain × level, factors and the value a point."""
    data = {f"points_{d}_{lv}": str(lv * 5) for d in NeedDomain.values for lv in NeedLevel.values}
    data.update({f"factor_{g}": "1.000" for g in ClientGroup.values})
    data.update(pence_per_point="3.00", action="save")
    data.update(overrides)
    return data


def rows_form(rows, total=12):
    data = {"rows-TOTAL_FORMS": str(total), "rows-INITIAL_FORMS": "0", "rows-MIN_NUM_FORMS": "0",
            "rows-MAX_NUM_FORMS": "1000", "action": "save"}
    for index in range(total):
        row = rows[index] if index < len(rows) else {}
        for name in ("domain", "level", "category", "unit", "quantity_per_week"):
            data[f"rows-{index}-{name}"] = str(row.get(name, ""))
    return data


def state(version):
    version.refresh_from_db()
    return (version.status, version.pence_per_point,
            sorted(version.points.values_list("domain", "level", "points")),
            sorted((g, str(f)) for g, f in version.factors.values_list("client_group", "factor")),
            sorted(version.typical_services.values_list("domain", "level", "category_id", "unit")),
            AuditEvent.objects.count())


def test_officer_sees_versions_by_method_with_budget_counts(client, officer):
    client.force_login(officer)
    response = client.get(INDEX_URL)
    assert response.status_code == 200
    assert "Points-based" in response.text and "Cost-based" in response.text
    assert "Starting points table" in response.text and "Starting typical services" in response.text
    assert "In use" in response.text
    assert INDEX_URL in client.get("/admin/").text


def test_officer_makes_a_new_version_copied_from_the_one_in_use(client, officer):
    active = RasVersion.objects.get(method=RasMethod.POINTS, status=RasVersionStatus.ACTIVE)
    client.force_login(officer)
    response = client.post(INDEX_URL, {"method": "points", "points-name": "2027 uplift", "points-notes": "Uplift"})
    version = RasVersion.objects.get(method=RasMethod.POINTS, name="2027 uplift")
    assert response.status_code == 302 and response["Location"] == detail_url(version)
    assert version.status == RasVersionStatus.DRAFT and version.number == active.number + 1
    assert version.pence_per_point == active.pence_per_point
    assert sorted(version.points.values_list("domain", "level", "points")) == \
        sorted(active.points.values_list("domain", "level", "points"))


def test_a_new_version_needs_a_name(client, officer):
    client.force_login(officer)
    before = RasVersion.objects.count()
    response = client.post(INDEX_URL, {"method": "cost", "cost-name": ""})
    assert response.status_code == 400 and "Enter a name for the version" in response.text
    assert RasVersion.objects.count() == before


def test_officer_edits_the_points_grid_of_a_draft(client, officer):
    draft = points_version(status=RasVersionStatus.DRAFT)
    client.force_login(officer)
    page = client.get(detail_url(draft))
    assert page.status_code == 200
    assert 'name="points_personal_care_3"' in page.text and 'value="15"' in page.text
    response = client.post(detail_url(draft), points_form(points_mobility_3="40", factor_carer="1.250"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.pence_per_point == 300
    assert RasPoints.objects.get(version=draft, domain="mobility", level=3).points == 40
    assert draft.factors.get(client_group="carer").factor == Decimal("1.250")


@pytest.mark.parametrize("overrides, message", [
    ({"points_mobility_3": "abc"}, "must be a whole number"),
    ({"points_mobility_3": "-2"}, "must be 0 or more"),
    ({"factor_carer": "0"}, "must be more than 0"),
    ({"pence_per_point": "1.234"}, "in pounds and pence"),
    ({"pence_per_point": "0"}, "must be more than £0"),
])
def test_bad_numbers_change_nothing(client, officer, overrides, message):
    draft = points_version(status=RasVersionStatus.DRAFT)
    client.force_login(officer)
    before = state(draft)
    response = client.post(detail_url(draft), points_form(**overrides))
    assert response.status_code == 400 and message in response.text
    assert state(draft) == before


def test_officer_sets_typical_services_with_blank_rows_for_adding(client, officer):
    draft = cost_version(status=RasVersionStatus.DRAFT)
    client.force_login(officer)
    page = client.get(detail_url(draft))
    assert page.status_code == 200
    assert page.text.count('name="rows-') >= 10 * 5
    rows = [{"domain": "personal_care", "level": "2", "category": homecare().pk, "unit": "hour",
             "quantity_per_week": "7"},
            {"domain": "mobility", "level": "3", "category": homecare().pk, "unit": "hour",
             "quantity_per_week": "3.5"}]
    response = client.post(detail_url(draft), rows_form(rows))
    assert response.status_code == 302
    assert sorted(RasTypicalService.objects.filter(version=draft).values_list("domain", "quantity_per_week")) == [
        ("mobility", Decimal("3.50")), ("personal_care", Decimal("7.00"))]


def test_a_half_filled_row_changes_nothing(client, officer):
    draft = cost_version(status=RasVersionStatus.DRAFT)
    client.force_login(officer)
    before = state(draft)
    response = client.post(detail_url(draft), rows_form([{"domain": "personal_care", "level": "2"}]))
    assert response.status_code == 400 and "Select the service category" in response.text
    assert state(draft) == before


def test_officer_puts_a_version_in_use_and_the_old_one_is_retired(client, officer):
    old = RasVersion.objects.get(method=RasMethod.POINTS, status=RasVersionStatus.ACTIVE)
    draft = points_version(status=RasVersionStatus.DRAFT)
    client.force_login(officer)
    refused = client.post(detail_url(draft), {"action": "activate", "reason": ""})
    assert refused.status_code == 400 and "Enter why this version is being put in use" in refused.text
    draft.refresh_from_db()
    assert draft.status == RasVersionStatus.DRAFT
    response = client.post(detail_url(draft), {"action": "activate", "reason": "Cabinet decision"})
    assert response.status_code == 302
    draft.refresh_from_db()
    old.refresh_from_db()
    assert draft.status == RasVersionStatus.ACTIVE and draft.activated_by == officer
    assert old.status == RasVersionStatus.RETIRED


def test_a_version_lacking_numbers_cannot_be_put_in_use(client, officer):
    draft = cost_version(status=RasVersionStatus.DRAFT)
    client.force_login(officer)
    page = client.get(detail_url(draft))
    assert "It cannot be put in use yet" in page.text
    before = state(draft)
    response = client.post(detail_url(draft), {"action": "activate", "reason": "Try"})
    assert response.status_code == 400
    assert state(draft) == before


def test_versions_in_use_and_retired_are_read_only(client, officer):
    retired = points_version(status=RasVersionStatus.DRAFT)
    RasVersion.objects.filter(pk=retired.pk).update(status=RasVersionStatus.RETIRED)
    active = RasVersion.objects.get(method=RasMethod.POINTS, status=RasVersionStatus.ACTIVE)
    client.force_login(officer)
    for version in (active, retired):
        page = client.get(detail_url(version))
        assert page.status_code == 200
        assert "cannot be changed" in page.text
        assert 'name="points_' not in page.text and "Put this version in use" not in page.text
        before = state(version)
        response = client.post(detail_url(version), points_form(points_mobility_3="99"))
        assert response.status_code == 302
        assert client.post(detail_url(version), {"action": "activate", "reason": "x"}).status_code == 302
        assert state(version) == before


def test_cost_version_in_use_shows_its_table_read_only(client, officer):
    active = RasVersion.objects.get(method=RasMethod.COST, status=RasVersionStatus.ACTIVE)
    client.force_login(officer)
    page = client.get(detail_url(active))
    assert page.status_code == 200 and 'name="rows-' not in page.text
    assert RateUnit.HOUR.label in page.text


def test_finance_officers_and_brokers_cannot_use_the_ras_pages(client, council, make_member):
    draft = points_version(status=RasVersionStatus.DRAFT)
    for user in (make_member(Role.FINANCE_OFFICER, council), make_member(Role.BROKER, council)):
        client.force_login(user)
        before = state(draft), RasVersion.objects.count()
        assert client.get(INDEX_URL).status_code in {302, 403}
        assert client.get(detail_url(draft)).status_code in {302, 403}
        client.post(INDEX_URL, {"method": "points", "points-name": "Mine"})
        client.post(detail_url(draft), points_form(points_mobility_3="99"))
        client.post(detail_url(draft), {"action": "activate", "reason": "x"})
        assert (state(draft), RasVersion.objects.count()) == before
        assert INDEX_URL not in client.get("/admin/").text
