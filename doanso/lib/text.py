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
