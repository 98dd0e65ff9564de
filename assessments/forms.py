from __future__ import annotations

from typing import Any

import filetype
from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from units.models import Unit

from .models import Campaign, Framework, FrameworkKind

# What may be uploaded as evidence, recognised from the file's content (not its name).
EVIDENCE_TYPES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WebP",
    "image/heic": "HEIC",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word (.docx)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel (.xlsx)",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint (.pptx)",
}

# The extension a downloaded file gets, from its detected type: a PDF named "x.html" is served as
# "x.pdf", so that a file that is also valid HTML (a polyglot) never opens as a web page.
EVIDENCE_EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
}


def evidence_download_name(original_name: str, content_type: str) -> str:
    """The original name's stem with the extension of the type the content was recognised as."""
    stem = original_name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    return (stem.strip() or "minh-chung") + EVIDENCE_EXTENSIONS.get(content_type, ".bin")


def check_evidence_file(upload: UploadedFile) -> str:
    """Size limit and type allowlist by content. Returns the detected MIME type."""
    limit = settings.EVIDENCE_MAX_UPLOAD_BYTES
    if upload.size and upload.size > limit:
        raise ValidationError(
            _("The file is too large (%(size).1f MB); the limit is %(limit)d MB.")
            % {"size": upload.size / 1024 / 1024, "limit": limit // (1024 * 1024)}
        )
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in EVIDENCE_TYPES:
        raise ValidationError(
            _("This type of file is not accepted. Upload one of: %(types)s.")
            % {"types": ", ".join(EVIDENCE_TYPES.values())}
        )
    return str(kind.mime)


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("File"), required=False)
    url = forms.URLField(label=_("or a link"), required=False, max_length=500, assume_scheme="https")
    note = forms.CharField(label=_("Note"), required=False, max_length=255)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload, url = data.get("file"), data.get("url")
        if bool(upload) == bool(url):
            raise ValidationError(_("Attach a file or give a link (one of the two)."))
        if upload:
            try:
                data["content_type"] = check_evidence_file(upload)
            except ValidationError as exc:
                self.add_error("file", exc)
        return data


class CampaignForm(forms.Form):
    framework = forms.ModelChoiceField(
        label=_("Framework version"), queryset=Framework.objects.filter(status=Framework.Status.PUBLISHED)
    )
    name = forms.CharField(label=_("Name"), max_length=255)
    milestone = forms.CharField(label=_("Milestone"), max_length=100, help_text=_("e.g. T0, mid-2026, end of 2026"))
    period_start = forms.DateField(label=_("Period start"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("Period end"), widget=forms.DateInput(attrs={"type": "date"}))
    opens_at = forms.DateTimeField(label=_("Opens at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    closes_at = forms.DateTimeField(label=_("Closes at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    scope_unit = forms.CharField(label=_("Scope unit (code)"), max_length=32)
    levels = forms.MultipleChoiceField(
        label=_("Unit levels included"), choices=Unit.Level.choices, widget=forms.CheckboxSelectMultiple
    )
    rollup = forms.ChoiceField(label=_("Roll-up"), choices=Campaign.Rollup.choices, initial=Campaign.Rollup.MEAN)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_scope_unit(self) -> Unit:
        from units.permissions import can_manage_unit

        code = self.cleaned_data["scope_unit"].strip()
        unit = Unit.objects.filter(code=code).first()
        if unit is None or not can_manage_unit(self.user, unit):
            raise ValidationError(_("You do not manage a unit with this code."))
        return unit

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        framework = data.get("framework")
        if framework and framework.kind == FrameworkKind.MEMBER and not data.get("levels"):
            data["levels"] = [Unit.Level.BRANCH]
        return data


class ExtendDeadlineForm(forms.Form):
    deadline = forms.DateTimeField(
        label=_("New deadline"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("return", _("Return for correction"))])
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


MAX_FRAMEWORK_WORKBOOK = 5 * 1024 * 1024


class FrameworkXlsxImportForm(forms.Form):
    """Django admin: a framework workbook to import as a new draft."""

    file = forms.FileField(label=_("Workbook (.xlsx)"), help_text=_("Made by “Export XLSX” or in the same layout."))
    dry_run = forms.BooleanField(label=_("Only check the workbook, import nothing"), required=False)

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if upload.size and upload.size > MAX_FRAMEWORK_WORKBOOK:
            raise ValidationError(_("The workbook is larger than 5 MB."))
        return upload
