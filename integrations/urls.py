from django.urls import path

from . import views

app_name = "integrations"

urlpatterns = [
    path("", views.home, name="home"),
    path("g-suite/install/", views.install, name="install"),
    path("g-suite/start/", views.start, name="start"),
    path("g-suite/ask/", views.ask, name="ask"),
    path("g-suite/change-sync-account/", views.change, name="change"),
    path("g-suite/finalize/<str:token>/", views.finalize_link, name="finalize_link"),
    path("g-suite/step-1/", views.step_1, name="step_1"),
    path("g-suite/step-1/marketplace/", views.marketplace, name="marketplace"),
    path("g-suite/step-2/", views.step_2, name="step_2"),
    path("g-suite/done/", views.done, name="done"),
    path("g-suite/done/progress/", views.progress, name="progress"),
    path("g-suite/disconnect/", views.disconnect, name="disconnect"),
]
