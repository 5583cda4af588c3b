"""The admin panel's URL map: its front door, the Integrations tab and the User Management
section (/panel/users/), composed from the apps' views. Names are the panel's public surface
(templates and emails link with them): the People list is `person_list` / `person_detail`; the
rest of the section is the namespace "usermanagement" — the section of the panel, whichever
app's view answers.
"""

from django.urls import include, path

from integrations import views_settings as gsuite_settings
from licenses import views as licenses

from . import views, views_admins, views_groups, views_people, views_seats

user_management = [
    path("groups/", views_groups.group_list, name="group_list"),
    path("groups/<int:group_id>/", views_groups.group_detail, name="group_detail"),
    path("licenses/", licenses.licenses, name="licenses"),
    path("licenses/assign/", licenses.assign, name="license_assign"),
    path("licenses/unassign/", views_seats.unassign, name="license_unassign"),
    path("licenses/fill/", licenses.fill, name="license_fill"),
    path("admins/", views_admins.admin_list, name="admins"),
    path("admins/<int:person_id>/grant/", views_admins.admin_grant, name="admin_grant"),
    path("admins/<int:person_id>/revoke/", views_admins.admin_revoke, name="admin_revoke"),
    path("g-suite-settings/", gsuite_settings.settings_page, name="gsuite_settings"),
    path("g-suite-settings/scope/", gsuite_settings.scope, name="gsuite_scope"),
    path(
        "g-suite-settings/sync-account/",
        gsuite_settings.sync_account,
        name="gsuite_sync_account",
    ),
    path("g-suite-settings/safety/", gsuite_settings.safety, name="gsuite_safety"),
    path(
        "g-suite-settings/licenses/",
        gsuite_settings.license_policy,
        name="gsuite_license_policy",
    ),
    path(
        "g-suite-settings/sync-account/ask/",
        gsuite_settings.sync_account_ask,
        name="gsuite_sync_account_ask",
    ),
    path("g-suite-settings/time-zone/", gsuite_settings.time_zone, name="gsuite_time_zone"),
    path("g-suite-settings/reviews/", gsuite_settings.reviews, name="sync_reviews"),
    path(
        "g-suite-settings/reviews/release/",
        gsuite_settings.kept_release_view,
        name="sync_kept_release",
    ),
    path(
        "g-suite-settings/runs/<int:run_id>/review/",
        gsuite_settings.plan_review,
        name="sync_plan_review",
    ),
    path(
        "g-suite-settings/sync-all-users/",
        gsuite_settings.sync_all_users,
        name="sync_all_users",
    ),
    path("g-suite-settings/history/", gsuite_settings.history, name="sync_history"),
    path("g-suite-settings/runs/<int:run_id>/", gsuite_settings.run_detail, name="sync_run"),
    path(
        "g-suite-settings/runs/<int:run_id>/progress/",
        gsuite_settings.run_progress,
        name="sync_run_progress",
    ),
    path(
        "g-suite-settings/runs/<int:run_id>/approve/",
        gsuite_settings.plan_approve,
        name="sync_plan_approve",
    ),
    path(
        "g-suite-settings/runs/<int:run_id>/reject/",
        gsuite_settings.plan_reject,
        name="sync_plan_reject",
    ),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("panel/", views.panel_overview, name="panel_overview"),
    path("panel/integrations/", include("integrations.urls")),
    path("panel/users/", views_people.person_list, name="person_list"),
    path("panel/users/people.csv", views_people.person_export, name="person_export"),
    path(
        "panel/users/people/<int:person_id>/",
        views_people.person_detail,
        name="person_detail",
    ),
    path("panel/users/", include((user_management, "usermanagement"))),
]
