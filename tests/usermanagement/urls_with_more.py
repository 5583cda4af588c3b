from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *project_urlpatterns,
    path("panel/users/", include("usermanagement.urls_more")),
]
