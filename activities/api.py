"""API: /api/v1/activities/ and /api/v1/payments/ (CRUD, scoped like the pages), VietQR payloads."""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from doanso.lib.moments import clamp_plausible
from doanso.lib.money import VNDSerializerField
from doanso.lib.openapi import ConflictSerializer, conflict_response, error_response
from units.models import Unit
from units.permissions import can_edit_unit_data, can_view_unit, visible_units_q

from . import services
from .metrics import period_bounds
from .models import Activity, Payment, UnitBankAccount
from .permissions import activity_get_for_user, payment_get_for_user
from .vietqr import build_payload, qr_svg
from .views.payments import payment_not_pending_message, payment_note

CONFLICT = conflict_response(
    "Changed by someone else since you loaded it (version differs); nothing written.",
    {"detail": "This record was changed by someone else in the meantime (now version 3).", "current_version": 3},
)
NOT_AN_EDITOR = error_response(
    "Visible, but only the unit's own secretary, deputy or staff record or change its data.",
    "Only the unit's secretary, deputy or staff record its data.",
)
UNIT_NOT_FOUND = error_response("The unit does not exist or is outside what the caller may see.", "Not found.")


def _unit_for_writing(user: Any, unit: Unit) -> Unit:
    if not can_view_unit(user, unit):
        raise Http404
    if not can_edit_unit_data(user, unit):
        raise PermissionDenied(_("Only the unit's secretary, deputy or staff record its data."))
    return unit


def _conflict(exc: services.RecordConflict) -> Response:
    return Response({"detail": str(exc), "current_version": exc.current_version}, status=status.HTTP_409_CONFLICT)


def _invalid(exc: ValidationError) -> Response:
    body = exc.message_dict if hasattr(exc, "error_dict") else {"detail": " ".join(exc.messages)}
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


class _UnitRecordWrites:
    """Create and update of a unit's record (activity, payment): the unit must be one the caller
    edits, a record never moves to another unit, and an update carries the version it loaded."""

    serializer_class: type[serializers.ModelSerializer]  # type: ignore[type-arg]
    moved_message: Any  # lazily translated "cannot move to another unit"

    def create_record(self, unit: Unit, by: Any, fields: dict[str, Any]) -> Any:
        raise NotImplementedError

    def update_record(self, record: Any, version: int, fields: dict[str, Any]) -> Any:
        raise NotImplementedError

    def get_object(self) -> Any:
        raise NotImplementedError

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        unit = _unit_for_writing(request.user, fields.pop("unit"))
        fields.pop("version", None)
        try:
            record = self.create_record(unit, request.user if request.user.is_authenticated else None, fields)
        except ValidationError as exc:
            return _invalid(exc)
        return Response(self.serializer_class(record).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        data = self.serializer_class(record, data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if "unit" in fields and fields.pop("unit") != record.unit:
            return Response({"unit": [str(self.moved_message)]}, status=status.HTTP_400_BAD_REQUEST)
        version = fields.pop("version", None)
        if version is None:
            return Response({"version": [_("Send the version you loaded.")]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            record = self.update_record(record, version, fields)
        except services.RecordConflict as exc:
            return _conflict(exc)
        except services.PaymentFinal as exc:
            return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_409_CONFLICT)
        except ValidationError as exc:
            return _invalid(exc)
        return Response(self.serializer_class(record).data)


class RecordFilter(django_filters.FilterSet):
    unit = django_filters.CharFilter(
        method="filter_unit", label="Unit code (with subtree=true: and the units below it)"
    )
    subtree = django_filters.BooleanFilter(method="noop")
    start = django_filters.DateFilter(method="filter_start", label="From this day")
    end = django_filters.DateFilter(method="filter_end", label="Until this day (included)")

    moment_field = "starts_at"

    def noop(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset

    def filter_unit(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        unit = Unit.objects.filter(code=value).first()
        if unit is None:
            return queryset.none()
        if self.data.get("subtree") in ("true", "1", "True"):
            return queryset.filter(unit__path__startswith=unit.path)
        return queryset.filter(unit=unit)

    def filter_start(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        value = clamp_plausible(value)  # 0001-01-01 or 9999-12-31 would overflow, and no record lies outside
        return queryset.filter(**{f"{self.moment_field}__gte": period_bounds(value, value)[0]})

    def filter_end(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        value = clamp_plausible(value)
        return queryset.filter(**{f"{self.moment_field}__lt": period_bounds(value, value)[1]})


class ActivityFilter(RecordFilter):
    class Meta:
        model = Activity
        fields = ["unit", "subtree", "start", "end", "mode", "category"]


class PaymentFilter(RecordFilter):
    moment_field = "moment"

    class Meta:
        model = Payment
        fields = ["unit", "subtree", "start", "end", "purpose", "channel", "status"]


class ActivitySerializer(serializers.ModelSerializer):
    unit: serializers.SlugRelatedField[Unit] = serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.all()
    )
    version = serializers.IntegerField(
        required=False, help_text="Read: the current version. Update: send the version you loaded (409 if it changed)."
    )

    class Meta:
        model = Activity
        fields = [
            "id",
            "unit",
            "title",
            "category",
            "starts_at",
            "mode",
            "platform",
            "participants",
            "digital_registration",
            "digital_checkin",
            "e_document",
            "notes",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


ACTIVITY_EXAMPLE = {
    "unit": "HCM-PSG-01-1",
    "title": "Sinh hoạt chi đoàn tháng 11",
    "category": "meeting",
    "starts_at": "2026-11-20T19:30:00+07:00",
    "mode": "hybrid",
    "platform": "Google Meet",
    "participants": 24,
    "digital_registration": True,
    "digital_checkin": True,
    "e_document": False,
    "notes": "",
}


ACTIVITY_READ_EXAMPLE = {
    "id": 318,
    **ACTIVITY_EXAMPLE,
    "version": 0,
    "created_at": "2026-11-21T08:02:11+07:00",
    "updated_at": "2026-11-21T08:02:11+07:00",
}
ACTIVITY_RESPONSE = OpenApiExample("An activity", value=ACTIVITY_READ_EXAMPLE, response_only=True, status_codes=["200"])


@extend_schema_view(
    list=extend_schema(
        summary="List activities",
        description="Activities of the units the caller may see, the latest first; `unit` + `subtree` narrow it.",
        examples=[
            OpenApiExample(
                "A page of activities",
                value=ACTIVITY_READ_EXAMPLE,  # drf-spectacular wraps it in a page
                response_only=True,
            )
        ],
    ),
    create=extend_schema(
        summary="Record an activity",
        description="By the unit's own secretary, deputy or staff.",
        responses={201: ActivitySerializer, 403: NOT_AN_EDITOR, 404: UNIT_NOT_FOUND},
        examples=[
            OpenApiExample("An activity", value=ACTIVITY_EXAMPLE, request_only=True),
            OpenApiExample("Recorded", value=ACTIVITY_READ_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    ),
    retrieve=extend_schema(summary="One activity", examples=[ACTIVITY_RESPONSE]),
    update=extend_schema(
        summary="Change an activity",
        description="Send every field and the `version` you loaded; the unit cannot change.",
        responses={200: ActivitySerializer, 403: NOT_AN_EDITOR, 409: CONFLICT},
        examples=[
            OpenApiExample("Changed", value={**ACTIVITY_EXAMPLE, "participants": 26, "version": 0}, request_only=True),
            OpenApiExample(
                "Changed", value={**ACTIVITY_READ_EXAMPLE, "participants": 26, "version": 1}, response_only=True
            ),
        ],
    ),
    partial_update=extend_schema(
        summary="Change some fields of an activity",
        description="Send the fields to change and the `version` you loaded.",
        responses={200: ActivitySerializer, 403: NOT_AN_EDITOR, 409: CONFLICT},
        examples=[
            OpenApiExample("More participants", value={"participants": 26, "version": 0}, request_only=True),
            OpenApiExample(
                "Changed", value={**ACTIVITY_READ_EXAMPLE, "participants": 26, "version": 1}, response_only=True
            ),
        ],
    ),
    destroy=extend_schema(
        summary="Delete an activity",
        description="By the unit's own secretary, deputy or staff. Payments linked to it are kept.",
        responses={204: None, 403: NOT_AN_EDITOR},
    ),
)
class ActivityViewSet(_UnitRecordWrites, viewsets.ModelViewSet):
    """Activities of the units you may see; recorded and changed by the unit's own editors."""

    serializer_class = ActivitySerializer
    filterset_class = ActivityFilter
    lookup_value_regex = "[0-9]+"  # anything else is no activity: 404, never int() on a word

    def get_queryset(self) -> QuerySet[Activity]:
        return (
            Activity.objects.filter(visible_units_q(self.request.user, prefix="unit__"))
            .select_related("unit")
            .order_by("-starts_at", "-pk")
        )

    def get_object(self) -> Activity:
        write = self.request.method not in ("GET", "HEAD", "OPTIONS")
        return activity_get_for_user(self.request.user, int(self.kwargs["pk"]), action="edit" if write else "view")

    moved_message = gettext_lazy("An activity cannot move to another unit.")

    def create_record(self, unit: Unit, by: Any, fields: dict[str, Any]) -> Activity:
        return services.activity_create(unit=unit, by=by, **fields)

    def update_record(self, record: Any, version: int, fields: dict[str, Any]) -> Activity:
        return services.activity_update(activity=record, version=version, **fields)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.activity_delete(activity=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class PaymentSerializer(serializers.ModelSerializer):
    unit: serializers.SlugRelatedField[Unit] = serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.all()
    )
    amount = VNDSerializerField(help_text='Whole đồng: 24000 or "24.000" (at most 13 digits).')
    version = serializers.IntegerField(
        required=False, help_text="Send the version you loaded when updating (409 if it changed)."
    )

    class Meta:
        model = Payment
        fields = [
            "id",
            "unit",
            "reference",
            "purpose",
            "amount",
            "channel",
            "status",
            "paid_at",
            "payer_member_code",
            "activity",
            "note",
            "confirmed_at",
            "reversed_at",
            "reversal_reason",
            "version",
            "created_at",
        ]
        read_only_fields = ["id", "reference", "status", "confirmed_at", "reversed_at", "reversal_reason", "created_at"]


class PaymentReverseSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=1000, help_text="Why the confirmed payment is reversed (kept in its audit trail)."
    )


class VietQRSerializer(serializers.Serializer):
    payload = serializers.CharField(help_text="The VietQR text (EMVCo/NAPAS), CRC included")
    svg = serializers.CharField(help_text="An SVG image of the QR code")
    note = serializers.CharField(help_text="The transfer note (carries the payment reference)")


PAYMENT_EXAMPLE = {
    "id": 905,
    "unit": "HCM-PSG-01-1",
    "reference": "DS7K2M9QXA",
    "purpose": "dues",
    "amount": 24000,
    "channel": "vietqr",
    "status": "pending",
    "paid_at": None,
    "payer_member_code": "",
    "activity": None,
    "note": "",
    "confirmed_at": None,
    "reversed_at": None,
    "reversal_reason": "",
    "version": 0,
    "created_at": "2026-11-21T08:05:40+07:00",
}
CONFIRMED_PAYMENT_EXAMPLE = {
    **PAYMENT_EXAMPLE,
    "status": "confirmed",
    "paid_at": "2026-11-21T09:12:00+07:00",
    "confirmed_at": "2026-11-21T09:12:00+07:00",
    "version": 1,
}
NOT_PENDING = error_response("The payment is not pending.", "This payment is not pending.")
PAYMENT_CONFLICT = OpenApiResponse(
    response=ConflictSerializer,
    description="Nothing written: the payment was changed by someone else since you loaded it (version "
    "differs), or it is no longer pending — a confirmed payment is final (reverse it instead), as are "
    "cancelled and reversed ones.",
    examples=[
        OpenApiExample(
            "Version conflict",
            value={
                "detail": "This record was changed by someone else in the meantime (now version 3).",
                "current_version": 3,
            },
        ),
        OpenApiExample(
            "Confirmed: final",
            value={
                "detail": "A confirmed payment is final and cannot be changed. "
                "If it was recorded by mistake, reverse it with a reason."
            },
        ),
    ],
)
REVERSED_PAYMENT_EXAMPLE = {
    **CONFIRMED_PAYMENT_EXAMPLE,
    "status": "reversed",
    "reversed_at": "2026-11-22T10:00:00+07:00",
    "reversal_reason": "Ghi trùng hai lần",
    "version": 2,
}


@extend_schema_view(
    list=extend_schema(
        summary="List payments",
        description="Payments of the units the caller may see, the latest first; `unit` + `subtree` narrow it.",
        examples=[
            OpenApiExample(
                "A page of payments",
                value=PAYMENT_EXAMPLE,  # drf-spectacular wraps it in a page
                response_only=True,
            )
        ],
    ),
    create=extend_schema(
        summary="Record a payment",
        description="Pending until confirmed (by hand, or by a bank statement). By the unit's own editors.",
        responses={201: PaymentSerializer, 403: NOT_AN_EDITOR, 404: UNIT_NOT_FOUND},
        examples=[
            OpenApiExample(
                "Monthly dues by VietQR",
                value={"unit": "HCM-PSG-01-1", "purpose": "dues", "amount": 24000, "channel": "vietqr"},
                request_only=True,
            ),
            OpenApiExample("Recorded", value=PAYMENT_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    ),
    retrieve=extend_schema(
        summary="One payment", examples=[OpenApiExample("A payment", value=PAYMENT_EXAMPLE, response_only=True)]
    ),
    update=extend_schema(
        summary="Change a payment",
        description="Send every field and the `version` you loaded; the unit cannot change. Only a pending "
        "payment changes: a confirmed one is final (409; reverse it instead), as are cancelled and reversed ones.",
        responses={200: PaymentSerializer, 403: NOT_AN_EDITOR, 409: PAYMENT_CONFLICT},
        examples=[
            OpenApiExample(
                "Dues in cash",
                value={"unit": "HCM-PSG-01-1", "purpose": "dues", "amount": 24000, "channel": "cash", "version": 0},
                request_only=True,
            ),
            OpenApiExample("Changed", value={**PAYMENT_EXAMPLE, "channel": "cash", "version": 1}, response_only=True),
        ],
    ),
    partial_update=extend_schema(
        summary="Change some fields of a payment",
        description="Send the fields to change and the `version` you loaded. Only a pending payment changes "
        "(409 otherwise, with the reason).",
        responses={200: PaymentSerializer, 403: NOT_AN_EDITOR, 409: PAYMENT_CONFLICT},
        examples=[
            OpenApiExample("A note", value={"note": "Nộp hộ cho 3 đoàn viên", "version": 0}, request_only=True),
            OpenApiExample(
                "Changed", value={**PAYMENT_EXAMPLE, "note": "Nộp hộ cho 3 đoàn viên", "version": 1}, response_only=True
            ),
        ],
    ),
)
class PaymentViewSet(
    _UnitRecordWrites,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Payments of the units you may see. Status changes through confirm / cancel (or a bank statement)."""

    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Payment]:
        return (
            Payment.objects.filter(visible_units_q(self.request.user, prefix="unit__"))
            .select_related("unit")
            .annotate(moment=Coalesce("paid_at", "created_at"))
            .order_by("-moment", "-pk")
        )

    def get_object(self) -> Payment:
        write = self.request.method not in ("GET", "HEAD", "OPTIONS")
        return payment_get_for_user(self.request.user, int(self.kwargs["pk"]), action="edit" if write else "view")

    moved_message = gettext_lazy("A payment cannot move to another unit.")

    def create_record(self, unit: Unit, by: Any, fields: dict[str, Any]) -> Payment:
        return services.payment_create(unit=unit, by=by, **fields)

    def update_record(self, record: Any, version: int, fields: dict[str, Any]) -> Payment:
        return services.payment_update(payment=record, version=version, **fields)

    def http_method_not_allowed(self, request: Request, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        if request.method == "DELETE":  # payments are never deleted (no destroy action)
            raise MethodNotAllowed("DELETE", detail=_("Payments are kept; cancel a pending payment instead."))
        return super().http_method_not_allowed(request, *args, **kwargs)

    @extend_schema(
        summary="Confirm that a pending payment was received",
        request=None,
        responses={200: PaymentSerializer, 403: NOT_AN_EDITOR, 409: NOT_PENDING},
        examples=[OpenApiExample("Confirmed", value=CONFIRMED_PAYMENT_EXAMPLE, response_only=True)],
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        payment = self.get_object()
        if not services.payment_confirm(payment=payment, by=request.user if request.user.is_authenticated else None):  # type: ignore[arg-type]
            return Response({"detail": _("This payment is not pending.")}, status=status.HTTP_409_CONFLICT)
        payment.refresh_from_db()
        return Response(PaymentSerializer(payment).data)

    @extend_schema(
        summary="Cancel a pending payment",
        description="Payments are never deleted; a cancelled one stays in the records.",
        request=None,
        responses={200: PaymentSerializer, 403: NOT_AN_EDITOR, 409: NOT_PENDING},
        examples=[
            OpenApiExample(
                "Cancelled", value={**PAYMENT_EXAMPLE, "status": "cancelled", "version": 1}, response_only=True
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        payment = self.get_object()
        try:
            payment = services.payment_cancel(payment=payment)
        except services.PaymentFinal as exc:
            return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_409_CONFLICT)
        return Response(PaymentSerializer(payment).data)

    @extend_schema(
        summary="Reverse a confirmed payment",
        description="The only change a confirmed payment allows: status becomes `reversed`, the reason is kept "
        "in the payment and its audit trail, and it stops counting in totals and metrics. By the unit's editors.",
        request=PaymentReverseSerializer,
        responses={
            200: PaymentSerializer,
            400: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="No reason given: messages by field name.",
                examples=[OpenApiExample("No reason", value={"reason": ["Say why the payment is reversed."]})],
            ),
            403: NOT_AN_EDITOR,
            409: error_response(
                "The payment is not confirmed (pending, cancelled or already reversed).",
                "Only a confirmed payment can be reversed; this one is pending.",
            ),
        },
        examples=[
            OpenApiExample("Recorded twice", value={"reason": "Ghi trùng hai lần"}, request_only=True),
            OpenApiExample("Reversed", value=REVERSED_PAYMENT_EXAMPLE, response_only=True),
        ],
    )
    @action(detail=True, methods=["post"])
    def reverse(self, request: Request, pk: str) -> Response:
        payment = self.get_object()
        data = PaymentReverseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        by = request.user if request.user.is_authenticated else None
        try:
            payment = services.payment_reverse(payment=payment, by=by, reason=data.validated_data["reason"])  # type: ignore[arg-type]
        except services.PaymentFinal as exc:
            return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_409_CONFLICT)
        except ValidationError as exc:
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response(PaymentSerializer(payment).data)

    @extend_schema(
        summary="The VietQR code that pays this payment",
        description="The payload and an SVG of the QR code for the unit's bank account, the amount and the note. "
        "Only for a pending payment: a confirmed, cancelled or reversed one has no QR (409). The payload is the "
        "same whatever the caller's language.",
        responses={
            200: VietQRSerializer,
            404: error_response("Not visible, or the unit has no bank account.", "The unit has no bank account."),
            409: error_response(
                "The payment is not pending: no QR, so nobody pays it (again).",
                "This payment is already confirmed: no VietQR code is shown, so nobody pays it twice.",
            ),
        },
        examples=[
            OpenApiExample(
                "Dynamic VietQR",
                value={
                    "payload": "00020101021238570010A00000072701270006970422011300234579234420208QRIBFTTA5303704"
                    "5405240005802VN62230819DS7K2M9QXA DOAN PHI63040033",
                    "svg": "<svg …>",
                    "note": "DS7K2M9QXA DOAN PHI",
                },
                response_only=True,
            )
        ],
    )
    @action(detail=True, methods=["get"])
    def vietqr(self, request: Request, pk: str) -> Response:
        payment = payment_get_for_user(request.user, int(pk))
        if not payment.is_pending:
            return Response({"detail": payment_not_pending_message(payment)}, status=status.HTTP_409_CONFLICT)
        account = UnitBankAccount.objects.select_related("bank").filter(unit=payment.unit).first()
        if account is None:
            raise Http404("The unit has no bank account.")
        note = payment_note(payment)
        payload = build_payload(
            bin_code=account.bank.bin, account=account.account_number, amount=payment.amount, note=note
        )
        return Response({"payload": payload, "svg": qr_svg(payload), "note": note})
