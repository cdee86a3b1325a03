"""Directory records as Open Referral UK 3.0 objects (``schemas/*.json``).

Plain functions from model instances to dicts. Only fields we hold are written; a field with no
value is left out rather than sent empty, because an empty string is not a valid ``email`` or
``uri``. Where the UK profile's compiled schema drops a field that HSDS 3.0 has and a consumer
needs (a language's ``name`` and ``code``; a contact's ``email`` and ``phones``), it is sent with
its HSDS 3.0 name: the schemas allow further properties and the profile allows ones that do not
conflict with HSDS.

Amounts are ``Decimal`` pounds made from integer pence by ``marketplace.money.to_pounds``; the
response encoder writes them as JSON numbers digit for digit (``views.json_response``).
"""

import datetime
import math

from marketplace import money
from marketplace.models import Organisation
from providers.constants import DeliveryMode, RateUnit
from providers.filters import PriceRoute
from providers.models import ServiceListing
from providers.openreferral import ids
from providers.openreferral.selectors import Taxonomy, Term, category_term, client_group_term


def _timestamp(moment: datetime.datetime) -> str:
    """UTC with milliseconds, as the profile asks: ``2025-03-15T10:30:45.123Z``."""
    return moment.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _without_blanks(record: dict) -> dict:
    return {key: value for key, value in record.items() if value not in ("", None)}


# Organisations ----------------------------------------------------------------------------------

def organization(organisation: Organisation) -> dict:
    """``organization_list.json``, and the ``organization`` inside a service."""
    record = {"id": ids.organisation_id(organisation.pk), "name": organisation.name,
              "description": organisation.description}  # required, so sent even when empty
    return record | _without_blanks({"email": organisation.email, "website": organisation.website})


def organization_full(organisation: Organisation, listings: list[ServiceListing]) -> dict:
    """``organization.json``: the organisation with its public services (one-to-one fields)."""
    return organization(organisation) | {"services": [service(listing) for listing in listings]}


# Taxonomies -------------------------------------------------------------------------------------

def taxonomy_term(term: Term) -> dict:
    """``taxonomy_term.json``. Both taxonomies are flat, so no term has a ``parent_id``."""
    return {
        "id": term.id,
        "name": term.name,
        "description": term.description,
        "taxonomy": term.taxonomy.name,
        "taxonomy_id": term.taxonomy.id,
        "term": term.name,
    }


def taxonomy(record: Taxonomy, terms: list[Term] | None = None) -> dict:
    """``taxonomy.json``, with its terms when ``terms`` is given."""
    result = {"id": record.id, "name": record.name, "description": record.description}
    if terms is not None:
        result["taxonomy_terms"] = [taxonomy_term(term) for term in terms if term.taxonomy == record]
    return result


def listing_terms(listing: ServiceListing) -> list[Term]:
    """The listing's category, then its client groups (needs ``client_group_rows`` prefetched)."""
    return [category_term(listing.category)] + [client_group_term(row.client_group)
                                                for row in listing.client_group_rows.all()]


# Services ---------------------------------------------------------------------------------------

def _accreditations(listing: ServiceListing) -> str:
    expires_on = listing.organisation.accreditation.expires_on
    return (f"{listing.organisation.name} is approved under the council's quality framework for adult social "
            f"care until {expires_on.day} {expires_on:%B %Y}.")


def service(listing: ServiceListing) -> dict:
    """``service_list.json``: a service's one-to-one fields and its organisation.

    ``listing`` comes from ``selectors.feed_listings()`` with the organisation's accreditation
    selected. Only public listings reach here, so every one is ``active``.
    """
    organisation = listing.organisation
    return _without_blanks({
        "id": ids.service_id(listing),
        "organization_id": ids.organisation_id(organisation.pk),
        "name": listing.title,
        "description": listing.description,
        "email": organisation.email,
        "status": "active",
        "accreditations": _accreditations(listing),
        "last_modified": _timestamp(listing.feed_modified_at),
        "organization": organization(organisation),
    })


def _service_areas(listing: ServiceListing, service_id: str) -> list[dict]:
    return [{
        "id": ids.service_area_id(listing.reference, area.code),
        "service_id": service_id,
        "name": area.name,
        "service_area": f"{area.get_kind_display()} {area.code}" + (f" ({area.name})" if area.name != area.code
                                                                       else ""),
    } for area in listing.areas.all()]


def _languages(listing: ServiceListing, service_id: str) -> list[dict]:
    return [{
        "id": ids.language_id(listing.reference, language.code),
        "service_id": service_id,
        "name": language.name,
        "code": language.code,
    } for language in listing.languages.all()]


def _amount_description(card) -> str:
    unit = RateUnit(card.unit).label
    if card.minimum_quantity:
        return f"{unit}, minimum {card.minimum_quantity.normalize():f}"
    return unit


def _cost_options(listing: ServiceListing, service_id: str) -> list[dict]:
    """Two options per rate card in force: the contract rate and the lower direct-payment rate.

    A rate card's ``effective_to`` is the first day it no longer applies; ``valid_to`` is the last
    day it does.
    """
    options = []
    for card in listing.current_rates:
        valid_to = (card.effective_to - datetime.timedelta(days=1)).isoformat() if card.effective_to else None
        for route, pence in ((PriceRoute.CONTRACT, card.contract_rate_pence),
                             (PriceRoute.DIRECT_PAYMENT, card.direct_payment_rate_pence)):
            options.append(_without_blanks({
                "id": ids.cost_option_id(card.pk, route.value),
                "service_id": service_id,
                "valid_from": card.effective_from.isoformat(),
                "valid_to": valid_to,
                "option": route.label,
                "amount": money.to_pounds(pence),
                "amount_description": _amount_description(card),
            }))
    return options


def _contacts(listing: ServiceListing, service_id: str) -> list[dict]:
    organisation = listing.organisation
    if not (organisation.email or organisation.telephone):
        return []
    contact = {"id": ids.contact_id(listing.reference), "service_id": service_id, "name": organisation.name}
    if organisation.email:
        contact["email"] = organisation.email
    if organisation.telephone:
        contact["phones"] = [{"id": ids.phone_id(listing.reference), "contact_id": contact["id"],
                              "number": organisation.telephone}]
    return [contact]


def _attributes(listing: ServiceListing, service_id: str) -> list[dict]:
    return [{
        "id": ids.attribute_id(listing.reference, term.id),
        "link_id": service_id,
        "link_type": "service",
        "taxonomy_term_id": term.id,
        "taxonomy_term": taxonomy_term(term),
    } for term in listing_terms(listing)]


def location(listing: ServiceListing) -> dict:
    """Where the service is delivered. Listings hold a delivery mode, not an address, so each has
    one location of its own: ``virtual`` for phone or online, ``physical`` for the rest."""
    mode = DeliveryMode(listing.delivery_mode)
    return {
        "id": ids.location_id(listing),
        "location_type": "virtual" if mode == DeliveryMode.REMOTE else "physical",
        "name": mode.label,
    }


def service_at_location(listing: ServiceListing, *, full: bool = False) -> dict:
    """``service_at_location_list.json``, or ``service_at_location.json`` when ``full``."""
    place = location(listing)
    service_record = service_full(listing, with_locations=False) if full else service(listing)
    return {
        "id": ids.service_at_location_id(listing),
        "service_id": service_record["id"],
        "location_id": place["id"],
        "location": place,
        "service": service_record,
    }


def service_full(listing: ServiceListing, *, with_locations: bool = True) -> dict:
    """``service.json``: the service with everything about it. ``listing`` comes from
    ``providers.selectors.with_listing_details``."""
    record = service(listing)
    service_id = record["id"]
    record |= {
        "service_areas": _service_areas(listing, service_id),
        "languages": _languages(listing, service_id),
        "cost_options": _cost_options(listing, service_id),
        "contacts": _contacts(listing, service_id),
        "attributes": _attributes(listing, service_id),
    }
    if with_locations:
        place = location(listing)
        record["service_at_locations"] = [{
            "id": ids.service_at_location_id(listing),
            "service_id": service_id,
            "location_id": place["id"],
            "location": place,
        }]
    return record


# Pages ------------------------------------------------------------------------------------------

def page(contents: list[dict], *, total: int, page_number: int, per_page: int) -> dict:
    """The ``Page`` envelope of openapi.json around ``contents``."""
    total_pages = math.ceil(total / per_page)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page_number,
        "size": len(contents),
        "first_page": page_number == 1,
        "last_page": page_number >= total_pages,
        "empty": not contents,
        "contents": contents,
    }
