"""Public pages of the integration (no sign-in): the G Suite help article."""

from django.urls import path

from . import views

urlpatterns = [
    path("help/g-suite-integration/", views.help_article, name="help_g_suite"),
]
