"""Private file storage: never under a public URL; served only through permission-checked views."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils import timezone


class PrivateStorage(FileSystemStorage):
    """Files under ``PRIVATE_UPLOAD_ROOT/files``, read from settings at each use (tests move it)."""

    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return str(Path(settings.PRIVATE_UPLOAD_ROOT) / "files")

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)


_PRIVATE = PrivateStorage()


def private_storage() -> FileSystemStorage:
    return _PRIVATE


def random_name(folder: str, original_name: str) -> str:
    """``folder/2026/11/<uuid>.<ext>``: the stored name reveals nothing of the original."""
    suffix = Path(original_name).suffix.lower()[:10]
    now = timezone.localtime()
    return f"{folder}/{now:%Y}/{now:%m}/{uuid.uuid4().hex}{suffix}"


def evidence_upload_to(instance: Any, filename: str) -> str:
    return random_name("evidence", filename)
