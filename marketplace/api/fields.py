"""Serializer fields every app's API shares."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MAX_PENCE = 10**13  # £100,000,000,000, the same ceiling as marketplace.money


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": MAX_PENCE,
                      "description": "An amount in pence (GBP), a whole number: 1850 is £18.50."})
class PenceField(serializers.IntegerField):
    """An amount of money in whole pence. Pounds, decimals and floats are refused, never rounded:
    "18.50" or 18.5 is a mistake the client should hear about, not 18 pence."""

    default_error_messages = {
        "invalid": "Enter the amount in pence as a whole number, like 1850 for £18.50",
        "min_value": "The amount must be {min_value} pence or more",
        "max_value": "The amount must be {max_value} pence or less",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_PENCE)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not (isinstance(data, int) or (isinstance(data, str) and data.strip().isdigit())):
            self.fail("invalid")
        return super().to_internal_value(data)
