from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"
    # Audit rows only ever grow; a 64-bit key never runs out.
    default_auto_field = "django.db.models.BigAutoField"
