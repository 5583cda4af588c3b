from django.apps import AppConfig


class UserManagementConfig(AppConfig):
    name = "usermanagement"
    verbose_name = "User management"
