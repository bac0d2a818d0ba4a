"""Resident ID numbers (公民身份号码, GB 11643-1999): 6 digits of the place of registration, the date of birth
(YYYYMMDD), a 3-digit sequence whose parity is the sex (odd male, even female) and a check character."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from django.utils.crypto import salted_hmac

ID_NUMBER = re.compile(r"^[0-9]{17}[0-9X]$")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


def normalise(value: str) -> str:
    """Spaces dropped, full-width (and other compatibility) digits made ASCII, x made X: the forms people type."""
    text = unicodedata.normalize("NFKC", "".join(str(value or "").split()))
    return text.upper()


def check_character(first17: str) -> str:
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def valid(value: str) -> bool:
    """17 digits, a date of birth that exists and is not in the future, and the check character (ISO 7064
    MOD 11-2)."""
    if not ID_NUMBER.match(value):
        return False
    born = birth_date(value)
    if born is None or not date(1900, 1, 1) <= born <= date.today():
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
    """A keyed digest (HMAC-SHA256 under ``JINGWU_INDEX_KEY``) of a personal value: equal values give equal
    digests, so a sealed column can be searched for equality through it, and the digest alone tells nothing
    without the key."""
    from django.conf import settings

    if not text:
        return ""
    return salted_hmac(purpose, text, secret=settings.JINGWU_INDEX_KEY, algorithm="sha256").hexdigest()
