"""Password rules beyond Django's (length, common, all-digit): 等保 2.0 asks for complexity."""

from __future__ import annotations

import string
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext


class CharacterClassesValidator:
    """At least three of: lower-case letters, upper-case letters, digits, other characters."""

    def __init__(self, classes: int = 3) -> None:
        self.classes = classes

    def validate(self, password: str, user: Any = None) -> None:
        found = sum(
            (
                any(c in string.ascii_lowercase for c in password),
                any(c in string.ascii_uppercase for c in password),
                any(c.isdigit() for c in password),
                any(not c.isalnum() for c in password),
            )
        )
        if found < self.classes:
            raise ValidationError(
                gettext("密码须包含小写字母、大写字母、数字、符号中的至少三种"),
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return gettext("密码须包含小写字母、大写字母、数字、符号中的至少三种")
