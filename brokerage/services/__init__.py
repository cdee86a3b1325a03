"""Every write in brokerage, one module per part of the work; imported from here as
``from brokerage import services`` then ``services.plan_submit(...)``.

- :mod:`.budgets`: assessments, RAS versions, indicative budgets, reablement;
- :mod:`.plans`: building support plans (outcomes, lines, risks) and submitting them;
- :mod:`.negotiations`: price negotiations between brokers and providers;
- :mod:`.package_requests`: care package requests to providers with capacity;
- :mod:`.approval`: the council's sign-off and approval limits;
- :mod:`.oversight`: transitional arrangements and direct-payment financial reviews;
- :mod:`.arranged`: services the council arranges outside a personal budget.
"""

from brokerage.services.budgets import *  # noqa: F401,F403
from brokerage.services.plans import *  # noqa: F401,F403,E402
from brokerage.services.negotiations import *  # noqa: F401,F403,E402
from brokerage.services.package_requests import *  # noqa: F401,F403,E402
from brokerage.services.approval import *  # noqa: F401,F403,E402
from brokerage.services.oversight import *  # noqa: F401,F403,E402
from brokerage.services.arranged import *  # noqa: F401,F403,E402
