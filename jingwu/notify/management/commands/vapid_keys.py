"""A VAPID key pair for Web Push: set the two lines it prints in the environment."""

from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management.base import BaseCommand


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_pair() -> tuple[str, str]:
    """(private, public): the private key as pywebpush reads it, the public one as browsers want it."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = _b64(key.private_numbers().private_value.to_bytes(32, "big"))
    public = _b64(
        key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return private, public


class Command(BaseCommand):
    help = "Make a VAPID key pair for Web Push notifications."

    def handle(self, *args: Any, **options: Any) -> None:
        private, public = make_pair()
        self.stdout.write(f"JINGWU_VAPID_PRIVATE_KEY={private}\nJINGWU_VAPID_PUBLIC_KEY={public}\n")
