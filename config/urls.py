from django.contrib import admin
from django.urls import include, path

from config.health import healthz

admin.site.site_header = "Hearth support console"
admin.site.site_title = "Hearth support"
admin.site.index_title = "Organizations, people, syncs and emails"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Never /admin/: the Google emulator answers /admin/directory/... like Google does.
    path("support/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    # The admin panel (home, /panel/...): composed from the apps' views in panel/urls.py.
    path("", include("panel.urls")),
    path("", include("integrations.urls_public")),
    path("invitations/", include("invitations.urls")),
]
