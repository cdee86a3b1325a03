"""The public directory (cms.DirectoryPage): search, filters, service and organisation pages,
comparison and the brokers search, as a person using it would notice them."""

import datetime
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Page

from cms.forms import compare_selection
from cms.models import AdviceIndexPage, DirectoryPage, HomePage
from marketplace.constants import ClientGroup
from marketplace.pagination import CappedPaginator
from providers.constants import AccreditationStatus, AreaKind, CapacityUnit, DeliveryMode, ListingStatus, RateUnit
from providers.models import (
    Area,
    Language,
    ListingClientGroup,
    RateCard,
    ReferenceRate,
    ServiceCategory,
    ServiceListing,
)
from providers.search import build_search_document
from tests.marketplace.factories import BrokerOrganisationFactory, ProviderOrganisationFactory
from tests.providers.factories import (
    AccreditationAppliedFactory,
    AccreditationApprovedFactory,
    ServiceListingPublishedFactory,
)

pytestmark = pytest.mark.django_db

URL = "/find-support/"
TODAY = timezone.localdate


# Helpers ------------------------------------------------------------------------------------------

def approved(organisation=None, **fields):
    """An organisation approved under the quality framework and in date."""
    organisation = organisation or ProviderOrganisationFactory(**fields)
    AccreditationApprovedFactory(organisation=organisation)
    return organisation


def district(code, name=None):
    return Area.objects.get_or_create(kind=AreaKind.DISTRICT, code=code, defaults={"name": name or code})[0]


def ward(code, name, *districts):
    area = Area.objects.create(kind=AreaKind.WARD, code=code, name=name)
    area.districts.set(districts)
    return area


def language(code):
    return Language.objects.get(code=code)


def service(organisation=None, *, title="Homecare in Hackney", description="", category="homecare", areas=(),
            languages=(), client_groups=(), rates=((RateUnit.HOUR, 2650, 2150),), capacity=None,
            capacity_unit=CapacityUnit.HOURS, specialist=False, status=ListingStatus.PUBLISHED, **fields):
    """A listing with its details and current rate cards (unit, contract pence, direct-payment pence),
    searchable by its description."""
    organisation = organisation or approved()
    category = ServiceCategory.objects.get(slug=category)
    listing = ServiceListingPublishedFactory(
        organisation=organisation, category=category, title=title, description=description, status=status,
        capacity_available=capacity, capacity_unit=capacity_unit, is_specialist=specialist, **fields)
    listing.areas.set(areas)
    listing.languages.set(languages)
    for group in client_groups:
        ListingClientGroup.objects.create(listing=listing, client_group=group)
    for unit, contract, direct in rates:
        RateCard.objects.create(listing=listing, unit=unit, contract_rate_pence=contract,
                                direct_payment_rate_pence=direct, effective_from=TODAY() - datetime.timedelta(days=10))
    listing.search_document = build_search_document(
        title=title, description=description, organisation_name=organisation.name, category_name=category.name,
        specialisms=listing.specialisms, languages=[lang.name for lang in languages],
        areas=[str(area) for area in areas])
    listing.save()
    return listing


def reference_rate(category="homecare", unit=RateUnit.HOUR, pence=2500):
    return ReferenceRate.objects.create(category=ServiceCategory.objects.get(slug=category), unit=unit,
                                        rate_pence=pence, effective_from=TODAY() - datetime.timedelta(days=100))


def titles(response) -> list[str]:
    """The result titles on a search page, in order."""
    return re.findall(
        r'<h3 class="govuk-heading-m govuk-!-margin-bottom-1">\s*<a class="govuk-link" href="[^"]*">([^<]+)</a>',
        response.text)


def search(client, **params):
    query = QueryDict(mutable=True)
    for key, value in params.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    response = client.get(f"{URL}?{query.urlencode()}")
    assert response.status_code == 200
    return response


def page_title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.text, re.S).group(1).strip()


# The page in the tree -----------------------------------------------------------------------------

def test_a_fresh_install_has_a_live_directory_page_under_the_home_page(client):
    directory = DirectoryPage.objects.get()
    assert directory.live and directory.slug == "find-support"
    assert directory.get_parent().specific_class is HomePage
    response = client.get(URL)
    assert response.status_code == 200
    assert page_title(response) == "Find care and support – Mixed Market"
    assert "<h1 class=\"govuk-heading-xl\">Find care and support</h1>" in response.text
    assert directory.intro in response.text


def test_the_home_page_links_to_the_directory_and_to_each_category_in_it(client):
    html = client.get("/").text
    assert 'href="/find-support/"' in html
    assert 'href="/find-support/?category=homecare">Homecare</a>' in html
    assert 'href="/find-support/?category=support-planning">' in html


def test_the_old_directory_address_leads_to_the_directory_page(client):
    response = client.get("/directory/")
    assert response.status_code == 302 and response["Location"].endswith(URL)


def test_an_editor_can_place_a_directory_under_the_home_page_or_the_advice_section(client):
    assert DirectoryPage.can_exist_under(HomePage.objects.get())
    assert DirectoryPage.can_exist_under(AdviceIndexPage.objects.get())
    assert not DirectoryPage.can_exist_under(Page.objects.get(depth=1))
    another = DirectoryPage(title="Find a service", slug="find", intro="Another way in.")
    AdviceIndexPage.objects.get().add_child(instance=another)
    another.save_revision().publish()
    listing = service()
    response = client.get("/advice/find/")
    assert response.status_code == 200 and listing.title in titles(response)
    assert f'href="/advice/find/services/{listing.reference}/"' in response.text
    assert client.get(f"/advice/find/services/{listing.reference}/").status_code == 200


def test_an_editor_can_change_the_directory_intro_in_wagtail(client, django_user_model):
    editor = django_user_model.objects.create_superuser("editor", "editor@example.test", "a-long-password-1")
    client.force_login(editor)
    directory = DirectoryPage.objects.get()
    response = client.get(f"/admin/pages/{directory.pk}/edit/")
    assert response.status_code == 200
    assert 'name="intro"' in response.text and 'name="brokers_intro"' in response.text
    directory.intro = "Find help near you."
    directory.save_revision().publish()
    assert "Find help near you." in client.get(URL).text


# Who appears --------------------------------------------------------------------------------------

def _not_public():
    """Listings that must never be shown: each with why."""
    suspended = approved()
    suspended.accreditation.status = AccreditationStatus.SUSPENDED
    suspended.accreditation.save()
    expired = approved()
    expired.accreditation.expires_on = TODAY() - datetime.timedelta(days=1)
    expired.accreditation.save()
    applied = ProviderOrganisationFactory()
    AccreditationAppliedFactory(organisation=applied)
    return {
        "draft": service(title="Draft service", status=ListingStatus.DRAFT),
        "paused": service(title="Paused service", status=ListingStatus.PAUSED),
        "withdrawn": service(title="Withdrawn service", status=ListingStatus.WITHDRAWN),
        "suspended": service(suspended, title="Suspended provider's service"),
        "expired": service(expired, title="Expired provider's service"),
        "applied": service(applied, title="Unapproved provider's service"),
        "no accreditation": service(ProviderOrganisationFactory(), title="Unaccredited service"),
    }


def test_search_shows_only_published_services_of_approved_in_date_organisations(client):
    shown = service(title="Approved homecare")
    hidden = _not_public()
    response = search(client)
    assert titles(response) == [shown.title]
    assert "1 service found" in response.text
    for listing in hidden.values():
        assert listing.title not in response.text
    # Not even when searched for by name.
    assert titles(search(client, q="service")) == []


@pytest.mark.parametrize("why", ["draft", "paused", "withdrawn", "suspended", "expired", "applied", "no accreditation"])
def test_a_service_that_is_not_public_has_no_page_and_cannot_be_compared(client, why):
    listing = _not_public()[why]
    assert client.get(f"{URL}services/{listing.reference}/").status_code == 404
    response = client.get(f"{URL}compare/?compare={listing.reference}")
    assert response.status_code == 200 and listing.title not in response.text
    assert "no longer in the directory" in response.text


def test_suspending_a_provider_takes_its_services_out_at_once(client):
    listing = service(title="Soon suspended")
    organisation = listing.organisation
    assert titles(search(client)) == ["Soon suspended"]
    assert client.get(f"{URL}services/{listing.reference}/").status_code == 200
    organisation.accreditation.status = AccreditationStatus.SUSPENDED
    organisation.accreditation.suspended_reason = "Safeguarding concern"
    organisation.accreditation.save()
    assert titles(search(client)) == []
    assert client.get(f"{URL}services/{listing.reference}/").status_code == 404
    assert client.get(f"{URL}organisations/{organisation.slug}/").status_code == 404
    assert "Soon suspended" not in client.get(f"{URL}compare/?compare={listing.reference}").text


def test_unknown_service_and_organisation_are_404(client):
    assert client.get(f"{URL}services/no-such-thing/").status_code == 404
    assert client.get(f"{URL}organisations/no-such-org/").status_code == 404


# Search and filters -------------------------------------------------------------------------------

def test_text_search_finds_words_in_the_description_and_says_how_many(client):
    service(title="Morning calls", description="Help with getting up, washing and breakfast.")
    service(title="Evening calls", description="Help getting ready for bed.")
    response = search(client, q="breakfast")
    assert titles(response) == ["Morning calls"]
    assert "1 service found" in response.text
    assert page_title(response) == "Search results – Find care and support – Mixed Market"
    assert 'value="breakfast"' in response.text  # the search stays in the box
    assert titles(search(client, q="help")) == ["Evening calls", "Morning calls"]


def test_category_filter(client):
    service(title="Homecare one")
    service(title="Day centre", category="day-opportunities")
    assert titles(search(client, category="day-opportunities")) == ["Day centre"]
    response = search(client, category="homecare")
    assert titles(response) == ["Homecare one"]
    assert '<option value="homecare" selected>Homecare</option>' in response.text


def test_postcode_filter_finds_services_covering_the_district_or_a_ward_in_it(client):
    e8, n16 = district("E8"), district("N16")
    dalston = ward("E05009367", "Dalston", e8)
    service(title="Covers E8", areas=[e8])
    service(title="Covers Dalston ward", areas=[dalston])
    service(title="Covers N16", areas=[n16])
    assert titles(search(client, postcode="e8 1ab")) == ["Covers Dalston ward", "Covers E8"]
    assert titles(search(client, postcode="N16")) == ["Covers N16"]
    response = search(client, postcode="E8")
    assert "Areas</dt>" in response.text and "Dalston ward" in response.text


def test_client_group_language_specialist_and_capacity_filters(client):
    polish = language("pl")
    service(title="For older people", client_groups=[ClientGroup.OLDER_PERSON], capacity=0)
    service(title="Polish speaking", languages=[polish], capacity=12)
    service(title="Specialist dementia", specialist=True, client_groups=[ClientGroup.MENTAL_HEALTH])
    assert titles(search(client, client_group="older_person")) == ["For older people"]
    assert titles(search(client, language="pl")) == ["Polish speaking"]
    assert titles(search(client, specialist="true")) == ["Specialist dementia"]
    response = search(client, has_capacity="true")
    assert titles(response) == ["Polish speaking"]
    assert 'id="id_has_capacity" name="has_capacity" type="checkbox" value="true" checked' in response.text
    # Unticked boxes mean "any", not "only those without".
    assert len(titles(search(client, specialist="false", has_capacity=""))) == 3


def test_price_range_uses_the_unit_and_the_route_chosen(client):
    service(title="Cheap hourly", rates=[(RateUnit.HOUR, 2000, 1500)])
    service(title="Dear hourly", rates=[(RateUnit.HOUR, 3200, 2400)])
    service(title="Daily only", rates=[(RateUnit.DAY, 9000, 8000)])
    assert titles(search(client, max_price="25")) == ["Cheap hourly"]
    assert titles(search(client, min_price="£25.00")) == ["Dear hourly"]
    # By direct payment the dear one is £24 an hour.
    assert titles(search(client, max_price="25", route="direct_payment")) == ["Cheap hourly", "Dear hourly"]
    assert titles(search(client, unit="day", min_price="1")) == ["Daily only"]
    assert titles(search(client, unit="day", max_price="85")) == []
    assert titles(search(client, unit="day", max_price="85", route="direct_payment")) == ["Daily only"]


def test_sort_by_price_name_and_relevance(client):
    service(title="B middle", rates=[(RateUnit.HOUR, 2500, 2000)], description="walking walking walking")
    service(title="A dear", rates=[(RateUnit.HOUR, 3000, 2500)], description="walking")
    service(title="C cheap", rates=[(RateUnit.HOUR, 2000, 1500)], description="walking")
    assert titles(search(client)) == ["A dear", "B middle", "C cheap"]
    # "Best match" is the form's default; without search words it is by name.
    assert titles(search(client, sort="relevance")) == ["A dear", "B middle", "C cheap"]
    assert titles(search(client, sort="name")) == ["A dear", "B middle", "C cheap"]
    assert titles(search(client, sort="price")) == ["C cheap", "B middle", "A dear"]
    assert titles(search(client, sort="-price")) == ["A dear", "B middle", "C cheap"]
    response = search(client, q="walking")
    assert '<option value="relevance" selected>Best match</option>' in response.text
    assert set(titles(response)) == {"A dear", "B middle", "C cheap"}


# Bad input ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("params, field, message", [
    ({"category": "spaceflight"}, "category", "Choose a type of support from the list"),
    ({"postcode": "not a postcode"}, "postcode", "Enter a real postcode, like E8 1AB"),
    ({"postcode": "E8 1AB 1AB"}, "postcode", "Enter a real postcode"),
    ({"min_price": "-5"}, "min_price", "Minimum price must be 0 or more"),
    ({"max_price": "lots"}, "max_price", "Maximum price must be an amount in pounds, like 18.50"),
    ({"min_price": "30", "max_price": "20"}, "max_price",
     "Maximum price must be the same as or more than the minimum price"),
    ({"unit": "fortnight"}, "unit", "Choose a unit from the list"),
    ({"route": "cash"}, "route", "Choose how the budget is paid from the list"),
    ({"client_group": "martians"}, "client_group", "Choose who the support is for from the list"),
    ({"language": "xx"}, "language", "Choose a language from the list"),
    ({"sort": "random"}, "sort", "Choose a sort order"),
])
def test_bad_input_shows_an_error_summary_linking_to_the_field_and_no_results(client, params, field, message):
    service(title="Would match otherwise")
    response = search(client, **params)
    html = response.text
    assert page_title(response).startswith("Error: ")
    assert "govuk-error-summary" in html and "There is a problem" in html
    assert re.search(rf'<a href="#id_{field}">{re.escape(message)}', html), html[:4000]
    assert f'id="id_{field}_error"' in html or field == "sort"
    assert titles(response) == []
    assert "Correct the problems above" in html


def test_odd_query_strings_never_break_the_page(client):
    service()
    for query in ["page=abc", "page=-1", "page=99999", "q=" + "x" * 500, "compare=../../etc", "min_price=1e999",
                  "min_price=NaN", "min_price=0.001", "compare=" + "a" * 200, "q=%00", "specialist=maybe",
                  "postcode=" + "E8" * 20]:
        assert client.get(f"{URL}?{query}").status_code == 200, query
        assert client.get(f"{URL}compare/?{query}").status_code == 200, query
        assert client.get(f"{URL}brokers/?{query}").status_code == 200, query


def test_no_results_says_so_and_offers_to_clear_the_filters(client):
    service(title="Homecare one")
    response = search(client, q="trampolining", compare="listing-x")
    assert "No services match your search" in response.text
    assert "0 services found" in response.text
    assert "remove some filters" in response.text
    assert f'href="{URL}">clear all filters</a>' in response.text


# What a result shows ------------------------------------------------------------------------------

def test_a_result_shows_prices_for_both_routes_marks_and_details(client):
    reference_rate(pence=2500)
    e8 = district("E8")
    service(title="Dear and specialist", rates=[(RateUnit.HOUR, 2900, 2400)], specialist=True, capacity=12,
            areas=[e8], languages=[language("pl"), language("en")])
    service(title="Full up", capacity=0, rates=[(RateUnit.HOUR, 2400, 2000)])
    service(title="Few places", capacity=1, capacity_unit=CapacityUnit.PLACES, rates=[])
    html = search(client).text
    assert "£29.00 per hour arranged by the council" in html
    assert "£24.00 per hour paid by direct payment" in html
    assert "Above usual cost" in html
    assert "Specialist</strong>" in html
    assert "Can take on new people: 12 hours a week" in html
    assert "English, Polish" in html and ">E8<" in html
    assert "Full at the moment" in html
    assert "Can take on new people: 1 place" in html
    assert "No prices published" in html
    # Only the contract rate is above the usual £25; the direct-payment one is not.
    dear = html[html.index(">Dear and specialist<"):]
    dear = dear[:dear.index("</dl>")]
    assert dear.count("Above usual cost") == 1
    full = html[html.index(">Full up<"):]
    assert "Above usual cost" not in full[:full.index("</dl>")]


def test_a_rate_equal_to_the_usual_cost_is_not_marked(client):
    reference_rate(pence=2650)
    service(rates=[(RateUnit.HOUR, 2650, 2150)])
    assert "Above usual cost" not in search(client).text


def test_result_pages_take_the_same_number_of_queries_for_2_or_20_results(client):
    reference_rate()
    areas = [district("E8"), district("N16")]
    langs = [language("pl"), language("en")]

    def make(n):
        for i in range(n):
            service(title=f"Service {i:02d}", areas=areas, languages=langs, client_groups=[ClientGroup.CARER],
                    rates=[(RateUnit.HOUR, 2600, 2100), (RateUnit.DAY, 9000, 8000)], capacity=3)

    def count(**params):
        with CaptureQueriesContext(connection) as queries:
            response = search(client, **params)
        return len(queries), response

    make(2)
    search(client)  # the first request of a run fills Wagtail's and Django's caches
    selected = list(ServiceListing.objects.order_by("pk").values_list("reference", flat=True))
    few, response = count(postcode="E8", compare=selected)
    assert len(titles(response)) == 2
    make(18)
    many, response = count(postcode="E8", compare=selected)
    assert len(titles(response)) == 20
    assert few == many
    few_detail = count(q="Service", sort="price", min_price="1")[0]
    assert few_detail == count(q="Service", sort="price", min_price="1", page="1")[0]
    print(f"queries for a page of results: {many}")


def test_organisation_and_compare_pages_take_a_constant_number_of_queries(client):
    reference_rate()
    organisation = approved()
    service(organisation, title="First", areas=[district("E8")], languages=[language("pl")])
    second = service(organisation, title="Second", areas=[district("E8")], languages=[language("pl")])

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    client.get(URL)  # the first request of a run fills Wagtail's and Django's caches
    org_few = count(f"{URL}organisations/{organisation.slug}/")
    compare_few = count(f"{URL}compare/?compare=listing-0&compare={second.reference}")
    for i in range(6):
        service(organisation, title=f"More {i}", areas=[district("N16")], languages=[language("en")])
    references = "&".join(f"compare={ref}" for ref in
                          organisation.listings.order_by("pk").values_list("reference", flat=True)[:4])
    assert count(f"{URL}organisations/{organisation.slug}/") == org_few
    assert count(f"{URL}compare/?{references}") == compare_few
    print(f"queries: organisation page {org_few}, compare page {compare_few}")


# Pagination ---------------------------------------------------------------------------------------

def test_pagination_keeps_the_filters_and_stops_at_the_cap(client, monkeypatch):
    monkeypatch.setattr("providers.selectors.DIRECTORY_PAGE_SIZE", 2)
    monkeypatch.setattr(CappedPaginator, "max_counted", 5)
    for i in range(7):
        service(title=f"Homecare {i}")
    service(title="Transport", category="transport")
    response = search(client, category="homecare")
    html = response.text
    assert "More than 5 services – narrow your search" in html
    assert titles(response) == ["Homecare 0", "Homecare 1"]
    # Page buttons submit the search form, so the filters (and the comparison) go with them.
    assert '<option value="homecare" selected>Homecare</option>' in html
    assert re.findall(r'<button type="submit" name="page" value="(\d+)"', html) == ["2", "3", "2"]
    assert titles(search(client, category="homecare", page="2")) == ["Homecare 2", "Homecare 3"]
    # Only up to the cap: asking for a page beyond it shows the last one.
    last = search(client, category="homecare", page="40")
    assert titles(last) == ["Homecare 4"]
    assert "Add a search term or filters to narrow your search" in last.text
    assert 'aria-current="page"><span class="govuk-visually-hidden">Page </span>3</span>' in last.text


def test_brokers_pagination_links_keep_the_search(client, monkeypatch):
    monkeypatch.setattr("providers.selectors.DIRECTORY_PAGE_SIZE", 2)
    for i in range(3):
        approved(BrokerOrganisationFactory(name=f"Planning Partners {i}"))
    response = client.get(f"{URL}brokers/?q=planning")
    assert "3 brokers found" in response.text
    assert 'href="?q=planning&amp;page=2"' in response.text
    assert "Planning Partners 2" in client.get(f"{URL}brokers/?q=planning&page=2").text


# Comparison ---------------------------------------------------------------------------------------

def test_compare_selection_keeps_earlier_choices_first_and_at_most_four():
    data = QueryDict("selected=a&selected=b&compare=x&compare=b&compare=a&compare=b&compare=../bad")
    assert compare_selection(data) == (["a", "b", "x"], False)
    data = QueryDict("selected=a&selected=b&selected=c&selected=d&compare=e&compare=a&compare=b&compare=c&compare=d")
    assert compare_selection(data) == (["a", "b", "c", "d"], True)
    # Unticking a chosen service on this page removes it.
    assert compare_selection(QueryDict("selected=a&selected=b&compare=b")) == (["b"], False)


def test_compare_shows_up_to_four_services_side_by_side(client):
    reference_rate(pence=2500)
    first = service(title="First choice", rates=[(RateUnit.HOUR, 2900, 2300)], specialist=True,
                    languages=[language("so")], capacity=5, delivery_mode=DeliveryMode.COMMUNITY)
    second = service(title="Second choice")
    response = client.get(f"{URL}compare/?compare={first.reference}&compare={second.reference}")
    html = response.text
    assert page_title(response) == "Compare services – Find care and support – Mixed Market"
    assert '<table class="govuk-table app-compare-table">' in html
    assert html.index("First choice") < html.index("Second choice")
    for expected in ["£29.00 per hour", "£23.00 per hour", "Above usual cost", "Specialist</strong>", "Somali",
                     "Can take on new people: 5 hours a week", "Out in the community",
                     first.organisation.accreditation.expires_on.strftime("%-d %B %Y")]:
        assert expected in html, expected
    assert f'href="{URL}compare/?compare={second.reference}">Remove' in html
    assert f'href="{URL}?compare={first.reference}&amp;compare={second.reference}">Back to search results' in html


def test_a_fifth_service_is_refused_and_the_first_four_kept(client):
    listings = [service(title=f"Choice {i}") for i in range(5)]
    references = [listing.reference for listing in listings]
    previous = "&".join(f"selected={ref}" for ref in references[:4])
    ticked = "&".join(f"compare={ref}" for ref in [references[4], *references[:4]])
    response = client.get(f"{URL}?{previous}&{ticked}")
    html = response.text
    assert "You can compare up to 4 services at a time" in html
    assert "You have chosen 4 of up to 4 services." in html
    assert f'id="compare-{references[4]}" name="compare" type="checkbox" value="{references[4]}">' in html
    for ref in references[:4]:
        assert f'value="{ref}" checked>' in html
    compare = client.get(f"{URL}compare/?{previous}&{ticked}").text
    assert "You can compare up to 4 services at a time" in compare
    assert "Choice 0" in compare and "Choice 4" not in compare


def test_the_comparison_survives_paging_without_javascript(client, monkeypatch):
    monkeypatch.setattr("providers.selectors.DIRECTORY_PAGE_SIZE", 2)
    listings = [service(title=f"Service {i}") for i in range(4)]
    first_page = [listings[0].reference, listings[1].reference]
    # On page 1 the person ticks one box and presses "Next": the form goes with the button.
    page_two = search(client, compare=[first_page[0]], page="2")
    html = page_two.text
    assert titles(page_two) == ["Service 2", "Service 3"]
    assert f'<input type="hidden" name="compare" value="{first_page[0]}">' in html
    assert f'<input type="hidden" name="selected" value="{first_page[0]}">' in html
    assert "You have chosen 1 of up to 4 services." in html
    # On page 2 they tick another and go back to page 1: both are kept, page 1's box is ticked.
    back = search(client, selected=[first_page[0]], compare=[first_page[0], listings[3].reference], page="1")
    assert f'value="{first_page[0]}" checked>' in back.text
    assert f'<input type="hidden" name="compare" value="{listings[3].reference}">' in back.text
    # "Compare selected" sends the same form to compare/.
    assert f'formaction="{URL}compare/"' in back.text
    compare = client.get(f"{URL}compare/?selected={first_page[0]}&selected={listings[3].reference}"
                         f"&compare={listings[3].reference}&compare={first_page[0]}").text
    assert compare.index("Service 0") < compare.index("Service 3")


def test_remove_from_comparison_on_the_results_page(client):
    one, two = service(title="One"), service(title="Two")
    html = search(client, q="o", compare=[one.reference, two.reference]).text
    link = re.search(rf'href="([^"]+)">Remove<span class="govuk-visually-hidden"> One from comparison', html).group(1)
    query = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
    assert query == {"q": ["o"], "compare": [two.reference]}


def test_compare_drops_services_that_are_no_longer_public_with_a_note(client):
    kept = service(title="Still here")
    gone = service(title="Paused since", status=ListingStatus.PAUSED)
    html = client.get(f"{URL}compare/?compare={gone.reference}&compare={kept.reference}").text
    assert "A service you chose is no longer in the directory" in html
    assert "Still here" in html and "Paused since" not in html
    assert "You have chosen 1 service" in html
    empty = client.get(f"{URL}compare/").text
    assert "You have not chosen any services to compare" in empty


# Service and organisation pages -------------------------------------------------------------------

def test_service_page_shows_everything_about_the_service(client):
    reference_rate(pence=2500)
    organisation = approved(telephone="020 7946 0000", email="hello@example.test", website="https://example.test")
    listing = service(organisation, title="Dementia day support", description="Friendly days out.",
                      category="day-opportunities", areas=[district("E8")], languages=[language("tr")],
                      client_groups=[ClientGroup.OLDER_PERSON], capacity=0, specialist=True,
                      rates=[(RateUnit.DAY, 9000, 8000)], specialisms=["Dementia", "Parkinson's"],
                      delivery_mode=DeliveryMode.VENUE)
    RateCard.objects.filter(listing=listing).update(minimum_quantity=2)
    reference_rate(category="day-opportunities", unit=RateUnit.DAY, pence=8500)
    response = client.get(f"{URL}services/{listing.reference}/")
    html = response.text
    assert page_title(response) == "Dementia day support – Find care and support – Mixed Market"
    for expected in ["Friendly days out.", "At the provider&#x27;s premises", "Older person", "Dementia, Parkinson",
                     ">E8<", "Turkish", "Full at the moment", "£90.00", "£80.00", "Per day", "At least 2 days",
                     "Above usual cost", "Specialist</strong>", "Approved</strong>",
                     organisation.accreditation.expires_on.strftime("%-d %B %Y"), "020 7946 0000",
                     "mailto:hello@example.test", "https://example.test",
                     f'href="{URL}organisations/{organisation.slug}/"']:
        assert expected in html, expected
    assert html.count("Above usual cost</strong>") == 1  # £90 > £85 by contract; £80 by direct payment is not


def test_organisation_page_lists_its_public_services_and_accreditation(client):
    organisation = approved(name="Kind Care Ltd")
    service(organisation, title="Kind homecare")
    service(organisation, title="Kind draft", status=ListingStatus.DRAFT)
    response = client.get(f"{URL}organisations/{organisation.slug}/")
    html = response.text
    assert page_title(response) == "Kind Care Ltd – Find care and support – Mixed Market"
    assert "Kind homecare" in html and "Kind draft" not in html
    assert "Approved until" in html and organisation.accreditation.expires_on.strftime("%-d %B %Y") in html
    assert "help people plan their support" not in html


def test_organisation_page_404_unless_approved_and_in_date(client):
    pending = ProviderOrganisationFactory()
    assert client.get(f"{URL}organisations/{pending.slug}/").status_code == 404
    lapsed = approved()
    lapsed.accreditation.expires_on = TODAY() - datetime.timedelta(days=1)
    lapsed.accreditation.save()
    assert client.get(f"{URL}organisations/{lapsed.slug}/").status_code == 404


def test_a_broker_page_says_they_help_with_support_planning(client):
    broker = approved(BrokerOrganisationFactory(name="Plan With Us CIC", description="We help you plan."))
    html = client.get(f"{URL}organisations/{broker.slug}/").text
    assert "Plan With Us CIC is approved by the council to help people plan their support" in html
    assert "We help you plan." in html
    assert "Broker" in html


# Brokers ------------------------------------------------------------------------------------------

def test_the_search_page_offers_services_or_people_who_can_help_you_plan(client):
    html = search(client).text
    assert f'<a class="govuk-tabs__tab" href="{URL}" aria-current="page">Care and support services</a>' in html
    assert f'<a class="govuk-tabs__tab" href="{URL}brokers/">People who can help you plan</a>' in html
    brokers = client.get(f"{URL}brokers/").text
    current = f'<a class="govuk-tabs__tab" href="{URL}brokers/" aria-current="page">People who can help you plan'
    assert current in brokers


def test_brokers_search_lists_approved_brokers_by_name_and_postcode(client):
    e8 = district("E8")
    local = approved(BrokerOrganisationFactory(name="Hackney Planning Co", postcode="E81DY"))
    covering = approved(BrokerOrganisationFactory(name="Roaming Planners", postcode="N1 1AA"))
    service(covering, title="Support planning in E8", category="support-planning", areas=[e8])
    elsewhere = approved(BrokerOrganisationFactory(name="Far Away Planning", postcode="SW1A 1AA"))
    unapproved = BrokerOrganisationFactory(name="Unapproved Planning")
    provider = approved(name="Just A Provider")
    response = client.get(f"{URL}brokers/")
    html = response.text
    assert page_title(response) == "People who can help you plan – Find care and support – Mixed Market"
    for name in [local.name, covering.name, elsewhere.name]:
        assert name in html
    assert unapproved.name not in html and provider.name not in html
    assert "3 brokers found" in html
    by_name = client.get(f"{URL}brokers/?q=hackney").text
    assert local.name in by_name and covering.name not in by_name
    near = client.get(f"{URL}brokers/?postcode=e8 3aa").text
    assert local.name in near and covering.name in near and elsewhere.name not in near
    assert "2 brokers found" in near
    nobody = client.get(f"{URL}brokers/?q=zebra").text
    assert "No one matches your search" in nobody


def test_brokers_search_refuses_a_malformed_postcode(client):
    approved(BrokerOrganisationFactory())
    response = client.get(f"{URL}brokers/?postcode=12345")
    assert response.status_code == 200
    assert page_title(response).startswith("Error: ")
    assert '<a href="#id_postcode">Enter a real postcode' in response.text
    assert "brokers found" not in response.text
