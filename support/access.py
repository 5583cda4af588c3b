"""Who may do what in the support console (Django's admin under /support/).

- **Support staff** (`is_staff`, no organization, in the *Support* group — created by migration
  0002, filled by `manage.py support_user create`) hold two permissions: `support.use_console`
  (see every page of the console) and `support.run_actions` (run the audited actions of
  `support.actions`). They hold no add, change or delete permission on any model, so Django's
  admin answers 403 to every such request: they change nothing by hand.
- **Superusers** hold every permission. What Google or a service owns (synced fields, the
  integration, role, status, organization, the logs) stays read-only for them too: each
  ModelAdmin of `support.admin` says which fields.
- **People of an organization** (Hearth admins included) are never staff, so the admin site
  sends them to its login page; the console keeps `is_staff` read-only on their rows.

Every ModelAdmin of the console mixes in `SupportAccess`: a page is visible to whoever may use
the console, and an action marked `permissions=["support"]` is offered to whoever may run them.
"""

from django.contrib.auth.models import Group, Permission

SUPPORT_GROUP = "Support"
USE_CONSOLE = "support.use_console"
RUN_ACTIONS = "support.run_actions"


def support_group() -> Group:
    """The Support group with its two permissions (created by migration 0002; made again here
    if someone deleted it, so that a new support account always gets its rights)."""
    group, _ = Group.objects.get_or_create(name=SUPPORT_GROUP)
    codenames = [name.split(".", 1)[1] for name in (USE_CONSOLE, RUN_ACTIONS)]
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="support", codename__in=codenames)
    )
    return group


def may_use_console(user) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(USE_CONSOLE))


def may_run_actions(user) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(RUN_ACTIONS))


class SupportAccess:
    """ModelAdmin mixin: support staff see the model and run its actions; nothing more."""

    def has_module_permission(self, request) -> bool:
        return may_use_console(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return may_use_console(request.user) or super().has_view_permission(request, obj)

    # Admin actions declared with permissions=["support"] ask this.
    def has_support_permission(self, request) -> bool:
        return may_run_actions(request.user)
