"""The support console's periodic work: pruning old history (support/retention.py)."""

from celery import shared_task

from .retention import history_prune as prune


@shared_task(name="support.tasks.history_prune", acks_late=True, ignore_result=True)
def history_prune() -> None:
    """Every night (config/periodic_tasks.py): old runs, their changes and email logs go."""
    prune()
