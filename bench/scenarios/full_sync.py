"""Placeholder until the sync engine lands."""

from ..env import CouldNotMeasure

KEY = "full_sync"
TITLE = "full_sync"


def run(ctx) -> dict:
    raise CouldNotMeasure("the sync engine (integrations.sync, sync_directory) is not there yet")


def table(f: dict) -> list:
    return []
