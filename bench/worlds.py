"""The main world: the directory of the first sync, the re-sync, the incremental change and the
people list (scale key `main`), connected as organization `main-bench`.

Scenario 1 measures its first syncs in it; the scenarios after it read what those syncs wrote.
Run alone (`--only resync`), a scenario builds the world itself and syncs it once, unmeasured.
"""

from dataclasses import dataclass

from . import hearth
from .directory import SandboxDomain, domain_seed

MAIN_DOMAIN = "main.bench.example"
MAIN_SLUG = "main-bench"


@dataclass
class MainWorld:
    domain: SandboxDomain
    organization: object
    synced: bool = False


def main_world(ctx, *, synced: bool) -> MainWorld:
    ctx.world("main")
    world = ctx.shared.get("main")
    if world is None:
        shape = ctx.scale["main"]
        domain = domain_seed(
            MAIN_DOMAIN,
            users=shape["users"],
            groups=shape["groups"],
            members_per_group=shape["members_per_group"],
            env=ctx.env,
        )
        organization = hearth.organization_connect(ctx.env, domain.name, slug=MAIN_SLUG)
        world = ctx.shared["main"] = MainWorld(domain=domain, organization=organization)
    if synced and not world.synced:
        hearth.sync(ctx.env, MAIN_SLUG, quota=hearth.UNLIMITED)
        ctx.env.vacuum()  # as autovacuum would after the first sync's bulk load
        world.synced = True
    return world
