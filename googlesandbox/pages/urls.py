"""URLs of the sandbox's human pages; included at "" by googlesandbox/urls.py."""

from django.urls import path

from . import console, oidc, views

C = "console/<str:domain_name>/"

urlpatterns = [
    # emulated Google sign-in
    path("signin/chooser", views.chooser, name="gsandbox-chooser"),
    path("signin/signout", views.sign_out, name="gsandbox-signout"),
    # Marketplace listing of Hearth (settings.GOOGLE_MARKETPLACE_URL)
    path("marketplace/hearth", views.listing, name="gsandbox-marketplace"),
    path("marketplace/hearth/install", views.install, name="gsandbox-marketplace-install"),
    path("marketplace/hearth/done", views.done, name="gsandbox-marketplace-done"),
    path("marketplace/hearth/uninstall", views.uninstall, name="gsandbox-marketplace-uninstall"),
    # OpenID Connect ("Sign in with Google"); the code exchange is the shared /token endpoint
    path(".well-known/openid-configuration", oidc.discovery, name="gsandbox-oidc-discovery"),
    path(oidc.AUTHORIZE_PATH.lstrip("/"), oidc.authorize, name="gsandbox-oidc-authorize"),
    path(oidc.USERINFO_PATH.lstrip("/"), oidc.userinfo, name="gsandbox-oidc-userinfo"),
    path(oidc.JWKS_PATH.lstrip("/"), oidc.jwks, name="gsandbox-oidc-jwks"),
    # admin console
    path("console/", console.domains, name="gsandbox-console"),
    path(C, console.overview, name="gsandbox-console-overview"),
    path(C + "users/", console.users, name="gsandbox-console-users"),
    path(C + "users/add", console.user_add, name="gsandbox-console-user-add"),
    path(C + "users/<str:google_id>/", console.user_detail, name="gsandbox-console-user"),
    path(C + "users/<str:google_id>/<str:action>", console.user_action),
    path(C + "groups/", console.groups, name="gsandbox-console-groups"),
    path(C + "groups/<str:google_id>/", console.group_detail, name="gsandbox-console-group"),
    path(C + "groups/<str:google_id>/<str:action>", console.group_action),
    path(C + "settings/", console.settings_page, name="gsandbox-console-settings"),
    path(C + "settings/<str:action>", console.settings_action),
]
