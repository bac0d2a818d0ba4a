"""Resident ID numbers (公民身份号码, GB 11643-1999): 6 digits of the place of registration, the date of birth
(YYYYMMDD), a 3-digit sequence whose parity is the sex (odd male, even female) and a check character."""

from __future__ import annotations

import re
from datetime import date

from django.utils.crypto import salted_hmac

ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


def normalise(value: str) -> str:
    """Spaces dropped, full-width digits and a lower-case x made plain: the forms people type."""
    text = "".join(str(value or "").split())
    return text.translate(str.maketrans("０１２３４５６７８９ｘＸx", "0123456789XXX"))


def check_character(first17: str) -> str:
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def valid(value: str) -> bool:
    """17 digits, a date of birth that exists, and the check character (ISO 7064 MOD 11-2)."""
    if not ID_NUMBER.match(value) or birth_date(value) is None:
        return False
    return check_character(value[:17]) == value[17]


def birth_date(value: str) -> date | None:
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def sex(value: str) -> str:
    """ "M" or "F" from the sequence's parity."""
    return "M" if int(value[16]) % 2 else "F"


def keyed(purpose: str, text: str) -> str:
    """A keyed digest (HMAC-SHA256 under SECRET_KEY) of a personal value: equal values give equal digests, so
    a sealed column can be searched for equality through it, and the digest alone tells nothing without the
    key."""
    if not text:
        return ""
    return salted_hmac(purpose, text, algorithm="sha256").hexdigest()
