"""Seeding: replace a domain's directory with a deterministic synthetic one.

The bulk path: users through PostgreSQL COPY (Django's bulk_create spends ~30 s of Python per
100,000 rows), everything else through bulk_create. It records no activities, pushes or search
versions: it stands for a directory that existed long before anyone watched or searched it.
With `secondary_domains` / `domain_aliases` the customer also gets secondary domains (every
few users and groups live on one) and domain aliases of the primary domain.
"""

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from django.db import connection, transaction

from .. import clock
from ..models import DirGroup, DirMember, DirUser, Domain, DomainName, OrgUnit
from ..resources import etag_for, user_etag_from, user_resource_json
from .common import SandboxError, alias_domains, google_group_id, google_user_id
from .domains import domain_get_or_create
from .install import install as install_grant

GIVEN_NAMES = (
    "Ada", "Alan", "Alice", "Amara", "Amir", "Ana", "Andrea", "Anya", "Arjun", "Ben", "Bianca",
    "Carla", "Carlos", "Chen", "Chloe", "Dana", "Daniel", "David", "Diego", "Elena", "Eli",
    "Emma", "Erik", "Eva", "Farah", "Felix", "Fatima", "Grace", "Hana", "Hugo", "Ines", "Ivan",
    "Jack", "James", "Jana", "Jin", "Joao", "Jonas", "Julia", "Kai", "Karim", "Kenji", "Lara",
    "Leo", "Lina", "Lucas", "Luis", "Maya", "Mei", "Mia", "Milan", "Nadia", "Nina", "Noah",
    "Nora", "Olga", "Omar", "Oscar", "Paula", "Pedro", "Priya", "Rafael", "Rosa", "Ruth", "Sam",
    "Sara", "Sofia", "Tariq", "Theo", "Tom", "Uma", "Vera", "Victor", "Wei", "Yara", "Yusuf",
    "Zara", "Zoe",
)
FAMILY_NAMES = (
    "Abbott", "Adams", "Ahmed", "Alvarez", "Andersen", "Bauer", "Becker", "Bianchi", "Brown",
    "Carter", "Chen", "Costa", "Cruz", "Diaz", "Dubois", "Evans", "Fischer", "Garcia", "Gomez",
    "Gupta", "Hansen", "Harris", "Hoffmann", "Ito", "Jensen", "Johnson", "Kim", "Klein",
    "Kowalski", "Kumar", "Lang", "Larsen", "Lee", "Lopez", "Martin", "Meyer", "Moreau", "Muller",
    "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen", "Park", "Patel", "Perez", "Petrov", "Quinn",
    "Rossi", "Russo", "Santos", "Schmidt", "Silva", "Singh", "Smith", "Suzuki", "Tanaka",
    "Taylor", "Thomas", "Torres", "Vargas", "Wagner", "Walker", "Wang", "Weber", "Wilson", "Wong",
    "Yilmaz", "Young", "Zhang", "Ziegler",
)
SEED_ORG_UNITS = (
    "/Engineering", "/Engineering/Platform", "/Engineering/Product", "/Sales", "/Marketing",
    "/Support", "/Operations", "/Contractors",
)
TITLES = {
    "/": "Staff", "/Engineering": "Engineer", "/Engineering/Platform": "Platform Engineer",
    "/Engineering/Product": "Product Engineer", "/Sales": "Account Executive",
    "/Marketing": "Marketing Manager", "/Support": "Support Specialist",
    "/Operations": "Operations Analyst", "/Contractors": "Contractor",
}
GROUP_WORDS = (
    "engineering", "sales", "marketing", "support", "operations", "design", "finance", "legal",
    "people", "security", "platform", "product", "research", "data", "growth", "partners",
)
SEED_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass
class SeedResult:
    domain: Domain
    admin_emails: list[str] = field(default_factory=list)
    users: int = 0
    groups: int = 0
    members: int = 0


def _wipe_directory(domain: Domain) -> None:
    """Delete a domain's directory with set-based SQL (no per-row cascade collection)."""
    with connection.cursor() as cursor:
        for sql in (
            "DELETE FROM gsandbox_dirmember WHERE group_id IN "
            "(SELECT id FROM gsandbox_dirgroup WHERE domain_id = %s)",
            "DELETE FROM gsandbox_dirmember WHERE user_id IN "
            "(SELECT id FROM gsandbox_diruser WHERE domain_id = %s)",
            "DELETE FROM gsandbox_usersearchversion WHERE domain_id = %s",
            "DELETE FROM gsandbox_accesstoken WHERE domain_id = %s",
            "DELETE FROM gsandbox_dirgroup WHERE domain_id = %s",
            "DELETE FROM gsandbox_diruser WHERE domain_id = %s",
            "DELETE FROM gsandbox_orgunit WHERE domain_id = %s",
            "DELETE FROM gsandbox_activity WHERE domain_id = %s",
            "DELETE FROM gsandbox_domainname WHERE customer_id = %s",
        ):
            cursor.execute(sql, [domain.pk])


def _users_insert(rows: list[dict]) -> None:
    """Insert seeded users: COPY on PostgreSQL (100,000 rows in seconds), bulk_create elsewhere."""
    if connection.vendor != "postgresql":
        DirUser.objects.bulk_create((DirUser(**row) for row in rows), batch_size=2000)
        return
    columns = list(rows[0])
    sql = f"COPY {DirUser._meta.db_table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(
                [json.dumps(row[c]) if c == "aliases" else row[c] for c in columns]
            )


@transaction.atomic
def seed(
    domain: "Domain | str",
    users: int,
    groups: int = 0,
    members_per_group: int = 0,
    admins: int = 1,
    seed: int = 0,
    install: bool = False,
    secondary_domains: int = 0,
    domain_aliases: int = 0,
) -> SeedResult:
    """Replace `domain`'s directory with a deterministic synthetic one.

    The first `admins` users are super admins: admin@D, admin2@D, ... Grants, API access and
    fault settings are kept; users, groups, members, org units, tokens, activities, secondary
    domains and domain aliases are replaced. When there are two or more groups the first group
    also contains the second (a nested group), so derived membership is always exercised.
    With `install`, Hearth is installed "long ago" (in effect at once). With
    `secondary_domains` N, every (N+1)th non-admin user and group lives on each secondary
    domain `<label>-sub<i>.<rest>`; `domain_aliases` adds `<label>-alias<i>.<rest>` aliases
    of the primary domain.
    """
    if users < 1 or admins < 0 or admins > users:
        raise SandboxError("Need users >= 1 and 0 <= admins <= users")
    if secondary_domains < 0 or domain_aliases < 0:
        raise SandboxError("Need secondary_domains >= 0 and domain_aliases >= 0")
    name = domain.name if isinstance(domain, Domain) else domain.strip().lower()
    domain = domain_get_or_create(name)
    if domain.name != name:
        raise SandboxError(f"{name} is not a primary domain (it belongs to {domain.name})")
    _wipe_directory(domain)
    rng = random.Random(f"{seed}:{name}")
    now = clock.now()
    label, _, rest = name.partition(".")
    secondaries = [f"{label}-sub{i}.{rest}" for i in range(1, secondary_domains + 1)]
    DomainName.objects.bulk_create(
        [DomainName(customer=domain, name=n, kind=DomainName.KIND_SECONDARY, created_at=now)
         for n in secondaries]
        + [DomainName(customer=domain, name=f"{label}-alias{i}.{rest}", alias_of=name,
                      kind=DomainName.KIND_ALIAS, created_at=now)
           for i in range(1, domain_aliases + 1)]
    )
    hosts = [name, *secondaries]
    aliases_map = alias_domains(domain)

    OrgUnit.objects.bulk_create(
        OrgUnit(
            domain=domain,
            path=path,
            name=path.rsplit("/", 1)[1],
            org_unit_id="id:" + google_group_id(rng)[1:],
            etag=etag_for("ou", name, path),
        )
        for path in SEED_ORG_UNITS
    )
    paths = ("/", *SEED_ORG_UNITS)
    result = SeedResult(domain=domain)
    seen_ids: set[str] = set()
    seen_locals: dict[str, int] = {}
    first_in_unit: dict[str, str] = {}
    rows = []
    for index in range(users):
        given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
        if index < admins:
            local = "admin" if index == 0 else f"admin{index + 1}"
            path = "/"
        else:
            base = f"{given}.{family}".lower()
            count = seen_locals.get(base, 0) + 1
            seen_locals[base] = count
            local = base if count == 1 else f"{base}{count}"
            path = paths[rng.randrange(len(paths))]
        host = name if index < admins else hosts[index % len(hosts)]
        email = f"{local}@{host}"
        google_id = google_user_id(rng)
        while google_id in seen_ids:
            google_id = google_user_id(rng)
        seen_ids.add(google_id)
        created = SEED_EPOCH + timedelta(seconds=rng.randrange(4 * 365 * 86400))
        login = None if rng.random() < 0.1 else created + timedelta(days=rng.randrange(1, 400))
        suspended = index >= admins and rng.random() < 0.02
        row = {
            "domain_id": domain.pk,
            "google_id": google_id,
            "primary_email": email,
            "aliases": [],
            "given_name": given,
            "family_name": family,
            "org_unit_path": path,
            "is_admin": index < admins,
            "suspended": suspended,
            "suspension_reason": "ADMIN" if suspended else "",
            "archived": False,
            "title": "Administrator" if index < admins else TITLES[path],
            "department": path.strip("/").split("/")[0] or "General",
            "phone": f"+1 555 {rng.randrange(10**7):07d}",
            "manager_email": first_in_unit.get(path, "") if index >= admins else "",
            "creation_time": created,
            "last_login_time": login,
            "deleted_at": None,
            "changed_at": None,
        }
        row["etag"] = user_etag_from(row)
        row["resource_json"] = user_resource_json(
            SimpleNamespace(**row), customer_id=domain.customer_id, domain_aliases=aliases_map
        )
        first_in_unit.setdefault(path, email)
        rows.append(row)
        if index < admins:
            result.admin_emails.append(email)
    # Written in the order users.list reads them (primary_email, the keyset order; ids follow
    # the insert order): a page of 500 is then a few consecutive heap pages instead of 500
    # random ones. `rows` keeps its generation order for the memberships below.
    _users_insert(sorted(rows, key=lambda row: row["primary_email"]))
    result.users = len(rows)
    user_pks = dict(DirUser.objects.filter(domain=domain).values_list("google_id", "id"))

    group_rows = []
    for index in range(groups):
        word = GROUP_WORDS[index % len(GROUP_WORDS)]
        local = word if index < len(GROUP_WORDS) else f"{word}-{index // len(GROUP_WORDS) + 1}"
        group = DirGroup(
            domain=domain,
            google_id=google_group_id(rng),
            email=f"{local}@{hosts[index % len(hosts)]}",
            name=local.replace("-", " ").title(),
            description=f"The {word} team",
            created_at=now,
        )
        group.etag = etag_for(group.google_id, group.email, group.name, group.description)
        group_rows.append(group)
    DirGroup.objects.bulk_create(group_rows, batch_size=2000)
    result.groups = len(group_rows)

    member_rows = []
    per_group = min(members_per_group, len(rows))
    for group in group_rows:
        for position, user_index in enumerate(rng.sample(range(len(rows)), per_group)):
            role = DirMember.ROLE_OWNER if position == 0 else DirMember.ROLE_MEMBER
            member_rows.append(
                DirMember(
                    group=group,
                    user_id=user_pks[rows[user_index]["google_id"]],
                    role=role,
                    created_at=now,
                )
            )
    if len(group_rows) >= 2:
        member_rows.append(
            DirMember(
                group=group_rows[0],
                member_group=group_rows[1],
                member_type=DirMember.TYPE_GROUP,
                created_at=now,
            )
        )
    DirMember.objects.bulk_create(member_rows, batch_size=5000)
    result.members = len(member_rows)
    if connection.vendor == "postgresql":
        # fresh statistics for every table seeded, or the planner keeps estimating the tables
        # as they were before (empty) and picks sequential scans for the first pages
        with connection.cursor() as cursor:
            for model in (OrgUnit, DirUser, DirGroup, DirMember):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    if install:
        install_grant(domain=domain, delay_seconds=0)
    return result
