"""Looking into the real broker (Redis) that tests publish task messages to.

Tests may run in parallel processes sharing one Redis database, so nothing here purges a queue:
a test finds, and afterwards removes, exactly the messages it published, by task id.
"""

import base64
import json

import redis
from django.conf import settings

from config.celery_app import app


def _queue_key() -> str:
    # kombu's Redis transport keeps a queue's (priority 0) messages in a list named after it.
    return app.conf.task_default_queue


def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def _waiting() -> list[tuple[bytes, dict]]:
    return [(raw, json.loads(raw)) for raw in _client().lrange(_queue_key(), 0, -1)]


def broker_messages(task_ids: set[str]) -> dict[str, tuple[str, list]]:
    """The waiting messages among `task_ids`: task id -> (task name, positional args)."""
    found = {}
    for _raw, message in _waiting():
        headers = message["headers"]
        if headers["id"] in task_ids:
            assert message["properties"]["body_encoding"] == "base64"
            args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            found[headers["id"]] = (headers["task"], args)
    return found


def broker_messages_remove(task_ids: set[str]) -> None:
    client = _client()
    for raw, message in _waiting():
        if message["headers"]["id"] in task_ids:
            client.lrem(_queue_key(), 1, raw)
