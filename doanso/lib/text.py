"""Text helpers shared by search, imports and payment notes."""

import unicodedata

_VIETNAMESE_D = str.maketrans({"đ": "d", "Đ": "D"})


def ascii_fold(text: str) -> str:
    """Strip Vietnamese diacritics: ``"Đoàn Phường Sài Gòn"`` → ``"Doan Phuong Sai Gon"``."""
    decomposed = unicodedata.normalize("NFD", text.translate(_VIETNAMESE_D))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def search_key(text: str) -> str:
    """Lower-case, diacritic-free, single-spaced form used for accent-insensitive search."""
    return " ".join(ascii_fold(text).lower().split())


MAX_COUNT = 2_147_483_647  # the database's integer column


def parse_count(raw: str) -> int:
    """A whole count from an imported cell (``12``, or ``12.0`` as a spreadsheet may write it; a
    leading ``-`` is returned negative for the caller to refuse with its own words); ``ValueError``
    for anything else, for non-ASCII digits, and for numbers no integer column can hold (``1e999``,
    30 nines) — never an OverflowError or a database error later."""
    text = raw.strip()
    sign = -1 if text.startswith("-") else 1
    text = text.removeprefix("-")
    if text.endswith(".0"):
        text = text[:-2]
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or int(text) > MAX_COUNT:
        raise ValueError(raw)
    return sign * int(text)
