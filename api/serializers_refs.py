"""Reference serializers: how one record names another inside an answer (a case's
school, a concern's case, a referral's destination, an event's actor). The one module
for them, used by every output serializer of the API; each shows ids and names only,
never case contents.

drf-spectacular names schema components after the class (``CaseRef``...).
"""

from __future__ import annotations

from rest_framework import serializers

from cases.models import Case, Organisation, Person, User


class SchoolRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "code"]
        read_only_fields = fields


class DestinationRefSerializer(serializers.ModelSerializer):
    """An organisation a referral goes to (police unit, prosecutor, social services)."""

    class Meta:
        model = Organisation
        fields = ["id", "name", "kind"]
        read_only_fields = fields


class UserRefSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="get_full_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "full_name"]
        read_only_fields = fields


class PersonRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Person
        fields = ["id", "kind", "given_name", "family_name", "year_group"]
        read_only_fields = fields


class CaseRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Case
        fields = ["id", "reference"]
        read_only_fields = fields
