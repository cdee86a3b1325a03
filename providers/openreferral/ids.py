"""Open Referral identifiers: every record the feed shows gets a UUID, worked out, never stored.

Open Referral wants a UUID for each service, organisation, term and area; our rows have integer keys
and references. Each id is a version-5 UUID of a fixed namespace and a name that says what the record
is and which one (``service:<reference>``), so an id is the same on every request and every server,
and no column or migration is needed. The name uses the most stable key a record has:

- a listing: its ``reference``, the identifier "used by feeds and imports", so the id survives a
  database rebuild or re-import;
- a category: its slug, and a client group: its value, so the same term has the same id in every
  Mixed Market directory and a consumer can search several councils' feeds with one id;
- what hangs off one listing (its service area, language, contact rows): the listing's reference
  and the area's or language's code;
- an organisation and a rate card: the primary key, since they have no other fixed key.

A UUID cannot be turned back into its name, so finding a record by id means working out the ids of
the candidates (see ``selectors.listing_for_id``). Changing this namespace or any name below changes
every published id; consumers would see every record as new.
"""

import uuid

NAMESPACE = uuid.UUID("6f1c8a4e-2b1d-5c55-9a57-3d0e1c6b7a10")

CATEGORY_TAXONOMY = "service-categories"
CLIENT_GROUP_TAXONOMY = "client-groups"


def _id(kind: str, key) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def service_id(reference: str) -> str:
    return _id("service", reference)


def service_at_location_id(reference: str) -> str:
    return _id("service_at_location", reference)


def location_id(reference: str) -> str:
    return _id("location", reference)


def organisation_id(pk: int) -> str:
    return _id("organisation", pk)


def taxonomy_id(name: str) -> str:
    return _id("taxonomy", name)


def category_term_id(slug: str) -> str:
    return _id("term:service-category", slug)


def client_group_term_id(value: str) -> str:
    return _id("term:client-group", value)


def attribute_id(reference: str, term_id: str) -> str:
    return _id(f"attribute:{reference}", term_id)


def service_area_id(reference: str, code: str) -> str:
    return _id(f"service_area:{reference}", code)


def language_id(reference: str, code: str) -> str:
    return _id(f"language:{reference}", code)


def cost_option_id(rate_card_pk: int, route: str) -> str:
    return _id(f"cost_option:{rate_card_pk}", route)


def contact_id(reference: str) -> str:
    return _id("contact", reference)


def phone_id(reference: str) -> str:
    return _id("phone", reference)


def parse(text: str) -> str | None:
    """``text`` as a canonical lower-case UUID string, or None when it is not a UUID."""
    try:
        return str(uuid.UUID(text.strip()))
    except (ValueError, AttributeError):
        return None
