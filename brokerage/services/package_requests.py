"""Care package requests: asking providers with capacity for offers."""

__all__: list[str] = []
