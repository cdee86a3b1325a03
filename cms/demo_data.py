"""Demo data for a believable council: ``manage.py seed_demo`` calls :func:`seed`.

Everything comes from one ``random.Random(seed)``: the same seed and scale always give the same
organisations, names, postcodes and prices (only dates move, relative to today). Money is
integer pence throughout, worked out with ``marketplace.money``; no floats.

At scale 1 (each count is ``max(1, round(base × scale))``, half up; see :data:`BASE_COUNTS`):

- the council, "Mixed Market Borough Council" (``demo-council``), with its own brokerage team;
- 295 approved providers, 35 approved brokers and 5 approved organisations that are both
  (so 300 approved providers and 40 approved brokers), plus 10 that have only applied and 5
  suspended, which are not approved;
- 1–4 kinds of service per provider, weighted to homecare and personal assistants, each offered
  as 1–5 services (different areas, times or groups: about 9 services a provider, so about 2,900
  in all and 29,000 at scale 10), and a support-planning service for every broker: every one of
  the 10 categories has a published service from an approved organisation, at any scale;
- each service with its client groups, areas (postcode districts or wards of the borough),
  languages, delivery mode and capacity; specialist services mostly have a specialist claim the
  council accepted (with a cost-of-care breakdown), some are waiting for a decision;
- the council's reference rate for each category (the current one and the one before), and
  evidence for every mandatory standard of each approved or suspended organisation;
- 2,000 people (at least 2), ``P000001`` onwards;
- the demo users of :data:`DEMO_USERS`, all with the password :data:`DEMO_PASSWORD`;
- three advice pages and the quality framework page under the "Information and advice" section,
  indexed for the site search.

Running it again with the same seed and scale adds nothing: rows are looked up by slug,
reference and username and only missing ones are created. A different seed or scale over
existing demo data is refused (it would mix two data sets), see :class:`DemoDataConflict`.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import random
import string
import sys
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from tqdm import tqdm

from brokerage import services as brokerage_services
from brokerage.constants import ClientGroup
from brokerage.models import Person
from isf import services as isf_services
from isf.constants import RunTrigger
from isf.invoice_checks import DraftLine, InvoiceDraft
from marketplace import audit
from marketplace.constants import Role
from marketplace.models import AuditEvent, Membership, Organisation, User
from marketplace.money import multiply, percentage_of
from marketplace.services import membership_grant
from providers.constants import (
    AccreditationStatus,
    AreaKind,
    CapacityUnit,
    CostLineKind,
    DeliveryMode,
    ListingStatus,
    RateUnit,
    SpecialistClaimStatus,
)
from providers.models import (
    Accreditation,
    Area,
    CostOfCareLine,
    Evidence,
    Language,
    ListingClientGroup,
    QualityStandard,
    RateCard,
    ReferenceRate,
    ServiceCategory,
    ServiceListing,
    SpecialistClaim,
    current_rate_q,
)
from providers.pricing import reference_rates_now
from providers.search import build_search_document

DEFAULT_SEED = 2026
DEMO_PASSWORD = "mixed-market-demo"
DEMO_EMAIL_DOMAIN = "demo.mixedmarket.test"
BATCH_SIZE = 1000

COUNCIL_SLUG = "demo-council"
COUNCIL_NAME = "Mixed Market Borough Council"

#: Counts at scale 1. Approved providers = providers + provider_brokers; approved brokers =
#: brokers + provider_brokers. ``applied`` and ``suspended`` organisations are not approved.
BASE_COUNTS = {
    "providers": 295,
    "provider_brokers": 5,
    "brokers": 35,
    "applied": 10,
    "suspended": 5,
    "people": 2000,
}


class DemoDataError(Exception):
    """The demo data cannot be written (message suitable for the command line)."""


class DemoDataConflict(DemoDataError):
    """Demo data from a different seed or scale is already in the database."""


def counts(scale: Decimal) -> dict[str, int]:
    """How many of each thing ``scale`` gives: ``max(1, round(base × scale))``, half up."""
    scale = Decimal(scale)
    if not scale.is_finite() or scale <= 0:
        raise DemoDataError("The scale must be a number greater than 0")
    result = {
        key: max(1, int((Decimal(base) * scale).to_integral_value(rounding=ROUND_HALF_UP)))
        for key, base in BASE_COUNTS.items()
    }
    result["people"] = max(2, result["people"])  # the demo person and the person represented
    return result


def expected_totals(scale: Decimal) -> dict[str, int]:
    """The directory's numbers after seeding at ``scale`` into an empty database."""
    c = counts(scale)
    return {
        "approved_providers": c["providers"] + c["provider_brokers"],
        "approved_brokers": c["brokers"] + c["provider_brokers"],
        "not_approved": c["applied"] + c["suspended"],
        "people": c["people"],
    }


# --- Word lists --------------------------------------------------------------------------------

FIRST_NAMES = [
    # Names older Londoners are likely to have…
    "Doris", "Harold", "Joan", "Albert", "Iris", "Stanley", "Winifred", "Leonard", "Violet", "Ernest",
    "Margaret", "Frederick", "Edna", "Ronald", "Hilda", "Dennis", "Joyce", "Kenneth", "Sheila", "Derek",
    "Maureen", "Brian", "Patricia", "Terence", "Barbara", "Raymond", "Jean", "Colin", "Pauline", "Roy",
    "Eileen", "Norman", "Valerie", "Graham", "Sylvia", "Trevor", "Brenda", "Clifford", "Irene", "Leslie",
    # …and the many communities of an inner-London borough.
    "Ayo", "Adebayo", "Folake", "Chinwe", "Emeka", "Ngozi", "Kwame", "Ama", "Kofi", "Abena",
    "Winston", "Delroy", "Marcia", "Claudette", "Errol", "Hyacinth", "Lloyd", "Beverley", "Desmond", "Pearl",
    "Mehmet", "Ayse", "Hasan", "Fatma", "Mustafa", "Emine", "Ibrahim", "Zeynep", "Yusuf", "Elif",
    "Abdul", "Rahima", "Shahid", "Nasreen", "Jamal", "Rukhsana", "Anwar", "Shirin", "Faruk", "Taslima",
    "Chaim", "Rivka", "Moshe", "Esther", "Yosef", "Miriam", "Shmuel", "Devorah", "Zalman", "Chana",
    "Krzysztof", "Agnieszka", "Tomasz", "Katarzyna", "Piotr", "Magdalena", "Thanh", "Linh", "Minh", "Huong",
    "James", "Sarah", "Daniel", "Emma", "Liam", "Chloe", "Ryan", "Jessica", "Aaron", "Sophie",
    "Mohammed", "Aisha", "Omar", "Fatima", "Ali", "Maryam", "Tariq", "Leila", "Kemal", "Selin",
    "Grace", "Samuel", "Ruth", "David", "Hannah", "Michael", "Rachel", "Joseph", "Naomi", "Paul",
    "Precious", "Blessing", "Tunde", "Femi", "Sade", "Kayode", "Funmi", "Dami", "Tobi", "Bisi",
    "Sean", "Siobhan", "Declan", "Niamh", "Patrick", "Bridget", "Connor", "Aoife", "Eamon", "Mairead",
]

LAST_NAMES = [
    "Smith", "Jones", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Johnson", "Roberts",
    "Walker", "Wright", "Robinson", "Thompson", "White", "Hughes", "Edwards", "Green", "Hall", "Wood",
    "Harris", "Clarke", "Jackson", "Turner", "Hill", "Moore", "Cooper", "Ward", "King", "Baker",
    "Okafor", "Adeyemi", "Okonkwo", "Balogun", "Mensah", "Owusu", "Boateng", "Asante", "Adebayo", "Eze",
    "Campbell", "Francis", "Henry", "Williams", "Grant", "Bailey", "Reid", "Morgan", "Powell", "Gayle",
    "Yilmaz", "Kaya", "Demir", "Sahin", "Celik", "Ozturk", "Arslan", "Dogan", "Aydin", "Kurt",
    "Rahman", "Begum", "Uddin", "Ahmed", "Miah", "Islam", "Hussain", "Khatun", "Chowdhury", "Ali",
    "Cohen", "Levy", "Friedman", "Goldberg", "Stern", "Katz", "Weiss", "Rosen", "Klein", "Gross",
    "Kowalski", "Nowak", "Wisniewski", "Wojcik", "Kaminski", "Nguyen", "Tran", "Pham", "Le", "Hoang",
    "Murphy", "Kelly", "O'Brien", "Byrne", "Ryan", "Walsh", "O'Connor", "Doyle", "McCarthy", "Gallagher",
    "Patel", "Shah", "Mistry", "Joshi", "Singh", "Kaur", "Sharma", "Gill", "Desai", "Mehta",
    "Da Silva", "Pereira", "Santos", "Costa", "Ferreira", "Mendes", "Ramos", "Lopes", "Gomes", "Alves",
]

#: Places in the demo borough (a fictional inner-London borough, after Hackney and its neighbours).
PLACES = [
    "Riverside", "Hackney", "Clapton", "Dalston", "Homerton", "Stoke Newington", "Shoreditch",
    "Haggerston", "De Beauvoir", "Hoxton", "Kingsland", "London Fields", "Victoria Park", "Lea Valley",
    "Springfield", "Mildmay", "Stamford Hill", "Well Street", "Chatsworth", "Millfields", "Woodberry",
    "Hackney Wick", "Cazenove", "Brownswood", "Queensbridge", "Broadway", "Lordship", "Amhurst",
    "Canalside", "Eastway", "Northwold", "Shacklewell", "Ridley", "Navarino", "Sandringham",
    "Downs Park", "Clissold", "Marshgate", "Wenlock", "Regent's Canal",
]

#: Street-ish and friendly words organisations name themselves after.
NAME_WORDS = [
    "Willow", "Oak", "Harbour", "Beacon", "Compass", "Lantern", "Evergreen", "Bridge", "Horizon",
    "Haven", "Keystone", "Meadow", "Rowan", "Cedar", "Linden", "Maple", "Heron", "Kestrel", "Swift",
    "Thrive", "Anchor", "Sunrise", "First Light", "Good Neighbour", "Hand in Hand", "Many Hands",
    "Open Door", "Kind Hearts", "Bright Futures", "Steady Steps", "Together", "Wellspring", "Kingfisher",
    "Larkspur", "Mulberry", "Chestnut", "Hawthorn", "Juniper", "Orchard", "Quayside", "Canal Side",
    "Market Street", "Mill Lane", "Church Walk", "Gardens", "Square Mile", "Northern Line", "Overground",
]

#: What an organisation calls itself, by its main category.
CATEGORY_NAME_WORDS = {
    "homecare": ["Home Care", "Homecare", "Care at Home", "Care Services", "Home Support", "Domiciliary Care"],
    "personal-assistants": ["Personal Assistants", "PA Services", "Support Workers", "Care and Support",
                            "PA Network"],
    "day-opportunities": ["Day Opportunities", "Community Hub", "Day Centre", "Arts and Skills",
                          "Activity Centre", "Community Project"],
    "supported-living": ["Supported Living", "Housing and Support", "Independent Living", "Living Support"],
    "short-breaks": ["Short Breaks", "Respite Care", "Break House", "Short Stays"],
    "reablement": ["Reablement", "Recovery at Home", "Home from Hospital", "Reablement Team"],
    "telecare": ["Telecare", "Careline", "Alarm Services", "Assistive Technology"],
    "transport": ["Community Transport", "Dial-a-Ride", "Accessible Travel", "Community Minibus"],
    "advocacy": ["Advocacy", "Advocacy Project", "Independent Advocacy", "Advocacy Service", "Advocacy Network"],
    "support-planning": ["Support Planning", "Brokerage", "Independent Living", "Self-Directed Support",
                         "Support Brokerage", "Planning Partnership"],
}
BOTH_NAME_WORDS = ["Care and Brokerage", "Support and Planning", "Care and Support Planning", "Living Options"]

LEGAL_FORMS = ["Ltd", "Ltd", "Ltd", "Ltd", "Limited", "CIC", "CIC", "Trust", "Co-operative"]
EMAIL_LOCAL_PARTS = ["hello", "info", "enquiries", "referrals", "office", "contact", "care"]

#: Postcode districts of the demo borough, with how many people and services are in each.
POSTCODE_DISTRICTS = [("E8", 24), ("E5", 20), ("E9", 18), ("N16", 18), ("N1", 12), ("E2", 8)]
POSTCODE_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters used in the inward code (no C I K M O V)

CLIENT_GROUP_WEIGHTS = [
    (ClientGroup.OLDER_PERSON, 45),
    (ClientGroup.PHYSICAL_DISABILITY, 15),
    (ClientGroup.LEARNING_DISABILITY, 14),
    (ClientGroup.MENTAL_HEALTH, 16),
    (ClientGroup.CARER, 10),
]


# --- Services and prices -----------------------------------------------------------------------

@dataclass(frozen=True)
class Pricing:
    """How one category is priced. Ranges are inclusive, in pence, stepped to look like real prices.

    Normally the contract rate is drawn and the direct-payment rate is ``dp_discount`` per cent
    lower. For personal assistants the direct-payment rate is drawn and the contract rate is
    ``contract_premium`` per cent above it.
    """

    unit: str
    contract: tuple[int, int, int] | None = None
    dp_discount: tuple[int, int] | None = None
    dp: tuple[int, int, int] | None = None
    contract_premium: tuple[int, int] | None = None
    minimum_quantity: str = "0"
    capacity: tuple[int, int, int] = (0, 100, 5)  # hours a week, places or trips the provider can take on


PRICING = {
    "homecare": Pricing(RateUnit.HOUR, contract=(2300, 3200, 5), dp_discount=(15, 25),
                        minimum_quantity="0.5", capacity=(0, 400, 10)),
    "personal-assistants": Pricing(RateUnit.HOUR, dp=(1200, 1600, 5), contract_premium=(4, 12),
                                   minimum_quantity="2", capacity=(0, 80, 4)),
    "day-opportunities": Pricing(RateUnit.SESSION, contract=(3500, 7500, 25), dp_discount=(10, 20),
                                 minimum_quantity="1", capacity=(0, 30, 1)),
    "supported-living": Pricing(RateUnit.HOUR, contract=(2000, 2800, 5), dp_discount=(10, 20),
                                capacity=(0, 200, 5)),
    "short-breaks": Pricing(RateUnit.NIGHT, contract=(12000, 25000, 500), dp_discount=(10, 20),
                            minimum_quantity="1", capacity=(0, 8, 1)),
    "reablement": Pricing(RateUnit.HOUR, contract=(2500, 3000, 5), dp_discount=(10, 15), capacity=(0, 300, 10)),
    "telecare": Pricing(RateUnit.WEEK, contract=(300, 800, 5), dp_discount=(5, 15), capacity=(0, 300, 10)),
    "transport": Pricing(RateUnit.ITEM, contract=(800, 2500, 50), dp_discount=(5, 15), capacity=(0, 150, 5)),
    "advocacy": Pricing(RateUnit.HOUR, contract=(3000, 4500, 50), dp_discount=(10, 20), capacity=(0, 60, 2)),
    "support-planning": Pricing(RateUnit.HOUR, contract=(2800, 4000, 50), dp_discount=(10, 20),
                                capacity=(0, 40, 2)),
}
CATEGORY_SLUGS = list(PRICING)  # the 10 categories of providers/migrations/0002_service_categories.py

#: How likely each category is among a provider's services (support planning is for brokers).
PROVIDER_CATEGORY_WEIGHTS = {
    "homecare": 30, "personal-assistants": 20, "day-opportunities": 10, "supported-living": 8,
    "short-breaks": 6, "reablement": 5, "telecare": 5, "transport": 6, "advocacy": 10,
}
SERVICES_PER_PROVIDER_WEIGHTS = {1: 10, 2: 25, 3: 35, 4: 30}  # kinds of service: about 3 on average
LISTINGS_PER_KIND_WEIGHTS = {1: 15, 2: 20, 3: 25, 4: 20, 5: 20}  # services of each kind: about 3
SPECIALIST_PERCENT = 10
SPECIALIST_UPLIFT = (20, 45)  # per cent above what the provider would otherwise charge

TITLES = {
    "homecare": ["Homecare", "Home care and support", "Care at home", "Domiciliary care",
                 "Evening and weekend homecare"],
    "personal-assistants": ["Personal assistant service", "Personal assistants for direct payments",
                            "PA matching and support", "Flexible personal assistants"],
    "day-opportunities": ["Day opportunities", "Community day service", "Arts and skills sessions",
                          "Employment and volunteering support", "Social and leisure activities"],
    "supported-living": ["Supported living", "Support in your own tenancy", "Shared supported living"],
    "short-breaks": ["Short breaks", "Overnight short breaks", "Respite stays"],
    "reablement": ["Reablement", "Home from hospital reablement", "Reablement at home"],
    "telecare": ["Telecare alarm and response", "Telecare and sensors", "Personal alarm service"],
    "transport": ["Community transport", "Door-to-door transport", "Accessible minibus trips"],
    "advocacy": ["Independent advocacy", "Care Act advocacy", "Self-advocacy support"],
    "support-planning": ["Support planning and brokerage", "Independent support planning",
                         "Brokerage and support planning"],
}
SPECIALIST_TITLES = {
    "homecare": ["Specialist dementia homecare", "Specialist end-of-life homecare",
                 "Specialist complex-care homecare"],
    "personal-assistants": ["Specialist personal assistants for autistic adults",
                            "Specialist PA support for complex health needs"],
    "day-opportunities": ["Autism-specialist day service", "Specialist day service for profound disabilities"],
    "supported-living": ["Specialist supported living for mental health", "Autism-specialist supported living"],
    "short-breaks": ["Specialist short breaks for complex needs"],
    "reablement": ["Specialist stroke reablement"],
    "telecare": ["Specialist dementia telecare"],
    "transport": ["Specialist wheelchair transport"],
    "advocacy": ["Specialist advocacy for people with learning disabilities", "Specialist mental health advocacy"],
    "support-planning": ["Specialist support planning for autistic adults"],
}
DESCRIPTIONS = {
    "homecare": "Help at home with washing, dressing, meals and medicines, at times that suit you.",
    "personal-assistants": "Personal assistants you choose, to support you at home and out and about.",
    "day-opportunities": "Activities, learning and time with friends during the day.",
    "supported-living": "Support to live in your own home, with staff on hand when you need them.",
    "short-breaks": "Overnight stays that give you, and the people who care for you, a break.",
    "reablement": "Short-term help to get back your skills and confidence after illness or a hospital stay.",
    "telecare": "A pendant alarm and home sensors, answered day and night by a response team.",
    "transport": "Accessible trips to activities, appointments and work.",
    "advocacy": "Independent help to say what you want, be heard and secure your rights.",
    "support-planning": "Help to plan how to spend your personal budget, and to arrange the support you choose.",
}
SERVICE_NAMES = {
    "homecare": "homecare", "personal-assistants": "personal assistants", "day-opportunities": "day opportunities",
    "supported-living": "supported living", "short-breaks": "short breaks", "reablement": "reablement",
    "telecare": "telecare", "transport": "transport", "advocacy": "advocacy", "support-planning": "support planning",
}
SPECIALIST_NOTE = " Staff have specialist training and experience; the price reflects this."

#: What a second, third… service of the same kind is about, so that the titles differ.
VARIANTS = ["in {place}", "evenings and weekends", "for {group}", "in {place}", "short notice"]

_O, _P, _L, _M, _C = (ClientGroup.OLDER_PERSON, ClientGroup.PHYSICAL_DISABILITY, ClientGroup.LEARNING_DISABILITY,
                      ClientGroup.MENTAL_HEALTH, ClientGroup.CARER)


@dataclass(frozen=True)
class Profile:
    """How a category of service is delivered, counted and for whom."""

    delivery_mode: str
    capacity_unit: str
    client_groups: tuple[str, ...]
    specialisms: tuple[str, ...]


PROFILES = {
    "homecare": Profile(DeliveryMode.AT_HOME, CapacityUnit.HOURS, (_O, _P), ("dementia", "end of life care", "stroke")),
    "personal-assistants": Profile(DeliveryMode.AT_HOME, CapacityUnit.HOURS, (_P, _L, _O),
                                   ("autism", "complex health needs", "spinal injury")),
    "day-opportunities": Profile(DeliveryMode.VENUE, CapacityUnit.PLACES, (_L, _M, _O),
                                 ("autism", "profound and multiple learning disabilities", "dementia")),
    "supported-living": Profile(DeliveryMode.RESIDENTIAL, CapacityUnit.HOURS, (_L, _M),
                                ("autism", "mental health recovery", "acquired brain injury")),
    "short-breaks": Profile(DeliveryMode.RESIDENTIAL, CapacityUnit.PLACES, (_L, _P, _C), ("complex needs", "dementia")),
    "reablement": Profile(DeliveryMode.AT_HOME, CapacityUnit.HOURS, (_O, _P), ("stroke", "falls prevention")),
    "telecare": Profile(DeliveryMode.REMOTE, CapacityUnit.PLACES, (_O, _P, _C), ("dementia", "epilepsy")),
    "transport": Profile(DeliveryMode.COMMUNITY, CapacityUnit.PLACES, (_O, _P, _L), ("wheelchair users",)),
    "advocacy": Profile(DeliveryMode.COMMUNITY, CapacityUnit.HOURS, (_L, _M, _O, _C),
                        ("learning disabilities", "mental health", "Care Act advocacy")),
    "support-planning": Profile(DeliveryMode.COMMUNITY, CapacityUnit.HOURS, (_O, _P, _L, _M, _C),
                                ("autism", "young people moving to adult services")),
}
GROUP_WORDS = {_O: "older people", _P: "disabled adults", _L: "people with learning disabilities",
               _M: "mental health", _C: "carers"}

#: Wards of the demo borough and the postcode districts each lies in (fictional codes).
WARDS = [
    ("W-DALSTON", "Dalston", ["E8"]), ("W-HACKNEY-CENTRAL", "Hackney Central", ["E8", "E9"]),
    ("W-CLAPTON", "Clapton", ["E5"]), ("W-HOMERTON", "Homerton", ["E9"]),
    ("W-STOKE-NEWINGTON", "Stoke Newington", ["N16"]), ("W-HOXTON", "Hoxton", ["N1"]),
    ("W-HAGGERSTON", "Haggerston", ["E2", "E8"]), ("W-DE-BEAUVOIR", "De Beauvoir", ["N1"]),
    ("W-VICTORIA", "Victoria", ["E9"]), ("W-CAZENOVE", "Cazenove", ["N16", "E5"]),
    ("W-SHACKLEWELL", "Shacklewell", ["E8", "N16"]), ("W-LONDON-FIELDS", "London Fields", ["E8"]),
]
DISTRICT_NAMES = {"E8": "Hackney, Dalston", "E5": "Clapton", "E9": "Homerton, Hackney Wick",
                  "N16": "Stoke Newington", "N1": "Hoxton, De Beauvoir", "E2": "Haggerston"}
#: Languages besides English that services in the borough offer, most common first.
COMMUNITY_LANGUAGES = [("tr", 20), ("bn", 14), ("pl", 12), ("yi", 10), ("ur", 8), ("yo", 8), ("so", 6),
                       ("pt", 6), ("bfi", 6), ("gu", 4), ("pa", 3), ("ku", 3)]
OTHER_LANGUAGES_PERCENT = 35

#: The council's usual cost per unit: a little above the middle of what providers charge, so some
#: ordinary prices are above it. The one before was 4% lower and started a year earlier.
REFERENCE_RATES = {
    "homecare": 2850, "personal-assistants": 1600, "day-opportunities": 6000, "supported-living": 2500,
    "short-breaks": 20000, "reablement": 2850, "telecare": 650, "transport": 2000, "advocacy": 4000,
    "support-planning": 3600,
}
REFERENCE_RATE_STARTED_DAYS_AGO = 200
#: Of specialist services: how many had their claim accepted, and how many are waiting.
CLAIM_ACCEPTED_PERCENT, CLAIM_WAITING_PERCENT = 75, 15
STAFF_HOURS_PER_UNIT = {RateUnit.HOUR: "1", RateUnit.VISIT: "0.75", RateUnit.DAY: "8", RateUnit.NIGHT: "10",
                        RateUnit.WEEK: "0.25", RateUnit.SESSION: "1.5", RateUnit.ITEM: "1"}
DEMO_EVIDENCE_NAME = "evidence/demo/demo-certificate.pdf"


# --- The plan: what the demo data is, before any database --------------------------------------

@dataclass
class ListingSpec:
    reference: str
    category: str
    title: str
    description: str
    status: str
    capacity_available: int | None
    unit: str
    contract_rate_pence: int
    direct_payment_rate_pence: int
    minimum_quantity: Decimal
    effective_from: datetime.date
    specialist: bool
    delivery_mode: str = DeliveryMode.AT_HOME
    capacity_unit: str = CapacityUnit.HOURS
    client_groups: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)  # area codes: districts or wards
    languages: list[str] = field(default_factory=list)  # language codes
    specialisms: list[str] = field(default_factory=list)
    claim: str | None = None  # the specialist claim's status, if there is one


@dataclass
class OrganisationSpec:
    slug: str
    name: str
    is_provider: bool
    is_broker: bool
    email: str
    telephone: str
    website: str
    postcode: str
    description: str
    status: str
    approved_at: datetime.datetime | None
    expires_on: datetime.date | None
    listings: list[ListingSpec] = field(default_factory=list)


@dataclass
class PersonSpec:
    reference: str
    first_name: str
    last_name: str
    date_of_birth: datetime.date
    postcode: str
    client_group: str
    broker_slug: str | None
    consent_to_share: bool


@dataclass(frozen=True)
class DemoUser:
    username: str
    label: str
    role: str | None  # a membership role, or None for the person, representative and admin
    organisation: str | None  # "council", "broker" or "provider": where the role is held
    start: str  # where to start, once signed in


DEMO_USERS = [
    DemoUser("person", "Person with a personal budget", None, None, "/my-support/"),
    DemoUser("representative", "Representative (family member)", None, None, "/my-support/"),
    DemoUser("broker", "Broker", Role.BROKER, "broker", "/people/"),
    DemoUser("council-broker", "Broker in the council's own team", Role.BROKER, "council", "/people/"),
    DemoUser("provider", "Provider staff", Role.PROVIDER_STAFF, "provider", "/portal/"),
    DemoUser("provider-admin", "Provider administrator", Role.PROVIDER_ADMIN, "provider", "/portal/"),
    DemoUser("contracts", "Council contract officer", Role.CONTRACT_OFFICER, "council", "/admin/"),
    DemoUser("finance", "Council finance officer", Role.FINANCE_OFFICER, "council", "/admin/"),
    DemoUser("editor", "Content editor", Role.CONTENT_EDITOR, "council", "/admin/pages/"),
    DemoUser("admin", "Site administrator (superuser)", None, None, "/admin/"),
]


@dataclass
class Plan:
    seed: int
    scale: Decimal
    counts: dict[str, int]
    organisations: list[OrganisationSpec]
    people: list[PersonSpec]
    user_names: dict[str, tuple[str, str]]
    broker_slug: str  # the demo broker's organisation: first approved broker
    provider_slug: str  # the demo provider staff's organisation: first approved provider

    @property
    def listings(self) -> list[tuple[OrganisationSpec, ListingSpec]]:
        return [(org, listing) for org in self.organisations for listing in org.listings]


def _weighted(rng: random.Random, weights: dict | list):
    items = list(weights.items()) if isinstance(weights, dict) else list(weights)
    return rng.choices([item for item, _ in items], weights=[weight for _, weight in items])[0]


def _pick(rng: random.Random, low: int, high: int, step: int = 1) -> int:
    """A whole number from ``low`` to ``high`` inclusive, in steps of ``step``."""
    return rng.randrange(low, high + 1, step)


def postcode(rng: random.Random) -> str:
    """A valid-format postcode in the demo borough, e.g. ``"E8 3QP"``."""
    district = _weighted(rng, POSTCODE_DISTRICTS)
    letters = rng.choice(POSTCODE_UNIT_LETTERS) + rng.choice(POSTCODE_UNIT_LETTERS)
    return f"{district} {rng.randrange(10)}{letters}"


def telephone(rng: random.Random) -> str:
    """A London number from the range Ofcom keeps for drama, so it never rings anyone."""
    return f"020 7946 0{rng.randrange(1000):03d}"


def _and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _organisation_name(rng: random.Random, category: str, both: bool) -> tuple[str, str]:
    """A believable name, and its form without the legal ending (for the web address)."""
    words = rng.choice(BOTH_NAME_WORDS if both else CATEGORY_NAME_WORDS[category])
    style = rng.randrange(10)
    if style < 4:
        stem = f"{rng.choice(PLACES)} {words}"
    elif style < 7:
        stem = f"{rng.choice(NAME_WORDS)} {words}"
    elif style < 9:
        stem = f"{rng.choice(LAST_NAMES)} {words}"
    else:
        stem = f"{rng.choice(LAST_NAMES)} & {rng.choice(LAST_NAMES)} {words}"
    return f"{stem} {rng.choice(LEGAL_FORMS)}", stem


def _unique_name(rng: random.Random, category: str, both: bool, taken: set[str]) -> tuple[str, str, str]:
    for _ in range(50):
        name, stem = _organisation_name(rng, category, both)
        slug = slugify(name)[:60].strip("-")  # leaves room for "demo-…-N" listing references
        if slug not in taken:
            taken.add(slug)
            return name, stem, slug
    # Very large scales can run out of fresh combinations: number the name.
    number = 2
    while f"{slug}-{number}" in taken:
        number += 1
    taken.add(f"{slug}-{number}")
    return f"{name} ({number})", f"{stem} {number}", f"{slug}-{number}"


def _rates(rng: random.Random, category: str, specialist: bool) -> tuple[int, int]:
    """``(contract_rate_pence, direct_payment_rate_pence)``; the DP rate is always the lower."""
    pricing = PRICING[category]
    uplift = _pick(rng, *SPECIALIST_UPLIFT) if specialist else 0
    if pricing.dp is not None:
        dp = percentage_of(_pick(rng, *pricing.dp), 100 + uplift)
        contract = percentage_of(dp, 100 + _pick(rng, *pricing.contract_premium))
    else:
        contract = percentage_of(_pick(rng, *pricing.contract), 100 + uplift)
        dp = percentage_of(contract, 100 - _pick(rng, *pricing.dp_discount))
    return contract, dp


def _listing(rng: random.Random, org_slug: str, number: int, category: str, status: str,
             today: datetime.date, districts: list[str] | None = None, variant: int = 0) -> ListingSpec:
    pricing, profile = PRICING[category], PROFILES[category]
    specialist = rng.randrange(100) < SPECIALIST_PERCENT
    title = rng.choice((SPECIALIST_TITLES if specialist else TITLES)[category])
    contract, dp = _rates(rng, category, specialist)
    if status == ListingStatus.PAUSED:
        capacity = 0
    elif status == ListingStatus.DRAFT and rng.randrange(2):
        capacity = None
    else:
        capacity = _pick(rng, *pricing.capacity)
    groups = sorted(rng.sample(profile.client_groups, rng.randrange(1, len(profile.client_groups) + 1)))
    districts = districts or [_weighted(rng, POSTCODE_DISTRICTS)]
    if rng.randrange(100) < 25:  # some services name wards rather than whole districts
        wards = [code for code, _, in_districts in WARDS if set(in_districts) & set(districts)]
        areas = sorted(rng.sample(wards, min(len(wards), rng.randrange(1, 4))))
    else:
        areas = list(districts)
    if variant:
        words = rng.choice(VARIANTS).format(place=rng.choice(PLACES), group=GROUP_WORDS[groups[0]])
        title = f"{title} {words}"
    languages = ["en"]
    if rng.randrange(100) < OTHER_LANGUAGES_PERCENT:
        for _ in range(rng.randrange(1, 3)):
            code = _weighted(rng, COMMUNITY_LANGUAGES)
            if code not in languages:
                languages.append(code)
    specialisms = sorted(rng.sample(profile.specialisms, rng.randrange(1, len(profile.specialisms) + 1))) \
        if specialist or rng.randrange(100) < 30 else []
    claim = None
    if specialist:
        roll = rng.randrange(100)
        if roll < CLAIM_ACCEPTED_PERCENT:
            claim = SpecialistClaimStatus.ACCEPTED
        elif roll < CLAIM_ACCEPTED_PERCENT + CLAIM_WAITING_PERCENT:
            claim = SpecialistClaimStatus.SUBMITTED
    return ListingSpec(
        reference=f"demo-{org_slug}-{number}",
        category=category,
        title=title,
        description=DESCRIPTIONS[category] + (SPECIALIST_NOTE if specialist else ""),
        status=status,
        capacity_available=capacity,
        unit=pricing.unit,
        contract_rate_pence=contract,
        direct_payment_rate_pence=dp,
        minimum_quantity=Decimal(pricing.minimum_quantity),
        effective_from=today - datetime.timedelta(days=rng.randrange(1, 366)),
        specialist=specialist,
        delivery_mode=profile.delivery_mode,
        capacity_unit=profile.capacity_unit,
        client_groups=groups,
        areas=areas,
        languages=languages,
        specialisms=specialisms,
        claim=claim,
    )


def _listing_status(rng: random.Random, accreditation: str) -> str:
    roll = rng.randrange(100)
    if accreditation == AccreditationStatus.APPLIED:  # not yet approved: still writing its services
        return ListingStatus.DRAFT if roll < 85 else ListingStatus.PAUSED
    if roll < 85:
        return ListingStatus.PUBLISHED
    return ListingStatus.DRAFT if roll < 93 else ListingStatus.PAUSED


def _provider_categories(rng: random.Random) -> list[str]:
    how_many = _weighted(rng, SERVICES_PER_PROVIDER_WEIGHTS)
    remaining = dict(PROVIDER_CATEGORY_WEIGHTS)
    chosen = []
    for _ in range(how_many):
        category = _weighted(rng, remaining)
        chosen.append(category)
        del remaining[category]
    return chosen


def _accreditation(rng: random.Random, status: str, today: datetime.date, tz) -> tuple:
    if status == AccreditationStatus.APPLIED:
        return None, None
    approved_on = today - datetime.timedelta(days=rng.randrange(7, 700))
    approved_at = timezone.make_aware(
        datetime.datetime.combine(approved_on, datetime.time(rng.randrange(9, 17), rng.randrange(0, 60, 5))), tz)
    if rng.randrange(100) < 5:  # due for renewal soon
        expires_on = today + datetime.timedelta(days=rng.randrange(30, 90))
    else:  # 3 to 24 months away
        expires_on = today + datetime.timedelta(days=rng.randrange(90, 731))
    return approved_at, expires_on


def _organisation(rng: random.Random, *, is_provider: bool, is_broker: bool, status: str,
                  taken: set[str], today: datetime.date, tz) -> OrganisationSpec:
    categories = _provider_categories(rng) if is_provider else []
    main = categories[0] if categories else "support-planning"
    name, stem, slug = _unique_name(rng, main, is_provider and is_broker, taken)
    domain = f"{slugify(stem)}.example"
    approved_at, expires_on = _accreditation(rng, status, today, tz)
    if is_broker:
        categories.append("support-planning")
    areas = sorted({district for district, _ in rng.sample(POSTCODE_DISTRICTS, rng.randrange(2, 5))})
    listings = []
    for category in categories:
        how_many = 1 if category == "support-planning" else _weighted(rng, LISTINGS_PER_KIND_WEIGHTS)
        for variant in range(how_many):
            listings.append(_listing(rng, slug, len(listings) + 1, category, _listing_status(rng, status), today,
                                     areas, variant))
    offers = _and_list([SERVICE_NAMES[category] for category in categories])
    return OrganisationSpec(
        slug=slug, name=name, is_provider=is_provider, is_broker=is_broker,
        email=f"{rng.choice(EMAIL_LOCAL_PARTS)}@{domain}", telephone=telephone(rng),
        website=f"https://www.{domain}", postcode=postcode(rng),
        description=f"{name} offers {offers} to adults in {_and_list(areas)}.",
        status=status, approved_at=approved_at, expires_on=expires_on, listings=listings,
    )


def _ensure_coverage(organisations: list[OrganisationSpec], rng: random.Random, today: datetime.date) -> None:
    """Make sure every category has a published service from an approved organisation."""
    approved = [org for org in organisations if org.status == AccreditationStatus.APPROVED]
    for category in CATEGORY_SLUGS:
        offering = [(org, listing) for org in approved for listing in org.listings if listing.category == category]
        if any(listing.status == ListingStatus.PUBLISHED for _, listing in offering):
            continue
        if offering:
            offering[0][1].status = ListingStatus.PUBLISHED
            if offering[0][1].capacity_available in (None, 0):
                offering[0][1].capacity_available = max(1, _pick(rng, *PRICING[category].capacity))
            continue
        able = [org for org in approved if (org.is_broker if category == "support-planning" else org.is_provider)]
        org = able[0]
        listing = _listing(rng, org.slug, len(org.listings) + 1, category, ListingStatus.PUBLISHED, today)
        org.listings.append(listing)


def _person(rng: random.Random, number: int, today: datetime.date, approved_brokers: list[str]) -> PersonSpec:
    group = _weighted(rng, CLIENT_GROUP_WEIGHTS)
    if group == ClientGroup.OLDER_PERSON:
        age = 65 + rng.randrange(18) + rng.randrange(17)  # 65–98, most in their late 70s and 80s
    elif group == ClientGroup.CARER:
        age = 25 + rng.randrange(31) + rng.randrange(31)  # 25–85
    else:
        age = 18 + rng.randrange(24) + rng.randrange(24)  # 18–64
    date_of_birth = _years_before(today, age) - datetime.timedelta(days=rng.randrange(365))
    roll = rng.randrange(100)
    if roll < 60:
        broker = rng.choice(approved_brokers)
    elif roll < 85:
        broker = COUNCIL_SLUG
    else:
        broker = None
    return PersonSpec(
        reference=f"P{number:06d}",
        first_name=rng.choice(FIRST_NAMES),
        last_name=rng.choice(LAST_NAMES),
        date_of_birth=date_of_birth,
        postcode=postcode(rng),
        client_group=group,
        broker_slug=broker,
        consent_to_share=broker is not None and rng.randrange(100) < 92,
    )


def build_plan(seed: int = DEFAULT_SEED, scale: Decimal = Decimal(1), today: datetime.date | None = None) -> Plan:
    """All the demo data as plain objects, from one ``random.Random(seed)``. Touches no database."""
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    rng = random.Random(seed)
    how_many = counts(scale)
    taken = {COUNCIL_SLUG}
    organisations = []

    def add(count, **kinds):
        for _ in range(count):
            organisations.append(_organisation(rng, taken=taken, today=today, tz=tz, **kinds))

    approved = AccreditationStatus.APPROVED
    add(how_many["providers"], is_provider=True, is_broker=False, status=approved)
    add(how_many["provider_brokers"], is_provider=True, is_broker=True, status=approved)
    add(how_many["brokers"], is_provider=False, is_broker=True, status=approved)
    for status in (AccreditationStatus.APPLIED, AccreditationStatus.SUSPENDED):
        for _ in range(how_many[status]):
            is_broker = rng.randrange(100) < 20
            organisations.append(_organisation(rng, is_provider=not is_broker, is_broker=is_broker,
                                               status=status, taken=taken, today=today, tz=tz))
    _ensure_coverage(organisations, rng, today)

    approved_brokers = [org.slug for org in organisations if org.status == approved and org.is_broker]
    broker_slug = next(org.slug for org in organisations if org.status == approved and org.is_broker
                       and not org.is_provider)
    provider_slug = next(org.slug for org in organisations if org.status == approved and org.is_provider)
    people = [_person(rng, number, today, approved_brokers) for number in range(1, how_many["people"] + 1)]
    # The demo person, the person the demo representative acts for, and a third whose plan is
    # being written: all with the demo broker, so the broker's demo shows each stage of a plan.
    for person in people[:3]:
        person.broker_slug, person.consent_to_share = broker_slug, True

    user_names = {user.username: (rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)) for user in DEMO_USERS}
    user_names["person"] = (people[0].first_name, people[0].last_name)
    user_names["representative"] = (user_names["representative"][0], people[1].last_name)
    user_names["admin"] = ("Demo", "Administrator")
    return Plan(seed=seed, scale=Decimal(scale), counts=how_many, organisations=organisations, people=people,
                user_names=user_names, broker_slug=broker_slug, provider_slug=provider_slug)


# --- Advice pages ------------------------------------------------------------------------------

def _p(*paragraphs: str) -> str:
    return "".join(f"<p>{text}</p>" for text in paragraphs)


def _ul(*items: str) -> str:
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def _steps(heading: str, *steps: tuple[str, str]) -> tuple[str, dict]:
    return ("steps", {"heading": heading, "steps": [{"title": title, "text": _p(text)} for title, text in steps]})


#: The council's own contact details, as the council organisation has them (see ``_council``).
COUNCIL_CONTACT = ("contact", {
    "heading": "Contact the council", "team": "Adult social care",
    "telephone": "020 7946 0000", "email": "adult.social.care@mixedmarket-borough.example",
    "hours": "Monday to Friday, 9am to 5pm",
})

QUALITY_FRAMEWORK_SLUG = "quality-framework"
DIRECTORY_SLUG = "find-support"


ADVICE_PAGES = [
    {
        "slug": "what-is-a-personal-budget",
        "title": "What is a personal budget",
        "summary": "A personal budget is the money it will cost to meet your eligible care and support needs. "
                   "You decide, with help if you want it, how it is spent.",
        "body": [
            ("paragraph", _p(
                "If the council assesses you as eligible for care and support, you get a personal budget: "
                "a clear amount of money, agreed up front, to pay for the support you need.",
                "You can use it to get support in the way that suits you, from the council or from "
                "approved providers.")),
            ("heading", {"text": "How the council works out your budget", "size": "m"}),
            ("paragraph", _p(
                "After your assessment, the council uses its Resource Allocation System to give you an "
                "<b>indicative budget</b>. This is a first estimate of what your support will cost.",
                "You will get a breakdown that shows how the amount was worked out.")),
            ("heading", {"text": "Your budget can change while you plan", "size": "m"}),
            ("paragraph", _p(
                "The indicative budget may go up or down as you and your broker plan your support. Your "
                "<b>agreed budget</b> is set when the council signs off your costed support plan.")),
            ("heading", {"text": "Your contribution and the council's share", "size": "m"}),
            ("paragraph", _p(
                "Your personal budget shows 3 amounts: the <b>total cost</b> of your support, the amount "
                "<b>you contribute</b>, and the <b>council's share</b>, which is the rest.",
                "The council works out your contribution with a financial assessment of your income and "
                "savings. Some people contribute nothing.",
                "For example, if your support costs £300 a week and your financial assessment says you can "
                "contribute £60 a week, the council pays £240 a week.")),
            ("inset", "You will always be told how much you need to contribute before your support starts."),
            _steps(
                "How you get a personal budget",
                ("Ask for an assessment",
                 "Contact the council's adult social care team. Someone will talk to you about what you need "
                 "help with and what matters to you."),
                ("Get your indicative budget",
                 "If you are eligible, the council tells you your indicative budget and how it was worked out."),
                ("Plan your support",
                 "You, your family or a broker write a support plan: what you want to achieve, the support "
                 "that will help, who will provide it and what it costs."),
                ("The council signs off your plan",
                 "The council checks the plan meets your needs safely and agrees your budget."),
                ("Your support starts",
                 "Your support starts and the council reviews with you how it is going, at least once a year."),
            ),
            ("heading", {"text": "Support that is free", "size": "m"}),
            ("paragraph", _p(
                "Reablement is short-term help to get back your skills and confidence after an illness or a "
                "stay in hospital. It is free and is not taken from your personal budget.")),
            ("details", {"summary": "What happens if my budget changes later?", "text": _p(
                "If your budget goes up, the increase starts straight away.",
                "If it goes down, the council may keep your current level of support if a sudden cut "
                "would put you at significant risk or cause you distress. Otherwise, the council may "
                "reduce your support in steps over up to 3 months.")}),
            COUNCIL_CONTACT,
        ],
    },
    {
        "slug": "ways-to-take-your-budget",
        "title": "Ways to take your budget",
        "summary": "You can take your personal budget as a direct payment, a managed direct payment, a "
                   "council-managed budget or an Individual Service Fund, or mix them.",
        "body": [
            ("paragraph", _p(
                "There are 4 ways to take your personal budget. You can choose a different way for each "
                "part of your support plan.")),
            ("heading", {"text": "Direct payment", "size": "m"}),
            ("paragraph", _p(
                "The council pays the money to you, into a separate bank account or onto a prepaid card. "
                "You arrange and pay for your own support, and you can employ personal assistants.",
                "Direct-payment prices are usually lower than the council's contract prices, so the same "
                "support often costs less this way.")),
            ("heading", {"text": "Third-party managed direct payment", "size": "m"}),
            ("paragraph", _p(
                "A direct payment that the council or a trustee manages for you, so you choose your "
                "support without handling the money or the paperwork yourself.")),
            ("heading", {"text": "Council-managed budget", "size": "m"}),
            ("paragraph", _p(
                "The council arranges your support for you, with providers under its contracts.")),
            ("heading", {"text": "Individual Service Fund", "size": "m"}),
            ("paragraph", _p(
                "The council passes your budget to a provider you choose. The provider holds it for you "
                "and uses it flexibly on the support in your plan, and sends you a statement of how it "
                "is spent.")),
            ("inset", "The council must sign off your support plan before any direct payment or Individual "
                      "Service Fund is paid."),
            ("warning", "You cannot usually use a direct payment to pay a relative who lives in your home. "
                        "Talk to the council before you agree your plan if this matters to you."),
            ("details", {"summary": "Checks if you take a direct payment", "text": _p(
                "The council looks at how much help you may need to manage the money. Your first "
                "review of how the money has been spent is within 6 months, then at least every "
                "12 months, or more often if you need more support.",
                "If you employ personal assistants, you can ask the council to arrange a DBS "
                "(criminal records) check.")}),
            COUNCIL_CONTACT,
        ],
    },
    {
        "slug": "choosing-a-provider",
        "title": "Choosing a provider",
        "summary": "How to find and compare approved providers and brokers, and what the prices mean.",
        "body": [
            ("paragraph", _p(
                "The directory lists only providers and brokers that the council has approved under its "
                "quality framework, and whose approval is in date.")),
            ("heading", {"text": "The quality framework", "size": "m"}),
            ("paragraph", _p(
                "Every provider and broker in the directory has shown the council that it meets the same "
                "standards, for example on safeguarding adults, staff vetting, insurance and complaints. "
                "They must renew their evidence regularly to stay approved.")),
            ("button", {"text": "Read the quality framework", "page": QUALITY_FRAMEWORK_SLUG}),
            _steps(
                "How to choose",
                ("Search the directory",
                 "Search by the kind of support you need and your postcode. You can filter by language, "
                 "by the group of people a service supports, and by whether it can start soon."),
                ("Compare up to 4 services",
                 "Compare prices, areas, times and what each service offers, side by side."),
                ("Talk to the providers",
                 "Ask them the questions that matter to you before you decide."),
                ("Add your choice to your support plan",
                 "Your broker adds the service to your plan and agrees the price with the provider."),
            ),
            ("button", {"text": "Find care and support", "page": DIRECTORY_SLUG}),
            ("heading", {"text": "Get help to plan", "size": "m"}),
            ("paragraph", _p(
                "A broker can help you plan how to spend your budget and arrange your support. You can "
                "choose the council's own brokerage team or an approved brokerage organisation. Your "
                "broker can only see your record if you agree to share it.")),
            ("heading", {"text": "Compare services and prices", "size": "m"}),
            ("paragraph", _p("Each service shows 2 prices:") + _ul(
                "the <b>contract rate</b>, paid when the council arranges your support or you have an "
                "Individual Service Fund",
                "the <b>direct-payment rate</b>, usually lower, paid when you arrange support with a "
                "direct payment")),
            ("heading", {"text": "If a service costs more", "size": "m"}),
            ("paragraph", _p(
                "Some services cost more because they are specialist, for example dementia care. If the "
                "council accepts the reason, the extra cost is taken into account when your budget is "
                "agreed.",
                "If a service costs more than the council expects and is not specialist, the price can "
                "be negotiated. If the provider will not agree a lower price, you may need to choose a "
                "different provider or take less of that service.")),
            ("details", {"summary": "Questions to ask a provider", "text": _ul(
                "Can you start when I need you to, and at the times I need?",
                "Will I see the same staff each time?",
                "What training do your staff have for people with needs like mine?",
                "How do I raise a concern or make a complaint?")}),
            ("inset", "Every support plan includes a check of risks to your safety and how they will be "
                      "managed."),
            COUNCIL_CONTACT,
        ],
    },
]

QUALITY_FRAMEWORK_PAGE = {
    "slug": QUALITY_FRAMEWORK_SLUG,
    "title": "The quality framework",
    "intro": "The standards every approved provider and broker must meet, and how the council checks them.",
    "body": [
        ("paragraph", _p(
            "The council approves providers and brokers under one shared quality framework, so you can "
            "choose any organisation in the directory knowing it has met the same standards. This "
            "includes the council's own brokerage team.")),
        _steps(
            "How an organisation is approved",
            ("It applies to the council", "The organisation tells the council what it offers and where."),
            ("It sends evidence for each standard",
             "For example, its safeguarding policy, insurance certificates and how it vets staff."),
            ("The council checks the evidence",
             "A contract officer reviews every document and asks for more if something is missing."),
            ("The council approves it",
             "Only then can its services appear in the directory and be added to a support plan."),
            ("It renews its evidence",
             "Evidence runs out after the time shown for each standard. If it is not renewed, the "
             "organisation's approval runs out and it leaves the directory."),
        ),
        ("details", {"summary": "What if I am worried about a provider?", "text": _p(
            "Tell the council. If you think someone is at risk of harm, contact the council's adult "
            "safeguarding team straight away, or call 999 in an emergency.")}),
    ],
}


def _stream(blocks: list[tuple[str, object]], page_ids: dict[str, int] | None = None) -> str:
    """The StreamField JSON for ``blocks``. A button names the page it links to by slug; it is
    left out when there is no such page (``page_ids`` maps slugs to ids)."""
    page_ids = page_ids or {}
    stream = []
    for kind, value in blocks:
        if kind == "button":
            if value["page"] not in page_ids:
                continue
            value = {**value, "page": page_ids[value["page"]]}
        stream.append({"type": kind, "value": value})
    return json.dumps(stream)


# --- Writing -----------------------------------------------------------------------------------

@dataclass
class SeedResult:
    plan: Plan
    created: dict[str, int]
    updated: dict[str, int]
    council: Organisation

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values())


def _bar(total: int, desc: str, progress: bool):
    return tqdm(total=total, desc=desc, unit="row", file=sys.stderr, leave=True,
                disable=None if progress else True)


def _bulk_create(model, objects: list, desc: str, progress: bool) -> int:
    with _bar(len(objects), desc, progress) as bar:
        for start in range(0, len(objects), BATCH_SIZE):
            chunk = objects[start:start + BATCH_SIZE]
            model.objects.bulk_create(chunk, batch_size=BATCH_SIZE)
            bar.update(len(chunk))
    return len(objects)


def demo_password_hash(seed: int) -> str:
    """The demo password hashed with a salt fixed by the seed, so a re-run can tell it is unchanged."""
    digest = hashlib.sha256(f"mixed-market-demo-salt-{seed}".encode()).digest()
    alphabet = string.ascii_letters + string.digits
    salt = "".join(alphabet[byte % len(alphabet)] for byte in digest[:24])
    return make_password(DEMO_PASSWORD, salt=salt)


def _council() -> tuple[Organisation, bool]:
    council = Organisation.objects.filter(slug=COUNCIL_SLUG).first()
    if council:
        return council, False
    council = Organisation.objects.create(
        slug=COUNCIL_SLUG, name=COUNCIL_NAME, is_council=True, is_broker=True,
        email="adult.social.care@mixedmarket-borough.example", telephone="020 7946 0000",
        website="https://www.mixedmarket-borough.example", postcode="E8 1EA",
        description="The council's adult social care service, with its own brokerage team.",
    )
    return council, True


def _check_same_seed(council: Organisation, seed: int, scale: Decimal) -> None:
    last = AuditEvent.objects.for_object(council).filter(verb="demo.seed").first()
    if last is None:
        return
    before_seed, before_scale = last.after.get("seed"), last.after.get("scale")
    if before_seed != seed or Decimal(str(before_scale)) != scale:
        raise DemoDataConflict(
            f"This database already holds demo data from --seed {before_seed} --scale {before_scale}. "
            "Run with those options, or seed an empty database (e.g. another VAR_DIR).")


def _save_organisations(plan: Plan, progress: bool) -> tuple[int, dict[str, int]]:
    existing = set(Organisation.objects.values_list("slug", flat=True))
    new = [
        Organisation(slug=org.slug, name=org.name, is_provider=org.is_provider, is_broker=org.is_broker,
                     email=org.email, telephone=org.telephone, website=org.website, postcode=org.postcode,
                     description=org.description)
        for org in plan.organisations if org.slug not in existing
    ]
    created = _bulk_create(Organisation, new, "Organisations", progress)
    return created, dict(Organisation.objects.values_list("slug", "id"))


def _save_accreditations(plan: Plan, org_ids: dict[str, int], progress: bool) -> int:
    existing = set(Accreditation.objects.values_list("organisation_id", flat=True))
    new = [
        Accreditation(organisation_id=org_ids[org.slug], status=org.status, approved_at=org.approved_at,
                      expires_on=org.expires_on)
        for org in plan.organisations if org_ids[org.slug] not in existing
    ]
    return _bulk_create(Accreditation, new, "Accreditations", progress)


def _save_areas() -> dict[str, Area]:
    """The borough's postcode districts and wards (looked up by code, so a re-run adds nothing)."""
    areas = {area.code: area for area in Area.objects.all()}
    for district, _ in POSTCODE_DISTRICTS:
        if district not in areas:
            areas[district] = Area.objects.create(kind=AreaKind.DISTRICT, code=district,
                                                  name=DISTRICT_NAMES.get(district, district))
    for code, name, districts in WARDS:
        if code not in areas:
            areas[code] = Area.objects.create(kind=AreaKind.WARD, code=code, name=name)
            areas[code].districts.set([areas[district] for district in districts])
    return areas


def _save_listings(plan: Plan, org_ids: dict[str, int], progress: bool) -> tuple[int, int]:
    category_ids = dict(ServiceCategory.objects.filter(slug__in=CATEGORY_SLUGS).values_list("slug", "id"))
    missing = set(CATEGORY_SLUGS) - set(category_ids)
    if missing:
        raise DemoDataError(f"Service categories missing ({', '.join(sorted(missing))}): run migrate first.")
    category_names = dict(ServiceCategory.objects.values_list("slug", "name"))
    areas = _save_areas()
    languages = {language.code: language for language in Language.objects.all()}
    names = {org.slug: org.name for org in plan.organisations}
    demo = ServiceListing.objects.filter(reference__startswith="demo-")
    existing = set(demo.values_list("reference", flat=True))
    fresh = [(org, listing) for org, listing in plan.listings if listing.reference not in existing]
    new = [
        ServiceListing(
            organisation_id=org_ids[org.slug], category_id=category_ids[listing.category],
            reference=listing.reference, title=listing.title, description=listing.description,
            status=listing.status, capacity_available=listing.capacity_available,
            delivery_mode=listing.delivery_mode, capacity_unit=listing.capacity_unit,
            specialisms=listing.specialisms,
            is_specialist=listing.claim == SpecialistClaimStatus.ACCEPTED,
            search_document=build_search_document(
                title=listing.title, description=listing.description, organisation_name=names[org.slug],
                category_name=category_names[listing.category], specialisms=listing.specialisms,
                languages=[languages[code].name for code in listing.languages],
                areas=[f"{areas[code].code} {areas[code].name}" for code in listing.areas]))
        for org, listing in fresh
    ]
    listings_created = _bulk_create(ServiceListing, new, "Services", progress)

    listing_ids = dict(demo.values_list("reference", "id"))
    area_rows = [ServiceListing.areas.through(servicelisting_id=listing_ids[listing.reference],
                                              area_id=areas[code].pk)
                 for _, listing in fresh for code in listing.areas]
    language_rows = [ServiceListing.languages.through(servicelisting_id=listing_ids[listing.reference],
                                                      language_id=languages[code].pk)
                     for _, listing in fresh for code in listing.languages]
    group_rows = [ListingClientGroup(listing_id=listing_ids[listing.reference], client_group=group)
                  for _, listing in fresh for group in listing.client_groups]
    _bulk_create(ServiceListing.areas.through, area_rows, "Service areas", progress)
    _bulk_create(ServiceListing.languages.through, language_rows, "Service languages", progress)
    _bulk_create(ListingClientGroup, group_rows, "Service client groups", progress)

    priced = set(RateCard.objects.filter(listing__reference__startswith="demo-").values_list("listing_id", flat=True))
    cards = [
        RateCard(listing_id=listing_ids[listing.reference], unit=listing.unit,
                 contract_rate_pence=listing.contract_rate_pence,
                 direct_payment_rate_pence=listing.direct_payment_rate_pence,
                 minimum_quantity=listing.minimum_quantity, effective_from=listing.effective_from,
                 effective_to=None)
        for _, listing in plan.listings if listing_ids[listing.reference] not in priced
    ]
    return listings_created, _bulk_create(RateCard, cards, "Rate cards", progress)


def _save_reference_rates(today: datetime.date) -> int:
    """The council's current usual cost per category and unit, and the one before it."""
    category_ids = dict(ServiceCategory.objects.filter(slug__in=CATEGORY_SLUGS).values_list("slug", "id"))
    existing = set(ReferenceRate.objects.values_list("category_id", "unit", "effective_from"))
    started = today - datetime.timedelta(days=REFERENCE_RATE_STARTED_DAYS_AGO)
    earlier = started - datetime.timedelta(days=365)
    new = []
    for slug, rate in REFERENCE_RATES.items():
        unit = PRICING[slug].unit
        for effective_from, pence in ((earlier, percentage_of(rate, 96)), (started, rate)):
            if (category_ids[slug], unit, effective_from) not in existing:
                new.append(ReferenceRate(category_id=category_ids[slug], unit=unit, rate_pence=pence,
                                         effective_from=effective_from, reason="Demo data: the council's usual cost"))
    ReferenceRate.objects.bulk_create(new)
    return len(new)


def _cost_lines(rng: random.Random, listing: ListingSpec) -> list[tuple[str, str, Decimal | None, int | None, int]]:
    """A believable cost-of-care breakdown per unit that adds up to a little under the rate."""
    hours = Decimal(STAFF_HOURS_PER_UNIT[listing.unit])
    on_costs = _pick(rng, 22, 30)
    travels = listing.delivery_mode in (DeliveryMode.AT_HOME, DeliveryMode.COMMUNITY)
    # Staff time and what goes on top of it come to at most 93% of the rate, leaving a surplus.
    on_top = 100 + on_costs + 6 + (8 if travels else 0) + 15
    affordable = int(Decimal(listing.contract_rate_pence) * 93 / (on_top * hours))
    pay = min(_pick(rng, 1400, 1950, 5), affordable)
    staff = multiply(pay, hours)
    lines = [(CostLineKind.STAFF, "Senior support worker with specialist training", hours, pay, staff),
             (CostLineKind.ON_COSTS, "Employer's National Insurance, pension and holiday pay", None, None,
              percentage_of(staff, on_costs)),
             (CostLineKind.TRAINING, "Specialist training and supervision", None, None, percentage_of(staff, 6))]
    if travels:
        lines.append((CostLineKind.TRAVEL, "Travel time and mileage between visits", None, None,
                       percentage_of(staff, 8)))
    lines.append((CostLineKind.OVERHEADS, "Management, rota, office and insurance", None, None,
                  percentage_of(staff, 15)))
    spent = sum(line[4] for line in lines)
    surplus = max(0, listing.contract_rate_pence - spent - percentage_of(listing.contract_rate_pence, 2))
    lines.append((CostLineKind.SURPLUS, "Surplus for reinvestment", None, None, surplus))
    return lines


def _save_specialist_claims(plan: Plan, progress: bool) -> int:
    """Claims for the specialist services that have one; accepted ones decided by the demo officer."""
    claimed = set(SpecialistClaim.objects.filter(listing__reference__startswith="demo-")
                  .values_list("listing__reference", flat=True))
    specs = [listing for _, listing in plan.listings if listing.claim and listing.reference not in claimed]
    if not specs:
        return 0
    listing_ids = dict(ServiceListing.objects.filter(reference__in=[spec.reference for spec in specs])
                       .values_list("reference", "id"))
    officer = User.objects.filter(username="contracts").first()
    rng = random.Random(f"{plan.seed}-claims")
    now = timezone.now()
    claims, lines = [], []
    for spec in specs:
        accepted = spec.claim == SpecialistClaimStatus.ACCEPTED
        claims.append(SpecialistClaim(
            listing_id=listing_ids[spec.reference], status=spec.claim, unit=spec.unit,
            rate_pence=spec.contract_rate_pence,
            justification=f"{spec.title}: staff are trained in {_and_list(spec.specialisms)}, "
                          "work in smaller teams and have more supervision than a standard service.",
            submitted_at=now - datetime.timedelta(days=rng.randrange(20, 300)),
            decided_by=officer if accepted else None, decided_at=now if accepted else None,
            decision_reason="The breakdown shows the specialist training and staffing the service needs."
            if accepted else ""))
        lines.append(_cost_lines(rng, spec))
    _bulk_create(SpecialistClaim, claims, "Specialist claims", progress)
    claim_ids = dict(SpecialistClaim.objects.filter(listing_id__in=listing_ids.values())
                     .values_list("listing_id", "id"))
    rows = [CostOfCareLine(claim_id=claim_ids[listing_ids[spec.reference]], kind=kind, description=description,
                           hours=hours, hourly_pay_pence=pay, amount_pence=amount, position=position)
            for spec, spec_lines in zip(specs, lines)
            for position, (kind, description, hours, pay, amount) in enumerate(spec_lines)]
    _bulk_create(CostOfCareLine, rows, "Cost-of-care lines", progress)
    return len(claims)


#: The demo person's needs, by domain (levels 0–3), and their assessed weekly contribution.
DEMO_NEEDS = {"personal_care": 2, "nutrition": 2, "continence": 1, "mobility": 2, "safety": 1, "home": 2,
              "relationships": 1, "work_learning": 0, "community": 2, "carer_role": 0}
DEMO_CONTRIBUTION_PENCE = 3550


def _save_demo_budget(plan: Plan) -> int:
    """A completed assessment and an indicative budget (points-based RAS) for each of the first
    three demo people, made by the demo contract officer through the same services a broker uses."""
    officer = User.objects.get(username="contracts")
    today = timezone.localdate()
    made = 0
    for spec in plan.people[:3]:
        person = Person.objects.get(reference=spec.reference)
        if person.budgets.exists():
            continue
        assessment = brokerage_services.assessment_start(
            person=person, by=officer, assessed_on=today - datetime.timedelta(days=14),
            summary="I want to stay in my own flat, see my friends at the lunch club and get to the shops.")
        brokerage_services.assessment_score(assessment=assessment, by=officer, scores=DEMO_NEEDS)
        brokerage_services.assessment_complete(assessment=assessment, by=officer)
        brokerage_services.budget_calculate(
            person=person, assessment=assessment, by=officer, method="points",
            weekly_contribution_pence=DEMO_CONTRIBUTION_PENCE,
            contribution_basis="Financial assessment: pension and attendance allowance")
        made += 1
    return made


#: The demo contract officer's approval limit, in pence a week.
DEMO_APPROVAL_LIMIT_PENCE = 150000


def _demo_service(plan: Plan, *, above_reference: bool) -> tuple[ServiceListing, RateCard] | None:
    """A published hourly service of the demo provider priced at or under the council's usual cost
    (or above it, for a negotiation), so the demo plans are deterministic."""
    references = reference_rates_now()
    cards = (RateCard.objects.filter(current_rate_q(), listing__organisation__slug=plan.provider_slug,
                                     listing__status=ListingStatus.PUBLISHED, unit=RateUnit.HOUR)
             .select_related("listing").order_by("listing__reference", "pk"))
    for card in cards:
        reference = references.get((card.listing.category_id, card.unit))
        if reference is not None and (card.contract_rate_pence > reference) == above_reference:
            return card.listing, card
    return None


def _demo_plan(person: Person, broker: User, plan: Plan, *, above_reference: bool = False, starts_in_days: int = 7):
    """A draft plan for ``person`` starting ``starts_in_days`` from today, with one outcome, one
    risk and one line of the demo provider's service filling about 95% of the indicative budget;
    None when no such service exists."""
    found = _demo_service(plan, above_reference=above_reference)
    if found is None:
        return None
    listing, card = found
    budget = person.budgets.first()
    support = brokerage_services.plan_start(person=person, by=broker,
                                            starts_on=timezone.localdate() + datetime.timedelta(days=starts_in_days))
    outcome = brokerage_services.plan_outcome_add(
        plan=support, by=broker, text="I want help to get up, washed and dressed each morning without rushing.",
        domain="personal_care")
    brokerage_services.plan_risk_add(plan=support, by=broker, risk="Falls when getting in and out of the bath",
                                     who_is_affected="The person",
                                     mitigation="Two-handed help with bathing; a bath board is fitted.")
    hours = (Decimal(budget.weekly_total_pence) * Decimal("0.95") / card.contract_rate_pence).quantize(Decimal("0.5"))
    brokerage_services.plan_line_add_service(
        plan=support, by=broker, listing=listing, route="individual_service_fund", quantity_per_week=max(hours, 1),
        outcomes=[outcome], starts_on=support.starts_on, unit=card.unit)
    return brokerage_services.plan_update(plan=support, by=broker, safeguarding_considered=True,
                                          safeguarding_notes="Discussed with the person and their daughter.")


def _save_demo_plans(plan: Plan) -> int:
    """Support plans at three stages for the demo broker's first three people: approved (the demo
    person), waiting for sign-off, and a draft whose price is being negotiated with the demo
    provider. The demo officer gets an approval limit from the demo administrator."""
    people = [Person.objects.get(reference=spec.reference) for spec in plan.people[:3]]
    if any(person.plans.exists() for person in people):
        return 0
    broker = User.objects.get(username="broker")
    officer = User.objects.get(username="contracts")
    brokerage_services.approval_limit_set(officer=officer, weekly_limit_pence=DEMO_APPROVAL_LIMIT_PENCE,
                                          by=User.objects.get(username="admin"),
                                          reason="Delegated authority for the demo contract officer")
    made = 0
    # Support that started three weeks ago, so its ISF has been paid and invoiced.
    approved = _demo_plan(people[0], broker, plan, starts_in_days=-21)
    if approved is not None:
        approved = brokerage_services.plan_submit(plan=approved, by=broker)
        approved = brokerage_services.plan_approve(plan=approved, by=officer,
                                                   reason="Meets the eligible needs; risks are managed; within budget.")
        _demo_isf(approved)
        made += 1
    waiting = _demo_plan(people[1], broker, plan)
    if waiting is not None:
        brokerage_services.plan_submit(plan=waiting, by=broker)
        made += 1
    made += _demo_plan(people[2], broker, plan, above_reference=True) is not None
    return made


def _save_service_history(plan: Plan, progress: bool) -> int:
    """What the council has been doing for the demo people besides the first three, so the
    dashboards have a history to show: over the last three years some took a personal budget (a
    council-managed budget, signed off on a day spread over eighteen months), more have services
    the council arranges outside a budget (ongoing or short-term, in the community or residential),
    and the rest nothing yet. Managed budgets, because direct payments and ISFs would start paying
    out with the next payment run. Written once: skipped when any history is already there."""
    from brokerage.constants import (
        AssessmentStatus,
        BudgetKind,
        DeploymentRoute,
        LineKind,
        PlanStatus,
        RasVersionStatus,
        ServiceSetting,
        ServiceTerm,
    )
    from brokerage.models import ArrangedService, Assessment, PersonalBudget, PlanLine, RasVersion, SupportPlan

    people = [spec.reference for spec in plan.people[3:]]
    if not people or ArrangedService.objects.exists():
        return 0
    officer = User.objects.get(username="contracts")
    ras = RasVersion.objects.filter(status=RasVersionStatus.ACTIVE).order_by("pk").first()
    found = _demo_service(plan, above_reference=False)
    if ras is None or found is None:
        return 0
    listing, card = found
    ids = dict(Person.objects.filter(reference__in=people).values_list("reference", "pk"))
    rng = random.Random(f"{plan.seed}-history")
    today = timezone.localdate()
    services, budgeted = [], []
    for reference in people:
        roll = rng.randrange(100)
        person_id = ids[reference]
        if roll < 30:
            decided = today - datetime.timedelta(days=rng.randrange(7, 548))
            budgeted.append((person_id, decided, rng.choice((4, 6, 8, 10, 12, 14))))
        elif roll < 75:
            starts = today - datetime.timedelta(days=rng.randrange(30, 1095))
            ends = starts + datetime.timedelta(days=rng.randrange(365, 1460)) if roll >= 68 else None
            services.append(ArrangedService(
                person_id=person_id, description="Home care under the council's block contract",
                setting=ServiceSetting.COMMUNITY, term=ServiceTerm.LONG_TERM, starts_on=starts,
                ends_on=ends if ends is None or ends < today else None, recorded_by=officer))
        elif roll < 85:
            starts = today - datetime.timedelta(days=rng.randrange(14, 365))
            services.append(ArrangedService(
                person_id=person_id, description="Short-term home care after a hospital stay",
                setting=ServiceSetting.COMMUNITY, term=ServiceTerm.SHORT_TERM, starts_on=starts,
                ends_on=starts + datetime.timedelta(weeks=rng.randrange(2, 9)), recorded_by=officer))
        elif roll < 90:
            services.append(ArrangedService(
                person_id=person_id, description="Residential care home place", setting=ServiceSetting.RESIDENTIAL,
                term=ServiceTerm.LONG_TERM, starts_on=today - datetime.timedelta(days=rng.randrange(30, 1095)),
                recorded_by=officer))
    made = _bulk_create(ArrangedService, services, "arranged services", progress)
    assessments = Assessment.objects.bulk_create(
        (Assessment(person_id=person_id, status=AssessmentStatus.COMPLETED, assessed_on=decided - datetime.timedelta(days=21),
                    assessed_by=officer, completed_at=timezone.now()) for person_id, decided, _ in budgeted),
        batch_size=2000)
    budgets = []
    for (person_id, _, hours), assessment in zip(budgeted, assessments, strict=True):
        weekly = multiply(card.contract_rate_pence, hours)
        fields = {"person_id": person_id, "assessment": assessment, "ras_version": ras, "weekly_total_pence": weekly,
                  "weekly_contribution_pence": 0, "weekly_council_pence": weekly, "created_by": officer}
        budgets += [PersonalBudget(kind=BudgetKind.INDICATIVE, **fields), PersonalBudget(kind=BudgetKind.AGREED, **fields)]
    budgets = PersonalBudget.objects.bulk_create(budgets, batch_size=2000)
    tz = timezone.get_current_timezone()
    plans = SupportPlan.objects.bulk_create(
        (SupportPlan(person_id=person_id, status=PlanStatus.APPROVED, indicative_budget=budgets[2 * index],
                     agreed_budget=budgets[2 * index + 1], starts_on=decided + datetime.timedelta(days=7),
                     safeguarding_considered=True, created_by=officer, submitted_by=officer, decided_by=officer,
                     submitted_at=datetime.datetime.combine(decided - datetime.timedelta(days=5), datetime.time(10), tz),
                     decided_at=datetime.datetime.combine(decided, datetime.time(15), tz),
                     decision_reason="Meets the eligible needs within budget.")
         for index, (person_id, decided, _) in enumerate(budgeted)), batch_size=2000)
    PlanLine.objects.bulk_create(
        (PlanLine(plan=support, kind=LineKind.SERVICE, listing=listing, rate_card=card, unit=card.unit,
                  quantity_per_week=Decimal(hours), listed_price_pence=card.contract_rate_pence,
                  agreed_price_pence=card.contract_rate_pence, route=DeploymentRoute.MANAGED_BUDGET,
                  starts_on=support.starts_on)
         for support, (_, _, hours) in zip(plans, budgeted, strict=True)), batch_size=2000)
    return made + len(plans)


#: The demo provider's bank details (a made-up account; the payment file is never sent anywhere).
DEMO_BANK = {"holder_name": "Demo Care Ltd client account", "sort_code": "309430", "account_number": "00733445"}


def _demo_isf(approved) -> None:
    """The approved plan's ISF in use: offered and accepted by the demo provider, its bank details
    recorded, this period and the next paid by a payment run (in the payment file), and the first
    week invoiced, waiting for the finance officer."""
    provider_user = User.objects.get(username="provider")
    finance = User.objects.get(username="finance")
    contracts = isf_services.contracts_offer_for_plan(plan=approved, by=None)
    if not contracts:
        return
    contract = isf_services.contract_accept(contract=contracts[0], by=provider_user)
    isf_services.payee_account_save(by=finance, organisation=contract.provider, **DEMO_BANK)
    run = isf_services.payment_run_start(by=finance, trigger=RunTrigger.CONSOLE)
    isf_services.payment_run_execute(run=run, by=finance)
    terms = contract.terms.order_by("effective_from", "pk").first()
    week_end = contract.starts_on + datetime.timedelta(days=6)
    isf_services.invoice_submit(
        provider=contract.provider, by=provider_user,
        draft=InvoiceDraft(number="DEMO-0001", contract=contract.pk, period_start=contract.starts_on,
                           period_end=week_end, lines=(DraftLine(item=terms.pk, date_from=contract.starts_on,
                                                                 date_to=week_end, quantity=terms.quantity_per_week,
                                                                 unit_price_pence=terms.price_pence, number=1),)))


def _save_evidence(plan: Plan, org_ids: dict[str, int], progress: bool) -> int:
    """Evidence for every mandatory standard of each approved or suspended organisation, lasting at
    least as long as its approval. All rows share one placeholder file."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    if not default_storage.exists(DEMO_EVIDENCE_NAME):
        default_storage.save(DEMO_EVIDENCE_NAME, ContentFile(b"%PDF-1.4\n% Mixed Market demo evidence\n"))
    uploader = User.objects.filter(username="admin").first()
    evidenced = set(Evidence.objects.values_list("organisation_id", flat=True))
    standards = list(QualityStandard.objects.filter(active=True, mandatory=True))
    rng = random.Random(f"{plan.seed}-evidence")
    rows = []
    for org in plan.organisations:
        if org.expires_on is None or org_ids[org.slug] in evidenced:
            continue
        for standard in standards:
            if standard.applies_to == "providers" and not org.is_provider:
                continue
            if standard.applies_to == "brokers" and not org.is_broker:
                continue
            expires_on = org.expires_on + datetime.timedelta(days=rng.randrange(0, 90))
            rows.append(Evidence(
                organisation_id=org_ids[org.slug], standard=standard, file=DEMO_EVIDENCE_NAME,
                original_name=f"{standard.code.lower()}-certificate.pdf", uploaded_by=uploader,
                issued_on=expires_on - datetime.timedelta(days=365), expires_on=expires_on))
    return _bulk_create(Evidence, rows, "Evidence", progress)


def _save_people(plan: Plan, org_ids: dict[str, int], progress: bool) -> int:
    existing = set(Person.objects.values_list("reference", flat=True))
    new = [
        Person(reference=person.reference, first_name=person.first_name, last_name=person.last_name,
               date_of_birth=person.date_of_birth, postcode=person.postcode, client_group=person.client_group,
               broker_organisation_id=org_ids[person.broker_slug] if person.broker_slug else None,
               consent_to_share=person.consent_to_share)
        for person in plan.people if person.reference not in existing
    ]
    return _bulk_create(Person, new, "People", progress)


def _save_users(plan: Plan, council: Organisation, org_ids: dict[str, int],
                progress: bool) -> tuple[int, dict[str, int], int]:
    """Create the demo users and their roles; returns (users created, what was updated, roles granted)."""
    password = demo_password_hash(plan.seed)
    places = {"council": council, "broker": Organisation.objects.get(id=org_ids[plan.broker_slug]),
              "provider": Organisation.objects.get(id=org_ids[plan.provider_slug])}
    created = updated = linked = 0
    memberships_before = Membership.objects.count()
    with _bar(len(DEMO_USERS), "Users", progress) as bar:
        for spec in DEMO_USERS:
            first_name, last_name = plan.user_names[spec.username]
            is_admin = spec.username == "admin"
            user = User.objects.filter(username=spec.username).first()
            if user is None:
                user = User.objects.create(
                    username=spec.username, email=f"{spec.username}@{DEMO_EMAIL_DOMAIN}", password=password,
                    first_name=first_name, last_name=last_name, is_staff=is_admin, is_superuser=is_admin)
                created += 1
            elif user.password != password or not user.is_active or (is_admin and not user.is_superuser):
                user.password, user.is_active = password, True
                if is_admin:
                    user.is_staff = user.is_superuser = True
                user.save(update_fields=["password", "is_active", "is_staff", "is_superuser"])
                updated += 1
            if spec.role:
                membership_grant(by=None, user=user, organisation=places[spec.organisation], role=spec.role,
                                 reason="Demo data")
            if spec.username == "person":
                linked += _link_person(plan.people[0].reference, "user", user)
            elif spec.username == "representative":
                linked += _link_person(plan.people[1].reference, "representative", user)
            bar.update(1)
    updated = {"users": updated, "people_linked": linked}
    return created, updated, Membership.objects.count() - memberships_before


def _link_person(reference: str, field_name: str, user: User) -> int:
    person = Person.objects.get(reference=reference)
    if getattr(person, f"{field_name}_id") == user.pk:
        return 0
    if field_name == "user":
        Person.objects.filter(user=user).exclude(pk=person.pk).update(user=None)
    setattr(person, field_name, user)
    person.save(update_fields=[field_name])
    return 1


def _save_advice_pages(progress: bool) -> int:
    """The quality framework page, then the advice pages that link to it, under the "Information and
    advice" section; returns how many pages were created."""
    from wagtail.models import Page
    from wagtail.search import index as search_index

    # Wagtail models: imported when needed.
    from cms.models import AdviceIndexPage, AdvicePage, QualityFrameworkPage

    advice = AdviceIndexPage.objects.filter(slug="advice").first()
    if advice is None:
        raise DemoDataError("The 'Information and advice' page (slug 'advice') is missing: run migrate.")
    created = []
    with _bar(len(ADVICE_PAGES) + 1, "Advice pages", progress) as bar:
        # At most one quality framework page may exist, wherever an editor has put it.
        if not QualityFrameworkPage.objects.exists():
            spec = QUALITY_FRAMEWORK_PAGE
            created.append(advice.add_child(instance=QualityFrameworkPage(
                title=spec["title"], slug=spec["slug"], intro=spec["intro"], body=_stream(spec["body"]))))
        bar.update(1)
        page_ids = dict(Page.objects.filter(slug__in=[QUALITY_FRAMEWORK_SLUG, DIRECTORY_SLUG]).live()
                        .values_list("slug", "pk"))
        for spec in ADVICE_PAGES:
            if not AdvicePage.objects.child_of(advice).filter(slug=spec["slug"]).exists():
                created.append(advice.add_child(instance=AdvicePage(
                    title=spec["title"], slug=spec["slug"], summary=spec["summary"],
                    body=_stream(spec["body"], page_ids))))
            bar.update(1)
    for page in created:
        page.save_revision().publish()
    # Wagtail indexes a saved page through a queued task; index now, so the demo site's search works
    # as soon as the command finishes, including the section pages the migrations created.
    for page in Page.objects.live().descendant_of(advice.get_parent(), inclusive=True).specific():
        search_index.insert_or_update_object(page)
    return len(created)


def seed(*, seed: int = DEFAULT_SEED, scale: Decimal = Decimal(1), progress: bool = True) -> SeedResult:
    """Write the demo data; one transaction, one ``demo.seed`` audit event when anything changed."""
    scale = Decimal(scale)
    plan = build_plan(seed, scale)
    with transaction.atomic():
        council, council_created = _council()
        _check_same_seed(council, seed, scale)
        organisations, org_ids = _save_organisations(plan, progress)
        org_ids[COUNCIL_SLUG] = council.pk
        created = {"organisations": organisations + int(council_created)}
        created["accreditations"] = _save_accreditations(plan, org_ids, progress)
        created["listings"], created["rate_cards"] = _save_listings(plan, org_ids, progress)
        created["reference_rates"] = _save_reference_rates(timezone.localdate())
        created["people"] = _save_people(plan, org_ids, progress)
        created["users"], updated, created["memberships"] = _save_users(plan, council, org_ids, progress)
        created["specialist_claims"] = _save_specialist_claims(plan, progress)
        created["evidence"] = _save_evidence(plan, org_ids, progress)
        created["budgets"] = _save_demo_budget(plan)
        created["support_plans"] = _save_demo_plans(plan)
        created["service_history"] = _save_service_history(plan, progress)
        created["advice_pages"] = _save_advice_pages(progress)
        result = SeedResult(plan=plan, created=created, updated=updated, council=council)
        if result.changed:
            audit.record(actor=None, verb="demo.seed", target=council, organisation=council,
                         after={"seed": seed, "scale": str(scale), "counts": plan.counts,
                                "created": created, "updated": updated},
                         reason="Demo data written by manage.py seed_demo")
    if result.changed and connection.vendor == "postgresql":
        # Fresh statistics after a bulk load, or the planner guesses one row per table and picks
        # nested loops that make the directory seconds slow until autovacuum catches up.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return result
