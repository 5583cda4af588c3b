from django.urls import path

from . import views

app_name = "invitations"

urlpatterns = [
    path("new/", views.invitation_create, name="create"),
    path("<str:token>/", views.invitation_accept_view, name="accept"),
]
