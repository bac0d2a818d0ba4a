"""Personal data encrypted at rest (等保 2.0 数据保密性; PIPL art. 51).

Values are sealed with Fernet (AES-128-CBC + HMAC-SHA256, from the ``cryptography`` package) under the keys
in ``JINGWU_DATA_KEYS``: a comma-separated list, the newest first. The first key seals; every key opens, so a
new key can be put in front, ``jingwu rotate-data-keys`` re-seals every row, and the old key is then dropped.

A sealed value starts with ``PREFIX``. Anything else read from the database is a value written before
encryption was turned on, and is returned as it is until the rotation command seals it.
"""

from __future__ import annotations

import functools
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "enc1:"
logger = logging.getLogger(__name__)


class KeyMissing(ImproperlyConfigured):
    """A sealed value none of the configured keys opens: a key was dropped before its rows were re-sealed."""


@functools.cache
def _keys(spec: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.encode()) for k in spec])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "JINGWU_DATA_KEYS must be Fernet keys (32 url-safe base64 bytes each; make one with "
            "`jingwu rotate-data-keys --new-key`)"
        ) from exc


def keys() -> MultiFernet:
    return _keys(tuple(settings.JINGWU_DATA_KEYS))


def new_key() -> str:
    return Fernet.generate_key().decode()


def seal(text: str) -> str:
    """The stored form of ``text``. The empty string stays empty, so that "no phone given" needs no key."""
    if not text:
        return ""
    return PREFIX + keys().encrypt(text.encode()).decode("ascii")


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


UNREADABLE = "［无法解密］"


def open_strict(value: str) -> str:
    if not is_sealed(value):
        return value
    try:
        return keys().decrypt(value[len(PREFIX) :].encode("ascii")).decode()
    except InvalidToken as exc:
        raise KeyMissing(
            "a sealed value opens with none of JINGWU_DATA_KEYS: put the old key back after the new one, "
            "run `jingwu rotate-data-keys`, and only then drop it"
        ) from exc


def open_(value: str) -> str:
    """The plain text; a value none of the keys opens reads as ``UNREADABLE`` and is logged, so that one
    row restored under other keys does not stop every page that lists cases."""
    try:
        return open_strict(value)
    except KeyMissing:
        logger.error("a sealed value opens with none of JINGWU_DATA_KEYS (was a key dropped too early?)")
        return UNREADABLE


def reseal(value: str) -> str:
    """``value`` sealed under the newest key (plaintext from before encryption is sealed too)."""
    if not value:
        return ""
    if not is_sealed(value):
        return seal(value)
    try:
        return PREFIX + keys().rotate(value[len(PREFIX) :].encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise KeyMissing("a sealed value opens with none of JINGWU_DATA_KEYS") from exc


def sealed_with_newest(value: str) -> bool:
    """Whether ``value`` (stored form) needs no re-sealing: empty, or sealed under the first key."""
    if not value:
        return True
    if not is_sealed(value):
        return False
    newest = Fernet(settings.JINGWU_DATA_KEYS[0].encode())
    try:
        newest.decrypt(value[len(PREFIX) :].encode("ascii"))
    except InvalidToken:
        return False
    return True
