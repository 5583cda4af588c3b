"""The one place that changes the sandbox's state — used by the CLI, the pages, the API and tests.

Flow of every change: look up the domain/user/group, change the rows in a transaction, recompute
the resource's etag, keep the search index's version of a user, record a Reports API admin
`Activity` with Google's event name and parameters, and enqueue `PushOutbox` rows for the
matching live watch channels. Push deliveries are never made inline: the sandbox server's
drainer thread (googlesandbox/push.py) posts them after commit, so a change made by a CLI
process that exits at once is still delivered.

One module per resource; this package re-exports every public name, so callers keep writing
`operations.user_add(...)`, `operations.seed(...)`, `operations.faults_set(...)`:
- common: SandboxError, lookups (user_find, group_find), ids;
- domains: customers, secondary domains and domain aliases, API access, `show`;
- install: Marketplace install (with its delay), access tokens;
- faults: per-domain fault injection and Google's limits;
- users, groups: directory changes; logins: sign-ins;
- push: admin activities, watch channels and notifications; search: the search index's history;
- seed: deterministic synthetic directories; clock: time travel and the purge it brings due.
"""

from datetime import timedelta

from ..contract import HEARTH_SCOPES as CONTRACT_SCOPES
from ..contract import hearth_client_id, hearth_scopes
from .clock import clock_now, clock_reset, clock_travel, users_purge
from .common import SandboxError, domain_resolve, group_find, user_find
from .domains import (
    domain_create,
    domain_get_or_create,
    domain_name_add,
    domain_names,
    set_api_access,
    show,
)
from .faults import FAULT_KINDS, faults_dict, faults_set
from .groups import group_add, group_delete, group_rename, member_add, member_remove
from .install import (
    ACCESS_TOKEN_LIFETIME,
    access_token_issue,
    grant_in_effect,
    install,
    install_state,
    is_installed,
    uninstall,
)
from .logins import logins, user_record_login
from .push import (
    CHANNEL_DEFAULT_TTL,
    PUSH_EVENTS,
    USER_EVENT_PUSH,
    channel_stop,
    channel_watch,
)
from .seed import (
    FAMILY_NAMES,
    GIVEN_NAMES,
    GROUP_WORDS,
    SEED_EPOCH,
    SEED_ORG_UNITS,
    TITLES,
    SeedResult,
    seed,
)
from .users import (
    org_unit_ensure,
    user_add,
    user_delete,
    user_make_admin,
    user_rename,
    user_revoke_admin,
    user_suspend,
    user_undelete,
    user_unsuspend,
    user_update,
)

# Google caps a Directory watch channel at 6 hours; per domain: Faults.channel_ttl_max_seconds
CHANNEL_MAX_TTL = timedelta(hours=6)

__all__ = [
    "ACCESS_TOKEN_LIFETIME", "CHANNEL_DEFAULT_TTL", "CHANNEL_MAX_TTL", "CONTRACT_SCOPES",
    "FAMILY_NAMES", "FAULT_KINDS", "GIVEN_NAMES", "GROUP_WORDS", "PUSH_EVENTS", "SEED_EPOCH",
    "SEED_ORG_UNITS", "TITLES", "USER_EVENT_PUSH", "SandboxError", "SeedResult",
    "access_token_issue", "channel_stop", "channel_watch", "clock_now", "clock_reset",
    "clock_travel", "domain_create", "domain_get_or_create", "domain_name_add", "domain_names",
    "domain_resolve", "faults_dict", "faults_set", "grant_in_effect", "group_add",
    "group_delete", "group_find", "group_rename", "hearth_client_id", "hearth_scopes",
    "install", "install_state", "is_installed", "logins", "member_add", "member_remove",
    "org_unit_ensure", "seed", "set_api_access", "show", "uninstall", "user_add",
    "user_delete", "user_find", "user_make_admin", "user_record_login", "user_rename",
    "user_revoke_admin", "user_suspend", "user_undelete", "user_unsuspend", "user_update",
    "users_purge",
]
