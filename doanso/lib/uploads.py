"""Uploaded files kept between "preview" and "confirm" of an import.

Stored under ``PRIVATE_UPLOAD_ROOT`` with random names, remembered in the uploader's session, so
one user cannot confirm another's file and nothing is served over HTTP.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest

_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")


def _path(kind: str, token: str) -> Path:
    return Path(settings.PRIVATE_UPLOAD_ROOT) / "pending" / kind / f"{token}.upload"


def stash_upload(request: HttpRequest, kind: str, data: bytes) -> str:
    discard_upload(request, kind)
    token = secrets.token_hex(16)
    path = _path(kind, token)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o600)
    request.session[f"pending_upload_{kind}"] = token
    return token


def load_upload(request: HttpRequest, kind: str, token: str) -> bytes | None:
    """The stashed bytes if ``token`` is this session's pending upload of ``kind``, else None."""
    if not _TOKEN_RE.match(token or "") or request.session.get(f"pending_upload_{kind}") != token:
        return None
    path = _path(kind, token)
    return path.read_bytes() if path.exists() else None


def discard_upload(request: HttpRequest, kind: str) -> None:
    token = request.session.pop(f"pending_upload_{kind}", None)
    if token and _TOKEN_RE.match(token):
        _path(kind, token).unlink(missing_ok=True)
