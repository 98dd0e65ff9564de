"""API of the assessments app: frameworks (read), campaigns, responses, answers, member survey."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from doanso.lib.http import parse_id, ratelimit_key
from doanso.lib.openapi import MessageSerializer, conflict_response, error_response
from units.models import Unit
from units.permissions import can_manage_unit, unit_get_for_user, visible_units_q

from . import services
from .models import Answer, Assignment, Campaign, Framework, FrameworkKind, Response
from .permissions import campaign_get_for_user, campaigns_visible_q, response_get_for_user
from .services import AnswerInput
from .survey import member_claim, member_claim_release, member_done_key

if TYPE_CHECKING:
    from accounts.models import User


def acting_user(request: Request) -> User | None:
    """The authenticated user behind an API call (None for anonymous calls)."""
    user = request.user
    return cast("User", user) if user.is_authenticated else None


ANSWER_VALUE_SCHEMA = {
    "description": (
        "Depends on the question type: level/choice → option code; multi → list of option codes; "
        "yes_no → true/false; number → number ≥ 0; percent → number 0–100; "
        'ratio → {"numerator": a, "denominator": b}; text → string. null clears the answer. '
        "metric and file questions cannot be answered here."
    ),
    "nullable": True,
    "oneOf": [
        {"type": "string"},
        {"type": "array", "items": {"type": "string"}},
        {"type": "boolean"},
        {"type": "number", "minimum": 0},
        {
            "type": "object",
            "properties": {
                "numerator": {"type": "number", "minimum": 0},
                "denominator": {"type": "number", "minimum": 0},
            },
            "required": ["numerator", "denominator"],
        },
    ],
}


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


@extend_schema_field(ANSWER_VALUE_SCHEMA)
class AnswerValueField(serializers.JSONField):
    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        if _has_nul(value):  # as DRF's CharField: PostgreSQL cannot store them
            raise serializers.ValidationError(ProhibitNullCharactersValidator.message)
        return value


# --- Frameworks ---------------------------------------------------------------------------------


class FrameworkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Framework
        fields = ["id", "code", "version", "kind", "name", "description", "status", "published_at"]


FRAMEWORK_EXAMPLE = {
    "id": 1,
    "code": "unit-maturity",
    "version": 1,
    "kind": "unit",
    "name": "Bộ chỉ số chuyển đổi số của tổ chức Đoàn",
    "description": "",
    "status": "published",
    "published_at": "2026-01-05T09:00:00+07:00",
}


@extend_schema_view(
    get=extend_schema(
        summary="List the framework versions",
        examples=[
            OpenApiExample(
                "A page of frameworks",
                value=FRAMEWORK_EXAMPLE,  # drf-spectacular wraps it in a page
                response_only=True,
            )
        ],
    )
)
class FrameworkListAPIView(generics.ListAPIView):
    """Published and retired framework versions (drafts are for admins, in Django admin)."""

    serializer_class = FrameworkSerializer
    queryset = Framework.objects.exclude(status=Framework.Status.DRAFT).order_by("code", "-version")
    filterset_fields = ["code", "kind", "status"]


class FrameworkDetailAPIView(APIView):
    @extend_schema(
        summary="One framework version with its whole content",
        description="The exchange format of docs/framework-format.md, plus id and status. Drafts are not found.",
        responses={
            200: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="Framework document (doanso.framework/1)",
                examples=[
                    OpenApiExample(
                        "A unit framework (shortened)",
                        value={
                            "id": 1,
                            "status": "published",
                            "format": "doanso.framework/1",
                            "code": "unit-maturity",
                            "version": 1,
                            "kind": "unit",
                            "name": "Bộ chỉ số chuyển đổi số của tổ chức Đoàn",
                            "description": "",
                            "bands": [{"min_score": 0, "name": "Khởi động", "description": "", "colour": "#c0392b"}],
                            "target_groups": [],
                            "domains": [
                                {
                                    "code": "HH",
                                    "name": "Hội họp số",
                                    "description": "",
                                    "weight": 2,
                                    "indicators": [
                                        {
                                            "code": "HH.1",
                                            "name": "Họp trực tuyến",
                                            "description": "",
                                            "guidance": "",
                                            "weight": 1,
                                            "evidence_required": False,
                                            "questions": [],
                                        }
                                    ],
                                }
                            ],
                        },
                    )
                ],
            )
        },
    )
    def get(self, request: Request, code: str, version: int) -> ApiResponse:
        framework = get_object_or_404(
            Framework.objects.exclude(status=Framework.Status.DRAFT), code=code, version=version
        )
        return ApiResponse({"id": framework.pk, "status": framework.status, **services.framework_to_spec(framework)})


# --- Campaigns ----------------------------------------------------------------------------------


class FrameworkRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    version = serializers.IntegerField()
    kind = serializers.CharField()


class CampaignSerializer(serializers.ModelSerializer):
    framework = FrameworkRefSerializer(read_only=True)
    scope_unit: serializers.SlugRelatedField[Unit] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    expected = serializers.IntegerField(read_only=True, help_text="Units expected to answer (0 until opened).")

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "milestone",
            "framework",
            "period_start",
            "period_end",
            "opens_at",
            "closes_at",
            "scope_unit",
            "levels",
            "rollup",
            "status",
            "opened_at",
            "closed_at",
            "expected",
        ]
        read_only_fields = fields


class CampaignCreateSerializer(serializers.Serializer):
    framework_code = serializers.CharField()
    framework_version = serializers.IntegerField()
    name = serializers.CharField(max_length=255)
    milestone = serializers.CharField(max_length=100)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    scope_unit = serializers.CharField(help_text="Code of the scope unit (you must manage it).")
    levels = serializers.ListField(child=serializers.ChoiceField(choices=Unit.Level.choices), allow_empty=False)
    rollup = serializers.ChoiceField(choices=Campaign.Rollup.choices, default=Campaign.Rollup.MEAN)


CAMPAIGN_EXAMPLE = {
    "id": 7,
    "name": "Khảo sát chuyển đổi số 2026",
    "milestone": "T0",
    "framework": {"code": "unit-maturity", "version": 1, "kind": "unit"},
    "period_start": "2026-01-01",
    "period_end": "2026-06-30",
    "opens_at": "2026-07-01T08:00:00+07:00",
    "closes_at": "2026-07-31T17:00:00+07:00",
    "scope_unit": "HCM",
    "levels": ["upper_grassroots", "grassroots"],
    "rollup": "mean",
    "status": "open",
    "opened_at": "2026-07-01T08:00:03+07:00",
    "closed_at": None,
    "expected": 312,
}
CAMPAIGN_RESPONSE = OpenApiExample("A campaign", value=CAMPAIGN_EXAMPLE, response_only=True)
NOT_A_MANAGER = error_response(
    "Visible, but the caller does not manage it (a role at the scope unit or above is needed).",
    "You do not have permission to perform this action.",
)


def _campaigns(user: Any) -> QuerySet[Campaign]:
    return (
        Campaign.objects.filter(campaigns_visible_q(user))
        .select_related("framework", "scope_unit")
        .annotate(expected=Count("assignments"))
        .order_by("-opens_at", "-pk")
    )


@extend_schema_view(
    get=extend_schema(
        summary="List the campaigns you may see",
        description="Campaigns whose scope unit, or a unit under it, the caller may see; the newest first.",
        examples=[
            OpenApiExample(
                "A page of campaigns",
                value=CAMPAIGN_EXAMPLE,  # drf-spectacular wraps it in a page
                response_only=True,
            )
        ],
    )
)
class CampaignListCreateAPIView(generics.ListAPIView):
    serializer_class = CampaignSerializer
    filterset_fields = ["status"]

    def get_queryset(self) -> QuerySet[Campaign]:
        return _campaigns(self.request.user)

    @extend_schema(
        summary="Create a campaign",
        description="A draft campaign over a scope unit the caller manages; open it with `…/open/`.",
        request=CampaignCreateSerializer,
        responses={
            201: CampaignSerializer,
            403: NOT_A_MANAGER,
            404: error_response("The scope unit does not exist or is outside what the caller may see.", "Not found."),
        },
        examples=[
            OpenApiExample(
                "Created",
                value={**CAMPAIGN_EXAMPLE, "status": "draft", "opened_at": None, "expected": 0},
                response_only=True,
                status_codes=["201"],
            ),
            OpenApiExample(
                "T0 of the unit survey",
                value={
                    "framework_code": "unit-maturity",
                    "framework_version": 1,
                    "name": "Khảo sát chuyển đổi số 2026",
                    "milestone": "T0",
                    "period_start": "2026-01-01",
                    "period_end": "2026-06-30",
                    "opens_at": "2026-07-01T08:00:00+07:00",
                    "closes_at": "2026-07-31T17:00:00+07:00",
                    "scope_unit": "HCM",
                    "levels": ["upper_grassroots", "grassroots"],
                    "rollup": "mean",
                },
                request_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> ApiResponse:
        data = CampaignCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        unit = Unit.objects.filter(visible_units_q(request.user), code=d.pop("scope_unit")).first()
        if unit is None:
            raise Http404
        if not can_manage_unit(request.user, unit):
            self.permission_denied(request, message=_("You do not manage this unit."))
        framework = Framework.objects.filter(code=d.pop("framework_code"), version=d.pop("framework_version")).first()
        if framework is None:
            raise serializers.ValidationError({"framework_version": [_("No such framework version.")]})
        try:
            campaign = services.campaign_create(by=acting_user(request), framework=framework, scope_unit=unit, **d)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return ApiResponse(
            CampaignSerializer(_campaigns(request.user).get(pk=campaign.pk)).data, status=status.HTTP_201_CREATED
        )


class CampaignDetailAPIView(APIView):
    @extend_schema(summary="One campaign", responses={200: CampaignSerializer}, examples=[CAMPAIGN_RESPONSE])
    def get(self, request: Request, pk: int) -> ApiResponse:
        campaign = campaign_get_for_user(request.user, pk)
        return ApiResponse(CampaignSerializer(_campaigns(request.user).get(pk=campaign.pk)).data)


class CampaignActionAPIView(APIView):
    """Open or close a campaign (``action_name``); the subclasses below document each."""

    action_name = ""

    def post(self, request: Request, pk: int) -> ApiResponse:
        campaign = campaign_get_for_user(request.user, pk, action="manage")
        try:
            if self.action_name == "open":
                services.campaign_open(campaign=campaign)
            else:
                services.campaign_close(campaign=campaign)
        except ValidationError as exc:
            return ApiResponse({"detail": " ".join(exc.messages)}, status=status.HTTP_409_CONFLICT)
        return ApiResponse(CampaignSerializer(_campaigns(request.user).get(pk=campaign.pk)).data)


class CampaignOpenAPIView(CampaignActionAPIView):
    action_name = "open"

    @extend_schema(
        summary="Open a campaign",
        description=(
            "Snapshots one assignment per expected unit (active units of the chosen levels under the scope unit): "
            "the denominator of coverage. Unit surveys also get each unit's empty draft response."
        ),
        request=None,
        responses={
            200: CampaignSerializer,
            403: NOT_A_MANAGER,
            409: conflict_response(
                "Not a draft any more, or no unit to survey.",
                {"detail": "Only a campaign that has not been opened yet can be opened."},
            ),
        },
        examples=[CAMPAIGN_RESPONSE],
    )
    def post(self, request: Request, pk: int) -> ApiResponse:
        return super().post(request, pk)


class CampaignCloseAPIView(CampaignActionAPIView):
    action_name = "close"

    @extend_schema(
        summary="Close a campaign",
        description="Drafts are locked from now on, except those of units whose deadline was extended.",
        request=None,
        responses={
            200: CampaignSerializer,
            403: NOT_A_MANAGER,
            409: conflict_response("The campaign is not open.", {"detail": "Only an open campaign can be closed."}),
        },
        examples=[
            OpenApiExample(
                "Closed",
                value={**CAMPAIGN_EXAMPLE, "status": "closed", "closed_at": "2026-07-31T17:00:05+07:00"},
                response_only=True,
            )
        ],
    )
    def post(self, request: Request, pk: int) -> ApiResponse:
        return super().post(request, pk)


# --- Responses ----------------------------------------------------------------------------------


def answer_value(answer: Answer) -> Any:
    """A stored answer in the API's value shape."""
    qtype = answer.question.type
    T = answer.question.Type

    def number(value: Decimal | None) -> int | float | None:
        if value is None:
            return None
        return int(value) if value == value.to_integral_value() else float(value)

    if answer.is_na:
        return None
    if qtype in (T.LEVEL, T.CHOICE):
        return answer.option.code if answer.option is not None else None
    if qtype == T.MULTI:
        return [o.code for o in answer.options.all()]
    if qtype == T.YES_NO:
        return answer.value_bool
    if qtype == T.RATIO:
        return {"numerator": number(answer.value_number), "denominator": number(answer.value_denominator)}
    if qtype == T.TEXT:
        return answer.value_text
    return number(answer.value_number)


class AnswerOutSerializer(serializers.Serializer):
    question = serializers.CharField(source="question.code")
    value = AnswerValueField(source="*")
    na = serializers.BooleanField(source="is_na")
    score = serializers.FloatField(allow_null=True, help_text="Normalised 0–1 (before evidence and roll-up rules).")
    hidden = serializers.BooleanField(source="is_hidden", help_text="Hidden by show_if: not counted.")

    def to_representation(self, instance: Answer) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["value"] = answer_value(instance)
        return data


class ResponseSerializer(serializers.ModelSerializer):
    campaign = serializers.IntegerField(source="assignment.campaign_id")
    unit = serializers.CharField(source="assignment.unit.code")

    class Meta:
        model = Response
        fields = ["id", "campaign", "unit", "status", "version", "submitted_at", "updated_at"]


class ResponseDetailSerializer(ResponseSerializer):
    answers = serializers.SerializerMethodField()

    class Meta(ResponseSerializer.Meta):
        fields = [*ResponseSerializer.Meta.fields, "answers"]

    @extend_schema_field(AnswerOutSerializer(many=True))
    def get_answers(self, response: Response) -> list[dict[str, Any]]:
        answers = sorted(services.response_answers(response).values(), key=lambda a: a.question.code)
        return AnswerOutSerializer(answers, many=True).data  # type: ignore[return-value]


class IdFilter(django_filters.NumberFilter):
    """A whole number in the range of ids (a decimal or a 20-digit number is a 400, not a query)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, min_value=1, max_value=2**63 - 1, **kwargs)


class ResponseFilter(django_filters.FilterSet):
    campaign = IdFilter(field_name="assignment__campaign_id")
    unit = django_filters.CharFilter(field_name="assignment__unit__code", label="Unit code")
    status = django_filters.ChoiceFilter(choices=Response.Status.choices)

    class Meta:
        model = Response
        fields = ["campaign", "unit", "status"]


RESPONSE_EXAMPLE = {
    "id": 4211,
    "campaign": 7,
    "unit": "HCM-PBN-03",
    "status": "draft",
    "version": 3,
    "submitted_at": None,
    "updated_at": "2026-07-12T21:04:55+07:00",
}
RESPONSE_DETAIL_EXAMPLE = {
    **RESPONSE_EXAMPLE,
    "version": 4,
    "answers": [
        {
            "question": "DL.1.a",
            "value": {"numerator": 24, "denominator": 30},
            "na": False,
            "score": 0.8,
            "hidden": False,
        },
        {"question": "HH.1.a", "value": 6, "na": False, "score": 1.0, "hidden": False},
        {"question": "NT.1.a", "value": True, "na": False, "score": 1.0, "hidden": False},
        {"question": "TT.3.a", "value": None, "na": True, "score": None, "hidden": False},
    ],
}


@extend_schema_view(
    get=extend_schema(
        summary="List unit survey responses",
        examples=[
            OpenApiExample(
                "A page of responses",
                value=RESPONSE_EXAMPLE,  # drf-spectacular wraps it in a page
                response_only=True,
            )
        ],
    )
)
class ResponseListAPIView(generics.ListAPIView):
    """Unit survey responses of the units you may see. Member responses are anonymous and not listed."""

    serializer_class = ResponseSerializer
    filterset_class = ResponseFilter

    def get_queryset(self) -> QuerySet[Response]:
        return (
            Response.objects.filter(
                visible_units_q(self.request.user, prefix="assignment__unit__"), kind=FrameworkKind.UNIT
            )
            .select_related("assignment__unit")
            .order_by("assignment__campaign_id", "assignment__unit__path")
        )


class ResponseDetailAPIView(APIView):
    @extend_schema(
        summary="One unit survey response with its answers",
        responses={200: ResponseDetailSerializer},
        examples=[OpenApiExample("A draft", value=RESPONSE_DETAIL_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, pk: int) -> ApiResponse:
        response = response_get_for_user(request.user, pk)
        return ApiResponse(ResponseDetailSerializer(response).data)


class AnswerInSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=50, help_text="Question code")
    value = AnswerValueField(required=False, allow_null=True)
    na = serializers.BooleanField(default=False, help_text="Answer “not applicable” (if the question allows it).")


class AnswersPutSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="The version you loaded; a stale one gets 409 and nothing is written.")
    answers = AnswerInSerializer(many=True)


CONFLICT = conflict_response(
    "Version conflict (`current_version` given) or wrong state: nothing was written.",
    {"detail": "This survey was saved elsewhere in the meantime (now version 5).", "current_version": 5},
)
INVALID_ANSWERS = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description="Invalid or missing answers, by question code under `answers`; nothing was written.",
    examples=[OpenApiExample("Invalid answers", value={"answers": {"HH.1.a": ["Enter a number of 0 or more."]}})],
)


def _error_response(exc: Exception, *, field_errors_under: str | None = None) -> ApiResponse:
    """409 for conflicts and wrong states, 400 with messages by field (or question code)."""
    if isinstance(exc, services.VersionConflict):
        return ApiResponse(
            {"detail": str(exc), "current_version": exc.current_version}, status=status.HTTP_409_CONFLICT
        )
    if not isinstance(exc, ValidationError):
        raise exc
    if not hasattr(exc, "error_dict"):  # NotEditable and other state errors
        return ApiResponse({"detail": " ".join(exc.messages)}, status=status.HTTP_409_CONFLICT)
    body = {field_errors_under: exc.message_dict} if field_errors_under else exc.message_dict
    return ApiResponse(body, status=status.HTTP_400_BAD_REQUEST)


class ResponseAnswersAPIView(APIView):
    @extend_schema(
        summary="Save answers (optimistic locking)",
        description=(
            "Saves the given answers (others are kept) if `version` is still the current one, and returns the "
            "response with all its answers and the new version. Only the unit's secretary, deputy or staff may, "
            "while the response is a draft or returned and the campaign accepts answers."
        ),
        request=AnswersPutSerializer,
        responses={200: ResponseDetailSerializer, 400: INVALID_ANSWERS, 409: CONFLICT},
        examples=[
            OpenApiExample("Saved", value=RESPONSE_DETAIL_EXAMPLE, response_only=True, status_codes=["200"]),
            OpenApiExample(
                "Answers of several types",
                value={
                    "version": 3,
                    "answers": [
                        {"question": "NT.1.a", "value": True},
                        {"question": "HH.1.a", "value": 6},
                        {"question": "DL.1.a", "value": {"numerator": 24, "denominator": 30}},
                        {"question": "TT.3.a", "value": None, "na": True},
                    ],
                },
                request_only=True,
            ),
        ],
    )
    def put(self, request: Request, pk: int) -> ApiResponse:
        response = response_get_for_user(request.user, pk, action="edit")
        data = AnswersPutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        inputs = [
            AnswerInput(question=a["question"], value=a.get("value"), na=a["na"])
            for a in data.validated_data["answers"]
        ]
        try:
            response = services.response_save_answers(
                response=response, version=data.validated_data["version"], answers=inputs, by=acting_user(request)
            )
        except (services.VersionConflict, ValidationError) as exc:
            return _error_response(exc, field_errors_under="answers")
        return ApiResponse(ResponseDetailSerializer(response).data)


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, help_text="If given, must be the current version.")


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ReturnCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(help_text="What needs to be corrected; the unit's secretary receives it.")


class ResponseTransitionAPIView(APIView):
    """Submit, return or approve a response (``transition``); the subclasses below document each."""

    transition = ""

    def post(self, request: Request, pk: int) -> ApiResponse:
        response = response_get_for_user(request.user, pk, action="edit" if self.transition == "submit" else "review")
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment = body.validated_data["comment"]
        try:
            if self.transition == "submit":
                version = VersionSerializer(data=request.data)
                version.is_valid(raise_exception=True)
                response = services.response_submit(
                    response=response, by=acting_user(request), version=version.validated_data.get("version")
                )
            elif self.transition == "return":
                response = services.response_return(response=response, by=acting_user(request), comment=comment)
            else:
                response = services.response_approve(response=response, by=acting_user(request), comment=comment)
        except (services.VersionConflict, ValidationError) as exc:
            return _error_response(exc, field_errors_under="answers" if self.transition == "submit" else None)
        return ApiResponse(ResponseSerializer(response).data)


class ResponseSubmitAPIView(ResponseTransitionAPIView):
    transition = "submit"

    @extend_schema(
        summary="Submit a response for review",
        description="By the unit's own secretary, deputy or staff, once every required visible question is answered.",
        request=VersionSerializer,
        responses={
            200: ResponseSerializer,
            400: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="Unanswered required questions, by question code under `answers`.",
                examples=[
                    OpenApiExample(
                        "Unanswered",
                        value={"answers": {"HH.1.a": ["This question must be answered before submitting."]}},
                    )
                ],
            ),
            409: CONFLICT,
        },
        examples=[
            OpenApiExample("Submit version 4", value={"version": 4}, request_only=True),
            OpenApiExample(
                "Submitted",
                value={
                    **RESPONSE_EXAMPLE,
                    "status": "submitted",
                    "version": 5,
                    "submitted_at": "2026-07-14T08:30:00+07:00",
                },
                response_only=True,
                status_codes=["200"],
            ),
        ],
    )
    def post(self, request: Request, pk: int) -> ApiResponse:
        return super().post(request, pk)


class ResponseReturnAPIView(ResponseTransitionAPIView):
    transition = "return"

    @extend_schema(
        summary="Return a submitted response for correction",
        description="By a secretary, deputy or staff of a unit above; the comment says what to correct.",
        request=ReturnCommentSerializer,
        responses={200: ResponseSerializer, 409: CONFLICT},
        examples=[
            OpenApiExample(
                "Return with a comment", value={"comment": "Bổ sung minh chứng cho chỉ số HH.1."}, request_only=True
            ),
            OpenApiExample(
                "Returned",
                value={
                    **RESPONSE_EXAMPLE,
                    "status": "returned",
                    "version": 6,
                    "submitted_at": "2026-07-14T08:30:00+07:00",
                },
                response_only=True,
                status_codes=["200"],
            ),
        ],
    )
    def post(self, request: Request, pk: int) -> ApiResponse:
        return super().post(request, pk)


class ResponseApproveAPIView(ResponseTransitionAPIView):
    transition = "approve"

    @extend_schema(
        summary="Approve a submitted response",
        description="By a secretary, deputy or staff of a unit above.",
        request=CommentSerializer,
        responses={200: ResponseSerializer, 409: CONFLICT},
        examples=[
            OpenApiExample("Approve", value={"comment": ""}, request_only=True),
            OpenApiExample(
                "Approved",
                value={
                    **RESPONSE_EXAMPLE,
                    "status": "approved",
                    "version": 6,
                    "submitted_at": "2026-07-14T08:30:00+07:00",
                },
                response_only=True,
                status_codes=["200"],
            ),
        ],
    )
    def post(self, request: Request, pk: int) -> ApiResponse:
        return super().post(request, pk)


# --- Member survey ------------------------------------------------------------------------------


class MemberSubmitSerializer(serializers.Serializer):
    target_group = serializers.CharField(max_length=50, help_text="Code of a target group of the framework")
    answers = AnswerInSerializer(many=True)


class MemberSurveyAPIView(APIView):
    """Anonymous: no account, no personal data. Throttled per client address."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        summary="Submit a member survey by its link token",
        description=(
            "A member's complete, anonymous survey: the token is the one in the unit's link or QR code. "
            "No account is needed and no personal data is taken."
        ),
        request=MemberSubmitSerializer,
        responses={
            201: OpenApiResponse(
                response=MessageSerializer,
                description="Received",
                examples=[OpenApiExample("Received", value={"detail": "Received. Thank you!"})],
            ),
            400: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="Missing or invalid answers (by question code under `answers`), or no such target group.",
                examples=[
                    OpenApiExample("Unanswered", value={"answers": {"1.2.a": ["Please answer this question."]}}),
                    OpenApiExample("Unknown group", value={"target_group": ["Choose who you are."]}),
                ],
            ),
            404: error_response("No member survey has this link.", "Not found."),
            409: error_response(
                "The survey is closed, or this browser (session) has already sent this survey.",
                "This survey is closed.",
            ),
            429: error_response(
                "Too many submissions from this address.",
                "Too many submissions from this address; try again in a few minutes.",
            ),
        },
        examples=[
            OpenApiExample(
                "A student's answers",
                value={
                    "target_group": "student",
                    "answers": [{"question": "1.1.a", "value": "3"}, {"question": "1.2.a", "value": ["0", "2"]}],
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request, token: str) -> ApiResponse:
        assignment = Assignment.objects.filter(
            member_token=token, campaign__framework__kind=FrameworkKind.MEMBER
        ).first()
        if assignment is None:
            raise Http404
        if is_ratelimited(
            request._request,
            group="member-survey",
            key=ratelimit_key,
            rate=settings.MEMBER_SURVEY_RATE,
            method="POST",
            increment=True,
        ):
            return ApiResponse(
                {"detail": _("Too many submissions from this address; try again in a few minutes.")}, status=429
            )
        data = MemberSubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not member_claim(request._request, assignment):  # the page's rule: one survey per browser
            return ApiResponse(
                {"detail": _("This browser has already sent this survey. Thank you!")}, status=status.HTTP_409_CONFLICT
            )
        inputs = [
            AnswerInput(question=a["question"], value=a.get("value"), na=a["na"])
            for a in data.validated_data["answers"]
        ]
        try:
            services.member_response_submit(
                assignment=assignment, target_group=data.validated_data["target_group"], answers=inputs
            )
        except ValidationError as exc:  # NotEditable (closed) included
            member_claim_release(request._request, assignment)
            return _error_response(
                exc, field_errors_under=None if "target_group" in getattr(exc, "error_dict", {}) else "answers"
            )
        request.session[member_done_key(assignment)] = True
        return ApiResponse({"detail": _("Received. Thank you!")}, status=status.HTTP_201_CREATED)


# --- Scores -------------------------------------------------------------------------------------


class ScoreBlockSerializer(serializers.Serializer):
    overall = serializers.FloatField(allow_null=True, help_text="0–100")
    level = serializers.CharField(allow_null=True, help_text="Name of the maturity band")
    domains = serializers.DictField(
        child=serializers.FloatField(allow_null=True), help_text="Domain code → 0–100 or null"
    )


class SubtreeScoreSerializer(ScoreBlockSerializer):
    responded = serializers.IntegerField(help_text="Expected units with a counted response")
    expected = serializers.IntegerField(help_text="Units expected to answer (the snapshot taken at opening)")


class GroupScoreSerializer(serializers.Serializer):
    responses = serializers.IntegerField(allow_null=True, help_text="null when suppressed (0: nobody answered)")
    overall = serializers.FloatField(allow_null=True, help_text="null when suppressed")
    suppressed = serializers.BooleanField(
        help_text="Withheld to protect small groups: fewer than 5 responses, or its value could be "
        "computed from the figures shown (see docs/privacy.md)"
    )


class MemberScoreSerializer(serializers.Serializer):
    overall = serializers.FloatField(allow_null=True, help_text="null when suppressed")
    responses = serializers.IntegerField(allow_null=True, help_text="null when suppressed")
    suppressed = serializers.BooleanField(help_text="The subtree's member figures are withheld (docs/privacy.md)")
    by_target_group = serializers.DictField(child=GroupScoreSerializer())


class UnitScorePayloadSerializer(serializers.Serializer):
    unit = serializers.CharField()
    campaign = serializers.IntegerField()
    response = ScoreBlockSerializer(allow_null=True, help_text="The unit's own counted response (unit surveys)")
    subtree = SubtreeScoreSerializer(help_text="Roll-up over the unit's subtree, the unit included")
    members = MemberScoreSerializer(allow_null=True, help_text="Member surveys only")
    delta = serializers.FloatField(
        allow_null=True, help_text="Subtree overall minus the previous campaign's (same framework code)"
    )
    rank = serializers.IntegerField(allow_null=True, help_text="Position among siblings of the same sector, 1 = best")
    computed_at = serializers.DateTimeField(allow_null=True)
    stale = serializers.BooleanField(help_text="Changes are waiting to be scored (seconds, normally)")


SCORE_EXAMPLE = {
    "unit": "HCM-PSG",
    "campaign": 1,
    "response": {"overall": 61.5, "level": "Hình thành", "domains": {"NT": 75.0, "HH": 48.0}},
    "subtree": {
        "overall": 54.2,
        "level": "Bắt đầu",
        "domains": {"NT": 60.1, "HH": 47.3},
        "responded": 4,
        "expected": 6,
    },
    "members": None,
    "delta": 6.3,
    "rank": 2,
    "computed_at": "2026-11-27T10:15:00+07:00",
    "stale": False,
}


class UnitScorePageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = UnitScorePayloadSerializer(many=True)


class ScoresAPIView(APIView):
    @extend_schema(
        summary="Scores of a unit, or of a unit's children, in a campaign",
        description=(
            "With `unit`: that unit's scores. With `parent`: a page of its children's scores, by name. "
            "Give exactly one of the two."
        ),
        parameters=[
            OpenApiParameter("campaign", int, required=True),
            OpenApiParameter("unit", str, description="Unit code: that unit's scores"),
            OpenApiParameter("parent", str, description="Unit code: its children's scores, paginated"),
            OpenApiParameter("page", int, description="With `parent`: the page of children"),
        ],
        responses={
            200: PolymorphicProxySerializer(
                component_name="Scores",
                serializers=[UnitScorePayloadSerializer, UnitScorePageSerializer],
                resource_type_field_name=None,
            ),
            400: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="No campaign id, or not exactly one of `unit` and `parent`.",
                examples=[OpenApiExample("Unit or parent", value={"detail": "Give either unit or parent."})],
            ),
            404: error_response(
                "The campaign or the unit is outside what the caller may see, or no such page.", "Not found."
            ),
        },
        examples=[
            OpenApiExample("A ward union", value=SCORE_EXAMPLE, response_only=True),
            OpenApiExample(
                "The children of a district union",
                value={"count": 1, "next": None, "previous": None, "results": [SCORE_EXAMPLE]},
                response_only=True,
            ),
        ],
    )
    def get(self, request: Request) -> ApiResponse:
        from .scoring.selectors import score_payloads

        campaign_id = parse_id(request.query_params.get("campaign"))
        if campaign_id is None:
            return ApiResponse({"campaign": [_("Give a campaign id.")]}, status=status.HTTP_400_BAD_REQUEST)
        campaign = campaign_get_for_user(request.user, campaign_id)
        unit_code, parent_code = request.query_params.get("unit"), request.query_params.get("parent")
        if bool(unit_code) == bool(parent_code):
            return ApiResponse({"detail": _("Give either unit or parent.")}, status=status.HTTP_400_BAD_REQUEST)
        if unit_code:
            unit = unit_get_for_user(request.user, unit_code)
            return ApiResponse(UnitScorePayloadSerializer(score_payloads(campaign, [unit])[0]).data)
        parent = unit_get_for_user(request.user, parent_code or "")
        children = Unit.objects.filter(path__startswith=parent.path, depth=parent.depth + 1).order_by("name")
        paginator = PageNumberPagination()
        page: list[Unit] = paginator.paginate_queryset(children, request, view=self) or []
        return paginator.get_paginated_response(
            UnitScorePayloadSerializer(score_payloads(campaign, page), many=True).data
        )


class CampaignRecomputeAPIView(APIView):
    @extend_schema(
        summary="Recompute every score of a campaign (managers)",
        request=None,
        responses={
            202: OpenApiResponse(
                response=MessageSerializer,
                description="Queued; scores follow within seconds to minutes",
                examples=[OpenApiExample("Queued", value={"detail": "Recomputation queued."})],
            ),
            403: NOT_A_MANAGER,
        },
    )
    def post(self, request: Request, pk: int) -> ApiResponse:
        from .scoring.services import scores_request_rebuild

        campaign = campaign_get_for_user(request.user, pk, action="manage")
        with transaction.atomic():
            scores_request_rebuild(campaign_id=campaign.pk)
        return ApiResponse({"detail": _("Recomputation queued.")}, status=status.HTTP_202_ACCEPTED)
