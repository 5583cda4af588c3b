"""The fetch-only pass, until the engine offers one: the engine's own fetch steps, no apply.

It calls the very functions and client methods integrations/sync/engine.py uses, in the same
order and with the same split decision (the users listing is split by email prefix and fetched
concurrently when the last run saw more than SPLIT_USERS_ABOVE people), the same client, the
same concurrency settings: active users, deleted users, groups, every group's members. Pages
are parsed (the client decodes JSON) and dropped. What it leaves out is the engine's
`users.get` check of people a split listing missed — none in a steady directory.

If `sync_directory --fetch-only` exists the harness uses that instead (bench/hearth.py).
Run through bench.probe: `python -m bench.probe OUT bench.fetch_only:main ORG_SLUG
[--as-first-sync]`.
"""

import time


def main(argv: list[str]) -> dict:
    from integrations.google.client import google_client
    from integrations.models import Integration
    from integrations.sync import engine

    slug, *flags = argv
    integration = Integration.objects.select_related("sync_account").get(organization__slug=slug)
    started = time.perf_counter()
    client = google_client(subject=integration.sync_account.email)
    # `--as-first-sync`: the calls of an organization's first sync (no previous run, so the
    # users listing is not split) even after that sync happened
    previous = 0 if "--as-first-sync" in flags else engine._previous_total(integration)
    split = previous > engine.SPLIT_USERS_ABOVE
    counts = {"users": 0, "deleted_users": 0, "groups": 0, "memberships": 0, "split": split}
    for page in engine._user_pages(client, split=split):
        counts["users"] += len(page)
    for page in client.users_pages(show_deleted=True):
        counts["deleted_users"] += len(page)
    group_ids = set()
    for page in client.groups_pages():
        group_ids.update(resource["id"] for resource in page)
    counts["groups"] = len(group_ids)
    for _group_id, members in client.members_concurrent(sorted(group_ids)):
        counts["memberships"] += len(members or [])
    counts["api_calls"] = client.calls
    counts["seconds"] = round(time.perf_counter() - started, 3)
    return counts
