"""The sandbox's admin console (/console/): how a person "plays Google" during a demo.

Per domain: an overview (counts, recent admin activity), users (server-side search, filters
and paging — seeded bench domains hold 100,000 users), a user's page (edit names, title,
org unit; suspend, delete/undelete, rename the primary email, make/revoke super admin),
groups and their members (nested groups included), and settings (API access, Hearth installed
or not, fault injection).

Every page needs a signed-in super admin of the domain (the emulated sign-in; like Google's
admin console), who is then the actor of the Reports API activities the changes record. Every
change goes through googlesandbox.operations; a refused change (SandboxError) comes back as a
message on the page. Forms are protected by the sandbox's own `gs_token` (see common.py).
"""

import functools
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from .. import keys, operations
from ..models import Activity, DirGroup, DirMember, DirUser, Domain, Faults, OrgUnit
from . import cookies
from .common import (
    chooser_url,
    error_page,
    page_view,
    people_matching,
    render_page,
    signed_in_users,
)
from .forms import (
    FaultsForm,
    GroupAddForm,
    GroupRenameForm,
    MemberAddForm,
    RenameForm,
    UserAddForm,
    UserEditForm,
)

PAGE_SIZE = 50
USER_FILTERS = {
    "all": "All users",
    "admins": "Super admins",
    "suspended": "Suspended",
    "deleted": "Deleted",
}


def console_view(view):
    """Resolve the domain and its signed-in super admin, or send the visitor to sign in."""

    @page_view
    @functools.wraps(view)
    def wrapper(request: HttpRequest, domain_name: str, *args, **kwargs):
        domain = Domain.objects.filter(name=domain_name.lower()).first()
        if domain is None:
            raise Http404("No such domain in the sandbox")
        mine = [u for u in signed_in_users(request) if u.domain_id == domain.pk]
        admin = next((u for u in mine if u.is_admin), None)
        if admin is None:
            back = chooser_url(request.get_full_path(), domain=domain.name, purpose="console")
            if not mine:
                return redirect(back)
            return error_page(
                request,
                status=403,
                title="You need to be a super administrator",
                message=f"{mine[0].primary_email} is not a super administrator of "
                f"{domain.name}. Sign in with a super administrator account to use the "
                "Admin console.",
                back_url=back,
                back_label="Use another account",
            )
        return view(request, domain, admin, *args, **kwargs)

    return wrapper


def _page(
    request: HttpRequest,
    template: str,
    domain: Domain,
    admin: DirUser,
    section: str,
    context: dict | None = None,
    status: int = 200,
):
    return render_page(
        request,
        f"console/{template}",
        {
            "domain": domain,
            "admin": admin,
            "section": section,
            "other_domains": Domain.objects.exclude(pk=domain.pk).count(),
            **(context or {}),
        },
        status=status,
    )


def _done(url: str, message: str, *, kind: str = "ok"):
    return cookies.flash_set(redirect(url), message, kind=kind)


def _base(domain: Domain) -> str:
    return f"/console/{domain.name}/"


def _org_unit_paths(domain: Domain) -> list[str]:
    return [
        "/",
        *OrgUnit.objects.filter(domain=domain).order_by("path").values_list("path", flat=True),
    ]


# ---------------------------------------------------------------------------------------------
# domains and overview


@page_view
def domains(request: HttpRequest):
    all_domains = list(Domain.objects.order_by("name"))
    if len(all_domains) == 1:
        return redirect(_base(all_domains[0]))
    return render_page(request, "console/domains.html", {"domains": all_domains})


@console_view
def overview(request: HttpRequest, domain: Domain, admin: DirUser):
    summary = operations.show(domain)
    activities = Activity.objects.filter(domain=domain).order_by("-time", "-id")[:12]
    return _page(
        request,
        "overview.html",
        domain,
        admin,
        "overview",
        {"summary": summary, "activities": activities},
    )


# ---------------------------------------------------------------------------------------------
# users


def _users_queryset(domain: Domain, view_filter: str, query: str):
    users = DirUser.objects.filter(domain=domain)
    if view_filter == "deleted":
        users = users.filter(deleted_at__isnull=False)
    else:
        users = users.filter(deleted_at__isnull=True)
        if view_filter == "admins":
            users = users.filter(is_admin=True)
        elif view_filter == "suspended":
            users = users.filter(suspended=True)
    return people_matching(users, query).order_by("primary_email", "id")


@console_view
def users(request: HttpRequest, domain: Domain, admin: DirUser):
    view_filter = request.GET.get("filter", "all")
    if view_filter not in USER_FILTERS:
        view_filter = "all"
    query = request.GET.get("q", "").strip()
    paginator = Paginator(_users_queryset(domain, view_filter, query), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return _page(
        request,
        "users.html",
        domain,
        admin,
        "users",
        {
            "page": page,
            "pager_query": urlencode({"filter": view_filter, "q": query}) + "&",
            "query": query,
            "filter": view_filter,
            "filters": USER_FILTERS,
        },
    )


@console_view
def user_add(request: HttpRequest, domain: Domain, admin: DirUser):
    form = UserAddForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = operations.user_add(
                    email=f"{data['local_part']}@{domain.name}",
                    given_name=data["given_name"],
                    family_name=data["family_name"],
                    title=data["title"],
                    department=data["department"],
                    org_unit_path=data["org_unit_path"] or "/",
                    is_admin=data["is_admin"],
                    actor=admin.primary_email,
                )
            except operations.SandboxError as exc:
                form.add_error(None, str(exc))
            else:
                return _done(
                    f"{_base(domain)}users/{user.google_id}/", f"Added {user.primary_email}."
                )
        status = 400
    return _page(
        request,
        "user_add.html",
        domain,
        admin,
        "users",
        {"form": form, "org_units": _org_unit_paths(domain)},
        status=status,
    )


def _user_or_404(domain: Domain, google_id: str) -> DirUser:
    user = DirUser.objects.filter(domain=domain, google_id=google_id).first()
    if user is None:
        raise Http404("No such user")
    return user


@console_view
def user_detail(request: HttpRequest, domain: Domain, admin: DirUser, google_id: str):
    user = _user_or_404(domain, google_id)
    initial = {
        "given_name": user.given_name,
        "family_name": user.family_name,
        "title": user.title,
        "department": user.department,
        "org_unit_path": user.org_unit_path,
    }
    form = UserEditForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and user.deleted_at is None:
        if form.is_valid():
            try:
                operations.user_update(
                    email=user.google_id, actor=admin.primary_email, **form.cleaned_data
                )
            except operations.SandboxError as exc:
                form.add_error(None, str(exc))
            else:
                return _done(request.path, f"Saved {user.primary_email}.")
        status = 400
    memberships = (
        DirMember.objects.filter(user=user).select_related("group").order_by("group__email")
    )
    return _page(
        request,
        "user.html",
        domain,
        admin,
        "users",
        {
            "person": user,
            "form": form,
            "rename_form": RenameForm(initial={"local_part": user.primary_email.split("@")[0]}),
            "memberships": memberships,
            "org_units": _org_unit_paths(domain),
            "is_self": user.pk == admin.pk,
        },
        status=status,
    )


USER_ACTIONS = {
    "suspend": (operations.user_suspend, "Suspended {email}."),
    "unsuspend": (operations.user_unsuspend, "Reactivated {email}."),
    "delete": (operations.user_delete, "Deleted {email}."),
    "undelete": (operations.user_undelete, "Restored {email}."),
    "make-admin": (operations.user_make_admin, "{email} is now a super admin."),
    "revoke-admin": (operations.user_revoke_admin, "{email} is no longer a super admin."),
}


@console_view
@require_POST
def user_action(request: HttpRequest, domain: Domain, admin: DirUser, google_id: str, action):
    user = _user_or_404(domain, google_id)
    page = f"{_base(domain)}users/{user.google_id}/"
    if action == "rename":
        form = RenameForm(request.POST)
        if not form.is_valid():
            return _done(page, "Enter the new address before the @.", kind="error")
        new_email = f"{form.cleaned_data['local_part']}@{domain.name}"
        try:
            operations.user_rename(
                email=user.google_id, new_email=new_email, actor=admin.primary_email
            )
        except operations.SandboxError as exc:
            return _done(page, str(exc), kind="error")
        return _done(page, f"Renamed {user.primary_email} to {new_email}.")
    if action not in USER_ACTIONS:
        raise Http404("Unknown action")
    operation, message = USER_ACTIONS[action]
    try:
        operation(email=user.google_id, actor=admin.primary_email)
    except operations.SandboxError as exc:
        return _done(page, str(exc), kind="error")
    return _done(page, message.format(email=user.primary_email))


# ---------------------------------------------------------------------------------------------
# groups and members


@console_view
def groups(request: HttpRequest, domain: Domain, admin: DirUser):
    form = GroupAddForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                group = operations.group_add(
                    email=f"{data['local_part']}@{domain.name}",
                    name=data["name"],
                    description=data["description"],
                    actor=admin.primary_email,
                )
            except operations.SandboxError as exc:
                form.add_error(None, str(exc))
            else:
                return _done(
                    f"{_base(domain)}groups/{group.google_id}/", f"Created group {group.email}."
                )
        status = 400
    query = request.GET.get("q", "").strip().lower()
    found = DirGroup.objects.filter(domain=domain)
    if query:
        found = found.filter(Q(email__contains=query) | Q(name__icontains=query))
    found = found.annotate(member_count=Count("memberships")).order_by("email", "id")
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return _page(
        request,
        "groups.html",
        domain,
        admin,
        "groups",
        {
            "page": page,
            "pager_query": urlencode({"q": query}) + "&" if query else "",
            "query": query,
            "form": form,
        },
        status=status,
    )


def _group_or_404(domain: Domain, google_id: str) -> DirGroup:
    group = DirGroup.objects.filter(domain=domain, google_id=google_id).first()
    if group is None:
        raise Http404("No such group")
    return group


def member_email(member: DirMember) -> str:
    if member.user_id:
        return member.user.primary_email
    if member.member_group_id:
        return member.member_group.email
    if member.member_type == DirMember.TYPE_CUSTOMER:
        return "customer"
    return member.external_email


@console_view
def group_detail(request: HttpRequest, domain: Domain, admin: DirUser, google_id: str):
    group = _group_or_404(domain, google_id)
    form = MemberAddForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            email = form.cleaned_data["member_email"]
            try:
                operations.member_add(
                    group_email=group.email,
                    member_email=email,
                    role=form.cleaned_data["role"],
                    actor=admin.primary_email,
                )
            except operations.SandboxError as exc:
                form.add_error("member_email", str(exc))
            else:
                return _done(request.path, f"Added {email} to {group.email}.")
        status = 400
    members = (
        DirMember.objects.filter(group=group)
        .select_related("user", "member_group")
        .order_by("member_type", "id")
    )
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    for member in page.object_list:
        member.email = member_email(member)
    parents = DirMember.objects.filter(member_group=group).select_related("group")
    return _page(
        request,
        "group.html",
        domain,
        admin,
        "groups",
        {
            "group": group,
            "page": page,
            "form": form,
            "rename_form": GroupRenameForm(initial={"name": group.name}),
            "parents": parents,
        },
        status=status,
    )


@console_view
@require_POST
def group_action(request: HttpRequest, domain: Domain, admin: DirUser, google_id: str, action):
    group = _group_or_404(domain, google_id)
    page = f"{_base(domain)}groups/{group.google_id}/"
    actor = admin.primary_email
    try:
        if action == "rename":
            form = GroupRenameForm(request.POST)
            if not form.is_valid():
                return _done(page, "Enter a group name.", kind="error")
            operations.group_rename(email=group.email, name=form.cleaned_data["name"], actor=actor)
            return _done(page, f"Renamed {group.email} to “{form.cleaned_data['name']}”.")
        if action == "delete":
            operations.group_delete(email=group.email, actor=actor)
            return _done(f"{_base(domain)}groups/", f"Deleted group {group.email}.")
        if action == "remove-member":
            email = request.POST.get("member_email", "")
            operations.member_remove(group_email=group.email, member_email=email, actor=actor)
            return _done(page, f"Removed {email} from {group.email}.")
    except operations.SandboxError as exc:
        return _done(page, str(exc), kind="error")
    raise Http404("Unknown action")


# ---------------------------------------------------------------------------------------------
# settings


@console_view
def settings_page(request: HttpRequest, domain: Domain, admin: DirUser):
    faults, _ = Faults.objects.get_or_create(domain=domain)
    form = FaultsForm(initial=FaultsForm.initial_from(faults))
    status = 200
    if request.method == "POST":
        form = FaultsForm(request.POST)
        if form.is_valid():
            try:
                operations.faults_set(
                    domain=domain, error_rates=form.error_rates(), **form.settings()
                )
            except operations.SandboxError as exc:
                form.add_error(None, str(exc))
            else:
                return _done(request.path, "Saved fault injection settings.")
        status = 400
    try:
        install_state = operations.install_state(domain)
        client_id = operations.hearth_client_id()
    except keys.KeyFileMissing:
        install_state, client_id = "not installed", ""
    grant = domain.grants.order_by("created_at").last()
    return _page(
        request,
        "settings.html",
        domain,
        admin,
        "settings",
        {
            "form": form,
            "installed": install_state != "not installed",
            "install_state": install_state,
            "effective_at": grant.effective_at if grant else None,
            "client_id": client_id,
            "domain_names": operations.domain_names(domain),
            "grants": domain.grants.order_by("created_at"),
        },
        status=status,
    )


@console_view
@require_POST
def settings_action(request: HttpRequest, domain: Domain, admin: DirUser, action: str):
    page = f"{_base(domain)}settings/"
    product = settings.PRODUCT_NAME
    try:
        if action == "api-access":
            enabled = request.POST.get("enabled") == "on"
            operations.set_api_access(domain=domain, enabled=enabled)
            return _done(page, f"API access turned {'on' if enabled else 'off'}.")
        if action == "install":
            operations.install(domain=domain)
            return _done(page, f"{product} is installed for everyone at {domain.name}.")
        if action == "uninstall":
            operations.uninstall(domain=domain)
            return _done(page, f"{product} was uninstalled from {domain.name}.")
    except keys.KeyFileMissing:
        return _done(
            page,
            "The sandbox has no service-account key: run `python manage.py sandbox keygen`.",
            kind="error",
        )
    raise Http404("Unknown action")
