"""The one VND parser: every way Vietnamese and banks write a whole amount is read, everything
ambiguous is refused with a message — never 24 for "24.000" — and formatting then parsing gives
the amount back (hypothesis)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from doanso.lib.money import MAX_VND, VNDField, format_vnd, parse_vnd

AMOUNTS = st.integers(min_value=0, max_value=MAX_VND)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("24.000", 24000),
        ("60.000", 60000),
        ("1.200.000", 1200000),
        ("1.200.000 đ", 1200000),
        ("1.200.000đ", 1200000),
        ("1.200.000 VND", 1200000),
        ("1.200.000 vnđ", 1200000),
        ("24000", 24000),
        ("24,000", 24000),
        ("1,200,000.00", 1200000),
        ("1.200.000,00", 1200000),
        ("1200000.00", 1200000),
        ("1 200 000", 1200000),
        ("  24.000\u00a0đ ", 24000),
        ("+50.000", 50000),
        ("9.999.999.999.999", MAX_VND),
    ],
)
def test_amounts_written_the_vietnamese_or_the_bank_way_are_read_as_whole_dong(text, amount):
    assert parse_vnd(text) == amount


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("24.5", "không rõ ràng"),
        ("24,5", "không rõ ràng"),
        ("1,2", "không rõ ràng"),
        ("24.00", "không rõ ràng"),
        ("1.20.000", "không phải là số tiền"),
        ("1.200,000", "không phải là số tiền"),
        ("12.34.567", "không phải là số tiền"),
        ("24.000,50", "phần lẻ"),
        ("1,200,000.50", "phần lẻ"),
        ("-24.000", "số âm"),
        ("", "nhập số tiền"),
        ("đ", "nhập số tiền"),
        ("hai mươi nghìn", "không phải là số tiền"),
        ("12345678901234", "13 chữ số"),
        ("10.000.000.000.000", "13 chữ số"),
    ],
)
def test_ambiguous_negative_fractional_empty_or_too_long_amounts_are_refused_in_vietnamese(text, says):
    with translation.override("vi"), pytest.raises(ValidationError) as refused:
        parse_vnd(text)
    assert says in " ".join(refused.value.messages)


def test_a_negative_amount_is_read_only_where_it_is_allowed():
    assert parse_vnd("-1.200.000", allow_negative=True) == -1200000
    assert parse_vnd("(1,200,000.00)", allow_negative=True) == -1200000


@given(AMOUNTS)
def test_an_amount_formatted_the_vietnamese_way_parses_back(amount):
    assert parse_vnd(format_vnd(amount)) == amount
    assert parse_vnd(f"{format_vnd(amount)} đ") == amount
    assert parse_vnd(f"{format_vnd(amount)}đ") == amount
    assert parse_vnd(f"{format_vnd(amount)} VND") == amount
    assert parse_vnd(str(amount)) == amount


@given(AMOUNTS)
def test_an_amount_formatted_the_bank_way_parses_back(amount):
    assert parse_vnd(f"{amount:,}") == amount
    if amount >= 1000:  # "24.00" for 24 đ is refused as ambiguous; banks group thousands
        assert parse_vnd(f"{amount:,.2f}") == amount
        assert parse_vnd(f"{format_vnd(amount)},00") == amount


@given(st.integers(min_value=10**13, max_value=10**20))
def test_fourteen_digits_or_more_never_parse(amount):
    for text in (str(amount), format_vnd(amount), f"{amount:,}"):
        with pytest.raises(ValidationError):
            parse_vnd(text)


def test_the_form_field_reads_24_000_as_24000_and_shows_it_grouped():
    field = VNDField()
    assert field.clean("24.000") == 24000
    assert field.prepare_value(24000) == "24.000"
    with pytest.raises(ValidationError):
        field.clean("0")
    with pytest.raises(ValidationError):
        field.clean("")
    html = field.widget.render("amount", "24.000")
    assert 'type="text"' in html and 'inputmode="numeric"' in html and "data-vnd" in html


@pytest.mark.parametrize("text", ["²", "١٢", "２４.０００", "24.٠٠٠"])
def test_digits_that_are_not_ascii_are_refused_not_read(text):
    with pytest.raises(ValidationError):
        parse_vnd(text)
