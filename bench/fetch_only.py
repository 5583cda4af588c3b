"""The fetch-only pass through the engine's public `sync_fetch`: a sync's API calls, no apply.

`integrations.sync.engine.sync_fetch` makes the very calls of a full sync, through the same
fetching calls, in the same order, with the same client and concurrency: active users and
deleted users (Google's plain listings, read a few pages ahead), groups, every group's members.
Pages are parsed (the client decodes JSON) and dropped. It leaves out the engine's `users.get`
confirmation of people the listings missed — none in a steady directory.

The harness runs `sync_directory ORG --fetch-only --json` (the same function) when the command
offers it. Run through bench.probe: `python -m bench.probe OUT bench.fetch_only:main ORG_SLUG`.
"""


def main(argv: list[str]) -> dict:
    from integrations.sync.engine import sync_fetch
    from organizations.models import Organization

    slug, *_flags = argv
    fetched = sync_fetch(organization=Organization.objects.get(slug=slug))
    return {
        **fetched["counts"],
        "listing": fetched["listing"],
        "api_calls": fetched["api_calls"],
        "seconds": fetched["seconds"],
    }
