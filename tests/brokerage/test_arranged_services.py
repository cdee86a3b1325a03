"""Services the council arranges outside a personal budget: recorded and ended by contract
officers, audited, refused with reasons; brokers cannot record them."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from brokerage import services
from brokerage.constants import ServiceSetting, ServiceTerm
from brokerage.models import ArrangedService
from marketplace.models import AuditEvent
from tests.brokerage.factories import PersonFactory

pytestmark = pytest.mark.django_db
START = datetime.date(2026, 4, 1)


@pytest.fixture
def person(brokerage):
    return PersonFactory(broker_organisation=brokerage)


def record(person, by, **overrides):
    fields = {"description": "Day centre, 3 days a week", "setting": ServiceSetting.COMMUNITY,
              "term": ServiceTerm.LONG_TERM, "starts_on": START} | overrides
    return services.arranged_service_record(person=person, by=by, **fields)


def test_an_officer_records_and_ends_a_service_with_an_audit_trail(person, officer):
    service = record(person, officer)
    assert service.ends_on is None and service.recorded_by == officer
    ended = services.arranged_service_end(service=service, by=officer, ends_on=datetime.date(2026, 9, 30))
    assert ended.ends_on == datetime.date(2026, 9, 30)
    assert list(AuditEvent.objects.for_object(service).order_by("pk").values_list("verb", flat=True)) \
        == ["arrangedservice.recorded", "arrangedservice.ended"]
    # The same end again changes nothing; another day is refused.
    services.arranged_service_end(service=ended, by=officer, ends_on=datetime.date(2026, 9, 30))
    with pytest.raises(ValidationError, match="already ended on 30 September 2026"):
        services.arranged_service_end(service=ended, by=officer, ends_on=datetime.date(2026, 10, 1))
    assert AuditEvent.objects.for_object(service).count() == 2


def test_bad_input_is_refused_with_reasons_and_saves_nothing(person, officer):
    with pytest.raises(ValidationError) as caught:
        record(person, officer, description=" ", setting="moon", term="", ends_on=START - datetime.timedelta(days=1))
    assert set(caught.value.message_dict) == {"description", "setting", "term", "ends_on"}
    assert not ArrangedService.objects.exists()


def test_a_broker_cannot_record_one(person, broker):
    with pytest.raises(PermissionDenied):
        record(person, broker)
    assert not ArrangedService.objects.exists()


def test_the_person_page_lists_and_records_them(client, person, officer, broker):
    client.force_login(officer)
    response = client.post(f"/people/{person.pk}/arranged-services/new/", {
        "description": "Home care, 7 hours a week", "setting": ServiceSetting.COMMUNITY, "term": ServiceTerm.LONG_TERM,
        "starts_on_day": "1", "starts_on_month": "4", "starts_on_year": "2026"})
    assert response.status_code == 302
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert "Home care, 7 hours a week" in page and "Ongoing (long-term)" in page and "Goes on" in page
    bad = client.post(f"/people/{person.pk}/arranged-services/new/", {"description": ""})
    assert bad.status_code == 200 and "Enter what the service is" in bad.content.decode()
    assert ArrangedService.objects.count() == 1
    client.force_login(broker)
    assert client.get(f"/people/{person.pk}/arranged-services/new/").status_code == 403
    assert "Record a service the council arranges" not in client.get(f"/people/{person.pk}/").content.decode()


def test_another_persons_service_is_not_found_and_an_ended_one_cannot_be_ended_again(client, person, officer):
    other = record(PersonFactory(), officer)
    client.force_login(officer)
    assert client.get(f"/people/{person.pk}/arranged-services/{other.pk}/end/").status_code == 404
    mine = record(person, officer)
    url = f"/people/{person.pk}/arranged-services/{mine.pk}/end/"
    bad = client.post(url, {"ends_on_day": "1", "ends_on_month": "1", "ends_on_year": "2020"})
    assert "The service must end on or after the day it started" in bad.content.decode()
    assert client.post(url, {"ends_on_day": "30", "ends_on_month": "9", "ends_on_year": "2026"}).status_code == 302
    again = client.get(url, follow=True).content.decode()
    assert "This service already ended on 30 September 2026" in again
    mine.refresh_from_db()
    assert mine.ends_on == datetime.date(2026, 9, 30)
