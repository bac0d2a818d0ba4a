from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext
from django_otp import match_token, user_has_device
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from jingwu.audit import services as audit
from jingwu.audit.models import AuditEvent
from jingwu.lib.errors import Forbidden

from .auth import require_user
from .choices import Role
from .models import Department
from .services import issue_token, person_of, role_of, roles_of

router = Router(tags=["org"])


class TokenIn(Schema):
    username: str
    password: str
    name: str = ""
    otp: str = Field("", max_length=8, description="the 6-digit code, for accounts with a second factor")


class TokenOut(Schema):
    token: str
    username: str
    role: str


@router.post("/auth/token", response=TokenOut, auth=None, summary="Exchange a username and password for a token")
def create_token(request: HttpRequest, body: TokenIn) -> dict[str, Any]:
    user = authenticate(request, username=body.username, password=body.password)
    if user is None or not user.is_active:
        raise HttpError(401, gettext("用户名或密码错误"))
    if not user_has_device(user, confirmed=True):
        if settings.JINGWU_OTP_ROLES.intersection(roles_of(user)):
            raise Forbidden(
                gettext("此角色须先在网页上启用动态口令"),
                code="otp_enrolment_required",
            )
    else:
        code = body.otp.strip()
        if not code:
            raise HttpError(401, gettext("此账号需要动态口令"))
        if not code.isdigit() or match_token(user, code) is None:
            audit.record("auth.otp_failed", "user", user.pk, data={"username": user.get_username(), "via": "api"})
            raise HttpError(401, gettext("动态口令不正确或已过期"))
    person = person_of(user)
    if person is not None and person.must_change_password:
        raise Forbidden(
            gettext("请先在网页上修改初始密码"),
            code="password_change_required",
        ) from None
    return {"token": issue_token(user, body.name or "api"), "username": user.get_username(), "role": role_of(user)}


class MeOut(Schema):
    username: str
    name: str
    role: str
    role_label: str
    department: str | None
    grids: list[str]


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict[str, Any]:
    user = require_user(request)
    person = person_of(user)
    role = role_of(user)
    return {
        "username": user.get_username(),
        "name": person.name if person else user.get_username(),
        "role": role,
        "role_label": str(Role(role).label),
        "department": person.department.code if person and person.department else None,
        "grids": list(person.grids.values_list("code", flat=True)) if person else [],
    }


class DepartmentOut(Schema):
    code: str
    name: str
    kind: str


@router.get("/departments", response=list[DepartmentOut])
def departments(request: HttpRequest) -> Any:
    require_user(request)
    return Department.objects.filter(active=True).order_by("code")


class AuditOut(Schema):
    id: int
    at: Any
    actor_name: str
    role: str
    action: str
    object_type: str
    object_id: str
    ip: str | None
    data: dict[str, Any]


@router.get("/audit", response=list[AuditOut], summary="Audit trail (the audit administrator)")
def audit_log(
    request: HttpRequest, object_id: str = "", action: str = "", before_id: int | None = None, limit: int = 100
) -> Any:
    user = require_user(request)
    if role_of(user) != Role.AUDITOR:  # 三员分立: the audit administrator's alone
        raise HttpError(403, gettext("仅审计管理员可查看"))
    qs = AuditEvent.objects.order_by("-id")
    if object_id:
        qs = qs.filter(object_id=object_id)
    if action:
        qs = qs.filter(action=action)
    if before_id:
        qs = qs.filter(id__lt=before_id)
    return qs[: max(1, min(limit, 500))]
