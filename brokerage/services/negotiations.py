"""Price negotiations between the purchaser (broker or council) and a provider."""

__all__: list[str] = []
