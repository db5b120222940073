"""The public intake API (no login, throttled, idempotent) and the inbound email endpoint."""

import logging
from dataclasses import asdict

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from feedback.idempotency import (
    IdempotencyConflict,
    feedback_submit_once,
    key_is_valid,
    request_digest,
)
from feedback.inbound import email_receive
from feedback.serializers import FeedbackReceiptSerializer, FeedbackSerializer
from feedback.services import feedback_submit, progress_path

log = logging.getLogger(__name__)

MAX_EMAIL_BYTES = 60 * 1024 * 1024  # five 10 MB attachments, base64-encoded, and the text


class FeedbackThrottle(AnonRateThrottle):
    """Per client address; the rate comes from FEEDBACK_THROTTLE_RATE (e.g. "30/minute")."""

    scope = "feedback"

    def get_rate(self) -> str:
        return settings.FEEDBACK_THROTTLE_RATE

    def allow_request(self, request, view) -> bool:
        # The counters live in the cache (Redis): while it is unreachable, intake goes on
        # unthrottled rather than answering 500 (tests/scale/test_load_and_fault.py).
        try:
            return super().allow_request(request, view)
        except Exception:
            log.warning("The intake throttle's cache is unreachable; not throttling", exc_info=True)
            return True


class FeedbackCreateView(APIView):
    # No session: the endpoint is public, and the widget posts to it from other sites.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [FeedbackThrottle]

    def get_throttles(self):
        return [] if self.request.method == "OPTIONS" else super().get_throttles()

    def options(self, request: Request, *args, **kwargs) -> Response:
        response = Response(status=204)
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type, Idempotency-Key"
        response["Access-Control-Max-Age"] = "86400"
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Public and cookie-less, so any site may embed the widget that posts here.
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Expose-Headers"] = "Retry-After, Idempotent-Replayed"
        return response

    @extend_schema(
        operation_id="feedback_create",
        request=FeedbackSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Retries with the same key and body get the first answer (24 h).",
            )
        ],
        responses={
            201: FeedbackReceiptSerializer,
            200: OpenApiResponse(
                FeedbackReceiptSerializer, description="Added to the requester's open ticket."
            ),
            400: OpenApiResponse(description="Field errors."),
            422: OpenApiResponse(description="Idempotency-Key reused with another body."),
            429: OpenApiResponse(description="Too many requests; see Retry-After."),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        key = request.headers.get("Idempotency-Key")
        if key is not None and not key_is_valid(key):
            return Response(
                {"detail": "Idempotency-Key must be 1 to 255 printable ASCII characters."},
                status=400,
            )
        serializer = FeedbackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        intake = serializer.intake()
        replayed = False
        if key is None:
            receipt = feedback_submit(intake=intake)
            summary, token = receipt.summary(), receipt.token
        else:
            try:
                summary, token, replayed = feedback_submit_once(
                    key=key,
                    digest=request_digest(request.data),
                    submit=lambda: feedback_submit(intake=intake),
                )
            except IdempotencyConflict:
                return Response(
                    {"detail": "This Idempotency-Key was already used with a different body."},
                    status=422,
                )
        body = {
            **summary,
            "status_url": request.build_absolute_uri(progress_path(token)) if token else None,
        }
        if summary["linked"]:
            body["detail"] = (
                f"This joined your open request {summary['reference']} on the same subject; "
                "its progress link is in the email we sent you about it."
            )
        response = Response(
            FeedbackReceiptSerializer(body).data, status=200 if summary["linked"] else 201
        )
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response


@csrf_exempt
@require_POST
def inbound_email(request: HttpRequest) -> JsonResponse:
    """One raw MIME message (Content-Type: message/rfc822) from a mail relay, authenticated by
    `Authorization: Bearer <FEEDBACK_INBOUND_SECRET>`."""
    secret = settings.FEEDBACK_INBOUND_SECRET
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not secret or not constant_time_compare(given, secret):
        return JsonResponse({"detail": "A valid inbound secret is required."}, status=403)
    raw = request.read(MAX_EMAIL_BYTES + 1)
    if len(raw) > MAX_EMAIL_BYTES:
        return JsonResponse({"detail": "The message is too large."}, status=413)
    if not raw.strip():
        return JsonResponse({"detail": "Send the raw message as the request body."}, status=400)
    outcome = email_receive(raw=raw)
    return JsonResponse(asdict(outcome), status=201 if outcome.result == "created" else 200)
