"""OpenAPI generation that documents every error an operation can answer with.

drf-spectacular documents the success response; the errors follow from how a view works
(authentication, permissions, JSON bodies, path lookups, service refusals), so they are added
here once instead of being repeated on every view. It is the project's DEFAULT_SCHEMA_CLASS,
so every API view gets the same treatment; codes a view documents itself are kept.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from helpdesk.api.errors import api_exception_handler


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in words for a person.")


# Field errors: {"field": ["message", ...], ...}, or {"detail": "..."} for a malformed request.
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {},
}

ERROR_RESPONSES = {
    "400": OpenApiResponse(VALIDATION_ERROR_SCHEMA, "Invalid input: field errors or a detail."),
    "401": OpenApiResponse(ErrorSerializer, "No or invalid credentials."),
    "403": OpenApiResponse(ErrorSerializer, "Not allowed for this user."),
    "404": OpenApiResponse(ErrorSerializer, "No such resource, or not visible to this user."),
    "409": OpenApiResponse(ErrorSerializer, "Refused in the resource's current state."),
    "412": OpenApiResponse(ErrorSerializer, "If-Match names a version that is not current."),
    "415": OpenApiResponse(ErrorSerializer, "The body is not JSON."),
}

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class HelpdeskAutoSchema(AutoSchema):
    def get_tags(self) -> list[str]:
        # /api/v1/<collection>/...: one tag per collection (tickets, teams, public-issues, ...).
        if self.path.startswith("/api/v1/"):
            return [self.path.removeprefix("/api/v1/").split("/")[0]]
        return super().get_tags()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            responses.setdefault(
                code, self._get_response_for_code(ERROR_RESPONSES[code], code, direction=direction)
            )
        return dict(sorted(responses.items()))

    def _error_codes(self) -> list[str]:
        codes = []
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            codes += ["401", "403"]
        parameters = self._get_parameters()
        if any(parameter["in"] == "path" for parameter in parameters):
            codes.append("404")
        if self.method in WRITE_METHODS and self._maps_refusals_to_409():
            codes.append("409")
            if getattr(self.view, "honours_if_match", False):
                codes.append("412")
        if self._get_request_body():
            codes += ["400", "415"]
        elif any(parameter["in"] in ("query", "header") for parameter in parameters):
            codes.append("400")
        return codes

    def _maps_refusals_to_409(self) -> bool:
        return self.view.get_exception_handler() is api_exception_handler
