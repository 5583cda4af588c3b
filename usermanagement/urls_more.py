"""User Management's pages beyond the people list: groups, licenses, Hearth admins and the
G Suite settings (with sync history and held plans). Included at panel/users/ with the
namespace "usermanagement"."""

from django.urls import path

from . import views_admins, views_groups, views_licenses, views_settings

app_name = "usermanagement"

urlpatterns = [
    path("groups/", views_groups.group_list, name="group_list"),
    path("groups/<int:group_id>/", views_groups.group_detail, name="group_detail"),
    path("licenses/", views_licenses.licenses, name="licenses"),
    path("licenses/assign/", views_licenses.assign, name="license_assign"),
    path("licenses/unassign/", views_licenses.unassign, name="license_unassign"),
    path("licenses/fill/", views_licenses.fill, name="license_fill"),
    path("admins/", views_admins.admin_list, name="admins"),
    path("admins/<int:person_id>/grant/", views_admins.admin_grant, name="admin_grant"),
    path("admins/<int:person_id>/revoke/", views_admins.admin_revoke, name="admin_revoke"),
    path("g-suite-settings/", views_settings.settings_page, name="gsuite_settings"),
    path("g-suite-settings/scope/", views_settings.scope, name="gsuite_scope"),
    path(
        "g-suite-settings/sync-account/", views_settings.sync_account, name="gsuite_sync_account"
    ),
    path("g-suite-settings/safety/", views_settings.safety, name="gsuite_safety"),
    path("g-suite-settings/licenses/", views_settings.license_policy, name="gsuite_license_policy"),
    path("g-suite-settings/sync-all-users/", views_settings.sync_all_users, name="sync_all_users"),
    path("g-suite-settings/history/", views_settings.history, name="sync_history"),
    path("g-suite-settings/runs/<int:run_id>/", views_settings.run_detail, name="sync_run"),
    path(
        "g-suite-settings/runs/<int:run_id>/progress/",
        views_settings.run_progress,
        name="sync_run_progress",
    ),
    path(
        "g-suite-settings/runs/<int:run_id>/approve/",
        views_settings.plan_approve,
        name="sync_plan_approve",
    ),
    path(
        "g-suite-settings/runs/<int:run_id>/reject/",
        views_settings.plan_reject,
        name="sync_plan_reject",
    ),
]
