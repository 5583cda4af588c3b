"""`python manage.py sandbox <command>` — the Google sandbox's command line.

A thin layer over googlesandbox.operations (state changes), googlesandbox.keys (keygen) and
googlesandbox.server (serve); `bench-page` times users.list pages for the benchmarks.
"""

import json
import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from googlesandbox import keys, operations
from googlesandbox.operations import FAULT_KINDS, SandboxError

DEMO_DOMAIN = "acme.example"


def _on_off(value: str) -> bool:
    if value.lower() in ("on", "1", "true", "yes"):
        return True
    if value.lower() in ("off", "0", "false", "no"):
        return False
    raise CommandError(f"Expected on or off, got {value!r}")


def _error_rates(value: str) -> dict:
    rates = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        kind, _, rate = part.partition("=")
        kind = {"403": "userRateLimitExceeded"}.get(kind.strip(), kind.strip())
        try:
            rates[kind] = float(rate)
        except ValueError as exc:
            raise CommandError(f"Bad error rate {part!r}; write KIND=RATE") from exc
    return rates


class Command(BaseCommand):
    help = "Operate the offline Google Workspace sandbox (the emulator Hearth talks to)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

        p = sub.add_parser("keygen", help="Write Hearth's service-account key file if absent.")
        p.add_argument("--path", help="Default: settings.GOOGLE_SERVICE_ACCOUNT_KEY_FILE")

        p = sub.add_parser("serve", help="Run the sandbox server with its push drainer.")
        p.add_argument("--port", type=int, help="Default: settings.SANDBOX_PORT")
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument(
            "--logins-every", type=float,
            help="One random sign-in per domain every N seconds (0: off; default "
            "SANDBOX_LOGIN_TRICKLE_SECONDS or 5)",
        )

        sub.add_parser(
            "demo",
            help=f"Seed the demo domain {DEMO_DOMAIN} only when absent (never reseeds).",
        )

        p = sub.add_parser("seed", help="Replace a domain with a deterministic synthetic one.")
        p.add_argument("--domain", required=True)
        p.add_argument("--users", type=int, required=True)
        p.add_argument("--groups", type=int, default=0)
        p.add_argument("--members-per-group", type=int, default=0)
        p.add_argument("--admins", type=int, default=1)
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--secondary-domains", type=int, default=0)
        p.add_argument("--domain-aliases", type=int, default=0)
        p.add_argument(
            "--install", action="store_true", help="Install Hearth, in effect at once."
        )

        p = sub.add_parser("logins", help="Sign in a share of a domain's people.")
        p.add_argument("domain")
        p.add_argument("--percent", type=float, required=True)
        p.add_argument("--seed", type=int)

        p = sub.add_parser("clock", help="Show the sandbox clock, travel ahead or reset it.")
        p.add_argument("clock_action", choices=["show", "travel", "reset"])
        p.add_argument("--seconds", type=float, default=0)

        p = sub.add_parser("domain-add", help="Add a secondary domain or a domain alias.")
        p.add_argument("customer", help="The customer's primary domain")
        p.add_argument("name")
        p.add_argument("--alias-of", help="Make it a domain alias of this domain")

        for name, text in (
            ("install", "Domain-install Hearth: grant its client id Hearth's scopes."),
            ("uninstall", "Remove Hearth's domain-wide grant."),
            ("show", "Print the domain's state as JSON."),
        ):
            p = sub.add_parser(name, help=text)
            p.add_argument("domain")
            if name == "install":
                p.add_argument(
                    "--delay-seconds", type=float,
                    help="Takes effect after this long (default: the domain's install delay)",
                )

        p = sub.add_parser("api-access", help="Turn the domain's API access on or off.")
        p.add_argument("domain")
        p.add_argument("state", help="on|off")

        p = sub.add_parser("admin", help="Grant (on) or revoke (off) super admin.")
        p.add_argument("email")
        p.add_argument("state", help="on|off")

        user = sub.add_parser("user", help="Users: add, update, rename, suspend, delete...")
        user_sub = user.add_subparsers(dest="action", required=True, metavar="ACTION")
        p = user_sub.add_parser("add", help="Create a user.")
        p.add_argument("email")
        p.add_argument("--given-name", default="")
        p.add_argument("--family-name", default="")
        p.add_argument("--org-unit", default="/")
        p.add_argument("--title", default="")
        p.add_argument("--admin", action="store_true", help="Make them a super admin.")
        p = user_sub.add_parser("update", help="Change names, title, org unit...")
        p.add_argument("email")
        p.add_argument("--given-name")
        p.add_argument("--family-name")
        p.add_argument("--title")
        p.add_argument("--department")
        p.add_argument("--phone")
        p.add_argument("--manager", help="The manager's email")
        p.add_argument("--org-unit")
        p = user_sub.add_parser("rename", help="Change the primary email (old one kept as alias).")
        p.add_argument("email")
        p.add_argument("new_email")
        for action in ("suspend", "unsuspend", "delete", "undelete"):
            p = user_sub.add_parser(action, help=f"{action.title()} a user.")
            p.add_argument("email")

        group = sub.add_parser("group", help="Groups: add, delete, rename.")
        group_sub = group.add_subparsers(dest="action", required=True, metavar="ACTION")
        p = group_sub.add_parser("add", help="Create a group.")
        p.add_argument("group_email")
        p.add_argument("--name", default="")
        p.add_argument("--description", default="")
        p = group_sub.add_parser("delete", help="Delete a group.")
        p.add_argument("group_email")
        p = group_sub.add_parser("rename", help="Change a group's name.")
        p.add_argument("group_email")
        p.add_argument("name")

        member = sub.add_parser("member", help="Group members: add, remove (groups may nest).")
        member_sub = member.add_subparsers(dest="action", required=True, metavar="ACTION")
        for action in ("add", "remove"):
            p = member_sub.add_parser(action, help=f"{action.title()} a user or group.")
            p.add_argument("group_email")
            p.add_argument("member_email")
            p.add_argument("--role", default="MEMBER", choices=["MEMBER", "MANAGER", "OWNER"])

        p = sub.add_parser("faults", help="Set fault injection for a domain's API calls.")
        p.add_argument("domain")
        p.add_argument("--latency-ms", type=int)
        p.add_argument("--jitter-ms", type=int)
        p.add_argument(
            "--errors",
            help=f"KIND=RATE,... with KIND in {', '.join(FAULT_KINDS)} (403 means "
            "userRateLimitExceeded); '' clears",
        )
        p.add_argument("--qpm", type=int, help="Queries per minute per (project, user)")
        p.add_argument("--drop-push", type=int, choices=[0, 1])
        p.add_argument("--timeout-seconds", type=float, help="How long a 'timeout' hangs")
        p.add_argument("--seed", type=int, help="Make the random error draws reproducible")
        p.add_argument("--search-lag-seconds", type=float)
        p.add_argument("--alias-matching", type=int, choices=[0, 1])
        p.add_argument("--concurrent-limit", type=int, help="0: no limit")
        p.add_argument("--install-delay-seconds", type=float)
        p.add_argument("--channel-ttl-max-seconds", type=int)
        p.add_argument("--page-token-ttl-seconds", type=int)
        p.add_argument("--reports-lag-seconds", type=float)
        p.add_argument("--login-push-update", type=int, choices=[0, 1])
        p.add_argument("--retention-days", type=float)

        p = sub.add_parser("bench-page", help="Time users.list pages over a large domain.")
        p.add_argument("--users", type=int, default=100_000)
        p.add_argument("--page-size", type=int, default=500)
        p.add_argument("--domain", default="bench.example")

    def handle(self, *args, **options):
        command = options["command"].replace("-", "_")
        action = options.get("action")
        handler = getattr(self, f"do_{command}" + (f"_{action}" if action else ""))
        try:
            handler(options)
        except (SandboxError, keys.KeyFileMissing) as exc:
            raise CommandError(str(exc)) from exc

    def ok(self, message: str) -> None:
        self.stdout.write(message)

    # --- keys, server, demo ------------------------------------------------------------------

    def do_keygen(self, options):
        path = options["path"] or settings.GOOGLE_SERVICE_ACCOUNT_KEY_FILE
        if keys.service_account_key_generate(path):
            self.ok(f"Wrote a new service-account key to {path} (mode 0600; never commit it).")
        else:
            self.ok(f"Service-account key {path} already exists; left unchanged.")

    def do_serve(self, options):
        from googlesandbox.server import serve

        port = options["port"] or settings.SANDBOX_PORT
        host = options["host"]

        def on_bind(bound_port):
            self.ok(
                f"Google sandbox on http://{host}:{bound_port}/ — "
                f"admin console http://{host}:{bound_port}/console/"
            )

        serve(host=host, port=port, on_bind=on_bind, logins_every=options["logins_every"])

    def do_demo(self, options):
        from googlesandbox.models import Domain

        if Domain.objects.filter(name=DEMO_DOMAIN).exists():
            self.ok(f"Demo domain {DEMO_DOMAIN} already present; left unchanged.")
            return
        result = operations.seed(
            DEMO_DOMAIN, users=300, groups=12, members_per_group=15, admins=2, seed=2024
        )
        operations.set_api_access(domain=result.domain, enabled=True)
        self.ok(
            f"Seeded demo domain {DEMO_DOMAIN}: {result.users} users, {result.groups} groups; "
            f"super admins: {', '.join(result.admin_emails)}. Hearth is not installed yet."
        )

    # --- domains -----------------------------------------------------------------------------

    def do_seed(self, options):
        started = time.monotonic()
        result = operations.seed(
            options["domain"],
            users=options["users"],
            groups=options["groups"],
            members_per_group=options["members_per_group"],
            admins=options["admins"],
            seed=options["seed"],
            install=options["install"],
            secondary_domains=options["secondary_domains"],
            domain_aliases=options["domain_aliases"],
        )
        self.ok(
            f"Seeded {result.domain.name}: {result.users} users, {result.groups} groups, "
            f"{result.members} members in {time.monotonic() - started:.1f}s"
        )
        self.ok("Admins: " + ", ".join(result.admin_emails))

    def do_logins(self, options):
        users = operations.logins(options["domain"], options["percent"], seed=options["seed"])
        self.ok(f"{len(users)} people of {options['domain']} signed in.")

    def do_clock(self, options):
        if options["clock_action"] == "travel":
            operations.clock_travel(seconds=options["seconds"])
        elif options["clock_action"] == "reset":
            operations.clock_reset()
        self.ok(f"Sandbox clock: {operations.clock_now().isoformat()}")

    def do_domain_add(self, options):
        alias_of = options["alias_of"]
        row = operations.domain_name_add(
            customer=options["customer"],
            name=options["name"],
            kind="alias" if alias_of else "secondary",
            alias_of=alias_of or "",
        )
        self.ok(f"Added {row.name} ({row.kind}) to {options['customer']}.")

    def do_install(self, options):
        grant = operations.install(
            domain=options["domain"], delay_seconds=options["delay_seconds"]
        )
        self.ok(
            f"Installed Hearth (client {grant.client_id}) on {options['domain']}; "
            f"in effect from {grant.effective_at.isoformat()} (sandbox clock)."
        )

    def do_uninstall(self, options):
        removed = operations.uninstall(domain=options["domain"])
        self.ok(("Uninstalled" if removed else "Was not installed:") + f" {options['domain']}")

    def do_show(self, options):
        self.ok(json.dumps(operations.show(options["domain"]), indent=2))

    def do_api_access(self, options):
        enabled = _on_off(options["state"])
        operations.set_api_access(domain=options["domain"], enabled=enabled)
        self.ok(f"API access {'on' if enabled else 'off'} for {options['domain']}.")

    def do_admin(self, options):
        if _on_off(options["state"]):
            operations.user_make_admin(email=options["email"])
            self.ok(f"{options['email']} is a super admin.")
        else:
            operations.user_revoke_admin(email=options["email"])
            self.ok(f"{options['email']} is no longer an admin.")

    def do_faults(self, options):
        flags = ("drop_push", "alias_matching", "login_push_update")
        numbers = (
            "latency_ms", "jitter_ms", "qpm", "timeout_seconds", "seed", "search_lag_seconds",
            "concurrent_limit", "install_delay_seconds", "channel_ttl_max_seconds",
            "page_token_ttl_seconds", "reports_lag_seconds", "retention_days",
        )
        values = {name: options[name] for name in numbers}
        values.update(
            {name: bool(options[name]) for name in flags if options[name] is not None}
        )
        faults = operations.faults_set(
            domain=options["domain"],
            error_rates=_error_rates(options["errors"]) if options["errors"] is not None else None,
            **values,
        )
        self.ok(json.dumps(operations.faults_dict(faults)))

    # --- users -------------------------------------------------------------------------------

    def do_user_add(self, options):
        user = operations.user_add(
            email=options["email"],
            given_name=options["given_name"],
            family_name=options["family_name"],
            org_unit_path=options["org_unit"],
            title=options["title"],
            is_admin=options["admin"],
        )
        self.ok(f"Added {user.primary_email} (id {user.google_id}).")

    def do_user_update(self, options):
        user = operations.user_update(
            email=options["email"],
            given_name=options["given_name"],
            family_name=options["family_name"],
            title=options["title"],
            department=options["department"],
            phone=options["phone"],
            manager_email=options["manager"],
            org_unit_path=options["org_unit"],
        )
        self.ok(f"Updated {user.primary_email}.")

    def do_user_rename(self, options):
        user = operations.user_rename(email=options["email"], new_email=options["new_email"])
        self.ok(f"Renamed {options['email']} to {user.primary_email}.")

    def do_user_suspend(self, options):
        operations.user_suspend(email=options["email"])
        self.ok(f"Suspended {options['email']}.")

    def do_user_unsuspend(self, options):
        operations.user_unsuspend(email=options["email"])
        self.ok(f"Unsuspended {options['email']}.")

    def do_user_delete(self, options):
        operations.user_delete(email=options["email"])
        self.ok(f"Deleted {options['email']}.")

    def do_user_undelete(self, options):
        operations.user_undelete(email=options["email"])
        self.ok(f"Undeleted {options['email']}.")

    # --- groups ------------------------------------------------------------------------------

    def do_group_add(self, options):
        group = operations.group_add(
            email=options["group_email"],
            name=options["name"],
            description=options["description"],
        )
        self.ok(f"Added group {group.email} (id {group.google_id}).")

    def do_group_delete(self, options):
        operations.group_delete(email=options["group_email"])
        self.ok(f"Deleted group {options['group_email']}.")

    def do_group_rename(self, options):
        operations.group_rename(email=options["group_email"], name=options["name"])
        self.ok(f"Renamed group {options['group_email']} to {options['name']!r}.")

    def do_member_add(self, options):
        member = operations.member_add(
            group_email=options["group_email"],
            member_email=options["member_email"],
            role=options["role"],
        )
        self.ok(f"{options['member_email']} is a {member.role} of {options['group_email']}.")

    def do_member_remove(self, options):
        operations.member_remove(
            group_email=options["group_email"], member_email=options["member_email"]
        )
        self.ok(f"Removed {options['member_email']} from {options['group_email']}.")

    # --- benchmark ---------------------------------------------------------------------------

    def do_bench_page(self, options):
        self.ok(json.dumps(bench_page(**{k: options[k] for k in ("users", "page_size", "domain")})))


def bench_page(*, users: int, page_size: int, domain: str) -> dict:
    """Walk every users.list page of `page_size` over a domain of `users` users, over HTTP.

    Seeds the domain when its user count differs; mints a token directly (the benchmark is about
    users.list, not the JWT grant). Reports per-page wall time seen by an HTTP client.
    """
    import requests

    from googlesandbox.models import DirUser, Domain
    from googlesandbox.server import LiveSandbox

    existing = Domain.objects.filter(name=domain).first()
    seed_seconds = None
    if (
        existing is None
        or DirUser.objects.filter(domain=existing, deleted_at__isnull=True).count() != users
    ):
        started = time.monotonic()
        operations.seed(domain, users=users, admins=1, seed=7)
        seed_seconds = round(time.monotonic() - started, 2)
    target = Domain.objects.get(name=domain)
    operations.faults_set(
        domain=target, latency_ms=0, jitter_ms=0, error_rates={}, qpm=100_000, concurrent_limit=0
    )
    admin = DirUser.objects.get(domain=target, primary_email=f"admin@{domain}")
    token = operations.access_token_issue(
        domain=target,
        subject=admin,
        subject_email=admin.primary_email,
        client_id="bench",
        scopes=["https://www.googleapis.com/auth/admin.directory.user.readonly"],
    )
    server = LiveSandbox(drain_push=False)
    timings, count, page_token = [], 0, None
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token.token}"
        while True:
            params = {"customer": "my_customer", "maxResults": page_size}
            if page_token:
                params["pageToken"] = page_token
            started = time.perf_counter()
            answer = session.get(f"{server.url}/admin/directory/v1/users", params=params)
            timings.append((time.perf_counter() - started) * 1000)
            answer.raise_for_status()
            body = answer.json()
            count += len(body.get("users", []))
            page_token = body.get("nextPageToken")
            if not page_token:
                break
    finally:
        server.stop()
    ordered = sorted(timings)
    return {
        "users": count,
        "pages": len(timings),
        "page_size": page_size,
        "seed_seconds": seed_seconds,
        "ms_median": round(statistics.median(ordered), 2),
        "ms_p95": round(ordered[int(len(ordered) * 0.95) - 1 if len(ordered) > 1 else 0], 2),
        "ms_max": round(ordered[-1], 2),
    }
