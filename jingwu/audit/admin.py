from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from jingwu.org.choices import Role

from . import labels
from .models import AuditEvent, AuditSeal


class ActionFilter(admin.SimpleListFilter):
    title = _("操作")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        codes = AuditEvent.objects.order_by().values_list("action", flat=True).distinct()[:200]
        return sorted(((c, labels.action_label(c)) for c in codes), key=lambda x: x[1])

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(action=self.value()) if self.value() else queryset


class RoleFilter(admin.SimpleListFilter):
    title = _("角色")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(v), str(label)) for v, label in Role.choices]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(role=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Names, not codes: 派遣 and 审计管理员 rather than case.dispatch and auditor."""

    list_display = ["at", "actor_name", "role_name", "action_name", "object_kind", "object_id", "ip"]
    list_filter = [ActionFilter, RoleFilter]
    search_fields = ["actor_name", "object_id", "action"]
    date_hierarchy = "at"

    @admin.display(description=_("操作"), ordering="action")
    def action_name(self, obj: AuditEvent) -> str:
        return labels.action_label(obj.action)

    @admin.display(description=_("对象类型"), ordering="object_type")
    def object_kind(self, obj: AuditEvent) -> str:
        return labels.type_label(obj.object_type)

    @admin.display(description=_("角色"), ordering="role")
    def role_name(self, obj: AuditEvent) -> str:
        return labels.role_label(obj.role)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditSeal)
class AuditSealAdmin(admin.ModelAdmin):
    list_display = ["first_id", "last_id", "count", "digest", "sealed_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
