import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.money import MoneyError, apply_basis_points, format_pence, parse_pounds


@pytest.mark.parametrize(
    ("typed", "pence"),
    [
        ("12", 1200),
        ("12.5", 1250),
        ("£1,234.50", 123450),
        ("1,234,567", 123456700),
        (" 0.01 ", 1),
        ("0", 0),
        (".5", 50),
    ],
)
def test_amounts_people_type_become_pence(typed, pence):
    assert parse_pounds(typed) == pence


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter an amount"),
        ("12.345", "more than 2 decimal places"),
        ("-5", "must not be negative"),
        ("twelve", "pounds and pence"),
        ("NaN", "pounds and pence"),
        ("1000000000000", "too large"),
        ("1e5", "pounds and pence"),
        ("1_000", "pounds and pence"),
        ("1,0,0,0", "pounds and pence"),
        ("250,00", "pounds and pence"),
        ("\uff12\uff15\uff10", "pounds and pence"),  # full-width digits
        ("12.5.0", "pounds and pence"),
        ("Infinity", "pounds and pence"),
    ],
)
def test_bad_amounts_are_refused_with_a_message(typed, message):
    with pytest.raises(MoneyError, match=message):
        parse_pounds(typed)


def test_pence_are_shown_as_pounds():
    assert format_pence(123450) == "£1,234.50"
    assert format_pence(5) == "£0.05"
    assert format_pence(1200, show_zero_pence=False) == "£12"


def test_floats_are_not_money():
    with pytest.raises(TypeError):
        format_pence(12.5)  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=10**10))
def test_formatting_then_parsing_gives_the_same_pence(pence):
    assert parse_pounds(format_pence(pence)) == pence


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10_000))
def test_a_share_never_exceeds_the_whole(pence, bps):
    share = apply_basis_points(pence, bps)
    assert 0 <= share <= pence
