"""User Management → Groups: the synced Google groups and each group's members.

Read-only (Google owns groups). Both pages are paginated with a constant number of queries:
the member counts come from one aggregate, members' seats from one join. "People" is one number
everywhere (this list, a group's page, the Licenses page): members who are people of the
organization, direct or inherited — not nested groups, not external addresses.
"""

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import render

from organizations.tenancy import organization_admin_required, scoped, scoped_get_or_404
from usermanagement.models import Group, GroupMembership

GROUPS_PER_PAGE = 50
MEMBERS_PER_PAGE = 100


@organization_admin_required
def group_list(request):
    search = request.GET.get("q", "").strip()[:200]
    groups = scoped(Group, request.organization)
    if search:
        groups = groups.filter(Q(name__icontains=search) | Q(email__icontains=search))
    groups = groups.annotate(
        people=Count("memberships", filter=Q(memberships__member_type="user")),
        direct_people=Count(
            "memberships",
            filter=Q(memberships__member_type="user", memberships__direct=True),
        ),
    ).order_by("email")
    page = Paginator(groups, GROUPS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "panel/groups/list.html",
        {"page": page, "search": search, "tab": "groups"},
    )


@organization_admin_required
def group_detail(request, group_id: int):
    group = scoped_get_or_404(Group, request.organization, pk=group_id)
    kind = request.GET.get("kind", "")
    members = (
        GroupMembership.objects.filter(group=group)
        .select_related("user", "user__license")
        .order_by("-direct", "role", "member_email", "pk")
    )
    if kind == "direct":
        members = members.filter(direct=True)
    elif kind == "inherited":
        members = members.filter(direct=False)
    counts = GroupMembership.objects.filter(group=group).aggregate(
        total=Count("pk"),
        direct_count=Count("pk", filter=Q(direct=True)),
        inherited_count=Count("pk", filter=Q(direct=False)),
        external_count=Count("pk", filter=Q(member_type="external")),
        group_count=Count("pk", filter=Q(member_type="group")),
        # the same number the Groups list and the Licenses page give as the group's people
        people_count=Count("pk", filter=Q(member_type="user")),
    )
    page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "panel/groups/detail.html",
        {"group": group, "page": page, "counts": counts, "kind": kind, "tab": "groups"},
    )
