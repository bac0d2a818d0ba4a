"""三员分立 (GB/T 22239-2019, level 3, 8.1.4.2 and 8.1.10): three administrators with separate powers.

- 系统管理员 (``admin``): the system's resources and settings: grids, departments, categories, routing,
  the working calendar, Open311 service definitions, background tasks.
- 安全管理员 (``security_admin``): who may do what: accounts, people and their roles, API tokens, Open311
  keys, sign-in lockouts and second-factor devices.
- 审计管理员 (``auditor``): reads the audit trail, its seals, the sign-in logs and every workflow step, and
  changes nothing.

Each power comes from the person's role through ``RoleBackend``, never from Django's superuser flag or
groups, so that the separation cannot drift from the roles. No person holds two of the three roles, and
each administrator account is one named person's (``check_roles``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.backends import BaseBackend, ModelBackend
from django.utils.translation import gettext

from .choices import ADMIN_ROLES, Role

ALL = ("add", "change", "delete", "view")
READ = ("view",)

# model label → the actions each administrator may take on it in the admin.
POWERS: dict[str, dict[str, tuple[str, ...]]] = {
    Role.ADMIN: {
        "geo.region": ALL,
        "geo.grid": ALL,
        "geo.mapfeature": ALL,
        "org.department": ALL,
        "org.gridassignment": ALL,
        "org.person": READ,
        "cases.category": ALL,
        "cases.filingcondition": ALL,
        "cases.routingrule": ALL,
        "cases.case": READ,
        "workcal.holiday": ALL,
        "open311.serviceattribute": ALL,
        "open311.servicerequest": READ,
        "django_tasks_database.dbtaskresult": READ,
        # The safety module's resources: checklists and inspection companies; the registry is changed on its
        # own pages (checked, recorded), plans by shift leads and leaders.
        "safety.enterprise": READ,
        "safety.checklist": ALL,
        "safety.checklistitem": ALL,
        "safety.company": ALL,
        "safety.plan": READ,
        # Monitoring: devices (saved through the service), rules, LED screens; alarms are read here.
        "iot.device": ALL,
        "iot.rule": ALL,
        "iot.screen": ALL,
        "iot.alarm": READ,
    },
    Role.SECURITY_ADMIN: {
        "auth.user": ("add", "change", "view"),
        "org.person": ("add", "change", "view"),
        "org.personrole": ALL,
        "org.apitoken": ("change", "view"),  # revoke
        "open311.apikey": ("add", "change", "view"),
        "axes.accessattempt": ("view", "delete"),  # deleting an attempt lifts a lockout
        "otp_totp.totpdevice": ("view", "delete"),  # a lost phone: remove the device, the person enrolls again
        # Which company an inspector works for decides what they see: a question of who may do what.
        "safety.inspector": ALL,
    },
    Role.AUDITOR: {
        "audit.auditevent": READ,
        "audit.auditseal": READ,
        "axes.accesslog": READ,
        "axes.accessfailurelog": READ,
        "axes.accessattempt": READ,
        "admin.logentry": READ,
        "cases.case": READ,
        "cases.transition": READ,
        "cases.objecttransition": READ,
    },
}


def admin_role(user: Any) -> str | None:
    """The one administrator role ``user`` holds, if any."""
    from .services import roles_of

    if user is None or not getattr(user, "is_active", False) or not getattr(user, "is_authenticated", False):
        return None
    held = [r for r in roles_of(user) if r in ADMIN_ROLES]
    return held[0] if len(held) == 1 else None  # two at once (never allowed to be saved) grant neither


def check_roles(roles: Iterable[str]) -> str | None:
    """Why this set of roles may not be held by one person, or None."""
    held = sorted(set(roles) & ADMIN_ROLES)
    if len(held) > 1:
        names = "、".join(str(Role(r).label) for r in held)
        return gettext("三员分立：一人不能同时担任%(names)s") % {"names": names}
    return None


def permissions_for(role: str | None) -> set[str]:
    if role is None:
        return set()
    perms: set[str] = set()
    for label, actions in POWERS.get(role, {}).items():
        app, model = label.split(".")
        perms.update(f"{app}.{action}_{model}" for action in actions)
    return perms


class RoleBackend(BaseBackend):
    """Admin permissions from the administrator role; authenticates no one."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if obj is not None:
            return set()
        return permissions_for(admin_role(user_obj))

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return any(p.startswith(f"{app_label}.") for p in self.get_all_permissions(user_obj))


class PasswordBackend(ModelBackend):
    """Django's username-and-password sign-in, without the per-user and group permissions that would let
    powers be granted around the roles."""

    def get_user(self, user_id: Any) -> Any:
        from .services import active_user

        return active_user(user_id)

    async def aget_user(self, user_id: Any) -> Any:
        from asgiref.sync import sync_to_async

        return await sync_to_async(self.get_user)(user_id)

    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()
