import pytest

from calls.phone import parse_number


@pytest.mark.parametrize(
    "raw, e164",
    [
        ("0812-3456-7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("81234567890", "+6281234567890"),
        ("(0736) 21553", "+6273621553"),
    ],
)
def test_callers_formats_parse_to_e164(raw, e164):
    assert parse_number(raw).e164 == e164


@pytest.mark.parametrize("raw", ["12", "abc", "112"])
def test_unparseable_numbers_are_kept_and_flagged(raw):
    parsed = parse_number(raw)
    assert parsed.e164 is None and parsed.invalid and parsed.raw == raw


def test_missing_number_is_not_invalid():
    assert parse_number(None).missing and not parse_number("").invalid
