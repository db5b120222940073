"""Strict serializer fields: a value of the wrong JSON type is refused, never coerced.

DRF would quietly turn 12 into "12", "1" into 1 and "yes" into True; for an API that scripts
drive, a wrong type is a bug in the caller that it should hear about.
"""

from collections.abc import Mapping
from datetime import timedelta

from django.db import models
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.relations import MANY_RELATION_KWARGS, ManyRelatedField


def check_text(data) -> str:
    """A JSON string the database can store and compare: no NUL, no lone surrogates."""
    if not isinstance(data, str):
        raise serializers.ValidationError("Not a valid string.", code="invalid")
    if "\x00" in data:
        raise serializers.ValidationError("Null characters are not allowed.", code="null")
    try:
        data.encode("utf-8")
    except UnicodeEncodeError:
        raise serializers.ValidationError("Not valid Unicode text.", code="invalid") from None
    return data


class StrictStringMixin:
    # Checked before any validator runs: DRF runs them all, and a uniqueness check would take
    # a NUL to PostgreSQL, which refuses it with an error rather than an answer.
    def to_internal_value(self, data):
        return super().to_internal_value(check_text(data))


class StrictCharField(StrictStringMixin, serializers.CharField):
    pass


class StrictSlugField(StrictStringMixin, serializers.SlugField):
    pass


class StrictEmailField(StrictStringMixin, serializers.EmailField):
    pass


class StrictChoiceField(StrictStringMixin, serializers.ChoiceField):
    pass


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictDurationField(StrictStringMixin, serializers.DurationField):
    """An ISO 8601 duration ("PT4H"), or Django's "[DD] [HH:[MM:]]ss"; never a bare number."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("format", "iso-8601")
        kwargs.setdefault("min_value", timedelta(seconds=1))
        # Far beyond any real target, and inside what every database stores.
        kwargs.setdefault("max_value", timedelta(days=366))
        super().__init__(**kwargs)


class StrictManyRelatedField(ManyRelatedField):
    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


class StrictRelatedMixin:
    def run_validation(self, data=empty):
        # DRF's related fields read "" as null; an empty string is not an id or a slug.
        return serializers.Field.run_validation(self, data)

    @classmethod
    def many_init(cls, *args, **kwargs):
        list_kwargs = {"child_relation": cls(*args, **kwargs)}
        list_kwargs.update({key: kwargs[key] for key in kwargs if key in MANY_RELATION_KWARGS})
        return StrictManyRelatedField(**list_kwargs)


class StrictPrimaryKeyRelatedField(StrictRelatedMixin, serializers.PrimaryKeyRelatedField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class StrictSlugRelatedField(StrictRelatedMixin, serializers.SlugRelatedField):
    def to_internal_value(self, data):
        return super().to_internal_value(check_text(data))


class RejectUnknownFieldsMixin:
    """A misspelt field is an error, not something to drop silently. Read-only fields a
    client echoes back from a GET are still ignored."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                writable = sorted(n for n, field in self.fields.items() if not field.read_only)
                message = f"Unknown field; writable fields: {', '.join(writable) or 'none'}."
                raise serializers.ValidationError({name: [message] for name in unknown})
        return super().to_internal_value(data)


class StrictSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    pass


class StrictModelSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictSlugField,
        models.EmailField: StrictEmailField,
        models.IntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.BooleanField: StrictBooleanField,
        models.DurationField: StrictDurationField,
    }
    serializer_choice_field = StrictChoiceField
    serializer_related_field = StrictPrimaryKeyRelatedField
