"""Audit rows for what happens outside the services: sign-ins and sign-outs, and every change made in the
administration, so that the audit administrator sees the other two administrators' work (三员分立)."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from . import services

ADMIN_ACTIONS = {ADDITION: "add", CHANGE: "change", DELETION: "delete"}


def _role(user: Any) -> str:
    from jingwu.org.services import role_of

    return role_of(user)


@receiver(post_save, sender=LogEntry, dispatch_uid="audit_admin_change")
def admin_change(sender: Any, instance: LogEntry, created: bool, **kw: Any) -> None:
    if not created:
        return
    ct = instance.content_type
    services.record(
        f"admin.{ADMIN_ACTIONS.get(instance.action_flag, 'other')}",
        f"{ct.app_label}.{ct.model}" if ct else "admin",
        instance.object_id or "",
        actor=instance.user,
        role=_role(instance.user),
        data={"object": instance.object_repr[:200], "change": instance.get_change_message()[:1000]},
    )


@receiver(user_logged_in, dispatch_uid="audit_login")
def logged_in(sender: Any, request: Any, user: Any, **kw: Any) -> None:
    services.record("auth.login", "user", user.pk, actor=user, role=_role(user))


@receiver(user_logged_out, dispatch_uid="audit_logout")
def logged_out(sender: Any, request: Any, user: Any, **kw: Any) -> None:
    if user is not None:
        services.record("auth.logout", "user", user.pk, actor=user, role=_role(user))


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    from django.contrib.auth import get_user_model

    # The name only when it is an account's: what people type in the user-name box is sometimes a password.
    typed = str(credentials.get("username", ""))[:150]
    user = get_user_model().objects.filter(username=typed).only("pk").first()
    services.record("auth.login_failed", "user", user.pk if user else "", data={"username": typed if user else ""})
