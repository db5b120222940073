"""Strict input and output of the intake API: a value of the wrong JSON type is refused,
never coerced (DRF would otherwise turn 42 into "42" and "yes" into True)."""

from collections.abc import Mapping

from rest_framework import serializers

from feedback.models import Touchpoint
from feedback.services import Intake
from helpdesk.models import Audience, Category, Channel

NOT_A_STRING = "Must be a string."


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": NOT_A_STRING}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(NOT_A_STRING, code="invalid")
        return super().to_internal_value(data).lower()


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(NOT_A_STRING, code="invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


def one_line(value: str) -> str:
    return " ".join(value.split())


class FeedbackSerializer(serializers.Serializer):
    subject = StrictCharField(max_length=200)
    message = StrictCharField(max_length=10_000)
    email = StrictEmailField(required=False, max_length=254)
    name = StrictCharField(required=False, allow_blank=True, max_length=200, default="")
    category = StrictCharField(
        required=False, max_length=50, help_text="A category slug; left out, we classify it."
    )
    channel = StrictChoiceField(choices=Channel.choices, default=Channel.API)
    touchpoint = StrictChoiceField(
        choices=Touchpoint.choices, required=False, allow_blank=True, default=""
    )
    audience = StrictChoiceField(choices=Audience.choices, default=Audience.CUSTOMER)
    anonymous = StrictBooleanField(
        default=False, help_text="Employees only: no name or email is stored."
    )

    def to_internal_value(self, data):
        errors = {}
        if isinstance(data, Mapping):
            errors = {name: ["Unknown field."] for name in data if name not in self.fields}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as invalid:
            errors.update(invalid.detail)
        if errors:
            raise serializers.ValidationError(errors)
        return value

    def validate_subject(self, value: str) -> str:
        return one_line(value)

    def validate_name(self, value: str) -> str:
        return one_line(value)

    def validate_category(self, value: str) -> Category:
        category = Category.objects.filter(slug=value).first()
        if category is None:
            known = ", ".join(Category.objects.order_by("slug").values_list("slug", flat=True))
            raise serializers.ValidationError(f"Unknown category {value!r}; use one of: {known}.")
        return category

    def validate(self, attrs: dict) -> dict:
        if attrs["anonymous"] and attrs["audience"] != Audience.EMPLOYEE:
            raise serializers.ValidationError(
                {"anonymous": "Only employees may send feedback anonymously."}
            )
        if not attrs["anonymous"] and not attrs.get("email"):
            raise serializers.ValidationError({"email": "This field is required."})
        return attrs

    def intake(self) -> Intake:
        data = self.validated_data
        anonymous = data["anonymous"]
        return Intake(
            subject=data["subject"],
            message=data["message"],
            # Anonymous feedback keeps no identity, even one that was sent along.
            email="" if anonymous else data["email"],
            name="" if anonymous else data["name"],
            category=data.get("category"),
            channel=data["channel"],
            touchpoint=data["touchpoint"],
            audience=data["audience"],
            anonymous=anonymous,
        )


class SlaSerializer(serializers.Serializer):
    first_response_due = serializers.DateTimeField(allow_null=True)
    next_update_due = serializers.DateTimeField(allow_null=True)
    resolution_due = serializers.DateTimeField(allow_null=True)


class FeedbackReceiptSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status_url = serializers.URLField(
        allow_null=True, help_text="The public progress page; null when `linked`."
    )
    category = serializers.CharField()
    priority = serializers.CharField()
    team = serializers.CharField()
    sla = SlaSerializer()
    linked = serializers.BooleanField(
        help_text="True when the message joined the requester's open ticket on the same subject."
    )
    detail = serializers.CharField(required=False)
