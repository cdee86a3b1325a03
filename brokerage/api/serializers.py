from rest_framework import serializers

from brokerage.models import Person


class PersonSerializer(serializers.ModelSerializer):
    broker_organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Person
        fields = ["id", "reference", "first_name", "last_name", "date_of_birth", "postcode", "client_group",
                  "broker_organisation", "consent_to_share"]
