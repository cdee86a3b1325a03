"""Building a support plan and submitting it for sign-off."""

__all__: list[str] = []
