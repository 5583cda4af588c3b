"""Directory API v1 views (paths and parameters as in admin.directory_v1.json).

users.list pages by keyset on the order key: `(order_column, id) > (last_value, last_id)`
(or `<` when descending), backed by the partial composite indexes on DirUser, so a page costs
the same at user 1 and at user 100,000; the body is joined from each user's stored resource
JSON. The page token is an opaque base64 of [kind, orderBy, sortOrder, showDeleted, last_value,
last_id]. Lists with no items omit their item key, as Google does.
"""

import json
import re

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse

from . import errors, operations
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
    page_token_decode,
    page_token_encode,
)
from .models import DirGroup, DirMember, DirUser, OrgUnit
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


def users_query_filter(query: str) -> Q:
    """Google's user search syntax: `email:jo*`, `givenName:'Ann'`, `isAdmin=true`, ..."""
    condition = Q()
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
            value = value.lower()
            alias = Q(aliases__icontains=f'"{value}"') if not value.endswith("*") else Q()
            condition &= _text_match("primary_email", value, case_insensitive=False) | alias
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


def users_page(
    ctx: ApiContext,
    *,
    query: str,
    order_by: str,
    descending: bool,
    show_deleted: bool,
    max_results: int,
    page_token: str | None,
) -> tuple[list[tuple], str | None]:
    """One page as (id, order value, etag, stored resource JSON) rows, and the next token."""
    column = ORDER_COLUMNS[order_by]
    users = DirUser.objects.filter(domain=ctx.domain, deleted_at__isnull=not show_deleted)
    if query:
        users = users.filter(users_query_filter(query))
    if page_token:
        kind_order, kind_desc, kind_deleted, last_value, last_id = page_token_decode(
            page_token, kind="users"
        )
        if (kind_order, kind_desc, kind_deleted) != (order_by, descending, show_deleted):
            raise errors.bad_request("Invalid Input: pageToken")
        operator = "<" if descending else ">"
        users = users.extra(
            where=[
                f'("{USERS_TABLE}"."{column}", "{USERS_TABLE}"."id") {operator} (%s, %s)'
            ],
            params=[last_value, last_id],
        )
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
        next_token = page_token_encode(
            ["users", order_by, descending, show_deleted, last_value, last_id]
        )
    return rows, next_token


def _stored_json(rows: list[tuple], domain) -> list[str]:
    missing = [row[0] for row in rows if not row[3]]
    built = {}
    if missing:  # rows written outside operations (none in practice): build them now
        for user in DirUser.objects.filter(id__in=missing):
            built[user.id] = user_resource_json(user, customer_id=domain.customer_id)
    return [row[3] or built[row[0]] for row in rows]


def _users_list_params(request: HttpRequest, ctx: ApiContext) -> dict:
    check_customer(ctx, request.GET.get("customer"), request.GET.get("domain"))
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
    payload = {
        "kind": "api#channel",
        "id": channel.channel_id,
        "resourceId": channel.resource_id,
        "resourceUri": channel.resource_uri,
        "expiration": str(int(channel.expires_at.timestamp() * 1000)),
    }
    if channel.token:
        payload["token"] = channel.token
    return json_response(payload)


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
        check_customer(ctx, request.GET.get("customer"), request.GET.get("domain"))
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
        last_email, last_id = page_token_decode(page_token, kind="groups")
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
        payload["nextPageToken"] = page_token_encode(["groups", rows[-1].email, rows[-1].id])
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
        (start,) = page_token_decode(page_token, kind="members")
    page = members[start : start + max_results]
    payload = {
        "kind": "admin#directory#members",
        "etag": etag_for("members", group.pk, [(m.id, m.role) for m in page]),
    }
    if page:
        payload["members"] = [member_resource(m, domain=ctx.domain) for m in page]
    if start + max_results < len(members):
        payload["nextPageToken"] = page_token_encode(["members", start + max_results])
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
