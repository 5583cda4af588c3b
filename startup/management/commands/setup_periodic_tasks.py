from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from config.periodic_tasks import PERIODIC_TASKS

# Entries this command owns carry this marker, so that tasks an operator added by hand in the
# support console are never removed.
MANAGED_MARKER = "[declared in config/periodic_tasks.py]"


class Command(BaseCommand):
    help = "Install the periodic tasks declared in config/periodic_tasks.py (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        declared_names = set()
        for declared in PERIODIC_TASKS:
            schedule, _ = IntervalSchedule.objects.get_or_create(
                every=declared.every_seconds, period=IntervalSchedule.SECONDS
            )
            _, created = PeriodicTask.objects.update_or_create(
                name=declared.name,
                defaults={
                    "task": declared.task,
                    "interval": schedule,
                    "description": f"{declared.description} {MANAGED_MARKER}",
                    "enabled": True,
                },
            )
            declared_names.add(declared.name)
            self.stdout.write(f"{'installed' if created else 'up to date'}: {declared.name}")
        stale = PeriodicTask.objects.filter(description__endswith=MANAGED_MARKER).exclude(
            name__in=declared_names
        )
        for task in stale:
            self.stdout.write(f"removed: {task.name}")
        stale.delete()
