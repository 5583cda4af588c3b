from django.apps import AppConfig


class StartupConfig(AppConfig):
    name = "startup"
    verbose_name = "Start-up commands"
