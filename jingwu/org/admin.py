from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from .choices import ADMIN_ROLES, Role
from .models import ApiToken, Department, GridAssignment, Person, PersonRole
from .separation import check_roles

User = get_user_model()
admin.site.unregister(User)

GRANTABLE_ROLES = [(value, label) for value, label in Role.choices if value not in ADMIN_ROLES]


def holds_admin_role(user_id: Any) -> bool:
    """The three administrators' accounts are made and changed only with ``jingwu create-admin`` and the
    command line, never in the admin, so that no administrator can make, take over or reset another."""
    if user_id is None:
        return False
    return (
        Person.objects.filter(user_id=user_id, role__in=ADMIN_ROLES).exists()
        or PersonRole.objects.filter(person__user_id=user_id, role__in=ADMIN_ROLES).exists()
    )


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
        # One's own account is changed on the password page, not here: no administrator grants themselves;
        # and no administrator's account is changed here at all.
        if obj is not None and (obj.pk == request.user.pk or holds_admin_role(obj.pk)):
            return False
        return super().has_change_permission(request, obj)

    def get_fieldsets(self, request: Any, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            # Read-only: no password summary, whose widget links to a reset this person may not make.
            return [
                (name, {**opts, "fields": [f for f in opts["fields"] if f != "password"]}) for name, opts in fieldsets
            ]
        return fieldsets

    def user_change_password(self, request: Any, id: str, form_url: str = "") -> Any:
        user = self.get_object(request, id)
        if user is not None and not self.has_change_permission(request, user):
            raise PermissionDenied
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302 and user is not None:
            # A password someone else set is an initial password: the person must choose their own next.
            Person.objects.filter(user_id=user.pk).update(must_change_password=True)
        return response


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

    def formfield_for_choice_field(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if db_field.name == "role":
            kwargs["choices"] = GRANTABLE_ROLES
        return super().formfield_for_choice_field(db_field, request, **kwargs)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "role", "department"]
    list_filter = ["role", "department"]
    search_fields = ["name", "user__username"]
    inlines = [PersonRoleInline, GridAssignmentInline]
    list_select_related = ["user", "department"]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        if obj is not None and (obj.user_id == request.user.pk or holds_admin_role(obj.user_id)):
            return False  # no one assigns their own roles, and the administrators' are set by create-admin
        return super().has_change_permission(request, obj)

    def formfield_for_choice_field(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if db_field.name == "role":
            kwargs["choices"] = GRANTABLE_ROLES
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if db_field.name == "user":
            # Only an account that is not an administrator's (nor one's own) can be given a person.
            admins = Person.objects.filter(role__in=ADMIN_ROLES).values("user_id")
            kwargs["queryset"] = User.objects.exclude(pk__in=admins).exclude(pk=request.user.pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: Any, obj: Person, form: Any, change: bool) -> None:
        if not change:
            obj.must_change_password = True  # whoever set the first password, only the person may know the next
        super().save_model(request, obj, form, change)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by the person (``/api/auth/token``) or ``jingwu token create``; here they are only
    seen and revoked."""

    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked"]
    list_filter = ["revoked"]
    fields = ["prefix", "user", "name", "created_at", "last_used_at", "revoked"]
    readonly_fields = ["prefix", "user", "name", "created_at", "last_used_at"]

    def has_add_permission(self, request: Any) -> bool:
        return False
