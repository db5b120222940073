"""Known issues on the public board: agents open them, post updates and link tickets to them."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from helpdesk.api.base import HelpdeskAPI
from helpdesk.api.fields import StrictCharField, StrictChoiceField, StrictSerializer
from helpdesk.api.pagination import KeysetPagination, SortKey
from statusfeed.models import PublicIssue, PublicIssueUpdate
from statusfeed.services import public_issue_create, public_issue_update


class PublicIssueUpdateSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = PublicIssueUpdate
        fields = ["id", "status", "body", "author", "created_at"]
        read_only_fields = fields


class PublicIssueSerializer(serializers.ModelSerializer):
    class Meta:
        model = PublicIssue
        fields = ["id", "title", "kind", "status", "is_public", "created_at", "updated_at"]
        read_only_fields = fields


class PublicIssueDetailSerializer(PublicIssueSerializer):
    updates = PublicIssueUpdateSerializer(many=True, read_only=True)

    class Meta(PublicIssueSerializer.Meta):
        fields = [*PublicIssueSerializer.Meta.fields, "updates"]
        read_only_fields = fields


def _check_status(kind: str, status_: str) -> None:
    allowed = PublicIssue.STATUSES_BY_KIND[kind]
    if status_ not in allowed:
        raise serializers.ValidationError(
            {"status": [f"A {kind} can be {', '.join(allowed)}, not {status_}."]}
        )


class PublicIssueCreateSerializer(StrictSerializer):
    title = StrictCharField(max_length=200)
    kind = StrictChoiceField(choices=PublicIssue.Kind.choices)
    status = StrictChoiceField(choices=PublicIssue.Status.choices)
    body = StrictCharField(max_length=20_000, help_text="The first update, shown on the board.")

    def validate(self, attrs: dict) -> dict:
        _check_status(attrs["kind"], attrs["status"])
        return attrs


class PublicIssuePostSerializer(StrictSerializer):
    status = StrictChoiceField(choices=PublicIssue.Status.choices)
    body = StrictCharField(max_length=20_000)

    def validate(self, attrs: dict) -> dict:
        _check_status(self.context["issue"].kind, attrs["status"])
        return attrs


class PublicIssueViewSet(
    HelpdeskAPI,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    pagination_class = KeysetPagination
    ordering_keys = {"updated_at": SortKey("updated_at"), "created_at": SortKey("created_at")}
    default_ordering = "-updated_at"

    def get_queryset(self):
        if self.action == "retrieve":
            return PublicIssue.objects.prefetch_related("updates__author")
        return PublicIssue.objects.all()

    def get_serializer_class(self):
        return PublicIssueDetailSerializer if self.action == "retrieve" else PublicIssueSerializer

    @extend_schema(
        request=PublicIssueCreateSerializer, responses={201: PublicIssueDetailSerializer}
    )
    def create(self, request: Request) -> Response:
        body = PublicIssueCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        issue = public_issue_create(author=request.user, **body.validated_data)
        issue = self.get_queryset().get(pk=issue.pk)
        return Response(PublicIssueDetailSerializer(issue).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PublicIssuePostSerializer, responses={201: PublicIssueUpdateSerializer})
    @action(detail=True, methods=["post"])
    def updates(self, request: Request, pk: str) -> Response:
        """Post an update: on the board, and on the page of every linked ticket."""
        issue = self.get_object()
        body = PublicIssuePostSerializer(data=request.data, context={"issue": issue})
        body.is_valid(raise_exception=True)
        update = public_issue_update(issue=issue, author=request.user, **body.validated_data)
        return Response(PublicIssueUpdateSerializer(update).data, status=status.HTTP_201_CREATED)
