from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "Users"
    default = True


class LunaAdminConfig(admin_apps.AdminConfig):
    """Django's admin with Luna's site (users.admin_site): its login has the API's sign-in limits."""

    default = False  # the users app's own config is UsersConfig
    default_site = "users.admin_site.AdminSite"
