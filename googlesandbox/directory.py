"""Directory API v1 views (paths and parameters as in admin.directory_v1.json).

users.list pages by keyset on the order key: `(order_column, id) > (last_value, last_id)`
(or `<` when descending), backed by the partial composite indexes on DirUser, so a page costs
the same at user 1 and at user 100,000; the body is joined from each user's stored resource
JSON. The page token is an opaque base64 of [kind, issued at, orderBy, sortOrder, showDeleted,
last_value, last_id]; it expires after the domain's `page_token_ttl_seconds`. Lists with no
items omit their item key, as Google does.

The plain listing (no `query`) is exact: the directory as it is now. A `query` reads Google's
search index instead, which lags the directory by the domain's `search_lag_seconds`: the users
changed since (now - lag) are matched as their latest `UserSearchVersion` from before it (a new
user is not found yet; a deleted, renamed or moved one is found as they were), merged in key
order with the unchanged users. With `alias_matching`, `email:` also matches aliases and
domain-alias addresses. showDeleted lists only users deleted within the domain's retention.
"""

import json
import re
from datetime import timedelta

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse

from . import clock, errors, operations
from .api import (
    CHANNEL_STOP,
    CUSTOMER_READ,
    GROUP_READ,
    MEMBER_READ,
    ORGUNIT_READ,
    USER_READ,
    ApiContext,
    api_view,
    bool_param,
    check_customer,
    int_param,
    json_response,
)
from .models import DirGroup, DirMember, DirUser, OrgUnit, UserSearchVersion
from .resources import (
    PHOTO_BASE_PLACEHOLDER,
    customer_resource,
    etag_for,
    group_resource,
    member_resource,
    org_unit_resource,
    user_resource,
    user_resource_json,
)

ORDER_COLUMNS = {"email": "primary_email", "givenName": "given_name", "familyName": "family_name"}
QUERY_TERM = re.compile(r"""(?:(\w+)\s*([:=])\s*)?('[^']*'|"[^"]*"|\S+)""")
USERS_TABLE = DirUser._meta.db_table
VERSIONS_TABLE = UserSearchVersion._meta.db_table


# ---------------------------------------------------------------------------------------------
# users


def _text_match(column: str, value: str, *, case_insensitive: bool) -> Q:
    if value.endswith("*"):
        lookup = "istartswith" if case_insensitive else "startswith"
        return Q(**{f"{column}__{lookup}": value[:-1]})
    return Q(**{f"{column}__{'iexact' if case_insensitive else 'exact'}": value})


def _bool_value(field: str, value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise errors.bad_request(f"Invalid Input: {field}")
    return value.lower() == "true"


# which addresses an `email:` term reads (see users_query_filter)
PRIMARY, WITH_ALIASES, ALIASED_ONLY = "primary", "with aliases", "aliased only"


def _email_match(value: str, *, addresses: str) -> Q:
    """`email:` — the primary address and, as Google's index does (unless `addresses` is
    PRIMARY), aliases and domain-alias addresses (a domain-alias address is the same local part
    on the domain it aliases)."""
    value = value.lower()
    condition = _text_match("primary_email", value, case_insensitive=False)
    if addresses == PRIMARY:
        return condition
    if value.endswith("*"):
        # aliases are stored as a JSON list of strings: a prefix follows an opening quote
        condition |= Q(aliases__icontains=f'"{value[:-1]}')
    else:
        condition |= Q(aliases__icontains=f'"{value}"')
        target = operations.common.alias_target(value)
        if target:
            condition |= Q(primary_email=target) | Q(aliases__icontains=f'"{target}"')
    return condition


def users_query_filter(query: str, *, alias_matching: bool = False, addresses: str = "") -> Q:
    """Google's user search syntax: `email:jo*`, `givenName:'Ann'`, `isAdmin=true`, ...

    `addresses` (default: WITH_ALIASES when `alias_matching`, else PRIMARY) says what `email:`
    reads; ALIASED_ONLY reads aliases too but keeps only users that have aliases (a partial
    index): PRIMARY plus ALIASED_ONLY is WITH_ALIASES, each half an index read at 100,000 users.
    """
    addresses = addresses or (WITH_ALIASES if alias_matching else PRIMARY)
    condition = ~Q(aliases=[]) if addresses == ALIASED_ONLY else Q()
    for field, _, raw in QUERY_TERM.findall(query.strip()):
        value = raw.strip("'\"")
        if not field:
            # a bare word matches the start of the email or either name
            condition &= (
                Q(primary_email__startswith=value.lower().rstrip("*"))
                | Q(given_name__istartswith=value.rstrip("*"))
                | Q(family_name__istartswith=value.rstrip("*"))
            )
        elif field == "email":
            condition &= _email_match(value, addresses=addresses)
        elif field == "givenName":
            condition &= _text_match("given_name", value, case_insensitive=True)
        elif field == "familyName":
            condition &= _text_match("family_name", value, case_insensitive=True)
        elif field == "isAdmin":
            condition &= Q(is_admin=_bool_value(field, value))
        elif field == "isSuspended":
            condition &= Q(suspended=_bool_value(field, value))
        elif field == "orgUnitPath":
            path = "/" + value.strip("/")
            if path != "/":
                # an org unit matches itself and every org unit below it, as at Google
                condition &= Q(org_unit_path=path) | Q(org_unit_path__startswith=path + "/")
        else:
            raise errors.bad_request(f"Invalid Input: {field}")
    return condition


def _keyset(queryset, table: str, column: str, tie: str, descending: bool, last_value, last_id):
    operator = "<" if descending else ">"
    return queryset.extra(
        where=[f'("{table}"."{column}", "{table}"."{tie}") {operator} (%s, %s)'],
        params=[last_value, last_id],
    )


def users_page(
    ctx: ApiContext,
    *,
    query: str,
    order_by: str,
    descending: bool,
    show_deleted: bool,
    max_results: int,
    page_token: str | None,
    domain_name: str | None = None,
) -> tuple[list[tuple], str | None]:
    """One page as (id, order value, etag, stored resource JSON) rows, and the next token."""
    column = ORDER_COLUMNS[order_by]
    users = DirUser.objects.filter(domain=ctx.domain, deleted_at__isnull=not show_deleted)
    cutoff = None
    if show_deleted:
        cutoff = clock.now() - timedelta(days=ctx.faults.retention_days)
        users = users.filter(deleted_at__gte=cutoff)
    if domain_name and (domain_name != ctx.domain.name or _has_secondaries(ctx)):
        users = users.filter(primary_email__endswith="@" + domain_name)
    last = None
    if page_token:
        kind_order, kind_desc, kind_deleted, last_value, last_id = ctx.page_token_decode(
            page_token, kind="users"
        )
        if (kind_order, kind_desc, kind_deleted) != (order_by, descending, show_deleted):
            raise errors.page_token_invalid()
        last = (last_value, last_id)
    if query:
        rows = _users_search(
            ctx, users, query=query, column=column, descending=descending,
            show_deleted=show_deleted, cutoff=cutoff, domain_name=domain_name, last=last,
            limit=max_results + 1,
        )
    else:
        if last:
            users = _keyset(users, USERS_TABLE, column, "id", descending, *last)
        ordering = (f"-{column}", "-id") if descending else (column, "id")
        rows = list(
            users.order_by(*ordering).values_list("id", column, "etag", "resource_json")[
                : max_results + 1
            ]
        )
    next_token = None
    if len(rows) > max_results:
        rows = rows[:max_results]
        last_id, last_value = rows[-1][0], rows[-1][1]
        next_token = ctx.page_token_encode(
            ["users", order_by, descending, show_deleted, last_value, last_id]
        )
    return rows, next_token


def _has_secondaries(ctx: ApiContext) -> bool:
    return ctx.domain.names.filter(kind="secondary").exists()


def _users_search(
    ctx, users, *, query, column, descending, show_deleted, cutoff, domain_name, last, limit
) -> list[tuple]:
    """A page of a search: the index as of (now - search lag), see the module docstring."""
    as_of = clock.now() - timedelta(seconds=ctx.faults.search_lag_seconds)
    alias_matching = ctx.faults.alias_matching
    condition = users_query_filter(query, alias_matching=alias_matching)
    unchanged = users.filter(Q(changed_at__isnull=True) | Q(changed_at__lte=as_of))
    ordering = (f"-{column}", "-id") if descending else (column, "id")
    fields = ("id", column, "etag", "resource_json")
    halves = [users_query_filter(query, addresses=PRIMARY)]
    if alias_matching:
        halves.append(users_query_filter(query, addresses=ALIASED_ONLY))
    found: dict[int, tuple] = {}
    for half in halves:
        current = unchanged.filter(half)
        if last:
            current = _keyset(current, USERS_TABLE, column, "id", descending, *last)
        for row in current.order_by(*ordering).values_list(*fields)[:limit]:
            found[row[0]] = row
    rows = list(found.values())
    # users changed within the lag: their latest version from before `as_of`, if any
    recent = list(
        DirUser.objects.filter(domain=ctx.domain, changed_at__gt=as_of).values_list("id", flat=True)
    )
    if recent:
        latest = {}
        for version_id, user_id in (
            UserSearchVersion.objects.filter(user_id__in=recent, valid_from__lte=as_of)
            .order_by("user_id", "-valid_from", "-id")
            .values_list("id", "user_id")
        ):
            latest.setdefault(user_id, version_id)
        stale = UserSearchVersion.objects.filter(id__in=latest.values()).filter(condition)
        stale = stale.filter(deleted_at__isnull=not show_deleted)
        if cutoff is not None:
            stale = stale.filter(deleted_at__gte=cutoff)
        if domain_name:
            stale = stale.filter(primary_email__endswith="@" + domain_name)
        if last:
            stale = _keyset(stale, VERSIONS_TABLE, column, "user_id", descending, *last)
        stale_ordering = (f"-{column}", "-user_id") if descending else (column, "user_id")
        rows += list(
            stale.order_by(*stale_ordering).values_list("user_id", column, "etag", "resource_json")[
                :limit
            ]
        )
    rows.sort(key=lambda row: (row[1], row[0]), reverse=descending)
    return rows[:limit]


def _stored_json(rows: list[tuple], domain) -> list[str]:
    missing = [row[0] for row in rows if not row[3]]
    built = {}
    if missing:  # rows written outside operations (none in practice): build them now
        for user in DirUser.objects.filter(id__in=missing):
            built[user.id] = user_resource_json(user, customer_id=domain.customer_id)
    return [row[3] or built[row[0]] for row in rows]


def _users_list_params(request: HttpRequest, ctx: ApiContext) -> dict:
    domain_name = check_customer(ctx, request.GET.get("customer"), request.GET.get("domain"))
    order_by = request.GET.get("orderBy") or "email"
    if order_by not in ORDER_COLUMNS:
        raise errors.bad_request(f"Invalid value '{order_by}' for orderBy")
    sort_order = (request.GET.get("sortOrder") or "ASCENDING").upper()
    if sort_order not in ("ASCENDING", "DESCENDING"):
        raise errors.bad_request(f"Invalid value '{sort_order}' for sortOrder")
    projection = request.GET.get("projection") or "basic"
    if projection not in ("basic", "full", "custom"):
        raise errors.bad_request(f"Invalid value '{projection}' for projection")
    return {
        "query": request.GET.get("query", ""),
        "order_by": order_by,
        "descending": sort_order == "DESCENDING",
        "show_deleted": bool_param(request, "showDeleted"),
        "max_results": int_param(request, "maxResults", default=100, low=1, high=500),
        "page_token": request.GET.get("pageToken") or None,
        "domain_name": domain_name,
    }


@api_view(USER_READ)
def users_list(request: HttpRequest, ctx: ApiContext) -> HttpResponse:
    params = _users_list_params(request, ctx)
    rows, next_token = users_page(ctx, **params)
    # assembled from the stored per-user JSON: no per-user dict building or encoding
    head = {"kind": "admin#directory#users", "etag": etag_for("users", [r[2] for r in rows])}
    parts = [json.dumps(head, separators=(",", ":"))[:-1]]
    if rows:
        parts.append(',"users":[' + ",".join(_stored_json(rows, ctx.domain)) + "]")
    if next_token:
        parts.append(f',"nextPageToken":"{next_token}"')
    parts.append("}")
    body = "".join(parts).replace(PHOTO_BASE_PLACEHOLDER, ctx.base_url)
    return HttpResponse(body, content_type="application/json; charset=UTF-8")


@api_view(USER_READ)
def users_get(request: HttpRequest, ctx: ApiContext, user_key: str) -> HttpResponse:
    user = operations.user_find(user_key, domain=ctx.domain)
    if user is None:
        raise errors.not_found("userKey")
    if user.resource_json:
        body = user.resource_json.replace(PHOTO_BASE_PLACEHOLDER, ctx.base_url)
        return HttpResponse(body, content_type="application/json; charset=UTF-8")
    return json_response(user_resource(user, domain=ctx.domain, photo_base=ctx.base_url))


@api_view(USER_READ, methods=("POST",))
def users_watch(request: HttpRequest, ctx: ApiContext) -> HttpResponse:
    check_customer(ctx, request.GET.get("customer"), request.GET.get("domain"))
    try:
        body = json.loads(request.body or b"{}")
    except ValueError as exc:
        raise errors.bad_request("Invalid JSON payload received.") from exc
    event = request.GET.get("event")
    if not event:
        raise errors.bad_request("Required parameter: event", reason="required")
    if not body.get("id") or not body.get("address"):
        raise errors.bad_request("Required: channel id and address", reason="required")
    params = body.get("params") or {}
    resource_uri = (
        f"{ctx.base_url}admin/directory/v1/users?"
        f"{request.GET.urlencode()}&alt=json"
    )
    try:
        channel = operations.channel_watch(
            domain=ctx.domain,
            channel_id=str(body["id"]),
            address=str(body["address"]),
            event=event,
            token=str(body.get("token") or ""),
            expiration_ms=int(body["expiration"]) if body.get("expiration") else None,
            ttl_seconds=int(params["ttl"]) if params.get("ttl") else None,
            resource_uri=resource_uri,
        )
    except operations.SandboxError as exc:
        raise errors.bad_request(str(exc)) from exc
    return json_response(channel_resource(channel))


def channel_resource(channel) -> dict:
    """The api#channel a watch answers (expiration: ms since the epoch, a string)."""
    payload = {
        "kind": "api#channel",
        "id": channel.channel_id,
        "resourceId": channel.resource_id,
        "resourceUri": channel.resource_uri,
        "expiration": str(int(channel.expires_at.timestamp() * 1000)),
    }
    if channel.token:
        payload["token"] = channel.token
    return payload


@api_view(CHANNEL_STOP, methods=("POST",))
def channels_stop(request: HttpRequest, ctx: ApiContext) -> HttpResponse:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError as exc:
        raise errors.bad_request("Invalid JSON payload received.") from exc
    stopped = operations.channel_stop(
        domain=ctx.domain,
        channel_id=str(body.get("id", "")),
        resource_id=str(body.get("resourceId", "")),
    )
    if not stopped:
        raise errors.not_found("channel")
    return HttpResponse(status=204)


# ---------------------------------------------------------------------------------------------
# groups and members


@api_view(GROUP_READ)
def groups_list(request: HttpRequest, ctx: ApiContext) -> HttpResponse:
    user_key = request.GET.get("userKey")
    groups = DirGroup.objects.filter(domain=ctx.domain)
    if user_key:
        user = operations.user_find(user_key, domain=ctx.domain)
        if user is None:
            raise errors.not_found("userKey")
        groups = groups.filter(memberships__user=user)
    else:
        only = check_customer(ctx, request.GET.get("customer"), request.GET.get("domain"))
        if only and only != ctx.domain.name:
            groups = groups.filter(email__endswith="@" + only)
    query = request.GET.get("query", "")
    for field, _, raw in QUERY_TERM.findall(query.strip()):
        value = raw.strip("'\"")
        if field == "email":
            groups = groups.filter(_text_match("email", value.lower(), case_insensitive=False))
        elif field == "name":
            groups = groups.filter(_text_match("name", value, case_insensitive=True))
        else:
            raise errors.bad_request(f"Invalid Input: {field or value}")
    max_results = int_param(request, "maxResults", default=200, low=1, high=200)
    page_token = request.GET.get("pageToken")
    if page_token:
        last_email, last_id = ctx.page_token_decode(page_token, kind="groups")
        groups = groups.filter(Q(email__gt=last_email) | Q(email=last_email, id__gt=last_id))
    rows = list(
        groups.annotate(
            direct=Count(
                "memberships",
                filter=Q(memberships__user__isnull=True)
                | Q(memberships__user__deleted_at__isnull=True),
            )
        ).order_by("email", "id")[: max_results + 1]
    )
    payload = {"kind": "admin#directory#groups", "etag": etag_for("groups", [g.etag for g in rows])}
    if len(rows) > max_results:
        rows = rows[:max_results]
        payload["nextPageToken"] = ctx.page_token_encode(["groups", rows[-1].email, rows[-1].id])
    if rows:
        payload["groups"] = [group_resource(g, direct_members_count=g.direct) for g in rows]
    return json_response(payload)


def _group_or_404(ctx: ApiContext, group_key: str) -> DirGroup:
    group = operations.group_find(group_key, domain=ctx.domain)
    if group is None:
        raise errors.not_found("groupKey")
    return group


@api_view(GROUP_READ)
def groups_get(request: HttpRequest, ctx: ApiContext, group_key: str) -> HttpResponse:
    group = _group_or_404(ctx, group_key)
    count = group.memberships.exclude(user__deleted_at__isnull=False).count()
    return json_response(group_resource(group, direct_members_count=count))


def _live_members(group_ids) -> list[DirMember]:
    return list(
        DirMember.objects.filter(group_id__in=group_ids)
        .exclude(user__deleted_at__isnull=False)
        .select_related("user", "member_group")
        .order_by("id")
    )


def members_all(group: DirGroup, *, derived: bool) -> list[DirMember]:
    """Direct members; with `derived`, plus the users reached through nested groups (once)."""
    members = _live_members([group.pk])
    if not derived:
        return members
    seen_users = {m.user_id for m in members if m.user_id}
    seen_groups = {group.pk}
    frontier = [m.member_group_id for m in members if m.member_group_id]
    while frontier:
        frontier = [g for g in frontier if g not in seen_groups]
        seen_groups.update(frontier)
        if not frontier:
            break
        nested = _live_members(frontier)
        next_frontier = []
        for member in nested:
            if member.user_id and member.user_id not in seen_users:
                seen_users.add(member.user_id)
                members.append(member)
            elif member.member_group_id:
                next_frontier.append(member.member_group_id)
        frontier = next_frontier
    return members


@api_view(MEMBER_READ)
def members_list(request: HttpRequest, ctx: ApiContext, group_key: str) -> HttpResponse:
    group = _group_or_404(ctx, group_key)
    max_results = int_param(request, "maxResults", default=200, low=1, high=200)
    roles = {r.strip().upper() for r in request.GET.get("roles", "").split(",") if r.strip()}
    if roles - {"OWNER", "MANAGER", "MEMBER"}:
        raise errors.bad_request("Invalid Input: roles")
    members = members_all(group, derived=bool_param(request, "includeDerivedMembership"))
    if roles:
        members = [m for m in members if m.role in roles]
    start = 0
    page_token = request.GET.get("pageToken")
    if page_token:
        (start,) = ctx.page_token_decode(page_token, kind="members")
    page = members[start : start + max_results]
    payload = {
        "kind": "admin#directory#members",
        "etag": etag_for("members", group.pk, [(m.id, m.role) for m in page]),
    }
    if page:
        payload["members"] = [member_resource(m, domain=ctx.domain) for m in page]
    if start + max_results < len(members):
        payload["nextPageToken"] = ctx.page_token_encode(["members", start + max_results])
    return json_response(payload)


@api_view(MEMBER_READ)
def members_get(
    request: HttpRequest, ctx: ApiContext, group_key: str, member_key: str
) -> HttpResponse:
    group = _group_or_404(ctx, group_key)
    key = member_key.lower()
    for member in members_all(group, derived=False):
        resource = member_resource(member, domain=ctx.domain)
        if key in (resource.get("email"), resource.get("id")):
            return json_response(resource)
    raise errors.not_found("memberKey")


@api_view(MEMBER_READ)
def members_has_member(
    request: HttpRequest, ctx: ApiContext, group_key: str, member_key: str
) -> HttpResponse:
    group = _group_or_404(ctx, group_key)
    key = member_key.lower()
    found = any(
        key in (r.get("email"), r.get("id"))
        for r in (member_resource(m, domain=ctx.domain) for m in members_all(group, derived=True))
    )
    return json_response({"isMember": found})


# ---------------------------------------------------------------------------------------------
# org units and customers


@api_view(ORGUNIT_READ)
def orgunits_list(request: HttpRequest, ctx: ApiContext, customer_id: str) -> HttpResponse:
    if customer_id not in ("my_customer", ctx.domain.customer_id):
        raise errors.not_authorized()
    parent = "/" + request.GET.get("orgUnitPath", "/").strip().strip("/")
    kind = request.GET.get("type") or "children"
    if kind not in ("all", "children", "allIncludingParent"):
        raise errors.bad_request(f"Invalid value '{kind}' for type")
    units = list(OrgUnit.objects.filter(domain=ctx.domain).order_by("path"))
    by_path = {u.path: u for u in units}
    if parent != "/" and parent not in by_path:
        raise errors.not_found("orgUnitPath")

    def below(unit: OrgUnit) -> bool:
        return parent == "/" or unit.path.startswith(parent + "/")

    if kind == "children":
        chosen = [u for u in units if u.parent_path == parent]
    else:
        chosen = [u for u in units if below(u)]
        if kind == "allIncludingParent" and parent != "/":
            chosen.insert(0, by_path[parent])
    root_id = "id:" + ctx.domain.customer_id.lower()
    payload = {
        "kind": "admin#directory#orgUnits",
        "etag": etag_for("ous", [u.etag for u in chosen]),
    }
    if chosen:
        payload["organizationUnits"] = [
            org_unit_resource(
                u,
                parent_id=by_path[u.parent_path].org_unit_id
                if u.parent_path in by_path
                else root_id,
            )
            for u in chosen
        ]
    return json_response(payload)


@api_view(CUSTOMER_READ)
def customers_get(request: HttpRequest, ctx: ApiContext, customer_key: str) -> HttpResponse:
    if customer_key not in ("my_customer", ctx.domain.customer_id):
        raise errors.not_authorized()
    return json_response(customer_resource(ctx.domain))
