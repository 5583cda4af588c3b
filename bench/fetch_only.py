"""The fetch-only pass through the engine's public `sync_fetch`: a sync's API calls, no apply.

`integrations.sync.engine.sync_fetch` makes the very calls of a full sync, through the same
fetching generators, in the same order, with the same client, concurrency and listing decision
(the users listing is split by email prefix and fetched concurrently when the last run saw more
than SPLIT_USERS_ABOVE people; a first sync reads one page and splits only if there is more):
active users, deleted users, groups, every group's members.
Pages are parsed (the client decodes JSON) and dropped. It leaves out the engine's `users.get`
check of people a split listing missed — none in a steady directory.

The harness runs `sync_directory ORG --fetch-only --json` (the same function) when the command
offers it; this entry point remains for `--as-first-sync`, which the command does not expose.
Run through bench.probe: `python -m bench.probe OUT bench.fetch_only:main ORG_SLUG
[--as-first-sync]`.
"""


def main(argv: list[str]) -> dict:
    from integrations.sync.engine import sync_fetch
    from organizations.models import Organization

    slug, *flags = argv
    # `--as-first-sync`: the calls of an organization's first sync (no previous run, so the
    # users listing adapts to the size it finds) even after that sync happened
    fetched = sync_fetch(
        organization=Organization.objects.get(slug=slug),
        as_first_sync="--as-first-sync" in flags,
    )
    return {
        **fetched["counts"],
        "listing": fetched["listing"],
        "api_calls": fetched["api_calls"],
        "seconds": fetched["seconds"],
    }
