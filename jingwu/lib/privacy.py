"""Masking of personal information (PIPL: show the minimum where it is not needed)."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    digits = phone.strip()
    if len(digits) >= 7:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * len(digits)


def mask_name(name: str) -> str:
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_email(email: str) -> str:
    local, at, domain = email.strip().partition("@")
    if not at:
        return mask_id(email)
    return (local[:1] + "***" if local else "") + "@" + domain


def mask_id(value: str) -> str:
    """An identifier (ID number, device or account id): the first and last few characters only."""
    value = value.strip()
    if len(value) <= 4:
        return "*" * len(value)
    keep = 4 if len(value) >= 15 else 3 if len(value) >= 8 else 1
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]
