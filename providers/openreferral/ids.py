"""Open Referral identifiers: the feed wants a UUID for every record.

- A service's id is the listing's stored ``feed_id`` (a column with a unique index, so finding a
  service by id is one lookup). Services that existed before the column keep the id the feed gave
  them then: a version-5 UUID of their reference (migration 0008).
- Its one service-at-location and one location use ``feed_id`` with fixed bits flipped, so they
  differ from it and lead back to it in one step.
- Everything else is a version-5 UUID of a fixed namespace and a name that says what the record is
  and which one: a category by slug and a client group by value (so a term has the same id in
  every Mixed Market directory, and a consumer can search several councils' feeds with one id); an
  organisation and a rate card by primary key; what hangs off one listing (its service areas,
  languages, contact) by the listing's reference and the area's or language's code. These are only
  ever looked up among a few rows, never across the directory.

Changing the namespace or any name below changes published ids; consumers would see new records.
"""

import uuid

NAMESPACE = uuid.UUID("6f1c8a4e-2b1d-5c55-9a57-3d0e1c6b7a10")

CATEGORY_TAXONOMY = "service-categories"
CLIENT_GROUP_TAXONOMY = "client-groups"


def _id(kind: str, key) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


# Each service has exactly one service-at-location and one location, so their ids are the
# service's stored ``feed_id`` with fixed bits flipped: distinct from it, and turned back into it
# in one step to find the service. The masks leave the version and variant bits alone.
_AT_LOCATION_MASK = 0x5A5A5A5A_5A5A_0A5A_0A5A_5A5A5A5A5A5A
_LOCATION_MASK = 0x3C3C3C3C_3C3C_0C3C_0C3C_3C3C3C3C3C3C


def service_id(listing) -> str:
    return str(listing.feed_id)


def service_at_location_id(listing) -> str:
    return str(uuid.UUID(int=listing.feed_id.int ^ _AT_LOCATION_MASK))


def location_id(listing) -> str:
    return str(uuid.UUID(int=listing.feed_id.int ^ _LOCATION_MASK))


def feed_id_of_service_at_location(at_location_id: str) -> uuid.UUID:
    return uuid.UUID(int=uuid.UUID(at_location_id).int ^ _AT_LOCATION_MASK)


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
