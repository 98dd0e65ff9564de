"""WSGI-level guard, in front of Django.

Django builds its request object before any middleware runs, and if the ``Content-Type`` names a
``charset`` that Python's codecs know but that is not a text encoding (``rot13``, ``base64``,
``zlib``…), decoding the query string fails right there: the server answers 500 to anyone,
on any URL. This wrapper answers such a request with a plain 400 before Django sees it.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable
from email.message import Message
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
MESSAGE = "Bảng mã ký tự của yêu cầu không phải là bảng mã văn bản; hãy gửi UTF-8. / Send UTF-8.\n".encode()


def is_text_encoding(name: str) -> bool:
    try:
        return bool(getattr(codecs.lookup(name), "_is_text_encoding", True))
    except LookupError:
        return True  # Django ignores a charset it does not know: nothing fails


def charset_of(content_type: str) -> str | None:
    message = Message()
    message["content-type"] = content_type
    return message.get_param("charset")  # type: ignore[return-value]


def refuse_odd_charsets(app: WSGIApp) -> WSGIApp:
    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        charset = charset_of(environ.get("CONTENT_TYPE", "")) if environ.get("CONTENT_TYPE") else None
        if charset and not is_text_encoding(str(charset)):
            start_response(
                "400 Bad Request",
                [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(MESSAGE)))],
            )
            return [MESSAGE]
        return app(environ, start_response)

    return guarded
