"""How the API answers when it will not do something: JSON, a 4xx status and a clear message.

Services refuse with ValueError subclasses (InvalidTransition, AssignmentError, ...) and the
models with Django's ValidationError; here they become 409 and 400 instead of a 500. Views use
it through helpdesk.api.base.HelpdeskAPI.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class Unstorable(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "A value cannot be stored: out of range, or not valid text."
    default_code = "unstorable"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource changed since you read it."
    default_code = "precondition_failed"


def api_exception_handler(exc: Exception, context: dict):
    return exception_handler(_as_api_exception(exc), context)


def _as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, ProtectedError | RestrictedError):
        used_by = sorted({str(obj._meta.verbose_name_plural) for obj in exc.args[1]})
        return Conflict(f"Still in use by {', '.join(used_by)}; it cannot be deleted.")
    if isinstance(exc, DataError):
        # The serializers check values first; this is the net under them.
        return Unstorable()
    if isinstance(exc, IntegrityError):
        return Conflict("This conflicts with data saved meanwhile; read it again and retry.")
    if isinstance(exc, LookupError) and not isinstance(exc, KeyError | IndexError):
        return Conflict(str(exc))  # e.g. no base SLA policy for a tier
    if isinstance(exc, ValueError):
        # The services' refusals: a transition the workflow forbids, an agent outside the team,
        # a reply to a closed ticket. Each message is written for the person who asked.
        return Conflict(str(exc))
    return exc


def api_not_found(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"detail": "No such API endpoint."}, status=status.HTTP_404_NOT_FOUND)
