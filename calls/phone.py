"""Phone numbers as callers give them, to E.164."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers

DEFAULT_REGION = "ID"


@dataclass(frozen=True)
class ParsedNumber:
    raw: str
    e164: str | None

    @property
    def missing(self) -> bool:
        return not self.raw

    @property
    def invalid(self) -> bool:
        return bool(self.raw) and self.e164 is None


def parse_number(raw: str | None) -> ParsedNumber:
    """Parse 0812..., 62812..., +62 812..., 812... or (0736) 21553 to E.164.

    An unparseable number is kept as typed with no E.164 form; it is never rejected.
    """
    raw = (raw or "").strip()
    if not raw:
        return ParsedNumber(raw="", e164=None)
    candidate = raw
    digits = "".join(ch for ch in raw if ch.isdigit())
    if not raw.startswith("+") and digits.startswith("62") and len(digits) >= 10:
        candidate = "+" + digits
    elif digits.startswith("8") and len(digits) >= 9:
        candidate = "0" + digits
    try:
        number = phonenumbers.parse(candidate, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return ParsedNumber(raw=raw, e164=None)
    if not phonenumbers.is_valid_number(number):
        return ParsedNumber(raw=raw, e164=None)
    return ParsedNumber(raw=raw, e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
