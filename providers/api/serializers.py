from rest_framework import serializers

from marketplace.models import Organisation


class OrganisationSerializer(serializers.ModelSerializer):
    kinds = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Organisation
        fields = ["id", "name", "slug", "kinds", "email", "telephone", "website", "postcode", "description"]
