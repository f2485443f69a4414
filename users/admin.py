from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from luna.admin import SafeChangeListMixin, list_time
from users.models import User
from users.services import user_deactivate


class LunaUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("handle", "name")


class LunaUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


@admin.register(User)
class UserAdmin(SafeChangeListMixin, BaseUserAdmin):
    """Users; staff rights, permissions and staff accounts are for superusers only.

    A staff member sees no privilege fields (a posted `is_superuser=on` changes nothing)
    and may view but not change another staff account, its password included.
    """

    form = LunaUserChangeForm
    add_form = LunaUserCreationForm
    # Home coordinates are on each user's page: the list fits a 1366-px screen.
    list_display = ("handle", "name", "age", "is_active", "is_staff", list_time("created_at"))
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("handle", "name")
    ordering = ("handle",)
    readonly_fields = ("id", "created_at", "updated_at", "last_login", "password_changed_at")
    fieldsets = (
        (None, {"fields": ("id", "handle", "password")}),
        ("Profile", {"fields": ("name", "age", "home_lat", "home_lng")}),
        ("Permissions", {"fields": ("is_active", *PRIVILEGE_FIELDS)}),
        ("Dates", {"fields": ("last_login", "password_changed_at", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("handle", "name", "usable_password", "password1", "password2")}),
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser or obj is None:
            return fieldsets
        return tuple(
            (name, {**options, "fields": tuple(f for f in options["fields"] if f not in PRIVILEGE_FIELDS)})
            for name, options in fieldsets
        )

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and (obj.is_staff or obj.is_superuser) and obj.pk != request.user.pk:
            if not request.user.is_superuser:
                return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_change_permission(request, obj) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            user_deactivate(user=obj)  # ends its token and sessions, as closing it through the API does
