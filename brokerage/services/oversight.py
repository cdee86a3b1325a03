"""Direct-payment oversight: financial reviews scheduled from the risk assessment, and
transitional arrangements when a budget goes down."""

__all__: list[str] = []
