"""Every write in isf; imported from here as ``from isf import services`` then
``services.contract_accept(...)``.

- :mod:`.contracts`: ISF contracts offered from approved plans, and their lifecycle.
"""

from isf.services.contracts import *  # noqa: F401,F403
