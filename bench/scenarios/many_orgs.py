"""Placeholder until the sync engine lands."""

from ..env import CouldNotMeasure

KEY = "many_orgs"
TITLE = "many_orgs"


def run(ctx) -> dict:
    raise CouldNotMeasure("the sync engine (integrations.sync, sync_directory) is not there yet")


def table(f: dict) -> list:
    return []
