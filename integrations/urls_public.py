"""Public pages of the integration (no sign-in): the G Suite help article, and the address
Google posts push notifications to."""

from django.urls import path

from . import views
from .realtime.webhook import push_notification

urlpatterns = [
    path("help/g-suite-integration/", views.help_article, name="help_g_suite"),
    # Google's push notifications (integrations/realtime/webhook.py)
    path("google/push/", push_notification, name="push_notification"),
]
