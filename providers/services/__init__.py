"""Every write in the directory: the quality framework (accreditation), listings and rate cards
(listings), and the council's prices and specialist decisions (pricing)."""

from providers.services.accreditation import *  # noqa: F401,F403
from providers.services.accreditation import EVIDENCE_EXTENSIONS, EVIDENCE_MAX_BYTES, add_months  # noqa: F401
from providers.services.listings import *  # noqa: F401,F403
from providers.services.pricing import *  # noqa: F401,F403
