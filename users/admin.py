from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from users.models import User


class LunaUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("handle", "name")


class LunaUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = LunaUserChangeForm
    add_form = LunaUserCreationForm
    list_display = ("handle", "name", "age", "home_lat", "home_lng", "is_active", "is_staff", "created_at")
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("handle", "name")
    ordering = ("handle",)
    readonly_fields = ("id", "created_at", "updated_at", "last_login")
    fieldsets = (
        (None, {"fields": ("id", "handle", "password")}),
        ("Profile", {"fields": ("name", "age", "home_lat", "home_lng")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("handle", "name", "usable_password", "password1", "password2")}),
    )
