"""Text that every output format can carry.

XML 1.0 cannot hold C0 control characters other than tab, newline and carriage return, nor lone
surrogates or U+FFFE/U+FFFF; one such character in one public report once broke the whole Open311 XML feed.
They are refused at input, and stripped from output as a second line of defence.
"""

from __future__ import annotations

import re

from .errors import Invalid

ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def check(value: str, field: str = "text") -> str:
    if value and ILLEGAL.search(value):
        raise Invalid(f"{field} 含有不可见的控制字符 / {field} contains control characters", code="control_characters")
    return value


def strip(value: str) -> str:
    return ILLEGAL.sub("", value)
