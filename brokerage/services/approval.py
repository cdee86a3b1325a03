"""The council's sign-off of support plans, approval limits, transitional arrangements and
direct-payment financial reviews."""

__all__: list[str] = []
