from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, Department, GridAssignment, Person, PersonRole
from .separation import check_roles

User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Accounts, for the security administrator. Powers come from a person's roles alone (三员分立), so the
    superuser flag, groups and per-user permissions are not offered."""

    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("状态"), {"fields": ("is_active", "last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("username", "is_active", "last_login")
    list_filter = ("is_active",)

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        # One's own account is changed on the password page, not here: no administrator grants themselves.
        if obj is not None and obj.pk == request.user.pk:
            return False
        return super().has_change_permission(request, obj)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "phone", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]


class GridAssignmentInline(admin.TabularInline):
    model = GridAssignment
    extra = 0
    autocomplete_fields = ["grid"]


class RolesFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        roles = {self.instance.role}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("role") and not data.get("DELETE"):
                roles.add(data["role"])
        problem = check_roles(roles)
        if problem:
            raise ValidationError(problem)


class PersonRoleInline(admin.TabularInline):
    model = PersonRole
    formset = RolesFormSet
    extra = 0


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "role", "department"]
    list_filter = ["role", "department"]
    search_fields = ["name", "user__username"]
    inlines = [PersonRoleInline, GridAssignmentInline]
    list_select_related = ["user", "department"]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        if obj is not None and obj.user_id == request.user.pk:
            return False  # no one assigns their own roles
        return super().has_change_permission(request, obj)

    def save_model(self, request: Any, obj: Person, form: Any, change: bool) -> None:
        if not change:
            obj.must_change_password = True  # whoever set the first password, only the person may know the next
        super().save_model(request, obj, form, change)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked"]
    list_filter = ["revoked"]
    readonly_fields = ["prefix", "digest", "created_at", "last_used_at"]
