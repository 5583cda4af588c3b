"""The sandbox's own URLconf (selected per request by SandboxRoutingMiddleware).

Paths are those of the discovery documents shipped in google-api-python-client, relative to the
api_endpoint Hearth passes in client_options.
"""

from django.urls import include, path

from . import batch, directory, reports, token, views

D = "admin/directory/v1/"

urlpatterns = [
    path("", views.index, name="gsandbox-index"),
    path("token", token.token_view, name="gsandbox-token"),
    path("batch", batch.batch_view),
    path("photos/<str:google_id>.svg", views.photo, name="gsandbox-photo"),
    path(f"{D}users", directory.users_list),
    path(f"{D}users/watch", directory.users_watch),
    path(f"{D}users/<str:user_key>", directory.users_get),
    path(f"{D}groups", directory.groups_list),
    path(f"{D}groups/<str:group_key>", directory.groups_get),
    path(f"{D}groups/<str:group_key>/members", directory.members_list),
    path(f"{D}groups/<str:group_key>/members/<str:member_key>", directory.members_get),
    path(f"{D}groups/<str:group_key>/hasMember/<str:member_key>", directory.members_has_member),
    path(f"{D}customer/<str:customer_id>/orgunits", directory.orgunits_list),
    path(f"{D}customers/<str:customer_key>", directory.customers_get),
    path("admin/directory_v1/channels/stop", directory.channels_stop),
    path(
        "admin/reports/v1/activity/users/<str:user_key>/applications/<str:application_name>",
        reports.activities_list,
    ),
    path(
        "admin/reports/v1/activity/users/<str:user_key>/applications/<str:application_name>"
        "/watch",
        reports.activities_watch,
    ),
    path("admin/reports_v1/channels/stop", reports.channels_stop),
    path("", include("googlesandbox.pages.urls")),
]
