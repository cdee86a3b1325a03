"""Every write in isf; imported from here as ``from isf import services`` then
``services.contract_accept(...)``.

- :mod:`.contracts`: ISF contracts offered from approved plans, and their lifecycle.
- :mod:`.payments`: payment runs: what each contract and direct payment is due, paid once per period.
- :mod:`.payment_outcomes`: a sent payment settled or failed (webhook, payment-file confirmation).
- :mod:`.payees`: providers' and people's bank details.
- :mod:`.invoices`: provider invoices: submitted, validated, queried, approved (the fund drawn down), rejected.
- :mod:`.card_payments`: a person paying their contribution or a top-up by card.
- :mod:`.stripe_events`: Stripe webhook events, each handled once.
- :mod:`.surpluses`: funds above the surplus rule, flagged and recovered.
"""

from isf.services.card_payments import *  # noqa: F401,F403
from isf.services.contracts import *  # noqa: F401,F403
from isf.services.invoices import *  # noqa: F401,F403
from isf.services.payees import *  # noqa: F401,F403
from isf.services.payment_outcomes import *  # noqa: F401,F403
from isf.services.payments import *  # noqa: F401,F403
from isf.services.stripe_events import *  # noqa: F401,F403
from isf.services.surpluses import *  # noqa: F401,F403
