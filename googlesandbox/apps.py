import importlib

from django.apps import AppConfig


class GoogleSandboxConfig(AppConfig):
    name = "googlesandbox"
    verbose_name = "Google Workspace sandbox"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The pages subpackage registers extra token grant types (OIDC authorization_code) on
        # import; importing it here makes the registration independent of URL resolution order.
        importlib.import_module("googlesandbox.pages")
