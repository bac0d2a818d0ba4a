from typing import Any

from django.contrib import admin

from .models import ApiToken, Department, GridAssignment, Person, PersonRole


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "phone", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]


class GridAssignmentInline(admin.TabularInline):
    model = GridAssignment
    extra = 0
    autocomplete_fields = ["grid"]


class PersonRoleInline(admin.TabularInline):
    model = PersonRole
    extra = 0


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "role", "department"]
    list_filter = ["role", "department"]
    search_fields = ["name", "user__username"]
    inlines = [PersonRoleInline, GridAssignmentInline]
    list_select_related = ["user", "department"]

    def save_model(self, request: Any, obj: Person, form: Any, change: bool) -> None:
        if not change:
            obj.must_change_password = True  # whoever set the first password, only the person may know the next
        super().save_model(request, obj, form, change)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked"]
    list_filter = ["revoked"]
    readonly_fields = ["prefix", "digest", "created_at", "last_used_at"]
